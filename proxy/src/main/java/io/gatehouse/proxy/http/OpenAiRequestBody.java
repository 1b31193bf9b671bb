package io.gatehouse.proxy.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.pipeline.Attribution;
import io.gatehouse.proxy.pipeline.CallRecord;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.util.SameThreadExecutor;
import java.io.IOException;
import org.xnio.IoUtils;

/**
 * Reading the JSON body of an OpenAI-shaped request, the same way for every OpenAI endpoint: read
 * asynchronously (bounded by {@link GatewayHandler#MAX_REQUEST_BYTES}), then parse; every failure is an
 * OpenAI-shaped 4xx and an event. Stateless.
 */
final class OpenAiRequestBody {
  private static final ObjectMapper JSON = new ObjectMapper();

  private OpenAiRequestBody() {}

  /** Continues a request once its body is in; runs on the IO thread with the exchange dispatched. */
  interface Next {
    void onBody(HttpServerExchange exchange, CallRecord record, byte[] body);
  }

  /** Reads the whole body, then calls {@code next}; a body too large or unreadable is answered here. */
  static void receive(HttpServerExchange exchange, CallRecord record, Next next) {
    exchange.getRequestReceiver().receiveFullBytes(
        (ex, body) -> ex.dispatch(SameThreadExecutor.INSTANCE, () -> {
          try {
            next.onBody(ex, record, body);
          } catch (RuntimeException e) {
            ChatCompletionsHandler.internalError(ex, record, e);
          }
        }),
        (ex, error) -> {
          if (error instanceof RequestTooBigException) {
            ChatCompletionsHandler.reject(ex, record, 413, null, "request_too_large", "The request body is larger "
                + "than " + (GatewayHandler.MAX_REQUEST_BYTES >> 20) + " MB.");
          } else {
            record.event().stream(false);
            record.error(400, "client_error", "Reading the request body failed: " + error.getMessage());
            record.finish(400, null);
            IoUtils.safeClose(ex.getConnection());
          }
        });
  }

  /**
   * The body as a JSON object, attributed from the headers first (so that even an unreadable body is
   * attributed), or null once a 400 has been answered.
   *
   * @param example appended to the "not valid JSON" message, e.g. {@code " Send e.g. {...}."}
   * @param notAnObject the message for JSON that is not an object
   */
  static ObjectNode parseObject(HttpServerExchange exchange, CallRecord record, byte[] body, String example,
      String notAnObject) {
    Attribution.from(exchange.getRequestHeaders(), null).applyTo(record.event());
    JsonNode parsed;
    try {
      parsed = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr();
      ChatCompletionsHandler.reject(exchange, record, 400, null, "invalid_json", "The request body is not valid JSON"
          + where + ": " + e.getOriginalMessage() + "." + example);
      return null;
    } catch (IOException e) {
      ChatCompletionsHandler.reject(exchange, record, 400, null, "invalid_json",
          "The request body could not be read as JSON.");
      return null;
    }
    if (parsed == null || !parsed.isObject()) {
      ChatCompletionsHandler.reject(exchange, record, 400, null, "invalid_json", notAnObject);
      return null;
    }
    return (ObjectNode) parsed;
  }
}
