package io.gatehouse.proxy.logs;

/**
 * A received payload that cannot become events: answered with 400 and this message, nothing published.
 * The message names where the problem is ({@code logs[2].timing.end_ms: ...}) and is safe to show the
 * sender (it never quotes a header, so never the ingest token).
 */
final class InvalidPayload extends Exception {
  InvalidPayload(String message) {
    super(message, null, false, false);
  }
}
