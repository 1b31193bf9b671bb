package io.gatehouse.e2e;

import io.gatehouse.ingest.IngestService;
import io.gatehouse.proxy.GatehouseProxy;
import io.gatehouse.schemas.Topics;
import io.gatehouse.testsupport.SharedFixtures;
import io.gatehouse.testsupport.clickhouse.ClickHouseServer;
import io.gatehouse.testsupport.fake.FakeOpenAiProvider;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The whole Gatehouse on real parts, once per test JVM: ClickHouse server, Kafka broker, fake
 * provider, ingest and proxy in this JVM, and the analytics UI from its fat jar (as users run it).
 */
final class GatehouseStack {
  private static GatehouseStack instance;

  final ClickHouseServer clickhouse;
  final KafkaBroker kafka;
  final FakeOpenAiProvider fake;
  final IngestService ingest;
  final GatehouseProxy proxy;
  private Process ui;
  private int uiPort;

  private GatehouseStack() throws IOException {
    clickhouse = ClickHouseServer.shared();
    kafka = KafkaBroker.shared();
    // created before anything produces to it, as kafka-init does in docker compose: a topic created by
    // a producer's first send can lose that producer's first batch on Kafka 4.3 (see KafkaBroker#createTopic)
    kafka.createTopic(Topics.EVENTS_V1, 3);
    fake = FakeOpenAiProvider.builder().port(0).latencyMs(20).chunkDelayMs(20).models(List.of("gpt-4o-mini")).start();
    Map<String, String> env = new HashMap<>();
    env.put("GATEHOUSE_KAFKA_BOOTSTRAP", kafka.bootstrapServers());
    env.put("GATEHOUSE_CLICKHOUSE_URL", clickhouse.httpUrl());
    env.put("GATEHOUSE_INGEST_PORT", "0");
    env.put("GATEHOUSE_INGEST_FLUSH_MS", "200");
    ingest = IngestService.start(env);

    Path config = Files.createTempFile("gatehouse-e2e", ".yaml");
    Files.writeString(config,
        "providers:\n"
            + "  fake:\n"
            + "    type: openai-compatible\n"
            + "    base_url: \"${FAKE_URL}\"\n"
            + "    keys: [\"provider-secret-key\"]\n"
            + "models:\n"
            + "  chat-default:\n"
            + "    targets: [fake/gpt-4o-mini]\n");
    Map<String, String> proxyEnv = new HashMap<>(env);
    proxyEnv.put("GATEHOUSE_PORT", "0");
    proxyEnv.put("GATEHOUSE_CONFIG", config.toString());
    proxyEnv.put("FAKE_URL", fake.baseUrl());
    proxy = GatehouseProxy.start(proxyEnv);
  }

  static synchronized GatehouseStack get() {
    if (instance == null) {
      try {
        instance = new GatehouseStack();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      SharedFixtures.closeAtEnd(instance::close);
    }
    return instance;
  }

  String proxyUrl() {
    return "http://127.0.0.1:" + proxy.port();
  }

  /** Starts the UI fat jar on a free port the first time; waits for its ready line. */
  synchronized String uiUrl() {
    if (ui != null) {
      return "http://127.0.0.1:" + uiPort;
    }
    Path root = Path.of(System.getProperty("gatehouse.root", "../.."));
    Path jar = root.resolve("analytics-ui/target/gatehouse-analytics-ui.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("UI jar missing at " + jar.toAbsolutePath() + ": run `mvn package` first");
    }
    try {
      uiPort = freePort();
      ProcessBuilder pb = new ProcessBuilder("java", "-Xmx512m", "-jar", jar.toString()).redirectErrorStream(true);
      pb.environment().put("GATEHOUSE_UI_PORT", Integer.toString(uiPort));
      pb.environment().put("GATEHOUSE_CLICKHOUSE_URL", clickhouse.httpUrl());
      pb.environment().put("GATEHOUSE_UI_USERS_FILE", root.resolve("test-support/demo/ui-users.txt").toString());
      ui = pb.start();
      String ready = "Gatehouse UI ready on http://127.0.0.1:" + uiPort;
      CompletableFuture<Boolean> sawReady =
          CompletableFuture.supplyAsync(readUntil(ui, ready));
      if (!sawReady.get(120, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the UI exited before printing '" + ready + "'");
      }
      return "http://127.0.0.1:" + uiPort;
    } catch (Exception e) {
      throw new IllegalStateException("could not start the UI from " + jar + ": " + e, e);
    }
  }

  /** Reads the process output (echoing it for the test log) until {@code line} appears; keeps draining after. */
  private static Supplier<Boolean> readUntil(Process process, String line) {
    return () -> {
      try {
        BufferedReader out =
            new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String l;
        while ((l = out.readLine()) != null) {
          System.out.println("[ui] " + l);
          if (l.contains(line)) {
            Thread drain = new Thread(() -> out.lines().forEach(x -> System.out.println("[ui] " + x)), "ui-log");
            drain.setDaemon(true);
            drain.start();
            return true;
          }
        }
        return false;
      } catch (IOException e) {
        return false;
      }
    };
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  void close() {
    if (ui != null) {
      ui.destroy();
      try {
        ui.waitFor(Duration.ofSeconds(10).toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    proxy.close();
    ingest.close();
    fake.close();
  }
}
