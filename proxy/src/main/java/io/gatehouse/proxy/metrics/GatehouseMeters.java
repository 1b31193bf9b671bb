package io.gatehouse.proxy.metrics;

import io.gatehouse.proxy.events.KafkaEventPublisher;
import io.gatehouse.proxy.failover.Breakers;
import io.gatehouse.proxy.failover.CircuitBreaker;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Every meter the proxy publishes, by name, in one place, and the registry {@code GET /metrics}
 * scrapes. Names are dotted (Prometheus shows {@code gatehouse_requests_seconds} etc.); tags are of
 * bounded cardinality only: endpoint, provider, model (capped, see {@link BoundedValues}), route,
 * outcome, kind, state — never user, team, key or prompt.
 *
 * <p>Meters that read counters which exist anyway (publisher, spool, breakers) are function meters:
 * they cost nothing until scraped. Thread-safe.
 */
public final class GatehouseMeters {
  /** Timer: a proxied request from its first byte in to its last byte out. */
  public static final String REQUESTS = "gatehouse.requests";
  /** Distribution: time the proxy itself added (total minus upstream), in seconds. */
  public static final String OVERHEAD = "gatehouse.gateway.overhead";
  /** Timer: request start until the upstream's first streamed token. */
  public static final String TTFT = "gatehouse.upstream.ttft";
  /** Counter: tokens by kind (input, output, cached_input, cache_write, reasoning). */
  public static final String TOKENS = "gatehouse.tokens";
  /** Counter: cost of proxied calls in USD (priced calls only). */
  public static final String COST = "gatehouse.cost.usd";
  /** Counter: calls whose model has no price (cost unknown, never a silent 0). */
  public static final String UNPRICED = "gatehouse.cost.unpriced";
  /** Counter: upstream attempts by outcome (ok or the failure class). */
  public static final String ATTEMPTS = "gatehouse.upstream.attempts";
  /** Counter: requests answered by a later target than the first (a failover happened). */
  public static final String FAILOVERS = "gatehouse.failovers";
  /** Gauge: circuit breakers per state. */
  public static final String BREAKERS = "gatehouse.breakers";
  /** Counter: logs turned into events by the receivers, by source. */
  public static final String LOGS_RECEIVED = "gatehouse.logs.received";

  /** Counter: chat requests the cache saw, by result (hit, miss, semantic-hit). */
  public static final String CACHE_REQUESTS = "gatehouse.cache.requests";
  /** Counter: what cache hits saved, USD (the original calls' cost). */
  public static final String CACHE_SAVED = "gatehouse.cache.saved.usd";
  /** Gauge: bytes held by the exact cache. */
  public static final String CACHE_BYTES = "gatehouse.cache.bytes";
  /** Gauge: entries in the semantic index. */
  public static final String CACHE_SEMANTIC_ENTRIES = "gatehouse.cache.semantic.entries";

  /** Gauge: events waiting in the publisher's in-memory queue. */
  public static final String PUBLISH_QUEUE = "gatehouse.events.queue";
  /** Gauge: bytes waiting in the disk spool. */
  public static final String SPOOL_BYTES = "gatehouse.events.spool.bytes";
  /** Counter: events acknowledged by Kafka (direct or replayed). */
  public static final String PUBLISHED = "gatehouse.events.published";
  /** Counter: events written to the spool. */
  public static final String SPOOLED = "gatehouse.events.spooled";
  /** Counter: events lost (queue full, spool full, disk error, rejected by Kafka). */
  public static final String DROPPED = "gatehouse.events.dropped";

  /** Counter: budget/rate-limit decisions of the spend log (refusals are in {@link #REQUESTS} by status). */
  public static final String ADMISSION_DECISIONS = "gatehouse.admission.decisions";
  /** Counter: seconds requests waited for those decisions (÷ decisions = mean wait). */
  public static final String ADMISSION_WAIT = "gatehouse.admission.wait.seconds";
  /** Counter: requests admitted without budget/limit enforcement because the spend log did not decide in time. */
  public static final String ADMISSION_FAIL_OPEN = "gatehouse.admission.fail_open";

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final List<Runnable> beforeScrape = new ArrayList<>();

  public GatehouseMeters() {
    registry.config().commonTags("service", "gatehouse-proxy");
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The publisher's queue, spool and delivery counters. */
  public GatehouseMeters bind(KafkaEventPublisher publisher) {
    Gauge.builder(PUBLISH_QUEUE, publisher, KafkaEventPublisher::queued).description("events waiting in memory")
        .register(registry);
    Gauge.builder(SPOOL_BYTES, publisher, KafkaEventPublisher::spoolBytes).baseUnit("bytes")
        .description("bytes waiting in the disk spool").register(registry);
    FunctionCounter.builder(PUBLISHED, publisher, KafkaEventPublisher::published)
        .description("events acknowledged by Kafka").register(registry);
    FunctionCounter.builder(SPOOLED, publisher, KafkaEventPublisher::spooled)
        .description("events written to the disk spool").register(registry);
    FunctionCounter.builder(DROPPED, publisher, KafkaEventPublisher::dropped)
        .description("events lost: queue full, spool full, disk error or rejected by Kafka").register(registry);
    return this;
  }

  /** Circuit breakers per state, refreshed at each scrape (breakers appear as deployments are used). */
  public GatehouseMeters bind(Breakers breakers) {
    MultiGauge gauge = MultiGauge.builder(BREAKERS).description("circuit breakers per state").register(registry);
    beforeScrape.add(() -> {
      Map<CircuitBreaker.State, Integer> counts = new java.util.EnumMap<>(CircuitBreaker.State.class);
      for (CircuitBreaker.State s : CircuitBreaker.State.values()) {
        counts.put(s, 0);
      }
      breakers.states().values().forEach(s -> counts.merge(s, 1, Integer::sum));
      List<MultiGauge.Row<?>> rows = new ArrayList<>();
      counts.forEach((state, n) -> rows.add(MultiGauge.Row.of(Tags.of("state", state.name().toLowerCase()), n)));
      gauge.register(rows, true);
    });
    return this;
  }

  /** Admission through the spend log: decisions, time waited for them, and fail-open admissions. */
  public GatehouseMeters bind(io.gatehouse.proxy.limits.Gate gate) {
    FunctionCounter.builder(ADMISSION_DECISIONS, gate, io.gatehouse.proxy.limits.Gate::decisions)
        .description("budget and rate-limit decisions of the spend log").register(registry);
    FunctionCounter.builder(ADMISSION_WAIT, gate, io.gatehouse.proxy.limits.Gate::decisionSeconds).baseUnit("seconds")
        .description("time requests waited for spend-log decisions").register(registry);
    FunctionCounter.builder(ADMISSION_FAIL_OPEN, gate, io.gatehouse.proxy.limits.Gate::failedOpen)
        .description("requests admitted without enforcement: the spend log did not decide in time").register(registry);
    return this;
  }

  /** Prometheus' text exposition of every meter. */
  public String scrape() {
    synchronized (beforeScrape) {
      beforeScrape.forEach(Runnable::run);
    }
    return registry.scrape();
  }
}
