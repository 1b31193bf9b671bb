package io.gatehouse.ui.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.schemas.clickhouse.ClickHouseHttp;
import io.gatehouse.ui.clickhouse.SqlLiteral;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Experiments, prompt versions and per-variant samples, from the raw events (read without
 * FINAL, like the Requests page: ingest writes each event once) joined with the latest score and the latest label per request. Column names
 * come from {@link Experiment.Kind}; user input enters only through {@link SqlLiteral}. Thread-safe.
 */
public final class ExperimentQueries {
  static final String EVENTS = "gatehouse.events";
  static final String FEEDBACK = "gatehouse.feedback";

  private final ClickHouseHttp clickHouse;

  public ExperimentQueries(ClickHouseHttp clickHouse) {
    this.clickHouse = clickHouse;
  }

  public String source() {
    return clickHouse.endpoint().toString();
  }

  /** Every experiment and prompt with traffic in the range, busiest first, variants in name order. */
  public List<Experiment> list(Instant from, Instant to) {
    List<Experiment> out = new ArrayList<>();
    for (Experiment.Kind kind : Experiment.Kind.values()) {
      String sql = "SELECT " + kind.nameColumn + " AS name, groupUniqArray(" + kind.variantColumn + ") AS variants,"
          + " count() AS requests FROM " + EVENTS + " PREWHERE " + range(from, to) + " AND " + kind.nameColumn + " != ''"
          + " GROUP BY name ORDER BY requests DESC, name FORMAT JSONEachRow";
      out.addAll(clickHouse.select(sql, r -> {
        List<String> variants = new ArrayList<>();
        r.get("variants").forEach(v -> variants.add(v.asText()));
        variants.sort(null);
        return new Experiment(kind, r.get("name").asText(), List.copyOf(variants), r.get("requests").asLong());
      }));
    }
    out.sort((a, b) -> Long.compare(b.requests(), a.requests()));
    return out;
  }

  /** Per-variant samples of one experiment or prompt, in variant name order. */
  public List<VariantStats> variants(Experiment.Kind kind, String name, Instant from, Instant to) {
    String where = range(from, to) + " AND " + kind.nameColumn + " = " + SqlLiteral.string(name);
    String sql = "SELECT " + kind.variantColumn + " AS v, count() AS n,"
        + " avg(ifNull(cost_usd, 0.)) AS cost_mean, varSamp(ifNull(cost_usd, 0.)) AS cost_var,"
        + " avg(duration_ms) AS lat_mean, varSamp(duration_ms) AS lat_var,"
        + " avg(ifNull(input_tokens, 0) + ifNull(output_tokens, 0)) AS tok_mean,"
        + " varSamp(ifNull(input_tokens, 0) + ifNull(output_tokens, 0)) AS tok_var,"
        + " sum(toUInt64(status >= 400 OR error_class != '')) AS errors"
        + " FROM " + EVENTS + " PREWHERE " + where + " GROUP BY v ORDER BY v FORMAT JSONEachRow";
    Map<String, Sample> feedback = feedback(kind, where);
    Map<String, Labels> labels = labels(kind, where);
    Map<String, LatencyHistogram> latencies = latencies(kind, where);
    Map<String, VariantStats> out = new LinkedHashMap<>();
    for (JsonNode r : clickHouse.select(sql, r -> r)) {
      long n = r.get("n").asLong();
      String v = r.get("v").asText();
      out.put(v, new VariantStats(v, n,
          sample(n, r, "cost_mean", "cost_var"), sample(n, r, "lat_mean", "lat_var"), sample(n, r, "tok_mean", "tok_var"),
          Sample.ofProportion(r.get("errors").asLong(), n), latencies.getOrDefault(v, LatencyHistogram.EMPTY),
          feedback.getOrDefault(v, Sample.EMPTY), labels.getOrDefault(v, Labels.NONE)));
    }
    return List.copyOf(out.values());
  }

  /**
   * Each variant's latencies as counts per millisecond: exact p50/p95 and their bootstrap intervals
   * (a few thousand rows per variant; 7 days of the bench's busiest experiment: 6,800 rows).
   */
  private Map<String, LatencyHistogram> latencies(Experiment.Kind kind, String eventsWhere) {
    String sql = "SELECT " + kind.variantColumn + " AS v, duration_ms AS ms, count() AS c FROM " + EVENTS
        + " PREWHERE " + eventsWhere + " GROUP BY v, ms ORDER BY v, ms FORMAT JSONEachRow";
    Map<String, List<long[]>> rows = new HashMap<>();
    for (JsonNode r : clickHouse.select(sql, r -> r)) {
      rows.computeIfAbsent(r.get("v").asText(), v -> new ArrayList<>())
          .add(new long[] {r.get("ms").asLong(), r.get("c").asLong()});
    }
    Map<String, LatencyHistogram> out = new HashMap<>();
    rows.forEach((v, list) -> out.put(v, LatencyHistogram.of(
        list.stream().mapToLong(x -> x[0]).toArray(), list.stream().mapToLong(x -> x[1]).toArray())));
    return out;
  }

  /**
   * {@code " FROM … USING event_id"}: the experiment's requests that have feedback matching
   * {@code feedbackFilter}, each with its variant {@code v} and its {@code latest} feedback value. The rated
   * requests are few: the events side keeps only those (IN), and the joined (right) side is the small
   * per-request feedback table, not the experiment's whole traffic.
   */
  private static String rated(Experiment.Kind kind, String eventsWhere, String feedbackFilter, String latest) {
    return " FROM (SELECT event_id, " + kind.variantColumn + " AS v FROM " + EVENTS + " PREWHERE " + eventsWhere
        + " AND event_id IN (SELECT event_id FROM " + FEEDBACK + " WHERE " + feedbackFilter + "))"
        + " ANY INNER JOIN (SELECT event_id, " + latest + " AS latest FROM " + FEEDBACK + " FINAL"
        + " WHERE " + feedbackFilter + " GROUP BY event_id) USING event_id";
  }

  /** Label counts per variant: the latest label each request got (a user may change their mind). */
  private Map<String, Labels> labels(Experiment.Kind kind, String eventsWhere) {
    String sql = "SELECT v, latest, count() AS n" + rated(kind, eventsWhere, "label != ''", "argMax(label, ts)")
        + " GROUP BY v, latest FORMAT JSONEachRow";
    Map<String, Map<String, Long>> counts = new HashMap<>();
    for (JsonNode r : clickHouse.select(sql, r -> r)) {
      counts.computeIfAbsent(r.get("v").asText(), v -> new HashMap<>()).put(r.get("latest").asText(), r.get("n").asLong());
    }
    Map<String, Labels> out = new HashMap<>();
    counts.forEach((v, c) -> out.put(v, new Labels(c)));
    return out;
  }

  /** Scores per variant: the latest score each request got (a user may re-rate). */
  private Map<String, Sample> feedback(Experiment.Kind kind, String eventsWhere) {
    String sql = "SELECT v, count() AS n, avg(latest) AS mean, varSamp(latest) AS var"
        + rated(kind, eventsWhere, "isNotNull(score)", "argMax(assumeNotNull(score), ts)")
        + " GROUP BY v FORMAT JSONEachRow";
    Map<String, Sample> out = new HashMap<>();
    for (JsonNode r : clickHouse.select(sql, r -> r)) {
      long n = r.get("n").asLong();
      out.put(r.get("v").asText(), sample(n, r, "mean", "var"));
    }
    return out;
  }

  private static Sample sample(long n, JsonNode r, String mean, String variance) {
    return new Sample(n, finite(r.get(mean).asDouble()), n < 2 ? 0 : finite(r.get(variance).asDouble()));
  }

  private static double finite(double v) {
    return Double.isFinite(v) ? v : 0;
  }

  private static String range(Instant from, Instant to) {
    return "ts >= toDateTime(" + SqlLiteral.integer(from.getEpochSecond()) + ", 'UTC')"
        + " AND ts < toDateTime(" + SqlLiteral.integer(to.getEpochSecond()) + ", 'UTC')";
  }
}
