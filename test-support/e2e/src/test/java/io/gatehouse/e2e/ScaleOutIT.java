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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The documented scale-out topology in small: two stateless proxies, a topic with 6 partitions, and
 * two ingest instances in one consumer group, one of which leaves and comes back mid-run (a rebalance
 * while events flow). Every request must land in ClickHouse exactly once — counted on the raw table,
 * without FINAL, so a duplicate would show even before a merge could hide it.
 */
class ScaleOutIT {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .executor(Executors.newFixedThreadPool(4)).build();
  private static final int REQUESTS = 2_400;
  private static final int PHASE = REQUESTS / 3;

  @Test
  void twoProxiesAndTwoIngestInstancesStoreEveryEventExactlyOnce() throws Exception {
    KafkaBroker kafka = KafkaBroker.shared();
    ClickHouseServer clickhouse = ClickHouseServer.shared();
    String topic = "scale-out-" + UUID.randomUUID();
    String feature = "scale-out-" + UUID.randomUUID();
    kafka.createTopic(topic, 6);
    Map<String, String> env = new HashMap<>();
    env.put("GATEHOUSE_KAFKA_BOOTSTRAP", kafka.bootstrapServers());
    env.put("GATEHOUSE_KAFKA_TOPIC", topic);
    env.put("GATEHOUSE_CLICKHOUSE_URL", clickhouse.httpUrl());
    env.put("GATEHOUSE_INGEST_PORT", "0");
    env.put("GATEHOUSE_INGEST_FLUSH_MS", "200");
    env.put("GATEHOUSE_INGEST_GROUP", "scale-out-" + UUID.randomUUID());

    try (FakeOpenAiProvider fake = FakeOpenAiProvider.builder().port(0).models(List.of("gpt-4o-mini")).start()) {
      Path config = Files.createTempFile("gatehouse-scale-out", ".yaml");
      Files.writeString(config, "providers:\n  fake: { type: openai-compatible, base_url: \"" + fake.baseUrl() + "\" }\n"
          + "events: { kafka: { topic: " + topic + " } }\n");
      List<GatehouseProxy> proxies = new ArrayList<>();
      List<IngestService> ingests = new ArrayList<>();
      try {
        for (int i = 0; i < 2; i++) {
          Map<String, String> proxyEnv = new HashMap<>(env);
          proxyEnv.put("GATEHOUSE_PORT", "0");
          proxyEnv.put("GATEHOUSE_CONFIG", config.toString());
          proxyEnv.put("GATEHOUSE_SPOOL_DIR", Files.createTempDirectory("gatehouse-scale-out-spool").toString());
          proxies.add(GatehouseProxy.start(proxyEnv));
        }
        IngestService first = IngestService.start(env);
        IngestService second = IngestService.start(env);
        ingests.add(first);
        ingests.add(second);

        // phase 1: both members own partitions before traffic starts, so both take part
        awaitAssigned(Map.of("first", first, "second", second));
        sendConcurrently(proxies, feature, 0, PHASE);
        awaitRows(clickhouse, feature, PHASE);
        assertThat(second.stats().insertedRows()).as("the second member took part before leaving").isPositive();

        // phase 2: a member leaves and a new one joins while events flow: partitions move twice
        ExecutorService background = Executors.newSingleThreadExecutor();
        Future<?> flowing = background.submit(() -> {
          sendConcurrently(proxies, feature, PHASE, 2 * PHASE);
          return null;
        });
        awaitRows(clickhouse, feature, PHASE + PHASE / 4);
        second.close();
        ingests.remove(second);
        IngestService third = IngestService.start(env);
        ingests.add(third);
        flowing.get();
        background.shutdown();

        // phase 3: once the newcomer owns partitions, the rest of the traffic
        awaitAssigned(Map.of("first", first, "third", third));
        sendConcurrently(proxies, feature, 2 * PHASE, REQUESTS);
        awaitRows(clickhouse, feature, REQUESTS);
        assertThat(third.stats().insertedRows()).as("the member that joined mid-run took part").isPositive();
        String where = " FROM gatehouse.events WHERE feature = '" + feature + "'";
        assertThat(Long.parseLong(clickhouse.query("SELECT count()" + where).strip()))
            .as("rows (raw table, no FINAL)").isEqualTo(REQUESTS);
        assertThat(Long.parseLong(clickhouse.query("SELECT uniqExact(event_id)" + where).strip())).isEqualTo(REQUESTS);
        assertThat(Long.parseLong(clickhouse.query("SELECT uniqExact(event_id) FROM gatehouse.events WHERE feature = '"
            + feature + "' AND deployment LIKE 'fake%'").strip())).isEqualTo(REQUESTS);
        assertThat(first.stats().insertedRows()).as("the first member took part").isPositive();
        System.out.printf("scale-out: %d requests over 2 proxies, 6 partitions; rows inserted by ingest members: "
                + "%d, %d (left mid-run), %d (joined mid-run); already-stored skips: %d%n", REQUESTS,
            first.stats().insertedRows(), second.stats().insertedRows(), third.stats().insertedRows(),
            first.stats().alreadyStored() + second.stats().alreadyStored() + third.stats().alreadyStored());
      } finally {
        proxies.forEach(GatehouseProxy::close);
        ingests.forEach(IngestService::close);
      }
    }
  }

  /** Requests {@code from} (inclusive) to {@code to} (exclusive) from 4 clients, alternating proxies. */
  private static void sendConcurrently(List<GatehouseProxy> proxies, String feature, int from, int to)
      throws Exception {
    AtomicInteger next = new AtomicInteger(from);
    ExecutorService clients = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int c = 0; c < 4; c++) {
        running.add(clients.submit(() -> {
          for (int i; (i = next.getAndIncrement()) < to; ) {
            send(proxies.get(i % 2), feature, i);
          }
          return null;
        }));
      }
      for (Future<?> f : running) {
        f.get();
      }
    } finally {
      clients.shutdownNow();
    }
  }

  /** Waits until every named member owns at least one partition and together they own all 6. */
  private static void awaitAssigned(Map<String, IngestService> members) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      int total = 0;
      boolean each = true;
      for (IngestService m : members.values()) {
        int n = m.stats().assignedPartitions();
        total += n;
        each &= n > 0;
      }
      if (each && total == 6) {
        return;
      }
      Thread.sleep(50); // poll interval, bounded by the deadline above
    }
    StringBuilder owned = new StringBuilder();
    members.forEach((name, m) -> owned.append(name).append('=').append(m.stats().assignedPartitions()).append(' '));
    throw new AssertionError("the consumer group did not spread 6 partitions over its members in 60 s: " + owned);
  }

  private static void send(GatehouseProxy proxy, String feature, int i) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
        .header("Content-Type", "application/json")
        .header("x-gatehouse-feature", feature)
        .timeout(Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.ofString(
            "{\"model\":\"fake/gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"scale " + i + "\"}]}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  private static void awaitRows(ClickHouseServer clickhouse, String feature, long atLeast) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    long rows = -1;
    while (System.nanoTime() < deadline) {
      rows = Long.parseLong(clickhouse.query("SELECT count() FROM gatehouse.events WHERE feature = '" + feature + "'")
          .strip());
      if (rows >= atLeast) {
        return;
      }
      Thread.sleep(100); // poll interval, bounded by the deadline above
    }
    throw new AssertionError("ClickHouse holds " + rows + " rows for " + feature + ", not " + atLeast);
  }
}
