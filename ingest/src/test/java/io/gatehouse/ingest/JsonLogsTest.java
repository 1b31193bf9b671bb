package io.gatehouse.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.ingest.health.HealthEndpoint;
import io.gatehouse.schemas.EventJson;
import io.gatehouse.testsupport.clickhouse.ClickHouseServer;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ingest as its own process with its production logging and {@code GATEHOUSE_LOG_FORMAT=json}, as
 * docker-compose runs it: every line it writes is one JSON object, also a warning of two lines about a
 * broken record and the lines of its shutdown after SIGTERM.
 */
class JsonLogsTest {
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  @TempDir Path dir;

  @Test
  void everyLineIsAJsonObject() throws Exception {
    KafkaBroker kafka = KafkaBroker.shared();
    ClickHouseServer clickHouse = ClickHouseServer.shared();
    String topic = TestEvents.unique("ingest-logs");
    kafka.createTopic(topic, 1);
    TestEvents.produceRaw(kafka, topic, List.of("not json".getBytes(StandardCharsets.UTF_8)));
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Map<String, String> env = TestEvents.env(kafka, clickHouse.httpUrl(), topic, TestEvents.unique("group"));
    env.put(IngestConfig.PORT, Integer.toString(port));
    env.put("GATEHOUSE_LOG_FORMAT", "json");
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-Dlogback.configurationFile=logback.xml", // the production logging
        "-cp", System.getProperty("java.class.path"), IngestService.class.getName());
    pb.environment().keySet().removeIf(k -> k.startsWith("GATEHOUSE_"));
    pb.environment().putAll(env);
    Path stdout = dir.resolve("ingest.out");
    pb.redirectOutput(stdout.toFile()).redirectError(dir.resolve("ingest.err").toFile());
    Process ingest = pb.start();
    try {
      Poll.until(DEADLINE, "ingest ready and the broken record skipped", () -> ready(port)
          && read(stdout).contains("Skipping record"), () -> read(stdout) + read(dir.resolve("ingest.err")));
      ingest.destroy(); // SIGTERM: the shutdown hook closes ingest and logs it
      assertThat(ingest.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isTrue();
    } finally {
      ingest.destroyForcibly();
    }

    List<String> messages = new ArrayList<>();
    for (String line : Files.readAllLines(stdout)) {
      JsonNode entry;
      try {
        entry = EventJson.mapper().readTree(line);
      } catch (IOException e) {
        throw new AssertionError("not a JSON log line: " + line, e);
      }
      assertThat(entry.isObject()).as(line).isTrue();
      assertThat(entry.path("level").asText()).as(line).isIn("INFO", "WARN", "ERROR");
      assertThat(entry.path("loggerName").asText()).as(line).isNotEmpty();
      messages.add(entry.path("formattedMessage").asText());
    }
    assertThat(messages).anyMatch(m -> m.startsWith("Gatehouse ingest ready"))
        // a message of two lines, with quotes, written as one line of JSON
        .anyMatch(m -> m.startsWith("Skipping record " + topic + "-0@0") && m.contains("'not'") && m.contains("\n"))
        .anyMatch(m -> m.equals("Gatehouse ingest stopped"));
  }

  private static boolean ready(int port) {
    try {
      return IngestServiceTest.get(port, HealthEndpoint.READY).statusCode() == 200;
    } catch (Exception notYetListening) {
      return false;
    }
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      return e.toString();
    }
  }
}
