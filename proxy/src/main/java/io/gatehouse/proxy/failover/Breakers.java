package io.gatehouse.proxy.failover;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * One {@link CircuitBreaker} per deployment name ({@code provider#key/model}), created on first use.
 * The set of deployments is bounded by configuration (providers × keys × models routed to). Thread-safe.
 */
public final class Breakers {
  private final Map<String, CircuitBreaker> byDeployment = new ConcurrentHashMap<>();
  private final int failureThreshold;
  private final Duration cooldown;
  private final Duration maxCooldown;
  private final LongSupplier nanoClock;

  public Breakers(int failureThreshold, Duration cooldown, Duration maxCooldown, LongSupplier nanoClock) {
    this.failureThreshold = failureThreshold;
    this.cooldown = cooldown;
    this.maxCooldown = maxCooldown;
    this.nanoClock = nanoClock;
  }

  public CircuitBreaker of(String deployment) {
    return byDeployment.computeIfAbsent(deployment,
        d -> new CircuitBreaker(failureThreshold, cooldown, maxCooldown, nanoClock));
  }

  /** The states of every deployment seen so far, for health and metrics. */
  public Map<String, CircuitBreaker.State> states() {
    Map<String, CircuitBreaker.State> out = new java.util.TreeMap<>();
    byDeployment.forEach((d, b) -> out.put(d, b.state()));
    return out;
  }
}
