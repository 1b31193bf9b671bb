package io.gatehouse.proxy.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.provider.Usage;
import java.io.IOException;

/**
 * Translation for OpenAI's chat completions API (also used by openai-compatible providers). No
 * network I/O here; stateless and thread-safe.
 */
public final class OpenAiChat {
  private static final ObjectMapper JSON = new ObjectMapper();

  private OpenAiChat() {}

  /**
   * The body sent upstream: the client's request with {@code model} replaced by the upstream model
   * name and, for streams, {@code stream_options.include_usage: true} so that usage is always known.
   * Mutates {@code request} (the client's {@code stream_options} node itself is copied, not changed).
   */
  public static byte[] upstreamBody(ObjectNode request, String upstreamModel, boolean stream) {
    request.put("model", upstreamModel);
    if (stream) {
      JsonNode existing = request.get("stream_options");
      ObjectNode options = existing != null && existing.isObject()
          ? ((ObjectNode) existing).deepCopy() : JsonNodeFactory.instance.objectNode();
      options.put("include_usage", true);
      request.set("stream_options", options);
    }
    try {
      return JSON.writeValueAsBytes(request);
    } catch (IOException e) {
      throw new IllegalStateException("a parsed request must serialise", e);
    }
  }

  /** True when the client itself asked for the usage chunk of a stream. */
  public static boolean clientWantsStreamUsage(JsonNode request) {
    return request.path("stream_options").path("include_usage").asBoolean(false);
  }

  /** Usage from an OpenAI {@code usage} object; null when absent. */
  public static Usage usage(JsonNode usage) {
    if (usage == null || !usage.isObject()) {
      return null;
    }
    return new Usage(
        longOrNull(usage.get("prompt_tokens")),
        longOrNull(usage.get("completion_tokens")),
        longOrNull(usage.path("prompt_tokens_details").get("cached_tokens")),
        longOrNull(usage.path("completion_tokens_details").get("reasoning_tokens")));
  }

  /** What a non-streamed {@code chat.completion} says, for the event. */
  public record Completion(String model, String finishReason, String text, Usage usage) {}

  /** Parses a non-streamed success body; null fields when the body does not have them. */
  public static Completion parseCompletion(byte[] body) {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (IOException e) {
      return new Completion(null, null, null, null);
    }
    if (root == null || !root.isObject()) {
      return new Completion(null, null, null, null);
    }
    JsonNode choice = root.path("choices").path(0);
    JsonNode content = choice.path("message").get("content");
    return new Completion(
        textOrNull(root.get("model")),
        textOrNull(choice.get("finish_reason")),
        content != null && content.isTextual() ? content.asText() : null,
        usage(root.get("usage")));
  }

  /** An upstream error body's {@code error.message} and {@code error.type}, or null when not OpenAI-shaped. */
  public static String[] errorOf(byte[] body) {
    try {
      JsonNode root = JSON.readTree(body);
      JsonNode error = root == null ? null : root.get("error");
      if (error != null && error.isObject() && error.has("message")) {
        JsonNode code = error.get("code");
        return new String[] {error.path("message").asText(), textOrNull(error.get("type")),
            code == null || code.isNull() ? null : code.asText()};
      }
    } catch (IOException e) {
      // not JSON: the caller wraps it
    }
    return null;
  }

  /** A flat {@code {"object":"error","message":...}} body and the same in OpenAI's shape. */
  public record FlatError(String message, String type, byte[] wrapped) {}

  /**
   * A flat error body ({@code {"object": "error", "message": ..., "type": ..., "param": ..., "code":
   * ...}}, as older vLLM answers), or null for anything else.
   */
  public static FlatError flatErrorOf(byte[] body) {
    try {
      JsonNode root = JSON.readTree(body);
      if (root == null || !root.isObject() || !"error".equals(root.path("object").asText())
          || !root.path("message").isTextual()) {
        return null;
      }
      ObjectNode wrapped = JSON.createObjectNode();
      ObjectNode error = wrapped.putObject("error");
      error.put("message", root.path("message").asText());
      error.set("type", root.path("type").isTextual() ? root.get("type") : error.textNode("upstream_error"));
      error.set("param", root.hasNonNull("param") ? root.get("param") : error.nullNode());
      error.set("code", root.hasNonNull("code") ? root.get("code") : error.nullNode());
      return new FlatError(root.path("message").asText(), error.path("type").asText(), JSON.writeValueAsBytes(wrapped));
    } catch (IOException e) {
      return null;
    }
  }

  static Long longOrNull(JsonNode n) {
    return n != null && n.isNumber() ? n.asLong() : null;
  }

  static String textOrNull(JsonNode n) {
    return n != null && n.isTextual() ? n.asText() : null;
  }
}
