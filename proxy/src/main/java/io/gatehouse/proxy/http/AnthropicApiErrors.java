package io.gatehouse.proxy.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Anthropic-shaped errors for clients of the Anthropic-native endpoints:
 * {@code {"type":"error","error":{"type","message"}}}, in a response or as an SSE {@code event: error}
 * frame. Which type goes with which status is {@link io.gatehouse.proxy.provider.anthropic.AnthropicErrors}'
 * judgement. Stateless.
 */
final class AnthropicApiErrors {
  static final String INVALID_REQUEST = "invalid_request_error";
  static final String NOT_FOUND = "not_found_error";
  static final String API_ERROR = "api_error";
  private static final ObjectMapper JSON = new ObjectMapper();

  private AnthropicApiErrors() {}

  static byte[] body(String type, String message) {
    ObjectNode root = JSON.createObjectNode();
    root.put("type", "error");
    root.putObject("error").put("type", type).put("message", message);
    try {
      return JSON.writeValueAsBytes(root);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Sends the error and ends the exchange. Call on the exchange's IO thread, before the response started. */
  static void send(HttpServerExchange exchange, int status, String type, String message) {
    exchange.setStatusCode(status);
    exchange.getResponseHeaders().remove(Headers.CONTENT_LENGTH);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
    exchange.getResponseSender().send(ByteBuffer.wrap(body(type, message)));
  }

  /** The SSE frame Anthropic sends when a stream fails after its 200 header. */
  static ByteBuffer streamFrame(String type, String message) {
    return ByteBuffer.wrap(("event: error\ndata: " + new String(body(type, message), StandardCharsets.UTF_8) + "\n\n")
        .getBytes(StandardCharsets.UTF_8));
  }
}
