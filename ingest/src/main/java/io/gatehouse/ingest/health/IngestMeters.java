package io.gatehouse.ingest.health;

import io.gatehouse.ingest.consume.IngestStats;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Every meter ingest publishes at {@code GET /metrics}, by name, in one place. Counters read
 * {@link IngestStats} (function meters: free until scraped); batch sizes and insert latency are
 * recorded per insert. Tags: partition for lag only (bounded by the topic's partitions). Thread-safe.
 */
public final class IngestMeters {
  public static final String CONSUMED = "gatehouse.ingest.consumed";
  public static final String INSERTED_ROWS = "gatehouse.ingest.inserted.rows";
  public static final String INSERT_FAILURES = "gatehouse.ingest.insert.failures";
  public static final String ALREADY_STORED = "gatehouse.ingest.already.stored";
  public static final String POISON = "gatehouse.ingest.poison";
  public static final String DEAD_LETTERED = "gatehouse.ingest.dead.lettered";
  public static final String COMMITS = "gatehouse.ingest.commits";
  public static final String BACKOFFS = "gatehouse.ingest.clickhouse.backoffs";
  /** Records not yet committed, per partition (refreshed every couple of seconds). */
  public static final String LAG = "gatehouse.ingest.partition.lag";
  /** The same, all partitions. */
  public static final String LAG_TOTAL = "gatehouse.ingest.lag";
  public static final String PENDING = "gatehouse.ingest.batch.pending";
  public static final String BATCH_SIZE = "gatehouse.ingest.batch.size";
  public static final String INSERT_LATENCY = "gatehouse.ingest.insert.latency";

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final IngestStats stats;
  private final MultiGauge lagPerPartition;

  public IngestMeters(IngestStats stats) {
    this.stats = stats;
    registry.config().commonTags("service", "gatehouse-ingest");
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    counter(CONSUMED, "records read from Kafka, poison included", IngestStats::consumed);
    counter(INSERTED_ROWS, "rows ClickHouse acknowledged", IngestStats::insertedRows);
    counter(INSERT_FAILURES, "insert requests that failed", IngestStats::insertFailures);
    counter(ALREADY_STORED, "records not inserted because ClickHouse already held their event id",
        IngestStats::alreadyStored);
    counter(POISON, "records that could not become rows", IngestStats::poison);
    counter(DEAD_LETTERED, "records sent to the dead-letter topic", IngestStats::deadLettered);
    counter(COMMITS, "offset commits", IngestStats::commits);
    counter(BACKOFFS, "waits after a failed ClickHouse call", IngestStats::clickHouseBackoffs);
    Gauge.builder(LAG_TOTAL, stats, s -> s.lagTotal()).description("records on Kafka not yet committed, all partitions")
        .register(registry);
    Gauge.builder(PENDING, stats, s -> s.pendingRows()).description("rows in the batch being built").register(registry);
    lagPerPartition = MultiGauge.builder(LAG).description("records on Kafka not yet committed").register(registry);
    DistributionSummary batchSize = DistributionSummary.builder(BATCH_SIZE).baseUnit("rows")
        .description("rows per insert").publishPercentiles(0.5, 0.95, 0.99).register(registry);
    Timer insertLatency = Timer.builder(INSERT_LATENCY).description("time ClickHouse took to take one insert")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(60)).register(registry);
    stats.observeInserts((rows, nanos) -> {
      batchSize.record(rows);
      insertLatency.record(nanos, TimeUnit.NANOSECONDS);
    });
  }

  private void counter(String name, String description, ToDoubleFunction<IngestStats> f) {
    FunctionCounter.builder(name, stats, f).description(description).register(registry);
  }

  /** Prometheus' text exposition of every meter. */
  public synchronized String scrape() {
    lagPerPartition.register(stats.lag().entrySet().stream()
        .map(e -> MultiGauge.Row.of(Tags.of("partition", e.getKey()), e.getValue()))
        .map(r -> (MultiGauge.Row<?>) r).toList(), true);
    return registry.scrape();
  }

  PrometheusMeterRegistry registry() {
    return registry;
  }

  static List<String> names() {
    return List.of(CONSUMED, INSERTED_ROWS, INSERT_FAILURES, ALREADY_STORED, POISON, DEAD_LETTERED, COMMITS, BACKOFFS,
        LAG, LAG_TOTAL, PENDING, BATCH_SIZE, INSERT_LATENCY);
  }
}
