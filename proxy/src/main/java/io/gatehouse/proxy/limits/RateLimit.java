package io.gatehouse.proxy.limits;

/**
 * Requests and tokens per minute; either may be null (no limit).
 *
 * @param tpm tokens per minute: estimated prompt tokens + max output tokens at admission, corrected to the
 *     reported usage when the request settles
 */
public record RateLimit(Integer rpm, Integer tpm) {
  public boolean none() {
    return rpm == null && tpm == null;
  }
}
