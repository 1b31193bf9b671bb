package io.gatehouse.ui.requests;

import java.time.Instant;

/** Requests that started in {@code [start, start + bucket width)}; {@code errors} is part of {@code requests}. */
public record VolumeBucket(Instant start, long requests, long errors) {
  public long successes() {
    return requests - errors;
  }
}
