package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.testsupport.fake.FakeOpenAiProvider;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kafka is unreachable: the proxy must start promptly and serve anyway. */
class KafkaDownTest {
  @Test
  void startsPromptlyAndServesWithKafkaPointedAtAClosedPort(@TempDir Path spool) throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    try (FakeOpenAiProvider fake = FakeOpenAiProvider.builder().start()) {
      long t0 = System.nanoTime();
      GatehouseProxy proxy = GatehouseProxy.start(Map.of(
          "GATEHOUSE_PORT", "0",
          "GATEHOUSE_KAFKA_BOOTSTRAP", "127.0.0.1:" + closedPort,
          "GATEHOUSE_SPOOL_DIR", spool.toString(),
          "OPENAI_API_KEY", "sk-test",
          "OPENAI_BASE_URL", fake.baseUrl()));
      long startMs = (System.nanoTime() - t0) / 1_000_000;
      try {
        assertThat(startMs).as("start() must not wait for Kafka").isLessThan(3_000);
        HttpClient http = HttpClient.newHttpClient();
        for (int i = 0; i < 3; i++) {
          long r0 = System.nanoTime();
          HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                  URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
              .POST(HttpRequest.BodyPublishers.ofString(
                  "{\"model\":\"openai/gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"still here\"}]}"))
              .build(), HttpResponse.BodyHandlers.ofString());
          assertThat(r.statusCode()).isEqualTo(200);
          assertThat(new ObjectMapper().readTree(r.body()).path("choices").get(0).path("message").path("content")
              .asText()).isEqualTo("Echo: still here");
          assertThat((System.nanoTime() - r0) / 1_000_000).as("a request must not wait for Kafka").isLessThan(1_000);
        }
        assertThat(fake.lastRequest().header("authorization")).isEqualTo("Bearer sk-test");
        assertThat(proxy.eventsPublished()).isZero();
      } finally {
        long c0 = System.nanoTime();
        proxy.close();
        assertThat((System.nanoTime() - c0) / 1_000_000).as("close() waits a bounded time").isLessThan(10_000);
      }
      assertThat(proxy.eventsSpooled()).as("undeliverable events wait in the disk spool").isEqualTo(3);
      assertThat(proxy.eventsDropped()).as("none is lost").isZero();
    }
  }
}
