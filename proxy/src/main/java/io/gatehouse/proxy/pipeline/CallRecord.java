package io.gatehouse.proxy.pipeline;

import io.gatehouse.proxy.events.EventSink;
import io.gatehouse.proxy.provider.Usage;
import io.gatehouse.schemas.pricing.PriceCatalog;
import java.math.BigDecimal;
import io.gatehouse.schemas.EventIds;
import io.gatehouse.proxy.tracing.RequestSpan;
import io.gatehouse.schemas.GatehouseEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The event of one request while it is in flight: identity, clock readings and the builder. Finished
 * exactly once ({@link #finish}), which hands the event to the sink.
 *
 * <p>Not thread-safe: confined to the request's IO thread. Clock: {@link System#nanoTime()} for
 * durations, {@link System#currentTimeMillis()} for the start timestamp.
 */
public final class CallRecord {
  private final EventSink sink;
  private final String eventId = EventIds.next();
  private final long startMs = System.currentTimeMillis();
  private final long startNanos = System.nanoTime();
  private final GatehouseEvent.Builder event = GatehouseEvent.builder();
  private final List<GatehouseEvent.Attempt> attempts = new ArrayList<>(1);
  private long upstreamStartNanos;
  private long attemptStartNanos;
  private long upstreamEndNanos;
  private long firstByteNanos;
  private boolean finished;
  private Usage usage;
  private PriceCatalog prices;
  private String priceProvider;
  private String priceFamily;
  private Consumer<GatehouseEvent> onFinish;
  private RequestSpan span = RequestSpan.NONE;

  public CallRecord(EventSink sink, String endpoint) {
    this.sink = sink;
    event.eventId(eventId).source(GatehouseEvent.Sources.PROXY).tsStartMs(startMs).endpoint(endpoint);
  }

  public String eventId() {
    return eventId;
  }

  /** Traces this request with {@code span} (its attempts become child spans). */
  public void trace(RequestSpan span) {
    this.span = span;
  }

  /**
   * An upstream attempt starts now (see {@link #upstreamStarted}); returns the {@code traceparent}
   * header to send upstream with it, or null for none.
   */
  public String attemptStarted(String provider, String providerType, String model) {
    upstreamStarted();
    return span.attemptStarted(provider, providerType, model);
  }

  /** The builder, for stages to fill in. */
  public GatehouseEvent.Builder event() {
    return event;
  }

  /** An upstream attempt starts (the first one starts the upstream time; retries extend it). */
  public void upstreamStarted() {
    attemptStartNanos = System.nanoTime();
    if (upstreamStartNanos == 0) {
      upstreamStartNanos = attemptStartNanos;
    }
    upstreamEndNanos = 0;
  }

  /** An attempt that did not answer the client (it failed and another follows): kept for the event. */
  public void attemptFailed(GatehouseEvent.Attempt attempt) {
    upstreamEnded();
    attempts.add(attempt);
    span.attemptEnded(attempt);
  }

  /** Takes back the last {@link #attemptFailed} when that attempt answers the client after all. */
  public void forgetLastFailedAttempt() {
    attempts.remove(attempts.size() - 1);
  }

  /** The attempts made so far that did not answer the client. */
  public int failedAttempts() {
    return attempts.size();
  }

  public void upstreamEnded() {
    if (upstreamStartNanos != 0 && upstreamEndNanos == 0) {
      upstreamEndNanos = System.nanoTime();
    }
  }

  /** The first byte of a streamed answer was written to the client (defines ttft). */
  public void firstByteSent() {
    if (firstByteNanos == 0) {
      firstByteNanos = System.nanoTime();
    }
  }

  /** Called once with the finished event (usage and cost set) just before it is published: budget settlement. */
  public void onFinish(Consumer<GatehouseEvent> listener) {
    this.onFinish = listener;
  }

  public boolean finished() {
    return finished;
  }

  /**
   * Prices the event at finish with {@code prices}: the model that answered and the usage it reported.
   * Called when an attempt starts; the last attempt's provider wins.
   */
  public void pricedBy(PriceCatalog prices, String provider, String family) {
    this.prices = prices;
    this.priceProvider = provider;
    this.priceFamily = family;
  }

  public void usage(Usage usage) {
    this.usage = usage;
    if (usage != null) {
      event.inputTokens(usage.inputTokens()).outputTokens(usage.outputTokens())
          .cachedInputTokens(usage.cachedInputTokens()).cacheWriteTokens(usage.cacheWriteTokens())
          .reasoningTokens(usage.reasoningTokens());
    }
  }

  /** Records an error outcome (status, class, message) without finishing. */
  public void error(int status, String errorClass, String message) {
    event.status(status).errorClass(errorClass).errorMessage(message);
  }

  /**
   * Completes timings and publishes; later calls do nothing.
   *
   * @param attempt the last upstream attempt (the one whose outcome the client saw), or null when none
   *     was made; earlier ones came through {@link #attemptFailed}
   */
  public void finish(int status, GatehouseEvent.Attempt attempt) {
    if (finished) {
      return;
    }
    finished = true;
    long endNanos = System.nanoTime();
    upstreamEnded();
    long durationNanos = endNanos - startNanos;
    event.status(status).durationMs(durationNanos / 1_000_000).tsEndMs(startMs + durationNanos / 1_000_000);
    long upstreamNanos = 0;
    if (upstreamStartNanos != 0) {
      upstreamNanos = upstreamEndNanos - upstreamStartNanos;
      event.upstreamMs(upstreamNanos / 1_000_000);
    }
    event.overheadUs(Math.max(0, durationNanos - upstreamNanos) / 1_000);
    if (firstByteNanos != 0) {
      long ttft = (firstByteNanos - startNanos) / 1_000_000;
      event.ttftMs(ttft).tsFirstTokenMs(startMs + ttft);
    }
    if (attempt != null) {
      attempts.add(attempt);
      span.attemptEnded(attempt);
    }
    price();
    if (!attempts.isEmpty()) {
      event.attempts(List.copyOf(attempts));
    }
    if (span.traceId() != null) { // our span is the one to look up; the client's is its parent
      event.traceId(span.traceId()).spanId(span.spanId());
    }
    GatehouseEvent built = event.build();
    if (onFinish != null) {
      onFinish.accept(built);
    }
    span.end(built);
    sink.publish(built);
  }

  /** Milliseconds the current upstream attempt took so far (0 when none started). */
  public long upstreamMillis() {
    if (attemptStartNanos == 0) {
      return 0;
    }
    long end = upstreamEndNanos != 0 ? upstreamEndNanos : System.nanoTime();
    return (end - attemptStartNanos) / 1_000_000;
  }

  /** Cost from the answering model's price and the reported usage; unknown stays null (and is counted). */
  private void price() {
    if (prices == null || usage == null || event.costUsd() != null) {
      return;
    }
    BigDecimal cost = prices.cost(priceProvider, priceFamily, event.model(), new PriceCatalog.Tokens(
        usage.inputTokens(), usage.outputTokens(), usage.cachedInputTokens(), usage.cacheWriteTokens(),
        usage.reasoningTokens()));
    if (cost == null) {
      UnpricedModels.seen(priceProvider, event.model());
      return;
    }
    event.costUsd(cost.doubleValue()).priceVersion(prices.version());
  }
}
