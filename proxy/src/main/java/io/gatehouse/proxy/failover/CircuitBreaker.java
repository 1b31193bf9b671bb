package io.gatehouse.proxy.failover;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The health of one deployment (provider + key + model), so that a dead primary is skipped instead of
 * being retried on every request.
 *
 * <ul>
 *   <li><b>closed</b>: requests flow; {@code failureThreshold} consecutive failures open it.
 *   <li><b>open</b>: requests skip it until the cooldown has passed. Each failed probe doubles the
 *       cooldown, up to {@code maxCooldown}.
 *   <li><b>half-open</b>: after the cooldown one request at a time is let through as a probe; success
 *       closes the breaker (and resets the cooldown), failure opens it again. A probe that never
 *       reports back frees the slot after another cooldown.
 * </ul>
 *
 * <p>Thread-safe (requests on every IO thread share one breaker); time from an injected nanosecond
 * clock so tests can move it.
 */
public final class CircuitBreaker {
  /** What a caller may do now. */
  public enum State { CLOSED, OPEN, HALF_OPEN }

  private final int failureThreshold;
  private final long baseCooldownNanos;
  private final long maxCooldownNanos;
  private final LongSupplier clock;

  private int consecutiveFailures; // guarded by this
  private State state = State.CLOSED; // guarded by this
  private long openUntil; // guarded by this
  private long cooldownNanos; // guarded by this
  private long probeStartedAt; // guarded by this; 0 = no probe in flight

  public CircuitBreaker(int failureThreshold, Duration cooldown, Duration maxCooldown, LongSupplier nanoClock) {
    this.failureThreshold = failureThreshold;
    this.baseCooldownNanos = cooldown.toNanos();
    this.maxCooldownNanos = Math.max(cooldown.toNanos(), maxCooldown.toNanos());
    this.cooldownNanos = baseCooldownNanos;
    this.clock = nanoClock;
  }

  /**
   * Whether a request may go to this deployment now. In half-open state the first caller becomes the
   * probe (it must report with {@link #success} or {@link #failure}); the others are refused.
   */
  public synchronized boolean tryAcquire() {
    long now = clock.getAsLong();
    switch (state) {
      case CLOSED:
        return true;
      case OPEN:
        if (now - openUntil < 0) {
          return false;
        }
        state = State.HALF_OPEN;
        probeStartedAt = now;
        return true;
      default: // HALF_OPEN: one probe at a time; a lost probe frees the slot after a cooldown
        if (probeStartedAt != 0 && now - probeStartedAt < cooldownNanos) {
          return false;
        }
        probeStartedAt = now;
        return true;
    }
  }

  /** Whether {@link #tryAcquire} would let a request through now (does not claim a probe). */
  public synchronized boolean allowsRequest() {
    long now = clock.getAsLong();
    return switch (state) {
      case CLOSED -> true;
      case OPEN -> now - openUntil >= 0;
      default -> probeStartedAt == 0 || now - probeStartedAt >= cooldownNanos;
    };
  }

  public synchronized void success() {
    consecutiveFailures = 0;
    state = State.CLOSED;
    probeStartedAt = 0;
    cooldownNanos = baseCooldownNanos;
  }

  public synchronized void failure() {
    long now = clock.getAsLong();
    if (state == State.HALF_OPEN) {
      cooldownNanos = Math.min(maxCooldownNanos, cooldownNanos * 2);
      open(now);
      return;
    }
    consecutiveFailures++;
    if (state == State.CLOSED && consecutiveFailures >= failureThreshold) {
      open(now);
    }
  }

  /** Opens at once, e.g. for a revoked key: no point in waiting for more failures. */
  public synchronized void trip() {
    open(clock.getAsLong());
  }

  private void open(long now) {
    state = State.OPEN;
    openUntil = now + cooldownNanos;
    probeStartedAt = 0;
  }

  public synchronized State state() {
    return state;
  }

  /** Nanoseconds until an open breaker lets a probe through (0 when it would now). */
  public synchronized long nanosUntilProbe() {
    return state == State.OPEN ? Math.max(0, openUntil - clock.getAsLong()) : 0;
  }
}
