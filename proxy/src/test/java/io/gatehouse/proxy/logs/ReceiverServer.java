package io.gatehouse.proxy.logs;

import io.gatehouse.proxy.events.EventSink;
import io.gatehouse.schemas.GatehouseEvent;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The receivers on a real Undertow server (port 0) in front of a capturing sink, for tests. The sink
 * takes {@link #capacity} events, then refuses (as a full publisher queue does).
 */
final class ReceiverServer implements AutoCloseable {
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  final List<GatehouseEvent> published = new CopyOnWriteArrayList<>();
  final AtomicInteger capacity = new AtomicInteger(Integer.MAX_VALUE);
  private final Undertow server;
  private final int port;

  ReceiverServer(String token) {
    EventSink sink = e -> {
      if (capacity.getAndDecrement() <= 0) {
        return false;
      }
      published.add(e);
      return true;
    };
    Receivers receivers = Receivers.of(sink, IngestToken.of(token), true);
    server = Undertow.builder().addHttpListener(0, "127.0.0.1")
        .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, io.gatehouse.proxy.http.GatewayHandler.MAX_REQUEST_BYTES)
        .setHandler(exchange -> {
          ReceiverHandler r = receivers.forPath(exchange.getRequestPath());
          if (r == null) {
            exchange.setStatusCode(404);
            exchange.endExchange();
          } else {
            receivers.handle(r, exchange);
          }
        }).build();
    server.start();
    port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
  }

  String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  HttpResponse<String> post(String path, byte[] body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String path, String body, String... headers) throws Exception {
    return post(path, body.getBytes(java.nio.charset.StandardCharsets.UTF_8), headers);
  }

  @Override
  public void close() {
    server.stop();
  }
}
