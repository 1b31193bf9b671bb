package io.gatehouse.proxy.provider.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.proxy.provider.SseParser;
import io.gatehouse.proxy.provider.TranslatedStream;
import java.nio.ByteBuffer;

/**
 * A Gemini {@code streamGenerateContent?alt=sse} body turned into OpenAI SSE as it arrives:
 * {@link SseParser} frames the upstream bytes (Gemini ends events with CRLF CRLF), the
 * {@link GeminiStreamTranslator} translates each event, and every payload is framed as
 * {@code data: <json>\n\n}. Gemini sends no end marker: when the body ends, {@link #remainder()}
 * sends the usage chunk (if asked for) and {@code data: [DONE]}, but only when every choice finished;
 * a stream cut before that gets nothing more, so that the forwarder reports the interruption. After an
 * error event (sent on as an OpenAI error data line) the rest is ignored. The framing is
 * {@link TranslatedStream}'s.
 *
 * <p>Not thread-safe: one per stream.
 */
final class GeminiStream extends TranslatedStream {
  private final GeminiStreamTranslator translator;

  GeminiStream(GeminiStreamTranslator translator) {
    super(translator::model, translator::finishReason, translator::completionText,
        () -> translator.usage() == null ? null : translator.usage().toUsage());
    this.translator = translator;
  }

  @Override
  protected void onEvent(String event, String data) {
    if (errorMessage() != null) {
      return;
    }
    JsonNode json = json(data);
    if (json == null || !json.isObject()) {
      GeminiErrors.OpenAiError error = GeminiErrors.of(502, "api_error", null,
          "Gemini sent a stream event that is not a JSON object.");
      error(error.type(), error.message());
      write(error.body().toString());
      return;
    }
    write(translator.onEvent(json));
    GeminiErrors.OpenAiError error = translator.error();
    if (error != null) {
      error(error.type(), error.message());
    }
  }

  /** The closing chunks and {@code [DONE]} when the stream ended properly; nothing otherwise. */
  @Override
  public ByteBuffer remainder() {
    if (errorMessage() == null && translator.done()) {
      write(translator.end());
      writeDone();
    }
    return drain();
  }

  @Override
  public boolean done() {
    return errorMessage() == null && translator.done();
  }
}
