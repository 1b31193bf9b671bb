package io.gatehouse.proxy.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * The prompt an event keeps, in one shape whatever API the call used, so that the same conversation
 * gets the same {@code prompt} and {@code prompt_hash} from the proxy and from the log receivers.
 * Stateless.
 */
public final class Prompts {
  private Prompts() {}

  /**
   * An Anthropic Messages request's prompt: {@code system} as a leading system turn, then the
   * messages. Shares the request's nodes.
   */
  public static JsonNode anthropic(JsonNode request) {
    JsonNode messages = request.get("messages");
    JsonNode system = request.get("system");
    if (system == null || system.isNull()) {
      return messages;
    }
    ArrayNode prompt = JsonNodeFactory.instance.arrayNode();
    prompt.addObject().put("role", "system").set("content", system);
    if (messages != null && messages.isArray()) {
      prompt.addAll((ArrayNode) messages);
    }
    return prompt;
  }
}
