package io.gatehouse.ui.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DashboardBenchTest {
  @Test
  void replacesOnlyItsOwnSectionOfBenchmarksMd() {
    String doc = "# Benchmarks\n\n## Proxy overhead\n\nold proxy numbers\n\n## Dashboard queries\n\nold table\n\n## Later\n\nkeep\n";

    String updated = DashboardBench.replaceSection(doc, "## Dashboard queries\n\nnew table\n");

    assertThat(updated).isEqualTo(
        "# Benchmarks\n\n## Proxy overhead\n\nold proxy numbers\n\n## Dashboard queries\n\nnew table\n\n## Later\n\nkeep\n");
    assertThat(DashboardBench.replaceSection("# Benchmarks\n\n## Proxy overhead\n\nx\n", "## Dashboard queries\n\nt\n"))
        .isEqualTo("# Benchmarks\n\n## Proxy overhead\n\nx\n\n## Dashboard queries\n\nt\n");
  }

  @Test
  void nearestRankPercentiles() {
    double[] sorted = new double[20];
    for (int i = 0; i < 20; i++) {
      sorted[i] = i + 1;
    }
    assertThat(DashboardBench.percentile(sorted, 0.95)).isEqualTo(19);
    assertThat(DashboardBench.percentile(sorted, 0.50)).isEqualTo(10);
    assertThat(DashboardBench.percentile(new double[] {7}, 0.95)).isEqualTo(7);
  }
}
