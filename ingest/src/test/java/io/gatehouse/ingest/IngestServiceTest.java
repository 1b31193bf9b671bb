package io.gatehouse.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.ingest.health.HealthEndpoint;
import io.gatehouse.schemas.EventIds;
import io.gatehouse.schemas.EventJson;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.testsupport.clickhouse.ClickHouseServer;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Real Kafka (in-JVM KRaft broker) and real ClickHouse, shared by the tests; data kept apart by feature. */
class IngestServiceTest {
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  static KafkaBroker kafka;
  static ClickHouseServer clickHouse;

  @BeforeAll
  static void infra() {
    kafka = KafkaBroker.shared();
    clickHouse = ClickHouseServer.shared();
  }

  static long rows(String sql) {
    try {
      return Long.parseLong(clickHouse.query(sql + " FORMAT TabSeparated").strip());
    } catch (IllegalStateException e) {
      return -1; // table not there yet
    }
  }

  @Test
  void everyProducedEventBecomesOneRowAndOffsetsAreCommitted() throws Exception {
    String topic = TestEvents.unique("ingest-e2e");
    String group = TestEvents.unique("group");
    String feature = TestEvents.unique("feature");
    kafka.createTopic(topic, 3);
    int n = 1_000;
    try (IngestService ingest = IngestService.start(TestEvents.env(kafka, clickHouse.httpUrl(), topic, group))) {
      TestEvents.produce(kafka, topic, TestEvents.events(feature, n));

      Poll.until(DEADLINE, n + " rows",
          () -> rows("SELECT count() FROM gatehouse.events FINAL WHERE feature = '" + feature + "'") == n,
          () -> "stats " + health(ingest));
      Poll.until(DEADLINE, "offsets committed", () -> TestEvents.committed(kafka, group, topic) == n);
      assertThat(rows("SELECT sum(input_tokens) FROM gatehouse.events FINAL WHERE feature = '"
          + feature + "'")).isEqualTo(10L * n + (long) n * (n - 1) / 2);

      assertThat(get(ingest.port(), HealthEndpoint.LIVE).statusCode()).isEqualTo(200);
      HttpResponse<String> ready = get(ingest.port(), HealthEndpoint.READY);
      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(ready.body()).isEqualTo("{\"status\":\"ready\"}");
      HttpResponse<String> response = get(ingest.port());
      assertThat(response.statusCode()).isEqualTo(200);
      JsonNode health = EventJson.mapper().readTree(response.body());
      assertThat(health.get("status").asText()).isEqualTo("ok");
      assertThat(health.get("clickhouse").asText()).isEqualTo("ok");
      assertThat(health.get("consumed").asLong()).isEqualTo(n);
      assertThat(health.get("inserted_rows").asLong()).isEqualTo(n);
      assertThat(health.get("insert_failures").asLong()).isZero();
      assertThat(health.get("last_insert").asText()).isNotEmpty();

      HttpResponse<String> scraped = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + ingest.port() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(scraped.statusCode()).isEqualTo(200);
      String metrics = scraped.body();
      assertThat(metric(metrics, "gatehouse_ingest_inserted_rows_total")).isEqualTo(n);
      assertThat(metric(metrics, "gatehouse_ingest_consumed_total")).isEqualTo(n);
      assertThat(metric(metrics, "gatehouse_ingest_batch_size_rows_sum")).isEqualTo(n);
      assertThat(metric(metrics, "gatehouse_ingest_batch_size_rows_count")).isPositive()
          .isEqualTo(health.get("insert_batches").asLong());
      assertThat(metric(metrics, "gatehouse_ingest_insert_latency_seconds_count"))
          .isEqualTo(health.get("insert_batches").asLong());
      assertThat(metric(metrics, "gatehouse_ingest_insert_failures_total")).isZero();
      assertThat(metrics).contains("gatehouse_ingest_lag{service=\"gatehouse-ingest\"}")
          .contains("gatehouse_ingest_partition_lag{partition=\"" + topic + "-0\"");
    }
  }

  /** The value of a series of {@code name} (labels besides service ignored). */
  private static double metric(String scrape, String name) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + java.util.regex.Pattern.quote(name)
        + "\\{service=\"gatehouse-ingest\"\\} (\\S+)$").matcher(scrape);
    if (!m.find()) {
      throw new AssertionError(name + " is not in:\n" + scrape);
    }
    return Double.parseDouble(m.group(1));
  }

  @Test
  void closeInsertsAndCommitsTheBatchInHand() {
    String topic = TestEvents.unique("ingest-close");
    String group = TestEvents.unique("group");
    String feature = TestEvents.unique("feature");
    kafka.createTopic(topic, 1);
    Map<String, String> env = TestEvents.env(kafka, clickHouse.httpUrl(), topic, group);
    env.put(IngestConfig.FLUSH_MS, "600000"); // the batch would wait 10 minutes on its own
    env.put(IngestConfig.BATCH_MAX, "10000");
    int n = 30;
    try (IngestService ingest = IngestService.start(env)) {
      TestEvents.produce(kafka, topic, TestEvents.events(feature, n));
      Poll.until(DEADLINE, "records in the pending batch", () -> ingest.stats().pendingRows() == n);
      assertThat(TestEvents.committed(kafka, group, topic)).isZero();
    }
    assertThat(rows("SELECT count() FROM gatehouse.events FINAL WHERE feature = '" + feature + "'"))
        .isEqualTo(n);
    assertThat(TestEvents.committed(kafka, group, topic)).isEqualTo(n);
  }

  @Test
  void reDeliveredEventsDoNotShowUpTwice() {
    String topic = TestEvents.unique("ingest-redelivery");
    String group = TestEvents.unique("group");
    String feature = TestEvents.unique("feature");
    kafka.createTopic(topic, 2);
    int n = 200;
    List<GatehouseEvent> events = TestEvents.events(feature, n);
    // the same events twice on the topic: what a producer retry or a spool replay looks like
    TestEvents.produce(kafka, topic, events);
    TestEvents.produce(kafka, topic, events);
    Map<String, String> env = TestEvents.env(kafka, clickHouse.httpUrl(), topic, group);
    String distinct = "SELECT uniqExact(event_id) FROM gatehouse.events WHERE feature = '" + feature + "'";
    String finalCount = "SELECT count() FROM gatehouse.events FINAL WHERE feature = '" + feature + "'";
    String rawCount = "SELECT count() FROM gatehouse.events WHERE feature = '" + feature + "'";

    try (IngestService ingest = IngestService.start(env)) {
      Poll.until(DEADLINE, "all records committed", () -> TestEvents.committed(kafka, group, topic) == 2L * n,
          () -> TestEvents.committedByPartition(kafka, group, topic) + " " + health(ingest));
      assertThat(ingest.stats().insertedRows()).as("each event once").isEqualTo(n);
      assertThat(ingest.stats().alreadyStored()).as("the second copies, left out").isEqualTo(n);
    }
    assertThat(rows(distinct)).isEqualTo(n);
    assertThat(rows(finalCount)).isEqualTo(n);
    assertThat(rows(rawCount)).as("without FINAL: no duplicate to merge away").isEqualTo(n);

    // a consumer that died after inserting but before committing: the group restarts from offset 0
    rewind(group, topic);
    assertThat(TestEvents.committed(kafka, group, topic)).isZero();
    try (IngestService ingest = IngestService.start(env)) {
      Poll.until(DEADLINE, "all records committed again",
          () -> TestEvents.committed(kafka, group, topic) == 2L * n,
          () -> TestEvents.committedByPartition(kafka, group, topic) + " " + health(ingest));
      assertThat(ingest.stats().alreadyStored()).as("found in ClickHouse, left out").isEqualTo(2L * n);
      assertThat(ingest.stats().insertedRows()).as("nothing was inserted a second time").isZero();
    }
    assertThat(rows(distinct)).isEqualTo(n);
    assertThat(rows(rawCount)).isEqualTo(n);
  }

  @Test
  void poisonRecordsAreSkippedCountedAndDeadLettered() throws Exception {
    String topic = TestEvents.unique("ingest-poison");
    String group = TestEvents.unique("group");
    String feature = TestEvents.unique("feature");
    kafka.createTopic(topic, 1);
    kafka.createTopic(topic + ".dlq", 1);
    List<byte[]> values = new ArrayList<>();
    List<GatehouseEvent> good = TestEvents.events(feature, 10);
    values.add("this is not json".getBytes(StandardCharsets.UTF_8));
    for (int i = 0; i < 5; i++) {
      values.add(EventJson.toBytes(good.get(i)));
    }
    values.add("{\"event_id\":\"nope\",\"ts_start_ms\":1}".getBytes(StandardCharsets.UTF_8));
    values.add(EventJson.toBytes(GatehouseEvent.builder().tsStartMs(1).status(-3).feature(feature).build()));
    for (int i = 5; i < 10; i++) {
      values.add(EventJson.toBytes(good.get(i)));
    }
    TestEvents.produceRaw(kafka, topic, values);

    try (IngestService ingest = IngestService.start(TestEvents.env(kafka, clickHouse.httpUrl(), topic, group))) {
      Poll.until(DEADLINE, "good rows and all offsets",
          () -> rows("SELECT count() FROM gatehouse.events FINAL WHERE feature = '" + feature + "'") == 10
              && TestEvents.committed(kafka, group, topic) == values.size(),
          () -> health(ingest));
      assertThat(ingest.stats().poison()).isEqualTo(3);
      Poll.until(DEADLINE, "dead letters acknowledged", () -> ingest.stats().deadLettered() == 3);
    }
    assertThat(IngestConfig.fromEnv(Map.of()).dlqTopic()).as("the default dead-letter topic")
        .isEqualTo("gatehouse.events.v1.dlq");
    List<ConsumerRecord<byte[], byte[]>> dead = readAll(topic + ".dlq", 3);
    assertThat(dead).hasSize(3);
    // the original bytes, and where they came from, for each poison record in order
    int[] poisonAt = {0, 6, 7};
    for (int i = 0; i < 3; i++) {
      assertThat(dead.get(i).value()).isEqualTo(values.get(poisonAt[i]));
      assertThat(new String(dead.get(i).headers().lastHeader("gatehouse.source").value(), StandardCharsets.UTF_8))
          .isEqualTo(topic + "-0@" + poisonAt[i]);
    }
    assertThat(new String(dead.get(0).headers().lastHeader("gatehouse.error").value(), StandardCharsets.UTF_8))
        .contains("not a valid event v1");
    assertThat(new String(dead.get(1).headers().lastHeader("gatehouse.error").value(), StandardCharsets.UTF_8))
        .contains("event_id is not a UUID");
    assertThat(new String(dead.get(2).headers().lastHeader("gatehouse.error").value(), StandardCharsets.UTF_8))
        .contains("status");
  }

  @Test
  void unknownFieldsAreIgnoredAndMissingOnesDefaulted() throws Exception {
    String topic = TestEvents.unique("ingest-evolution");
    String group = TestEvents.unique("group");
    String feature = TestEvents.unique("feature");
    kafka.createTopic(topic, 1);
    GatehouseEvent full = TestEvents.events(feature, 1).get(0);
    ObjectNode newer = (ObjectNode) EventJson.mapper().readTree(EventJson.toBytes(full));
    newer.put("schema_version", 2);
    newer.putObject("added_in_a_later_version").put("nested", true).putArray("list").add(1);
    newer.put("another_new_field", "ignored");
    String oldId = EventIds.next();
    // only what the schema requires (plus the feature this test filters on): nothing optional
    String older = "{\"event_id\":\"" + oldId + "\",\"schema_version\":1,\"source\":\"log_api\","
        + "\"ts_start_ms\":" + full.tsStartMs() + ",\"ts_end_ms\":" + (full.tsStartMs() + 7)
        + ",\"duration_ms\":7,\"endpoint\":\"/v1/chat/completions\",\"model_requested\":\"m\","
        + "\"stream\":false,\"status\":200,\"fallback_used\":false,\"feature\":\"" + feature + "\"}";
    TestEvents.produceRaw(kafka, topic, List.of(EventJson.mapper().writeValueAsBytes(newer),
        older.getBytes(StandardCharsets.UTF_8)));

    try (IngestService ingest = IngestService.start(TestEvents.env(kafka, clickHouse.httpUrl(), topic, group))) {
      Poll.until(DEADLINE, "both records committed", () -> TestEvents.committed(kafka, group, topic) == 2,
          () -> health(ingest));
      assertThat(ingest.stats().poison()).isZero();
    }
    String body = clickHouse.query("SELECT event_id, schema_version, input_tokens, model, provider, "
        + "isNull(cost_usd) AS cost_null, length(tags.key) AS tags, length(attempts.provider) AS attempts "
        + "FROM gatehouse.events WHERE feature = '" + feature + "' ORDER BY schema_version DESC"
        + " FORMAT JSONEachRow");
    String[] lines = body.strip().split("\n");
    assertThat(lines).hasSize(2);
    JsonNode first = EventJson.mapper().readTree(lines[0]);
    assertThat(first.get("event_id").asText()).isEqualTo(full.eventId());
    assertThat(first.get("schema_version").asInt()).isEqualTo(2);
    assertThat(first.get("input_tokens").asLong()).isEqualTo(10);
    assertThat(first.get("model").asText()).isEqualTo("gpt-4o-mini");
    assertThat(first.get("tags").asInt()).isEqualTo(1);
    JsonNode second = EventJson.mapper().readTree(lines[1]);
    assertThat(second.get("event_id").asText()).isEqualTo(oldId);
    assertThat(second.get("input_tokens").isNull()).as("unknown tokens stay NULL, not 0").isTrue();
    assertThat(second.get("model").asText()).isEmpty();
    assertThat(second.get("provider").asText()).isEmpty();
    assertThat(second.get("cost_null").asInt()).isEqualTo(1);
    assertThat(second.get("tags").asInt()).isZero();
    assertThat(second.get("attempts").asInt()).isZero();
  }

  private static void rewind(String group, String topic) {
    try (Admin admin = kafka.admin()) {
      Map<TopicPartition, OffsetAndMetadata> zero = admin.listConsumerGroupOffsets(group)
          .partitionsToOffsetAndMetadata().get().keySet().stream()
          .filter(tp -> tp.topic().equals(topic))
          .collect(Collectors.toMap(tp -> tp, tp -> new OffsetAndMetadata(0)));
      admin.alterConsumerGroupOffsets(group, zero).all().get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, TestEvents.unique("reader"));
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      Poll.until(DEADLINE, expected + " records on " + topic, () -> {
        StreamSupport.stream(consumer.poll(Duration.ofMillis(100)).spliterator(), false).forEach(out::add);
        return out.size() >= expected;
      });
    }
    return out;
  }

  static String health(IngestService ingest) {
    try {
      return get(ingest.port()).body();
    } catch (Exception e) {
      return e.toString();
    }
  }

  static HttpResponse<String> get(int port) throws Exception {
    return get(port, "/health");
  }

  static HttpResponse<String> get(int port, String path) throws Exception {
    return HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
