package io.gatehouse.ui.experiments;

import static io.gatehouse.ui.requests.TestEvents.event;
import static io.gatehouse.ui.requests.TestEvents.insert;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.gatehouse.schemas.clickhouse.ClickHouseHttp;
import io.gatehouse.testsupport.clickhouse.ClickHouseServer;
import io.gatehouse.ui.requests.TestEvents;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Against a real ClickHouse; each test uses its own day of 2023. */
class ExperimentQueriesTest {
  private static ClickHouseServer server;
  private static ExperimentQueries queries;

  @BeforeAll
  static void migrate() {
    server = TestEvents.migratedServer();
    queries = new ExperimentQueries(new ClickHouseHttp(URI.create(server.httpUrl()), "default", "", Duration.ofSeconds(10)));
  }

  private static Instant day(int n) {
    return Instant.parse("2023-06-01T00:00:00Z").plus(Duration.ofDays(n));
  }

  @Test
  void listsExperimentsAndPromptVersionsWithTraffic() {
    Instant t = day(1).plusSeconds(3600);
    insert(server,
        event(t, "a").put("experiment", "exp-list").put("variant", "b"),
        event(t, "a").put("experiment", "exp-list").put("variant", "a"),
        event(t, "a").put("experiment", "exp-list").put("variant", "a"),
        event(t, "a").put("prompt_id", "summarize").put("prompt_version", "3"),
        event(t, "a"));

    List<Experiment> all = queries.list(day(1), day(2));

    assertThat(all).containsExactly(
        new Experiment(Experiment.Kind.EXPERIMENT, "exp-list", List.of("a", "b"), 3),
        new Experiment(Experiment.Kind.PROMPT, "summarize", List.of("3"), 1));
  }

  @Test
  void variantSamplesFeedTheWelchTestAndTellARealDifferenceFromNone() {
    ExperimentSeeds.seed(server, "exp-real", day(2).plusSeconds(7200), 200, -0.2, 200, 0.5, 1);
    ExperimentSeeds.seed(server, "exp-null", day(2).plusSeconds(7200), 200, 0, 0, 0, 2);

    List<VariantStats> real = queries.variants(Experiment.Kind.EXPERIMENT, "exp-real", day(2), day(3));
    assertThat(real).extracting(VariantStats::variant).containsExactly("candidate", "control");
    VariantStats candidate = real.get(0);
    VariantStats control = real.get(1);
    assertThat(control.requests()).isEqualTo(200);
    assertThat(control.costUsd().mean()).isCloseTo(1.0, within(0.05));
    assertThat(control.costUsd().variance()).isCloseTo(0.04, within(0.015));
    assertThat(candidate.costUsd().mean()).isCloseTo(0.8, within(0.05));
    assertThat(candidate.feedback().n()).isEqualTo(200);
    assertThat(candidate.feedback().mean()).isCloseTo(3.5, within(0.2));
    assertThat(control.p95Ms()).isGreaterThan(control.p50Ms());
    assertThat(Comparison.of("cost", control.costUsd(), candidate.costUsd()).verdict()).isEqualTo("significant");
    assertThat(Comparison.of("latency", control.latencyMs(), candidate.latencyMs()).verdict()).isEqualTo("significant");

    assertThat(control.latencies().n()).isEqualTo(200);
    assertThat(Comparison.ofQuantile("p50", 0.5, control.latencies(), candidate.latencies()).verdict()).isEqualTo("significant");

    List<VariantStats> none = queries.variants(Experiment.Kind.EXPERIMENT, "exp-null", day(2), day(3));
    assertThat(Comparison.of("cost", none.get(1).costUsd(), none.get(0).costUsd()).verdict()).isEqualTo("not significant");
    assertThat(Comparison.ofQuantile("p50", 0.5, none.get(1).latencies(), none.get(0).latencies()).verdict())
        .isEqualTo("not significant");
  }

  @Test
  void aRequestRatedTwiceCountsOnceWithItsLatestScore() {
    // (a re-delivered event is one row already: ingest checks event ids before it inserts)
    Instant t = day(3).plusSeconds(60);
    var e = event(t, "a").put("experiment", "exp-dup").put("variant", "a").put("cost_usd", 2.0);
    insert(server, e);
    insert(server, event(t, "b").put("experiment", "exp-dup").put("variant", "a").put("cost_usd", 1.0)); // not rated
    String id = e.get("event_id").asText();
    server.query("INSERT INTO gatehouse.feedback (feedback_id, event_id, ts, score) VALUES"
        + " ('00000000-0000-0000-0000-000000000001', '" + id + "', '2023-06-04 00:02:00', 1),"
        + " ('00000000-0000-0000-0000-000000000002', '" + id + "', '2023-06-04 00:03:00', 5)");

    VariantStats a = queries.variants(Experiment.Kind.EXPERIMENT, "exp-dup", day(3), day(4)).get(0);

    assertThat(a.requests()).isEqualTo(2);
    assertThat(a.feedback().n()).isEqualTo(1);
    assertThat(a.feedback().mean()).isEqualTo(5.0);
  }

  @Test
  void p50AndP95AreExactOverTheVariantsLatencies() {
    Instant t = day(4).plusSeconds(60);
    for (int ms : new int[] {100, 300, 300, 700, 5000}) {
      insert(server, event(t, "a").put("experiment", "exp-q").put("variant", "a").put("duration_ms", ms));
    }
    VariantStats a = queries.variants(Experiment.Kind.EXPERIMENT, "exp-q", day(4), day(5)).get(0);
    assertThat(a.p50Ms()).isEqualTo(300);
    assertThat(a.p95Ms()).isEqualTo(5000);
  }

  @Test
  void labelOnlyFeedbackIsCountedPerVariantWithItsLatestLabel() {
    Instant t = day(5).plusSeconds(60);
    var up = event(t, "a").put("experiment", "exp-lab").put("variant", "a");
    var changed = event(t, "a").put("experiment", "exp-lab").put("variant", "a");
    var other = event(t, "a").put("experiment", "exp-lab").put("variant", "a");
    var scored = event(t, "a").put("experiment", "exp-lab").put("variant", "b");
    insert(server, up, changed, other, scored);
    server.query("INSERT INTO gatehouse.feedback (feedback_id, event_id, ts, score, label) VALUES"
        + " ('" + java.util.UUID.randomUUID() + "', '" + up.get("event_id").asText() + "', '2023-06-06 00:02:00', NULL, 'thumbs_up'),"
        + " ('" + java.util.UUID.randomUUID() + "', '" + changed.get("event_id").asText() + "', '2023-06-06 00:02:00', NULL, 'thumbs_up'),"
        + " ('" + java.util.UUID.randomUUID() + "', '" + changed.get("event_id").asText() + "', '2023-06-06 00:03:00', NULL, 'thumbs_down'),"
        + " ('" + java.util.UUID.randomUUID() + "', '" + other.get("event_id").asText() + "', '2023-06-06 00:02:00', NULL, 'funny'),"
        + " ('" + java.util.UUID.randomUUID() + "', '" + scored.get("event_id").asText() + "', '2023-06-06 00:02:00', 4, '')");

    List<VariantStats> v = queries.variants(Experiment.Kind.EXPERIMENT, "exp-lab", day(5), day(6));

    assertThat(v.get(0).labels().counts()).isEqualTo(java.util.Map.of("thumbs_up", 1L, "thumbs_down", 1L, "funny", 1L));
    assertThat(v.get(0).labels().positiveShare()).isEqualTo(Sample.ofProportion(1, 2));
    assertThat(v.get(0).feedback().n()).as("labels are not scores").isZero();
    assertThat(v.get(1).labels()).isEqualTo(Labels.NONE);
    assertThat(v.get(1).feedback().n()).isEqualTo(1);
  }
}
