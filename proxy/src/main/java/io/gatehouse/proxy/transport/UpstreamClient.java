package io.gatehouse.proxy.transport;

import java.time.Duration;
import java.util.Locale;
import org.xnio.XnioIoThread;

/**
 * The one shared non-blocking upstream HTTP client: bodies are delivered piece by piece as they arrive,
 * with demand-driven back-pressure. Adapters never own a client. Thread-safe.
 *
 * <p>Two transports behind one contract ({@link UpstreamListener}):
 * <ul>
 *   <li>{@code http} upstreams called from a server IO thread (the proxy's normal case) go through
 *       {@link XnioTransport}: Undertow's own client on that same IO thread, with kept-alive connections
 *       pooled per IO thread. No thread hop at all; callbacks arrive on the caller's IO thread.
 *   <li>Everything else ({@code https}, calls from other threads) goes through {@link JdkTransport}
 *       (JDK {@code HttpClient}); callbacks arrive on its own threads. It is created on first use.
 * </ul>
 *
 * <p>Timeouts: {@code connect} to connect and, unless a request sets its own, {@code response} until
 * the response headers arrive. Silence between body chunks is the caller's to watch (it knows whether
 * a stream is expected).
 */
public final class UpstreamClient implements AutoCloseable {
  private final Duration connectTimeout;
  private final Duration responseTimeout;
  private final XnioTransport fast;
  private JdkTransport jdk; // guarded by this
  private boolean closed; // guarded by this

  public UpstreamClient(Duration connectTimeout, Duration responseTimeout) {
    this.connectTimeout = connectTimeout;
    this.responseTimeout = responseTimeout;
    this.fast = new XnioTransport(connectTimeout, responseTimeout);
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  /**
   * Starts the exchange; returns at once. The returned handle cancels it (e.g. the client went away).
   */
  public Cancellable post(UpstreamRequest request, UpstreamListener listener) {
    if (Thread.currentThread() instanceof XnioIoThread io
        && "http".equals(request.uri().getScheme().toLowerCase(Locale.ROOT))) {
      return fast.post(io, request, listener);
    }
    return jdk().post(request, listener);
  }

  private synchronized JdkTransport jdk() {
    if (closed) {
      throw new IllegalStateException("UpstreamClient is closed");
    }
    if (jdk == null) {
      jdk = new JdkTransport(connectTimeout, responseTimeout);
    }
    return jdk;
  }

  @Override
  public void close() {
    fast.close();
    synchronized (this) {
      closed = true;
      if (jdk != null) {
        jdk.close();
      }
    }
  }

  /** Cancels an exchange in flight. Callable from any thread; harmless after the exchange ended. */
  public interface Cancellable {
    void cancel();
  }
}
