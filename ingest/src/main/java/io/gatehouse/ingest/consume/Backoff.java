package io.gatehouse.ingest.consume;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * When to try ClickHouse again after it failed: exponential backoff from {@link #FIRST} doubling to
 * {@link #MAX}, on an injected nanosecond ticker so that tests advance time instead of sleeping.
 *
 * <p>Attempt {@code k} (1-based) of an unbroken run of failures happens no earlier than
 * {@code FIRST * (2^(k-1) - 1)} after the first (until the cap), so a run of {@code T} ms holds at
 * most {@code 1 + log2(T / FIRST + 1)} attempts: what keeps an outage from becoming a busy loop.
 *
 * <p>Owned by the consumer thread; not thread-safe.
 */
public final class Backoff {
  public static final Duration FIRST = Duration.ofMillis(250);
  public static final Duration MAX = Duration.ofSeconds(10);

  private final LongSupplier nanoTime;
  private long delayNanos = FIRST.toNanos();
  private long failures;
  /** Valid while {@code failures > 0}. */
  private long nextAttemptNanos;

  Backoff(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
  }

  /** True while the last attempt failed and no success has been recorded since. */
  boolean failing() {
    return failures > 0;
  }

  /** True when not failing, or when the wait after the last failure is over. */
  boolean due() {
    return failures == 0 || nanoTime.getAsLong() - nextAttemptNanos >= 0;
  }

  /** Milliseconds until {@link #due()}, 0 when due. */
  long remainingMs() {
    if (failures == 0) {
      return 0;
    }
    long left = nextAttemptNanos - nanoTime.getAsLong();
    return left <= 0 ? 0 : Math.max(1, left / 1_000_000);
  }

  /** Records a failed attempt; returns the wait before the next one. */
  Duration failed() {
    long wait = delayNanos;
    failures++;
    nextAttemptNanos = nanoTime.getAsLong() + wait;
    delayNanos = Math.min(delayNanos * 2, MAX.toNanos());
    return Duration.ofNanos(wait);
  }

  /** Failures in the current run (0 when healthy). */
  long failures() {
    return failures;
  }

  /** Records a success: the next failure starts again from {@link #FIRST}. */
  void succeeded() {
    failures = 0;
    delayNanos = FIRST.toNanos();
  }
}
