package io.gatehouse.ui.rollup;

import java.time.Instant;

/** Cost of one group in one time bucket. */
public record SeriesPoint(Instant bucket, String key, double costUsd) {}
