package io.gatehouse.proxy.config;

import java.time.Duration;

/**
 * How hard the proxy tries before it gives a client an error: retries, timeouts and circuit breakers
 * (YAML {@code retries:}, {@code timeouts:}, {@code breaker:}).
 *
 * @param maxAttempts upstream attempts per request, over all targets and keys
 * @param backoff the first retry's upper bound (exponential with full jitter after that)
 * @param maxBackoff cap on a computed backoff
 * @param maxRetryAfter the longest {@code Retry-After} honoured on the same target; longer → next target
 * @param connect to open a connection
 * @param firstToken until the first byte of the answer: a stream's first chunk, or a non-streamed
 *     answer's headers — which come only once the whole answer is generated, so long non-streamed
 *     generations need a larger value (or streaming)
 * @param idleBetweenChunks the longest silence inside a stream
 * @param total the whole request, every attempt and backoff included (also bounds a non-streamed answer)
 * @param breakerFailures consecutive failures that open a deployment's breaker
 * @param breakerCooldown how long an open breaker skips its deployment before a probe
 * @param breakerMaxCooldown cap on the cooldown, which doubles after each failed probe
 */
public record Resilience(
    int maxAttempts,
    Duration backoff,
    Duration maxBackoff,
    Duration maxRetryAfter,
    Duration connect,
    Duration firstToken,
    Duration idleBetweenChunks,
    Duration total,
    int breakerFailures,
    Duration breakerCooldown,
    Duration breakerMaxCooldown) {

  public static final Resilience DEFAULTS = new Resilience(3, Duration.ofMillis(100), Duration.ofSeconds(2),
      Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(120), Duration.ofSeconds(30),
      Duration.ofSeconds(300), 3, Duration.ofSeconds(10), Duration.ofMinutes(5));
}
