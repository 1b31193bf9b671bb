package io.gatehouse.proxy.transport;

import io.undertow.client.ClientCallback;
import io.undertow.client.ClientConnection;
import io.undertow.client.ClientExchange;
import io.undertow.client.ClientRequest;
import io.undertow.client.UndertowClient;
import io.undertow.connector.ByteBufferPool;
import io.undertow.connector.PooledByteBuffer;
import io.undertow.server.DefaultByteBufferPool;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.xnio.ChannelListeners;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.XnioExecutor;
import org.xnio.XnioIoThread;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.channels.StreamSourceChannel;

/**
 * Plain-HTTP upstream transport on the server's own IO threads (Undertow's non-blocking client): the
 * upstream connection is served by the same IO thread as the client's request, so a request costs no
 * thread hop. Kept-alive connections are pooled per IO thread and per {@code host:port}; each pool is
 * touched only by its thread.
 *
 * <p>A request that fails on a <em>reused</em> connection before any response arrived (the upstream
 * closed the idle connection at the same moment) is sent once more on a fresh connection.
 *
 * <p>Host names that are not IP literals are resolved on a small resolver thread, never on an IO thread.
 */
final class XnioTransport implements AutoCloseable {
  /**
   * Idle connections kept per IO thread and upstream: above the streams a thread has in flight at a
   * few thousand requests per second, so connections are reused instead of reopened (a connect and
   * an accept per request, and a socket in TIME_WAIT, on both sides).
   */
  static final int MAX_IDLE_PER_HOST = 512;
  /** An idle connection older than this is closed instead of reused (below common upstream idle limits). */
  static final long MAX_IDLE_NANOS = TimeUnit.SECONDS.toNanos(30);
  private static final OptionMap CONNECT_OPTIONS = OptionMap.create(Options.TCP_NODELAY, true);

  private final long connectTimeoutMs;
  private final long responseTimeoutMs;
  private final UndertowClient client = UndertowClient.getInstance();
  private final ByteBufferPool buffers = new DefaultByteBufferPool(true, 16 * 1024);
  private final ConcurrentLinkedQueue<Pool> allPools = new ConcurrentLinkedQueue<>();
  private final ThreadLocal<Pool> pools = ThreadLocal.withInitial(() -> {
    Pool p = new Pool((XnioIoThread) Thread.currentThread());
    allPools.add(p);
    return p;
  });
  private final ExecutorService resolver;
  private volatile boolean closed;

  XnioTransport(Duration connectTimeout, Duration responseTimeout) {
    this.connectTimeoutMs = connectTimeout.toMillis();
    this.responseTimeoutMs = responseTimeout.toMillis();
    AtomicInteger n = new AtomicInteger();
    this.resolver = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "upstream-dns-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts the exchange on {@code io}, which must be the calling thread. */
  UpstreamClient.Cancellable post(XnioIoThread io, UpstreamRequest request, UpstreamListener listener) {
    Exchange e = new Exchange(io, pools.get(), request, listener);
    e.start();
    return e;
  }

  @Override
  public void close() {
    closed = true;
    resolver.shutdownNow();
    for (Pool p : allPools) {
      p.closeAll();
    }
    buffers.close();
  }

  /** IP literals and localhost resolve without a DNS query. */
  static boolean needsNoLookup(String host) {
    return JdkTransport.needsNoLookup(host);
  }

  static HttpHeaders toJdk(HeaderMap headers) {
    Map<String, List<String>> map = new HashMap<>();
    for (HeaderValues values : headers) {
      map.put(values.getHeaderName().toString(), List.copyOf(values));
    }
    return HttpHeaders.of(map, (name, value) -> true);
  }

  /** Idle and active connections of one IO thread. Touched only by that thread. */
  private final class Pool {
    private final XnioIoThread io;
    private final Map<String, ArrayDeque<Idle>> idle = new HashMap<>();
    private final Map<ClientConnection, Exchange> active = new HashMap<>();

    Pool(XnioIoThread io) {
      this.io = io;
    }

    /** The most recently used idle connection that is still usable, or null. */
    ClientConnection take(String key) {
      ArrayDeque<Idle> q = idle.get(key);
      if (q == null) {
        return null;
      }
      long now = System.nanoTime();
      for (Idle i = q.pollLast(); i != null; i = q.pollLast()) {
        if (i.connection.isOpen() && now - i.since < MAX_IDLE_NANOS) {
          return i.connection;
        }
        IoUtils.safeClose(i.connection);
      }
      return null;
    }

    void release(String key, ClientConnection c) {
      if (closed || !c.isOpen()) {
        IoUtils.safeClose(c);
        return;
      }
      ArrayDeque<Idle> q = idle.computeIfAbsent(key, k -> new ArrayDeque<>());
      if (q.size() >= MAX_IDLE_PER_HOST) {
        IoUtils.safeClose(c);
        return;
      }
      q.addLast(new Idle(c, System.nanoTime()));
    }

    void closed(ClientConnection c) {
      for (ArrayDeque<Idle> q : idle.values()) {
        q.removeIf(i -> i.connection == c);
      }
      Exchange e = active.remove(c);
      if (e != null) {
        e.connectionFailed(new IOException("upstream closed the connection"));
      }
    }

    /** Closes the idle connections on their thread (a stopped worker has closed them already). */
    void closeAll() {
      try {
        io.execute(() -> {
          for (ArrayDeque<Idle> q : idle.values()) {
            q.forEach(i -> IoUtils.safeClose(i.connection));
            q.clear();
          }
        });
      } catch (RuntimeException e) {
        // the worker is shut down: its connections are gone with it
      }
    }
  }

  private record Idle(ClientConnection connection, long since) { }

  /**
   * One request. All state is confined to {@link #io}; {@link #cancel} and {@link #more} hop there when
   * called from elsewhere. Delivers at most one terminal signal, never after {@link #cancel}.
   */
  private final class Exchange implements UpstreamClient.Cancellable, UpstreamListener.Demand {
    private final XnioIoThread io;
    private final Pool pool;
    private final UpstreamRequest request;
    private final UpstreamListener listener;
    private final String key;
    private ClientConnection connection;
    private boolean reused;
    private boolean retried;
    private boolean starting;
    private boolean responded;
    private boolean terminated;
    private boolean demand;
    private boolean reading;
    private XnioExecutor.Key timer;
    private ByteBuffer out;
    private StreamSourceChannel source;

    Exchange(XnioIoThread io, Pool pool, UpstreamRequest request, UpstreamListener listener) {
      this.io = io;
      this.pool = pool;
      this.request = request;
      this.listener = listener;
      URI uri = request.uri();
      this.key = uri.getHost() + ":" + port(uri);
    }

    void start() {
      starting = true;
      try {
        ClientConnection c = pool.take(key);
        if (c != null) {
          reused = true;
          send(c);
        } else {
          connect();
        }
      } catch (RuntimeException e) {
        fail(e);
      } finally {
        starting = false;
      }
    }

    private void connect() {
      arm(connectTimeoutMs, () -> fail(new HttpConnectTimeoutException("HTTP connect timed out")));
      URI uri = request.uri();
      String host = uri.getHost();
      if (needsNoLookup(host)) {
        open(URI.create("http://" + host + ":" + port(uri)));
        return;
      }
      resolver.execute(() -> {
        try {
          InetAddress address = InetAddress.getByName(host);
          URI target = new URI("http", null, address.getHostAddress(), port(uri), null, null, null);
          io.execute(() -> open(target));
        } catch (UnknownHostException e) {
          ConnectException failure = new ConnectException("host not found: " + host);
          failure.initCause(new UnresolvedAddressException());
          io.execute(() -> fail(failure));
        } catch (URISyntaxException | RuntimeException e) {
          io.execute(() -> fail(e));
        }
      });
    }

    private void open(URI target) {
      if (terminated) {
        return;
      }
      client.connect(new ClientCallback<>() {
        @Override
        public void completed(ClientConnection c) {
          c.addCloseListener(pool::closed);
          if (terminated) {
            pool.release(key, c); // cancelled or timed out meanwhile: keep the fresh connection
            return;
          }
          disarm();
          send(c);
        }

        @Override
        public void failed(IOException e) {
          fail(e);
        }
      }, target, io, buffers, CONNECT_OPTIONS);
    }

    private void send(ClientConnection c) {
      connection = c;
      pool.active.put(c, this);
      URI uri = request.uri();
      String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
      if (uri.getRawQuery() != null) {
        path += "?" + uri.getRawQuery();
      }
      ClientRequest r = new ClientRequest().setMethod(Methods.POST).setPath(path);
      HeaderMap h = r.getRequestHeaders();
      h.put(Headers.HOST, uri.getPort() == -1 ? uri.getHost() : uri.getHost() + ":" + uri.getPort());
      h.put(Headers.CONTENT_TYPE, "application/json");
      for (Map.Entry<String, String> e : request.headers().entrySet()) {
        h.put(HttpString.tryFromString(e.getKey()), e.getValue());
      }
      h.put(Headers.CONTENT_LENGTH, request.body().length);
      long timeoutMs = request.responseTimeout() == null ? responseTimeoutMs : request.responseTimeout().toMillis();
      arm(timeoutMs, () -> fail(new HttpTimeoutException("request timed out")));
      c.sendRequest(r, new ClientCallback<>() {
        @Override
        public void completed(ClientExchange exchange) {
          if (terminated || connection != c) {
            return;
          }
          exchange.setResponseListener(new ClientCallback<>() {
            @Override
            public void completed(ClientExchange result) {
              if (!terminated && connection == c) {
                responded(result);
              }
            }

            @Override
            public void failed(IOException e) {
              if (connection == c) {
                connectionFailed(e);
              }
            }
          });
          out = ByteBuffer.wrap(request.body());
          writeBody(exchange.getRequestChannel());
        }

        @Override
        public void failed(IOException e) {
          if (connection == c) {
            connectionFailed(e);
          }
        }
      });
    }

    private void writeBody(StreamSinkChannel sink) {
      try {
        while (out.hasRemaining()) {
          if (sink.write(out) == 0) {
            sink.getWriteSetter().set(ch -> {
              ch.suspendWrites();
              writeBody(sink);
            });
            sink.resumeWrites();
            return;
          }
        }
        sink.shutdownWrites();
        if (!sink.flush()) {
          sink.getWriteSetter().set(ChannelListeners.flushingChannelListener(null,
              (ch, e) -> connectionFailed(e)));
          sink.resumeWrites();
        }
      } catch (IOException e) {
        connectionFailed(e);
      }
    }

    /** The connection broke before the exchange ended. */
    void connectionFailed(IOException e) {
      if (terminated) {
        return;
      }
      if (reused && !retried && !responded) {
        // most likely the upstream closed this idle connection just now: once more on a fresh one
        retried = true;
        reused = false;
        disarm();
        dropConnection();
        connect();
        return;
      }
      fail(e);
    }

    private void responded(ClientExchange result) {
      disarm();
      responded = true;
      listener.onResponse(result.getResponse().getResponseCode(), toJdk(result.getResponse().getResponseHeaders()));
      if (terminated) {
        return;
      }
      source = result.getResponseChannel();
      source.getReadSetter().set(ch -> pump());
      demand = true;
      pump();
    }

    /** Reads while there is demand; one {@code onBody} per {@link #more}. */
    private void pump() {
      if (reading || terminated || source == null) {
        return;
      }
      reading = true;
      try {
        while (demand && !terminated) {
          byte[] copy;
          int n;
          try (PooledByteBuffer pooled = buffers.allocate()) {
            ByteBuffer b = pooled.getBuffer();
            n = source.read(b);
            if (n <= 0) {
              copy = null;
            } else {
              b.flip();
              copy = new byte[n];
              b.get(copy);
            }
          }
          if (n == 0) {
            source.resumeReads();
            return;
          }
          if (n < 0) {
            completed();
            return;
          }
          demand = false;
          listener.onBody(List.of(ByteBuffer.wrap(copy)), this);
        }
        if (!terminated) {
          source.suspendReads();
        }
      } catch (IOException e) {
        fail(e);
      } finally {
        reading = false;
      }
    }

    private void completed() {
      terminated = true;
      source.suspendReads();
      pool.active.remove(connection);
      pool.release(key, connection);
      listener.onComplete();
    }

    private void fail(Throwable t) {
      if (terminated) {
        return;
      }
      terminated = true;
      disarm();
      dropConnection();
      if (starting) {
        boolean afterResponse = responded;
        io.execute(() -> listener.onError(t, afterResponse)); // never call back from inside post()
      } else {
        listener.onError(t, responded);
      }
    }

    private void dropConnection() {
      ClientConnection c = connection;
      connection = null;
      if (c != null) {
        pool.active.remove(c);
        IoUtils.safeClose(c);
      }
    }

    private void arm(long millis, Runnable onTimeout) {
      disarm();
      timer = io.executeAfter(onTimeout, millis, TimeUnit.MILLISECONDS);
    }

    private void disarm() {
      if (timer != null) {
        timer.remove();
        timer = null;
      }
    }

    @Override
    public void more() {
      if (Thread.currentThread() == io) {
        demand = true;
        pump();
      } else {
        io.execute(this::more);
      }
    }

    @Override
    public void cancel() {
      if (Thread.currentThread() != io) {
        io.execute(this::cancel);
        return;
      }
      if (terminated) {
        return;
      }
      terminated = true;
      disarm();
      dropConnection(); // mid-exchange: the connection cannot be reused
    }
  }

  private static int port(URI uri) {
    return uri.getPort() == -1 ? 80 : uri.getPort();
  }
}
