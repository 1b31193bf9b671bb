package io.gatehouse.proxy.provider.anthropic;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.provider.TranslationException;
import java.util.Set;

/**
 * OpenAI chat completions request → Anthropic Messages request. No network I/O; stateless and
 * thread-safe.
 *
 * <p>What does not translate is refused with a {@link TranslationException} naming the OpenAI path,
 * never dropped silently when dropping would change the answer (n, logprobs, response_format, audio).
 * Sampling knobs Anthropic lacks and that only tune the answer (seed, penalties, logit_bias,
 * reasoning_effort, stream_options) are ignored: Anthropic always reports usage in streams.
 */
public final class AnthropicRequests {
  /** Anthropic requires max_tokens; OpenAI does not. Used when the client sets neither limit. */
  public static final int DEFAULT_MAX_TOKENS = 4096;

  /** Image media types Anthropic accepts for base64 sources. */
  private static final Set<String> IMAGE_MEDIA_TYPES =
      Set.of("image/jpeg", "image/png", "image/gif", "image/webp");

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ObjectMapper JSON = new ObjectMapper();

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
      out.set("stop_sequences", stopSequences(stop));
    }
    JsonNode temperature = openAiRequest.get("temperature");
    if (temperature != null && !temperature.isNull()) {
      double t = number(temperature, "temperature");
      if (t < 0 || t > 1) {
        throw new TranslationException("temperature",
            "must be between 0 and 1 for Anthropic models (got " + temperature.asText() + ")");
      }
      out.set("temperature", temperature);
    }
    JsonNode topP = openAiRequest.get("top_p");
    if (topP != null && !topP.isNull()) {
      number(topP, "top_p");
      out.set("top_p", topP);
    }
    JsonNode stream = openAiRequest.get("stream");
    if (stream != null && !stream.isNull()) {
      if (!stream.isBoolean()) {
        throw new TranslationException("stream", "must be true or false");
      }
      out.put("stream", stream.booleanValue());
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
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw new TranslationException("messages", "must be a non-empty array of messages");
    }
    ArrayNode system = NODES.arrayNode();
    ArrayNode turns = NODES.arrayNode();
    for (int i = 0; i < messages.size(); i++) {
      String at = "messages[" + i + "]";
      JsonNode message = messages.get(i);
      if (!message.isObject()) {
        throw new TranslationException(at, "must be an object");
      }
      String role = message.path("role").asText("");
      switch (role) {
        // Anthropic has one top-level system prompt: system messages anywhere are hoisted into it
        case "system", "developer" -> textParts(message.get("content"), at + ".content", system);
        case "user" -> append(turns, "user", userBlocks(message.get("content"), at + ".content"));
        case "assistant" -> append(turns, "assistant", assistantBlocks(message, at));
        case "tool" -> append(turns, "user", toolResult(message, at));
        default -> throw new TranslationException(at + ".role",
            "unsupported role '" + role + "' for Anthropic models (use system, user, assistant or tool)");
      }
    }
    if (turns.isEmpty()) {
      throw new TranslationException("messages",
          "at least one user or assistant message is required for Anthropic models");
    }
    if (system.size() == 1) {
      out.put("system", system.get(0).get("text").textValue());
    } else if (!system.isEmpty()) {
      out.set("system", system);
    }
    out.set("messages", turns);
  }

  /** Adds blocks as a turn of {@code role}, merged into the previous turn when it has the same role. */
  private static void append(ArrayNode turns, String role, ArrayNode blocks) {
    JsonNode last = turns.isEmpty() ? null : turns.get(turns.size() - 1);
    if (last != null && role.equals(last.get("role").textValue())) {
      ((ArrayNode) last.get("content")).addAll(blocks);
      return;
    }
    ObjectNode turn = turns.addObject();
    turn.put("role", role);
    turn.set("content", blocks);
  }

  private static ArrayNode userBlocks(JsonNode content, String at) {
    ArrayNode blocks = NODES.arrayNode();
    if (content != null && content.isTextual()) {
      addText(blocks, content.textValue());
    } else if (content != null && content.isArray()) {
      for (int j = 0; j < content.size(); j++) {
        JsonNode part = content.get(j);
        String partAt = at + "[" + j + "]";
        String type = part.path("type").asText("");
        switch (type) {
          case "text" -> addText(blocks, requireText(part.get("text"), partAt + ".text"));
          case "image_url" -> blocks.add(image(part.get("image_url"), partAt + ".image_url"));
          default -> throw unsupportedPart(partAt, type);
        }
      }
    } else {
      throw new TranslationException(at, "must be a string or an array of content parts");
    }
    if (blocks.isEmpty()) {
      throw new TranslationException(at, "must not be empty for Anthropic models");
    }
    return blocks;
  }

  private static ArrayNode assistantBlocks(JsonNode message, String at) {
    ArrayNode blocks = NODES.arrayNode();
    JsonNode content = message.get("content");
    if (content != null && content.isTextual()) {
      addText(blocks, content.textValue());
    } else if (content != null && content.isArray()) {
      for (int j = 0; j < content.size(); j++) {
        JsonNode part = content.get(j);
        String partAt = at + ".content[" + j + "]";
        String type = part.path("type").asText("");
        switch (type) {
          case "text" -> addText(blocks, requireText(part.get("text"), partAt + ".text"));
          case "refusal" -> addText(blocks, requireText(part.get("refusal"), partAt + ".refusal"));
          default -> throw unsupportedPart(partAt, type);
        }
      }
    } else if (content != null && !content.isNull()) {
      throw new TranslationException(at + ".content", "must be a string, an array of content parts or null");
    }
    JsonNode toolCalls = message.get("tool_calls");
    if (toolCalls != null && !toolCalls.isNull()) {
      if (!toolCalls.isArray()) {
        throw new TranslationException(at + ".tool_calls", "must be an array");
      }
      for (int j = 0; j < toolCalls.size(); j++) {
        blocks.add(toolUse(toolCalls.get(j), at + ".tool_calls[" + j + "]"));
      }
    }
    if (message.hasNonNull("function_call")) {
      throw new TranslationException(at + ".function_call",
          "the deprecated function_call is not supported for Anthropic models; use tool_calls");
    }
    if (blocks.isEmpty()) {
      throw new TranslationException(at + ".content",
          "an assistant message needs content or tool_calls for Anthropic models");
    }
    return blocks;
  }

  private static ObjectNode toolUse(JsonNode call, String at) {
    if (!call.isObject()) {
      throw new TranslationException(at, "must be an object");
    }
    String type = call.path("type").asText("function");
    if (!type.equals("function")) {
      throw new TranslationException(at + ".type",
          "unsupported tool call type '" + type + "' for Anthropic models");
    }
    ObjectNode block = NODES.objectNode();
    block.put("type", "tool_use");
    block.put("id", requireText(call.get("id"), at + ".id"));
    JsonNode function = call.path("function");
    block.put("name", requireText(function.get("name"), at + ".function.name"));
    block.set("input", arguments(function.get("arguments"), at + ".function.arguments"));
    return block;
  }

  /** OpenAI sends arguments as a JSON string; Anthropic wants the object. An empty string means {}. */
  private static JsonNode arguments(JsonNode arguments, String at) {
    if (arguments == null || arguments.isNull()
        || (arguments.isTextual() && arguments.textValue().isBlank())) {
      return NODES.objectNode();
    }
    if (!arguments.isTextual()) {
      throw new TranslationException(at, "must be a string holding a JSON object");
    }
    JsonNode parsed;
    try {
      parsed = JSON.readTree(arguments.textValue());
    } catch (JsonProcessingException e) {
      throw new TranslationException(at, "is not valid JSON: " + e.getOriginalMessage());
    }
    if (parsed == null || !parsed.isObject()) {
      throw new TranslationException(at, "must be a JSON object for Anthropic models");
    }
    return parsed;
  }

  private static ArrayNode toolResult(JsonNode message, String at) {
    ObjectNode block = NODES.objectNode();
    block.put("type", "tool_result");
    block.put("tool_use_id", requireText(message.get("tool_call_id"), at + ".tool_call_id"));
    JsonNode content = message.get("content");
    if (content != null && content.isTextual()) {
      block.put("content", content.textValue());
    } else if (content != null && content.isArray()) {
      ArrayNode parts = NODES.arrayNode();
      textParts(content, at + ".content", parts);
      block.set("content", parts);
    } else {
      throw new TranslationException(at + ".content", "must be a string or an array of text parts");
    }
    ArrayNode blocks = NODES.arrayNode();
    blocks.add(block);
    return blocks;
  }

  /** Text-only content (system, tool): a string or text parts, appended as text blocks to {@code into}. */
  private static void textParts(JsonNode content, String at, ArrayNode into) {
    if (content != null && content.isTextual()) {
      addText(into, content.textValue());
      return;
    }
    if (content == null || !content.isArray()) {
      throw new TranslationException(at, "must be a string or an array of text parts");
    }
    for (int j = 0; j < content.size(); j++) {
      JsonNode part = content.get(j);
      String type = part.path("type").asText("");
      if (!type.equals("text")) {
        throw unsupportedPart(at + "[" + j + "]", type);
      }
      addText(into, requireText(part.get("text"), at + "[" + j + "].text"));
    }
  }

  /** Anthropic rejects empty text blocks; an empty string carries nothing, so it is left out. */
  private static void addText(ArrayNode blocks, String text) {
    if (!text.isEmpty()) {
      blocks.addObject().put("type", "text").put("text", text);
    }
  }

  private static ObjectNode image(JsonNode imageUrl, String at) {
    boolean object = imageUrl != null && imageUrl.isObject();
    String urlAt = object ? at + ".url" : at;
    String url = requireText(object ? imageUrl.get("url") : imageUrl, urlAt);
    ObjectNode block = NODES.objectNode();
    block.put("type", "image");
    ObjectNode source = block.putObject("source");
    if (url.startsWith("data:")) {
      // data:[<media type>][;base64],<data>
      int comma = url.indexOf(',');
      String header = comma < 0 ? "" : url.substring(5, comma);
      if (comma < 0 || !header.endsWith(";base64")) {
        throw new TranslationException(urlAt, "a data: URL must be base64-encoded (data:<media type>;base64,<data>)");
      }
      String mediaType = header.substring(0, header.length() - ";base64".length()).toLowerCase();
      if (!IMAGE_MEDIA_TYPES.contains(mediaType)) {
        throw new TranslationException(urlAt, "unsupported image media type '" + mediaType
            + "' for Anthropic models (use image/jpeg, image/png, image/gif or image/webp)");
      }
      source.put("type", "base64");
      source.put("media_type", mediaType);
      source.put("data", url.substring(comma + 1));
    } else if (url.startsWith("https://") || url.startsWith("http://")) {
      source.put("type", "url");
      source.put("url", url);
    } else {
      throw new TranslationException(urlAt, "must be an http(s) URL or a base64 data: URL");
    }
    return block;
  }

  private static TranslationException unsupportedPart(String at, String type) {
    return new TranslationException(at,
        "unsupported content part type '" + type + "' for Anthropic models");
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
    for (int i = 0; i < tools.size(); i++) {
      String at = "tools[" + i + "]";
      JsonNode tool = tools.get(i);
      String type = tool.path("type").asText("");
      if (!type.equals("function")) {
        throw new TranslationException(at + ".type",
            "unsupported tool type '" + type + "' for Anthropic models (only function tools)");
      }
      JsonNode function = tool.path("function");
      ObjectNode t = translated.addObject();
      t.put("name", requireText(function.get("name"), at + ".function.name"));
      JsonNode description = function.get("description");
      if (description != null && description.isTextual()) {
        t.put("description", description.textValue());
      }
      JsonNode parameters = function.get("parameters");
      if (parameters == null || parameters.isNull()) {
        // OpenAI: omitted parameters = no arguments; Anthropic requires an object schema
        t.putObject("input_schema").put("type", "object").putObject("properties");
      } else if (parameters.isObject()) {
        t.set("input_schema", parameters.deepCopy()); // the result shares no node with the input
      } else {
        throw new TranslationException(at + ".function.parameters", "must be a JSON Schema object");
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
    if (choice == null || choice.isNull()) {
      return null;
    }
    if (choice.isTextual()) {
      return switch (choice.textValue()) {
        case "auto" -> NODES.objectNode().put("type", "auto");
        case "none" -> NODES.objectNode().put("type", "none");
        case "required" -> NODES.objectNode().put("type", "any");
        default -> throw new TranslationException("tool_choice",
            "must be 'auto', 'none', 'required' or a function choice (got '" + choice.textValue() + "')");
      };
    }
    if (choice.isObject() && choice.path("type").asText("").equals("function")) {
      return NODES.objectNode().put("type", "tool")
          .put("name", requireText(choice.path("function").get("name"), "tool_choice.function.name"));
    }
    throw new TranslationException("tool_choice",
        "unsupported tool_choice for Anthropic models (use 'auto', 'none', 'required' or {type: function})");
  }

  // ---- scalars ----

  private static int maxTokens(ObjectNode request) {
    for (String field : new String[] {"max_completion_tokens", "max_tokens"}) {
      JsonNode n = request.get(field);
      if (n != null && !n.isNull()) {
        if (!n.canConvertToInt() || !n.isIntegralNumber() || n.intValue() < 1) {
          throw new TranslationException(field, "must be a positive integer");
        }
        return n.intValue();
      }
    }
    return DEFAULT_MAX_TOKENS;
  }

  private static ArrayNode stopSequences(JsonNode stop) {
    ArrayNode sequences = NODES.arrayNode();
    if (stop.isTextual()) {
      sequences.add(stop.textValue());
    } else if (stop.isArray()) {
      for (int i = 0; i < stop.size(); i++) {
        sequences.add(requireText(stop.get(i), "stop[" + i + "]"));
      }
    } else {
      throw new TranslationException("stop", "must be a string or an array of strings");
    }
    return sequences;
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
    if (request.hasNonNull("functions")) {
      throw new TranslationException("functions",
          "the deprecated functions parameter is not supported for Anthropic models; use tools");
    }
  }

  private static double number(JsonNode n, String at) {
    if (!n.isNumber()) {
      throw new TranslationException(at, "must be a number");
    }
    return n.doubleValue();
  }

  private static String requireText(JsonNode n, String at) {
    if (n == null || !n.isTextual()) {
      throw new TranslationException(at, "must be a string");
    }
    return n.textValue();
  }
}
