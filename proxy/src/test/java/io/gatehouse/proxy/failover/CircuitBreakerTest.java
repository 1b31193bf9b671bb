package io.gatehouse.proxy.failover;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The breaker's states on an injected clock: open after N failures, one probe after the cooldown, back-off on failed probes. */
class CircuitBreakerTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final CircuitBreaker breaker =
      new CircuitBreaker(3, Duration.ofSeconds(10), Duration.ofSeconds(40), now::get);

  private void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  @Test
  void opensAfterConsecutiveFailuresOnly() {
    breaker.failure();
    breaker.failure();
    breaker.success(); // a success in between resets the count
    breaker.failure();
    breaker.failure();
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(breaker.tryAcquire()).isTrue();
    breaker.failure();
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(breaker.tryAcquire()).isFalse();
    assertThat(breaker.allowsRequest()).isFalse();
    assertThat(breaker.nanosUntilProbe()).isEqualTo(Duration.ofSeconds(10).toNanos());
  }

  @Test
  void oneProbeAfterTheCooldownThenClosedOnSuccess() {
    breaker.trip();
    advance(Duration.ofSeconds(9));
    assertThat(breaker.tryAcquire()).isFalse();
    advance(Duration.ofSeconds(1));
    assertThat(breaker.allowsRequest()).isTrue();
    assertThat(breaker.tryAcquire()).as("the probe").isTrue();
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
    assertThat(breaker.tryAcquire()).as("a second request while the probe is out").isFalse();
    breaker.success();
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(breaker.tryAcquire()).isTrue();
  }

  @Test
  void failedProbesDoubleTheCooldownUpToTheCap() {
    breaker.trip();
    long[] expectedSeconds = {20, 40, 40};
    for (long expected : expectedSeconds) {
      advance(Duration.ofSeconds(60));
      assertThat(breaker.tryAcquire()).isTrue();
      breaker.failure();
      assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
      assertThat(breaker.nanosUntilProbe()).isEqualTo(Duration.ofSeconds(expected).toNanos());
    }
    advance(Duration.ofSeconds(40));
    assertThat(breaker.tryAcquire()).isTrue();
    breaker.success();
    breaker.trip();
    assertThat(breaker.nanosUntilProbe()).as("a success resets the cooldown").isEqualTo(Duration.ofSeconds(10).toNanos());
  }

  @Test
  void aLostProbeFreesTheSlotAfterACooldown() {
    breaker.trip();
    advance(Duration.ofSeconds(10));
    assertThat(breaker.tryAcquire()).isTrue(); // the probe never reports back
    advance(Duration.ofSeconds(5));
    assertThat(breaker.tryAcquire()).isFalse();
    advance(Duration.ofSeconds(5));
    assertThat(breaker.tryAcquire()).isTrue();
  }
}
