package io.gatehouse.proxy.logs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.proxy.EventsTopic;
import io.gatehouse.proxy.GatehouseProxy;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real proxy in log-only mode (no provider configured) with a real Kafka broker: each receiver's
 * events are on the topic, redacted like proxied ones; the proxy endpoints are off.
 */
class LogOnlyProxyTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration EVENT_WAIT = Duration.ofSeconds(20);
  private static final String TOKEN = "e2e-ingest-token";

  @TempDir static Path dir;
  private static GatehouseProxy proxy;
  private static EventsTopic events;

  @BeforeAll
  static void start() {
    KafkaBroker kafka = KafkaBroker.shared();
    String topic = "events-logonly-" + UUID.randomUUID();
    kafka.createTopic(topic, 3);
    proxy = GatehouseProxy.start(Map.of(
        "GATEHOUSE_PORT", "0",
        "GATEHOUSE_HOST", "127.0.0.1",
        "GATEHOUSE_LOG_ONLY", "1",
        "GATEHOUSE_INGEST_TOKEN", TOKEN,
        "GATEHOUSE_KAFKA_BOOTSTRAP", kafka.bootstrapServers(),
        "GATEHOUSE_SPOOL_DIR", dir.resolve("spool").toString(),
        "GATEHOUSE_CONFIG", writeConfig(topic)));
    events = new EventsTopic(kafka.bootstrapServers(), topic);
  }

  private static String writeConfig(String topic) {
    try {
      Path yaml = dir.resolve("gatehouse.yaml");
      java.nio.file.Files.writeString(yaml, "events:\n  kafka: { topic: " + topic + " }\n");
      return yaml.toString();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @AfterAll
  static void stop() {
    if (events != null) {
      events.close();
    }
    if (proxy != null) {
      proxy.close();
    }
  }

  private static HttpResponse<String> post(String path, String contentType, byte[] body) throws Exception {
    return ReceiverServer.HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + path))
        .header("authorization", "Bearer " + TOKEN).header("content-type", contentType)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void logApiEventsReachKafkaRedacted() throws Exception {
    String log = """
        {"id": "e2e-1", "request": {"model": "gpt-4o-mini", "messages": [{"role": "user",
          "content": "mail me at jane.doe@example.com"}]},
         "response": {"model": "gpt-4o-mini", "choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}],
          "usage": {"prompt_tokens": 8, "completion_tokens": 1}},
         "timing": {"start": 1764060000000, "end": 1764060000100},
         "attribution": {"user": "u-e2e", "team": "qa"}}""";
    HttpResponse<String> r = post("/v1/logs", "application/json", log.getBytes());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    String id = JSON.readTree(r.body()).get("event_ids").get(0).asText();
    GatehouseEvent e = events.await(id, EVENT_WAIT);
    assertThat(e.source()).isEqualTo("log_api");
    assertThat(e.model()).isEqualTo("gpt-4o-mini");
    assertThat(e.inputTokens()).isEqualTo(8L);
    assertThat(e.user()).isEqualTo("u-e2e");
    assertThat(events.raw(id)).doesNotContain("jane.doe@example.com");
  }

  @Test
  void liteLlmAndOtlpProtobufEventsReachKafka() throws Exception {
    HttpResponse<String> r = post("/v1/litellm", "application/json", Golden.payload("litellm/generic-api-batch.json"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    JsonNode ids = JSON.readTree(r.body()).get("event_ids");
    GatehouseEvent first = events.await(ids.get(0).asText(), EVENT_WAIT);
    assertThat(first.source()).isEqualTo("litellm");
    assertThat(first.modelRequested()).isEqualTo("chat-default");
    assertThat(events.await(ids.get(1).asText(), EVENT_WAIT).status()).isEqualTo(429);

    byte[] protobuf = OtlpReceiverTest.toProtobuf(Golden.payload("otlp/genai-traces.json")).toByteArray();
    HttpResponse<String> otlp = post("/v1/traces", "application/x-protobuf", protobuf);
    assertThat(otlp.statusCode()).as(otlp.body()).isEqualTo(200);
    // OTLP answers carry no ids: they are derived from trace and span ids
    String spanEvent = LogEvents.eventId("otlp", "5b8efff798038103d269b633813fc60c/eee19b7ec3c1b174", 1764060000000L);
    GatehouseEvent span = events.await(spanEvent, EVENT_WAIT);
    assertThat(span.source()).isEqualTo("otlp");
    assertThat(span.completion()).isEqualTo("Your order 1234 shipped yesterday.");
  }

  @Test
  void proxyEndpointsAreOffAndPublishNothing() throws Exception {
    HttpResponse<String> r = ReceiverServer.HTTP.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"x\", \"messages\": []}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(r.body()).path("error").path("code").asText()).isEqualTo("log_only_mode");
    String id = r.headers().firstValue("x-gatehouse-request-id").orElseThrow();
    events.drain(Duration.ofSeconds(1));
    assertThat(events.count(id)).isZero();
    HttpResponse<String> unauthorized = ReceiverServer.HTTP.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + proxy.port() + "/v1/logs")).POST(HttpRequest.BodyPublishers.ofString("{}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(unauthorized.statusCode()).isEqualTo(401);
  }
}
