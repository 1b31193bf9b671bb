package io.gatehouse.proxy.pipeline;

import io.gatehouse.proxy.events.EventSink;
import io.gatehouse.proxy.provider.Usage;
import io.gatehouse.schemas.EventIds;
import io.gatehouse.schemas.GatehouseEvent;
import java.util.List;

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
  private long upstreamStartNanos;
  private long upstreamEndNanos;
  private long firstByteNanos;
  private boolean finished;

  public CallRecord(EventSink sink, String endpoint) {
    this.sink = sink;
    event.eventId(eventId).source(GatehouseEvent.Sources.PROXY).tsStartMs(startMs).endpoint(endpoint);
  }

  public String eventId() {
    return eventId;
  }

  /** The builder, for stages to fill in. */
  public GatehouseEvent.Builder event() {
    return event;
  }

  public void upstreamStarted() {
    upstreamStartNanos = System.nanoTime();
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

  public boolean finished() {
    return finished;
  }

  public void usage(Usage usage) {
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
   * @param attempt the one upstream attempt, or null when none was made
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
      event.attempts(List.of(attempt));
    }
    sink.publish(event.build());
  }

  /** Milliseconds the upstream attempt took so far (0 when none started). */
  public long upstreamMillis() {
    if (upstreamStartNanos == 0) {
      return 0;
    }
    long end = upstreamEndNanos != 0 ? upstreamEndNanos : System.nanoTime();
    return (end - upstreamStartNanos) / 1_000_000;
  }
}
