package io.gatehouse.ui;

import io.gatehouse.schemas.clickhouse.ClickHouseException;
import io.gatehouse.schemas.clickhouse.ClickHouseHttp;
import io.gatehouse.ui.auth.UiUsers;
import io.gatehouse.ui.budget.Budgets;
import io.gatehouse.ui.experiments.ExperimentQueries;
import io.gatehouse.ui.requests.RequestQueries;
import io.gatehouse.ui.rollup.RollupQueries;
import io.gatehouse.ui.server.ClickHouseReadiness;
import io.gatehouse.ui.server.UiMeters;
import io.gatehouse.ui.server.VaadinUndertow;
import jakarta.servlet.ServletException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Composition root of the analytics UI: environment → ClickHouse client → queries → Vaadin on Undertow.
 * Starts whether or not ClickHouse is up (the page says what ClickHouse answered).
 *
 * <p>Environment: {@code GATEHOUSE_CLICKHOUSE_URL} (default http://127.0.0.1:8123),
 * {@code GATEHOUSE_CLICKHOUSE_USER} (default "default"), {@code GATEHOUSE_CLICKHOUSE_PASSWORD}
 * (default empty), {@code GATEHOUSE_UI_PORT} (default 8081; 0 = any free port),
 * {@code GATEHOUSE_UI_HOST} (bind address, default 127.0.0.1; 0.0.0.0 in containers),
 * {@code GATEHOUSE_UI_USERS} / {@code GATEHOUSE_UI_USERS_FILE} (who may sign in, see {@link UiUsers}),
 * {@code GATEHOUSE_UI_BUDGETS} (monthly budgets shown next to spend, see {@link Budgets}).
 * Every page needs a signed-in user; {@code /health}, {@code /health/live} and {@code /health/ready} (ClickHouse
 * answers) are the anonymous URLs.
 */
public final class AnalyticsUi implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AnalyticsUi.class);

  /** How long {@code /health/ready} waits for ClickHouse before it answers 503. */
  static final Duration READY_TIMEOUT = Duration.ofSeconds(2);

  private final VaadinUndertow server;

  private AnalyticsUi(VaadinUndertow server) {
    this.server = server;
  }

  /** Bearer token that {@code GET /metrics} requires; without it the endpoint is off (only /health* are anonymous). */
  public static final String METRICS_TOKEN = "GATEHOUSE_UI_METRICS_TOKEN";

  /** {@code GET /metrics}: Prometheus text for a scraper presenting {@link #METRICS_TOKEN}; 404 when none is set. */
  static io.undertow.server.HttpHandler metricsHandler(UiMeters meters, String token) {
    byte[] expected = token == null || token.isBlank() ? null
        : ("Bearer " + token.strip()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return exchange -> {
      if (expected == null) {
        exchange.setStatusCode(404);
        exchange.getResponseSender().send("Metrics are off: set " + METRICS_TOKEN + " and scrape with "
            + "'Authorization: Bearer <token>'.");
        return;
      }
      String presented = exchange.getRequestHeaders().getFirst(io.undertow.util.Headers.AUTHORIZATION);
      if (presented == null || !java.security.MessageDigest.isEqual(expected,
          presented.getBytes(java.nio.charset.StandardCharsets.UTF_8))) {
        exchange.setStatusCode(401);
        exchange.getResponseHeaders().put(io.undertow.util.Headers.WWW_AUTHENTICATE, "Bearer");
        exchange.endExchange();
        return;
      }
      if (exchange.isInIoThread()) {
        exchange.dispatch(exchange.getConnection().getWorker(), () -> send(exchange, meters));
        return;
      }
      send(exchange, meters);
    };
  }

  private static void send(io.undertow.server.HttpServerExchange exchange, UiMeters meters) {
    exchange.getResponseHeaders().put(io.undertow.util.Headers.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
    exchange.getResponseSender().send(meters.scrape());
  }

  public static AnalyticsUi start(Map<String, String> env) {
    long started = System.nanoTime();
    URI clickHouseUrl = URI.create(env.getOrDefault("GATEHOUSE_CLICKHOUSE_URL", "http://127.0.0.1:8123"));
    String user = env.getOrDefault("GATEHOUSE_CLICKHOUSE_USER", "default");
    String clickHousePassword = env.getOrDefault("GATEHOUSE_CLICKHOUSE_PASSWORD", "");
    ClickHouseHttp clickHouse = new ClickHouseHttp(clickHouseUrl, user, clickHousePassword, Duration.ofSeconds(30));
    String host = env.getOrDefault("GATEHOUSE_UI_HOST", "127.0.0.1");
    int port = port(env.getOrDefault("GATEHOUSE_UI_PORT", "8081"));

    UiMeters meters = new UiMeters(clickHouse);
    log.info("Reading ClickHouse at {} as user '{}'", clickHouseUrl, user);
    probe(clickHouse);
    UiUsers users = UiUsers.fromEnv(env);
    Budgets budgets = Budgets.parse(env.get("GATEHOUSE_UI_BUDGETS"));
    VaadinUndertow server;
    try {
      server = VaadinUndertow.start(host, port, Map.of(
          RequestQueries.class.getName(), new RequestQueries(clickHouse),
          RollupQueries.class.getName(), new RollupQueries(clickHouse),
          ExperimentQueries.class.getName(), new ExperimentQueries(clickHouse),
          UiUsers.class.getName(), users,
          Budgets.class.getName(), budgets), Map.of(
          "/metrics", metricsHandler(meters, env.get(METRICS_TOKEN)),
          // a client of its own with a short timeout: probes stay out of the dashboards' query metrics
          VaadinUndertow.READY, new ClickHouseReadiness(
              new ClickHouseHttp(clickHouseUrl, user, clickHousePassword, READY_TIMEOUT))));
    } catch (ServletException e) {
      throw new IllegalStateException("Vaadin failed to deploy: " + e.getMessage(), e);
    }
    log.info("Analytics UI listening on {}:{} (started in {} ms)", host, server.port(),
        (System.nanoTime() - started) / 1_000_000);
    users.generatedPassword().ifPresentOrElse(
        password -> {
          // printed, not only logged: this is how the operator of a fresh install gets in
          System.out.println("Gatehouse UI sign-in: user 'admin', password '" + password + "' (generated at start;"
              + " set GATEHOUSE_UI_USERS or GATEHOUSE_UI_USERS_FILE to configure users)");
          log.warn("No UI users configured: generated a password for user 'admin' (printed on stdout)");
        },
        () -> log.info("{} UI user(s) configured", users.size()));
    return new AnalyticsUi(server);
  }

  public int port() {
    return server.port();
  }

  @Override
  public void close() {
    server.close();
  }

  public static void main(String[] args) {
    AnalyticsUi ui;
    try {
      ui = start(System.getenv());
    } catch (RuntimeException e) {
      log.error("Gatehouse UI could not start: {}", e.getMessage(), e);
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("Stopping analytics UI");
      ui.close();
    }, "gatehouse-ui-shutdown"));
    System.out.println("Gatehouse UI ready on http://127.0.0.1:" + ui.port());
  }

  /** A startup hint only: the UI serves either way and re-asks ClickHouse on every page refresh. */
  private static void probe(ClickHouseHttp clickHouse) {
    try {
      String version = clickHouse.query("SELECT version()").strip();
      log.info("ClickHouse {} answers", version);
    } catch (ClickHouseException e) {
      log.warn("ClickHouse at {} {}: the UI starts anyway and shows this on its pages",
          clickHouse.endpoint(), e.getMessage());
    }
  }

  private static int port(String value) {
    try {
      int port = Integer.parseInt(value.strip());
      if (port < 0 || port > 65_535) {
        throw new NumberFormatException();
      }
      return port;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("GATEHOUSE_UI_PORT must be a port number (0-65535), got '" + value + "'");
    }
  }
}
