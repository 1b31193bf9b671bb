package io.gatehouse.proxy.logs;

import io.gatehouse.proxy.events.EventSink;
import io.gatehouse.schemas.GatehouseEvent;
import io.undertow.server.HttpServerExchange;
import java.util.List;

/**
 * {@code POST /v1/litellm}: the endpoint of LiteLLM's {@code generic_api} callback
 * ({@link LiteLlmMapper}); 202 once accepted (LiteLLM treats any 2xx as delivered).
 */
public final class LiteLlmHandler extends ReceiverHandler {
  public static final String ENDPOINT = "/v1/litellm";

  public LiteLlmHandler(EventSink events, IngestToken token) {
    super(events, token);
  }

  @Override
  List<GatehouseEvent> toEvents(byte[] body, HttpServerExchange exchange) throws InvalidPayload {
    return LiteLlmMapper.map(body);
  }
}
