package io.gatehouse.ingest.health;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.gatehouse.ingest.consume.IngestStats;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The operator's endpoints:
 * <ul>
 *   <li>{@code GET /health/live}: 200 while the process can still do its job eventually, also while it
 *       waits for ClickHouse at start or retries a failed insert (restarting would not help); 503
 *       {@code "down"} once the consumer loop has died (restart it);
 *   <li>{@code GET /health/ready}: 200 once ClickHouse is migrated and the consumer runs; 503
 *       {@code "starting"} before, {@code "down"} after the loop died;
 *   <li>{@code GET /health}: the state of ingest and its counters as JSON, for people; the status as in
 *       {@code /health/ready}, so existing probes keep working;
 *   <li>{@code GET /metrics}: the same and more in Prometheus' text format ({@link IngestMeters}).
 * </ul>
 *
 * <p>{@code /health}: 200 with {@code "status":"ok"} while the consumer runs (also while it retries a
 * failed insert: that is reported in {@code "clickhouse":"failing"});
 * 503 with {@code "starting"} before migrations are applied, {@code "down"} once the loop has died.
 * {@code "lag"} holds the records on Kafka not yet committed (so not yet known to be in ClickHouse):
 * {@code {"total": n, "partitions": {"topic-0": n0, …}}}. Served by the JDK's HTTP server on one
 * daemon thread.
 */
public final class HealthEndpoint implements AutoCloseable {
  private static final JsonFactory JSON = new JsonFactory();
  public static final String LIVE = "/health/live";
  public static final String READY = "/health/ready";

  /** What the service is doing. */
  public enum State { STARTING, RUNNING, DOWN }

  private final HttpServer server;
  private final ExecutorService executor;
  private final IngestStats stats;
  private final Supplier<State> state;
  private final IngestMeters meters;

  public HealthEndpoint(int port, IngestStats stats, Supplier<State> state) {
    this.stats = stats;
    this.meters = new IngestMeters(stats);
    this.state = state;
    try {
      server = HttpServer.create(new InetSocketAddress(port), 0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve health on port " + port + ": " + e.getMessage(), e);
    }
    executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "gatehouse-ingest-health");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/health", exchange -> {
      State s = state.get();
      respond(exchange, s == State.RUNNING, body(s));
    });
    server.createContext(LIVE, exchange -> {
      boolean live = state.get() != State.DOWN;
      respond(exchange, live, status(live ? "live" : "down"));
    });
    server.createContext(READY, exchange -> {
      State s = state.get();
      respond(exchange, s == State.RUNNING, status(switch (s) {
        case STARTING -> "starting";
        case RUNNING -> "ready";
        case DOWN -> "down";
      }));
    });
    server.createContext("/metrics", this::metrics);
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** Answers GET and HEAD with {@code body}: 200 when {@code ok}, else 503. */
  private static void respond(HttpExchange exchange, boolean ok, byte[] body) throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      boolean head = "HEAD".equals(exchange.getRequestMethod());
      exchange.sendResponseHeaders(ok ? 200 : 503, head ? -1 : body.length);
      if (!head) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }

  /** {@code GET /metrics}: Prometheus' text format ({@link IngestMeters}). */
  private void metrics(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod())) {
        exchange.getResponseHeaders().set("Allow", "GET");
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] body = meters.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private static byte[] status(String status) {
    return ("{\"status\":\"" + status + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  private byte[] body(State s) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(512);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("status", switch (s) {
        case STARTING -> "starting";
        case RUNNING -> "ok";
        case DOWN -> "down";
      });
      g.writeStringField("clickhouse", stats.insertFailing() ? "failing" : "ok");
      g.writeNumberField("consumed", stats.consumed());
      g.writeNumberField("inserted_rows", stats.insertedRows());
      g.writeNumberField("insert_batches", stats.insertBatches());
      g.writeNumberField("insert_failures", stats.insertFailures());
      g.writeNumberField("pending_rows", stats.pendingRows());
      g.writeNumberField("poison", stats.poison());
      g.writeNumberField("dead_lettered", stats.deadLettered());
      g.writeNumberField("commits", stats.commits());
      g.writeNumberField("commit_failures", stats.commitFailures());
      g.writeNumberField("already_stored", stats.alreadyStored());
      g.writeNumberField("clickhouse_backoffs", stats.clickHouseBackoffs());
      g.writeObjectFieldStart("lag");
      g.writeNumberField("total", stats.lagTotal());
      g.writeObjectFieldStart("partitions");
      for (Map.Entry<String, Long> p : new TreeMap<>(stats.lag()).entrySet()) {
        g.writeNumberField(p.getKey(), p.getValue());
      }
      g.writeEndObject();
      g.writeEndObject();
      long last = stats.lastInsertEpochMs();
      if (last == 0) {
        g.writeNullField("last_insert");
      } else {
        g.writeStringField("last_insert", Instant.ofEpochMilli(last).toString());
      }
      g.writeStringField("last_error", stats.lastError());
      g.writeEndObject();
    }
    return out.toByteArray();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
