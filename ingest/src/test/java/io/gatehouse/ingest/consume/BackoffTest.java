package io.gatehouse.ingest.consume;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Backoff on a ticker the test advances: no sleeping. */
class BackoffTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final Backoff backoff = new Backoff(now::get);

  private void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  @Test
  void healthyIsAlwaysDue() {
    assertThat(backoff.failing()).isFalse();
    assertThat(backoff.due()).isTrue();
    assertThat(backoff.remainingMs()).isZero();
  }

  @Test
  void waitsDoubleUpToTheCapAndResetOnSuccess() {
    long[] expectedMs = {250, 500, 1000, 2000, 4000, 8000, 10000, 10000};
    for (long ms : expectedMs) {
      assertThat(backoff.failed()).isEqualTo(Duration.ofMillis(ms));
      assertThat(backoff.due()).isFalse();
      assertThat(backoff.remainingMs()).isEqualTo(ms);
      advance(Duration.ofMillis(ms - 1));
      assertThat(backoff.due()).as("1 ms early").isFalse();
      advance(Duration.ofMillis(1));
      assertThat(backoff.due()).isTrue();
    }
    assertThat(backoff.failures()).isEqualTo(expectedMs.length);
    backoff.succeeded();
    assertThat(backoff.failing()).isFalse();
    assertThat(backoff.failed()).isEqualTo(Backoff.FIRST);
  }

  /** What the outage test relies on: attempts in a window grow with its logarithm, not its length. */
  @Test
  void aCallerThatTriesWheneverDueMakesLogarithmicallyFewAttempts() {
    long attempts = 0;
    long start = now.get();
    Duration window = Duration.ofSeconds(30);
    while (now.get() - start <= window.toNanos()) {
      if (backoff.due()) {
        attempts++;
        backoff.failed();
      }
      advance(Duration.ofMillis(1)); // a caller that spins every millisecond
    }
    // 0, .25, .75, 1.75, 3.75, 7.75, 15.75, 25.75 s: 8 attempts in 30 s, not 30 000
    assertThat(attempts).isEqualTo(8);
    assertThat(attempts).isLessThanOrEqualTo(maxAttempts(window));
  }

  /** Upper bound on attempts in {@code window} for this backoff (also used by the outage test). */
  static long maxAttempts(Duration window) {
    long attempts = 0;
    long at = 0;
    long wait = Backoff.FIRST.toMillis();
    while (at <= window.toMillis()) {
      attempts++;
      at += wait;
      wait = Math.min(wait * 2, Backoff.MAX.toMillis());
    }
    return attempts;
  }
}
