package io.gatehouse.proxy.logs;

import com.google.protobuf.CodedOutputStream;
import io.gatehouse.proxy.events.EventSink;
import io.gatehouse.schemas.GatehouseEvent;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@code POST /v1/traces}: the OTLP/HTTP traces receiver (protobuf, or JSON with
 * {@code Content-Type: application/json}); GenAI spans become events ({@link OtlpMapper}), other spans
 * are skipped. Answers as OTLP/HTTP says: 200 with an empty {@code ExportTraceServiceResponse} in the
 * request's encoding; errors carry a {@code google.rpc.Status} (code and message) in that encoding;
 * 400 is not retried by exporters, 503 with {@code Retry-After} is.
 */
public final class OtlpTracesHandler extends ReceiverHandler {
  public static final String ENDPOINT = "/v1/traces";
  private static final String PROTOBUF = "application/x-protobuf";
  private static final String JSON_TYPE = "application/json";
  /** google.rpc.Code values for the Status body. */
  private static final int INVALID_ARGUMENT = 3;
  private static final int UNAUTHENTICATED = 16;
  private static final int UNAVAILABLE = 14;
  private static final int INTERNAL = 13;

  public OtlpTracesHandler(EventSink events, IngestToken token) {
    super(events, token);
  }

  private static boolean json(HttpServerExchange exchange) {
    String type = exchange.getRequestHeaders().getFirst(Headers.CONTENT_TYPE);
    return type != null && type.toLowerCase(java.util.Locale.ROOT).startsWith(JSON_TYPE);
  }

  @Override
  List<GatehouseEvent> toEvents(byte[] body, HttpServerExchange exchange) throws InvalidPayload {
    return OtlpMapper.map(json(exchange) ? OtlpSpans.fromJson(body) : OtlpSpans.fromProtobuf(body));
  }

  @Override
  void accepted(HttpServerExchange exchange, List<GatehouseEvent> accepted) {
    exchange.setStatusCode(200);
    if (json(exchange)) {
      exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, JSON_TYPE);
      exchange.getResponseSender().send("{}");
    } else {
      // an ExportTraceServiceResponse with no partial_success is zero bytes
      exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, PROTOBUF);
      exchange.getResponseSender().send(ByteBuffer.allocate(0));
    }
  }

  @Override
  void error(HttpServerExchange exchange, int status, String code, String message) {
    int rpcCode = switch (status) {
      case 400, 413 -> INVALID_ARGUMENT;
      case 401 -> UNAUTHENTICATED;
      case 503 -> UNAVAILABLE;
      default -> INTERNAL;
    };
    exchange.setStatusCode(status);
    if (json(exchange)) {
      com.fasterxml.jackson.databind.node.ObjectNode body = LogEvents.JSON.createObjectNode();
      body.put("code", rpcCode).put("message", message);
      exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, JSON_TYPE);
      exchange.getResponseSender().send(body.toString());
      return;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      out.writeInt32(1, rpcCode);
      out.writeString(2, message);
      out.flush();
    } catch (IOException e) {
      throw new IllegalStateException("writing to memory cannot fail", e);
    }
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, PROTOBUF);
    exchange.getResponseSender().send(ByteBuffer.wrap(bytes.toByteArray()));
  }
}
