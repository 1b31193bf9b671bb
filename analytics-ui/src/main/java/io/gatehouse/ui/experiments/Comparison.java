package io.gatehouse.ui.experiments;

import java.util.Arrays;
import java.util.Locale;
import org.apache.commons.math3.distribution.TDistribution;
import org.apache.commons.math3.random.Well19937c;
import org.apache.commons.math3.stat.descriptive.StatisticalSummaryValues;
import org.apache.commons.math3.stat.inference.TTest;

/**
 * A candidate against a baseline on one metric: the difference (candidate − baseline), its 95%
 * confidence interval and a verdict. Means are compared with Welch's two-sample t-test
 * ({@link #of}: Welch–Satterthwaite degrees of freedom, two-sided p-value); latency quantiles with a
 * percentile bootstrap ({@link #ofQuantile}: {@value #REPLICATES} replicates from a fixed seed, so the
 * same data always gives the same interval; no p-value). "Significant" means p &lt; {@value #ALPHA},
 * or a bootstrap interval that excludes 0, with at least {@value #MIN_SAMPLES} samples on each side;
 * with fewer, the verdict carries a small-sample warning and is never significant.
 *
 * @param baselineValue the baseline's mean or quantile, for the relative change
 * @param interval how the interval was made, as the sentence names it ("95% CI", "95% bootstrap CI")
 */
public record Comparison(String metric, long baselineN, long candidateN, double baselineValue, double difference,
                         double ciLow, double ciHigh, double pValue, boolean significant, boolean tooSmall,
                         String interval) {
  public static final double ALPHA = 0.05;
  public static final int MIN_SAMPLES = 30;
  static final int REPLICATES = 2_000;
  private static final long SEED = 20_251_207L;
  private static final String WELCH = "95% CI";
  private static final String BOOTSTRAP = "95% bootstrap CI";

  public static Comparison of(String metric, Sample baseline, Sample candidate) {
    double difference = candidate.mean() - baseline.mean();
    boolean tooSmall = baseline.n() < MIN_SAMPLES || candidate.n() < MIN_SAMPLES;
    if (baseline.n() < 2 || candidate.n() < 2) {
      return new Comparison(metric, baseline.n(), candidate.n(), baseline.mean(), difference, Double.NaN, Double.NaN,
          Double.NaN, false, true, WELCH);
    }
    double va = baseline.variance() / baseline.n();
    double vb = candidate.variance() / candidate.n();
    double se = Math.sqrt(va + vb);
    if (se == 0) {
      // identical constants on both sides: no evidence of anything, or a difference with no noise at all
      boolean differs = difference != 0;
      return new Comparison(metric, baseline.n(), candidate.n(), baseline.mean(), difference, difference, difference,
          differs ? 0 : 1, differs && !tooSmall, tooSmall, WELCH);
    }
    double df = (va + vb) * (va + vb)
        / (va * va / (baseline.n() - 1) + vb * vb / (candidate.n() - 1));
    double t = new TDistribution(df).inverseCumulativeProbability(1 - ALPHA / 2);
    double p = new TTest().tTest(summary(baseline), summary(candidate));
    return new Comparison(metric, baseline.n(), candidate.n(), baseline.mean(), difference, difference - t * se,
        difference + t * se, p, p < ALPHA && !tooSmall, tooSmall, WELCH);
  }

  /**
   * The p-quantile (nearest rank) of the candidate's latencies against the baseline's: the interval is
   * the 2.5th to 97.5th percentile of {@value #REPLICATES} bootstrap differences, each the quantile of a
   * resample of the candidate minus that of a resample of the baseline (see {@link LatencyHistogram#bootstrap}).
   */
  public static Comparison ofQuantile(String metric, double p, LatencyHistogram baseline, LatencyHistogram candidate) {
    double base = baseline.quantile(p);
    double difference = candidate.quantile(p) - base;
    boolean tooSmall = baseline.n() < MIN_SAMPLES || candidate.n() < MIN_SAMPLES;
    if (baseline.n() < 2 || candidate.n() < 2) {
      return new Comparison(metric, baseline.n(), candidate.n(), base, difference, Double.NaN, Double.NaN, Double.NaN,
          false, true, BOOTSTRAP);
    }
    Well19937c random = new Well19937c(SEED);
    double[] a = baseline.bootstrap(p, REPLICATES, random);
    double[] b = candidate.bootstrap(p, REPLICATES, random);
    double[] differences = new double[REPLICATES];
    for (int i = 0; i < REPLICATES; i++) {
      differences[i] = b[i] - a[i];
    }
    Arrays.sort(differences);
    double low = differences[(int) Math.ceil(ALPHA / 2 * REPLICATES) - 1];
    double high = differences[(int) Math.ceil((1 - ALPHA / 2) * REPLICATES) - 1];
    return new Comparison(metric, baseline.n(), candidate.n(), base, difference, low, high, Double.NaN,
        !tooSmall && (low > 0 || high < 0), tooSmall, BOOTSTRAP);
  }

  private static StatisticalSummaryValues summary(Sample s) {
    return new StatisticalSummaryValues(s.mean(), s.variance(), s.n(), Double.NaN, Double.NaN, s.mean() * s.n());
  }

  /** "significant" / "not significant" (with a warning when the samples are too small). */
  public String verdict() {
    return significant ? "significant" : "not significant";
  }

  /** Relative change, candidate against baseline (NaN when the baseline's value is 0). */
  public double relativeChange() {
    return baselineValue == 0 ? Double.NaN : difference / baselineValue;
  }

  /** A sentence a lead can read: "cost per request is 23.1% lower (95% CI …); significant (p = 0.001)." */
  public String sentence(String baselineName, String candidateName, java.util.function.DoubleFunction<String> format) {
    if (candidateN == 0 || baselineN == 0) {
      return metric + ": no data for " + (baselineN == 0 ? baselineName : candidateName) + ".";
    }
    String direction = difference == 0 ? "the same" : difference > 0 ? "higher" : "lower";
    String rel = Double.isNaN(relativeChange()) || difference == 0 ? ""
        : String.format(Locale.ROOT, " %.1f%%", Math.abs(relativeChange()) * 100);
    String ci = Double.isNaN(ciLow) ? "" : " (difference " + signed(difference, format) + ", " + interval + " "
        + signed(ciLow, format) + " to " + signed(ciHigh, format) + ")";
    String p = Double.isNaN(pValue) ? "" : String.format(Locale.ROOT, ", p = %.3g", pValue);
    String warning = tooSmall ? " — too few samples (need " + MIN_SAMPLES + " per variant) to tell" : "";
    String versus = difference == 0 ? " as " : " than ";
    return metric + " of " + candidateName + " is" + rel + " " + direction + versus + baselineName + ci + ": "
        + verdict() + p + warning + ".";
  }

  private static String signed(double v, java.util.function.DoubleFunction<String> format) {
    return (v >= 0 ? "+" : "−") + format.apply(Math.abs(v));
  }
}
