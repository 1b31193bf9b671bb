package io.gatehouse.proxy.provider;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Reading an OpenAI chat completions request for a translator to another provider's API (Anthropic,
 * Gemini, …): the messages and the turns they make, content parts, base64 {@code data:} URLs, tool calls
 * and their JSON arguments, function tools, {@code tool_choice}, and the parameters every translation
 * checks the same way. The translators keep only what their provider does differently.
 *
 * <p>What differs between providers is given to the constructor: the provider's name (refusals say
 * "… for Gemini models"), the field of a turn that holds its parts ({@code content}, {@code parts}) and
 * how a text part looks. A refusal is a {@link TranslationException} naming the OpenAI path of the
 * offending value. Stateless and thread-safe.
 */
public final class ChatRequestParts {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String provider;
  private final String partsField;
  private final Function<String, ObjectNode> textPart;

  /**
   * @param provider the provider's name as refusals say it, e.g. {@code Anthropic}
   * @param partsField the field of a turn that holds its parts, e.g. {@code content}
   * @param textPart the provider's part for a non-empty text
   */
  public ChatRequestParts(String provider, String partsField, Function<String, ObjectNode> textPart) {
    this.provider = provider;
    this.partsField = partsField;
    this.textPart = textPart;
  }

  /** Reads the value of a content part of one type (e.g. the {@code image_url} object) as a provider part. */
  @FunctionalInterface
  public interface PartReader {
    JsonNode read(JsonNode value, String at);
  }

  /** Translates a tool message ({@code role: tool}) at {@code at} into the parts of a user turn. */
  @FunctionalInterface
  public interface ToolMessageReader {
    ArrayNode read(JsonNode message, String at);
  }

  /** Makes the provider part for an assistant tool call. */
  @FunctionalInterface
  public interface ToolCallWriter {
    JsonNode write(ToolCall call);
  }

  /** An assistant tool call: its id, function name and parsed arguments (a JSON object). */
  public record ToolCall(String id, String name, JsonNode arguments) {}

  /**
   * A function tool.
   *
   * @param description null when the tool has none
   * @param parameters a copy of the JSON Schema, or null when the tool declares none
   */
  public record FunctionTool(String name, String description, JsonNode parameters) {}

  /**
   * A {@code tool_choice}.
   *
   * @param mode {@code auto}, {@code none}, {@code required} or {@code function}
   * @param function the function's name for mode {@code function}, null otherwise
   */
  public record ToolChoice(String mode, String function) {}

  /** A URL and the OpenAI path it was read from. */
  public record Url(String url, String at) {}

  /** The parts of a base64 {@code data:<media type>;base64,<data>} URL; the media type is lower case. */
  public record DataUrl(String mediaType, String base64) {}

  // ---- messages ----

  /**
   * The turns of the {@code messages}: system and developer messages are appended as text parts to
   * {@code system}; user messages (their content parts read by {@code userParts}, text aside) and tool
   * messages make {@code user} turns, assistant messages (text, refusals and tool calls) turns of
   * {@code assistantRole}. Consecutive turns of the same role are merged.
   */
  public ArrayNode turns(JsonNode messages, ArrayNode system, String assistantRole,
      Map<String, PartReader> userParts, ToolCallWriter toolCalls, ToolMessageReader toolMessages) {
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw new TranslationException("messages", "must be a non-empty array of messages");
    }
    ArrayNode turns = NODES.arrayNode();
    for (int i = 0; i < messages.size(); i++) {
      String at = "messages[" + i + "]";
      JsonNode message = messages.get(i);
      if (!message.isObject()) {
        throw new TranslationException(at, "must be an object");
      }
      String role = message.path("role").asText("");
      switch (role) {
        // the provider has one system prompt: system messages anywhere are hoisted into it
        case "system", "developer" -> textParts(message.get("content"), at + ".content", system);
        case "user" -> append(turns, "user", userParts(message.get("content"), at + ".content", userParts));
        case "assistant" -> append(turns, assistantRole, assistantParts(message, at, toolCalls));
        case "tool" -> append(turns, "user", toolMessages.read(message, at));
        default -> throw new TranslationException(at + ".role",
            "unsupported role '" + role + "' for " + provider + " models (use system, user, assistant or tool)");
      }
    }
    if (turns.isEmpty()) {
      throw new TranslationException("messages",
          "at least one user or assistant message is required for " + provider + " models");
    }
    return turns;
  }

  /** Adds parts as a turn of {@code role}, merged into the previous turn when it has the same role. */
  public void append(ArrayNode turns, String role, ArrayNode parts) {
    JsonNode last = turns.isEmpty() ? null : turns.get(turns.size() - 1);
    if (last != null && role.equals(last.get("role").textValue())) {
      ((ArrayNode) last.get(partsField)).addAll(parts);
      return;
    }
    ObjectNode turn = turns.addObject();
    turn.put("role", role);
    turn.set(partsField, parts);
  }

  /**
   * A user message's content: a string, or content parts of type {@code text} or of a type
   * {@code readers} knows (the reader gets the part's field named after the type). Must not come out
   * empty.
   */
  public ArrayNode userParts(JsonNode content, String at, Map<String, PartReader> readers) {
    ArrayNode parts = NODES.arrayNode();
    if (content != null && content.isTextual()) {
      addText(parts, content.textValue());
    } else if (content != null && content.isArray()) {
      for (int j = 0; j < content.size(); j++) {
        JsonNode part = content.get(j);
        String partAt = at + "[" + j + "]";
        String type = part.path("type").asText("");
        if (type.equals("text")) {
          addText(parts, requireText(part.get("text"), partAt + ".text"));
        } else if (readers.containsKey(type)) {
          parts.add(readers.get(type).read(part.get(type), partAt + "." + type));
        } else {
          throw unsupportedPart(partAt, type);
        }
      }
    } else {
      throw new TranslationException(at, "must be a string or an array of content parts");
    }
    if (parts.isEmpty()) {
      throw new TranslationException(at, "must not be empty for " + provider + " models");
    }
    return parts;
  }

  /** An assistant message's text and refusal parts, then its tool calls as {@code toolCalls} writes them. */
  public ArrayNode assistantParts(JsonNode message, String at, ToolCallWriter toolCalls) {
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
    JsonNode calls = message.get("tool_calls");
    if (calls != null && !calls.isNull()) {
      if (!calls.isArray()) {
        throw new TranslationException(at + ".tool_calls", "must be an array");
      }
      for (int j = 0; j < calls.size(); j++) {
        parts.add(toolCalls.write(toolCall(calls.get(j), at + ".tool_calls[" + j + "]")));
      }
    }
    if (message.hasNonNull("function_call")) {
      throw new TranslationException(at + ".function_call",
          "the deprecated function_call is not supported for " + provider + " models; use tool_calls");
    }
    if (parts.isEmpty()) {
      throw new TranslationException(at + ".content",
          "an assistant message needs content or tool_calls for " + provider + " models");
    }
    return parts;
  }

  /** One entry of an assistant message's {@code tool_calls}, its arguments parsed. */
  public ToolCall toolCall(JsonNode call, String at) {
    if (!call.isObject()) {
      throw new TranslationException(at, "must be an object");
    }
    String type = call.path("type").asText("function");
    if (!type.equals("function")) {
      throw new TranslationException(at + ".type",
          "unsupported tool call type '" + type + "' for " + provider + " models");
    }
    String id = requireText(call.get("id"), at + ".id");
    JsonNode function = call.path("function");
    String name = requireText(function.get("name"), at + ".function.name");
    return new ToolCall(id, name, arguments(function.get("arguments"), at + ".function.arguments"));
  }

  /** OpenAI sends arguments as a JSON string; providers want the object. An empty string means {}. */
  public JsonNode arguments(JsonNode arguments, String at) {
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
      throw new TranslationException(at, "must be a JSON object for " + provider + " models");
    }
    return parsed;
  }

  /** The {@code tool_call_id} of the tool message at {@code at}. */
  public static String toolCallId(JsonNode message, String at) {
    return requireText(message.get("tool_call_id"), at + ".tool_call_id");
  }

  /** Text-only content (system, tool): a string or text parts, appended as text parts to {@code into}. */
  public void textParts(JsonNode content, String at, ArrayNode into) {
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

  /** Providers reject empty text parts; an empty string carries nothing, so it is left out. */
  public void addText(ArrayNode parts, String text) {
    if (!text.isEmpty()) {
      parts.add(textPart.apply(text));
    }
  }

  /** The refusal of a content part of a type the provider does not take here. */
  public TranslationException unsupportedPart(String at, String type) {
    return new TranslationException(at, "unsupported content part type '" + type + "' for " + provider + " models");
  }

  /** The URL of an {@code image_url} part: the object's {@code url}, or the value itself when a string. */
  public static Url imageUrl(JsonNode imageUrl, String at) {
    boolean object = imageUrl != null && imageUrl.isObject();
    String urlAt = object ? at + ".url" : at;
    return new Url(requireText(object ? imageUrl.get("url") : imageUrl, urlAt), urlAt);
  }

  /**
   * The parts of a {@code data:[<media type>];base64,<data>} URL, or null when it has no comma or is
   * not base64. The header is read after the five characters of {@code data:}, which are not checked.
   */
  public static DataUrl base64DataUrl(String url) {
    int comma = url.indexOf(',');
    String header = comma < 0 ? "" : url.substring(5, comma);
    if (comma < 0 || !header.endsWith(";base64")) {
      return null;
    }
    return new DataUrl(header.substring(0, header.length() - ";base64".length()).toLowerCase(),
        url.substring(comma + 1));
  }

  // ---- tools ----

  /** The function tools of a {@code tools} array; other tool types are refused. */
  public List<FunctionTool> functionTools(JsonNode tools) {
    List<FunctionTool> out = new ArrayList<>();
    for (int i = 0; i < tools.size(); i++) {
      String at = "tools[" + i + "]";
      JsonNode tool = tools.get(i);
      String type = tool.path("type").asText("");
      if (!type.equals("function")) {
        throw new TranslationException(at + ".type",
            "unsupported tool type '" + type + "' for " + provider + " models (only function tools)");
      }
      JsonNode function = tool.path("function");
      String name = requireText(function.get("name"), at + ".function.name");
      JsonNode description = function.get("description");
      JsonNode parameters = function.get("parameters");
      if (parameters != null && !parameters.isNull() && !parameters.isObject()) {
        throw new TranslationException(at + ".function.parameters", "must be a JSON Schema object");
      }
      out.add(new FunctionTool(name, description != null && description.isTextual() ? description.textValue() : null,
          parameters == null || parameters.isNull() ? null : parameters.deepCopy()));
    }
    return out;
  }

  /** The {@code tool_choice}, or null when it is absent or null. */
  public ToolChoice toolChoice(JsonNode choice) {
    if (choice == null || choice.isNull()) {
      return null;
    }
    if (choice.isTextual()) {
      return switch (choice.textValue()) {
        case "auto", "none", "required" -> new ToolChoice(choice.textValue(), null);
        default -> throw new TranslationException("tool_choice",
            "must be 'auto', 'none', 'required' or a function choice (got '" + choice.textValue() + "')");
      };
    }
    if (choice.isObject() && choice.path("type").asText("").equals("function")) {
      return new ToolChoice("function", requireText(choice.path("function").get("name"), "tool_choice.function.name"));
    }
    throw new TranslationException("tool_choice",
        "unsupported tool_choice for " + provider + " models (use 'auto', 'none', 'required' or {type: function})");
  }

  // ---- parameters ----

  /** Refuses the deprecated {@code functions} parameter. */
  public void refuseFunctions(ObjectNode request) {
    if (request.hasNonNull("functions")) {
      throw new TranslationException("functions",
          "the deprecated functions parameter is not supported for " + provider + " models; use tools");
    }
  }

  /** {@code stream}, or null when absent or null; anything but a boolean is refused. */
  public static Boolean stream(ObjectNode request) {
    JsonNode stream = request.get("stream");
    if (stream == null || stream.isNull()) {
      return null;
    }
    if (!stream.isBoolean()) {
      throw new TranslationException("stream", "must be true or false");
    }
    return stream.booleanValue();
  }

  /** {@code max_completion_tokens}, else the deprecated {@code max_tokens}, else null. */
  public static Integer maxTokens(ObjectNode request) {
    for (String field : new String[] {"max_completion_tokens", "max_tokens"}) {
      JsonNode n = request.get(field);
      if (n != null && !n.isNull()) {
        return integer(n, field, 1);
      }
    }
    return null;
  }

  /** {@code stop} (a string or an array of strings, not null) as a list of stop sequences. */
  public static ArrayNode stopSequences(JsonNode stop) {
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

  /** A number (not null) at {@code at}. */
  public static double number(JsonNode n, String at) {
    if (!n.isNumber()) {
      throw new TranslationException(at, "must be a number");
    }
    return n.doubleValue();
  }

  /** An integer (not null) of at least {@code min} at {@code at}. */
  public static int integer(JsonNode n, String at, int min) {
    if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < min) {
      throw new TranslationException(at, min == 1 ? "must be a positive integer" : "must be an integer");
    }
    return n.intValue();
  }

  /** A string at {@code at}. */
  public static String requireText(JsonNode n, String at) {
    if (n == null || !n.isTextual()) {
      throw new TranslationException(at, "must be a string");
    }
    return n.textValue();
  }
}
