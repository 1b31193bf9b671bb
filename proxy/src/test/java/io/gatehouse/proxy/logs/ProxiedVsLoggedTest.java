package io.gatehouse.proxy.logs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.EventsTopic;
import io.gatehouse.proxy.GatehouseProxy;
import io.gatehouse.schemas.EventJson;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.testsupport.fake.FakeOpenAiProvider;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One chat exchange, proxied, then logged: a team that keeps its router beside Gatehouse must get the
 * same analytics. The real proxy calls the fake OpenAI provider; the same request/response pair (as the
 * provider received and answered it), with the same attribution and timing, is then sent to each log-only
 * receiver: {@code POST /v1/logs}, a LiteLLM {@code generic_api} payload, an OTLP GenAI span. All four
 * events are read from the real Kafka topic and compared field by field; the fields allowed to differ are
 * listed with the reason (and printed with both values when the test runs).
 */
class ProxiedVsLoggedTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration EVENT_WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;

  @Test
  void aLoggedExchangeIsTheEventTheProxyMadeOfIt() throws Exception {
    KafkaBroker kafka = KafkaBroker.shared();
    String topic = "events-golden-" + UUID.randomUUID();
    kafka.createTopic(topic, 1);
    Path config = dir.resolve("gatehouse.yaml");
    Files.writeString(config, "events:\n  kafka: { topic: " + topic + " }\n");
    try (FakeOpenAiProvider fake = FakeOpenAiProvider.builder().start();
        GatehouseProxy proxy = GatehouseProxy.start(Map.of("GATEHOUSE_PORT", "0", "GATEHOUSE_HOST", "127.0.0.1",
            "OPENAI_API_KEY", "sk-golden-test", "OPENAI_BASE_URL", fake.baseUrl(),
            "GATEHOUSE_KAFKA_BOOTSTRAP", kafka.bootstrapServers(), "GATEHOUSE_SPOOL_DIR", dir.resolve("spool").toString(),
            "GATEHOUSE_CONFIG", config.toString()));
        EventsTopic events = new EventsTopic(kafka.bootstrapServers(), topic)) {
      String base = "http://127.0.0.1:" + proxy.port();
      String[] attribution = {"content-type", "application/json", "x-gatehouse-user", "u-42",
          "x-gatehouse-team", "support", "x-gatehouse-feature", "order-status", "x-gatehouse-tags", "tier=gold"};

      HttpResponse<String> answer = post(base + "/v1/chat/completions", """
          {"model": "openai/gpt-4o-mini", "temperature": 0.2, "max_tokens": 64, "messages": [
            {"role": "system", "content": "You are a support agent."},
            {"role": "user", "content": "Where is my order 1234?"}]}""", attribution);
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
      GatehouseEvent proxied = events.await(answer.headers().firstValue("x-gatehouse-request-id").orElseThrow(),
          EVENT_WAIT);

      JsonNode request = fake.lastRequest().bodyJson(); // as the provider received it
      JsonNode response = JSON.readTree(answer.body());
      long startMs = proxied.tsStartMs();
      long endMs = proxied.tsEndMs();

      ObjectNode log = JSON.createObjectNode();
      log.put("provider", "openai");
      log.set("request", request);
      log.set("response", response);
      log.putObject("timing").put("start", startMs).put("end", endMs);
      HttpResponse<String> accepted = post(base + "/v1/logs", log.toString(), attribution);
      assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
      GatehouseEvent viaLogs = events.await(JSON.readTree(accepted.body()).path("event_ids").path(0).asText(),
          EVENT_WAIT);

      HttpResponse<String> fromLiteLlm = post(base + "/v1/litellm", liteLlm(request, response, startMs, endMs).toString(),
          "content-type", "application/json");
      assertThat(fromLiteLlm.statusCode()).as(fromLiteLlm.body()).isEqualTo(202);
      GatehouseEvent viaLiteLlm = events.await(JSON.readTree(fromLiteLlm.body()).path("event_ids").path(0).asText(),
          EVENT_WAIT);

      String traceId = "5b8efff798038103d269b633813fc60c";
      String spanId = "eee19b7ec3c1b174";
      HttpResponse<String> fromOtlp = post(base + "/v1/traces", otlp(traceId, spanId, request, response, startMs, endMs)
          .toString(), "content-type", "application/json");
      assertThat(fromOtlp.statusCode()).as(fromOtlp.body()).isEqualTo(200);
      GatehouseEvent viaOtlp = events.await(LogEvents.eventId("otlp", traceId + "/" + spanId, startMs), EVENT_WAIT);

      assertSameBut(proxied, viaLogs, "POST /v1/logs", PROXY_ONLY);
      Map<String, String> liteLlmOnly = new TreeMap<>(PROXY_ONLY);
      liteLlmOnly.putAll(Map.of(
          "params.model", "LiteLLM's model_parameters hold no model (it is model_requested)",
          "tags.feature", "LiteLLM has no feature field: it comes as the request tag feature:…, kept as a tag too"));
      assertSameBut(proxied, viaLiteLlm, "LiteLLM generic_api", liteLlmOnly);
      Map<String, String> otlpOnly = new TreeMap<>(PROXY_ONLY);
      otlpOnly.putAll(Map.of(
          "params.model", "the span's gen_ai.request.* parameters hold no model (it is model_requested)",
          "trace_id", "the span's own trace (the proxy, without tracing configured, records none)",
          "span_id", "the span's own id"));
      assertSameBut(proxied, viaOtlp, "OTLP span", otlpOnly);
      assertThat(List.of(viaLogs.source(), viaLiteLlm.source(), viaOtlp.source())).containsExactly(
          GatehouseEvent.Sources.LOG_API, "litellm", "otlp");
    }
  }

  /**
   * What only the proxy can know, and why each differs. Everything else (model, params, prompt and its
   * hash, completion, tokens, cost, status, attribution, the timings given) must be equal.
   */
  static final Map<String, String> PROXY_ONLY = Map.of(
      "event_id", "each event has its own",
      "source", "proxy, or the receiver",
      "model_requested", "the client asked the proxy for a route (openai/gpt-4o-mini); a log holds the request as "
          + "the provider got it (gpt-4o-mini)",
      "params.model", "the same: the request's model as the client sent it vs as the provider got it",
      "route", "the proxy's routing decision",
      "deployment", "the proxy's target (provider#index/model)",
      "attempts", "the proxy's upstream attempts",
      "upstream_ms", "measured inside the proxy",
      "overhead_us", "measured inside the proxy");

  /** Asserts that {@code logged} differs from {@code proxied} in exactly the fields of {@code expected}; prints them. */
  private static void assertSameBut(GatehouseEvent proxied, GatehouseEvent logged, String receiver,
      Map<String, String> expected) throws Exception {
    Map<String, String> differences = differences(proxied, logged);
    System.out.println("proxied vs " + receiver + ", fields that differ (proxied | logged):");
    differences.forEach((field, values) -> System.out.println("  " + field + ": " + values + "  -- "
        + expected.getOrDefault(field, "UNEXPECTED")));
    assertThat(differences.keySet()).as(receiver + ": the fields that differ from the proxied event")
        .isEqualTo(new TreeSet<>(expected.keySet()));
  }

  /** LiteLLM's standard logging payload (its generic_api callback) for the exchange. */
  private static ObjectNode liteLlm(JsonNode request, JsonNode response, long startMs, long endMs) {
    ObjectNode p = JSON.createObjectNode();
    p.put("id", "litellm-golden-1").put("call_type", "completion").put("stream", false).put("status", "success")
        .put("custom_llm_provider", "openai").put("model", request.path("model").asText())
        .put("startTime", startMs / 1000.0).put("endTime", endMs / 1000.0).put("end_user", "u-42");
    JsonNode usage = response.path("usage");
    p.put("prompt_tokens", usage.path("prompt_tokens").asLong()).put("completion_tokens",
        usage.path("completion_tokens").asLong()).put("total_tokens", usage.path("total_tokens").asLong());
    p.set("messages", request.get("messages"));
    p.set("response", response);
    ObjectNode params = p.putObject("model_parameters");
    request.fields().forEachRemaining(f -> {
      if (!f.getKey().equals("model") && !f.getKey().equals("messages")) {
        params.set(f.getKey(), f.getValue());
      }
    });
    p.putObject("metadata").put("user_api_key_team_alias", "support");
    p.putArray("request_tags").add("feature:order-status").add("tier=gold");
    return p;
  }

  /** An OTLP/JSON export of one GenAI client span for the exchange, as OpenTelemetry's OpenAI instrumentation makes it. */
  private static ObjectNode otlp(String traceId, String spanId, JsonNode request, JsonNode response, long startMs,
      long endMs) {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode span = root.putArray("resourceSpans").addObject().putArray("scopeSpans").addObject()
        .putArray("spans").addObject();
    span.put("traceId", traceId).put("spanId", spanId).put("name", "chat " + request.path("model").asText())
        .put("kind", 3).put("startTimeUnixNano", Long.toString(startMs * 1_000_000))
        .put("endTimeUnixNano", Long.toString(endMs * 1_000_000));
    com.fasterxml.jackson.databind.node.ArrayNode a = span.putArray("attributes");
    attribute(a, "gen_ai.operation.name", "stringValue", "chat");
    attribute(a, "gen_ai.provider.name", "stringValue", "openai");
    attribute(a, "gen_ai.request.model", "stringValue", request.path("model").asText());
    a.addObject().put("key", "gen_ai.request.temperature").putObject("value")
        .put("doubleValue", request.path("temperature").asDouble());
    attribute(a, "gen_ai.request.max_tokens", "intValue", request.path("max_tokens").asText());
    attribute(a, "gen_ai.response.model", "stringValue", response.path("model").asText());
    a.addObject().put("key", "gen_ai.response.finish_reasons").putObject("value").putObject("arrayValue")
        .putArray("values").addObject().put("stringValue", response.path("choices").path(0).path("finish_reason").asText());
    JsonNode usage = response.path("usage");
    attribute(a, "gen_ai.usage.input_tokens", "intValue", usage.path("prompt_tokens").asText());
    attribute(a, "gen_ai.usage.output_tokens", "intValue", usage.path("completion_tokens").asText());
    attribute(a, "gen_ai.usage.cache_read.input_tokens", "intValue",
        usage.path("prompt_tokens_details").path("cached_tokens").asText());
    attribute(a, "gen_ai.usage.reasoning.output_tokens", "intValue",
        usage.path("completion_tokens_details").path("reasoning_tokens").asText());
    attribute(a, "user.id", "stringValue", "u-42");
    attribute(a, "gatehouse.team", "stringValue", "support");
    attribute(a, "gatehouse.feature", "stringValue", "order-status");
    attribute(a, "gatehouse.tags.tier", "stringValue", "gold");
    com.fasterxml.jackson.databind.node.ArrayNode system = JSON.createArrayNode();
    com.fasterxml.jackson.databind.node.ArrayNode input = JSON.createArrayNode();
    for (JsonNode m : request.path("messages")) {
      if (m.path("role").asText().equals("system")) {
        system.addObject().put("type", "text").put("content", m.path("content").asText());
      } else {
        input.addObject().put("role", m.path("role").asText()).putArray("parts").addObject().put("type", "text")
            .put("content", m.path("content").asText());
      }
    }
    com.fasterxml.jackson.databind.node.ArrayNode output = JSON.createArrayNode();
    ObjectNode choice = output.addObject().put("role", "assistant");
    choice.putArray("parts").addObject().put("type", "text")
        .put("content", response.path("choices").path(0).path("message").path("content").asText());
    choice.put("finish_reason", response.path("choices").path(0).path("finish_reason").asText());
    attribute(a, "gen_ai.system_instructions", "stringValue", system.toString());
    attribute(a, "gen_ai.input.messages", "stringValue", input.toString());
    attribute(a, "gen_ai.output.messages", "stringValue", output.toString());
    return root;
  }

  private static void attribute(com.fasterxml.jackson.databind.node.ArrayNode attributes, String key, String type,
      String value) {
    attributes.addObject().put("key", key).putObject("value").put(type, value);
  }

  /** Fields whose values differ (inside objects such as params and tags: their keys), with both values. */
  private static Map<String, String> differences(GatehouseEvent a, GatehouseEvent b) throws Exception {
    JsonNode x = JSON.readTree(EventJson.toBytes(a));
    JsonNode y = JSON.readTree(EventJson.toBytes(b));
    TreeSet<String> names = new TreeSet<>();
    x.fieldNames().forEachRemaining(names::add);
    y.fieldNames().forEachRemaining(names::add);
    Map<String, String> out = new TreeMap<>();
    for (String name : names) {
      JsonNode u = x.path(name);
      JsonNode v = y.path(name);
      if (u.isObject() && v.isObject()) { // params, tags: which keys differ
        TreeSet<String> keys = new TreeSet<>();
        u.fieldNames().forEachRemaining(keys::add);
        v.fieldNames().forEachRemaining(keys::add);
        for (String k : keys) {
          if (!u.path(k).equals(v.path(k))) {
            out.put(name + "." + k, u.path(k) + " | " + v.path(k));
          }
        }
      } else if (!u.equals(v)) {
        out.put(name, u + " | " + v);
      }
    }
    return out;
  }

  private static HttpResponse<String> post(String url, String body, String... headers) throws Exception {
    return ReceiverServer.HTTP.send(HttpRequest.newBuilder(URI.create(url)).headers(headers)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
