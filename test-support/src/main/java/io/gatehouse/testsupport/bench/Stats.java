package io.gatehouse.testsupport.bench;

import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.ToDoubleFunction;
import org.HdrHistogram.Histogram;

/**
 * The bench's arithmetic: percentiles of one phase, medians over rounds, what a gateway adds, and the
 * throughput frontier. All times are milliseconds (doubles); histograms record microseconds. Public for
 * the benches that live elsewhere ({@link #median(double[])}).
 */
public final class Stats {
  private Stats() {}

  /** Percentiles of one phase (one target, one round), in ms; {@code count} successful responses. */
  record Percentiles(double p50, double p90, double p99, double max, long count, long errors) {
    static Percentiles of(Histogram micros, long errors) {
      if (micros.getTotalCount() == 0) {
        return new Percentiles(Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, errors);
      }
      return new Percentiles(micros.getValueAtPercentile(50) / 1000.0, micros.getValueAtPercentile(90) / 1000.0,
          micros.getValueAtPercentile(99) / 1000.0, micros.getMaxValue() / 1000.0, micros.getTotalCount(), errors);
    }

    /** Each percentile the median over rounds; counts and errors summed. */
    static Percentiles medianOf(List<Percentiles> rounds) {
      return new Percentiles(median(rounds, Percentiles::p50), median(rounds, Percentiles::p90),
          median(rounds, Percentiles::p99), median(rounds, Percentiles::max),
          rounds.stream().mapToLong(Percentiles::count).sum(), rounds.stream().mapToLong(Percentiles::errors).sum());
    }

    /** What this target adds over {@code direct}: each percentile's difference (may be negative: noise). */
    Percentiles minus(Percentiles direct) {
      return new Percentiles(p50 - direct.p50, p90 - direct.p90, p99 - direct.p99, max - direct.max, count, errors);
    }
  }

  /** The median of the values {@code f} picks; NaN for none. */
  static <T> double median(List<T> items, ToDoubleFunction<T> f) {
    return median(items.stream().mapToDouble(f).toArray());
  }

  public static double median(double[] values) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** A gateway's result at one rate: its medians, and what it adds over the direct call in the same rounds. */
  record RateResult(int rate, Percentiles direct, Percentiles via, Percentiles added) {}

  /**
   * The throughput frontier: the highest rate whose added p99 is below {@code limitMs} with no errors.
   * Every lower rate must pass too: a rate that only passes above a failing one is luck, not capacity.
   * Empty when even the lowest rate fails.
   */
  static OptionalInt frontier(List<RateResult> results, double limitMs) {
    OptionalInt best = OptionalInt.empty();
    List<RateResult> byRate = results.stream().sorted((a, b) -> Integer.compare(a.rate(), b.rate())).toList();
    for (RateResult r : byRate) {
      boolean passes = r.added().p99() < limitMs && r.via().errors() == 0 && r.via().count() > 0;
      if (!passes) {
        break;
      }
      best = OptionalInt.of(r.rate());
    }
    return best;
  }
}
