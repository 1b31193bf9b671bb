package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.schemas.Topics;
import io.gatehouse.testsupport.fake.FakeOpenAiProvider;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM, as Kubernetes or docker stop sends it, while a stream is being answered: the process turns
 * unready and refuses new requests, lets the stream finish, publishes its event, then exits.
 */
class ShutdownTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String PROVIDER_KEY = "sk-test-drain-4e1f9c";

  @TempDir Path dir;

  @Test
  void sigtermDrainsAStreamInFlightAndItsEventLands() throws Exception {
    // 10 words, one chunk each, 300 ms apart: the stream takes about 3 s
    try (KafkaBroker kafka = KafkaBroker.start();
        FakeOpenAiProvider fake = FakeOpenAiProvider.builder().chunkDelayMs(300).start()) {
      kafka.createTopic(Topics.EVENTS_V1, 1);
      ProxyProcess proxy = ProxyProcess.start(Map.of("OPENAI_API_KEY", PROVIDER_KEY, "OPENAI_BASE_URL", fake.baseUrl(),
          "GATEHOUSE_KAFKA_BOOTSTRAP", kafka.bootstrapServers(), "GATEHOUSE_SPOOL_DIR", dir.resolve("spool").toString(),
          "GATEHOUSE_LOG_FORMAT", "json"), dir.resolve("proxy.log"));
      try (proxy) {
        assertThat(get(proxy, "/health/ready").statusCode()).isEqualTo(200);
        assertThat(get(proxy, "/health/live").body()).isEqualTo("{\"status\":\"live\"}");
        HttpResponse<Stream<String>> stream = HTTP.send(HttpRequest.newBuilder(URI.create(proxy.url("/v1/chat/completions")))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"openai/gpt-4o-mini\",\"stream\":true,\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"one two three four five six seven eight nine ten\"}]}")).build(),
            HttpResponse.BodyHandlers.ofLines());
        assertThat(stream.statusCode()).isEqualTo(200); // headers are in: the stream is in flight
        String id = stream.headers().firstValue("x-gatehouse-request-id").orElseThrow();

        proxy.terminate();
        awaitStatus(proxy, "/health/ready", 503);
        // draining is not dying: an orchestrator must not kill the process for it
        assertThat(get(proxy, "/health/live").statusCode()).isEqualTo(200);
        HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(URI.create(proxy.url("/v1/chat/completions")))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"openai/gpt-4o-mini\",\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"late\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("retry-after")).hasValue("1");
        assertThat(JSON.readTree(refused.body()).path("error").path("code").asText()).isEqualTo("shutting_down");

        List<String> lines = stream.body().filter(l -> l.startsWith("data: ")).toList();
        assertThat(lines).last().isEqualTo("data: [DONE]");
        StringBuilder text = new StringBuilder();
        for (String l : lines.subList(0, lines.size() - 1)) {
          JSON.readTree(l.substring(6)).path("choices").forEach(c -> text.append(c.path("delta").path("content").asText("")));
        }
        assertThat(text.toString()).isEqualTo(FakeOpenAiProvider.replyFor("one two three four five six seven eight nine ten"));

        assertThat(proxy.process().waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(proxy.process().exitValue()).isEqualTo(143); // 128 + SIGTERM, after the hook finished
        GatehouseEvent event;
        try (EventsTopic topic = new EventsTopic(kafka.bootstrapServers(), Topics.EVENTS_V1)) {
          event = topic.await(id, WAIT);
        }
        assertThat(event.status()).isEqualTo(200);
        assertThat(event.stream()).isTrue();
        assertThat(event.completion()).isEqualTo(text.toString());
        // structured logs: every line one JSON object, none with the provider key
        List<String> messages = new java.util.ArrayList<>();
        for (String line : proxy.log().split("\n")) {
          com.fasterxml.jackson.databind.JsonNode entry;
          try {
            entry = JSON.readTree(line);
          } catch (java.io.IOException e) {
            throw new AssertionError("not a JSON log line: " + line, e);
          }
          assertThat(entry.path("level").asText()).as(line).isIn("INFO", "WARN", "ERROR");
          assertThat(entry.path("loggerName").asText()).as(line).isNotEmpty();
          messages.add(entry.path("formattedMessage").asText());
        }
        assertThat(messages).anyMatch(m -> m.startsWith("Gatehouse proxy listening on"))
            .anyMatch(m -> m.startsWith("Shutdown: in-flight requests finished"));
        assertThat(proxy.log()).doesNotContain(PROVIDER_KEY);
      }
    }
  }

  private static HttpResponse<String> get(ProxyProcess proxy, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(proxy.url(path))).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void awaitStatus(ProxyProcess proxy, String path, int status) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    int last = -1;
    while (System.nanoTime() < deadline) {
      last = get(proxy, path).statusCode();
      if (last == status) {
        return;
      }
      Thread.sleep(20); // polling interval of a deadline loop
    }
    throw new AssertionError(path + " answered " + last + ", not " + status + ", within " + WAIT);
  }
}
