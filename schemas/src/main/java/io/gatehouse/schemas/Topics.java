package io.gatehouse.schemas;

/** Kafka topic names shared by producers and ingest. */
public final class Topics {
  /** Event v1, JSON values, keyed by event id so load spreads over partitions. */
  public static final String EVENTS_V1 = "gatehouse.events.v1";

  /** Feedback on requests ({@code POST /v1/feedback}), JSON {@link Feedback}, keyed by feedback id. */
  public static final String FEEDBACK_V1 = "gatehouse.feedback.v1";

  private Topics() {}
}
