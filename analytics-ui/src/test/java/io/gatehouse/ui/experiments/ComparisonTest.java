package io.gatehouse.ui.experiments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.apache.commons.math3.stat.descriptive.SummaryStatistics;
import org.apache.commons.math3.stat.inference.TTest;
import org.junit.jupiter.api.Test;

class ComparisonTest {
  @Test
  void aRealDifferenceWithEnoughSamplesIsSignificant() {
    Comparison c = Comparison.of("Cost", new Sample(400, 1.00, 0.04), new Sample(400, 0.90, 0.04));

    assertThat(c.significant()).isTrue();
    assertThat(c.verdict()).isEqualTo("significant");
    assertThat(c.difference()).isCloseTo(-0.10, within(1e-12));
    // se = sqrt(0.04/400 * 2) = 0.01414; t(0.975, df≈798) ≈ 1.963
    assertThat(c.ciLow()).isCloseTo(-0.10 - 1.963 * 0.014142, within(1e-3));
    assertThat(c.ciHigh()).isCloseTo(-0.10 + 1.963 * 0.014142, within(1e-3));
    assertThat(c.pValue()).isLessThan(1e-6);
    assertThat(c.sentence("A", "B", v -> String.format("%.2f", v)))
        .startsWith("Cost of B is 10.0% lower than A (difference −0.10, 95% CI −0.13 to −0.07): significant");
  }

  @Test
  void overlappingSamplesAreNotSignificant() {
    Comparison c = Comparison.of("Cost", new Sample(400, 1.00, 0.04), new Sample(400, 1.001, 0.04));
    assertThat(c.significant()).isFalse();
    assertThat(c.verdict()).isEqualTo("not significant");
    assertThat(c.ciLow()).isNegative();
    assertThat(c.ciHigh()).isPositive();
  }

  @Test
  void tooFewSamplesAreNeverSignificantAndSaySo() {
    Comparison c = Comparison.of("Latency", new Sample(10, 100, 1), new Sample(10, 200, 1));
    assertThat(c.pValue()).isLessThan(0.001);
    assertThat(c.significant()).isFalse();
    assertThat(c.tooSmall()).isTrue();
    assertThat(c.sentence("A", "B", v -> String.format("%.0f", v))).contains("too few samples");
  }

  @Test
  void matchesCommonsMathOnRawData() {
    SummaryStatistics a = new SummaryStatistics();
    SummaryStatistics b = new SummaryStatistics();
    double[] xs = {3.1, 2.9, 3.3, 3.0, 2.7, 3.4, 3.2, 2.8};
    double[] ys = {3.6, 3.2, 3.9, 3.5, 3.4, 3.8, 3.3, 3.7, 3.9, 3.1};
    for (double x : xs) {
      a.addValue(x);
    }
    for (double y : ys) {
      b.addValue(y);
    }
    Comparison c = Comparison.of("m", new Sample(a.getN(), a.getMean(), a.getVariance()),
        new Sample(b.getN(), b.getMean(), b.getVariance()));
    assertThat(c.pValue()).isCloseTo(new TTest().tTest(a, b), within(1e-12));
  }

  @Test
  void proportionsUseTheBernoulliVariance() {
    Sample s = Sample.ofProportion(25, 100);
    assertThat(s.mean()).isEqualTo(0.25);
    assertThat(s.variance()).isCloseTo(0.25 * 0.75 * 100 / 99, within(1e-12));
    assertThat(Sample.ofProportion(0, 0)).isEqualTo(Sample.EMPTY);
  }

  @Test
  void aShiftedQuantileIsSignificantAndTheSameOneIsNot() {
    LatencyHistogram base = normal(400, 800, 1);
    LatencyHistogram slower = normal(400, 950, 2);
    LatencyHistogram same = normal(400, 800, 3);

    Comparison shifted = Comparison.ofQuantile("Latency p50", 0.5, base, slower);
    assertThat(shifted.significant()).isTrue();
    assertThat(shifted.difference()).isEqualTo(slower.quantile(0.5) - base.quantile(0.5));
    assertThat(shifted.ciLow()).isPositive().isLessThanOrEqualTo(shifted.difference());
    assertThat(shifted.ciHigh()).isGreaterThanOrEqualTo(shifted.difference()).isLessThan(300);
    assertThat(shifted.sentence("A", "B", v -> String.format("%.0f ms", v)))
        .contains("higher than A").contains("95% bootstrap CI").contains(": significant").doesNotContain("p =");

    Comparison none = Comparison.ofQuantile("Latency p95", 0.95, base, same);
    assertThat(none.significant()).isFalse();
    assertThat(none.ciLow()).isNegative();
    assertThat(none.ciHigh()).isPositive();
    assertThat(Comparison.ofQuantile("Latency p95", 0.95, base, same)).as("a fixed seed").isEqualTo(none);
  }

  @Test
  void aQuantileOfTooFewSamplesIsNeverSignificant() {
    Comparison c = Comparison.ofQuantile("Latency p50", 0.5, normal(10, 800, 4), normal(10, 2000, 5));
    assertThat(c.tooSmall()).isTrue();
    assertThat(c.significant()).isFalse();
    assertThat(Comparison.ofQuantile("Latency p50", 0.5, LatencyHistogram.EMPTY, normal(10, 800, 6))
        .sentence("A", "B", v -> "")).isEqualTo("Latency p50: no data for A.");
  }

  /** n latencies ~ Normal(mean, 150) in whole ms. */
  private static LatencyHistogram normal(int n, double mean, long seed) {
    java.util.Random random = new java.util.Random(seed);
    java.util.TreeMap<Long, Long> counts = new java.util.TreeMap<>();
    for (int i = 0; i < n; i++) {
      counts.merge(Math.max(1, Math.round(mean + 150 * random.nextGaussian())), 1L, Long::sum);
    }
    return LatencyHistogram.of(counts.keySet().stream().mapToLong(Long::longValue).toArray(),
        counts.values().stream().mapToLong(Long::longValue).toArray());
  }

  @Test
  void labelsWithAnObviousDirectionMakeAShareOfPositives() {
    Labels labels = new Labels(java.util.Map.of("thumbs_up", 6L, "Thumbs-Down", 2L, " GOOD ", 1L, "funny", 4L, "-1", 3L));
    assertThat(labels.total()).isEqualTo(16);
    assertThat(labels.positiveShare()).isEqualTo(Sample.ofProportion(7, 12));
    assertThat(Labels.NONE.positiveShare()).isEqualTo(Sample.EMPTY);
  }
}
