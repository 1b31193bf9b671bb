package io.gatehouse.proxy.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.pipeline.Attribution;
import io.undertow.util.HeaderMap;
import java.util.Map;
import java.util.function.Function;

/**
 * What routing rules and experiments may look at in one chat request. Attribution values (user, team,
 * feature, session, tags) are those of {@link Attribution}, so a rule sees what the event records.
 *
 * @param header a request header's first value by name (case-insensitive), or null; never null itself
 * @param estimatedPromptTokens about a quarter of the characters of the messages' text (see
 *     {@link #estimatePromptTokens}); an estimate for rules, never a count for billing
 * @param hasTools the request offers {@code tools} (or legacy {@code functions})
 * @param hasImages a message has an image part
 */
public record RouteFacts(String user, String team, String feature, String session, Map<String, String> tags,
    Function<String, String> header, int estimatedPromptTokens, boolean hasTools, boolean hasImages) {

  /** Nothing known about the request: no attribution or headers, 0 tokens, no tools, no images. */
  public static final RouteFacts NONE = new RouteFacts(null, null, null, null, Map.of(), name -> null, 0, false, false);

  public RouteFacts {
    tags = tags == null ? Map.of() : tags;
    header = header == null ? name -> null : header;
  }

  /** Facts of an OpenAI-shaped chat request; reads attribution as {@link Attribution#from} does. */
  public static RouteFacts of(HeaderMap headers, ObjectNode request) {
    return of(Attribution.from(headers, request), headers, request);
  }

  /** The same, for a caller that already has the request's attribution. */
  public static RouteFacts of(Attribution attribution, HeaderMap headers, ObjectNode request) {
    JsonNode messages = request == null ? null : request.get("messages");
    return new RouteFacts(attribution.user(), attribution.team(), attribution.feature(), attribution.sessionId(),
        attribution.tags(), headers::getFirst, estimatePromptTokens(messages),
        request != null && (nonEmptyArray(request.get("tools")) || nonEmptyArray(request.get("functions"))),
        hasImages(messages));
  }

  /**
   * Characters / 4, rounded up, of the text the model reads: string contents, text parts, tool-call
   * names and arguments. Images and other binary parts are not counted (their base64 is not prompt
   * text). Good enough to send long prompts to a long-context model; not a tokenizer.
   */
  static int estimatePromptTokens(JsonNode messages) {
    if (messages == null || !messages.isArray()) {
      return 0;
    }
    long chars = 0;
    for (JsonNode m : messages) {
      JsonNode content = m.path("content");
      if (content.isTextual()) {
        chars += content.textValue().length();
      } else if (content.isArray()) {
        for (JsonNode part : content) {
          if (part.path("text").isTextual()) {
            chars += part.get("text").textValue().length();
          }
        }
      }
      for (JsonNode call : m.path("tool_calls")) {
        chars += call.path("function").path("name").asText("").length();
        chars += call.path("function").path("arguments").asText("").length();
      }
    }
    return (int) Math.min(Integer.MAX_VALUE, (chars + 3) / 4);
  }

  private static boolean hasImages(JsonNode messages) {
    if (messages == null || !messages.isArray()) {
      return false;
    }
    for (JsonNode m : messages) {
      for (JsonNode part : m.path("content")) {
        String type = part.path("type").asText("");
        if (type.equals("image_url") || type.equals("input_image") || type.equals("image")) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean nonEmptyArray(JsonNode n) {
    return n != null && n.isArray() && !n.isEmpty();
  }
}
