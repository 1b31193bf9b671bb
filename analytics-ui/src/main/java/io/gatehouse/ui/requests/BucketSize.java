package io.gatehouse.ui.requests;

import java.time.Duration;
import java.time.Instant;

/** Width of one bar of the volume chart, with the ClickHouse function that rounds {@code ts} down to it. */
public enum BucketSize {
  FIVE_MINUTES(Duration.ofMinutes(5), "toStartOfFiveMinute", "per 5 minutes"),
  HOUR(Duration.ofHours(1), "toStartOfHour", "per hour");

  private final Duration width;
  private final String sqlFunction;
  private final String label;

  BucketSize(Duration width, String sqlFunction, String label) {
    this.width = width;
    this.sqlFunction = sqlFunction;
    this.label = label;
  }

  public Duration width() {
    return width;
  }

  /** Constant SQL (never user input): rounds a DateTime down to the bucket start. */
  String sqlFunction() {
    return sqlFunction;
  }

  /** "per hour", for titles. */
  public String label() {
    return label;
  }

  /** The start of the bucket that holds {@code t} (UTC; both widths divide an hour). */
  public Instant floor(Instant t) {
    long seconds = width.toSeconds();
    return Instant.ofEpochSecond(Math.floorDiv(t.getEpochSecond(), seconds) * seconds);
  }
}
