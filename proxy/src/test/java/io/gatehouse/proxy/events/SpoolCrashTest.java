package io.gatehouse.proxy.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.proxy.ProxyProcess;
import io.gatehouse.schemas.Topics;
import io.gatehouse.testsupport.fake.FakeOpenAiProvider;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy as a real process, killed with SIGKILL while Kafka is down and its events wait in the
 * spool: a new process on the same spool directory delivers every one of them once the broker is back.
 * No shutdown hook runs on SIGKILL, so only what reached the spool files can survive — which is the
 * promise being tested (the spool's fsync policy is about power cuts, not process crashes: a killed
 * process's writes are already in the page cache).
 */
class SpoolCrashTest {
  private static final int REQUESTS = 60;
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir Path dir;

  @Test
  void eventsSpooledByAKilledProxyArriveAfterItsRestart() throws Exception {
    Path spool = dir.resolve("spool");
    try (KafkaBroker kafka = KafkaBroker.start(); FakeOpenAiProvider fake = FakeOpenAiProvider.builder().start()) {
      kafka.createTopic(Topics.EVENTS_V1, 1);
      kafka.stopBroker();
      Map<String, String> env = Map.of("OPENAI_API_KEY", "sk-test-crash", "OPENAI_BASE_URL", fake.baseUrl(),
          "GATEHOUSE_PORT", Integer.toString(ProxyProcess.freePort()),
          "GATEHOUSE_KAFKA_BOOTSTRAP", kafka.bootstrapServers(), "GATEHOUSE_SPOOL_DIR", spool.toString());

      List<String> ids = new ArrayList<>();
      try (ProxyProcess first = ProxyProcess.start(env, dir.resolve("first.log"))) {
        for (int i = 0; i < REQUESTS; i++) {
          ids.add(ask(first, "question " + i));
        }
        awaitSpooled(spool, ids);
        assertThat(first.kill()).as("SIGKILL: no shutdown hook, no flush").isEqualTo(137);
      }

      kafka.startBroker();
      try (ProxyProcess second = ProxyProcess.start(env, dir.resolve("second.log"));
          TopicReader reader = new TopicReader(kafka.bootstrapServers(), Topics.EVENTS_V1)) {
        reader.awaitAll(ids, WAIT);
        assertThat(second.log()).contains("from an earlier run");
        // a request after the replay: its event is published after everything replayed (one partition,
        // in order), so once it is read, every record of the replay, duplicates included, has been read
        awaitSpoolEmpty(spool);
        String marker = ask(second, "after the restart");
        reader.awaitKeys(keys -> keys.contains(marker), WAIT, "the event of the request after the restart");
        List<String> expected = new ArrayList<>(ids);
        expected.add(marker);
        assertThat(reader.keys()).as("each spooled event once, in order, then the new one").isEqualTo(expected);
      }
    }
  }

  /** One chat request through {@code proxy}; returns its event id. */
  private static String ask(ProxyProcess proxy, String question) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(proxy.url("/v1/chat/completions")))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"openai/gpt-4o-mini\",\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"" + question + "\"}]}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return r.headers().firstValue("x-gatehouse-request-id").orElseThrow();
  }

  /** Polls until the restarted process has replayed and deleted every spool record. */
  private static void awaitSpoolEmpty(Path spool) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    List<String> left = List.of();
    while (System.nanoTime() < deadline) {
      try {
        left = SpoolFiles.keys(spool);
      } catch (IOException | RuntimeException e) {
        left = List.of("(being written)"); // read again
      }
      if (left.isEmpty()) {
        return;
      }
      Thread.sleep(50); // polling interval of a deadline loop
    }
    throw new AssertionError("the spool still holds " + left.size() + " events");
  }

  /** Polls the spool files (read-only, as the restarted process will) until they hold every id. */
  private static void awaitSpooled(Path spool, List<String> ids) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    List<String> seen = List.of();
    while (System.nanoTime() < deadline) {
      try {
        seen = SpoolFiles.keys(spool);
      } catch (IOException | RuntimeException e) {
        seen = List.of(); // the writer is mid-record; read again
      }
      if (new LinkedHashSet<>(seen).containsAll(ids)) {
        return;
      }
      Thread.sleep(50); // polling interval of a deadline loop
    }
    throw new AssertionError("the spool holds " + seen.size() + " of " + ids.size() + " events");
  }
}
