package io.gatehouse.proxy.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.provider.ChatRequestParts;
import io.gatehouse.proxy.provider.TranslationException;
import java.util.Map;
import java.util.Set;

/**
 * OpenAI chat completions request → Anthropic Messages request. No network I/O; stateless and
 * thread-safe.
 *
 * <p>What does not translate is refused with a {@link TranslationException} naming the OpenAI path,
 * never dropped silently when dropping would change the answer (n, logprobs, response_format, audio).
 * Sampling knobs Anthropic lacks and that only tune the answer (seed, penalties, logit_bias,
 * reasoning_effort, stream_options) are ignored: Anthropic always reports usage in streams. What
 * every translation reads alike is read by {@link ChatRequestParts}.
 */
public final class AnthropicRequests {
  /** Anthropic requires max_tokens; OpenAI does not. Used when the client sets neither limit. */
  public static final int DEFAULT_MAX_TOKENS = 4096;

  /** Image media types Anthropic accepts for base64 sources. */
  private static final Set<String> IMAGE_MEDIA_TYPES =
      Set.of("image/jpeg", "image/png", "image/gif", "image/webp");

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ChatRequestParts PARTS = new ChatRequestParts("Anthropic", "content",
      text -> NODES.objectNode().put("type", "text").put("text", text));

  private AnthropicRequests() {}

  /**
   * Builds the Anthropic request; does not modify {@code openAiRequest}.
   *
   * @throws TranslationException when the request cannot be expressed for Anthropic models
   */
  public static ObjectNode fromChatCompletion(ObjectNode openAiRequest, String upstreamModel) {
    ObjectNode out = NODES.objectNode();
    out.put("model", upstreamModel);
    translateMessages(openAiRequest.get("messages"), out);
    out.put("max_tokens", maxTokens(openAiRequest));
    refuseUnsupported(openAiRequest);

    JsonNode stop = openAiRequest.get("stop");
    if (stop != null && !stop.isNull()) {
      out.set("stop_sequences", ChatRequestParts.stopSequences(stop));
    }
    JsonNode temperature = openAiRequest.get("temperature");
    if (temperature != null && !temperature.isNull()) {
      double t = ChatRequestParts.number(temperature, "temperature");
      if (t < 0 || t > 1) {
        throw new TranslationException("temperature",
            "must be between 0 and 1 for Anthropic models (got " + temperature.asText() + ")");
      }
      out.set("temperature", temperature);
    }
    JsonNode topP = openAiRequest.get("top_p");
    if (topP != null && !topP.isNull()) {
      ChatRequestParts.number(topP, "top_p");
      out.set("top_p", topP);
    }
    Boolean stream = ChatRequestParts.stream(openAiRequest);
    if (stream != null) {
      out.put("stream", stream);
    }
    JsonNode user = openAiRequest.get("user");
    if (user != null && !user.isNull()) {
      if (!user.isTextual()) {
        throw new TranslationException("user", "must be a string");
      }
      out.putObject("metadata").put("user_id", user.textValue());
    }
    translateTools(openAiRequest, out);
    return out;
  }

  // ---- messages ----

  private static void translateMessages(JsonNode messages, ObjectNode out) {
    ArrayNode system = NODES.arrayNode();
    ArrayNode turns = PARTS.turns(messages, system, "assistant",
        Map.of("image_url", AnthropicRequests::image), AnthropicRequests::toolUse, AnthropicRequests::toolResult);
    if (system.size() == 1) {
      out.put("system", system.get(0).get("text").textValue());
    } else if (!system.isEmpty()) {
      out.set("system", system);
    }
    out.set("messages", turns);
  }

  private static ObjectNode toolUse(ChatRequestParts.ToolCall call) {
    ObjectNode block = NODES.objectNode();
    block.put("type", "tool_use");
    block.put("id", call.id());
    block.put("name", call.name());
    block.set("input", call.arguments());
    return block;
  }

  private static ArrayNode toolResult(JsonNode message, String at) {
    ObjectNode block = NODES.objectNode();
    block.put("type", "tool_result");
    block.put("tool_use_id", ChatRequestParts.toolCallId(message, at));
    JsonNode content = message.get("content");
    if (content != null && content.isTextual()) {
      block.put("content", content.textValue());
    } else if (content != null && content.isArray()) {
      ArrayNode parts = NODES.arrayNode();
      PARTS.textParts(content, at + ".content", parts);
      block.set("content", parts);
    } else {
      throw new TranslationException(at + ".content", "must be a string or an array of text parts");
    }
    ArrayNode blocks = NODES.arrayNode();
    blocks.add(block);
    return blocks;
  }

  private static ObjectNode image(JsonNode imageUrl, String at) {
    ChatRequestParts.Url image = ChatRequestParts.imageUrl(imageUrl, at);
    String url = image.url();
    String urlAt = image.at();
    ObjectNode block = NODES.objectNode();
    block.put("type", "image");
    ObjectNode source = block.putObject("source");
    if (url.startsWith("data:")) {
      // data:[<media type>][;base64],<data>
      ChatRequestParts.DataUrl data = ChatRequestParts.base64DataUrl(url);
      if (data == null) {
        throw new TranslationException(urlAt, "a data: URL must be base64-encoded (data:<media type>;base64,<data>)");
      }
      if (!IMAGE_MEDIA_TYPES.contains(data.mediaType())) {
        throw new TranslationException(urlAt, "unsupported image media type '" + data.mediaType()
            + "' for Anthropic models (use image/jpeg, image/png, image/gif or image/webp)");
      }
      source.put("type", "base64");
      source.put("media_type", data.mediaType());
      source.put("data", data.base64());
    } else if (url.startsWith("https://") || url.startsWith("http://")) {
      source.put("type", "url");
      source.put("url", url);
    } else {
      throw new TranslationException(urlAt, "must be an http(s) URL or a base64 data: URL");
    }
    return block;
  }

  // ---- tools ----

  private static void translateTools(ObjectNode request, ObjectNode out) {
    JsonNode tools = request.get("tools");
    if (tools == null || tools.isNull() || tools.isEmpty()) {
      // without tools there is nothing to choose; OpenAI allows tool_choice "none" alone
      return;
    }
    if (!tools.isArray()) {
      throw new TranslationException("tools", "must be an array");
    }
    ArrayNode translated = out.putArray("tools");
    for (ChatRequestParts.FunctionTool tool : PARTS.functionTools(tools)) {
      ObjectNode t = translated.addObject();
      t.put("name", tool.name());
      if (tool.description() != null) {
        t.put("description", tool.description());
      }
      if (tool.parameters() == null) {
        // OpenAI: omitted parameters = no arguments; Anthropic requires an object schema
        t.putObject("input_schema").put("type", "object").putObject("properties");
      } else {
        t.set("input_schema", tool.parameters()); // a copy: the result shares no node with the input
      }
    }

    ObjectNode choice = toolChoice(request.get("tool_choice"));
    JsonNode parallel = request.get("parallel_tool_calls");
    boolean sequential = parallel != null && parallel.isBoolean() && !parallel.booleanValue();
    if (sequential && (choice == null || !choice.get("type").textValue().equals("none"))) {
      if (choice == null) {
        choice = NODES.objectNode().put("type", "auto");
      }
      choice.put("disable_parallel_tool_use", true);
    }
    if (choice != null) {
      out.set("tool_choice", choice);
    }
  }

  private static ObjectNode toolChoice(JsonNode choice) {
    ChatRequestParts.ToolChoice c = PARTS.toolChoice(choice);
    if (c == null) {
      return null;
    }
    return switch (c.mode()) {
      case "required" -> NODES.objectNode().put("type", "any");
      case "function" -> NODES.objectNode().put("type", "tool").put("name", c.function());
      default -> NODES.objectNode().put("type", c.mode()); // auto, none
    };
  }

  // ---- scalars ----

  private static int maxTokens(ObjectNode request) {
    Integer maxTokens = ChatRequestParts.maxTokens(request);
    return maxTokens == null ? DEFAULT_MAX_TOKENS : maxTokens;
  }

  /** Parameters whose effect would silently be lost: refused rather than ignored. */
  private static void refuseUnsupported(ObjectNode request) {
    JsonNode n = request.get("n");
    if (n != null && !n.isNull() && n.asInt(1) != 1) {
      throw new TranslationException("n", "Anthropic models return one choice; n must be 1");
    }
    if (request.path("logprobs").asBoolean(false)) {
      throw new TranslationException("logprobs", "logprobs are not available for Anthropic models");
    }
    String format = request.path("response_format").path("type").asText("text");
    if (!format.equals("text")) {
      throw new TranslationException("response_format.type",
          "response_format '" + format + "' is not supported for Anthropic models yet");
    }
    if (request.hasNonNull("audio")) {
      throw new TranslationException("audio", "audio output is not supported for Anthropic models");
    }
    PARTS.refuseFunctions(request);
  }
}
