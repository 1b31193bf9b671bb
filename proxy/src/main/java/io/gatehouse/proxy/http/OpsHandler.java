package io.gatehouse.proxy.http;

import io.gatehouse.proxy.metrics.GatehouseMeters;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

/**
 * The operator's endpoints, in front of everything else so they answer while the proxy drains:
 * <ul>
 *   <li>{@code GET /metrics}: Prometheus text format (scraping runs on a worker thread, not an IO thread);
 *   <li>{@code GET /health/live}: 200 while the process serves HTTP at all;
 *   <li>{@code GET /health/ready}: 200 while it takes traffic, 503 once it drains for shutdown, so a load
 *       balancer stops sending before in-flight requests finish.
 * </ul>
 * While draining, any other request is answered 503 (OpenAI-shaped, {@code Retry-After: 1}): the
 * official SDKs retry it, on another replica behind a load balancer. Thread-safe.
 */
public final class OpsHandler implements HttpHandler {
  public static final String METRICS = "/metrics";
  public static final String LIVE = "/health/live";
  public static final String READY = "/health/ready";
  private static final ByteBuffer LIVE_BODY = json("{\"status\":\"live\"}");
  private static final ByteBuffer READY_BODY = json("{\"status\":\"ready\"}");
  private static final ByteBuffer DRAINING_BODY = json("{\"status\":\"draining\"}");

  private final GatehouseMeters meters;
  private final BooleanSupplier draining;
  private final HttpHandler next;

  public OpsHandler(GatehouseMeters meters, BooleanSupplier draining, HttpHandler next) {
    this.meters = meters;
    this.draining = draining;
    this.next = next;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) throws Exception {
    String path = exchange.getRequestPath();
    boolean get = exchange.getRequestMethod().equals(Methods.GET);
    if (get && path.equals(METRICS)) {
      if (exchange.isInIoThread()) {
        exchange.dispatch(this);
        return;
      }
      exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
      exchange.getResponseSender().send(meters.scrape());
    } else if (get && path.equals(LIVE)) {
      send(exchange, 200, LIVE_BODY);
    } else if (get && path.equals(READY)) {
      send(exchange, draining.getAsBoolean() ? 503 : 200,
          draining.getAsBoolean() ? DRAINING_BODY : READY_BODY);
    } else if (draining.getAsBoolean()) {
      exchange.getResponseHeaders().put(Headers.RETRY_AFTER, "1");
      exchange.getResponseHeaders().put(Headers.CONNECTION, "close");
      OpenAiErrors.send(exchange, 503, "This Gatehouse instance is shutting down; send the request again (another "
          + "replica will take it).", OpenAiErrors.INTERNAL, null, "shutting_down");
    } else {
      next.handleRequest(exchange);
    }
  }

  private static void send(HttpServerExchange exchange, int status, ByteBuffer body) {
    exchange.setStatusCode(status);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
    exchange.getResponseSender().send(body.duplicate());
  }

  private static ByteBuffer json(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
  }
}
