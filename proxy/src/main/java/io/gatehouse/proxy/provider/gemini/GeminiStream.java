package io.gatehouse.proxy.provider.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.proxy.provider.ChatStream;
import io.gatehouse.proxy.provider.SseParser;
import io.gatehouse.proxy.provider.Usage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A Gemini {@code streamGenerateContent?alt=sse} body turned into OpenAI SSE as it arrives:
 * {@link SseParser} frames the upstream bytes (Gemini ends events with CRLF CRLF), the
 * {@link GeminiStreamTranslator} translates each event, and every payload is framed as
 * {@code data: <json>\n\n}. Gemini sends no end marker: when the body ends, {@link #remainder()}
 * sends the usage chunk (if asked for) and {@code data: [DONE]}, but only when every choice finished;
 * a stream cut before that gets nothing more, so that the forwarder reports the interruption. After an
 * error event (sent on as an OpenAI error data line) the rest is ignored.
 *
 * <p>Not thread-safe: one per stream.
 */
final class GeminiStream implements ChatStream {
  private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);
  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  private final GeminiStreamTranslator translator;
  private final SseParser parser = new SseParser(this::onEvent);
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private String errorMessage;
  private String errorType;

  GeminiStream(GeminiStreamTranslator translator) {
    this.translator = translator;
  }

  @Override
  public ByteBuffer feed(ByteBuffer piece) {
    parser.feed(piece);
    return drain();
  }

  private ByteBuffer drain() {
    if (out.size() == 0) {
      return EMPTY;
    }
    ByteBuffer result = ByteBuffer.wrap(out.toByteArray());
    out.reset();
    return result;
  }

  private void onEvent(String event, String data) {
    if (errorMessage != null) {
      return;
    }
    JsonNode json = GeminiAdapter.parse(data.getBytes(StandardCharsets.UTF_8));
    if (json == null || !json.isObject()) {
      GeminiErrors.OpenAiError error = GeminiErrors.of(502, "api_error", null,
          "Gemini sent a stream event that is not a JSON object.");
      errorType = error.type();
      errorMessage = error.message();
      write(List.of(error.body().toString()));
      return;
    }
    write(translator.onEvent(json));
    GeminiErrors.OpenAiError error = translator.error();
    if (error != null) {
      errorType = error.type();
      errorMessage = error.message();
    }
  }

  private void write(List<String> payloads) {
    for (String payload : payloads) {
      out.writeBytes("data: ".getBytes(StandardCharsets.UTF_8));
      out.writeBytes(payload.getBytes(StandardCharsets.UTF_8));
      out.writeBytes("\n\n".getBytes(StandardCharsets.UTF_8));
    }
  }

  /** The closing chunks and {@code [DONE]} when the stream ended properly; nothing otherwise. */
  @Override
  public ByteBuffer remainder() {
    if (errorMessage == null && translator.done()) {
      write(translator.end());
      out.writeBytes(DONE);
    }
    return drain();
  }

  @Override
  public String model() {
    return translator.model();
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
    GeminiUsage u = translator.usage();
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
    return errorMessage == null && translator.done();
  }
}
