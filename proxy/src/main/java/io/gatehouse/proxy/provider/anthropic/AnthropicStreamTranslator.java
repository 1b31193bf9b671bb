package io.gatehouse.proxy.provider.anthropic;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns one Anthropic Messages SSE stream into OpenAI {@code chat.completion.chunk}s, event by event:
 * every chunk is returned by the {@link #onEvent} call whose event caused it, nothing is buffered. The
 * caller frames each returned string as {@code data: <json>\n\n} and sends {@code data: [DONE]} after
 * {@code message_stop}.
 *
 * <p>Mapping: {@code message_start} → the role chunk; {@code content_block_start} of a tool_use → a
 * tool_calls chunk (index, id, name, empty arguments); {@code text_delta} → content;
 * {@code input_json_delta} → tool_calls arguments, the partial JSON as is; {@code message_delta} →
 * the finish_reason chunk; {@code message_stop} → the usage chunk ({@code choices: []}) when the client
 * asked for {@code stream_options.include_usage}. {@code ping}, block stops, thinking and unknown
 * events → nothing. {@code error} → one OpenAI error body (not a chunk), and {@link #error()} is set:
 * the caller sends it as a data line and ends the stream.
 *
 * <p>Not thread-safe: one translator per request, fed by one thread at a time.
 */
public final class AnthropicStreamTranslator {
  /** A factory with a codec, so that generators can write trees (the usage object). */
  private static final JsonFactory JSON = new ObjectMapper().getFactory();
  /** Bound on the completion text kept for the event (characters). */
  static final int MAX_COMPLETION_CHARS = 1 << 20;

  private final String modelForClient;
  private final boolean includeUsage;
  private final long created;

  /** Anthropic content block index → OpenAI tool_calls index (tool calls count from 0). */
  private final Map<Integer, Integer> toolIndexByBlock = new HashMap<>();
  private final StringBuilder completion = new StringBuilder();
  private String id = "";
  private String upstreamModel;
  private AnthropicUsage usage;
  private String finishReason;
  private AnthropicErrors.OpenAiError error;
  private boolean done;

  /** As the three-argument constructor, {@code created} read from the system clock. */
  public AnthropicStreamTranslator(String modelForClient, boolean includeUsage) {
    this(modelForClient, includeUsage, Clock.systemUTC().millis() / 1000);
  }

  /**
   * @param modelForClient the {@code model} of chunks until {@code message_start} names the model that
   *     answers (every chunk after it carries that one, as OpenAI names the dated model)
   * @param includeUsage whether the client asked for {@code stream_options.include_usage}
   * @param created the {@code created} field of every chunk, epoch seconds
   */
  public AnthropicStreamTranslator(String modelForClient, boolean includeUsage, long created) {
    this.modelForClient = modelForClient;
    this.includeUsage = includeUsage;
    this.created = created;
  }

  /**
   * Consumes one SSE event and returns the JSON payloads to send now, in order, possibly none.
   *
   * @param eventType the SSE {@code event:} field; when null, the {@code type} inside {@code data}
   * @param data the parsed {@code data:} JSON
   */
  public List<String> onEvent(String eventType, JsonNode data) {
    String type = eventType != null ? eventType : data.path("type").asText("");
    return switch (type) {
      case "message_start" -> messageStart(data.path("message"));
      case "content_block_start" -> blockStart(data.path("index").asInt(), data.path("content_block"));
      case "content_block_delta" -> blockDelta(data.path("index").asInt(), data.path("delta"));
      case "message_delta" -> messageDelta(data);
      case "message_stop" -> messageStop();
      case "error" -> error(data.path("error"));
      default -> List.of(); // ping, content_block_stop, events added later
    };
  }

  private List<String> messageStart(JsonNode message) {
    id = message.path("id").asText("");
    upstreamModel = message.path("model").asText(null);
    usage = AnthropicUsage.of(message.get("usage"));
    return List.of(chunk(g -> {
      g.writeStringField("role", "assistant");
      g.writeStringField("content", "");
    }, null));
  }

  private List<String> blockStart(int index, JsonNode block) {
    String type = block.path("type").asText("");
    if (type.equals("text")) {
      return text(block.path("text").asText(""));
    }
    if (!type.equals("tool_use")) {
      return List.of(); // thinking, server tools: not represented
    }
    int toolIndex = toolIndexByBlock.size();
    toolIndexByBlock.put(index, toolIndex);
    String callId = block.path("id").asText("");
    String name = block.path("name").asText("");
    return List.of(chunk(g -> {
      g.writeArrayFieldStart("tool_calls");
      g.writeStartObject();
      g.writeNumberField("index", toolIndex);
      g.writeStringField("id", callId);
      g.writeStringField("type", "function");
      g.writeObjectFieldStart("function");
      g.writeStringField("name", name);
      g.writeStringField("arguments", "");
      g.writeEndObject();
      g.writeEndObject();
      g.writeEndArray();
    }, null));
  }

  private List<String> blockDelta(int index, JsonNode delta) {
    switch (delta.path("type").asText("")) {
      case "text_delta" -> {
        return text(delta.path("text").asText(""));
      }
      case "input_json_delta" -> {
        Integer toolIndex = toolIndexByBlock.get(index);
        String partial = delta.path("partial_json").asText("");
        if (toolIndex == null || partial.isEmpty()) {
          return List.of();
        }
        return List.of(chunk(g -> {
          g.writeArrayFieldStart("tool_calls");
          g.writeStartObject();
          g.writeNumberField("index", toolIndex);
          g.writeObjectFieldStart("function");
          g.writeStringField("arguments", partial);
          g.writeEndObject();
          g.writeEndObject();
          g.writeEndArray();
        }, null));
      }
      default -> {
        return List.of(); // thinking_delta, signature_delta, citations_delta
      }
    }
  }

  private List<String> text(String text) {
    if (text.isEmpty()) {
      return List.of();
    }
    if (completion.length() < MAX_COMPLETION_CHARS) {
      completion.append(text, 0, Math.min(text.length(), MAX_COMPLETION_CHARS - completion.length()));
    }
    return List.of(chunk(g -> g.writeStringField("content", text), null));
  }

  private List<String> messageDelta(JsonNode data) {
    // message_delta usage is cumulative; it may repeat the input counts or carry only output_tokens
    AnthropicUsage delta = AnthropicUsage.of(data.get("usage"));
    usage = usage == null ? delta : usage.updatedBy(delta);
    String mapped = AnthropicResponses.finishReason(data.path("delta").path("stop_reason").asText(null));
    if (mapped == null) {
      return List.of();
    }
    finishReason = mapped;
    return List.of(chunk(g -> { }, mapped));
  }

  private List<String> messageStop() {
    done = true;
    if (!includeUsage || usage == null) {
      return List.of();
    }
    ObjectNode openAiUsage = AnthropicResponses.openAiUsage(usage);
    return List.of(write(g -> {
      header(g);
      g.writeArrayFieldStart("choices");
      g.writeEndArray();
      g.writeFieldName("usage");
      g.writeTree(openAiUsage);
      g.writeEndObject();
    }));
  }

  private List<String> error(JsonNode anthropicError) {
    String type = anthropicError.path("type").asText("api_error");
    String message = anthropicError.path("message").asText("Anthropic stream error");
    ObjectNode body = AnthropicErrors.openAiBody(type, message);
    // a stream error arrives after the 200: the status is only for the event record
    int status = AnthropicErrors.clientStatus(AnthropicErrors.anthropicStatus(type));
    error = new AnthropicErrors.OpenAiError(status, body);
    return List.of(body.toString());
  }

  /** A chunk for choice 0 with the delta written by {@code delta} and the given finish_reason. */
  private String chunk(Writes delta, String finish) {
    return write(g -> {
      header(g);
      g.writeArrayFieldStart("choices");
      g.writeStartObject();
      g.writeNumberField("index", 0);
      g.writeObjectFieldStart("delta");
      delta.write(g);
      g.writeEndObject();
      g.writeNullField("logprobs");
      if (finish == null) {
        g.writeNullField("finish_reason");
      } else {
        g.writeStringField("finish_reason", finish);
      }
      g.writeEndObject();
      g.writeEndArray();
      g.writeEndObject();
    });
  }

  /** Starts the chunk object and writes the fields every chunk shares. */
  private void header(JsonGenerator g) throws IOException {
    g.writeStartObject();
    g.writeStringField("id", id);
    g.writeStringField("object", "chat.completion.chunk");
    g.writeNumberField("created", created);
    g.writeStringField("model", upstreamModel != null ? upstreamModel : modelForClient);
  }

  private static String write(Writes body) {
    StringWriter out = new StringWriter(256);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      body.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException("writing to a StringWriter cannot fail", e);
    }
    return out.toString();
  }

  @FunctionalInterface
  private interface Writes {
    void write(JsonGenerator g) throws IOException;
  }

  /** Usage so far (final after {@code message_delta}); null before {@code message_start}. */
  public AnthropicUsage usage() {
    return usage;
  }

  /** The OpenAI finish_reason, null until {@code message_delta} says why the message stopped. */
  public String finishReason() {
    return finishReason;
  }

  /** The streamed text so far, capped at {@value #MAX_COMPLETION_CHARS} characters. */
  public String completionText() {
    return completion.toString();
  }

  /** The model Anthropic says answered (from {@code message_start}), or null. */
  public String upstreamModel() {
    return upstreamModel;
  }

  /** The error the stream ended with, or null; the body was already returned by {@link #onEvent}. */
  public AnthropicErrors.OpenAiError error() {
    return error;
  }

  /** Whether {@code message_stop} arrived: the caller may send {@code data: [DONE]}. */
  public boolean done() {
    return done;
  }
}
