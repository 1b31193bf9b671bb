package io.gatehouse.proxy.logs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.events.PromptHash;
import io.gatehouse.proxy.provider.Usage;
import io.gatehouse.schemas.EventIds;
import io.gatehouse.schemas.GatehouseEvent;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What the three receivers share when they turn a received log into an event, so that the event looks
 * like the one a proxied call produces (same prompt shape and hash, same bounds on attribution). Stateless.
 */
final class LogEvents {
  static final ObjectMapper JSON = new ObjectMapper();
  /** As {@code Attribution}: a sender cannot make events huge through attribution values. */
  static final int MAX_VALUE_CHARS = 256;
  static final int MAX_TAGS = 32;

  private LogEvents() {}

  /**
   * The event id of a received log: a UUIDv7 on the log's start time whose random bits are derived
   * from {@code source} and {@code key} (the sender's id of the call, or the log's own bytes). The same
   * log received twice — a sender retrying after a 503 or a lost answer — gets the same id, and ingest
   * stores each id once.
   */
  static String eventId(String source, String key, long tsStartMs) {
    byte[] digest;
    try {
      digest = MessageDigest.getInstance("SHA-256").digest((source + '\n' + key).getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
    ByteBuffer b = ByteBuffer.wrap(digest);
    return EventIds.of(Math.max(0, tsStartMs), b.getLong(), b.getLong()).toString();
  }

  /** Sets the prompt and its hash the way the proxy does (SHA-256 of the prompt's JSON bytes). */
  static void prompt(GatehouseEvent.Builder event, JsonNode prompt) {
    if (prompt == null || prompt.isNull() || prompt.isMissingNode()) {
      return;
    }
    event.prompt(prompt);
    try {
      event.promptHash(PromptHash.sha256Hex(JSON.writeValueAsBytes(prompt)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a parsed tree must serialise", e);
    }
  }

  static void usage(GatehouseEvent.Builder event, Usage usage) {
    if (usage != null) {
      event.inputTokens(usage.inputTokens()).outputTokens(usage.outputTokens())
          .cachedInputTokens(usage.cachedInputTokens()).cacheWriteTokens(usage.cacheWriteTokens())
          .reasoningTokens(usage.reasoningTokens());
    }
  }

  /** Timings as the proxy records them: duration = end - start; ttft only for a stream's first token. */
  static void timings(GatehouseEvent.Builder event, long startMs, long endMs, Long firstTokenMs, boolean stream) {
    event.tsStartMs(startMs).tsEndMs(endMs).durationMs(endMs - startMs);
    if (stream && firstTokenMs != null && firstTokenMs >= startMs && firstTokenMs <= endMs) {
      event.tsFirstTokenMs(firstTokenMs).ttftMs(firstTokenMs - startMs);
    }
  }

  /** The request without {@code omit}: what the event keeps as parameters. Shares nodes; never mutated. */
  static ObjectNode paramsOf(JsonNode request, Set<String> omit) {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = request.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      if (!omit.contains(f.getKey())) {
        params.set(f.getKey(), f.getValue());
      }
    }
    return params;
  }

  /** The text of an OpenAI {@code chat.completion}'s first choice, or null. */
  static String openAiText(JsonNode response) {
    JsonNode content = response.path("choices").path(0).path("message").get("content");
    return content != null && content.isTextual() ? content.asText() : null;
  }

  /** The text blocks of an Anthropic message, joined; null when it has none. */
  static String anthropicText(JsonNode message) {
    JsonNode content = message.get("content");
    if (content == null || !content.isArray()) {
      return content != null && content.isTextual() ? content.asText() : null;
    }
    StringBuilder text = new StringBuilder();
    boolean any = false;
    for (JsonNode block : content) {
      if ("text".equals(block.path("type").asText()) && block.path("text").isTextual()) {
        text.append(block.get("text").asText());
        any = true;
      }
    }
    return any ? text.toString() : null;
  }

  static String text(JsonNode n) {
    return n == null || n.isNull() || n.isMissingNode() || n.isContainerNode() ? null : bound(n.asText());
  }

  /** A bounded attribution value; null for blank. */
  static String bound(String v) {
    if (v == null || v.isBlank()) {
      return null;
    }
    v = v.strip();
    return v.length() > MAX_VALUE_CHARS ? v.substring(0, MAX_VALUE_CHARS) : v;
  }

  static Long longOrNull(JsonNode n) {
    if (n == null) {
      return null;
    }
    if (n.isIntegralNumber() || n.isNumber()) {
      return n.asLong();
    }
    if (n.isTextual()) {
      try {
        return Long.parseLong(n.asText().strip());
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }

  /** Adds a tag within the bounds; blank keys are ignored. */
  static void tag(Map<String, String> tags, String key, String value) {
    String k = bound(key);
    if (k != null && tags.size() < MAX_TAGS) {
      tags.put(k, value == null ? "" : bound(value) == null ? "" : bound(value));
    }
  }

  /** Tags from a JSON object of scalars ({@code {"env": "prod"}}). */
  static Map<String, String> tags(JsonNode object, String path) throws InvalidPayload {
    Map<String, String> tags = new LinkedHashMap<>();
    if (object == null || object.isNull()) {
      return tags;
    }
    if (!object.isObject()) {
      throw new InvalidPayload(path + ": expected an object of strings such as {\"env\": \"prod\"}");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isValueNode()) {
        throw new InvalidPayload(path + "." + e.getKey() + ": tag values must be strings, numbers or booleans");
      }
      tag(tags, e.getKey(), e.getValue().asText());
    }
    return tags;
  }

  /**
   * A point in time as epoch milliseconds: a number (epoch ms; or epoch seconds with a fraction when
   * {@code seconds} is set, as LiteLLM sends) or an ISO-8601 string ({@code 2026-11-25T12:00:00.123Z}).
   */
  static Long instantMs(JsonNode n, boolean seconds, String path) throws InvalidPayload {
    if (n == null || n.isNull() || n.isMissingNode()) {
      return null;
    }
    if (n.isNumber()) {
      return seconds ? Math.round(n.asDouble() * 1000.0) : n.asLong();
    }
    if (n.isTextual()) {
      String s = n.asText().strip();
      try {
        return Instant.parse(s).toEpochMilli();
      } catch (DateTimeParseException e) {
        try {
          // LiteLLM's datetimes are naive (no zone) and UTC
          return java.time.LocalDateTime.parse(s).toInstant(java.time.ZoneOffset.UTC).toEpochMilli();
        } catch (DateTimeParseException e2) {
          throw new InvalidPayload(path + ": not a time: \"" + (s.length() > 40 ? s.substring(0, 40) + "…" : s)
              + "\" (use epoch milliseconds or ISO-8601 such as 2026-11-25T12:00:00.123Z)");
        }
      }
    }
    throw new InvalidPayload(path + ": expected a time (epoch milliseconds or an ISO-8601 string), got " + kind(n));
  }

  static String kind(JsonNode n) {
    if (n.isObject()) {
      return "an object";
    }
    if (n.isArray()) {
      return "an array";
    }
    if (n.isTextual()) {
      return "a string";
    }
    if (n.isNumber()) {
      return "a number";
    }
    if (n.isBoolean()) {
      return "a boolean";
    }
    return "null";
  }
}
