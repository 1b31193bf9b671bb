package io.gatehouse.proxy.metrics;

import io.gatehouse.proxy.events.EventSink;
import io.gatehouse.proxy.pipeline.UnpricedModels;
import io.gatehouse.schemas.GatehouseEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Request meters from the one event every request produces: the event already holds status, timings,
 * tokens, cost and attempts, so metering it here keeps the request path free of metric calls and makes
 * metrics and analytics agree by construction. Wraps the sink the proxy's handlers publish to; log
 * receivers use {@link #logs} instead (a logged call is not a request through this proxy).
 *
 * <p>Runs on the IO thread that finishes a request: a few map lookups and atomic adds. Thread-safe.
 */
public final class RequestMetrics implements EventSink {
  private static final int MAX_MODELS = 200;
  private static final int MAX_ENDPOINTS = 20;

  private final EventSink next;
  private final BoundedValues models = new BoundedValues(MAX_MODELS);
  private final BoundedValues providers = new BoundedValues(MAX_MODELS);
  private final BoundedValues routes = new BoundedValues(MAX_MODELS);
  private final BoundedValues endpoints = new BoundedValues(MAX_ENDPOINTS);
  private final Meter.MeterProvider<Timer> requests;
  private final Meter.MeterProvider<DistributionSummary> overhead;
  private final Meter.MeterProvider<Timer> ttft;
  private final Meter.MeterProvider<Counter> tokens;
  private final Meter.MeterProvider<Counter> cost;
  private final Meter.MeterProvider<Counter> attempts;
  private final Meter.MeterProvider<Counter> failovers;
  private final Meter.MeterProvider<Counter> logs;
  private final java.util.concurrent.ConcurrentHashMap<RequestKey, Timer> requestTimers =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.concurrent.ConcurrentHashMap<String, DistributionSummary> overheads =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.concurrent.ConcurrentHashMap<ModelKey, ModelMeters> modelMeters =
      new java.util.concurrent.ConcurrentHashMap<>();

  public RequestMetrics(EventSink next, MeterRegistry registry) {
    this.next = next;
    this.requests = Timer.builder(GatehouseMeters.REQUESTS).description("proxied requests, first byte in to last byte out")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(5))
        .withRegistry(registry);
    this.overhead = DistributionSummary.builder(GatehouseMeters.OVERHEAD).baseUnit("seconds")
        .description("time the gateway added: total minus upstream").publishPercentileHistogram()
        .minimumExpectedValue(1e-5).maximumExpectedValue(1.0).withRegistry(registry);
    this.ttft = Timer.builder(GatehouseMeters.TTFT).description("request start to the first streamed token")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(2))
        .withRegistry(registry);
    this.tokens = Counter.builder(GatehouseMeters.TOKENS).description("tokens by kind").withRegistry(registry);
    this.cost = Counter.builder(GatehouseMeters.COST).description("cost of priced calls, USD").withRegistry(registry);
    this.attempts = Counter.builder(GatehouseMeters.ATTEMPTS).description("upstream attempts by outcome")
        .withRegistry(registry);
    this.failovers = Counter.builder(GatehouseMeters.FAILOVERS)
        .description("requests answered by a later target than the first").withRegistry(registry);
    this.logs = Counter.builder(GatehouseMeters.LOGS_RECEIVED).description("logged calls received, by source")
        .withRegistry(registry);
    FunctionCounter.builder(GatehouseMeters.UNPRICED, UnpricedModels.class, c -> UnpricedModels.count())
        .description("calls recorded with an unknown cost: their model has no price").register(registry);
  }

  @Override
  public boolean publish(GatehouseEvent e) {
    try {
      record(e);
    } catch (RuntimeException ignored) {
      // metering must never cost a request its event
    }
    return next.publish(e);
  }

  /** The sink for log receivers: counts logged calls by source and passes them on. */
  public EventSink logs(EventSink sink) {
    return e -> {
      logs.withTags("source", e.source() == null ? BoundedValues.NONE : e.source()).increment();
      return sink.publish(e);
    };
  }

  private void record(GatehouseEvent e) {
    String provider = providers.of(e.provider());
    // only a model a provider was asked for is a tag: a client's unrouted model name could be anything
    String model = e.provider() == null ? BoundedValues.NONE
        : models.of(e.model() != null ? e.model() : e.modelRequested());
    String endpoint = endpoints.of(e.endpoint());
    // meters are looked up once per tag combination, then reused: no Tags or Meter.Id per request
    requestTimers.computeIfAbsent(new RequestKey(endpoint, provider, model, routes.of(e.route()), e.status()),
        k -> requests.withTags("endpoint", k.endpoint(), "provider", k.provider(), "model", k.model(),
            "route", k.route(), "outcome", outcome(k.status()), "status", Integer.toString(k.status())))
        .record(e.durationMs(), TimeUnit.MILLISECONDS);
    if (e.overheadUs() != null) {
      overheads.computeIfAbsent(endpoint, x -> overhead.withTags("endpoint", x)).record(e.overheadUs() / 1e6);
    }
    ModelMeters m = modelMeters.computeIfAbsent(new ModelKey(provider, model), ModelMeters::new);
    if (e.ttftMs() != null) {
      m.ttft.record(e.ttftMs(), TimeUnit.MILLISECONDS);
    }
    m.count(0, e.inputTokens());
    m.count(1, e.outputTokens());
    m.count(2, e.cachedInputTokens());
    m.count(3, e.cacheWriteTokens());
    m.count(4, e.reasoningTokens());
    if (e.costUsd() != null && e.costUsd() > 0) {
      m.cost.increment(e.costUsd());
    }
    if (e.attempts() != null) {
      for (GatehouseEvent.Attempt a : e.attempts()) {
        attempts.withTags("provider", providers.of(a.provider()),
            "outcome", a.failureClass() == null ? (a.status() < 400 ? "ok" : "error") : a.failureClass()).increment();
      }
    }
    if (e.fallbackUsed()) {
      failovers.withTags("route", routes.of(e.route())).increment();
    }
  }

  private record RequestKey(String endpoint, String provider, String model, String route, int status) {}

  private record ModelKey(String provider, String model) {}

  private static final String[] TOKEN_KINDS = {"input", "output", "cached_input", "cache_write", "reasoning"};

  /** The meters of one provider and model. */
  private final class ModelMeters {
    final Timer ttft;
    final Counter cost;
    final Counter[] tokenCounters = new Counter[TOKEN_KINDS.length];

    ModelMeters(ModelKey k) {
      ttft = RequestMetrics.this.ttft.withTags("provider", k.provider(), "model", k.model());
      cost = RequestMetrics.this.cost.withTags("provider", k.provider(), "model", k.model());
      for (int i = 0; i < TOKEN_KINDS.length; i++) {
        tokenCounters[i] = tokens.withTags("kind", TOKEN_KINDS[i], "provider", k.provider(), "model", k.model());
      }
    }

    void count(int kind, Long n) {
      if (n != null && n > 0) {
        tokenCounters[kind].increment(n);
      }
    }
  }

  static String outcome(int status) {
    if (status < 400) {
      return "success";
    }
    return status < 500 ? "client_error" : "server_error";
  }
}
