package io.gatehouse.ui.requests;

import java.time.Duration;

/** The time ranges the Requests page offers; short ranges get 5-minute bars, longer ones hourly bars. */
public enum TimeRange {
  LAST_15_MINUTES("Last 15 minutes", Duration.ofMinutes(15), BucketSize.FIVE_MINUTES),
  LAST_HOUR("Last hour", Duration.ofHours(1), BucketSize.FIVE_MINUTES),
  LAST_24_HOURS("Last 24 hours", Duration.ofHours(24), BucketSize.HOUR),
  LAST_7_DAYS("Last 7 days", Duration.ofDays(7), BucketSize.HOUR),
  LAST_30_DAYS("Last 30 days", Duration.ofDays(30), BucketSize.HOUR);

  public static final TimeRange DEFAULT = LAST_24_HOURS;

  private final String label;
  private final Duration length;
  private final BucketSize bucketSize;

  TimeRange(String label, Duration length, BucketSize bucketSize) {
    this.label = label;
    this.length = length;
    this.bucketSize = bucketSize;
  }

  public String label() {
    return label;
  }

  public Duration length() {
    return length;
  }

  public BucketSize bucketSize() {
    return bucketSize;
  }

  /** The value in URLs ({@code ?range=7d}). */
  public String param() {
    long minutes = length.toMinutes();
    return minutes % 1440 == 0 ? minutes / 1440 + "d" : minutes % 60 == 0 ? minutes / 60 + "h" : minutes + "m";
  }

  public static java.util.Optional<TimeRange> ofParam(String param) {
    return java.util.Arrays.stream(values()).filter(r -> r.param().equals(param)).findFirst();
  }
}
