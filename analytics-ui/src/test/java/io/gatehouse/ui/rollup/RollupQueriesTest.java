package io.gatehouse.ui.rollup;

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

/** Against a real ClickHouse: the rollup view fills on insert and the dashboards' numbers are exact. */
class RollupQueriesTest {
  private static ClickHouseServer server;
  private static RollupQueries queries;

  @BeforeAll
  static void migrate() {
    server = TestEvents.migratedServer();
    queries = new RollupQueries(new ClickHouseHttp(URI.create(server.httpUrl()), "default", "", Duration.ofSeconds(10)));
  }

  /** Midnight UTC of a day reserved for one test (other test classes use 2025). */
  private static Instant day(int n) {
    return Instant.parse("2024-03-01T00:00:00Z").plus(Duration.ofDays(n));
  }

  @Test
  void totalsFromTheRollupMatchTheRawEvents() {
    Instant t = day(1).plusSeconds(3 * 3600);
    insert(server,
        event(t.plusSeconds(10), "ana").put("cost_usd", 0.5).put("input_tokens", 100).put("output_tokens", 10)
            .put("duration_ms", 100).put("cached_input_tokens", 40).put("cost_saved_usd", 0.2).put("cache_result", "exact"),
        event(t.plusSeconds(20), "bo").put("cost_usd", 0.25).put("status", 500).put("error_class", "transient")
            .put("duration_ms", 300).put("reasoning_tokens", 7),
        event(t.plusSeconds(3600 + 5), "ana").put("cost_usd", 1.0).putNull("input_tokens").put("duration_ms", 200),
        event(t.plusSeconds(7200), "outside").put("cost_usd", 9.0));
    insert(server, event(t.minusSeconds(1), "before").put("cost_usd", 9.0));

    Stats s = queries.totals(t, t.plusSeconds(7200), true);

    assertThat(s.requests()).isEqualTo(3);
    assertThat(s.errors()).isEqualTo(1);
    assertThat(s.costUsd()).isCloseTo(1.75, within(1e-9));
    assertThat(s.costSavedUsd()).isCloseTo(0.2, within(1e-9));
    assertThat(s.cacheHits()).isEqualTo(1);
    assertThat(s.inputTokens()).isEqualTo(100 + 12);
    assertThat(s.outputTokens()).isEqualTo(10 + 30 + 30);
    assertThat(s.cachedInputTokens()).isEqualTo(40);
    assertThat(s.reasoningTokens()).isEqualTo(7);
    assertThat(s.p50Ms()).isBetween(100.0, 300.0);
    assertThat(s.p95Ms()).isBetween(200.0, 300.0);
  }

  @Test
  void groupsByEachRollupDimensionMostExpensiveFirst() {
    Instant t = day(2).plusSeconds(3600);
    insert(server,
        event(t, "ana").put("team", "search").put("model", "gpt-4o").put("virtual_key_id", "vk_1").put("cost_usd", 3.0),
        event(t.plusSeconds(1), "bo").put("team", "support").put("model", "gpt-4o-mini").put("virtual_key_id", "vk_2").put("cost_usd", 1.0),
        event(t.plusSeconds(2), "ana").put("team", "search").put("model", "gpt-4o-mini").put("virtual_key_id", "vk_1").put("cost_usd", 0.5));

    Instant to = t.plusSeconds(3600);
    assertThat(queries.groups(Dimension.USER, t, to, 10, true)).extracting(Stats::key, Stats::requests)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("ana", 2L), org.assertj.core.groups.Tuple.tuple("bo", 1L));
    assertThat(queries.groups(Dimension.MODEL, t, to, 10, true)).extracting(Stats::key).containsExactly("gpt-4o", "gpt-4o-mini");
    assertThat(queries.groups(Dimension.MODEL, t, to, 10, true).get(1).costUsd()).isCloseTo(1.5, within(1e-9));
    assertThat(queries.groups(Dimension.KEY, t, to, 1, true)).extracting(Stats::key).containsExactly("vk_1");
    assertThat(queries.groups(Dimension.TEAM, t, to, 10, true)).extracting(Stats::key).containsExactly("search", "support");
  }

  @Test
  void groupsByTagFromTheRawEvents() {
    Instant t = day(3).plusSeconds(3600);
    insert(server, event(t, "a").put("cost_usd", 2.0), event(t.plusSeconds(1), "b").put("cost_usd", 1.0));
    var e = event(t.plusSeconds(2), "c").put("cost_usd", 5.0);
    e.putArray("tags.key").add("env").add("tier");
    e.putArray("tags.value").add("prod").add("gold");
    insert(server, e);

    List<Stats> groups = queries.groups(Dimension.TAG, t, t.plusSeconds(3600), 10, true);

    assertThat(groups).extracting(Stats::key).containsExactly("env=prod", "tier=gold", "env=test");
    assertThat(groups.get(2).costUsd()).isCloseTo(3.0, within(1e-9));
  }

  @Test
  void costSeriesPerBucketKeepsTheTopGroupsAndSumsTheRestAsOther() {
    Instant t = day(4);
    insert(server,
        event(t.plusSeconds(60), "a").put("model", "m1").put("cost_usd", 5.0),
        event(t.plusSeconds(3600 + 60), "a").put("model", "m1").put("cost_usd", 1.0),
        event(t.plusSeconds(3600 + 70), "b").put("model", "m2").put("cost_usd", 2.0),
        event(t.plusSeconds(3600 + 80), "c").put("model", "m3").put("cost_usd", 0.5));

    List<SeriesPoint> hourly = queries.costSeries(Dimension.MODEL, Bucket.HOUR, t, t.plusSeconds(86_400), 2);

    assertThat(hourly).containsExactly(
        new SeriesPoint(t, "m1", 5.0),
        new SeriesPoint(t.plusSeconds(3600), "m1", 1.0),
        new SeriesPoint(t.plusSeconds(3600), "m2", 2.0),
        new SeriesPoint(t.plusSeconds(3600), RollupQueries.OTHER, 0.5));
    assertThat(queries.costSeries(Dimension.MODEL, Bucket.DAY, t, t.plusSeconds(86_400), 5))
        .extracting(SeriesPoint::bucket).containsOnly(t);
    assertThat(queries.costSeries(Dimension.USER, Bucket.HOUR, t, t.plusSeconds(86_400), 5))
        .as("users are rolled up per day").containsExactly(
            new SeriesPoint(t, "a", 6.0), new SeriesPoint(t, "b", 2.0), new SeriesPoint(t, "c", 0.5));
  }

  @Test
  void dayAlignedRangesReadTheDailyRollupWithTheSameNumbers() {
    Instant t = day(6);
    insert(server, event(t.plusSeconds(600), "a").put("cost_usd", 1.0).put("model", "m1"),
        event(t.plusSeconds(13 * 3600), "b").put("cost_usd", 2.0).put("model", "m2"),
        event(t.plusSeconds(86_400 + 60), "c").put("cost_usd", 4.0).put("model", "m1"));

    assertThat(queries.daily(t, t.plusSeconds(86_400), null)).isTrue();
    assertThat(queries.totals(t, t.plusSeconds(86_400), true).costUsd()).isCloseTo(3.0, within(1e-9));
    assertThat(queries.totals(t, t.plusSeconds(2 * 86_400), true).requests()).isEqualTo(3);
    assertThat(queries.groups(Dimension.MODEL, t, t.plusSeconds(2 * 86_400), 10, true)).extracting(Stats::key, Stats::costUsd)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("m1", 5.0), org.assertj.core.groups.Tuple.tuple("m2", 2.0));
    // a range that ends mid-day in the past must not count the rest of that day: hourly
    assertThat(queries.daily(t, t.plusSeconds(12 * 3600), null)).isFalse();
    assertThat(queries.totals(t, t.plusSeconds(12 * 3600), true).costUsd()).isCloseTo(1.0, within(1e-9));
    assertThat(queries.daily(t, t.plusSeconds(86_400), Bucket.HOUR)).isFalse();
  }

  @Test
  void latencyIsMergedOnlyWhenAskedFor() {
    Instant t = day(9);
    insert(server, event(t.plusSeconds(60), "a").put("duration_ms", 500).put("cost_usd", 1.0));
    assertThat(queries.totals(t, t.plusSeconds(86_400), true).p50Ms()).isEqualTo(500.0);
    Stats cheap = queries.totals(t, t.plusSeconds(86_400), false);
    assertThat(cheap.p50Ms()).isZero();
    assertThat(cheap.costUsd()).isEqualTo(1.0);
    assertThat(queries.groups(Dimension.USER, t, t.plusSeconds(86_400), 5, false)).extracting(Stats::key, Stats::p95Ms)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("a", 0.0));
  }

  @Test
  void anEmptyRangeHasZeroTotals() {
    Stats s = queries.totals(day(5), day(6), true);
    assertThat(s.requests()).isZero();
    assertThat(s.p95Ms()).isZero();
  }
}
