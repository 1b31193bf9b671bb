package io.gatehouse.proxy.failover;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.function.DoubleSupplier;

/**
 * Waits between retries: exponential with full jitter ({@code random(0, base·2^(n-1))}, capped), or
 * what the provider asked for with {@code Retry-After} / {@code retry-after-ms}, bounded so one
 * provider cannot park a request. Immutable; thread-safe when the random source is.
 *
 * @param base the first retry's upper bound
 * @param max the cap on any computed wait
 * @param maxRetryAfter the longest {@code Retry-After} honoured; a longer one means "not this target now"
 */
public record Backoff(Duration base, Duration max, Duration maxRetryAfter, DoubleSupplier random) {

  /** The wait before retry number {@code retry} (1 for the first retry). */
  public long delayMillis(int retry) {
    long ceiling = Math.min(max.toMillis(), base.toMillis() << Math.min(20, Math.max(0, retry - 1)));
    return (long) (random.getAsDouble() * ceiling);
  }

  /**
   * The wait a provider asked for, in milliseconds, or -1 when it asked for none or the header is not
   * understood.
   *
   * @param retryAfterMs {@code retry-after-ms} (OpenAI, Azure), or null
   * @param retryAfter {@code Retry-After}: seconds or an HTTP date, or null
   * @param nowEpochMs for HTTP dates
   */
  public static long askedMillis(String retryAfterMs, String retryAfter, long nowEpochMs) {
    if (retryAfterMs != null) {
      try {
        return Math.max(0, (long) Double.parseDouble(retryAfterMs.strip()));
      } catch (NumberFormatException e) {
        // fall through to Retry-After
      }
    }
    if (retryAfter == null || retryAfter.isBlank()) {
      return -1;
    }
    try {
      return Math.max(0, (long) (Double.parseDouble(retryAfter.strip()) * 1000));
    } catch (NumberFormatException e) {
      try {
        return Math.max(0, ZonedDateTime.parse(retryAfter.strip(), DateTimeFormatter.RFC_1123_DATE_TIME)
            .toInstant().toEpochMilli() - nowEpochMs);
      } catch (DateTimeParseException x) {
        return -1;
      }
    }
  }
}
