package io.gatehouse.proxy.logs;

import io.gatehouse.proxy.events.EventSink;
import io.gatehouse.proxy.http.OpenAiErrors;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Methods;

/**
 * The log receivers by path, for the root handler. Built once at start; immutable and thread-safe.
 *
 * @param logOnly whether Gatehouse runs in log-only mode (the proxy endpoints are off)
 */
public record Receivers(LogsHandler logs, OtlpTracesHandler traces, LiteLlmHandler litellm, boolean logOnly) {
  public static final String SERVED = "POST " + LogsHandler.ENDPOINT + ", POST " + OtlpTracesHandler.ENDPOINT
      + " (OTLP/HTTP) and POST " + LiteLlmHandler.ENDPOINT;

  public static Receivers of(EventSink events, IngestToken token, boolean logOnly) {
    return new Receivers(new LogsHandler(events, token), new OtlpTracesHandler(events, token),
        new LiteLlmHandler(events, token), logOnly);
  }

  /** The receiver of {@code path}, or null when the path is not a receiver's. */
  public ReceiverHandler forPath(String path) {
    return switch (path) {
      case LogsHandler.ENDPOINT -> logs;
      case OtlpTracesHandler.ENDPOINT -> traces;
      case LiteLlmHandler.ENDPOINT -> litellm;
      default -> null;
    };
  }

  /** Serves a receiver path: POST goes to the receiver, anything else is a 405. */
  public void handle(ReceiverHandler receiver, HttpServerExchange exchange) {
    if (exchange.getRequestMethod().equals(Methods.POST)) {
      receiver.handleRequest(exchange);
    } else {
      exchange.getResponseHeaders().put(io.undertow.util.Headers.ALLOW, "POST");
      exchange.getResponseHeaders().put(io.gatehouse.proxy.http.GatewayHandler.REQUEST_ID,
          io.gatehouse.schemas.EventIds.next());
      OpenAiErrors.send(exchange, 405, "Use POST for " + exchange.getRequestPath() + ", not "
          + exchange.getRequestMethod() + ".", OpenAiErrors.INVALID_REQUEST, null, "method_not_allowed");
    }
  }
}
