package io.gatehouse.proxy.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.proxy.GatehouseProxy;
import io.gatehouse.proxy.config.GatehouseConfig.Fsync;
import io.gatehouse.schemas.EventJson;
import io.gatehouse.schemas.EventIds;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.testsupport.fake.FakeOpenAiProvider;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.io.RandomAccessFile;
import java.net.ServerSocket;
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
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spool end to end with real parts: the proxy over HTTP, the fake provider, and real Kafka brokers
 * (a private one that goes down and comes back on the same port, and the shared one).
 */
class SpoolKafkaTest {
  private static final String PROVIDER_KEY = "sk-provider-secret-9c1e77d0a3b54f21";
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private static FakeOpenAiProvider fake;

  @TempDir Path tmp;

  @BeforeAll
  static void startFake() {
    fake = FakeOpenAiProvider.builder().start();
  }

  @AfterAll
  static void stopFake() {
    if (fake != null) {
      fake.close();
    }
  }

  private GatehouseProxy startProxy(String bootstrap, String topic, Path spoolDir, String extraEvents) throws Exception {
    Path yaml = Files.createTempFile(tmp, "gatehouse", ".yaml");
    Files.writeString(yaml, String.join("\n",
        "events:",
        "  kafka: { topic: " + topic + " }",
        extraEvents,
        ""));
    Map<String, String> env = new HashMap<>();
    env.put("GATEHOUSE_CONFIG", yaml.toString());
    env.put("GATEHOUSE_PORT", "0");
    env.put("GATEHOUSE_KAFKA_BOOTSTRAP", bootstrap);
    env.put("GATEHOUSE_SPOOL_DIR", spoolDir.toString());
    env.put("OPENAI_API_KEY", PROVIDER_KEY);
    env.put("OPENAI_BASE_URL", fake.baseUrl());
    return GatehouseProxy.start(env);
  }

  /** Sends a chat request; returns its event id. Asserts it was answered, and promptly. */
  private static String chat(GatehouseProxy proxy, String text) throws Exception {
    long t0 = System.nanoTime();
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"openai/gpt-4o-mini\",\"messages\":"
            + "[{\"role\":\"user\",\"content\":\"" + text + "\"}]}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(ms).as("a request must never wait for Kafka or the spool").isLessThan(1_000);
    return r.headers().firstValue("x-gatehouse-request-id").orElseThrow();
  }

  private static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      try {
        Thread.sleep(20); // polling interval of a deadline loop, not a wait for an outcome
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  private static boolean noSegments(Path dir) {
    try {
      return SpoolFiles.segments(dir).isEmpty();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void brokerDownEventsWaitInTheSpoolAndArriveInOrderWhenItIsBack() throws Exception {
    int n = 200;
    Path spoolDir = tmp.resolve("spool");
    try (KafkaBroker kafka = KafkaBroker.start(); LogCapture logs = new LogCapture()) {
      String topic = "events-outage";
      kafka.createTopic(topic, 1); // one partition: the order on the topic is the order of arrival
      kafka.stopBroker();
      GatehouseProxy proxy = startProxy(kafka.bootstrapServers(), topic, spoolDir, "");
      try {
        List<String> ids = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
          ids.add(chat(proxy, "request " + i));
        }
        long totalMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(totalMs).as(n + " requests with Kafka down").isLessThan(20_000);

        await(() -> proxy.eventsSpooled() == n, n + " events spooled");
        assertThat(SpoolFiles.keys(spoolDir)).as("the spool files hold every event, in order").isEqualTo(ids);
        assertThat(proxy.eventsPublished()).isZero();

        kafka.startBroker();
        try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), topic)) {
          reader.awaitAll(ids, WAIT);
          await(() -> noSegments(spoolDir) && proxy.spoolBytes() == 0, "spool segments deleted");
          reader.drain(Duration.ofMillis(500));
          assertThat(reader.firstArrivals()).as("replayed in order").isEqualTo(ids);
          assertThat(reader.keys()).as("no duplicates in a clean recovery").hasSize(n);
        }
        assertThat(proxy.eventsDropped()).isZero();
        assertThat(logs.all()).contains("drained: " + n + " events replayed");

        // and with the spool empty, a new event goes straight to Kafka
        String later = chat(proxy, "after recovery");
        try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), topic)) {
          reader.awaitAll(List.of(later), WAIT);
        }
        assertThat(proxy.eventsSpooled()).isEqualTo(n);
      } finally {
        proxy.close();
      }
    }
  }

  @Test
  void pastTheSpoolBoundRequestsAreStillServedAndLossesAreCountedAndLogged() throws Exception {
    Path spoolDir = tmp.resolve("small");
    try (LogCapture logs = new LogCapture()) {
      GatehouseProxy proxy = startProxy("127.0.0.1:" + closedPort(), "events-bound", spoolDir,
          "  spool: { max_bytes: 8KB }");
      int n = 40;
      try {
        for (int i = 0; i < n; i++) {
          chat(proxy, "fill the spool " + i);
        }
        await(() -> proxy.eventsSpooled() + proxy.eventsDroppedSpoolFull() == n, "every event spooled or counted");
        assertThat(proxy.eventsDroppedSpoolFull()).isPositive();
        assertThat(proxy.eventsDropped()).isEqualTo(proxy.eventsDroppedSpoolFull());
        assertThat(proxy.spoolBytes()).isLessThanOrEqualTo(8 * 1024);
        assertThat(SpoolFiles.keys(spoolDir)).hasSize((int) proxy.eventsSpooled());
        assertThat(logs.all()).contains("LOST").contains("is full").contains("events.spool.max_bytes");
      } finally {
        proxy.close();
      }
      assertThat(logs.all()).doesNotContain(PROVIDER_KEY);
    }
  }

  @Test
  void gracefulShutdownWithKafkaDownSpoolsTheQueueAndTheNextStartReplaysIt() throws Exception {
    Path spoolDir = tmp.resolve("shutdown");
    String topic = "events-restart-" + UUID.randomUUID();
    GatehouseProxy proxy = startProxy("127.0.0.1:" + closedPort(), topic, spoolDir, "");
    List<String> ids = new ArrayList<>();
    try {
      for (int i = 0; i < 30; i++) {
        ids.add(chat(proxy, "before shutdown " + i));
      }
    } finally {
      proxy.close();
    }
    assertThat(proxy.eventsDropped()).isZero();
    assertThat(SpoolFiles.keys(spoolDir)).as("after a graceful shutdown every event is in the spool").isEqualTo(ids);

    KafkaBroker kafka = KafkaBroker.shared();
    kafka.createTopic(topic, 1);
    GatehouseProxy next = startProxy(kafka.bootstrapServers(), topic, spoolDir, "");
    try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), topic)) {
      reader.awaitAll(ids, WAIT);
      assertThat(reader.firstArrivals()).isEqualTo(ids);
      await(() -> noSegments(spoolDir), "spool segments deleted after the replay");
    } finally {
      next.close();
    }
  }

  @Test
  void aTornLastRecordFromAPowerCutIsSkippedAtStartAndEverythingElseIsReplayed() throws Exception {
    Path spoolDir = tmp.resolve("torn");
    List<String> ids = new ArrayList<>();
    try (Spool spool = Spool.open(spoolDir, 1 << 20, Fsync.BATCH)) {
      for (int i = 0; i < 10; i++) {
        GatehouseEvent e = GatehouseEvent.builder().eventId(EventIds.next()).endpoint("/v1/chat/completions")
            .status(200).build();
        ids.add(e.eventId());
        assertThat(spool.append(e.eventId(), EventJson.toBytes(e))).isTrue();
      }
    }
    Path last = SpoolFiles.segments(spoolDir).get(0);
    try (RandomAccessFile f = new RandomAccessFile(last.toFile(), "rw")) {
      f.setLength(f.length() - 5);
    }
    KafkaBroker kafka = KafkaBroker.shared();
    String topic = "events-torn-" + UUID.randomUUID();
    kafka.createTopic(topic, 1);
    try (LogCapture logs = new LogCapture()) {
      GatehouseProxy proxy = startProxy(kafka.bootstrapServers(), topic, spoolDir, "");
      try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), topic)) {
        reader.awaitAll(ids.subList(0, 9), WAIT);
        await(() -> noSegments(spoolDir), "spool segments deleted after the replay");
        reader.drain(Duration.ofMillis(300));
        assertThat(reader.firstArrivals()).as("all but the torn record, in order").isEqualTo(ids.subList(0, 9));
      } finally {
        proxy.close();
      }
      assertThat(logs.all()).contains(last.toString()).contains("cut short").contains("at most this one event is lost");
    }
  }
}
