package io.gatehouse.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.gatehouse.ingest.clickhouse.EventRow;
import io.gatehouse.ingest.clickhouse.EventsInserter;
import io.gatehouse.ingest.clickhouse.EventsInserter.InsertFailedException;
import io.gatehouse.ingest.clickhouse.Migrator;
import io.gatehouse.ingest.consume.LoopHooks;
import io.gatehouse.ingest.health.HealthEndpoint;
import io.gatehouse.schemas.EventJson;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.schemas.clickhouse.ClickHouseHttp;
import io.gatehouse.testsupport.clickhouse.ClickHouseServer;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Re-delivery of records ClickHouse already holds inserts nothing twice: counted without FINAL (before
 * any merge could hide a duplicate) and through the dashboards' real rollups (migration 0003:
 * {@code rollup_hourly}, {@code rollup_daily}, {@code rollup_daily_user}, AggregatingMergeTree tables
 * filled by materialized views on every insert), which no merge can undo. (Each test's events are
 * distinct, so "once per record" and "once per event" agree here.) Real Kafka and real ClickHouse,
 * migrated by ingest's own {@link Migrator}; the crash is injected between the insert and the commit.
 */
class ExactlyOnceTest {
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  static KafkaBroker kafka;
  static ClickHouseServer clickHouse;

  String topic;
  String group;
  String feature;

  @BeforeAll
  static void infra() {
    kafka = KafkaBroker.shared();
    clickHouse = ClickHouseServer.shared();
    new Migrator(new ClickHouseHttp(URI.create(clickHouse.httpUrl()), "default", "")).apply();
  }

  @BeforeEach
  void names() {
    topic = TestEvents.unique("ingest-eo");
    group = TestEvents.unique("group");
    feature = TestEvents.unique("feature");
  }

  @Test
  void crashAfterInsertBeforeCommitInsertsNothingTwiceOnRestart() throws Exception {
    kafka.createTopic(topic, 3);
    int n = 400;
    List<GatehouseEvent> events = TestEvents.events(feature, n);
    List<byte[]> values = new ArrayList<>();
    events.forEach(e -> values.add(EventJson.toBytes(e)));
    values.add(n / 2, "{\"not\": \"an event\"".getBytes(StandardCharsets.UTF_8)); // a gap in offsets
    TestEvents.produceRaw(kafka, topic, values);
    Map<String, String> env = TestEvents.env(kafka, clickHouse.httpUrl(), topic, group);
    // one loop, so that the crash stops all inserting and the counts before it are final
    env.put(IngestConfig.CONSUMERS, "1");

    AtomicInteger inserts = new AtomicInteger();
    LoopHooks crashOnSecondInsert = () -> {
      if (inserts.incrementAndGet() == 2) {
        throw new SimulatedCrash();
      }
    };
    long insertedBeforeCrash;
    long committedBeforeCrash;
    try (IngestService ingest = IngestService.start(env, crashOnSecondInsert)) {
      Poll.until(DEADLINE, "the loop to crash", () -> inserts.get() == 2 && health(ingest).contains("\"down\""));
      // the consumer is dead: neither live (a supervisor restarts it) nor ready
      assertThat(IngestServiceTest.get(ingest.port(), HealthEndpoint.LIVE).statusCode()).isEqualTo(503);
      assertThat(IngestServiceTest.get(ingest.port(), HealthEndpoint.READY).statusCode()).isEqualTo(503);
      insertedBeforeCrash = ingest.stats().insertedRows();
      committedBeforeCrash = TestEvents.committed(kafka, group, topic);
    }
    assertThat(insertedBeforeCrash).as("two batches inserted").isPositive();
    assertThat(committedBeforeCrash).as("the second batch's commit never happened")
        .isLessThan(insertedBeforeCrash);
    assertThat(rawCount()).isEqualTo(insertedBeforeCrash);

    try (IngestService ingest = IngestService.start(env)) {
      Poll.until(DEADLINE, "every record committed",
          () -> TestEvents.committed(kafka, group, topic) == n + 1, () -> health(ingest));
      assertThat(ingest.stats().alreadyStored()).as("records found in ClickHouse and skipped")
          .isPositive();
      assertThat(ingest.stats().insertedRows()).as("only what was not in ClickHouse")
          .isEqualTo(n - insertedBeforeCrash);
    }
    assertExactlyOnce(events);
  }

  @Test
  void anInsertWhoseAcknowledgementWasLostIsNotRepeated() {
    kafka.createTopic(topic, 2);
    int n = 300;
    List<GatehouseEvent> events = TestEvents.events(feature, n);
    TestEvents.produce(kafka, topic, events);
    AtomicInteger inserts = new AtomicInteger();
    LoopHooks loseFirstAck = () -> {
      if (inserts.incrementAndGet() == 1) {
        throw new InsertFailedException(false, "simulated: connection reset after the insert", null);
      }
    };
    try (IngestService ingest = IngestService.start(
        TestEvents.env(kafka, clickHouse.httpUrl(), topic, group), loseFirstAck)) {
      Poll.until(DEADLINE, "every record committed",
          () -> TestEvents.committed(kafka, group, topic) == n, () -> health(ingest));
      assertThat(inserts.get()).isGreaterThan(1);
      assertThat(ingest.stats().insertFailures()).isEqualTo(1);
      assertThat(ingest.stats().alreadyStored()).as("the first batch, found on retry").isPositive();
      assertThat(ingest.stats().insertedRows()).as("each row inserted once").isEqualTo(n);
    }
    assertExactlyOnce(events);
  }

  @Test
  void eventsClickHouseAlreadyHoldsAreLeftOut() throws Exception {
    kafka.createTopic(topic, 1);
    int n = 10;
    List<GatehouseEvent> events = TestEvents.events(feature, n);
    TestEvents.produce(kafka, topic, events);
    // what a crash in the middle of an insert spanning two table partitions can leave: some rows
    Set<Integer> held = Set.of(0, 1, 3, 4, 7);
    ByteArrayOutputStream rows = new ByteArrayOutputStream();
    try (JsonGenerator g = new JsonFactory().createGenerator(rows)) {
      for (int i : held) {
        EventRow.write(events.get(i), g);
        g.writeRaw('\n');
      }
    }
    try (EventsInserter inserter = new EventsInserter(URI.create(clickHouse.httpUrl()), "default", "")) {
      inserter.insert(rows.toByteArray(), 0, rows.size());
    }

    try (IngestService ingest = IngestService.start(TestEvents.env(kafka, clickHouse.httpUrl(), topic, group))) {
      Poll.until(DEADLINE, "every record committed",
          () -> TestEvents.committed(kafka, group, topic) == n, () -> health(ingest));
      assertThat(ingest.stats().alreadyStored()).isEqualTo(held.size());
      assertThat(ingest.stats().insertedRows()).isEqualTo(n - held.size());
    }
    assertExactlyOnce(events);
  }

  @Test
  void aMemberJoiningMidStreamTakesOverWithoutDuplicates() {
    kafka.createTopic(topic, 4);
    int n = 300;
    List<GatehouseEvent> first = TestEvents.events(feature, n);
    List<GatehouseEvent> second = TestEvents.events(feature, n);
    Map<String, String> env = TestEvents.env(kafka, clickHouse.httpUrl(), topic, group);
    try (IngestService a = IngestService.start(env)) {
      TestEvents.produce(kafka, topic, first);
      Poll.until(DEADLINE, "first half committed", () -> TestEvents.committed(kafka, group, topic) == n);
      try (IngestService b = IngestService.start(env)) {
        TestEvents.produce(kafka, topic, second);
        Poll.until(DEADLINE, "everything committed", () -> TestEvents.committed(kafka, group, topic) == 2L * n,
            () -> health(a) + " / " + health(b));
        Poll.until(DEADLINE, "both members own partitions",
            () -> a.stats().lag().size() + b.stats().lag().size() == 4 && !b.stats().lag().isEmpty(),
            () -> a.stats().lag() + " / " + b.stats().lag());
        assertThat(a.stats().insertedRows() + b.stats().insertedRows()).isEqualTo(2L * n);
      }
    }
    List<GatehouseEvent> all = new ArrayList<>(first);
    all.addAll(second);
    assertExactlyOnce(all);
  }

  /**
   * Raw count and distinct ids equal the events, without FINAL; and each real rollup, read the way the
   * dashboards read it (-Merge over all of its rows for this test's feature or users), counts every
   * event once and sums its tokens and cost exactly (the test's costs are exact in a double).
   */
  private void assertExactlyOnce(List<GatehouseEvent> events) {
    assertThat(rawCount()).as("rows without FINAL").isEqualTo(events.size());
    assertThat(number("SELECT uniqExact(event_id) FROM gatehouse.events WHERE feature = '" + feature + "'"))
        .isEqualTo(events.size());
    String expected = events.size() + "\t" + events.stream().mapToLong(GatehouseEvent::inputTokens).sum()
        + "\t" + events.stream().mapToLong(GatehouseEvent::outputTokens).sum()
        + "\t" + events.stream().mapToDouble(GatehouseEvent::costUsd).sum();
    String merged = "countMerge(requests), sumMerge(input_tokens), sumMerge(output_tokens), sumMerge(cost_usd)";
    assertThat(rollup("SELECT " + merged + " FROM gatehouse.rollup_hourly WHERE feature = '" + feature + "'"))
        .as("rollup_hourly: requests, input tokens, output tokens, cost").isEqualTo(expected);
    assertThat(rollup("SELECT " + merged + " FROM gatehouse.rollup_daily WHERE feature = '" + feature + "'"))
        .as("rollup_daily: requests, input tokens, output tokens, cost").isEqualTo(expected);
    assertThat(rollup("SELECT " + merged + " FROM gatehouse.rollup_daily_user WHERE user LIKE '" + feature + "-u%'"))
        .as("rollup_daily_user: requests, input tokens, output tokens, cost").isEqualTo(expected);
  }

  /** One row of count, two token sums and a cost, with the cost as Java prints it (exact here). */
  private static String rollup(String sql) {
    String[] row = clickHouse.query(sql + " FORMAT TabSeparated").strip().split("\t");
    assertThat(row).as(sql).hasSize(4);
    return row[0] + "\t" + row[1] + "\t" + row[2] + "\t" + Double.parseDouble(row[3]);
  }

  private long rawCount() {
    return number("SELECT count() FROM gatehouse.events WHERE feature = '" + feature + "'");
  }

  private static long number(String sql) {
    return Long.parseLong(clickHouse.query(sql + " FORMAT TabSeparated").strip());
  }

  private static String health(IngestService ingest) {
    return IngestServiceTest.health(ingest);
  }

  /** Thrown by the hook: the consumer thread dies between the insert and the commit. */
  static final class SimulatedCrash extends RuntimeException {
    SimulatedCrash() {
      super("simulated crash between insert and commit");
    }
  }
}
