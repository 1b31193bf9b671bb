package io.gatehouse.schemas.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A server that keeps the first connection alive for one answer and then closes it as soon as the next
 * statement arrives on it, without answering: what ClickHouse does when its keep-alive timeout ends
 * just as the client reuses the connection.
 */
class ClickHouseHttpTest {
  private final List<String> statements = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger connections = new AtomicInteger();
  private ServerSocket server;

  @AfterEach
  void close() throws IOException {
    if (server != null) {
      server.close();
    }
  }

  /** Starts the server; the connection numbered {@code dropOn} is closed on its second request. */
  private URI serve(int dropOnConnection) throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(() -> {
      while (!server.isClosed()) {
        try {
          Socket socket = server.accept();
          int number = connections.incrementAndGet();
          Thread handler = new Thread(() -> handle(socket, number == dropOnConnection));
          handler.setDaemon(true);
          handler.start();
        } catch (IOException e) {
          return;
        }
      }
    });
    acceptor.setDaemon(true);
    acceptor.start();
    return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/");
  }

  private void handle(Socket socket, boolean dropSecond) {
    try (socket) {
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      OutputStream out = socket.getOutputStream();
      for (int request = 1; ; request++) {
        String body = readRequest(in);
        if (body == null) {
          return;
        }
        if (dropSecond && request == 2) {
          return; // closed with the statement unread and unanswered
        }
        statements.add(body);
        byte[] answer = ("ran: " + body).getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + answer.length
            + "\r\nConnection: keep-alive\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(answer);
        out.flush();
      }
    } catch (IOException e) {
      // the client went away
    }
  }

  private static String readRequest(BufferedReader in) throws IOException {
    int length = 0;
    String line = in.readLine();
    if (line == null) {
      return null;
    }
    while ((line = in.readLine()) != null && !line.isEmpty()) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring("content-length:".length()).trim());
      }
    }
    char[] body = new char[length];
    int read = 0;
    while (read < length) {
      int n = in.read(body, read, length - read);
      if (n < 0) {
        return null;
      }
      read += n;
    }
    return new String(body);
  }

  @Test
  void aStatementOnAConnectionTheServerClosedGoesOutOnceMoreOnAFreshOne() throws Exception {
    ClickHouseHttp clickHouse = new ClickHouseHttp(serve(1), "default", "");

    assertThat(clickHouse.query("SELECT 1")).isEqualTo("ran: SELECT 1");
    assertThat(clickHouse.query("SELECT 2")).isEqualTo("ran: SELECT 2");

    assertThat(connections.get()).isEqualTo(2);
    assertThat(statements).containsExactly("SELECT 1", "SELECT 2");
  }

  @Test
  void aServerThatIsNotThereIsReportedAsUnavailableWithoutARetry() throws Exception {
    int port;
    try (ServerSocket unused = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = unused.getLocalPort();
    }
    ClickHouseHttp clickHouse = new ClickHouseHttp(URI.create("http://127.0.0.1:" + port + "/"), "default", "");

    assertThatThrownBy(() -> clickHouse.query("SELECT 1"))
        .isInstanceOf(ClickHouseUnavailableException.class)
        .hasMessageContaining("connection refused");
  }

  @Test
  void onlyConnectionsClosedUnderUsCountAsWorthAnotherTry() {
    assertThat(ClickHouseHttp.closedUnderUs(new IOException("HTTP/1.1 header parser received no bytes"))).isTrue();
    assertThat(ClickHouseHttp.closedUnderUs(new IOException("wrapped", new IOException("Broken pipe")))).isTrue();
    assertThat(ClickHouseHttp.closedUnderUs(new java.net.ConnectException("Connection refused"))).isFalse();
    assertThat(ClickHouseHttp.closedUnderUs(new java.net.http.HttpTimeoutException("request timed out"))).isFalse();
    assertThat(ClickHouseHttp.closedUnderUs(new IOException("something else"))).isFalse();
  }
}
