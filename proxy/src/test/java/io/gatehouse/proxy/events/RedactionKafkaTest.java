package io.gatehouse.proxy.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Redaction and metadata-only routes end to end: HTTP in, the event read back from a real Kafka topic. */
class RedactionKafkaTest {
  private static final String PROVIDER_KEY = "sk-provider-secret-1f0b3c5d7e9a2b4c";
  private static final String LEAKED_KEY = "sk-proj-Z9y8X7w6V5u4T3s2R1q0abcdEFGH";
  private static final String EMAIL = "jane.doe@example.com";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  @Test
  void promptsAndCompletionsReachKafkaRedactedAndMetadataOnlyRoutesCarryNoBodies() throws Exception {
    KafkaBroker kafka = KafkaBroker.shared();
    String topic = "events-redaction-" + UUID.randomUUID();
    kafka.createTopic(topic, 3);
    Path yaml = tmp.resolve("gatehouse.yaml");
    Files.writeString(yaml, String.join("\n",
        "models:",
        "  private-chat: { targets: [openai/gpt-4o-mini], log_bodies: false }",
        "events:",
        "  kafka: { topic: " + topic + " }",
        "  redaction:",
        "    custom: [{ name: ticket, regex: \"TICKET-[0-9]{4}\" }]",
        ""));
    try (FakeOpenAiProvider fake = FakeOpenAiProvider.builder().requiredApiKey(PROVIDER_KEY).start();
        LogCapture logs = new LogCapture()) {
      GatehouseProxy proxy = GatehouseProxy.start(Map.of(
          "GATEHOUSE_CONFIG", yaml.toString(),
          "GATEHOUSE_PORT", "0",
          "GATEHOUSE_KAFKA_BOOTSTRAP", kafka.bootstrapServers(),
          "GATEHOUSE_SPOOL_DIR", tmp.resolve("spool").toString(),
          "OPENAI_API_KEY", PROVIDER_KEY,
          "OPENAI_BASE_URL", fake.baseUrl()));
      String text = "my key is " + LEAKED_KEY + " mail " + EMAIL + " about TICKET-1234";
      try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), topic)) {
        String redactedId = chat(proxy, "openai/gpt-4o-mini", text);
        String metadataOnlyId = chat(proxy, "private-chat", text);
        reader.awaitAll(List.of(redactedId, metadataOnlyId), Duration.ofSeconds(30));

        String raw = reader.value(redactedId);
        assertThat(raw).doesNotContain(LEAKED_KEY).doesNotContain(EMAIL).doesNotContain("TICKET-1234")
            .doesNotContain(PROVIDER_KEY);
        JsonNode event = JSON.readTree(raw);
        assertThat(event.path("prompt").get(0).path("content").asText())
            .isEqualTo("my key is [REDACTED:api_key] mail [REDACTED:email] about [REDACTED:ticket]");
        assertThat(event.path("completion").asText())
            .isEqualTo("Echo: my key is [REDACTED:api_key] mail [REDACTED:email] about [REDACTED:ticket]");

        String rawMeta = reader.value(metadataOnlyId);
        JsonNode meta = JSON.readTree(rawMeta);
        assertThat(meta.has("prompt")).as("metadata only: no prompt").isFalse();
        assertThat(meta.has("completion")).as("metadata only: no completion").isFalse();
        assertThat(rawMeta).doesNotContain("my key is").doesNotContain("Echo:");
        assertThat(meta.path("route").asText()).isEqualTo("private-chat");
        assertThat(meta.path("status").asInt()).isEqualTo(200);
        assertThat(meta.path("prompt_hash").asText()).isNotEmpty();
        assertThat(meta.has("output_tokens")).isTrue();
      } finally {
        proxy.close();
      }
      assertThat(logs.all()).as("no key or personal data in the logs")
          .doesNotContain(PROVIDER_KEY).doesNotContain(LEAKED_KEY).doesNotContain(EMAIL);
    }
  }

  private static String chat(GatehouseProxy proxy, String model, String text) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"messages\":"
            + "[{\"role\":\"user\",\"content\":\"" + text + "\"}]}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return r.headers().firstValue("x-gatehouse-request-id").orElseThrow();
  }
}
