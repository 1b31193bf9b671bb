package io.gatehouse.proxy.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;

/**
 * The scaffolding of a {@link ChatStream} that turns another provider's SSE stream (Anthropic,
 * Gemini, …) into OpenAI SSE as it arrives: an {@link SseParser} frames the upstream bytes and hands
 * each complete event to {@link #onEvent}, the subclass translates it and {@link #write}s OpenAI
 * payloads, each framed as {@code data: <json>\n\n} and returned by the {@link #feed} call that
 * completed the event. The error the stream reported, if any, is kept for {@link #errorMessage()} and
 * {@link #errorType()}. What the answer was (model, finish reason, text, usage) is read from the
 * provider's translator through the suppliers given to the constructor; whether the stream reached its
 * proper end the subclass says.
 *
 * <p>Not thread-safe: one per stream.
 */
public abstract class TranslatedStream implements ChatStream {
  private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);
  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final SseParser parser = new SseParser(this::onEvent);
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final Supplier<String> model;
  private final Supplier<String> finishReason;
  private final Supplier<String> completion;
  private final Supplier<Usage> usage;
  private String errorMessage;
  private String errorType;

  /**
   * @param model the model the provider says answered, or null
   * @param finishReason the OpenAI finish reason so far, or null
   * @param completion the answer text so far (bounded)
   * @param usage the usage the provider reported so far, or null
   */
  protected TranslatedStream(Supplier<String> model, Supplier<String> finishReason, Supplier<String> completion,
      Supplier<Usage> usage) {
    this.model = model;
    this.finishReason = finishReason;
    this.completion = completion;
    this.usage = usage;
  }

  @Override
  public final ByteBuffer feed(ByteBuffer piece) {
    parser.feed(piece);
    return drain();
  }

  /**
   * Nothing by default: an incomplete last event is not worth forwarding, the forwarder reports the
   * cut itself. A provider without an end marker overrides this to close the stream.
   */
  @Override
  public ByteBuffer remainder() {
    return EMPTY;
  }

  /** Translates one complete upstream event; {@code event} is null when it had no {@code event:} field. */
  protected abstract void onEvent(String event, String data);

  /** What was written since the last call, possibly nothing. */
  protected final ByteBuffer drain() {
    if (out.size() == 0) {
      return EMPTY;
    }
    ByteBuffer result = ByteBuffer.wrap(out.toByteArray());
    out.reset();
    return result;
  }

  /** Writes an OpenAI payload as a {@code data:} event. */
  protected final void write(String payload) {
    out.writeBytes("data: ".getBytes(StandardCharsets.UTF_8));
    out.writeBytes(payload.getBytes(StandardCharsets.UTF_8));
    out.writeBytes("\n\n".getBytes(StandardCharsets.UTF_8));
  }

  /** Writes OpenAI payloads, each as a {@code data:} event. */
  protected final void write(List<String> payloads) {
    for (String payload : payloads) {
      write(payload);
    }
  }

  /** Writes {@code data: [DONE]}, the end of an OpenAI stream. */
  protected final void writeDone() {
    out.writeBytes(DONE);
  }

  /** Records the error the stream reported (the first one counts for the caller to decide). */
  protected final void error(String type, String message) {
    errorType = type;
    errorMessage = message;
  }

  /** The JSON of an event's data, or null when it is not JSON. */
  protected static JsonNode json(String data) {
    try {
      return JSON.readTree(data.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public final String model() {
    return model.get();
  }

  @Override
  public final String finishReason() {
    return finishReason.get();
  }

  @Override
  public final String completion() {
    return completion.get();
  }

  @Override
  public final Usage usage() {
    return usage.get();
  }

  @Override
  public final String errorMessage() {
    return errorMessage;
  }

  @Override
  public final String errorType() {
    return errorType;
  }
}
