package io.gatehouse.ui.server;

import io.gatehouse.schemas.clickhouse.ClickHouseException;
import io.gatehouse.schemas.clickhouse.ClickHouseHttp;
import io.gatehouse.schemas.clickhouse.ClickHouseUnavailableException;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

/**
 * {@code GET /health/ready}: the UI can do its job when ClickHouse answers. 200 {@code {"status":"ready"}}
 * when a trivial query succeeds, else 503 {@code {"status":"unready","clickhouse":"unreachable"}} (or
 * {@code "error"} when it answers with an error, e.g. wrong credentials). Anonymous, so it says no more.
 * The query runs on a worker thread, never an IO thread; give {@code clickHouse} a short timeout, and
 * an instance of its own, so that probes stay out of the dashboards' query metrics.
 */
public final class ClickHouseReadiness implements HttpHandler {
  private final ClickHouseHttp clickHouse;

  public ClickHouseReadiness(ClickHouseHttp clickHouse) {
    this.clickHouse = clickHouse;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) {
    if (exchange.isInIoThread()) {
      exchange.dispatch(this);
      return;
    }
    String problem;
    try {
      clickHouse.query("SELECT 1");
      problem = null;
    } catch (ClickHouseUnavailableException e) {
      problem = "unreachable";
    } catch (ClickHouseException e) {
      problem = "error";
    }
    exchange.setStatusCode(problem == null ? 200 : 503);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
    exchange.getResponseSender().send(problem == null ? "{\"status\":\"ready\"}"
        : "{\"status\":\"unready\",\"clickhouse\":\"" + problem + "\"}");
  }
}
