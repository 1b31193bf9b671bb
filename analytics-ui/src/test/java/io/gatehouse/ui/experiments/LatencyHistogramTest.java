package io.gatehouse.ui.experiments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import java.util.TreeMap;
import org.apache.commons.math3.random.Well19937c;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {
  @Test
  void quantilesAreNearestRankOverTheCounts() {
    // 1 × 100 ms, 3 × 200 ms, 6 × 900 ms: sorted 100, 200, 200, 200, 900 × 6
    LatencyHistogram h = LatencyHistogram.of(new long[] {100, 200, 900}, new long[] {1, 3, 6});

    assertThat(h.n()).isEqualTo(10);
    assertThat(h.quantile(0.1)).isEqualTo(100);
    assertThat(h.quantile(0.11)).isEqualTo(200);
    assertThat(h.quantile(0.4)).isEqualTo(200);
    assertThat(h.quantile(0.5)).isEqualTo(900);
    assertThat(h.quantile(0)).isEqualTo(100);
    assertThat(h.quantile(1)).isEqualTo(900);
    assertThat(LatencyHistogram.EMPTY.quantile(0.5)).isNaN();
    assertThatThrownBy(() -> LatencyHistogram.of(new long[] {2, 1}, new long[] {1, 1}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void bootstrapReplicatesFollowWhatResamplingNValuesGives() {
    // the order-statistic shortcut against a plain bootstrap (n draws with replacement, sorted)
    Random random = new Random(7);
    long[] raw = new long[300];
    for (int i = 0; i < raw.length; i++) {
      raw[i] = 200 + (long) (600 * -Math.log(1 - random.nextDouble())); // long right tail
    }
    LatencyHistogram h = histogram(raw);
    int replicates = 20_000;
    for (double p : new double[] {0.5, 0.95}) {
      double[] fast = h.bootstrap(p, replicates, new Well19937c(1));
      double[] plain = new double[replicates];
      long[] resample = new long[raw.length];
      for (int r = 0; r < replicates; r++) {
        for (int i = 0; i < raw.length; i++) {
          resample[i] = raw[random.nextInt(raw.length)];
        }
        Arrays.sort(resample);
        plain[r] = resample[(int) Math.ceil(p * raw.length) - 1];
      }
      Arrays.sort(fast);
      Arrays.sort(plain);
      double spread = plain[(int) (0.975 * replicates)] - plain[(int) (0.025 * replicates)];
      for (double q : new double[] {0.025, 0.25, 0.5, 0.75, 0.975}) {
        int i = (int) (q * replicates);
        assertThat(fast[i]).as("p%.0f, replicate quantile %.3f", p * 100, q).isCloseTo(plain[i], within(spread * 0.1));
      }
    }
  }

  private static LatencyHistogram histogram(long[] raw) {
    TreeMap<Long, Long> counts = new TreeMap<>();
    for (long v : raw) {
      counts.merge(v, 1L, Long::sum);
    }
    return LatencyHistogram.of(counts.keySet().stream().mapToLong(Long::longValue).toArray(),
        counts.values().stream().mapToLong(Long::longValue).toArray());
  }
}
