package io.gatehouse.ui.experiments;

import java.util.Arrays;
import org.apache.commons.math3.distribution.BetaDistribution;
import org.apache.commons.math3.random.RandomGenerator;

/**
 * One variant's latencies as counts per whole millisecond (ClickHouse's {@code GROUP BY duration_ms}:
 * a few thousand rows however many requests): exact quantiles, and bootstrap replicates of a quantile
 * that cost O(1) each instead of a resample of n values. Immutable.
 */
public final class LatencyHistogram {
  public static final LatencyHistogram EMPTY = new LatencyHistogram(new long[0], new long[0]);

  /** Distinct latencies, ascending. */
  private final long[] values;
  /** {@code cumulative[i]}: how many latencies are at most {@code values[i]}. */
  private final long[] cumulative;

  private LatencyHistogram(long[] values, long[] cumulative) {
    this.values = values;
    this.cumulative = cumulative;
  }

  /** {@code values} distinct and ascending, {@code counts[i] > 0} latencies equal to {@code values[i]}. */
  public static LatencyHistogram of(long[] values, long[] counts) {
    if (values.length != counts.length) {
      throw new IllegalArgumentException("values and counts differ in length");
    }
    long[] cumulative = new long[counts.length];
    long sum = 0;
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] <= 0 || (i > 0 && values[i] <= values[i - 1])) {
        throw new IllegalArgumentException("values must ascend with positive counts, at index " + i);
      }
      sum += counts[i];
      cumulative[i] = sum;
    }
    return new LatencyHistogram(values.clone(), cumulative);
  }

  /** How many latencies. */
  public long n() {
    return cumulative.length == 0 ? 0 : cumulative[cumulative.length - 1];
  }

  /** The nearest-rank p-quantile: the ⌈p·n⌉-th smallest latency (at least the first); NaN when empty. */
  public double quantile(double p) {
    return n() == 0 ? Double.NaN : atRank(rank(p, n()));
  }

  /**
   * {@code replicates} draws of {@link #quantile(double)} of a bootstrap resample (n latencies drawn with
   * replacement), without drawing n values: a resample's draws are {@code x_(⌈n·U_j⌉)} for uniform U_j,
   * monotone in U_j, so its k-th smallest value is {@code x_(⌈n·U_(k)⌉)}, where U_(k), the k-th smallest of
   * n uniforms, follows Beta(k, n − k + 1). Exactly the bootstrap distribution of that order statistic.
   */
  double[] bootstrap(double p, int replicates, RandomGenerator random) {
    long n = n();
    if (n == 0) {
      throw new IllegalStateException("no latencies to resample");
    }
    long k = rank(p, n);
    BetaDistribution orderStatistic = new BetaDistribution(random, k, n - k + 1);
    double[] out = new double[replicates];
    for (int i = 0; i < replicates; i++) {
      long drawn = (long) Math.ceil(n * orderStatistic.sample());
      out[i] = atRank(Math.max(1, Math.min(n, drawn)));
    }
    return out;
  }

  /** The k-th smallest latency, 1 ≤ k ≤ n. */
  long atRank(long k) {
    int i = Arrays.binarySearch(cumulative, k);
    return values[i >= 0 ? i : -i - 1];
  }

  private static long rank(double p, long n) {
    return Math.max(1, Math.min(n, (long) Math.ceil(p * n)));
  }
}
