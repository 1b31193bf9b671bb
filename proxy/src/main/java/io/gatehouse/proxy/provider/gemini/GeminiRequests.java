package io.gatehouse.proxy.provider.gemini;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.provider.ChatRequestParts;
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
 * A refusal is a {@link TranslationException} naming the OpenAI path of the offending value. What
 * every translation reads alike is read by {@link ChatRequestParts}.
 */
final class GeminiRequests {
  /** Prefix of file URIs of the Gemini Files API, which Gemini reads itself. */
  static final String FILES_API_PREFIX = "https://generativelanguage.googleapis.com/";

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ChatRequestParts PARTS =
      new ChatRequestParts("Gemini", "parts", text -> NODES.objectNode().put("text", text));
  private static final Map<String, ChatRequestParts.PartReader> USER_PARTS = Map.of(
      "image_url", GeminiRequests::image, "input_audio", GeminiRequests::audio, "file", GeminiRequests::file);
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
    ChatRequestParts.stream(openAiRequest); // checked only: the URL decides
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
    ArrayNode system = NODES.arrayNode();
    Map<String, String> toolNames = new HashMap<>(); // tool_call id → function name
    ArrayNode contents = PARTS.turns(messages, system, "model", USER_PARTS,
        call -> functionCall(call, toolNames), (message, at) -> functionResponse(message, at, toolNames));
    if (!system.isEmpty()) {
      out.putObject("systemInstruction").set("parts", system);
    }
    out.set("contents", contents);
  }

  private static ObjectNode functionCall(ChatRequestParts.ToolCall call, Map<String, String> toolNames) {
    toolNames.put(call.id(), call.name());
    ObjectNode part = NODES.objectNode();
    ObjectNode functionCall = part.putObject("functionCall");
    functionCall.put("name", call.name());
    functionCall.set("args", call.arguments());
    String signature = GeminiToolCallIds.thoughtSignature(call.id());
    if (signature != null) {
      part.put("thoughtSignature", signature);
    }
    return part;
  }

  /**
   * A tool message as a {@code functionResponse} part. Gemini matches responses to calls by function
   * name, so the name is taken from the assistant tool call with this {@code tool_call_id}. The result
   * is sent as the JSON object it is, or as {@code {"content": text}} when it is not an object.
   */
  private static ArrayNode functionResponse(JsonNode message, String at, Map<String, String> toolNames) {
    String id = ChatRequestParts.toolCallId(message, at);
    String name = toolNames.get(id);
    if (name == null) {
      throw new TranslationException(at + ".tool_call_id", "'" + id + "' answers no tool call of an earlier "
          + "assistant message; Gemini models need the assistant message with that tool call in messages");
    }
    ArrayNode texts = NODES.arrayNode();
    PARTS.textParts(message.get("content"), at + ".content", texts);
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

  private static ObjectNode image(JsonNode imageUrl, String at) {
    ChatRequestParts.Url image = ChatRequestParts.imageUrl(imageUrl, at);
    String url = image.url();
    if (url.startsWith("data:")) {
      return inlineData(url, image.at());
    }
    if (url.startsWith(FILES_API_PREFIX)) {
      ObjectNode part = NODES.objectNode();
      part.putObject("fileData").put("fileUri", url);
      return part;
    }
    throw new TranslationException(image.at(), "Gemini models do not fetch image URLs; send the image inline as a "
        + "base64 data URL (data:image/png;base64,...) or as a Gemini Files API URI");
  }

  private static ObjectNode audio(JsonNode audio, String at) {
    String data = ChatRequestParts.requireText(audio == null ? null : audio.get("data"), at + ".data");
    String format = ChatRequestParts.requireText(audio.get("format"), at + ".format");
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
    ChatRequestParts.DataUrl data = ChatRequestParts.base64DataUrl(url);
    if (data == null || data.mediaType().isEmpty()) {
      throw new TranslationException(at, "a data: URL must be base64-encoded with a media type "
          + "(data:<media type>;base64,<data>)");
    }
    return inlinePart(data.mediaType(), data.base64());
  }

  private static ObjectNode inlinePart(String mimeType, String base64) {
    ObjectNode part = NODES.objectNode();
    part.putObject("inlineData").put("mimeType", mimeType).put("data", base64);
    return part;
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
    for (ChatRequestParts.FunctionTool tool : PARTS.functionTools(tools)) {
      ObjectNode declaration = declarations.addObject();
      declaration.put("name", tool.name());
      if (tool.description() != null) {
        declaration.put("description", tool.description());
      }
      if (tool.parameters() != null) {
        declaration.set("parametersJsonSchema", tool.parameters());
      }
    }
    ObjectNode callingConfig = functionCallingConfig(request.get("tool_choice"));
    if (callingConfig != null) {
      out.putObject("toolConfig").set("functionCallingConfig", callingConfig);
    }
  }

  private static ObjectNode functionCallingConfig(JsonNode choice) {
    ChatRequestParts.ToolChoice c = PARTS.toolChoice(choice);
    if (c == null) {
      return null;
    }
    return switch (c.mode()) {
      case "auto" -> NODES.objectNode().put("mode", "AUTO");
      case "none" -> NODES.objectNode().put("mode", "NONE");
      case "required" -> NODES.objectNode().put("mode", "ANY");
      default -> {
        ObjectNode config = NODES.objectNode().put("mode", "ANY");
        config.putArray("allowedFunctionNames").add(c.function());
        yield config;
      }
    };
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
    Integer maxTokens = ChatRequestParts.maxTokens(request);
    if (maxTokens != null) {
      config.put("maxOutputTokens", maxTokens);
    }
    JsonNode stop = request.get("stop");
    if (stop != null && !stop.isNull()) {
      config.set("stopSequences", ChatRequestParts.stopSequences(stop));
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
    if (n != null && !n.isNull()) {
      ChatRequestParts.number(n, field);
      config.set(geminiField, n);
    }
  }

  /** Copies an integer of at least {@code min}. */
  private static void copyInteger(ObjectNode request, String field, ObjectNode config, String geminiField, int min) {
    JsonNode n = request.get(field);
    if (n != null && !n.isNull()) {
      config.put(geminiField, ChatRequestParts.integer(n, field, min));
    }
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
    PARTS.refuseFunctions(request);
  }

  // ---- scalars ----

  private static JsonNode parseJsonOrNull(String text) {
    try {
      return JSON.readTree(text);
    } catch (JsonProcessingException e) {
      return null;
    }
  }
}
