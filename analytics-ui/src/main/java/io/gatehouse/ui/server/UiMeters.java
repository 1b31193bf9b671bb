package io.gatehouse.ui.server;

import io.gatehouse.schemas.clickhouse.ClickHouseHttp;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Every meter the UI publishes at {@code GET /metrics}, by name, in one place: how long the dashboards'
 * ClickHouse queries take (by outcome) and the JVM's own meters. Thread-safe.
 */
public final class UiMeters {
  /** Timer: one ClickHouse statement a page ran, by outcome (ok, error). */
  public static final String QUERIES = "gatehouse.ui.clickhouse.queries";

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  public UiMeters(ClickHouseHttp clickHouse) {
    registry.config().commonTags("service", "gatehouse-ui");
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    Timer ok = timer("ok");
    Timer error = timer("error");
    clickHouse.listen((nanos, success) -> (success ? ok : error).record(nanos, TimeUnit.NANOSECONDS));
  }

  private Timer timer(String outcome) {
    return Timer.builder(QUERIES).description("ClickHouse statements the dashboards ran").tag("outcome", outcome)
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(60))
        .register(registry);
  }

  /** Prometheus' text exposition of every meter. */
  public String scrape() {
    return registry.scrape();
  }
}
