package io.gatehouse.testsupport.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IngestBenchTest {
  private static final String NEW = "## Ingest\n\nnew numbers\n";

  @Test
  void replacesOnlyTheIngestSection() {
    String doc = "# Benchmarks\n\n## Dashboard queries\n\nA\n\n## Ingest\n\nold numbers\n\n## Proxy\n\nB\n";
    assertThat(IngestBench.replaceSection(doc, NEW))
        .isEqualTo("# Benchmarks\n\n## Dashboard queries\n\nA\n\n## Ingest\n\nnew numbers\n\n## Proxy\n\nB\n");
  }

  @Test
  void replacesALastSection() {
    String doc = "# Benchmarks\n\n## Dashboard queries\n\nA\n\n## Ingest\n\nold\nlines\n";
    assertThat(IngestBench.replaceSection(doc, NEW))
        .isEqualTo("# Benchmarks\n\n## Dashboard queries\n\nA\n\n## Ingest\n\nnew numbers\n");
  }

  @Test
  void appendsTheSectionWhenMissingAndLeavesLookalikeHeadingsAlone() {
    String doc = "# Benchmarks\n\n## Ingestion notes\n\nA\n";
    assertThat(IngestBench.replaceSection(doc, NEW))
        .isEqualTo("# Benchmarks\n\n## Ingestion notes\n\nA\n\n## Ingest\n\nnew numbers\n");
  }
}
