package io.gatehouse.proxy.transport;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The general upstream transport: JDK {@link HttpClient}, {@code sendAsync} with a streaming body
 * subscriber. Used for {@code https} upstreams (the JDK does TLS with hostname verification) and for
 * calls made off the server's IO threads. Callbacks arrive on the client's own threads. Thread-safe.
 */
final class JdkTransport implements AutoCloseable {
  private final Duration responseTimeout;

  private final ExecutorService executor;
  private final HttpClient http;

  JdkTransport(Duration connectTimeout, Duration responseTimeout) {
    this.responseTimeout = responseTimeout;
    AtomicInteger n = new AtomicInteger();
    // callbacks only hop to the server's IO threads: a small pool is enough
    this.executor = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()), r -> {
      Thread t = new Thread(r, "upstream-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(connectTimeout)
        .followRedirects(HttpClient.Redirect.NEVER)
        .executor(executor)
        .build();
  }

  /**
   * Starts the exchange; returns at once. The returned handle cancels it (e.g. the client went away).
   *
   * <p>The JDK client resolves the host name on the calling thread; for hosts that are not IP literals
   * (or localhost) the call is therefore made from the transport's own threads, so a slow DNS lookup
   * never holds a server IO thread.
   */
  UpstreamClient.Cancellable post(UpstreamRequest request, UpstreamListener listener) {
    HttpRequest.Builder b = HttpRequest.newBuilder(request.uri())
        .timeout(request.responseTimeout() == null ? responseTimeout : request.responseTimeout())
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(request.body()));
    for (Map.Entry<String, String> h : request.headers().entrySet()) {
      b.header(h.getKey(), h.getValue());
    }
    Exchange exchange = new Exchange(listener);
    HttpRequest built = b.build();
    if (needsNoLookup(request.uri().getHost())) {
      send(built, exchange);
    } else {
      executor.execute(() -> send(built, exchange));
    }
    return exchange;
  }

  private void send(HttpRequest request, Exchange exchange) {
    if (exchange.cancelled) {
      return;
    }
    CompletableFuture<HttpResponse<Void>> future;
    try {
      future = http.sendAsync(request, exchange);
    } catch (RuntimeException e) {
      exchange.fail(e);
      return;
    }
    future.whenComplete((response, error) -> {
      if (error != null) {
        exchange.fail(error instanceof java.util.concurrent.CompletionException && error.getCause() != null
            ? error.getCause() : error);
      }
    });
    exchange.future = future;
  }

  /** IP literals and localhost resolve without a DNS query. */
  static boolean needsNoLookup(String host) {
    if (host == null) {
      return true;
    }
    return host.equals("localhost") || host.startsWith("[") || host.indexOf(':') >= 0
        || host.chars().allMatch(ch -> ch == '.' || (ch >= '0' && ch <= '9'));
  }

  @Override
  public void close() {
    executor.shutdownNow();
    try {
      executor.awaitTermination(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Adapts the JDK body-subscriber protocol to {@link UpstreamListener}; delivers one terminal signal. */
  private static final class Exchange
      implements HttpResponse.BodyHandler<Void>, HttpResponse.BodySubscriber<Void>, UpstreamClient.Cancellable,
      UpstreamListener.Demand {
    private final UpstreamListener listener;
    private final AtomicBoolean terminated = new AtomicBoolean();
    private volatile boolean responded;
    private volatile Flow.Subscription subscription;
    private volatile boolean cancelled;
    volatile CompletableFuture<HttpResponse<Void>> future;

    Exchange(UpstreamListener listener) {
      this.listener = listener;
    }

    @Override
    public HttpResponse.BodySubscriber<Void> apply(HttpResponse.ResponseInfo info) {
      responded = true;
      listener.onResponse(info.statusCode(), info.headers());
      return this;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      if (cancelled) {
        s.cancel();
      } else {
        s.request(1);
      }
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
      if (!terminated.get()) {
        listener.onBody(item, this);
      }
    }

    @Override
    public void onError(Throwable throwable) {
      fail(throwable);
    }

    @Override
    public void onComplete() {
      if (terminated.compareAndSet(false, true)) {
        listener.onComplete();
      }
    }

    void fail(Throwable t) {
      if (terminated.compareAndSet(false, true)) {
        listener.onError(t, responded);
      }
    }

    @Override
    public CompletableFuture<Void> getBody() {
      // completes at once so that sendAsync's future means "headers arrived"; the body is streamed
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public void more() {
      Flow.Subscription s = subscription;
      if (s != null && !cancelled) {
        s.request(1);
      }
    }

    @Override
    public void cancel() {
      cancelled = true;
      terminated.set(true);
      Flow.Subscription s = subscription;
      if (s != null) {
        s.cancel();
      }
      CompletableFuture<HttpResponse<Void>> f = future;
      if (f != null) {
        f.cancel(true);
      }
    }
  }
}
