package io.gatehouse.proxy.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.schemas.GatehouseEvent;
import io.undertow.util.HeaderMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who and what a request is for, from the client's headers ({@code x-gatehouse-user}, {@code -team},
 * {@code -feature}, {@code -tags: k=v,k2=v2}, {@code -session}, W3C {@code traceparent}) and the
 * OpenAI {@code user} body field (the header wins). Values are bounded in length so a client cannot
 * make events huge.
 */
public record Attribution(String user, String team, String feature, String sessionId,
    Map<String, String> tags, String traceId, String spanId) {

  static final int MAX_VALUE_CHARS = 256;
  static final int MAX_TAGS = 32;
  private static final Pattern TRACEPARENT =
      Pattern.compile("^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}.*$");

  /** @param body the parsed request body, or null when it could not be parsed */
  public static Attribution from(HeaderMap headers, JsonNode body) {
    String user = header(headers, "x-gatehouse-user");
    if (user == null && body != null && body.path("user").isTextual()) {
      user = bound(body.get("user").asText());
    }
    String traceId = null;
    String spanId = null;
    String traceparent = headers.getFirst("traceparent");
    if (traceparent != null) {
      Matcher m = TRACEPARENT.matcher(traceparent.strip().toLowerCase(java.util.Locale.ROOT));
      if (m.matches() && !m.group(1).equals("0".repeat(32))) {
        traceId = m.group(1);
        spanId = m.group(2);
      }
    }
    return new Attribution(user, header(headers, "x-gatehouse-team"), header(headers, "x-gatehouse-feature"),
        header(headers, "x-gatehouse-session"), tags(headers.getFirst("x-gatehouse-tags")), traceId, spanId);
  }

  /** Parses {@code k=v,k2=v2}; entries without '=' or with an empty key are ignored. */
  static Map<String, String> tags(String value) {
    Map<String, String> tags = new LinkedHashMap<>();
    if (value == null) {
      return tags;
    }
    for (String entry : value.split(",")) {
      int eq = entry.indexOf('=');
      if (eq <= 0 || tags.size() >= MAX_TAGS) {
        continue;
      }
      String k = entry.substring(0, eq).strip();
      if (!k.isEmpty()) {
        tags.put(bound(k), bound(entry.substring(eq + 1).strip()));
      }
    }
    return tags;
  }

  public void applyTo(GatehouseEvent.Builder event) {
    event.user(user).team(team).feature(feature).sessionId(sessionId).tags(tags).traceId(traceId).spanId(spanId);
  }

  private static String header(HeaderMap headers, String name) {
    String v = headers.getFirst(name);
    return v == null || v.isBlank() ? null : bound(v.strip());
  }

  private static String bound(String v) {
    return v.length() > MAX_VALUE_CHARS ? v.substring(0, MAX_VALUE_CHARS) : v;
  }
}
