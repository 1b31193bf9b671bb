package io.gatehouse.proxy.provider.gemini;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.provider.TranslationException;
import java.util.HashMap;
import java.util.Map;

/**
 * OpenAI chat completions request → Gemini {@code GenerateContentRequest} (the body of
 * {@code models/{model}:generateContent} and {@code :streamGenerateContent}). No network I/O;
 * stateless and thread-safe.
 *
 * <p>Messages: system and developer messages become {@code systemInstruction}; user messages role
 * {@code user}; assistant messages role {@code model} (text, and {@code tool_calls} as
 * {@code functionCall} parts); tool messages role {@code user} with a {@code functionResponse} part,
 * named after the assistant tool call they answer. Consecutive turns of the same role are merged, so
 * that the answers to parallel tool calls form one turn, as Gemini requires. Images, audio and files
 * must be inline (base64 {@code data:} URLs, {@code input_audio}, {@code file.file_data}); URLs of the
 * Gemini Files API become {@code fileData}; other URLs are refused, since Gemini does not fetch them.
 *
 * <p>Parameters, field by field:
 * <ul>
 *   <li>translated into {@code generationConfig}: {@code temperature}, {@code top_p}, {@code top_k}
 *       (an extension some clients send), {@code max_completion_tokens} / {@code max_tokens},
 *       {@code stop}, {@code n}, {@code seed}, {@code presence_penalty}, {@code frequency_penalty},
 *       {@code response_format} ({@code json_object} → JSON output, {@code json_schema} → JSON output
 *       constrained by {@code responseJsonSchema}), {@code reasoning_effort} (→ a thinking budget,
 *       the mapping Google's own OpenAI compatibility layer documents: none 0, minimal and low 1024,
 *       medium 8192, high 24576);
 *   <li>translated into {@code tools} / {@code toolConfig}: {@code tools} (function tools; the
 *       parameters are JSON Schema, sent as {@code parametersJsonSchema}) and {@code tool_choice};
 *   <li>not sent, as they do not change the answer: {@code stream} (checked to be a boolean; the URL
 *       decides),
 *       {@code stream_options} (Gemini always reports usage), {@code parallel_tool_calls},
 *       {@code user}, {@code metadata}, {@code store}, {@code service_tier}, {@code prediction};
 *   <li>refused, because the answer would silently differ: {@code logprobs} / {@code top_logprobs},
 *       a non-empty {@code logit_bias}, audio output ({@code audio}, {@code modalities} with audio),
 *       {@code web_search_options}, the deprecated {@code functions} / {@code function_call}.
 * </ul>
 * A refusal is a {@link TranslationException} naming the OpenAI path of the offending value.
 */
final class GeminiRequests {
  /** Prefix of file URIs of the Gemini Files API, which Gemini reads itself. */
  static final String FILES_API_PREFIX = "https://generativelanguage.googleapis.com/";

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, Integer> THINKING_BUDGETS =
      Map.of("none", 0, "minimal", 1024, "low", 1024, "medium", 8192, "high", 24576);

  private GeminiRequests() {}

  /**
   * Builds the Gemini request; does not modify {@code openAiRequest}.
   *
   * @throws TranslationException when the request cannot be expressed for Gemini models
   */
  static ObjectNode fromChatCompletion(ObjectNode openAiRequest) {
    JsonNode stream = openAiRequest.get("stream");
    if (stream != null && !stream.isNull() && !stream.isBoolean()) {
      throw new TranslationException("stream", "must be true or false");
    }
    refuseUnsupported(openAiRequest);
    ObjectNode out = NODES.objectNode();
    translateMessages(openAiRequest.get("messages"), out);
    translateTools(openAiRequest, out);
    ObjectNode config = generationConfig(openAiRequest);
    if (!config.isEmpty()) {
      out.set("generationConfig", config);
    }
    return out;
  }

  // ---- messages ----

  private static void translateMessages(JsonNode messages, ObjectNode out) {
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw new TranslationException("messages", "must be a non-empty array of messages");
    }
    ArrayNode system = NODES.arrayNode();
    ArrayNode contents = NODES.arrayNode();
    Map<String, String> toolNames = new HashMap<>(); // tool_call id → function name
    for (int i = 0; i < messages.size(); i++) {
      String at = "messages[" + i + "]";
      JsonNode message = messages.get(i);
      if (!message.isObject()) {
        throw new TranslationException(at, "must be an object");
      }
      String role = message.path("role").asText("");
      switch (role) {
        // Gemini has one system instruction: system messages anywhere are hoisted into it
        case "system", "developer" -> textParts(message.get("content"), at + ".content", system);
        case "user" -> append(contents, "user", userParts(message.get("content"), at + ".content"));
        case "assistant" -> append(contents, "model", modelParts(message, at, toolNames));
        case "tool" -> append(contents, "user", functionResponse(message, at, toolNames));
        default -> throw new TranslationException(at + ".role",
            "unsupported role '" + role + "' for Gemini models (use system, user, assistant or tool)");
      }
    }
    if (contents.isEmpty()) {
      throw new TranslationException("messages", "at least one user or assistant message is required for Gemini models");
    }
    if (!system.isEmpty()) {
      out.putObject("systemInstruction").set("parts", system);
    }
    out.set("contents", contents);
  }

  /** Adds parts as a turn of {@code role}, merged into the previous turn when it has the same role. */
  private static void append(ArrayNode contents, String role, ArrayNode parts) {
    JsonNode last = contents.isEmpty() ? null : contents.get(contents.size() - 1);
    if (last != null && role.equals(last.get("role").textValue())) {
      ((ArrayNode) last.get("parts")).addAll(parts);
      return;
    }
    ObjectNode turn = contents.addObject();
    turn.put("role", role);
    turn.set("parts", parts);
  }

  private static ArrayNode userParts(JsonNode content, String at) {
    ArrayNode parts = NODES.arrayNode();
    if (content != null && content.isTextual()) {
      addText(parts, content.textValue());
    } else if (content != null && content.isArray()) {
      for (int j = 0; j < content.size(); j++) {
        JsonNode part = content.get(j);
        String partAt = at + "[" + j + "]";
        String type = part.path("type").asText("");
        switch (type) {
          case "text" -> addText(parts, requireText(part.get("text"), partAt + ".text"));
          case "image_url" -> parts.add(image(part.get("image_url"), partAt + ".image_url"));
          case "input_audio" -> parts.add(audio(part.get("input_audio"), partAt + ".input_audio"));
          case "file" -> parts.add(file(part.get("file"), partAt + ".file"));
          default -> throw unsupportedPart(partAt, type);
        }
      }
    } else {
      throw new TranslationException(at, "must be a string or an array of content parts");
    }
    if (parts.isEmpty()) {
      throw new TranslationException(at, "must not be empty for Gemini models");
    }
    return parts;
  }

  private static ArrayNode modelParts(JsonNode message, String at, Map<String, String> toolNames) {
    ArrayNode parts = NODES.arrayNode();
    JsonNode content = message.get("content");
    if (content != null && content.isTextual()) {
      addText(parts, content.textValue());
    } else if (content != null && content.isArray()) {
      for (int j = 0; j < content.size(); j++) {
        JsonNode part = content.get(j);
        String partAt = at + ".content[" + j + "]";
        String type = part.path("type").asText("");
        switch (type) {
          case "text" -> addText(parts, requireText(part.get("text"), partAt + ".text"));
          case "refusal" -> addText(parts, requireText(part.get("refusal"), partAt + ".refusal"));
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
        parts.add(functionCall(toolCalls.get(j), at + ".tool_calls[" + j + "]", toolNames));
      }
    }
    if (message.hasNonNull("function_call")) {
      throw new TranslationException(at + ".function_call",
          "the deprecated function_call is not supported for Gemini models; use tool_calls");
    }
    if (parts.isEmpty()) {
      throw new TranslationException(at + ".content", "an assistant message needs content or tool_calls for Gemini models");
    }
    return parts;
  }

  private static ObjectNode functionCall(JsonNode call, String at, Map<String, String> toolNames) {
    if (!call.isObject()) {
      throw new TranslationException(at, "must be an object");
    }
    String type = call.path("type").asText("function");
    if (!type.equals("function")) {
      throw new TranslationException(at + ".type", "unsupported tool call type '" + type + "' for Gemini models");
    }
    String id = requireText(call.get("id"), at + ".id");
    JsonNode function = call.path("function");
    String name = requireText(function.get("name"), at + ".function.name");
    toolNames.put(id, name);
    ObjectNode part = NODES.objectNode();
    ObjectNode functionCall = part.putObject("functionCall");
    functionCall.put("name", name);
    functionCall.set("args", arguments(function.get("arguments"), at + ".function.arguments"));
    String signature = GeminiToolCallIds.thoughtSignature(id);
    if (signature != null) {
      part.put("thoughtSignature", signature);
    }
    return part;
  }

  /** OpenAI sends arguments as a JSON string; Gemini wants the object. An empty string means {}. */
  private static JsonNode arguments(JsonNode arguments, String at) {
    if (arguments == null || arguments.isNull() || (arguments.isTextual() && arguments.textValue().isBlank())) {
      return NODES.objectNode();
    }
    if (!arguments.isTextual()) {
      throw new TranslationException(at, "must be a string holding a JSON object");
    }
    JsonNode parsed = parseJson(arguments.textValue(), at);
    if (parsed == null || !parsed.isObject()) {
      throw new TranslationException(at, "must be a JSON object for Gemini models");
    }
    return parsed;
  }

  /**
   * A tool message as a {@code functionResponse} part. Gemini matches responses to calls by function
   * name, so the name is taken from the assistant tool call with this {@code tool_call_id}. The result
   * is sent as the JSON object it is, or as {@code {"content": text}} when it is not an object.
   */
  private static ArrayNode functionResponse(JsonNode message, String at, Map<String, String> toolNames) {
    String id = requireText(message.get("tool_call_id"), at + ".tool_call_id");
    String name = toolNames.get(id);
    if (name == null) {
      throw new TranslationException(at + ".tool_call_id", "'" + id + "' answers no tool call of an earlier "
          + "assistant message; Gemini models need the assistant message with that tool call in messages");
    }
    ArrayNode texts = NODES.arrayNode();
    textParts(message.get("content"), at + ".content", texts);
    StringBuilder text = new StringBuilder();
    texts.forEach(t -> text.append(t.get("text").textValue()));
    JsonNode response = parseJsonOrNull(text.toString());
    if (response == null || !response.isObject()) {
      response = NODES.objectNode().put("content", text.toString());
    }
    ArrayNode parts = NODES.arrayNode();
    ObjectNode functionResponse = parts.addObject().putObject("functionResponse");
    functionResponse.put("name", name);
    functionResponse.set("response", response);
    return parts;
  }

  /** Text-only content (system, tool): a string or text parts, appended as text parts to {@code into}. */
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

  /** An empty string carries nothing and Gemini rejects empty parts, so it is left out. */
  private static void addText(ArrayNode parts, String text) {
    if (!text.isEmpty()) {
      parts.addObject().put("text", text);
    }
  }

  private static ObjectNode image(JsonNode imageUrl, String at) {
    boolean object = imageUrl != null && imageUrl.isObject();
    String urlAt = object ? at + ".url" : at;
    String url = requireText(object ? imageUrl.get("url") : imageUrl, urlAt);
    if (url.startsWith("data:")) {
      return inlineData(url, urlAt);
    }
    if (url.startsWith(FILES_API_PREFIX)) {
      ObjectNode part = NODES.objectNode();
      part.putObject("fileData").put("fileUri", url);
      return part;
    }
    throw new TranslationException(urlAt, "Gemini models do not fetch image URLs; send the image inline as a "
        + "base64 data URL (data:image/png;base64,...) or as a Gemini Files API URI");
  }

  private static ObjectNode audio(JsonNode audio, String at) {
    String data = requireText(audio == null ? null : audio.get("data"), at + ".data");
    String format = requireText(audio.get("format"), at + ".format");
    if (!format.equals("wav") && !format.equals("mp3")) {
      throw new TranslationException(at + ".format", "must be 'wav' or 'mp3'");
    }
    return inlinePart("audio/" + format, data);
  }

  private static ObjectNode file(JsonNode file, String at) {
    JsonNode data = file == null ? null : file.get("file_data");
    if (data == null || !data.isTextual()) {
      throw new TranslationException(at + ".file_data", "Gemini models need the file inline: send file_data as a "
          + "base64 data URL (data:application/pdf;base64,...); uploaded OpenAI file_id values are not available");
    }
    return inlineData(data.textValue(), at + ".file_data");
  }

  /** A base64 {@code data:<media type>;base64,<data>} URL as an {@code inlineData} part. */
  private static ObjectNode inlineData(String url, String at) {
    int comma = url.indexOf(',');
    String header = comma < 0 ? "" : url.substring(5, comma);
    if (comma < 0 || !header.endsWith(";base64") || header.length() == ";base64".length()) {
      throw new TranslationException(at, "a data: URL must be base64-encoded with a media type "
          + "(data:<media type>;base64,<data>)");
    }
    return inlinePart(header.substring(0, header.length() - ";base64".length()).toLowerCase(), url.substring(comma + 1));
  }

  private static ObjectNode inlinePart(String mimeType, String base64) {
    ObjectNode part = NODES.objectNode();
    part.putObject("inlineData").put("mimeType", mimeType).put("data", base64);
    return part;
  }

  private static TranslationException unsupportedPart(String at, String type) {
    return new TranslationException(at, "unsupported content part type '" + type + "' for Gemini models");
  }

  // ---- tools ----

  private static void translateTools(ObjectNode request, ObjectNode out) {
    JsonNode tools = request.get("tools");
    if (tools == null || tools.isNull()) {
      return;
    }
    if (!tools.isArray()) {
      throw new TranslationException("tools", "must be an array");
    }
    if (tools.isEmpty()) {
      return; // without tools there is nothing to choose; OpenAI allows tool_choice "none" alone
    }
    ArrayNode declarations = out.putArray("tools").addObject().putArray("functionDeclarations");
    for (int i = 0; i < tools.size(); i++) {
      String at = "tools[" + i + "]";
      JsonNode tool = tools.get(i);
      String type = tool.path("type").asText("");
      if (!type.equals("function")) {
        throw new TranslationException(at + ".type",
            "unsupported tool type '" + type + "' for Gemini models (only function tools)");
      }
      JsonNode function = tool.path("function");
      ObjectNode declaration = declarations.addObject();
      declaration.put("name", requireText(function.get("name"), at + ".function.name"));
      JsonNode description = function.get("description");
      if (description != null && description.isTextual()) {
        declaration.put("description", description.textValue());
      }
      JsonNode parameters = function.get("parameters");
      if (parameters != null && parameters.isObject()) {
        declaration.set("parametersJsonSchema", parameters.deepCopy());
      } else if (parameters != null && !parameters.isNull()) {
        throw new TranslationException(at + ".function.parameters", "must be a JSON Schema object");
      }
    }
    ObjectNode callingConfig = functionCallingConfig(request.get("tool_choice"));
    if (callingConfig != null) {
      out.putObject("toolConfig").set("functionCallingConfig", callingConfig);
    }
  }

  private static ObjectNode functionCallingConfig(JsonNode choice) {
    if (choice == null || choice.isNull()) {
      return null;
    }
    if (choice.isTextual()) {
      return switch (choice.textValue()) {
        case "auto" -> NODES.objectNode().put("mode", "AUTO");
        case "none" -> NODES.objectNode().put("mode", "NONE");
        case "required" -> NODES.objectNode().put("mode", "ANY");
        default -> throw new TranslationException("tool_choice",
            "must be 'auto', 'none', 'required' or a function choice (got '" + choice.textValue() + "')");
      };
    }
    if (choice.isObject() && choice.path("type").asText("").equals("function")) {
      ObjectNode config = NODES.objectNode().put("mode", "ANY");
      config.putArray("allowedFunctionNames")
          .add(requireText(choice.path("function").get("name"), "tool_choice.function.name"));
      return config;
    }
    throw new TranslationException("tool_choice",
        "unsupported tool_choice for Gemini models (use 'auto', 'none', 'required' or {type: function})");
  }

  // ---- generation config ----

  private static ObjectNode generationConfig(ObjectNode request) {
    ObjectNode config = NODES.objectNode();
    copyNumber(request, "temperature", config, "temperature");
    copyNumber(request, "top_p", config, "topP");
    copyInteger(request, "top_k", config, "topK", 1);
    copyInteger(request, "seed", config, "seed", Integer.MIN_VALUE);
    copyNumber(request, "presence_penalty", config, "presencePenalty");
    copyNumber(request, "frequency_penalty", config, "frequencyPenalty");
    copyInteger(request, "n", config, "candidateCount", 1);
    // max_completion_tokens supersedes the deprecated max_tokens
    if (!copyInteger(request, "max_completion_tokens", config, "maxOutputTokens", 1)) {
      copyInteger(request, "max_tokens", config, "maxOutputTokens", 1);
    }
    JsonNode stop = request.get("stop");
    if (stop != null && !stop.isNull()) {
      config.set("stopSequences", stopSequences(stop));
    }
    responseFormat(request.get("response_format"), config);
    JsonNode effort = request.get("reasoning_effort");
    if (effort != null && !effort.isNull()) {
      Integer budget = effort.isTextual() ? THINKING_BUDGETS.get(effort.textValue()) : null;
      if (budget == null) {
        throw new TranslationException("reasoning_effort", "must be one of none, minimal, low, medium, high");
      }
      config.putObject("thinkingConfig").put("thinkingBudget", budget);
    }
    return config;
  }

  private static void copyNumber(ObjectNode request, String field, ObjectNode config, String geminiField) {
    JsonNode n = request.get(field);
    if (n == null || n.isNull()) {
      return;
    }
    if (!n.isNumber()) {
      throw new TranslationException(field, "must be a number");
    }
    config.set(geminiField, n);
  }

  /** Copies an integer of at least {@code min}; returns whether the field was set. */
  private static boolean copyInteger(ObjectNode request, String field, ObjectNode config, String geminiField, int min) {
    JsonNode n = request.get(field);
    if (n == null || n.isNull()) {
      return false;
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < min) {
      throw new TranslationException(field, min == 1 ? "must be a positive integer" : "must be an integer");
    }
    config.put(geminiField, n.intValue());
    return true;
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

  private static void responseFormat(JsonNode format, ObjectNode config) {
    if (format == null || format.isNull()) {
      return;
    }
    String type = format.path("type").asText("");
    switch (type) {
      case "text" -> { }
      case "json_object" -> config.put("responseMimeType", "application/json");
      case "json_schema" -> {
        JsonNode schema = format.path("json_schema").get("schema");
        if (schema == null || !schema.isObject()) {
          throw new TranslationException("response_format.json_schema.schema", "must be a JSON Schema object");
        }
        config.put("responseMimeType", "application/json");
        config.set("responseJsonSchema", schema.deepCopy());
      }
      default -> throw new TranslationException("response_format.type",
          "must be 'text', 'json_object' or 'json_schema' (got '" + type + "')");
    }
  }

  /** Parameters whose effect would silently be lost: refused rather than ignored. */
  private static void refuseUnsupported(ObjectNode request) {
    if (request.path("logprobs").asBoolean(false) || request.hasNonNull("top_logprobs")) {
      throw new TranslationException(request.hasNonNull("top_logprobs") ? "top_logprobs" : "logprobs",
          "logprobs are not available through Gatehouse for Gemini models");
    }
    JsonNode bias = request.get("logit_bias");
    if (bias != null && !bias.isNull() && !bias.isEmpty()) {
      throw new TranslationException("logit_bias", "logit_bias is not supported for Gemini models");
    }
    if (request.hasNonNull("audio")) {
      throw new TranslationException("audio", "audio output is not supported for Gemini models through Gatehouse");
    }
    for (JsonNode modality : request.path("modalities")) {
      if (!modality.asText("").equals("text")) {
        throw new TranslationException("modalities", "only text output is supported for Gemini models through Gatehouse");
      }
    }
    if (request.hasNonNull("web_search_options")) {
      throw new TranslationException("web_search_options", "web search is not supported for Gemini models through Gatehouse");
    }
    if (request.hasNonNull("functions")) {
      throw new TranslationException("functions",
          "the deprecated functions parameter is not supported for Gemini models; use tools");
    }
  }

  // ---- scalars ----

  private static JsonNode parseJson(String text, String at) {
    try {
      return JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new TranslationException(at, "is not valid JSON: " + e.getOriginalMessage());
    }
  }

  private static JsonNode parseJsonOrNull(String text) {
    try {
      return JSON.readTree(text);
    } catch (JsonProcessingException e) {
      return null;
    }
  }

  private static String requireText(JsonNode n, String at) {
    if (n == null || !n.isTextual()) {
      throw new TranslationException(at, "must be a string");
    }
    return n.textValue();
  }
}
