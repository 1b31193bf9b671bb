package io.gatehouse.proxy.logs;

import io.gatehouse.proxy.events.EventSink;
import io.gatehouse.schemas.GatehouseEvent;
import io.undertow.server.HttpServerExchange;
import java.util.List;

/** {@code POST /v1/logs}: request/response pairs, one or a batch ({@link LogApiMapper}); 202 once accepted. */
public final class LogsHandler extends ReceiverHandler {
  public static final String ENDPOINT = "/v1/logs";

  public LogsHandler(EventSink events, IngestToken token) {
    super(events, token);
  }

  @Override
  List<GatehouseEvent> toEvents(byte[] body, HttpServerExchange exchange) throws InvalidPayload {
    return LogApiMapper.map(body, exchange.getRequestHeaders());
  }
}
