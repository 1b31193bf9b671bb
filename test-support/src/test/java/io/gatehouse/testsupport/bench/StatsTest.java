package io.gatehouse.testsupport.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.gatehouse.testsupport.bench.Stats.Percentiles;
import io.gatehouse.testsupport.bench.Stats.RateResult;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class StatsTest {
  @Test
  void medianOfOddAndEvenCounts() {
    assertThat(Stats.median(new double[] {5, 1, 3})).isEqualTo(3);
    assertThat(Stats.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
    assertThat(Stats.median(new double[] {})).isNaN();
  }

  @Test
  void percentilesOfAHistogramInMicrosAreMilliseconds() {
    Histogram h = new Histogram(3);
    for (int i = 1; i <= 1000; i++) {
      h.recordValue(i * 10L); // 10 µs .. 10 ms
    }
    Percentiles p = Percentiles.of(h, 2);
    assertThat(p.p50()).isCloseTo(5.0, within(0.01));
    assertThat(p.p90()).isCloseTo(9.0, within(0.01));
    assertThat(p.p99()).isCloseTo(9.9, within(0.01));
    assertThat(p.max()).isCloseTo(10.0, within(0.01));
    assertThat(p.count()).isEqualTo(1000);
    assertThat(p.errors()).isEqualTo(2);
    assertThat(Percentiles.of(new Histogram(3), 7).p99()).isNaN();
  }

  @Test
  void roundsAreCombinedByTheMedianOfEachPercentileAndAddedIsTheDifference() {
    List<Percentiles> rounds = List.of(new Percentiles(1, 2, 3, 9, 10, 0), new Percentiles(2, 3, 30, 40, 10, 1),
        new Percentiles(1.5, 2.5, 4, 5, 10, 0));
    Percentiles m = Percentiles.medianOf(rounds);
    assertThat(m).isEqualTo(new Percentiles(1.5, 2.5, 4, 9, 30, 1)); // one bad round does not move the p99
    Percentiles added = new Percentiles(2, 3, 5, 10, 30, 0).minus(new Percentiles(1.5, 2.5, 4, 9, 30, 1));
    assertThat(added.p50()).isEqualTo(0.5);
    assertThat(added.p99()).isEqualTo(1.0);
    assertThat(added.errors()).isZero(); // the gateway's own errors, not the direct call's
  }

  private static RateResult at(int rate, double addedP99, long errors) {
    Percentiles direct = new Percentiles(0.2, 0.3, 0.5, 1, 100, 0);
    Percentiles via = new Percentiles(0.3, 0.4, 0.5 + addedP99, 2, 100, errors);
    return new RateResult(rate, direct, via, via.minus(direct));
  }

  @Test
  void theFrontierIsTheHighestRateBelowTheLimitWithEveryLowerRatePassing() {
    assertThat(Stats.frontier(List.of(at(4000, 3.0, 0), at(500, 0.2, 0), at(2000, 0.9, 0), at(1000, 0.5, 0)), 1.0))
        .hasValue(2000);
    // passing again above a failing rate is luck, not capacity
    assertThat(Stats.frontier(List.of(at(500, 0.2, 0), at(1000, 1.5, 0), at(2000, 0.9, 0)), 1.0)).hasValue(500);
    // the limit is strict, and errors disqualify a rate
    assertThat(Stats.frontier(List.of(at(500, 1.0, 0)), 1.0)).isEmpty();
    assertThat(Stats.frontier(List.of(at(500, 0.2, 0), at(1000, 0.2, 3)), 1.0)).hasValue(500);
    assertThat(Stats.frontier(List.of(at(500, 30, 0), at(1000, 40, 0)), 50)).hasValue(1000);
  }
}
