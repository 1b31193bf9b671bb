package io.gatehouse.ui.experiments;

/**
 * One variant's numbers over the chosen range. {@code feedback}: the latest score of each request that
 * got one; {@code labels}: the latest label of each request that got one (see {@link Labels}).
 */
public record VariantStats(String variant, long requests, Sample costUsd, Sample latencyMs, Sample tokens,
                           Sample errors, LatencyHistogram latencies, Sample feedback, Labels labels) {
  public double p50Ms() {
    return latencies.quantile(0.5);
  }

  public double p95Ms() {
    return latencies.quantile(0.95);
  }
}
