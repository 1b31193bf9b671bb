package io.gatehouse.proxy;

import io.gatehouse.proxy.cache.CacheSettings;
import io.gatehouse.proxy.cache.CacheStage;
import io.gatehouse.proxy.config.ConfigException;
import io.gatehouse.proxy.config.ConfigLoader;
import io.gatehouse.proxy.config.GatehouseConfig;
import io.gatehouse.proxy.config.ModelAlias;
import io.gatehouse.proxy.config.Resilience;
import io.gatehouse.proxy.failover.Breakers;
import io.gatehouse.proxy.events.EventEncoder;
import io.gatehouse.proxy.events.KafkaEventPublisher;
import io.gatehouse.proxy.events.Redactor;
import io.gatehouse.proxy.events.Spool;
import io.gatehouse.proxy.http.ChatCompletionsHandler;
import io.gatehouse.proxy.http.EmbeddingsHandler;
import io.gatehouse.proxy.http.GatewayHandler;
import io.gatehouse.proxy.http.MessagesHandler;
import io.gatehouse.proxy.http.ModelsHandler;
import io.gatehouse.proxy.http.OpsHandler;
import io.gatehouse.proxy.http.FeedbackHandler;
import io.gatehouse.proxy.events.FeedbackPublisher;
import io.gatehouse.schemas.Topics;
import io.gatehouse.proxy.metrics.GatehouseMeters;
import io.gatehouse.proxy.metrics.RequestMetrics;
import io.gatehouse.proxy.tracing.Tracing;
import io.undertow.Handlers;
import io.undertow.server.handlers.GracefulShutdownHandler;
import java.util.concurrent.TimeUnit;
import io.gatehouse.proxy.keys.AccessConfig;
import io.gatehouse.proxy.keys.AdminHandler;
import io.gatehouse.proxy.keys.KeyStore;
import io.gatehouse.proxy.limits.Gate;
import io.gatehouse.proxy.limits.SpendLog;
import io.gatehouse.proxy.logs.IngestToken;
import io.gatehouse.proxy.logs.PricingSink;
import io.gatehouse.proxy.logs.Receivers;
import io.gatehouse.proxy.provider.Provider;
import io.gatehouse.proxy.provider.ProviderRegistry;
import io.gatehouse.proxy.routing.RouteTable;
import io.gatehouse.proxy.transport.UpstreamClient;
import io.gatehouse.schemas.pricing.PriceCatalog;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Composition root of the proxy: config → providers → routes → handlers → Undertow, plus the event
 * publisher. Nothing else lives here.
 *
 * <p>{@link #start} returns once the HTTP port is bound (it never waits for Kafka; it opens the event
 * spool, whose leftovers from an earlier run are replayed first); {@link #close} stops accepting
 * requests, then flushes queued events to Kafka or, when Kafka cannot take them in time, to the spool.
 */
public final class GatehouseProxy implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GatehouseProxy.class);
  static final Duration EVENTS_CLOSE_TIMEOUT = Duration.ofSeconds(5);

  private final GatehouseConfig config;
  private final Breakers breakers;
  private final ProviderRegistry providers;
  private final KafkaEventPublisher events;
  private final UpstreamClient upstream;
  private final KeyStore keys;
  private final SpendLog spendLog;
  private final Gate gate;
  private final Undertow server;
  private final CacheStage cache; // cache (issue 7)
  private final int port;
  private final GatehouseMeters meters;
  private final Tracing tracing;
  private final FeedbackPublisher feedback;
  private final GracefulShutdownHandler inFlight;
  private volatile boolean draining;
  private boolean closed;

  private GatehouseProxy(GatehouseConfig config) {
    this.config = config;
    this.providers = new ProviderRegistry(config);
    RouteTable routes = new RouteTable(config, providers);
    GatehouseConfig.SpoolSettings spoolSettings = config.events().spool();
    Spool spool;
    try {
      spool = Spool.open(spoolSettings.dir(), spoolSettings.maxBytes(), spoolSettings.fsync());
    } catch (IOException e) {
      throw new IllegalStateException("Cannot open the event spool " + spoolSettings.dir().toAbsolutePath() + " ("
          + e.getMessage() + "). Set events.spool.dir or GATEHOUSE_SPOOL_DIR to a writable directory.", e);
    }
    EventEncoder encoder = new EventEncoder(Redactor.of(config.events().redaction()), config.events()::metadataOnly);
    this.events = new KafkaEventPublisher(config.kafka().bootstrap(), config.kafka().topic(),
        KafkaEventPublisher.DEFAULT_CAPACITY, spool, encoder);
    Resilience resilience = config.resilience();
    this.upstream = new UpstreamClient(resilience.connect(), resilience.total());
    this.breakers = new Breakers(resilience.breakerFailures(), resilience.breakerCooldown(),
        resilience.breakerMaxCooldown(), System::nanoTime);
    this.meters = new GatehouseMeters().bind(events).bind(breakers);
    this.tracing = Tracing.of(config.tracing());
    RequestMetrics metered = new RequestMetrics(events, meters.registry());
    AccessConfig access = config.access();
    boolean proxying = !config.receivers().logOnly();
    this.keys = proxying ? new KeyStore(config.kafka().bootstrap(), access.keysTopic(),
        spoolSettings.dir().resolve("keys-snapshot.json")) : null;
    this.spendLog = proxying ? new SpendLog(config.kafka().bootstrap(), access.spendTopic(), access.holdTtl().toMillis(),
        access.decisionTimeout()) : null;
    this.gate = new Gate(keys, spendLog, access, System::currentTimeMillis);
    meters.bind(gate);
    this.cache = CacheStage.create(config.cache(), config.providers(), meters.registry()); // cache (issue 7)
    GatewayHandler gateway = new GatewayHandler(
        new ChatCompletionsHandler(routes, upstream, metered, resilience, breakers, tracing, gate, cache),
        new EmbeddingsHandler(routes, upstream, metered, tracing, gate),
        new MessagesHandler(routes, upstream, metered, tracing, gate), new ModelsHandler(config), metered,
        Receivers.of(metered.logs(new PricingSink(events, providers.prices())),
            IngestToken.of(config.receivers().ingestToken()), config.receivers().logOnly()));
    AdminHandler admin = proxying ? new AdminHandler(keys, access.adminToken(), System::currentTimeMillis) : null;
    this.feedback = new FeedbackPublisher(config.kafka().bootstrap(), Topics.FEEDBACK_V1);
    FeedbackHandler feedbackHandler = new FeedbackHandler(feedback, gate);
    io.undertow.server.HttpHandler root = exchange -> {
      String path = exchange.getRequestPath();
      if (admin != null && path.startsWith(AdminHandler.PREFIX)) {
        admin.handleRequest(exchange);
      } else if (path.equals(FeedbackHandler.ENDPOINT)) {
        feedbackHandler.handleRequest(exchange);
      } else {
        gateway.handleRequest(exchange);
      }
    };
    this.inFlight = Handlers.gracefulShutdown(root);
    Undertow built = Undertow.builder()
        .addHttpListener(config.port(), config.host())
        .setWorkerThreads(4) // proxy routes never dispatch to workers (only /metrics and feedback do): IO threads do the work
        .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, GatewayHandler.MAX_REQUEST_BYTES)
        .setServerOption(UndertowOptions.ALWAYS_SET_KEEP_ALIVE, true)
        .setHandler(new OpsHandler(meters, () -> draining, inFlight))
        .build();
    try {
      built.start();
    } catch (RuntimeException e) {
      events.close(Duration.ZERO);
      upstream.close();
      closeAccess();
      cache.close();
      throw new IllegalStateException("Cannot listen on " + config.host() + ":" + config.port() + " ("
          + e.getMessage() + "). Set GATEHOUSE_PORT or server.port to a free port.", e);
    }
    this.server = built;
    this.port = ((InetSocketAddress) built.getListenerInfo().get(0).getAddress()).getPort();
    events.checkReachabilityInBackground(Duration.ofSeconds(3));
  }

  /**
   * Starts the proxy from environment-style settings (see {@link ConfigLoader}).
   *
   * @throws ConfigException when the configuration is invalid (the message names the path)
   */
  public static GatehouseProxy start(Map<String, String> env) {
    GatehouseProxy proxy = new GatehouseProxy(ConfigLoader.load(env));
    proxy.logSummary();
    return proxy;
  }

  /** The HTTP port (the real one when configured with 0). */
  public int port() {
    return port;
  }

  public GatehouseConfig config() {
    return config;
  }

  /** Events acknowledged by Kafka so far. */
  public long eventsPublished() {
    return events.published();
  }

  /** Events lost so far (queue full, spool full, disk errors, or Kafka rejected them for good). */
  public long eventsDropped() {
    return events.dropped();
  }

  /** Events written to the disk spool since start (Kafka was slow, down, or shutting down). */
  public long eventsSpooled() {
    return events.spooled();
  }

  /** Events lost because the spool was at {@code events.spool.max_bytes}. */
  public long eventsDroppedSpoolFull() {
    return events.droppedSpoolFull();
  }

  /** Bytes waiting in the spool's files. */
  public long spoolBytes() {
    return events.spoolBytes();
  }

  /** The response cache (issue 7). */
  public CacheStage cache() {
    return cache;
  }

  /** Admission of proxied requests (virtual keys, budgets, rate limits). */
  public Gate gate() {
    return gate;
  }

  /** The meters {@code GET /metrics} shows. */
  public GatehouseMeters meters() {
    return meters;
  }

  /**
   * Drains, then stops: readiness turns 503 and new requests are refused (503, retried by the SDKs),
   * requests in flight — streams included — get up to {@code server.drain_timeout} to finish, then the
   * server stops and queued events go to Kafka or, failing that, to the spool. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    draining = true;
    inFlight.shutdown();
    long start = System.nanoTime();
    try {
      if (!inFlight.awaitShutdown(config.drainTimeout().toMillis())) {
        LOG.warn("Shutdown: requests still in flight after {} s (server.drain_timeout); they are cut off now",
            config.drainTimeout().toSeconds());
      } else if (System.nanoTime() - start > TimeUnit.MILLISECONDS.toNanos(100)) {
        LOG.info("Shutdown: in-flight requests finished in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    server.stop();
    upstream.close();
    closeAccess();
    tracing.close();
    feedback.close();
    cache.close();
    events.close(EVENTS_CLOSE_TIMEOUT);
  }

  private void closeAccess() {
    if (spendLog != null) {
      spendLog.close();
    }
    if (keys != null) {
      keys.close();
    }
  }

  private void logSummary() {
    LOG.info("Gatehouse proxy listening on http://{}:{} (OpenAI-compatible: POST /v1/chat/completions, "
        + "GET /v1/models, GET /health; Anthropic-native: POST /v1/messages, /v1/messages/count_tokens)", config.host(), port);
    LOG.info("Operations: GET /metrics (Prometheus), GET /health/live, GET /health/ready; shutdown drains for up to {} s "
        + "(server.drain_timeout)", config.drainTimeout().toSeconds());
    LOG.info("Tracing: {}", tracing.enabled() ? "OTLP to " + tracing.endpoint() + " (sampling "
        + config.tracing().sampleRatio() + ", service.name " + config.tracing().serviceName() + ")"
        : "off (set tracing.otlp_endpoint or OTEL_EXPORTER_OTLP_ENDPOINT); client traceparent headers are passed upstream");
    LOG.info("Configuration: {}", config.configFile() == null
        ? "environment only (set GATEHOUSE_CONFIG to a YAML file for more)" : config.configFile());
    GatehouseConfig.ReceiverSettings receivers = config.receivers();
    LOG.info("Log receivers: {} ({}){}", Receivers.SERVED, receivers.ingestToken() == null
        ? "open: set GATEHOUSE_INGEST_TOKEN to require a token" : "ingest token required",
        receivers.logOnly() ? "; LOG-ONLY MODE: the proxy endpoints are off" : "");
    long heap = Runtime.getRuntime().maxMemory();
    if (config.cache().enabled() && config.cache().maxBytes() > heap / 2) {
      LOG.warn("cache.max_bytes ({} MB) is more than half of this JVM's heap ({} MB): answers would crowd out "
          + "requests. Raise the heap to at least {} MB (./gatehouse: GATEHOUSE_PROXY_JAVA_OPTS=\"-Xmx{}m\"; "
          + "Docker: the container's memory) or lower cache.max_bytes.", config.cache().maxBytes() >> 20, heap >> 20,
          (config.cache().maxBytes() >> 20) * 2 + 128, (config.cache().maxBytes() >> 20) * 2 + 128);
    }
    if (providers.all().isEmpty() && !receivers.logOnly()) {
      LOG.warn("No providers configured: every request will fail. Set OPENAI_API_KEY (and optionally "
          + "OPENAI_BASE_URL), ANTHROPIC_API_KEY (and optionally ANTHROPIC_BASE_URL), or list providers in GATEHOUSE_CONFIG.");
    }
    for (Provider p : providers.all()) {
      LOG.info("Provider '{}': {} at {} ({} key{})", p.name(), p.type().yamlName(), p.baseUrl(),
          p.keyCount(), p.keyCount() == 1 ? "" : "s");
    }
    for (ModelAlias a : config.models().values()) {
      LOG.info("Model alias '{}' -> {}", a.name(),
          a.targets().stream().map(ModelAlias.Target::id).collect(Collectors.joining(", ")));
    }
    LOG.info("Events: Kafka {} topic {}", config.kafka().bootstrap(), config.kafka().topic());
    AccessConfig access = config.access();
    if (!receivers.logOnly()) {
      LOG.info("Virtual keys: {}; topic {}; admin API {}; budgets and limits through {} (teams with budgets: {}, users "
          + "with budgets: {}, teams with rate limits: {})", access.keysRequired() ? "REQUIRED on every request"
          : "optional (open mode: requests without a key pass; set GATEHOUSE_KEYS_REQUIRED=1 to require one)",
          access.keysTopic(), access.adminToken() == null ? "off (set GATEHOUSE_ADMIN_TOKEN)" : "on at " + AdminHandler.PREFIX,
          access.spendTopic(), access.teamBudgets().size(), access.userBudgets().size(), access.teamLimits().size());
    }
    Resilience r = config.resilience();
    LOG.info("Failover: up to {} attempts, first token within {} ms, idle stream {} ms, total {} ms; breaker opens "
        + "after {} failures for {} ms", r.maxAttempts(), r.firstToken().toMillis(), r.idleBetweenChunks().toMillis(),
        r.total().toMillis(), r.breakerFailures(), r.breakerCooldown().toMillis());
    LOG.info("Prices: built-in catalog {}{}", PriceCatalog.builtIn().version(),
        config.prices().isEmpty() ? "" : " + overrides for " + String.join(", ", config.prices().keySet()));
    if (cache.enabled()) {
      CacheSettings c = config.cache();
      LOG.info("Cache: exact, ttl {} s, up to {} bytes, scope {}{}", c.ttl().toSeconds(), c.maxBytes(),
          c.scope().name().toLowerCase(java.util.Locale.ROOT), c.semanticRoutes().isEmpty() ? ""
              : "; semantic for " + String.join(", ", c.semanticRoutes()) + " (threshold " + c.semantic().threshold()
                  + ", embedder " + c.semantic().embedder() + ")");
    }
    GatehouseConfig.EventsSettings ev = config.events();
    LOG.info("Event spool: {} (up to {} bytes, fsync {})", ev.spool().dir().toAbsolutePath(), ev.spool().maxBytes(),
        ev.spool().fsync().yamlName());
    LOG.info("Redaction: {}{}; bodies: {}", ev.redaction().builtins().isEmpty() ? "no built-in patterns"
        : ev.redaction().builtins().stream().map(GatehouseConfig.BuiltinPattern::yamlName).sorted()
            .collect(Collectors.joining(", ")),
        ev.redaction().custom().isEmpty() ? "" : " + " + ev.redaction().custom().size() + " custom",
        !ev.logBodies() ? "never stored (events.log_bodies: false)" : ev.metadataOnlyRoutes().isEmpty()
            ? "stored for every route" : "not stored for " + String.join(", ", ev.metadataOnlyRoutes()));
  }

  public static void main(String[] args) {
    // Undertow logs through jboss-logging, which would pick log4j if one is on the classpath: keep every
    // line in Gatehouse's own logging (one format, text or JSON)
    if (System.getProperty("org.jboss.logging.provider") == null) {
      System.setProperty("org.jboss.logging.provider", "slf4j");
    }
    GatehouseProxy proxy;
    try {
      proxy = start(System.getenv());
    } catch (ConfigException e) {
      LOG.error("Configuration error: {}", e.getMessage());
      System.err.println("gatehouse-proxy: configuration error: " + e.getMessage());
      System.exit(2);
      return;
    } catch (IllegalStateException e) {
      LOG.error("Cannot start: {}", e.getMessage());
      System.err.println("gatehouse-proxy: " + e.getMessage());
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("Shutting down: readiness is 503, in-flight requests get up to {} s to finish, then events go to "
          + "Kafka, or to the spool what Kafka cannot take (up to {} s)", proxy.config().drainTimeout().toSeconds(),
          EVENTS_CLOSE_TIMEOUT.toSeconds());
      proxy.close();
    }, "gatehouse-shutdown"));
  }
}
