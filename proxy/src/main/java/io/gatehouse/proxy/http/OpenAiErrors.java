package io.gatehouse.proxy.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * OpenAI-shaped errors: {@code {"error":{"message","type","param","code"}}}. Every error a client of
 * the OpenAI endpoints sees has this shape. Stateless.
 */
public final class OpenAiErrors {
  /** Type of errors caused by the request (the client can fix them). */
  public static final String INVALID_REQUEST = "invalid_request_error";
  /** Type of errors caused by the upstream provider or the way to it. */
  public static final String UPSTREAM = "upstream_error";
  /** Type of errors that are Gatehouse's own fault (bugs). */
  public static final String INTERNAL = "internal_error";

  private static final ObjectMapper JSON = new ObjectMapper();

  private OpenAiErrors() {}

  public static byte[] body(String message, String type, String param, String code) {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode error = root.putObject("error");
    error.put("message", message);
    error.put("type", type);
    error.put("param", param);
    error.put("code", code);
    try {
      return JSON.writeValueAsBytes(root);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Sends the error and ends the exchange. Call on the exchange's IO thread, before the response started. */
  public static void send(HttpServerExchange exchange, int status, String message, String type, String param,
      String code) {
    sendBody(exchange, status, body(message, type, param, code));
  }

  static void sendBody(HttpServerExchange exchange, int status, byte[] body) {
    exchange.setStatusCode(status);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
    exchange.getResponseSender().send(ByteBuffer.wrap(body));
  }
}
