package io.gatehouse.ui.requests;

import static io.gatehouse.ui.requests.TestEvents.event;
import static io.gatehouse.ui.requests.TestEvents.insert;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.testsupport.clickhouse.ClickHouseServer;
import io.gatehouse.schemas.clickhouse.ClickHouseHttp;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Against a real ClickHouse. Each test writes to its own day (see {@link #day(int)}) so that tests
 * never see each other's rows.
 */
class RequestQueriesTest {
  private static ClickHouseServer server;
  private static RequestQueries queries;

  @BeforeAll
  static void migrate() {
    server = TestEvents.migratedServer();
    queries = new RequestQueries(new ClickHouseHttp(URI.create(server.httpUrl()), "default", "", Duration.ofSeconds(10)));
  }

  /** Midnight UTC of a day reserved for one test. */
  private static Instant day(int n) {
    return Instant.parse("2025-01-01T00:00:00Z").plus(Duration.ofDays(n));
  }

  private static RequestFilter wholeDay(Instant day) {
    return new RequestFilter(day, day.plus(Duration.ofDays(1)), "");
  }

  @Test
  void countsOnlyRowsInsideTheWindowWithFromInclusiveAndToExclusive() {
    Instant from = day(1).plusSeconds(3600);
    Instant to = from.plusSeconds(600);
    insert(server, event(from.minusSeconds(1), "before"), event(from, "first"), event(to.minusSeconds(1), "last"),
        event(to, "after"));

    assertThat(queries.count(new RequestFilter(from, to, ""))).isEqualTo(2);
    assertThat(queries.page(new RequestFilter(from, to, ""), RequestSort.NEWEST_FIRST, 0, 10))
        .extracting(RequestRow::user).containsExactly("last", "first");
  }

  @Test
  void aPageReadThroughTheVolumeWindowIsTheSamePageAsAWholeRangeRead() {
    // 23 requests spread unevenly over 6 hours (one hour empty); every page, both ways, must match
    Instant t = day(2);
    int[] perHour = {4, 0, 7, 1, 6, 5};
    for (int h = 0; h < perHour.length; h++) {
      for (int i = 0; i < perHour[h]; i++) {
        insert(server, event(t.plusSeconds(h * 3600L + i * 97L), "h" + h + "-" + i));
      }
    }
    RequestFilter f = new RequestFilter(t.plusSeconds(1800), t.plusSeconds(6 * 3600), "");
    List<VolumeBucket> volume = queries.volume(f, BucketSize.HOUR);
    assertThat(volume.stream().mapToLong(VolumeBucket::requests).sum()).isEqualTo(queries.count(f));

    for (RequestSort sort : List.of(RequestSort.NEWEST_FIRST, new RequestSort(RequestSort.Column.TIME, false))) {
      for (int offset = 0; offset <= 22; offset += 3) {
        assertThat(queries.page(f, sort, offset, 5, volume, BucketSize.HOUR))
            .as("%s offset %d", sort, offset)
            .isEqualTo(queries.page(f, sort, offset, 5));
      }
      assertThat(queries.page(f, sort, 40, 5, volume, BucketSize.HOUR)).isEmpty();
    }
  }

  @Test
  void pagesWithOffsetAndLimitNewestFirst() {
    Instant t = day(3);
    for (int i = 0; i < 5; i++) {
      insert(server, event(t.plusSeconds(i * 10L), "u" + i));
    }
    RequestFilter f = wholeDay(t);

    assertThat(queries.page(f, RequestSort.NEWEST_FIRST, 0, 2)).extracting(RequestRow::user).containsExactly("u4", "u3");
    assertThat(queries.page(f, RequestSort.NEWEST_FIRST, 2, 2)).extracting(RequestRow::user).containsExactly("u2", "u1");
    assertThat(queries.page(f, RequestSort.NEWEST_FIRST, 4, 2)).extracting(RequestRow::user).containsExactly("u0");
    assertThat(queries.page(f, new RequestSort(RequestSort.Column.TIME, false), 0, 2))
        .extracting(RequestRow::user).containsExactly("u0", "u1");
    assertThat(queries.page(f, RequestSort.NEWEST_FIRST, 0, 0)).isEmpty();
  }

  @Test
  void sortsByEachSortableColumnWithUnknownValuesLast() {
    Instant t = day(4);
    ObjectNode fast = event(t.plusSeconds(1), "fast").put("duration_ms", 100).put("stream", 1).put("ttft_ms", 40)
        .put("input_tokens", 5).put("output_tokens", 500).put("cost_usd", 0.5);
    ObjectNode slow = event(t.plusSeconds(2), "slow").put("duration_ms", 9000).put("stream", 1).put("ttft_ms", 800)
        .put("input_tokens", 900).put("output_tokens", 7).put("cost_usd", 0.01);
    ObjectNode failed = event(t.plusSeconds(3), "failed").put("duration_ms", 3000).put("status", 502)
        .putNull("input_tokens").putNull("output_tokens").putNull("cost_usd");
    insert(server, fast, slow, failed);
    RequestFilter f = wholeDay(t);

    assertThat(users(f, RequestSort.Column.DURATION, true)).containsExactly("slow", "failed", "fast");
    assertThat(users(f, RequestSort.Column.DURATION, false)).containsExactly("fast", "failed", "slow");
    assertThat(users(f, RequestSort.Column.TTFT, false)).containsExactly("fast", "slow", "failed");
    assertThat(users(f, RequestSort.Column.TTFT, true)).containsExactly("slow", "fast", "failed");
    assertThat(users(f, RequestSort.Column.INPUT_TOKENS, true)).containsExactly("slow", "fast", "failed");
    assertThat(users(f, RequestSort.Column.OUTPUT_TOKENS, true)).containsExactly("fast", "slow", "failed");
    assertThat(users(f, RequestSort.Column.COST, false)).containsExactly("slow", "fast", "failed");
    assertThat(users(f, RequestSort.Column.COST, true)).containsExactly("fast", "slow", "failed");
  }

  private static List<String> users(RequestFilter f, RequestSort.Column column, boolean descending) {
    return queries.page(f, new RequestSort(column, descending), 0, 10).stream().map(RequestRow::user).toList();
  }

  @Test
  void readsEveryFieldTheListShows() {
    Instant t = day(5).plusSeconds(7 * 3600 + 5);
    String id = UUID.randomUUID().toString();
    insert(server, event(t, "ana").put("event_id", id).put("stream", 1).put("ttft_ms", 180)
            .put("model", "claude-3-5-haiku").put("provider", "anthropic").put("cost_usd", 1.25)
            .put("input_tokens", 1234).put("output_tokens", 56).put("duration_ms", 2345),
        event(t.plusSeconds(1), "bob").put("status", 200).put("error_class", "stream_cut")
            .put("error_message", "x".repeat(1000)).putNull("cost_usd").putNull("input_tokens"));

    List<RequestRow> rows = queries.page(wholeDay(day(5)), new RequestSort(RequestSort.Column.TIME, false), 0, 10);

    assertThat(rows.get(0)).isEqualTo(new RequestRow(id, t, "ana", "search", "summarize", "claude-3-5-haiku",
        "anthropic", 1234L, 56L, 1.25, 2345, 180L, true, 200, "", ""));
    RequestRow cut = rows.get(1);
    assertThat(cut.isError()).isTrue();
    assertThat(cut.costUsd()).isNull();
    assertThat(cut.inputTokens()).isNull();
    assertThat(cut.ttftMs()).isNull();
    assertThat(cut.errorMessage()).hasSize(300);
    assertThat(rows.get(0).isError()).isFalse();
  }

  @Test
  void hourlyBucketsCoverTheWholeRangeAndCountErrorsSeparately() {
    Instant t = day(6).plusSeconds(10 * 3600);
    insert(server,
        event(t.plusSeconds(5), "a"), event(t.plusSeconds(3599), "b"),
        event(t.plusSeconds(60), "c").put("status", 429),
        event(t.plusSeconds(2 * 3600 + 1), "d").put("error_class", "stream_cut"));
    RequestFilter f = new RequestFilter(t.minusSeconds(1800), t.plusSeconds(3 * 3600 - 1), "");

    assertThat(queries.volume(f, BucketSize.HOUR)).containsExactly(
        new VolumeBucket(t.minusSeconds(3600), 0, 0),
        new VolumeBucket(t, 3, 1),
        new VolumeBucket(t.plusSeconds(3600), 0, 0),
        new VolumeBucket(t.plusSeconds(2 * 3600), 1, 1));
  }

  @Test
  void fiveMinuteBucketsForShortRanges() {
    Instant t = day(7).plusSeconds(3600);
    insert(server, event(t.plusSeconds(299), "a"), event(t.plusSeconds(300), "b"), event(t.plusSeconds(301), "c"));
    RequestFilter f = new RequestFilter(t, t.plusSeconds(15 * 60), "");

    assertThat(queries.volume(f, BucketSize.FIVE_MINUTES)).extracting(VolumeBucket::requests).containsExactly(1L, 2L, 0L);
  }

  @Test
  void searchMatchesUserTeamFeatureModelOrProviderIgnoringCase() {
    Instant t = day(8);
    insert(server, event(t, "Alice").put("feature", "checkout-assistant"), event(t.plusSeconds(1), "bob")
        .put("model", "Claude-Sonnet").put("provider", "anthropic"));
    Instant to = t.plus(Duration.ofDays(1));

    assertThat(queries.count(new RequestFilter(t, to, "alice"))).isEqualTo(1);
    assertThat(queries.count(new RequestFilter(t, to, "CHECKOUT"))).isEqualTo(1);
    assertThat(queries.count(new RequestFilter(t, to, "sonnet"))).isEqualTo(1);
    assertThat(queries.count(new RequestFilter(t, to, "search"))).isEqualTo(2); // both rows' team
    assertThat(queries.count(new RequestFilter(t, to, "nobody"))).isZero();
  }

  @Test
  void hostileSearchStringsAreMatchedLiterally() {
    Instant t = day(9);
    String injection = "x') OR 1=1 OR ('";
    String dropTable = "'; DROP TABLE gatehouse.events; --";
    insert(server, event(t, "O'Brien"), event(t.plusSeconds(1), "back\\slash"), event(t.plusSeconds(2), injection),
        event(t.plusSeconds(3), dropTable), event(t.plusSeconds(4), "100%_sure"), event(t.plusSeconds(5), "plain"));
    Instant to = t.plus(Duration.ofDays(1));

    for (String user : List.of("O'Brien", "back\\slash", injection, dropTable, "100%_sure")) {
      RequestFilter f = new RequestFilter(t, to, user);
      assertThat(queries.count(f)).as(user).isEqualTo(1);
      assertThat(queries.page(f, RequestSort.NEWEST_FIRST, 0, 10)).extracting(RequestRow::user).containsExactly(user);
      assertThat(queries.volume(f, BucketSize.HOUR).stream().mapToLong(VolumeBucket::requests).sum()).isEqualTo(1);
    }
    assertThat(queries.count(new RequestFilter(t, to, "%"))).isEqualTo(1);
    assertThat(queries.count(new RequestFilter(t, to, "\\"))).isEqualTo(1);
    assertThat(queries.count(wholeDay(t))).isEqualTo(6);
  }

  @Test
  void latencySearchCriteriaEachNarrowTheResults() {
    Instant t = day(10);
    ObjectNode slow = event(t, "slow").put("duration_ms", 9000).put("stream", 1).put("ttft_ms", 2500).put("cost_usd", 0.5)
        .put("model", "gpt-4o").put("provider", "openai").put("feature", "chat").put("cache_result", "miss")
        .put("prompt", "[{\"role\":\"user\",\"content\":\"Explain Quaternions please\"}]").put("completion", "Sure.");
    ObjectNode failed = event(t.plusSeconds(1), "failed").put("status", 502).put("error_class", "transient")
        .put("provider", "anthropic").put("cache_result", "miss").put("completion", "");
    failed.putArray("attempts.provider").add("anthropic").add("openai");
    failed.putArray("attempts.deployment").add("a#0").add("o#0");
    failed.putArray("attempts.model").add("claude").add("gpt-4o-mini");
    failed.putArray("attempts.status").add(429).add(502);
    failed.putArray("attempts.failure_class").add("rate_limit").add("transient");
    failed.putArray("attempts.duration_ms").add(10).add(20);
    ObjectNode cached = event(t.plusSeconds(2), "cached").put("cache_result", "exact").put("cost_usd", 0.0)
        .put("completion", "a QUATERNION answer");
    insert(server, slow, failed, cached);
    Instant to = t.plus(Duration.ofDays(1));

    assertThat(users(t, to, c -> c.model("gpt-4o"))).containsExactly("slow");
    assertThat(users(t, to, c -> c.provider("anthropic"))).containsExactly("failed");
    assertThat(users(t, to, c -> c.user("cached"))).containsExactly("cached");
    assertThat(users(t, to, c -> c.feature("chat"))).containsExactly("slow");
    assertThat(users(t, to, c -> c.status("error"))).containsExactly("failed");
    assertThat(users(t, to, c -> c.status("ok"))).containsExactly("cached", "slow");
    assertThat(users(t, to, c -> c.failure("rate_limit"))).as("an attempt's failure class").containsExactly("failed");
    assertThat(users(t, to, c -> c.latency(5000L))).containsExactly("slow");
    assertThat(users(t, to, c -> c.ttft(1000L))).containsExactly("slow");
    assertThat(users(t, to, c -> c.cost(0.1))).containsExactly("slow");
    assertThat(users(t, to, c -> c.cache("exact"))).containsExactly("cached");
    assertThat(users(t, to, c -> c.text("quaternion"))).containsExactly("cached", "slow");
    assertThat(users(t, to, c -> c.text("') OR 1=1 --"))).isEmpty();
    // the text condition moves to WHERE next to a narrowing filter and stays in PREWHERE otherwise
    assertThat(users(t, to, c -> c.text("quaternion").model("gpt-4o"))).containsExactly("slow");
    assertThat(users(t, to, c -> c.text("quaternion").cache("exact"))).containsExactly("cached");
    assertThat(users(t, to, c -> c.text("quaternion").status("ok"))).containsExactly("cached", "slow");
    assertThat(users(t, to, c -> c.text("quaternion").cache("miss"))).containsExactly("slow");
    assertThat(users(t, to, c -> c.text("quaternion").status("error"))).isEmpty();
  }

  @Test
  void aRefreshThatReadsOnlyTheEndsOfTheRangeCountsWhatAFullReadCounts() {
    Instant t = day(12);
    List<ObjectNode> rows = new java.util.ArrayList<>();
    for (int i = 0; i < 60; i++) { // one every 6 minutes over 6 hours, every third one mentions the needle
      rows.add(event(t.plusSeconds(i * 360L + 17), "r" + i).put("completion", i % 3 == 0 ? "a Needle here" : "hay"));
    }
    insert(server, rows.toArray(ObjectNode[]::new));
    RequestFilter before = new RequestFilter(t.plusSeconds(1800), t.plusSeconds(4 * 3600 + 600), "", needle());
    List<VolumeBucket> previous = queries.volume(before, BucketSize.HOUR);
    insert(server, event(t.plusSeconds(4 * 3600 + 900), "new").put("prompt", "needle"));
    RequestFilter after = new RequestFilter(t.plusSeconds(2400), t.plusSeconds(5 * 3600), "", needle());
    Instant settled = before.to().minus(Duration.ofMinutes(10));

    List<VolumeBucket> refreshed = queries.volume(after, BucketSize.HOUR, previous, settled);

    assertThat(refreshed).isEqualTo(queries.volume(after, BucketSize.HOUR));
    assertThat(refreshed.get(0).requests()).as("the first bucket lost the rows before the new start").isEqualTo(1);
    assertThat(refreshed.get(4).requests()).as("the new row").isEqualTo(4);
    // the buckets in between come from the previous read: a row that arrives late for them shows only
    // at the next full read (the documented trade-off)
    insert(server, event(t.plusSeconds(2 * 3600 + 5), "late").put("prompt", "needle"));
    assertThat(queries.volume(after, BucketSize.HOUR, previous, settled)).isEqualTo(refreshed);
    assertThat(queries.volume(after, BucketSize.HOUR).get(2).requests()).isEqualTo(refreshed.get(2).requests() + 1);
    // a previous read that lacks the buckets in between is not used
    assertThat(queries.volume(after, BucketSize.HOUR, List.of(), settled)).isEqualTo(queries.volume(after, BucketSize.HOUR));
  }

  private static RequestCriteria needle() {
    return new RequestCriteria("", "", "", "", "", "", null, null, null, "", "needle");
  }

  @Test
  void criteriaRoundTripThroughTheUrl() {
    RequestCriteria c = new RequestCriteria("gpt-4o", "", "ana", "", "error", "timeout", 1500L, null, 0.25, "exact", "refund");
    assertThat(c.toParams()).containsExactly(java.util.Map.entry("model", "gpt-4o"), java.util.Map.entry("user", "ana"),
        java.util.Map.entry("status", "error"), java.util.Map.entry("failure", "timeout"),
        java.util.Map.entry("latency_ge", "1500"), java.util.Map.entry("cost_ge", "0.25"),
        java.util.Map.entry("cache", "exact"), java.util.Map.entry("q", "refund"));
    java.util.Map<String, List<String>> params = new java.util.HashMap<>();
    c.toParams().forEach((k, v) -> params.put(k, List.of(v)));
    assertThat(RequestCriteria.fromParams(params)).isEqualTo(c);
    params.put("latency_ge", List.of("-5"));
    params.put("status", List.of("weird"));
    assertThat(RequestCriteria.fromParams(params).minLatencyMs()).isNull();
    assertThat(RequestCriteria.fromParams(params).status()).isEmpty();
  }

  @Test
  void detailReadsTheWholeRowOfOneRequest() {
    Instant t = day(11).plusSeconds(42);
    String id = UUID.randomUUID().toString();
    ObjectNode e = event(t, "ana").put("event_id", id).put("prompt", "[{\"role\":\"user\",\"content\":\"Hi\"}]")
        .put("completion", "Hello!");
    e.putArray("attempts.provider").add("openai");
    e.putArray("attempts.deployment").add("o#0");
    e.putArray("attempts.model").add("gpt-4o-mini");
    e.putArray("attempts.status").add(200);
    e.putArray("attempts.failure_class").add("");
    e.putArray("attempts.duration_ms").add(400);
    insert(server, e);
    insert(server, e);

    var row = queries.detail(id, t.getEpochSecond()).orElseThrow();
    assertThat(row.get("user").asText()).isEqualTo("ana");
    assertThat(row.get("completion").asText()).isEqualTo("Hello!");
    assertThat(row.get("attempts.status").get(0).asInt()).isEqualTo(200);
    assertThat(RequestDetailView.attemptsOf(row)).containsExactly(
        new RequestDetailView.Attempt(1, "openai", "o#0", "gpt-4o-mini", 200, "", 400));
    assertThat(queries.detail(id, null)).isPresent();
    assertThat(queries.detail(id, t.getEpochSecond() + 1)).isEmpty();
    assertThat(queries.detail(UUID.randomUUID().toString(), null)).isEmpty();
    assertThat(queries.detail("not-a-uuid' OR 1=1", null)).isEmpty();
  }

  /** Builds criteria fluently for the test above. */
  private record C(RequestCriteria c) {
    C model(String v) { return new C(new RequestCriteria(v, c.provider(), c.user(), c.feature(), c.status(), c.failureClass(), c.minLatencyMs(), c.minTtftMs(), c.minCostUsd(), c.cacheResult(), c.text())); }
    C provider(String v) { return new C(new RequestCriteria(c.model(), v, c.user(), c.feature(), c.status(), c.failureClass(), c.minLatencyMs(), c.minTtftMs(), c.minCostUsd(), c.cacheResult(), c.text())); }
    C user(String v) { return new C(new RequestCriteria(c.model(), c.provider(), v, c.feature(), c.status(), c.failureClass(), c.minLatencyMs(), c.minTtftMs(), c.minCostUsd(), c.cacheResult(), c.text())); }
    C feature(String v) { return new C(new RequestCriteria(c.model(), c.provider(), c.user(), v, c.status(), c.failureClass(), c.minLatencyMs(), c.minTtftMs(), c.minCostUsd(), c.cacheResult(), c.text())); }
    C status(String v) { return new C(new RequestCriteria(c.model(), c.provider(), c.user(), c.feature(), v, c.failureClass(), c.minLatencyMs(), c.minTtftMs(), c.minCostUsd(), c.cacheResult(), c.text())); }
    C failure(String v) { return new C(new RequestCriteria(c.model(), c.provider(), c.user(), c.feature(), c.status(), v, c.minLatencyMs(), c.minTtftMs(), c.minCostUsd(), c.cacheResult(), c.text())); }
    C latency(Long v) { return new C(new RequestCriteria(c.model(), c.provider(), c.user(), c.feature(), c.status(), c.failureClass(), v, c.minTtftMs(), c.minCostUsd(), c.cacheResult(), c.text())); }
    C ttft(Long v) { return new C(new RequestCriteria(c.model(), c.provider(), c.user(), c.feature(), c.status(), c.failureClass(), c.minLatencyMs(), v, c.minCostUsd(), c.cacheResult(), c.text())); }
    C cost(Double v) { return new C(new RequestCriteria(c.model(), c.provider(), c.user(), c.feature(), c.status(), c.failureClass(), c.minLatencyMs(), c.minTtftMs(), v, c.cacheResult(), c.text())); }
    C cache(String v) { return new C(new RequestCriteria(c.model(), c.provider(), c.user(), c.feature(), c.status(), c.failureClass(), c.minLatencyMs(), c.minTtftMs(), c.minCostUsd(), v, c.text())); }
    C text(String v) { return new C(new RequestCriteria(c.model(), c.provider(), c.user(), c.feature(), c.status(), c.failureClass(), c.minLatencyMs(), c.minTtftMs(), c.minCostUsd(), c.cacheResult(), v)); }
  }

  private static List<String> users(Instant from, Instant to, java.util.function.UnaryOperator<C> criteria) {
    RequestFilter f = new RequestFilter(from, to, "", criteria.apply(new C(RequestCriteria.ANY)).c());
    assertThat(queries.count(f)).isEqualTo(queries.page(f, RequestSort.NEWEST_FIRST, 0, 100).size());
    assertThat(queries.volume(f, BucketSize.HOUR).stream().mapToLong(VolumeBucket::requests).sum()).isEqualTo(queries.count(f));
    return queries.page(f, new RequestSort(RequestSort.Column.TIME, false), 0, 100).stream()
        .map(RequestRow::user).sorted().toList();
  }
}
