package io.gatehouse.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.ingest.consume.Backoff;
import io.gatehouse.schemas.EventJson;
import io.gatehouse.testsupport.clickhouse.ClickHouseServer;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A private ClickHouse server that the test stops and starts again under a running ingest. */
class ClickHouseOutageTest {
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  @TempDir static Path dir;
  static ClickHouseServer clickHouse;
  static KafkaBroker kafka;

  @BeforeAll
  static void infra() {
    clickHouse = ClickHouseServer.start(dir);
    kafka = KafkaBroker.shared();
  }

  @AfterAll
  static void stop() {
    clickHouse.close();
  }

  long rows(String feature) {
    return Long.parseLong(clickHouse.query("SELECT count() FROM gatehouse.events FINAL WHERE feature = '"
        + feature + "' FORMAT TabSeparated").strip());
  }

  static JsonNode lag(IngestService ingest) {
    try {
      return EventJson.mapper().readTree(IngestServiceTest.get(ingest.port()).body()).path("lag");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Most attempts {@link Backoff} allows in {@code window}: one at once, then after 250 ms, 500 ms,
   * … (doubling, capped); plus one for an attempt in flight at the end of the window.
   */
  static long maxAttempts(Duration window) {
    long attempts = 1;
    long at = 0;
    long wait = Backoff.FIRST.toMillis();
    while (at <= window.toMillis()) {
      attempts++;
      at += wait;
      wait = Math.min(wait * 2, Backoff.MAX.toMillis());
    }
    return attempts;
  }

  @Test
  void holdsOffsetsWhileClickHouseIsDownAndLosesNothing() throws Exception {
    String topic = TestEvents.unique("ingest-outage");
    String group = TestEvents.unique("group");
    String feature = TestEvents.unique("feature");
    kafka.createTopic(topic, 2);
    try (IngestService ingest = IngestService.start(TestEvents.env(kafka, clickHouse.httpUrl(), topic, group))) {
      TestEvents.produce(kafka, topic, TestEvents.events(feature, 50));
      Poll.until(DEADLINE, "first 50 rows committed", () -> TestEvents.committed(kafka, group, topic) == 50);
      assertThat(rows(feature)).isEqualTo(50);

      clickHouse.stop();
      long stoppedAt = System.nanoTime();
      long backoffsBefore = ingest.stats().clickHouseBackoffs();
      TestEvents.produce(kafka, topic, TestEvents.events(feature, 70));
      Poll.until(DEADLINE, "four failed attempts", () -> ingest.stats().clickHouseBackoffs() - backoffsBefore >= 4);
      assertThat(ingest.stats().insertFailing()).isTrue();
      assertThat(TestEvents.committed(kafka, group, topic)).as("no commit without an insert").isEqualTo(50);
      Poll.until(DEADLINE, "the 70 waiting records as lag", () -> lag(ingest).path("total").asLong() == 70,
          () -> IngestServiceTest.health(ingest));
      JsonNode health = EventJson.mapper().readTree(IngestServiceTest.get(ingest.port()).body());
      assertThat(health.get("clickhouse").asText()).isEqualTo("failing");
      assertThat(health.get("last_error").asText()).contains("ClickHouse");
      long perPartition = 0;
      for (JsonNode p : health.get("lag").get("partitions")) {
        perPartition += p.asLong();
      }
      assertThat(health.get("lag").get("partitions").size()).isEqualTo(2);
      assertThat(perPartition).isEqualTo(70);

      // no busy loop: the attempts made so far fit the backoff schedule for the time ClickHouse was down,
      // once per consumer loop (each holds a batch of its own partition and backs off on its own)
      Duration down = Duration.ofNanos(System.nanoTime() - stoppedAt);
      long attempts = ingest.stats().clickHouseBackoffs() - backoffsBefore;
      assertThat(attempts).as("failed attempts in %d ms", down.toMillis())
          .isBetween(4L, IngestConfig.DEFAULT_CONSUMERS * maxAttempts(down));
      assertThat(ingest.stats().insertFailures()).isLessThanOrEqualTo(attempts + 1);

      clickHouse.restart();
      Poll.until(DEADLINE, "all 120 rows and offsets",
          () -> TestEvents.committed(kafka, group, topic) == 120,
          () -> IngestServiceTest.health(ingest));
      assertThat(rows(feature)).isEqualTo(120);
      assertThat(ingest.stats().insertFailing()).isFalse();
      Poll.until(DEADLINE, "lag back to 0", () -> lag(ingest).path("total").asLong() == 0);
      assertThat(ingest.stats().alreadyStored()).as("no failed insert had reached ClickHouse").isZero();
    }
  }

  @Test
  void startsWhileClickHouseIsDownAndMigratesWhenItComesBack() throws Exception {
    String topic = TestEvents.unique("ingest-late-clickhouse");
    String group = TestEvents.unique("group");
    String feature = TestEvents.unique("feature");
    kafka.createTopic(topic, 1);
    TestEvents.produce(kafka, topic, TestEvents.events(feature, 5));
    clickHouse.stop();
    CompletableFuture<IngestService> starting = CompletableFuture.supplyAsync(
        () -> IngestService.start(TestEvents.env(kafka, clickHouse.httpUrl(), topic, group)));
    try {
      // start() blocks while it waits for ClickHouse; bring the server back and it completes
      assertThat(starting).isNotDone();
      clickHouse.restart();
      try (IngestService ingest = starting.get(DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
        Poll.until(DEADLINE, "5 rows committed", () -> TestEvents.committed(kafka, group, topic) == 5);
        assertThat(rows(feature)).isEqualTo(5);
      }
    } finally {
      if (!clickHouse.isRunning()) {
        clickHouse.restart();
      }
    }
  }
}
