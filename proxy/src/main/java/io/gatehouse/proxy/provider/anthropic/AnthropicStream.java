package io.gatehouse.proxy.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.proxy.provider.ChatStream;
import io.gatehouse.proxy.provider.SseParser;
import io.gatehouse.proxy.provider.Usage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * An Anthropic Messages SSE stream turned into OpenAI chunks as it arrives: {@link SseParser} frames
 * the upstream bytes, {@link AnthropicStreamTranslator} translates each event, and every returned
 * payload is framed as {@code data: <json>\n\n}; {@code data: [DONE]} follows {@code message_stop}.
 * After an {@code error} event (sent on as an OpenAI error data line) the rest is ignored.
 *
 * <p>Not thread-safe: one per stream.
 */
final class AnthropicStream implements ChatStream {
  private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);
  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  private final AnthropicStreamTranslator translator;
  private final SseParser parser = new SseParser(this::onEvent);
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private String errorMessage;
  private String errorType;

  AnthropicStream(AnthropicStreamTranslator translator) {
    this.translator = translator;
  }

  @Override
  public ByteBuffer feed(ByteBuffer piece) {
    parser.feed(piece);
    if (out.size() == 0) {
      return EMPTY;
    }
    ByteBuffer result = ByteBuffer.wrap(out.toByteArray());
    out.reset();
    return result;
  }

  private void onEvent(String event, String data) {
    if (errorMessage != null || translator.done()) {
      return;
    }
    JsonNode json = AnthropicAdapter.parse(data.getBytes(StandardCharsets.UTF_8));
    if (json == null || !json.isObject()) {
      if (!"ping".equals(event)) {
        fail("upstream_error", "Anthropic sent a stream event that is not JSON (event '" + event + "').");
      }
      return;
    }
    for (String payload : translator.onEvent(event, json)) {
      write(payload);
    }
    if (translator.error() != null) {
      JsonNode error = translator.error().body().path("error");
      errorType = error.path("type").asText(null);
      errorMessage = error.path("message").asText("Anthropic stream error");
    } else if (translator.done()) {
      out.writeBytes(DONE);
    }
  }

  private void fail(String type, String message) {
    errorType = type;
    errorMessage = message;
    write(AnthropicErrors.openAiBody("api_error", message).toString());
  }

  private void write(String payload) {
    out.writeBytes("data: ".getBytes(StandardCharsets.UTF_8));
    out.writeBytes(payload.getBytes(StandardCharsets.UTF_8));
    out.writeBytes("\n\n".getBytes(StandardCharsets.UTF_8));
  }

  /** An incomplete last event is not worth forwarding: the forwarder reports the cut itself. */
  @Override
  public ByteBuffer remainder() {
    return EMPTY;
  }

  @Override
  public String model() {
    return translator.upstreamModel();
  }

  @Override
  public String finishReason() {
    return translator.finishReason();
  }

  @Override
  public String completion() {
    return translator.completionText();
  }

  @Override
  public Usage usage() {
    AnthropicUsage u = translator.usage();
    return u == null ? null : u.toUsage();
  }

  @Override
  public String errorMessage() {
    return errorMessage;
  }

  @Override
  public String errorType() {
    return errorType;
  }

  @Override
  public boolean done() {
    return translator.done();
  }
}
