package io.gatehouse.proxy.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.proxy.GatehouseProxy;
import io.gatehouse.testsupport.fake.FakeOpenAiProvider;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The semantic cache with {@code embedder: <provider>/<model>}: the fake provider's embeddings endpoint. */
class ProviderEmbedderProxyTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TempDir static Path dir;
  private static FakeOpenAiProvider fake;
  private static GatehouseProxy proxy;

  @BeforeAll
  static void start() throws Exception {
    KafkaBroker kafka = KafkaBroker.shared();
    String topic = "events-cache-embedder-" + UUID.randomUUID();
    kafka.createTopic(topic, 1);
    fake = FakeOpenAiProvider.builder().requiredApiKey("sk-fake").start();
    Path yaml = dir.resolve("gatehouse.yaml");
    Files.writeString(yaml, String.join("\n",
        "providers:",
        "  fake: { type: openai-compatible, base_url: \"" + fake.baseUrl() + "\", keys: [sk-fake] }",
        "models:",
        "  faq: { targets: [fake/gpt-4o-mini], cache: { semantic: true } }",
        "cache: { enabled: true, semantic: { embedder: fake/text-embedding-3-small, timeout: 5s } }",
        "events: { kafka: { bootstrap: \"" + kafka.bootstrapServers() + "\", topic: " + topic + " } }",
        ""));
    proxy = GatehouseProxy.start(Map.of("GATEHOUSE_CONFIG", yaml.toString(), "GATEHOUSE_PORT", "0",
        "GATEHOUSE_SPOOL_DIR", dir.resolve("spool").toString()));
  }

  @AfterAll
  static void stop() {
    if (proxy != null) {
      proxy.close();
    }
    if (fake != null) {
      fake.close();
    }
  }

  private static HttpResponse<String> post(String content) throws Exception {
    String body = "{\"model\":\"faq\",\"messages\":[{\"role\":\"user\",\"content\":" + content + "}]}";
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theProvidersEmbeddingsServeTheSameQuestionSentAsTextParts() throws Exception {
    HttpResponse<String> first = post("\"How do I reset my password?\"");
    assertThat(first.headers().firstValue("x-gatehouse-cache")).hasValue("miss");
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (proxy.cache().semanticEntries() < 1) {
      assertThat(System.nanoTime()).as("the question is indexed").isLessThan(deadline);
      Thread.onSpinWait();
    }
    // another exact key (content as parts), the same question: only the embedding can match it
    HttpResponse<String> parts = post("[{\"type\":\"text\",\"text\":\"How do I reset my password?\"}]");
    assertThat(parts.headers().firstValue("x-gatehouse-cache")).hasValue("semantic-hit");
    assertThat(parts.body()).isEqualTo(first.body());
    assertThat(fake.lastRequest().path()).endsWith("/embeddings");
    assertThat(fake.lastRequest().bodyJson().path("model").asText()).isEqualTo("text-embedding-3-small");
    assertThat(post("\"What are your opening hours?\"").headers().firstValue("x-gatehouse-cache")).hasValue("miss");
  }
}
