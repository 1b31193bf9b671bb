package io.gatehouse.proxy.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.SameThreadExecutor;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.Xnio;
import org.xnio.XnioIoThread;
import org.xnio.XnioWorker;

/** The IO-thread transport against a real Undertow upstream, driven from a real XNIO IO thread. */
class XnioTransportTest {
  private static final Duration RESPONSE_TIMEOUT = Duration.ofMillis(400);
  private static Undertow upstream;
  private static Undertow closingUpstream;
  private static int port;
  private static int closingPort;
  private static final List<Integer> clientPorts = new CopyOnWriteArrayList<>();
  /** The closing upstream: the client port of each request, and of each connection it closed. */
  private static final List<Integer> closingClientPorts = new CopyOnWriteArrayList<>();
  private static final BlockingQueue<Integer> closedClientPorts = new LinkedBlockingQueue<>();
  private static volatile CountDownLatch streamGate;
  private static XnioWorker worker;
  private static XnioIoThread io;
  private static XnioTransport transport;

  @BeforeAll
  static void start() throws Exception {
    upstream = Undertow.builder().addHttpListener(0, "127.0.0.1").setHandler(XnioTransportTest::handle).build();
    upstream.start();
    port = ((InetSocketAddress) upstream.getListenerInfo().get(0).getAddress()).getPort();
    // closes connections that sit idle for 100 ms
    closingUpstream = Undertow.builder().addHttpListener(0, "127.0.0.1")
        .setServerOption(UndertowOptions.NO_REQUEST_TIMEOUT, 100).setHandler(ex -> {
          closingClientPorts.add(ex.getSourceAddress().getPort());
          int clientPort = ex.getSourceAddress().getPort();
          ex.getConnection().addCloseListener(c -> closedClientPorts.add(clientPort));
          handle(ex);
        }).build();
    closingUpstream.start();
    closingPort = ((InetSocketAddress) closingUpstream.getListenerInfo().get(0).getAddress()).getPort();
    worker = Xnio.getInstance().createWorker(OptionMap.builder().set(Options.WORKER_IO_THREADS, 1)
        .set(Options.WORKER_TASK_CORE_THREADS, 1).set(Options.WORKER_TASK_MAX_THREADS, 1).getMap());
    io = worker.getIoThread();
    transport = new XnioTransport(Duration.ofSeconds(2), RESPONSE_TIMEOUT);
  }

  @AfterAll
  static void stop() {
    transport.close();
    worker.shutdownNow();
    upstream.stop();
    closingUpstream.stop();
  }

  private static void handle(HttpServerExchange ex) {
    clientPorts.add(ex.getSourceAddress().getPort());
    switch (ex.getRequestPath()) {
      case "/json" -> ex.getRequestReceiver().receiveFullBytes((e, body) -> {
        e.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        e.getResponseSender().send("{\"echo\":" + new String(body, StandardCharsets.UTF_8) + ",\"auth\":\""
            + e.getRequestHeaders().getFirst("Authorization") + "\"}");
      });
      case "/stream" -> {
        if (ex.isInIoThread()) {
          ex.dispatch(XnioTransportTest::handle);
          return;
        }
        ex.startBlocking();
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/event-stream");
        try (OutputStream out = ex.getOutputStream()) {
          out.write("data: a\n\n".getBytes(StandardCharsets.UTF_8));
          out.flush();
          streamGate.await(5, TimeUnit.SECONDS);
          out.write("data: b\n\n".getBytes(StandardCharsets.UTF_8));
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
      default -> ex.dispatch(SameThreadExecutor.INSTANCE, () -> { }); // never answers
    }
  }

  /** Records callbacks as strings; asks for more body at once. */
  private static final class Recorder implements UpstreamListener {
    final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    final StringBuilder body = new StringBuilder();
    volatile Throwable error;

    private void onIoThread() {
      if (Thread.currentThread() != io) {
        events.add("wrong thread " + Thread.currentThread().getName());
      }
    }

    @Override
    public void onResponse(int status, HttpHeaders headers) {
      onIoThread();
      events.add("response " + status + " " + headers.firstValue("content-type").orElse(""));
    }

    @Override
    public void onBody(List<ByteBuffer> buffers, Demand demand) {
      onIoThread();
      for (ByteBuffer b : buffers) {
        String s = StandardCharsets.UTF_8.decode(b).toString();
        body.append(s);
        events.add("body " + s.strip());
      }
      demand.more();
    }

    @Override
    public void onComplete() {
      onIoThread();
      events.add("complete");
    }

    @Override
    public void onError(Throwable e, boolean afterResponse) {
      onIoThread();
      error = e;
      events.add("error " + afterResponse);
    }

    String next() throws InterruptedException {
      String e = events.poll(5, TimeUnit.SECONDS);
      assertThat(e).as("next callback").isNotNull();
      return e;
    }
  }

  private static UpstreamClient.Cancellable post(int port, String path, Recorder r) throws Exception {
    UpstreamRequest request = new UpstreamRequest(URI.create("http://127.0.0.1:" + port + path),
        Map.of("Authorization", "Bearer k"), "{\"n\":1}".getBytes(StandardCharsets.UTF_8));
    UpstreamClient.Cancellable[] handle = new UpstreamClient.Cancellable[1];
    CountDownLatch posted = new CountDownLatch(1);
    io.execute(() -> {
      handle[0] = transport.post(io, request, r);
      posted.countDown();
    });
    assertThat(posted.await(5, TimeUnit.SECONDS)).isTrue();
    return handle[0];
  }

  private static String jsonAnswer(int port) throws Exception {
    Recorder r = new Recorder();
    post(port, "/json", r);
    assertThat(r.next()).isEqualTo("response 200 application/json");
    String event;
    while ((event = r.next()).startsWith("body ")) {
      // collected in r.body
    }
    assertThat(event).isEqualTo("complete");
    return r.body.toString();
  }

  @Test
  void answersOnTheCallingIoThreadAndReusesTheConnection() throws Exception {
    clientPorts.clear();
    assertThat(jsonAnswer(port)).isEqualTo("{\"echo\":{\"n\":1},\"auth\":\"Bearer k\"}");
    assertThat(jsonAnswer(port)).isEqualTo("{\"echo\":{\"n\":1},\"auth\":\"Bearer k\"}");
    assertThat(clientPorts).hasSize(2);
    assertThat(clientPorts.get(1)).as("kept-alive connection reused").isEqualTo(clientPorts.get(0));
  }

  @Test
  void streamPiecesArriveBeforeTheStreamEnds() throws Exception {
    streamGate = new CountDownLatch(1);
    Recorder r = new Recorder();
    post(port, "/stream", r);
    assertThat(r.next()).isEqualTo("response 200 text/event-stream");
    assertThat(r.next()).contains("data: a");
    streamGate.countDown();
    String event;
    while ((event = r.next()).startsWith("body ")) {
      // the rest
    }
    assertThat(event).isEqualTo("complete");
    assertThat(r.body.toString()).contains("data: a").contains("data: b");
  }

  @Test
  void noAnswerTimesOut() throws Exception {
    Recorder r = new Recorder();
    post(port, "/hang", r);
    assertThat(r.next()).isEqualTo("error false");
    assertThat(r.error).isInstanceOf(HttpTimeoutException.class);
  }

  @Test
  void cancelledExchangeIsSilent() throws Exception {
    Recorder r = new Recorder();
    UpstreamClient.Cancellable c = post(port, "/hang", r);
    c.cancel(); // from another thread
    assertThat(r.events.poll(RESPONSE_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void refusedConnectionIsAConnectException() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    Recorder r = new Recorder();
    post(closed, "/json", r);
    assertThat(r.next()).isEqualTo("error false");
    assertThat(r.error).isInstanceOf(ConnectException.class);
  }

  @Test
  void upstreamClosingAnIdleConnectionIsNoError() throws Exception {
    assertThat(jsonAnswer(closingPort)).contains("echo");
    int first = closingClientPorts.get(0);
    // the upstream closes the kept-alive connection once it idles 100 ms: wait for that, with a deadline
    assertThat(closedClientPorts.poll(10, TimeUnit.SECONDS)).as("the upstream closed the idle connection")
        .isEqualTo(first);
    assertThat(jsonAnswer(closingPort)).contains("echo");
    assertThat(closingClientPorts).hasSize(2);
    assertThat(closingClientPorts.get(1)).as("the second request went on a new connection").isNotEqualTo(first);
  }
}
