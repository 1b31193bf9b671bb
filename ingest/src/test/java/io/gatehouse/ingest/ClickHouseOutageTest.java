package io.gatehouse.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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
      TestEvents.produce(kafka, topic, TestEvents.events(feature, 70));
      Poll.until(DEADLINE, "insert failures", () -> ingest.stats().insertFailures() >= 2);
      assertThat(ingest.stats().insertFailing()).isTrue();
      assertThat(TestEvents.committed(kafka, group, topic)).as("no commit without an insert").isEqualTo(50);
      JsonNode health = EventJson.mapper().readTree(IngestServiceTest.get(ingest.port()).body());
      assertThat(health.get("clickhouse").asText()).isEqualTo("failing");
      assertThat(health.get("last_error").asText()).contains("ClickHouse");

      clickHouse.restart();
      Poll.until(DEADLINE, "all 120 rows and offsets",
          () -> TestEvents.committed(kafka, group, topic) == 120,
          () -> IngestServiceTest.health(ingest));
      assertThat(rows(feature)).isEqualTo(120);
      assertThat(ingest.stats().insertFailing()).isFalse();
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
