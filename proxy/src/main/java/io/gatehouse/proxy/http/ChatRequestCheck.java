package io.gatehouse.proxy.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Set;

/**
 * The checks OpenAI itself makes on a chat completions request before any provider sees it, so that a
 * malformed request gets the same 400 whichever provider it routes to (and never costs an upstream
 * call): {@code messages} is a non-empty array of objects with a known {@code role}, and the common
 * parameters have the right types and ranges. Parameters it does not know pass through untouched:
 * providers add their own. Stateless; thread-safe.
 */
final class ChatRequestCheck {
  private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool", "function");

  private ChatRequestCheck() {}

  /** What is wrong with a request: {@code param} names the field as OpenAI does ({@code messages[2].role}). */
  record Violation(String param, String code, String message) {}

  /** The first problem with {@code request}, or null when it may be forwarded. */
  static Violation check(ObjectNode request) {
    JsonNode messages = request.get("messages");
    if (messages == null || messages.isNull()) {
      return new Violation("messages", "missing_required_parameter", "Missing required parameter: 'messages'. "
          + "Send e.g. \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}].");
    }
    if (!messages.isArray() || messages.isEmpty()) {
      return new Violation("messages", "invalid_value", "'messages' must be a non-empty array of messages such as "
          + "{\"role\": \"user\", \"content\": \"Hi\"}" + (messages.isArray() ? "; it is empty." : "."));
    }
    for (int i = 0; i < messages.size(); i++) {
      Violation v = message(messages.get(i), "messages[" + i + "]");
      if (v != null) {
        return v;
      }
    }
    if (request.has("stream") && !request.get("stream").isBoolean() && !request.get("stream").isNull()) {
      return new Violation("stream", "invalid_type", "'stream' must be true or false, not " + request.get("stream") + ".");
    }
    for (String name : new String[] {"max_tokens", "max_completion_tokens", "n"}) {
      JsonNode v = request.get(name);
      if (v != null && !v.isNull() && (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 1)) {
        return new Violation(name, "invalid_value", "'" + name + "' must be a positive integer, not " + v + ".");
      }
    }
    Violation range = range(request, "temperature", 0, 2);
    if (range == null) {
      range = range(request, "top_p", 0, 1);
    }
    if (range != null) {
      return range;
    }
    JsonNode tools = request.get("tools");
    if (tools != null && !tools.isNull()) {
      if (!tools.isArray()) {
        return new Violation("tools", "invalid_type", "'tools' must be an array of tools such as {\"type\": "
            + "\"function\", \"function\": {\"name\": \"get_weather\", \"parameters\": {...}}}.");
      }
      for (int i = 0; i < tools.size(); i++) {
        JsonNode tool = tools.get(i);
        if (!tool.isObject() || (tool.path("type").asText("function").equals("function")
            && !tool.path("function").path("name").isTextual())) {
          return new Violation("tools[" + i + "].function.name", "missing_required_parameter",
              "Missing required parameter: 'tools[" + i + "].function.name'.");
        }
      }
    }
    return null;
  }

  private static Violation message(JsonNode m, String path) {
    if (!m.isObject()) {
      return new Violation(path, "invalid_type", "'" + path + "' must be an object such as {\"role\": \"user\", "
          + "\"content\": \"Hi\"}, not " + m + ".");
    }
    JsonNode role = m.get("role");
    if (role == null || role.isNull()) {
      return new Violation(path + ".role", "missing_required_parameter", "Missing required parameter: '" + path
          + ".role'. Use one of: system, developer, user, assistant, tool.");
    }
    if (!role.isTextual() || !ROLES.contains(role.asText())) {
      return new Violation(path + ".role", "invalid_value", "Invalid value " + role + " for '" + path + ".role'. "
          + "Use one of: system, developer, user, assistant, tool.");
    }
    JsonNode content = m.get("content");
    if (content != null && !content.isNull() && !content.isTextual() && !content.isArray()) {
      return new Violation(path + ".content", "invalid_type", "'" + path + ".content' must be a string or an array "
          + "of content parts, not " + content.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + ".");
    }
    if ((content == null || content.isNull()) && !role.asText().equals("assistant")) {
      return new Violation(path + ".content", "missing_required_parameter", "Missing required parameter: '"
          + path + ".content'.");
    }
    return null;
  }

  private static Violation range(ObjectNode request, String name, double min, double max) {
    JsonNode v = request.get(name);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isNumber() || v.asDouble() < min || v.asDouble() > max) {
      return new Violation(name, "invalid_value", "'" + name + "' must be a number between " + (int) min + " and "
          + (int) max + ", not " + v + ".");
    }
    return null;
  }
}
