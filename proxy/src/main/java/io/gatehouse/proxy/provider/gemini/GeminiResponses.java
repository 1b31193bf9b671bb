package io.gatehouse.proxy.provider.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.UUID;

/**
 * Gemini {@code GenerateContentResponse} → OpenAI {@code chat.completion}. No network I/O; stateless
 * and thread-safe. The pieces (part reading, finish reasons, ids) are shared with
 * {@link GeminiStreamTranslator}, since every streamed event is itself a {@code GenerateContentResponse}.
 */
final class GeminiResponses {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private GeminiResponses() {}

  /**
   * The OpenAI completion for a non-streamed Gemini answer: one choice per candidate, its text parts
   * joined into {@code message.content} (thought parts left out: they are not the answer; null when
   * there are only function calls), {@code functionCall} parts as {@code tool_calls}. A prompt Gemini
   * blocked ({@code promptFeedback.blockReason}, no candidates) becomes one empty choice with
   * {@code finish_reason: content_filter}, as OpenAI answers filtered content.
   *
   * @param modelForClient the {@code model} when Gemini names no {@code modelVersion}
   * @param created the {@code created} field, epoch seconds
   */
  static ObjectNode toChatCompletion(JsonNode response, String modelForClient, long created) {
    ObjectNode out = NODES.objectNode();
    String responseId = responseId(response);
    out.put("id", completionId(responseId));
    out.put("object", "chat.completion");
    out.put("created", created);
    out.put("model", response.path("modelVersion").asText(modelForClient));
    ArrayNode choices = out.putArray("choices");
    int calls = 0;
    JsonNode candidates = response.path("candidates");
    for (int i = 0; i < candidates.size(); i++) {
      JsonNode candidate = candidates.get(i);
      StringBuilder text = new StringBuilder();
      ArrayNode toolCalls = NODES.arrayNode();
      for (JsonNode part : candidate.path("content").path("parts")) {
        if (isAnswerText(part)) {
          text.append(part.get("text").textValue());
        } else if (part.has("functionCall")) {
          toolCalls.add(toolCall(part, GeminiToolCallIds.of(part, responseId, calls++)));
        }
      }
      ObjectNode message = choice(choices, candidate.path("index").asInt(i),
          finishReason(candidate.path("finishReason").asText(null), !toolCalls.isEmpty()));
      if (text.length() > 0 || toolCalls.isEmpty()) {
        message.put("content", text.toString());
      } else {
        message.putNull("content");
      }
      if (!toolCalls.isEmpty()) {
        message.set("tool_calls", toolCalls);
      }
    }
    if (choices.isEmpty()) {
      choice(choices, 0, isBlocked(response) ? "content_filter" : "stop").put("content", "");
    }
    GeminiUsage usage = GeminiUsage.of(response.get("usageMetadata"));
    if (usage != null) {
      out.set("usage", usage.toOpenAi());
    }
    return out;
  }

  /** Appends a choice and returns its (still contentless) message. */
  private static ObjectNode choice(ArrayNode choices, int index, String finishReason) {
    ObjectNode choice = choices.addObject();
    choice.put("index", index);
    ObjectNode message = choice.putObject("message");
    message.put("role", "assistant");
    choice.putNull("logprobs");
    choice.put("finish_reason", finishReason == null ? "stop" : finishReason);
    message.putNull("refusal");
    return message;
  }

  /** Whether a part is answer text: a text part that is not a thought summary. */
  static boolean isAnswerText(JsonNode part) {
    JsonNode text = part.get("text");
    return text != null && text.isTextual() && !part.path("thought").asBoolean(false);
  }

  /** An OpenAI tool call for a {@code functionCall} part; the arguments are the JSON text of {@code args}. */
  static ObjectNode toolCall(JsonNode part, String id) {
    JsonNode call = part.path("functionCall");
    ObjectNode out = NODES.objectNode();
    out.put("id", id);
    out.put("type", "function");
    ObjectNode function = out.putObject("function");
    function.put("name", call.path("name").asText(""));
    JsonNode args = call.get("args");
    function.put("arguments", args == null || args.isNull() ? "{}" : args.toString());
    return out;
  }

  /** Whether Gemini refused the prompt itself ({@code promptFeedback.blockReason}). */
  static boolean isBlocked(JsonNode response) {
    return response.path("promptFeedback").hasNonNull("blockReason");
  }

  /**
   * Gemini {@code finishReason} → OpenAI {@code finish_reason}; null stays null (not finished yet).
   * Gemini says STOP after function calls too, which OpenAI calls {@code tool_calls}. Safety-type
   * reasons are {@code content_filter}; any other reason (OTHER, MALFORMED_FUNCTION_CALL, reasons
   * added later) reads as {@code stop}.
   */
  static String finishReason(String geminiReason, boolean hasToolCalls) {
    if (geminiReason == null || geminiReason.equals("FINISH_REASON_UNSPECIFIED")) {
      return null;
    }
    return switch (geminiReason) {
      case "MAX_TOKENS" -> "length";
      case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY" -> "content_filter";
      default -> hasToolCalls ? "tool_calls" : "stop";
    };
  }

  /** Gemini's {@code responseId}, or null. */
  static String responseId(JsonNode response) {
    String id = response.path("responseId").asText("");
    return id.isEmpty() ? null : id;
  }

  /** The OpenAI completion id: {@code chatcmpl-} and Gemini's {@code responseId} (random without one). */
  static String completionId(String responseId) {
    return "chatcmpl-" + (responseId != null ? responseId : UUID.randomUUID().toString().replace("-", ""));
  }
}
