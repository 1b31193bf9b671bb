package io.gatehouse.testsupport.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchmarksFileTest {
  private static final String DOC = "# Benchmarks\n\n## Dashboard queries\n\nui table\n\n### detail\n\nmore ui\n\n"
      + "## Proxy added latency (non-streaming)\n\nold numbers\n\n## Proxy added latency (streaming)\n\nold stream\n";

  @Test
  void replacesOnlyItsOwnSectionUpToTheNextSecondLevelHeading() {
    String out = BenchmarksFile.replaceSection(DOC, "Proxy added latency (non-streaming)", "new numbers\n");
    assertThat(out).isEqualTo("# Benchmarks\n\n## Dashboard queries\n\nui table\n\n### detail\n\nmore ui\n\n"
        + "## Proxy added latency (non-streaming)\n\nnew numbers\n\n## Proxy added latency (streaming)\n\nold stream\n");
  }

  @Test
  void aSectionsSubHeadingsGoWithIt() {
    String out = BenchmarksFile.replaceSection(DOC, "Dashboard queries", "ui v2");
    assertThat(out).doesNotContain("### detail").doesNotContain("more ui").contains("## Dashboard queries\n\nui v2\n\n## Proxy");
  }

  @Test
  void theLastSectionIsReplacedToTheEnd() {
    String out = BenchmarksFile.replaceSection(DOC, "Proxy added latency (streaming)", "new stream");
    assertThat(out).endsWith("## Proxy added latency (streaming)\n\nnew stream\n").doesNotContain("old stream")
        .contains("old numbers");
  }

  @Test
  void aMissingSectionIsAppendedAndAHeadingThatOnlyStartsAlikeIsAnother() {
    String out = BenchmarksFile.replaceSection(DOC, "Proxy added latency", "x");
    assertThat(out).startsWith(DOC.stripTrailing()).endsWith("\n\n## Proxy added latency\n\nx\n");
  }

  @Test
  void writesIntoTheFileAndKeepsTheOtherSections(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("BENCHMARKS.md");
    Files.writeString(file, DOC);
    new BenchmarksFile(file).write("Kafka broker outage", "delta");
    new BenchmarksFile(file).write("Kafka broker outage", "delta 2");
    String text = Files.readString(file);
    assertThat(text).startsWith(DOC.stripTrailing()).endsWith("## Kafka broker outage\n\ndelta 2\n");
    assertThat(text.split("## Kafka broker outage", -1)).hasSize(2);
  }

  @Test
  void thePreambleNamesTheMachineTheCommandAndTheSharedBox() {
    String p = BenchmarksFile.preamble("./gatehouse bench latency", "1.00 2.00 3.00");
    assertThat(p).contains(Runtime.getRuntime().availableProcessors() + " cores")
        .contains("`./gatehouse bench latency`").contains("1.00 2.00 3.00")
        .contains("load generator, the fake provider, Kafka and the proxy share this");
  }
}
