package io.gatehouse.ui.requests;

import io.gatehouse.schemas.clickhouse.ClickHouseException;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.schemas.clickhouse.ClickHouseHttp;
import io.gatehouse.ui.clickhouse.SqlLiteral;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Every query of the Requests page. Reads {@code gatehouse.events} without {@code FINAL}: ingest
 * checks each batch's event ids before inserting, so a re-delivered event is one row (the rollups'
 * materialized views count on the same thing), and {@code FINAL} made every search merge the table's
 * sorting key on one thread (19 s instead of 6.8 s for a 7-day text search over 10M events on 18.16). SQL that runs on
 * ClickHouse 18.16 and current servers; user input enters only through {@link SqlLiteral}.
 * Thread-safe; throws {@link io.gatehouse.ui.clickhouse.ClickHouseException} when ClickHouse cannot answer.
 */
public final class RequestQueries {
  static final String TABLE = "gatehouse.events";
  /** Same rule as {@link RequestRow#isError()}. */
  private static final String IS_ERROR = "(status >= 400 OR error_class != '')";
  private static final String[] SEARCHED_COLUMNS = {"user", "team", "feature", "model", "provider"};
  /** Longer error messages are cut in SQL: the list shows a tooltip, not a document. */
  private static final int ERROR_MESSAGE_CHARS = 300;

  private final ClickHouseHttp clickHouse;

  public RequestQueries(ClickHouseHttp clickHouse) {
    this.clickHouse = clickHouse;
  }

  /** Where the data comes from, for messages to the operator. */
  public String source() {
    return clickHouse.endpoint().toString();
  }

  public long count(RequestFilter filter) {
    String sql = "SELECT count() AS n FROM " + TABLE + conditions(filter) + settings(filter) + " FORMAT JSONEachRow";
    List<Long> rows = clickHouse.select(sql, row -> row.get("n").asLong());
    return rows.isEmpty() ? 0 : rows.get(0);
  }

  /** One page of requests, {@code offset} rows in, at most {@code limit} rows. */
  public List<RequestRow> page(RequestFilter filter, RequestSort sort, int offset, int limit) {
    if (offset < 0 || limit < 0) {
      throw new IllegalArgumentException("offset and limit must be >= 0: " + offset + ", " + limit);
    }
    if (limit == 0) {
      return List.of();
    }
    // late materialization: find the page's keys reading only the filter's and the sort's columns,
    // then read the shown columns of those rows alone (the key is the table's sorting key)
    String sql = "SELECT toString(event_id) AS id, toUInt32(ts) AS second, user, team, feature, model, provider,"
        + " input_tokens, output_tokens, cost_usd, duration_ms, ttft_ms, stream, status, error_class,"
        + " substringUTF8(error_message, 1, " + ERROR_MESSAGE_CHARS + ") AS error_message"
        + " FROM " + TABLE + " PREWHERE " + timeRange(filter) + " AND (ts, event_id) IN (SELECT ts, event_id FROM "
        + TABLE + conditions(filter)
        + " ORDER BY " + sort.orderBy()
        + " LIMIT " + SqlLiteral.integer(offset) + ", " + SqlLiteral.integer(limit) + ")"
        + " ORDER BY " + sort.orderBy()
        + settings(filter) // the outer query's settings apply to its subquery too
        + " FORMAT JSONEachRow";
    return clickHouse.select(sql, RequestQueries::row);
  }

  /**
   * Like {@link #page(RequestFilter, RequestSort, int, int)}, but a page in time order reads only the
   * time range that holds it, found in {@code volume} (this filter's {@link #volume} buckets). Other
   * orders read the whole range.
   */
  public List<RequestRow> page(RequestFilter filter, RequestSort sort, int offset, int limit,
      List<VolumeBucket> volume, BucketSize size) {
    if (sort.column() != RequestSort.Column.TIME || limit <= 0 || offset < 0) {
      return page(filter, sort, offset, limit);
    }
    return PageWindow.of(filter, volume, size, sort.descending(), offset, limit)
        .map(w -> page(w.filter(), sort, w.offset(), limit))
        .orElse(List.of());
  }

  /**
   * Requests and errors per bucket over the whole filter range, oldest first, with empty buckets
   * filled in (ClickHouse 18.16 has no {@code WITH FILL}).
   */
  public List<VolumeBucket> volume(RequestFilter filter, BucketSize size) {
    String sql = "SELECT toUInt32(" + size.sqlFunction() + "(ts)) AS bucket, count() AS requests,"
        + " countIf" + IS_ERROR + " AS errors"
        + " FROM " + TABLE + conditions(filter)
        + " GROUP BY bucket ORDER BY bucket" + settings(filter) + " FORMAT JSONEachRow";
    Map<Instant, VolumeBucket> found = new HashMap<>();
    for (VolumeBucket b : clickHouse.select(sql, RequestQueries::bucket)) {
      found.put(b.start(), b);
    }
    List<VolumeBucket> filled = new ArrayList<>();
    Instant last = size.floor(filter.to().minusNanos(1));
    for (Instant t = size.floor(filter.from()); !t.isAfter(last); t = t.plus(size.width())) {
      filled.add(found.getOrDefault(t, new VolumeBucket(t, 0, 0)));
    }
    return filled;
  }

  /**
   * The same buckets as {@link #volume(RequestFilter, BucketSize)}, for a filter that only moved forward
   * in time since {@code previous} (its buckets from an earlier read, e.g. the last auto-refresh): reads
   * the range's first bucket (its start moved) and everything from the bucket that holds {@code settled}
   * on, and takes the buckets in between from {@code previous}. The caller vouches that {@code previous}
   * already held every row older than {@code settled}; rows ingested later than that for an older bucket
   * show at the next full read. Reads everything when {@code previous} lacks a bucket in between.
   */
  public List<VolumeBucket> volume(RequestFilter filter, BucketSize size, List<VolumeBucket> previous, Instant settled) {
    Instant headEnd = size.floor(filter.from()).plus(size.width());
    Instant tailStart = size.floor(settled);
    if (!tailStart.isAfter(headEnd) || !tailStart.isBefore(filter.to())) {
      return volume(filter, size);
    }
    Map<Instant, VolumeBucket> old = new HashMap<>();
    previous.forEach(b -> old.put(b.start(), b));
    List<VolumeBucket> middle = new ArrayList<>();
    for (Instant t = headEnd; t.isBefore(tailStart); t = t.plus(size.width())) {
      VolumeBucket b = old.get(t);
      if (b == null) {
        return volume(filter, size);
      }
      middle.add(b);
    }
    List<VolumeBucket> out = new ArrayList<>(volume(
        new RequestFilter(filter.from(), headEnd, filter.search(), filter.criteria()), size));
    out.addAll(middle);
    out.addAll(volume(new RequestFilter(tailStart, filter.to(), filter.search(), filter.criteria()), size));
    return out;
  }

  /**
   * Every stored column of one request (Nested columns as parallel arrays, e.g. {@code attempts.status}),
   * or empty if there is no such request. {@code eventId} is user input (from the URL): anything that is
   * not a UUID finds nothing. {@code ts}, when known, narrows the read to that second's part of the table.
   */
  public Optional<JsonNode> detail(String eventId, Long ts) {
    UUID id;
    try {
      id = UUID.fromString(eventId);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    // no FINAL: copies of a re-delivered event are the same event; LIMIT 1 shows one of them
    String sql = "SELECT * FROM " + TABLE + " WHERE event_id = toUUID(" + SqlLiteral.string(id.toString()) + ")"
        + (ts == null ? "" : " AND ts = toDateTime(" + SqlLiteral.integer(ts) + ")")
        + " LIMIT 1 FORMAT JSONEachRow";
    return clickHouse.select(sql, r -> r).stream().findFirst();
  }

  private static String timeRange(RequestFilter filter) {
    return "ts >= toDateTime(" + SqlLiteral.integer(filter.from().getEpochSecond()) + ")"
        + " AND ts < toDateTime(" + SqlLiteral.integer(ceilSeconds(filter.to())) + ")";
  }

  /**
   * The filter as {@code " PREWHERE …"}, plus {@code " WHERE …"} for a text search next to a narrowing
   * filter. ClickHouse reads the PREWHERE columns first and the others only where it holds (18.16
   * moves at most one condition to PREWHERE by itself). The text condition reads the prompt and the
   * completion, nearly all of a row's bytes: alone, it belongs in PREWHERE (the other columns are then
   * read only for matching rows); next to a narrowing filter it goes to WHERE, so that the text is read
   * only where the cheap filters hold. Measured on 18.16 over 7 days of 10M events (3.3M rows, 1.2 GB
   * of text), CPU per query: text + one model of 8 (12%) 1,010 → 810 ms, + errors (3%) 925 → 545 ms,
   * + one user 1,000 → 500 ms, but + status ok (97%) 1,085 → 1,395 ms: status "ok" and cache result
   * "miss" (most requests) stay with the text in PREWHERE.
   */
  static String conditions(RequestFilter filter) {
    StringBuilder cheap = new StringBuilder(timeRange(filter));
    if (!filter.search().isEmpty()) {
      cheap.append(" AND ").append(anyContains(filter.search(), SEARCHED_COLUMNS));
    }
    RequestCriteria c = filter.criteria();
    criteria(cheap, c);
    if (c.text().isEmpty()) {
      return " PREWHERE " + cheap;
    }
    // positionCaseInsensitive (ASCII) would give the same rows for an ASCII needle, but on 18.16 it is
    // slower than the UTF-8 function (1,830-1,900 vs 1,380-1,440 ms CPU for a 7-day text search), so it is not used
    String text = anyContains(c.text(), "prompt", "completion");
    return narrows(filter) ? " PREWHERE " + cheap + " WHERE " + text : " PREWHERE " + cheap + " AND " + text;
  }

  /** {@code (positionCaseInsensitiveUTF8(column, 'needle') > 0 OR …)}: some of {@code columns} holds {@code needle}. */
  private static String anyContains(String needle, String... columns) {
    String literal = SqlLiteral.string(needle);
    StringBuilder any = new StringBuilder("(");
    for (int i = 0; i < columns.length; i++) {
      any.append(i > 0 ? " OR " : "").append("positionCaseInsensitiveUTF8(").append(columns[i]).append(", ")
          .append(literal).append(") > 0");
    }
    return any.append(')').toString();
  }

  /** True if a filter other than time, text, status "ok" and cache "miss" is set: those keep most rows. */
  private static boolean narrows(RequestFilter filter) {
    RequestCriteria c = filter.criteria();
    return !filter.search().isEmpty() || !c.model().isEmpty() || !c.provider().isEmpty() || !c.user().isEmpty()
        || !c.feature().isEmpty() || c.status().equals("error") || !c.failureClass().isEmpty()
        || c.minLatencyMs() != null || c.minTtftMs() != null || c.minCostUsd() != null
        || (!c.cacheResult().isEmpty() && !c.cacheResult().equals("miss"));
  }

  /**
   * A text search reads the prompt and completion in blocks of one granule (8,192 rows, the table's
   * index_granularity) instead of the default 65,536: on 18.16 this cut the CPU of a 7-day text search
   * over 10M events from 1,390 to 950 ms (reading the two columns alone: 850 → 425 ms); 4,096 did the
   * same, 12,288 and 16,384 lost the gain. Other queries read small columns and keep the defaults.
   */
  private static String settings(RequestFilter filter) {
    return filter.criteria().text().isEmpty() ? "" : " SETTINGS max_block_size = 8192";
  }

  /** Every condition but the text one, which {@link #conditions} places. */
  private static void criteria(StringBuilder where, RequestCriteria c) {
    equal(where, "model", c.model());
    equal(where, "provider", c.provider());
    equal(where, "user", c.user());
    equal(where, "feature", c.feature());
    equal(where, "cache_result", c.cacheResult());
    if (c.status().equals("ok")) {
      where.append(" AND NOT ").append(IS_ERROR);
    } else if (c.status().equals("error")) {
      where.append(" AND ").append(IS_ERROR);
    }
    if (!c.failureClass().isEmpty()) {
      String value = SqlLiteral.string(c.failureClass());
      where.append(" AND (error_class = ").append(value).append(" OR has(attempts.failure_class, ").append(value).append("))");
    }
    if (c.minLatencyMs() != null) {
      where.append(" AND duration_ms >= ").append(SqlLiteral.integer(c.minLatencyMs()));
    }
    if (c.minTtftMs() != null) {
      where.append(" AND ttft_ms >= ").append(SqlLiteral.integer(c.minTtftMs()));
    }
    if (c.minCostUsd() != null) {
      // a double's canonical string, parsed by ClickHouse: no user text reaches SQL unquoted
      where.append(" AND cost_usd >= toFloat64(").append(SqlLiteral.string(Double.toString(c.minCostUsd()))).append(')');
    }
  }

  private static void equal(StringBuilder where, String column, String value) {
    if (!value.isEmpty()) {
      where.append(" AND ").append(column).append(" = ").append(SqlLiteral.string(value));
    }
  }

  /** ts has whole seconds: {@code ts < ceil(to)} is the same as {@code ts < to}. */
  private static long ceilSeconds(Instant t) {
    return t.getNano() == 0 ? t.getEpochSecond() : t.getEpochSecond() + 1;
  }

  private static RequestRow row(JsonNode r) {
    return new RequestRow(
        r.get("id").asText(),
        Instant.ofEpochSecond(r.get("second").asLong()),
        r.get("user").asText(),
        r.get("team").asText(),
        r.get("feature").asText(),
        r.get("model").asText(),
        r.get("provider").asText(),
        nullableLong(r.get("input_tokens")),
        nullableLong(r.get("output_tokens")),
        r.get("cost_usd").isNull() ? null : r.get("cost_usd").asDouble(),
        r.get("duration_ms").asLong(),
        nullableLong(r.get("ttft_ms")),
        r.get("stream").asInt() != 0,
        r.get("status").asInt(),
        r.get("error_class").asText(),
        r.get("error_message").asText());
  }

  private static VolumeBucket bucket(JsonNode r) {
    return new VolumeBucket(Instant.ofEpochSecond(r.get("bucket").asLong()),
        r.get("requests").asLong(), r.get("errors").asLong());
  }

  /** JSONEachRow writes Nullable NULL as null and (by default) 64-bit integers as quoted strings. */
  private static Long nullableLong(JsonNode value) {
    return value == null || value.isNull() ? null : value.asLong();
  }
}
