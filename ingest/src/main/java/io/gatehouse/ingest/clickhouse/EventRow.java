package io.gatehouse.ingest.clickhouse;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.schemas.GatehouseEvent.Attempt;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The one mapping from {@link GatehouseEvent} to a {@code JSONEachRow} row of {@code gatehouse.events}
 * (migration 0002), in the form ClickHouse 18.16 accepts and current releases accept too:
 *
 * <ul>
 *   <li>{@code ts}: {@code ts_start_ms / 1000} as {@code 'YYYY-MM-DD hh:mm:ss'} in UTC;
 *   <li>{@code params}/{@code prompt}: the JSON text as a string, {@code ""} when absent;
 *   <li>booleans as 0/1; absent strings as {@code ""}; unknown tokens, cost and timings as {@code null}
 *       (Nullable columns);
 *   <li>Nested {@code tags} and {@code attempts} as parallel arrays ({@code "tags.key":[…]}).
 * </ul>
 *
 * <p>Rows are streamed with a Jackson {@link JsonGenerator} straight into the caller's buffer: no
 * intermediate tree or String per row. {@link #check} runs before anything is written, so an event
 * that cannot become a row never leaves half a row behind. Stateless and thread-safe.
 */
public final class EventRow {
  private static final long UINT16_MAX = 0xFFFFL;
  private static final long UINT32_MAX = 0xFFFF_FFFFL;
  /** DateTime is a UInt32 of seconds: 2106-02-07 06:28:15 UTC is the last second it can hold. */
  private static final long DATETIME_MAX_MS = UINT32_MAX * 1000 + 999;

  private EventRow() {}

  /**
   * Why this event cannot be inserted (a value ClickHouse would reject and so fail the whole batch),
   * or {@code null} when it can.
   */
  public static String check(GatehouseEvent e) {
    if (!isCanonicalUuid(e.eventId())) {
      return "event_id is not a UUID: '" + e.eventId() + "'";
    }
    if (e.tsStartMs() < 0 || e.tsStartMs() > DATETIME_MAX_MS) {
      return "ts_start_ms out of range: " + e.tsStartMs();
    }
    String bad = firstOutOfRange(e);
    return bad == null ? null : bad + " out of range";
  }

  private static String firstOutOfRange(GatehouseEvent e) {
    if (outside(e.schemaVersion(), UINT16_MAX)) return "schema_version";
    if (e.tsEndMs() < 0) return "ts_end_ms";
    if (e.tsFirstTokenMs() != null && e.tsFirstTokenMs() < 0) return "ts_first_token_ms";
    if (outside(e.ttftMs(), UINT32_MAX)) return "ttft_ms";
    if (outside(e.durationMs(), UINT32_MAX)) return "duration_ms";
    if (outside(e.upstreamMs(), UINT32_MAX)) return "upstream_ms";
    if (outside(e.overheadUs(), UINT32_MAX)) return "overhead_us";
    if (outside(e.status(), UINT16_MAX)) return "status";
    if (outside(e.inputTokens(), UINT32_MAX)) return "input_tokens";
    if (outside(e.outputTokens(), UINT32_MAX)) return "output_tokens";
    if (outside(e.cachedInputTokens(), UINT32_MAX)) return "cached_input_tokens";
    if (outside(e.cacheWriteTokens(), UINT32_MAX)) return "cache_write_tokens";
    if (outside(e.reasoningTokens(), UINT32_MAX)) return "reasoning_tokens";
    List<Attempt> attempts = e.attempts();
    if (attempts != null) {
      for (int i = 0; i < attempts.size(); i++) {
        Attempt a = attempts.get(i);
        if (a == null) return "attempts[" + i + "] (null)";
        if (outside(a.status(), UINT16_MAX)) return "attempts[" + i + "].status";
        if (outside(a.durationMs(), UINT32_MAX)) return "attempts[" + i + "].duration_ms";
      }
    }
    return null;
  }

  /**
   * Writes one row as a JSON object (no line separator: configure the generator's root value
   * separator as {@code "\n"}).
   *
   * @throws IllegalArgumentException when {@link #check} finds a problem; nothing is written then
   */
  public static void write(GatehouseEvent e, JsonGenerator g) throws IOException {
    String problem = check(e);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    g.writeStartObject();
    g.writeStringField("event_id", e.eventId());
    g.writeNumberField("schema_version", e.schemaVersion());
    g.writeStringField("source", str(e.source()));
    g.writeFieldName("ts");
    writeDateTime(g, e.tsStartMs() / 1000);
    g.writeNumberField("ts_start_ms", e.tsStartMs());
    nullable(g, "ts_first_token_ms", e.tsFirstTokenMs());
    g.writeNumberField("ts_end_ms", e.tsEndMs());
    nullable(g, "ttft_ms", e.ttftMs());
    g.writeNumberField("duration_ms", e.durationMs());
    nullable(g, "upstream_ms", e.upstreamMs());
    nullable(g, "overhead_us", e.overheadUs());

    g.writeStringField("endpoint", str(e.endpoint()));
    g.writeStringField("model_requested", str(e.modelRequested()));
    g.writeStringField("model", str(e.model()));
    g.writeStringField("provider", str(e.provider()));
    g.writeStringField("deployment", str(e.deployment()));
    g.writeNumberField("stream", e.stream() ? 1 : 0);
    g.writeStringField("params", jsonText(e.params()));
    g.writeStringField("prompt", jsonText(e.prompt()));
    g.writeStringField("prompt_hash", str(e.promptHash()));

    g.writeNumberField("status", e.status());
    g.writeStringField("finish_reason", str(e.finishReason()));
    g.writeStringField("completion", str(e.completion()));
    g.writeStringField("error_class", str(e.errorClass()));
    g.writeStringField("error_message", str(e.errorMessage()));

    nullable(g, "input_tokens", e.inputTokens());
    nullable(g, "output_tokens", e.outputTokens());
    nullable(g, "cached_input_tokens", e.cachedInputTokens());
    nullable(g, "cache_write_tokens", e.cacheWriteTokens());
    nullable(g, "reasoning_tokens", e.reasoningTokens());
    nullable(g, "cost_usd", e.costUsd());
    nullable(g, "cost_saved_usd", e.costSavedUsd());
    g.writeStringField("price_version", str(e.priceVersion()));

    g.writeStringField("virtual_key_id", str(e.virtualKeyId()));
    g.writeStringField("team", str(e.team()));
    g.writeStringField("user", str(e.user()));
    g.writeStringField("feature", str(e.feature()));
    g.writeStringField("environment", str(e.environment()));
    writeTags(g, e.tags());
    g.writeStringField("trace_id", str(e.traceId()));
    g.writeStringField("span_id", str(e.spanId()));
    g.writeStringField("session_id", str(e.sessionId()));

    g.writeStringField("route", str(e.route()));
    writeAttempts(g, e.attempts() == null ? List.of() : e.attempts());
    g.writeNumberField("fallback_used", e.fallbackUsed() ? 1 : 0);
    g.writeStringField("cache_result", str(e.cacheResult()));
    g.writeStringField("experiment", str(e.experiment()));
    g.writeStringField("variant", str(e.variant()));
    g.writeStringField("prompt_id", str(e.promptId()));
    g.writeStringField("prompt_version", str(e.promptVersion()));
    g.writeEndObject();
  }

  private static void writeTags(JsonGenerator g, Map<String, String> tags) throws IOException {
    // Two passes over the same unmodified map see the same order, so keys and values stay aligned.
    g.writeArrayFieldStart("tags.key");
    if (tags != null) {
      for (String k : tags.keySet()) {
        g.writeString(str(k));
      }
    }
    g.writeEndArray();
    g.writeArrayFieldStart("tags.value");
    if (tags != null) {
      for (String v : tags.values()) {
        g.writeString(str(v));
      }
    }
    g.writeEndArray();
  }

  private static void writeAttempts(JsonGenerator g, List<Attempt> attempts) throws IOException {
    g.writeArrayFieldStart("attempts.provider");
    for (Attempt a : attempts) g.writeString(str(a.provider()));
    g.writeEndArray();
    g.writeArrayFieldStart("attempts.deployment");
    for (Attempt a : attempts) g.writeString(str(a.deployment()));
    g.writeEndArray();
    g.writeArrayFieldStart("attempts.model");
    for (Attempt a : attempts) g.writeString(str(a.model()));
    g.writeEndArray();
    g.writeArrayFieldStart("attempts.status");
    for (Attempt a : attempts) g.writeNumber(a.status());
    g.writeEndArray();
    g.writeArrayFieldStart("attempts.failure_class");
    for (Attempt a : attempts) g.writeString(str(a.failureClass()));
    g.writeEndArray();
    g.writeArrayFieldStart("attempts.duration_ms");
    for (Attempt a : attempts) g.writeNumber(a.durationMs());
    g.writeEndArray();
  }

  /** Writes {@code epochSeconds} as {@code "YYYY-MM-DD hh:mm:ss"} (UTC) without allocating a formatter. */
  static void writeDateTime(JsonGenerator g, long epochSeconds) throws IOException {
    long days = Math.floorDiv(epochSeconds, 86_400L);
    int secOfDay = (int) Math.floorMod(epochSeconds, 86_400L);
    // civil-from-days (proleptic Gregorian), valid for the whole DateTime range
    long z = days + 719_468;
    long era = Math.floorDiv(z, 146_097);
    long doe = z - era * 146_097;
    long yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    int day = (int) (doy - (153 * mp + 2) / 5 + 1);
    int month = (int) (mp < 10 ? mp + 3 : mp - 9);
    int year = (int) (yoe + era * 400 + (month <= 2 ? 1 : 0));
    char[] c = new char[19];
    digits(c, 0, year, 4);
    c[4] = '-';
    digits(c, 5, month, 2);
    c[7] = '-';
    digits(c, 8, day, 2);
    c[10] = ' ';
    digits(c, 11, secOfDay / 3600, 2);
    c[13] = ':';
    digits(c, 14, secOfDay / 60 % 60, 2);
    c[16] = ':';
    digits(c, 17, secOfDay % 60, 2);
    g.writeString(c, 0, 19);
  }

  private static void digits(char[] c, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      c[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  }

  private static void nullable(JsonGenerator g, String field, Long v) throws IOException {
    if (v == null) {
      g.writeNullField(field);
    } else {
      g.writeNumberField(field, v.longValue());
    }
  }

  private static void nullable(JsonGenerator g, String field, Double v) throws IOException {
    // NaN and infinities are not JSON numbers and mean "unknown" here
    if (v == null || !Double.isFinite(v)) {
      g.writeNullField(field);
    } else {
      g.writeNumberField(field, v.doubleValue());
    }
  }

  private static boolean outside(Long v, long max) {
    return v != null && (v < 0 || v > max);
  }

  private static boolean outside(long v, long max) {
    return v < 0 || v > max;
  }

  private static String str(String s) {
    return s == null ? "" : s;
  }

  private static String jsonText(JsonNode node) {
    return node == null || node.isMissingNode() || node.isNull() ? "" : node.toString();
  }

  /** ClickHouse 18.16 parses only the canonical 8-4-4-4-12 hex form. */
  static boolean isCanonicalUuid(String s) {
    if (s == null || s.length() != 36) {
      return false;
    }
    for (int i = 0; i < 36; i++) {
      char ch = s.charAt(i);
      boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash ? ch != '-' : !isHex(ch)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isHex(char ch) {
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
  }
}
