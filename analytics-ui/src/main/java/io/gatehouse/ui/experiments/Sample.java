package io.gatehouse.ui.experiments;

/** Count, mean and sample variance of one metric in one variant: all Welch's test needs. */
public record Sample(long n, double mean, double variance) {
  public static final Sample EMPTY = new Sample(0, 0, 0);

  /** A 0/1 outcome (e.g. "was an error") seen {@code hits} times in {@code n}. */
  public static Sample ofProportion(long hits, long n) {
    if (n == 0) {
      return EMPTY;
    }
    double p = (double) hits / n;
    return new Sample(n, p, n < 2 ? 0 : p * (1 - p) * n / (n - 1));
  }
}
