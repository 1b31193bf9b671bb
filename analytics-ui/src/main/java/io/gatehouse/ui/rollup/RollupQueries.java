package io.gatehouse.ui.rollup;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.schemas.clickhouse.ClickHouseHttp;
import io.gatehouse.ui.clickhouse.SqlLiteral;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The dashboards' queries. They read the rollups of migration 0003: {@code gatehouse.rollup_daily} when
 * {@code from} is a UTC midnight and no hourly bucket is asked for (today, this month, N whole days),
 * else {@code gatehouse.rollup_hourly} (ranges of whole hours, {@code [floorHour(from), to)}); for the
 * user dimension always {@code gatehouse.rollup_daily_user} (whole days, {@code [floorDay(from), to)},
 * so a user series is at least daily). Grouping by tag is the one exception: tags exist only in the raw events,
 * which are read as stored (ingest writes each event once; see RequestQueries). Column names come from
 * {@link Dimension} and {@link Bucket} (constants); user input enters only through {@link SqlLiteral}.
 * Thread-safe; throws {@link io.gatehouse.schemas.clickhouse.ClickHouseException} when ClickHouse cannot answer.
 */
public final class RollupQueries {
  static final String ROLLUP = "gatehouse.rollup_hourly";
  static final String DAILY_ROLLUP = "gatehouse.rollup_daily";
  static final String USER_ROLLUP = "gatehouse.rollup_daily_user";
  static final String EVENTS = "gatehouse.events";
  /** Label of the series that sums every group outside the top N. */
  public static final String OTHER = "(other)";

  private static final String ROLLUP_STATS = "countMerge(requests) AS requests, sumMerge(errors) AS errors,"
      + " sumMerge(input_tokens) AS input_tokens, sumMerge(output_tokens) AS output_tokens,"
      + " sumMerge(cached_input_tokens) AS cached_input_tokens, sumMerge(reasoning_tokens) AS reasoning_tokens,"
      + " sumMerge(cost_usd) AS cost_usd, sumMerge(cost_saved_usd) AS cost_saved_usd, sumMerge(cache_hits) AS cache_hits,"
      + " quantilesTDigestMerge(0.5, 0.95)(latency_ms) AS latency";
  /** Merging t-digest states is most of a rollup query's time: only pages that show latency ask for it. */
  private static final String NO_LATENCY = "[0., 0.] AS latency";
  /** The same numbers computed from raw events (the rollup view's expressions, then finished). */
  private static final String RAW_STATS = "count() AS requests, sum(toUInt64(status >= 400 OR error_class != '')) AS errors,"
      + " sum(toUInt64(ifNull(input_tokens, 0))) AS input_tokens, sum(toUInt64(ifNull(output_tokens, 0))) AS output_tokens,"
      + " sum(toUInt64(ifNull(cached_input_tokens, 0))) AS cached_input_tokens,"
      + " sum(toUInt64(ifNull(reasoning_tokens, 0))) AS reasoning_tokens,"
      + " sum(ifNull(cost_usd, 0.)) AS cost_usd, sum(ifNull(cost_saved_usd, 0.)) AS cost_saved_usd,"
      + " sum(toUInt64(cache_result IN ('exact', 'semantic'))) AS cache_hits,"
      + " quantilesTDigest(0.5, 0.95)(duration_ms) AS latency";
  private static final String TAG_KEY = "concat(tags.key, '=', tags.value)";

  private final ClickHouseHttp clickHouse;
  private final Clock clock;

  public RollupQueries(ClickHouseHttp clickHouse) {
    this(clickHouse, Clock.systemUTC());
  }

  RollupQueries(ClickHouseHttp clickHouse, Clock clock) {
    this.clickHouse = clickHouse;
    this.clock = clock;
  }

  public String source() {
    return clickHouse.endpoint().toString();
  }

  /** Everything in the range, as one row with an empty key; latency quantiles 0 unless {@code latency}. */
  public Stats totals(Instant from, Instant to, boolean latency) {
    String sql = "SELECT '' AS key, " + stats(latency) + " FROM " + table(from, to, null) + " WHERE " + range(from, to, null)
        + " FORMAT JSONEachRow";
    List<Stats> rows = clickHouse.select(sql, RollupQueries::stats);
    return rows.isEmpty() ? empty("") : rows.get(0);
  }

  /** Groups by {@code by}, most expensive first, at most {@code limit} rows; latency quantiles 0 unless {@code latency}. */
  public List<Stats> groups(Dimension by, Instant from, Instant to, int limit, boolean latency) {
    String sql;
    if (by == Dimension.TAG) {
      sql = "SELECT " + TAG_KEY + " AS key, " + RAW_STATS + " FROM " + EVENTS + " ARRAY JOIN tags"
          + " WHERE " + raw(from, to) + " GROUP BY key";
    } else if (by == Dimension.USER) {
      sql = "SELECT user AS key, " + stats(latency) + " FROM " + USER_ROLLUP + " WHERE " + days(from, to) + " GROUP BY key";
    } else {
      sql = "SELECT " + by.rollupColumn().orElseThrow() + " AS key, " + stats(latency) + " FROM " + table(from, to, null)
          + " WHERE " + range(from, to, null) + " GROUP BY key";
    }
    sql += " ORDER BY cost_usd DESC, requests DESC, key LIMIT " + SqlLiteral.integer(limit) + " FORMAT JSONEachRow";
    return clickHouse.select(sql, RollupQueries::stats);
  }

  /**
   * Cost per bucket for the {@code top} most expensive groups over the range; every other group is
   * summed into {@link #OTHER}. Buckets without cost are left out (the chart fills them). Users are
   * rolled up per day: for {@link Dimension#USER} an hourly bucket is read as daily.
   */
  public List<SeriesPoint> costSeries(Dimension by, Bucket bucket, Instant from, Instant to, int top) {
    String sql;
    if (by == Dimension.TAG) {
      sql = "SELECT toUInt32(" + bucket.sql("ts") + ") AS bucket, " + TAG_KEY + " AS key, sum(ifNull(cost_usd, 0.)) AS cost_usd"
          + " FROM " + EVENTS + " ARRAY JOIN tags WHERE " + raw(from, to);
    } else if (by == Dimension.USER) {
      Bucket size = bucket == Bucket.HOUR ? Bucket.DAY : bucket;
      sql = "SELECT toUInt32(" + size.sql("day") + ") AS bucket, user AS key, sumMerge(cost_usd) AS cost_usd FROM "
          + USER_ROLLUP + " WHERE " + days(from, to);
    } else {
      sql = "SELECT toUInt32(" + bucket.sql(daily(from, to, bucket) ? "day" : "hour") + ") AS bucket, "
          + by.rollupColumn().orElseThrow() + " AS key, sumMerge(cost_usd) AS cost_usd FROM " + table(from, to, bucket)
          + " WHERE " + range(from, to, bucket);
    }
    sql += " GROUP BY bucket, key ORDER BY bucket, key FORMAT JSONEachRow";
    List<SeriesPoint> points = clickHouse.select(sql, r -> new SeriesPoint(
        Instant.ofEpochSecond(r.get("bucket").asLong()), r.get("key").asText(), r.get("cost_usd").asDouble()));
    return topN(points, top);
  }

  private static String stats(boolean latency) {
    return latency ? ROLLUP_STATS : ROLLUP_STATS.substring(0, ROLLUP_STATS.lastIndexOf(" quantilesTDigestMerge")) + " " + NO_LATENCY;
  }

  static List<SeriesPoint> topN(List<SeriesPoint> points, int top) {
    Map<String, Double> totals = new HashMap<>();
    points.forEach(p -> totals.merge(p.key(), p.costUsd(), Double::sum));
    Set<String> kept = totals.entrySet().stream()
        .sorted(Map.Entry.<String, Double>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
        .limit(top).map(Map.Entry::getKey).collect(Collectors.toSet());
    Map<List<Object>, Double> merged = new LinkedHashMap<>();
    for (SeriesPoint p : points) {
      String key = kept.contains(p.key()) ? p.key() : OTHER;
      merged.merge(List.of(p.bucket(), key), p.costUsd(), Double::sum);
    }
    List<SeriesPoint> out = new ArrayList<>();
    merged.forEach((k, cost) -> out.add(new SeriesPoint((Instant) k.get(0), (String) k.get(1), cost)));
    out.sort(Comparator.comparing(SeriesPoint::bucket));
    return out;
  }

  /**
   * The daily rollup answers exactly when nothing finer than a day is asked for, the range starts at a
   * UTC midnight and ends at one or in the future (today's row then holds only what happened so far).
   */
  boolean daily(Instant from, Instant to, Bucket bucket) {
    return bucket != Bucket.HOUR && from.getEpochSecond() % 86_400 == 0
        && (to.getEpochSecond() % 86_400 == 0 || to.isAfter(clock.instant()));
  }

  private String table(Instant from, Instant to, Bucket bucket) {
    return daily(from, to, bucket) ? DAILY_ROLLUP : ROLLUP;
  }

  private String range(Instant from, Instant to, Bucket bucket) {
    return daily(from, to, bucket) ? days(from, to) : hours(from, to);
  }

  static String hours(Instant from, Instant to) {
    return "hour >= toStartOfHour(toDateTime(" + SqlLiteral.integer(from.getEpochSecond()) + ", 'UTC'))"
        + " AND hour < toDateTime(" + SqlLiteral.integer(to.getEpochSecond()) + ", 'UTC')";
  }

  static String days(Instant from, Instant to) {
    return "day >= toDateTime(toStartOfDay(toDateTime(" + SqlLiteral.integer(from.getEpochSecond()) + ", 'UTC')), 'UTC')"
        + " AND day < toDateTime(" + SqlLiteral.integer(to.getEpochSecond()) + ", 'UTC')";
  }

  static String raw(Instant from, Instant to) {
    return "ts >= toStartOfHour(toDateTime(" + SqlLiteral.integer(from.getEpochSecond()) + ", 'UTC'))"
        + " AND ts < toDateTime(" + SqlLiteral.integer(to.getEpochSecond()) + ", 'UTC')";
  }

  private static Stats stats(JsonNode r) {
    long requests = r.get("requests").asLong();
    JsonNode latency = r.get("latency");
    return new Stats(r.get("key").asText(), requests, r.get("errors").asLong(),
        r.get("input_tokens").asLong(), r.get("output_tokens").asLong(), r.get("cached_input_tokens").asLong(),
        r.get("reasoning_tokens").asLong(), r.get("cost_usd").asDouble(), r.get("cost_saved_usd").asDouble(),
        r.get("cache_hits").asLong(), quantile(latency, 0, requests), quantile(latency, 1, requests));
  }

  /** An empty state's quantiles come back as NaN (or garbage): 0 when there was nothing to measure. */
  private static double quantile(JsonNode values, int i, long requests) {
    if (requests == 0 || values == null || !values.isArray() || values.size() <= i) {
      return 0;
    }
    double v = values.get(i).asDouble();
    return Double.isFinite(v) ? v : 0;
  }

  private static Stats empty(String key) {
    return new Stats(key, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  }
}
