package io.gatehouse.testsupport.bench;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.hc.client5.http.async.methods.AbstractBinResponseConsumer;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManager;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.nio.AsyncRequestProducer;
import org.apache.hc.core5.http.nio.entity.AsyncEntityProducers;
import org.apache.hc.core5.http.nio.support.AsyncRequestBuilder;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * An open-loop load generator on Apache HttpClient 5 (async, HTTP/1.1 keep-alive, a small fixed number
 * of IO threads): request {@code i} of a phase is due at {@code start + i / rate}, is sent then whatever
 * earlier requests are doing (the pool has enough connections that a slow response never delays the
 * next send), and its latency is counted from that intended time, so a stall anywhere is measured in
 * full instead of slowing the generator down ("coordinated omission").
 *
 * <p>For SSE responses it also records the time to the first event and the gap before every further
 * event, and counts events per response. Threading: {@link #run} sends from the calling thread; responses
 * complete on the client's IO threads, which only record into HdrHistogram {@link Recorder}s.
 */
final class LoadGenerator implements AutoCloseable {
  private final CloseableHttpAsyncClient client;

  LoadGenerator(int ioThreads, int maxConnections) {
    PoolingAsyncClientConnectionManager pool = PoolingAsyncClientConnectionManagerBuilder.create()
        // per target; the total leaves room for every target a run alternates between
        .setMaxConnTotal(maxConnections * 4)
        .setMaxConnPerRoute(maxConnections)
        .setDefaultConnectionConfig(ConnectionConfig.custom()
            .setConnectTimeout(Timeout.ofSeconds(2))
            .setSocketTimeout(Timeout.ofSeconds(30))
            // a server may close an idle keep-alive connection (Node's default is 5 s); check before reuse
            .setValidateAfterInactivity(TimeValue.ofSeconds(1))
            .build())
        .build();
    client = HttpAsyncClients.custom()
        .setIOReactorConfig(IOReactorConfig.custom().setIoThreadCount(ioThreads).setTcpNoDelay(true).build())
        .setConnectionManager(pool)
        .disableAutomaticRetries()
        .disableRedirectHandling()
        .disableCookieManagement()
        .evictIdleConnections(TimeValue.ofSeconds(3))
        .build();
    client.start();
  }

  /** Where to send one kind of request: URL, headers and JSON body; {@code stream} for SSE answers. */
  record Target(String name, URI uri, Map<String, String> headers, String body, boolean stream) {}

  /** One phase's measurements (microsecond histograms); {@code events*} only for streams. */
  record PhaseResult(Histogram latency, Histogram firstEvent, Histogram eventGap, long errors,
      long responses, long eventsMin, long eventsMax, long wrongEventCount, long intendedRequests, String firstError) {}

  /**
   * Sends {@code rate × seconds} requests open-loop, waits (up to 30 s) for the last answers, and
   * returns what was measured. {@code expectedEvents} (streams; 0 = unchecked) is how many SSE events
   * a complete answer has.
   */
  PhaseResult run(Target target, int rate, double seconds, long expectedEvents) throws InterruptedException {
    Recorder latency = new Recorder(3);
    Recorder firstEvent = new Recorder(3);
    Recorder gaps = new Recorder(3);
    AtomicLong errors = new AtomicLong();
    AtomicLong responses = new AtomicLong();
    AtomicLong pending = new AtomicLong();
    AtomicLong eventsMin = new AtomicLong(Long.MAX_VALUE);
    AtomicLong eventsMax = new AtomicLong();
    AtomicLong wrongCount = new AtomicLong();
    AtomicReference<String> firstError = new AtomicReference<>();
    byte[] body = target.body().getBytes(StandardCharsets.UTF_8);
    long total = Math.max(1, Math.round(rate * seconds));
    double intervalNanos = 1e9 / rate;
    List<Future<Consumer>> sent = new ArrayList<>((int) Math.min(total, 1_000_000));
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5);
    for (long i = 0; i < total; i++) {
      long intended = start + (long) (i * intervalNanos);
      long wait;
      while ((wait = intended - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      pending.incrementAndGet();
      Consumer consumer = new Consumer(intended, target.stream(), firstEvent, gaps);
      sent.add(client.execute(request(target, body), consumer, new FutureCallback<Consumer>() {
        @Override
        public void completed(Consumer c) {
          long now = System.nanoTime();
          if (c.status == 200) {
            latency.recordValue(Math.max(0, (now - intended) / 1_000));
            responses.incrementAndGet();
            if (target.stream()) {
              eventsMin.accumulateAndGet(c.events, Math::min);
              eventsMax.accumulateAndGet(c.events, Math::max);
              if (expectedEvents > 0 && c.events != expectedEvents) {
                wrongCount.incrementAndGet();
              }
            }
          } else {
            errors.incrementAndGet();
            firstError.compareAndSet(null, "HTTP " + c.status);
          }
          pending.decrementAndGet();
        }

        @Override
        public void failed(Exception e) {
          errors.incrementAndGet();
          firstError.compareAndSet(null, String.valueOf(e));
          pending.decrementAndGet();
        }

        @Override
        public void cancelled() {
          failed(new IllegalStateException("not answered within 30 s after the last send"));
        }
      }));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (pending.get() > 0 && System.nanoTime() < deadline) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
    if (pending.get() > 0) {
      // never answered: counted as errors (by the callback), not as latency; cancelling frees their
      // connections, which would otherwise starve the next phase
      sent.forEach(f -> f.cancel(true));
      long stuckDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (pending.get() > 0 && System.nanoTime() < stuckDeadline) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
      }
    }
    return new PhaseResult(latency.getIntervalHistogram(), firstEvent.getIntervalHistogram(),
        gaps.getIntervalHistogram(), errors.get(), responses.get(),
        eventsMin.get() == Long.MAX_VALUE ? 0 : eventsMin.get(), eventsMax.get(), wrongCount.get(), total, firstError.get());
  }

  /** One request, answered synchronously (for probes before a phase); returns status and body. */
  String probe(Target target) throws Exception {
    var consumer = new Consumer(System.nanoTime(), target.stream(), new Recorder(3), new Recorder(3));
    consumer.keepBody = true;
    Consumer done = client.execute(request(target, target.body().getBytes(StandardCharsets.UTF_8)), consumer, null)
        .get(10, TimeUnit.SECONDS);
    return done.status + " " + done.bodyText();
  }

  /** How many SSE events one answer has (for the held-back check); -1 when the probe fails. */
  long countEvents(Target target) throws Exception {
    var consumer = new Consumer(System.nanoTime(), true, new Recorder(3), new Recorder(3));
    Consumer done = client.execute(request(target, target.body().getBytes(StandardCharsets.UTF_8)), consumer, null)
        .get(10, TimeUnit.SECONDS);
    return done.status == 200 ? done.events : -1;
  }

  private static AsyncRequestProducer request(Target target, byte[] body) {
    AsyncRequestBuilder b = AsyncRequestBuilder.post(target.uri())
        .setEntity(AsyncEntityProducers.create(body, ContentType.APPLICATION_JSON));
    target.headers().forEach(b::addHeader);
    return b.build();
  }

  @Override
  public void close() {
    client.close(CloseMode.GRACEFUL);
  }

  /**
   * Reads one response as it arrives. For streams, an SSE event ends at a blank line ({@code \n\n};
   * {@code \r} ignored); the first event's arrival is the time to first token and each later event's
   * gap is counted from the previous one (events arriving in the same read have gap 0: held back).
   */
  private static final class Consumer extends AbstractBinResponseConsumer<Consumer> {
    private final long intended;
    private final boolean stream;
    private final Recorder firstEvent;
    private final Recorder gaps;
    private int status;
    private long events;
    private long lastEventNanos;
    private boolean newline;
    private boolean keepBody;
    private final StringBuilder body = new StringBuilder();

    Consumer(long intended, boolean stream, Recorder firstEvent, Recorder gaps) {
      this.intended = intended;
      this.stream = stream;
      this.firstEvent = firstEvent;
      this.gaps = gaps;
    }

    @Override
    protected void start(HttpResponse response, ContentType contentType) {
      status = response.getCode();
    }

    @Override
    protected int capacityIncrement() {
      return 65_536;
    }

    @Override
    protected void data(ByteBuffer src, boolean endOfStream) {
      if (keepBody && body.length() < 4096) {
        body.append(StandardCharsets.UTF_8.decode(src.duplicate()));
      }
      if (!stream || status != 200) {
        src.position(src.limit());
        return;
      }
      long now = System.nanoTime();
      while (src.hasRemaining()) {
        byte b = src.get();
        if (b == '\r') {
          continue;
        }
        if (b != '\n') {
          newline = false;
        } else if (!newline) {
          newline = true;
        } else {
          newline = false;
          if (events == 0) {
            firstEvent.recordValue(Math.max(0, (now - intended) / 1_000));
          } else {
            gaps.recordValue(Math.max(0, (now - lastEventNanos) / 1_000));
          }
          lastEventNanos = now;
          events++;
        }
      }
    }

    String bodyText() {
      return body.toString();
    }

    @Override
    protected Consumer buildResult() {
      return this;
    }

    @Override
    public void releaseResources() {}

    @Override
    public void failed(Exception cause) {}
  }

  /** For the peer's probe and error messages: the first bytes of a body. */
  static String abbreviate(String s) {
    return s.length() <= 300 ? s : s.substring(0, 300) + "…";
  }
}
