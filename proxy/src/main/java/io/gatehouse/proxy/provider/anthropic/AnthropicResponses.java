package io.gatehouse.proxy.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;

/**
 * Anthropic Messages response → OpenAI {@code chat.completion}. No network I/O; stateless and
 * thread-safe.
 */
public final class AnthropicResponses {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private AnthropicResponses() {}

  /** As {@link #toChatCompletion(JsonNode, String, long)}, {@code created} read from the system clock. */
  public static ObjectNode toChatCompletion(JsonNode anthropicMessage, String modelForClient) {
    return toChatCompletion(anthropicMessage, modelForClient, Clock.systemUTC().millis() / 1000);
  }

  /**
   * The OpenAI completion for a non-streamed Anthropic message: text blocks concatenated into
   * {@code message.content} (null when there is none but tool calls), {@code tool_use} blocks as
   * {@code tool_calls}, {@code stop_reason} mapped by {@link #finishReason}. Other blocks (thinking,
   * server tools) are not represented.
   *
   * @param created the {@code created} field, epoch seconds
   */
  public static ObjectNode toChatCompletion(
      JsonNode anthropicMessage, String modelForClient, long created) {
    ObjectNode out = NODES.objectNode();
    out.put("id", anthropicMessage.path("id").asText(""));
    out.put("object", "chat.completion");
    out.put("created", created);
    out.put("model", modelForClient);

    StringBuilder text = new StringBuilder();
    boolean hasText = false;
    ArrayNode toolCalls = NODES.arrayNode();
    for (JsonNode block : anthropicMessage.path("content")) {
      switch (block.path("type").asText("")) {
        case "text" -> {
          text.append(block.path("text").asText(""));
          hasText = true;
        }
        case "tool_use" -> {
          ObjectNode call = toolCalls.addObject();
          call.put("id", block.path("id").asText(""));
          call.put("type", "function");
          ObjectNode function = call.putObject("function");
          function.put("name", block.path("name").asText(""));
          JsonNode input = block.get("input");
          function.put("arguments", input == null || input.isNull() ? "{}" : input.toString());
        }
        default -> { } // thinking, redacted_thinking, server tool blocks: no OpenAI equivalent here
      }
    }

    ObjectNode choice = out.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode message = choice.putObject("message");
    message.put("role", "assistant");
    if (hasText || toolCalls.isEmpty()) {
      message.put("content", text.toString());
    } else {
      message.putNull("content");
    }
    message.putNull("refusal");
    if (!toolCalls.isEmpty()) {
      message.set("tool_calls", toolCalls);
    }
    choice.putNull("logprobs");
    String finish = finishReason(anthropicMessage.path("stop_reason").asText(null));
    if (finish == null) {
      choice.putNull("finish_reason");
    } else {
      choice.put("finish_reason", finish);
    }

    AnthropicUsage usage = usage(anthropicMessage);
    if (usage != null) {
      out.set("usage", openAiUsage(usage));
    }
    return out;
  }

  /** The provider-neutral usage of a non-streamed message (see {@link AnthropicUsage#toUsage()}). */
  public static AnthropicUsage usage(JsonNode anthropicMessage) {
    return AnthropicUsage.of(anthropicMessage.get("usage"));
  }

  /**
   * Anthropic {@code stop_reason} → OpenAI {@code finish_reason}; null stays null. {@code pause_turn}
   * (a server tool paused a long turn) has no OpenAI equivalent and reads as {@code stop}; so does
   * any reason added later, since the answer itself is complete.
   */
  public static String finishReason(String stopReason) {
    if (stopReason == null) {
      return null;
    }
    return switch (stopReason) {
      case "max_tokens", "model_context_window_exceeded" -> "length";
      case "tool_use" -> "tool_calls";
      case "refusal" -> "content_filter";
      default -> "stop"; // end_turn, stop_sequence, pause_turn, unknown
    };
  }

  /** OpenAI's {@code usage} object: prompt counts cached tokens, as OpenAI's does. */
  static ObjectNode openAiUsage(AnthropicUsage usage) {
    ObjectNode out = NODES.objectNode();
    long prompt = usage.promptTokens() == null ? 0 : usage.promptTokens();
    long completion = usage.outputTokens() == null ? 0 : usage.outputTokens();
    out.put("prompt_tokens", prompt);
    out.put("completion_tokens", completion);
    out.put("total_tokens", prompt + completion);
    out.putObject("prompt_tokens_details")
        .put("cached_tokens", usage.cacheReadTokens() == null ? 0 : usage.cacheReadTokens());
    return out;
  }
}
