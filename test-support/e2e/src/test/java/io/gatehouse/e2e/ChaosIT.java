package io.gatehouse.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.ingest.IngestService;
import io.gatehouse.proxy.GatehouseProxy;
import io.gatehouse.testsupport.clickhouse.ClickHouseServer;
import io.gatehouse.testsupport.fake.FakeOpenAiProvider;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Nothing lost, nothing doubled, on real parts: requests flow through the proxy while the Kafka broker
 * or the ClickHouse server is down for 30 s; every request succeeds, and once both are back exactly N
 * rows with N distinct event ids reach ClickHouse. Uses a private broker (it is stopped) and the shared
 * ClickHouse server (stopped and restarted on the same ports and data).
 */
class ChaosIT {
  private static final Duration OUTAGE = Duration.ofSeconds(30);
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private static KafkaBroker kafka;
  private static ClickHouseServer clickhouse;
  private static FakeOpenAiProvider fake;
  private static IngestService ingest;
  private static GatehouseProxy proxy;

  @BeforeAll
  static void start() throws Exception {
    kafka = KafkaBroker.start();
    clickhouse = ClickHouseServer.shared();
    fake = FakeOpenAiProvider.builder().port(0).models(List.of("gpt-4o-mini")).start();
    Map<String, String> env = new HashMap<>();
    env.put("GATEHOUSE_KAFKA_BOOTSTRAP", kafka.bootstrapServers());
    env.put("GATEHOUSE_CLICKHOUSE_URL", clickhouse.httpUrl());
    env.put("GATEHOUSE_INGEST_PORT", "0");
    env.put("GATEHOUSE_INGEST_FLUSH_MS", "200");
    env.put("GATEHOUSE_INGEST_GROUP", "chaos-" + UUID.randomUUID());
    kafka.createTopic("gatehouse.events.v1", 3);
    ingest = IngestService.start(env);
    Path config = Files.createTempFile("gatehouse-chaos", ".yaml");
    Files.writeString(config, "providers:\n  fake: { type: openai-compatible, base_url: \"" + fake.baseUrl() + "\" }\n");
    Map<String, String> proxyEnv = new HashMap<>(env);
    proxyEnv.put("GATEHOUSE_PORT", "0");
    proxyEnv.put("GATEHOUSE_CONFIG", config.toString());
    proxyEnv.put("GATEHOUSE_SPOOL_DIR", Files.createTempDirectory("gatehouse-chaos-spool").toString());
    proxy = GatehouseProxy.start(proxyEnv);
  }

  @AfterAll
  static void stop() {
    if (proxy != null) {
      proxy.close();
    }
    if (ingest != null) {
      ingest.close();
    }
    if (fake != null) {
      fake.close();
    }
    if (kafka != null) {
      kafka.close();
    }
    if (clickhouse != null && !clickhouse.isRunning()) {
      clickhouse.restart();
    }
  }

  @Test
  void brokerDownFor30SecondsLosesAndDoublesNothing() throws Exception {
    String feature = "chaos-kafka-" + UUID.randomUUID();
    int n = send(feature, 40);
    kafka.stopBroker();
    long until = System.nanoTime() + OUTAGE.toNanos();
    while (System.nanoTime() < until) {
      n += send(feature, 5); // requests keep succeeding while the broker is gone
    }
    kafka.startBroker();
    n += send(feature, 40);
    assertExactlyInClickHouse(feature, n);
  }

  @Test
  void clickHouseDownFor30SecondsLosesAndDoublesNothing() throws Exception {
    String feature = "chaos-clickhouse-" + UUID.randomUUID();
    int n = send(feature, 40);
    clickhouse.stop();
    long until = System.nanoTime() + OUTAGE.toNanos();
    while (System.nanoTime() < until) {
      n += send(feature, 5);
    }
    clickhouse.restart();
    n += send(feature, 40);
    assertExactlyInClickHouse(feature, n);
  }

  /** Sends {@code count} chat completions one after another; each must succeed. */
  private static int send(String feature, int count) throws Exception {
    for (int i = 0; i < count; i++) {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
          .header("Content-Type", "application/json")
          .header("x-gatehouse-feature", feature)
          .timeout(Duration.ofSeconds(10))
          .POST(HttpRequest.BodyPublishers.ofString(
              "{\"model\":\"fake/gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"chaos " + i + "\"}]}"))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }
    return count;
  }

  /** Polls ClickHouse (raw table, no FINAL) until it holds {@code n} rows for the feature, then checks ids. */
  private static void assertExactlyInClickHouse(String feature, int n) throws InterruptedException {
    String where = " FROM gatehouse.events WHERE feature = '" + feature + "'";
    long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
    long rows = -1;
    while (System.nanoTime() < deadline) {
      try {
        rows = Long.parseLong(clickhouse.query("SELECT count()" + where).strip());
        if (rows >= n) {
          break;
        }
      } catch (IllegalStateException e) {
        // the server may still be starting: poll on
      }
      Thread.sleep(250); // poll interval, bounded by the deadline above
    }
    assertThat(rows).as("rows for %s (raw table, no FINAL)", feature).isEqualTo(n);
    long distinct = Long.parseLong(clickhouse.query("SELECT uniqExact(event_id)" + where).strip());
    assertThat(distinct).isEqualTo(n);
    System.out.printf("chaos %s: %d requests, %d rows, %d distinct event ids%n", feature, n, rows, distinct);
  }
}
