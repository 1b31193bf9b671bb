package io.gatehouse.proxy.provider.anthropic;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.proxy.provider.SseParser;
import io.gatehouse.proxy.provider.Usage;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Reads a forwarded Anthropic Messages stream for the event without changing a byte of it: the
 * forwarder hands every piece to {@link #observe} and writes the piece itself. Collects the model and
 * input/cache tokens ({@code message_start}), text ({@code text_delta}, bounded), stop reason and
 * output tokens ({@code message_delta}), whether {@code message_stop} arrived, and an in-stream
 * {@code error} event. Also reads a non-streamed message ({@link #ofMessage}). No network I/O.
 *
 * <p>Not thread-safe: one tap per stream.
 */
public final class MessagesTap {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final SseParser parser = new SseParser(this::onEvent);
  private final StringBuilder text = new StringBuilder();
  private String model;
  private String stopReason;
  private AnthropicUsage usage;
  private boolean stopped;
  private String errorType;
  private String errorMessage;

  /** Parses a copy of {@code piece}'s remaining bytes; {@code piece} itself is not consumed. */
  public void observe(ByteBuffer piece) {
    parser.feed(piece.duplicate());
  }

  /** The same summary for a non-streamed message body (already parsed). */
  public static MessagesTap ofMessage(JsonNode message) {
    MessagesTap tap = new MessagesTap();
    tap.model = message.path("model").asText(null);
    tap.stopReason = message.path("stop_reason").asText(null);
    tap.usage = AnthropicResponses.usage(message);
    for (JsonNode block : message.path("content")) {
      if (block.path("type").asText("").equals("text")) {
        tap.appendText(block.path("text").asText(""));
      }
    }
    tap.stopped = true;
    return tap;
  }

  private void onEvent(String event, String data) {
    if ("content_block_delta".equals(event)) {
      onDelta(data); // nearly every event of a stream: read without building a tree
      return;
    }
    JsonNode json;
    try {
      json = JSON.readTree(data);
    } catch (IOException e) {
      return; // not ours to judge: the client gets the frame as the upstream sent it
    }
    if (json == null) {
      return;
    }
    switch (event != null ? event : json.path("type").asText("")) {
      case "message_start" -> {
        JsonNode message = json.path("message");
        model = message.path("model").asText(null);
        usage = AnthropicUsage.of(message.get("usage"));
      }
      case "content_block_start" -> {
        JsonNode block = json.path("content_block");
        if (block.path("type").asText("").equals("text")) {
          appendText(block.path("text").asText(""));
        }
      }
      case "content_block_delta" -> {
        JsonNode delta = json.path("delta");
        if (delta.path("type").asText("").equals("text_delta")) {
          appendText(delta.path("text").asText(""));
        }
      }
      case "message_delta" -> {
        stopReason = json.path("delta").path("stop_reason").asText(stopReason);
        AnthropicUsage later = AnthropicUsage.of(json.get("usage"));
        usage = usage == null ? later : usage.updatedBy(later);
      }
      case "message_stop" -> stopped = true;
      case "error" -> {
        errorType = json.path("error").path("type").asText("api_error");
        errorMessage = json.path("error").path("message").asText("error event in the stream");
      }
      default -> { } // ping, content_block_stop, events added later
    }
  }

  /**
   * A {@code content_block_delta}: appends {@code delta.text} when {@code delta.type} is {@code text_delta},
   * as the tree path does, reading only those two fields (the last of duplicate keys wins, as in a tree).
   * Data that is not one JSON object is ignored, like a frame the tree path cannot parse.
   */
  private void onDelta(String data) {
    String type = null;
    String deltaText = null;
    try (JsonParser p = JSON.getFactory().createParser(data)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if (!name.equals("delta")) {
          p.skipChildren();
          continue;
        }
        type = null;
        deltaText = null;
        if (value != JsonToken.START_OBJECT) {
          p.skipChildren();
          continue;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String field = p.currentName();
          JsonToken v = p.nextToken();
          if (field.equals("type")) {
            type = v == JsonToken.VALUE_STRING ? p.getText() : null;
          } else if (field.equals("text")) {
            deltaText = v.isScalarValue() && v != JsonToken.VALUE_NULL ? p.getText() : null;
          }
          p.skipChildren();
        }
      }
      if (p.currentToken() != JsonToken.END_OBJECT) {
        return;
      }
    } catch (IOException e) {
      return; // not ours to judge: the client gets the frame as the upstream sent it
    }
    if ("text_delta".equals(type)) {
      appendText(deltaText == null ? "" : deltaText);
    }
  }

  private void appendText(String piece) {
    int room = AnthropicStreamTranslator.MAX_COMPLETION_CHARS - text.length();
    text.append(piece, 0, Math.max(0, Math.min(room, piece.length())));
  }

  public String model() {
    return model;
  }

  /** Anthropic's {@code stop_reason}, or null when none arrived. */
  public String stopReason() {
    return stopReason;
  }

  public String text() {
    return text.isEmpty() ? null : text.toString();
  }

  public Usage usage() {
    return usage == null ? null : usage.toUsage();
  }

  /** Whether {@code message_stop} arrived: the stream ended the way a complete answer ends. */
  public boolean stopped() {
    return stopped;
  }

  /** The type of an in-stream {@code error} event, or null. */
  public String errorType() {
    return errorType;
  }

  public String errorMessage() {
    return errorMessage;
  }
}
