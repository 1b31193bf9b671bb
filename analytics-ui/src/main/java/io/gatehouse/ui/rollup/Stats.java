package io.gatehouse.ui.rollup;

/**
 * Totals of one group (or of everything, with an empty key) over a time range. Latency quantiles are
 * t-digest estimates in milliseconds (0 when there were no requests).
 */
public record Stats(String key, long requests, long errors, long inputTokens, long outputTokens,
                    long cachedInputTokens, long reasoningTokens, double costUsd, double costSavedUsd,
                    long cacheHits, double p50Ms, double p95Ms) {

  public double errorRate() {
    return requests == 0 ? 0 : (double) errors / requests;
  }

  public double costPerRequest() {
    return requests == 0 ? 0 : costUsd / requests;
  }
}
