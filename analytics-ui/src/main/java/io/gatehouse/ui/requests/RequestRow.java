package io.gatehouse.ui.requests;

import java.time.Instant;

/**
 * One request as the list shows it. Nullable fields are {@code null} when unknown (tokens and cost
 * of a failed call, TTFT of a non-streaming call).
 */
public record RequestRow(
    String eventId,
    Instant time,
    String user,
    String team,
    String feature,
    String model,
    String provider,
    Long inputTokens,
    Long outputTokens,
    Double costUsd,
    long durationMs,
    Long ttftMs,
    boolean stream,
    int status,
    String errorClass,
    String errorMessage) {

  /** An HTTP error status or a recorded error class (e.g. a stream cut mid-answer after a 200). */
  public boolean isError() {
    return status >= 400 || !errorClass.isEmpty();
  }
}
