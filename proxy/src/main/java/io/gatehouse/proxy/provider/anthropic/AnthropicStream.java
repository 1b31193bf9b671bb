package io.gatehouse.proxy.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.proxy.provider.SseParser;
import io.gatehouse.proxy.provider.TranslatedStream;

/**
 * An Anthropic Messages SSE stream turned into OpenAI chunks as it arrives: {@link SseParser} frames
 * the upstream bytes, {@link AnthropicStreamTranslator} translates each event, and every returned
 * payload is framed as {@code data: <json>\n\n}; {@code data: [DONE]} follows {@code message_stop}.
 * After an {@code error} event (sent on as an OpenAI error data line) the rest is ignored. The framing
 * is {@link TranslatedStream}'s.
 *
 * <p>Not thread-safe: one per stream.
 */
final class AnthropicStream extends TranslatedStream {
  private final AnthropicStreamTranslator translator;

  AnthropicStream(AnthropicStreamTranslator translator) {
    super(translator::upstreamModel, translator::finishReason, translator::completionText,
        () -> translator.usage() == null ? null : translator.usage().toUsage());
    this.translator = translator;
  }

  @Override
  protected void onEvent(String event, String data) {
    if (errorMessage() != null || translator.done()) {
      return;
    }
    JsonNode json = json(data);
    if (json == null || !json.isObject()) {
      if (!"ping".equals(event)) {
        fail("upstream_error", "Anthropic sent a stream event that is not JSON (event '" + event + "').");
      }
      return;
    }
    write(translator.onEvent(event, json));
    if (translator.error() != null) {
      JsonNode error = translator.error().body().path("error");
      error(error.path("type").asText(null), error.path("message").asText("Anthropic stream error"));
    } else if (translator.done()) {
      writeDone();
    }
  }

  private void fail(String type, String message) {
    error(type, message);
    write(AnthropicErrors.openAiBody("api_error", message).toString());
  }

  @Override
  public boolean done() {
    return translator.done();
  }
}
