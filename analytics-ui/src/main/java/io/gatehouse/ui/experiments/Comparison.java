package io.gatehouse.ui.experiments;

import java.util.Locale;
import org.apache.commons.math3.distribution.TDistribution;
import org.apache.commons.math3.stat.descriptive.StatisticalSummaryValues;
import org.apache.commons.math3.stat.inference.TTest;

/**
 * Welch's two-sample t-test of a candidate against a baseline on one metric: the difference of means
 * (candidate − baseline), its 95% confidence interval (Welch–Satterthwaite degrees of freedom) and
 * the two-sided p-value. "Significant" means p &lt; {@value #ALPHA} with at least {@value #MIN_SAMPLES}
 * samples on each side; with fewer, the verdict carries a small-sample warning and is never significant.
 */
public record Comparison(String metric, Sample baseline, Sample candidate, double difference,
                         double ciLow, double ciHigh, double pValue, boolean significant, boolean tooSmall) {
  public static final double ALPHA = 0.05;
  public static final int MIN_SAMPLES = 30;

  public static Comparison of(String metric, Sample baseline, Sample candidate) {
    double difference = candidate.mean() - baseline.mean();
    boolean tooSmall = baseline.n() < MIN_SAMPLES || candidate.n() < MIN_SAMPLES;
    if (baseline.n() < 2 || candidate.n() < 2) {
      return new Comparison(metric, baseline, candidate, difference, Double.NaN, Double.NaN, Double.NaN, false, true);
    }
    double va = baseline.variance() / baseline.n();
    double vb = candidate.variance() / candidate.n();
    double se = Math.sqrt(va + vb);
    if (se == 0) {
      // identical constants on both sides: no evidence of anything, or a difference with no noise at all
      boolean differs = difference != 0;
      return new Comparison(metric, baseline, candidate, difference, difference, difference, differs ? 0 : 1,
          differs && !tooSmall, tooSmall);
    }
    double df = (va + vb) * (va + vb)
        / (va * va / (baseline.n() - 1) + vb * vb / (candidate.n() - 1));
    double t = new TDistribution(df).inverseCumulativeProbability(1 - ALPHA / 2);
    double p = new TTest().tTest(summary(baseline), summary(candidate));
    return new Comparison(metric, baseline, candidate, difference, difference - t * se, difference + t * se, p,
        p < ALPHA && !tooSmall, tooSmall);
  }

  private static StatisticalSummaryValues summary(Sample s) {
    return new StatisticalSummaryValues(s.mean(), s.variance(), s.n(), Double.NaN, Double.NaN, s.mean() * s.n());
  }

  /** "significant" / "not significant" (with a warning when the samples are too small). */
  public String verdict() {
    return significant ? "significant" : "not significant";
  }

  /** Relative change of the mean, candidate against baseline (NaN when the baseline mean is 0). */
  public double relativeChange() {
    return baseline.mean() == 0 ? Double.NaN : difference / baseline.mean();
  }

  /** A sentence a lead can read: "cost per request is 23.1% lower (95% CI …); significant (p = 0.001)." */
  public String sentence(String baselineName, String candidateName, java.util.function.DoubleFunction<String> format) {
    if (candidate.n() == 0 || baseline.n() == 0) {
      return metric + ": no data for " + (baseline.n() == 0 ? baselineName : candidateName) + ".";
    }
    String direction = difference == 0 ? "the same" : difference > 0 ? "higher" : "lower";
    String rel = Double.isNaN(relativeChange()) || difference == 0 ? ""
        : String.format(Locale.ROOT, " %.1f%%", Math.abs(relativeChange()) * 100);
    String ci = Double.isNaN(ciLow) ? "" : " (difference " + signed(difference, format) + ", 95% CI "
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
