package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.testsupport.fake.FakeOpenAiProvider;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /v1/embeddings} end to end: the official OpenAI Java SDK and raw HTTP through the proxy to
 * the fake provider, every request's event read back from Kafka.
 */
class EmbeddingsProxyTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PROVIDER_KEY = "sk-embed-provider-91c3";
  private static final String CLIENT_KEY = "client-key-embed";
  private static final Duration EVENT_WAIT = Duration.ofSeconds(20);
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TempDir static Path dir;
  private static FakeOpenAiProvider fake;
  private static GatehouseProxy proxy;
  private static EventsTopic events;
  private static OpenAIClient sdk;

  @BeforeAll
  static void start() throws Exception {
    KafkaBroker kafka = KafkaBroker.shared();
    String topic = "events-embeddings-" + UUID.randomUUID();
    kafka.createTopic(topic, 3);
    fake = FakeOpenAiProvider.builder().requiredApiKey(PROVIDER_KEY).start();
    Path yaml = dir.resolve("gatehouse.yaml");
    Files.writeString(yaml, String.join("\n",
        "providers:",
        "  openai: { type: openai, base_url: \"${FAKE_URL}\", keys: [\"${FAKE_KEY}\"] }",
        "  claude: { type: anthropic, base_url: \"http://127.0.0.1:1\", keys: [\"sk-ant-unused\"] }",
        "models:",
        "  embed-default: { targets: [openai/text-embedding-3-small] }",
        "events:",
        "  kafka: { bootstrap: \"unused:1\", topic: " + topic + " }",
        ""));
    proxy = GatehouseProxy.start(Map.of(
        "GATEHOUSE_CONFIG", yaml.toString(),
        "GATEHOUSE_PORT", "0",
        "GATEHOUSE_KAFKA_BOOTSTRAP", kafka.bootstrapServers(),
        "FAKE_URL", fake.baseUrl(),
        "FAKE_KEY", PROVIDER_KEY));
    events = new EventsTopic(kafka.bootstrapServers(), topic);
    sdk = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + proxy.port() + "/v1").apiKey(CLIENT_KEY)
        .maxRetries(0).build();
  }

  @AfterAll
  static void stop() {
    if (sdk != null) {
      sdk.close();
    }
    if (proxy != null) {
      proxy.close();
    }
    if (events != null) {
      events.close();
    }
    if (fake != null) {
      fake.close();
    }
  }

  private static HttpResponse<String> post(String base, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(base + "/embeddings"))
        .header("Authorization", "Bearer " + (base.equals(fake.baseUrl()) ? PROVIDER_KEY : CLIENT_KEY))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String proxyBase() {
    return "http://127.0.0.1:" + proxy.port() + "/v1";
  }

  private static GatehouseEvent eventOf(HttpResponse<String> r) {
    return events.await(r.headers().firstValue("x-gatehouse-request-id").orElseThrow(), EVENT_WAIT);
  }

  private static JsonNode openAiError(HttpResponse<String> r, int status) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("application/json");
    JsonNode error = JSON.readTree(r.body()).path("error");
    assertThat(error.isObject()).as(r.body()).isTrue();
    assertThat(error.path("message").asText()).isNotBlank();
    assertThat(error.has("type") && error.has("param") && error.has("code")).isTrue();
    return error;
  }

  private static List<Float> floats(float[] values) {
    List<Float> list = new ArrayList<>();
    for (float f : values) {
      list.add(f);
    }
    return list;
  }

  @Test
  void sdkEmbeddingsAreAnsweredAndRecorded() throws Exception {
    EmbeddingCreateParams params = EmbeddingCreateParams.builder()
        .model("openai/text-embedding-3-small")
        .inputOfArrayOfStrings(List.of("hello big world", "second"))
        .dimensions(12)
        .putAdditionalHeader("x-gatehouse-team", "search")
        .build();
    HttpResponseFor<CreateEmbeddingResponse> response = sdk.embeddings().withRawResponse().create(params);
    CreateEmbeddingResponse body = response.parse();

    assertThat(body.data()).hasSize(2);
    assertThat(body.data().get(0).embedding())
        .isEqualTo(floats(FakeOpenAiProvider.embeddingFor("hello big world", 12)));
    assertThat(body.data().get(1).embedding()).isEqualTo(floats(FakeOpenAiProvider.embeddingFor("second", 12)));
    long tokens = FakeOpenAiProvider.embeddingTokens(List.of("hello big world", "second"));
    assertThat(body.usage().promptTokens()).isEqualTo(tokens);
    assertThat(body.model()).isEqualTo("text-embedding-3-small");
    assertThat(response.headers().values("x-gatehouse-provider")).containsExactly("openai");

    FakeOpenAiProvider.RecordedRequest upstream = fake.lastRequest();
    assertThat(upstream.path()).isEqualTo("/v1/embeddings");
    assertThat(upstream.header("authorization")).isEqualTo("Bearer " + PROVIDER_KEY);
    assertThat(upstream.bodyJson().path("model").asText()).isEqualTo("text-embedding-3-small");
    assertThat(upstream.bodyText()).doesNotContain(CLIENT_KEY);

    String eventId = response.headers().values("x-gatehouse-request-id").get(0);
    GatehouseEvent e = events.await(eventId, EVENT_WAIT);
    assertThat(e.endpoint()).isEqualTo("/v1/embeddings");
    assertThat(e.status()).isEqualTo(200);
    assertThat(e.stream()).isFalse();
    assertThat(e.modelRequested()).isEqualTo("openai/text-embedding-3-small");
    assertThat(e.model()).isEqualTo("text-embedding-3-small");
    assertThat(e.provider()).isEqualTo("openai");
    assertThat(e.deployment()).isEqualTo("openai#0/text-embedding-3-small");
    assertThat(e.inputTokens()).isEqualTo(tokens);
    assertThat(e.outputTokens()).isNull();
    assertThat(e.completion()).isNull();
    assertThat(e.team()).isEqualTo("search");
    assertThat(e.prompt()).hasSize(2);
    assertThat(e.prompt().get(0).asText()).isEqualTo("hello big world");
    assertThat(e.params().has("input")).isFalse();
    assertThat(e.params().path("dimensions").asInt()).isEqualTo(12);
    assertThat(e.attempts()).singleElement().satisfies(a -> assertThat(a.status()).isEqualTo(200));
    assertThat(events.raw(eventId)).doesNotContain(PROVIDER_KEY).doesNotContain(CLIENT_KEY);
  }

  @Test
  void base64AndBareAndAliasNamesAreRelayedByteForByte() throws Exception {
    String direct = post(fake.baseUrl(),
        "{\"model\":\"text-embedding-3-small\",\"input\":\"a b c\",\"encoding_format\":\"base64\"}").body();
    for (String model : List.of("text-embedding-3-small", "embed-default", "openai/text-embedding-3-small")) {
      String request = "{ \"input\" : \"a b c\", \"model\":\"" + model + "\", \"encoding_format\":\"base64\"}";
      HttpResponse<String> viaProxy = post(proxyBase(), request);
      assertThat(viaProxy.statusCode()).isEqualTo(200);
      assertThat(viaProxy.body()).isEqualTo(direct);
      // only model was patched: the rest of the client's bytes went upstream as sent
      assertThat(fake.lastRequest().bodyText()).isEqualTo(request.replace(model, "text-embedding-3-small"));
      GatehouseEvent e = eventOf(viaProxy);
      assertThat(e.modelRequested()).isEqualTo(model);
      assertThat(e.inputTokens()).isEqualTo(3L);
      assertThat(e.prompt().asText()).isEqualTo("a b c");
      assertThat(e.params().path("encoding_format").asText()).isEqualTo("base64");
    }
    assertThat(JSON.readTree(direct).path("data").get(0).path("embedding").asText())
        .isEqualTo(FakeOpenAiProvider.base64Of(FakeOpenAiProvider.embeddingFor("a b c", 8)));
  }

  @Test
  void badInputGetsOpenAiShapedErrorsAndEvents() throws Exception {
    HttpResponse<String> badJson = post(proxyBase(), "{\"model\": ");
    assertThat(openAiError(badJson, 400).path("code").asText()).isEqualTo("invalid_json");
    GatehouseEvent e1 = eventOf(badJson);
    assertThat(e1.status()).isEqualTo(400);
    assertThat(e1.endpoint()).isEqualTo("/v1/embeddings");
    assertThat(e1.errorClass()).isEqualTo("invalid_request_error");

    HttpResponse<String> noModel = post(proxyBase(), "{\"input\":\"x\"}");
    assertThat(openAiError(noModel, 400).path("param").asText()).isEqualTo("model");
    assertThat(eventOf(noModel).status()).isEqualTo(400);

    HttpResponse<String> noInput = post(proxyBase(), "{\"model\":\"text-embedding-3-small\"}");
    assertThat(openAiError(noInput, 400).path("param").asText()).isEqualTo("input");
    GatehouseEvent e3 = eventOf(noInput);
    assertThat(e3.status()).isEqualTo(400);
    assertThat(e3.modelRequested()).isEqualTo("text-embedding-3-small");
    assertThat(e3.attempts()).isEmpty();

    HttpResponse<String> objectInput = post(proxyBase(), "{\"model\":\"text-embedding-3-small\",\"input\":{}}");
    assertThat(openAiError(objectInput, 400).path("code").asText()).isEqualTo("invalid_input");

    HttpResponse<String> anthropic = post(proxyBase(), "{\"model\":\"claude/claude-3-5-haiku-latest\",\"input\":\"x\"}");
    assertThat(openAiError(anthropic, 400).path("message").asText()).contains("anthropic").contains("embeddings");
    GatehouseEvent e5 = eventOf(anthropic);
    assertThat(e5.status()).isEqualTo(400);
    assertThat(e5.provider()).isEqualTo("claude");
    assertThat(e5.attempts()).isEmpty();

    HttpResponse<String> wrongMethod = HTTP.send(HttpRequest.newBuilder(URI.create(proxyBase() + "/embeddings"))
        .GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(openAiError(wrongMethod, 405).path("message").asText()).contains("POST");
  }

  @Test
  void upstreamErrorsArePassedThroughOrWrapped() throws Exception {
    HttpResponse<String> tokens = post(proxyBase(), "{\"model\":\"text-embedding-3-small\",\"input\":[1,2]}");
    JsonNode upstreamError = openAiError(tokens, 400);
    assertThat(upstreamError.path("message").asText()).contains("input");
    assertThat(tokens.body()).isEqualTo(post(fake.baseUrl(),
        "{\"model\":\"text-embedding-3-small\",\"input\":[1,2]}").body());
    GatehouseEvent e1 = eventOf(tokens);
    assertThat(e1.status()).isEqualTo(400);
    assertThat(e1.attempts()).singleElement().satisfies(a -> assertThat(a.status()).isEqualTo(400));

    HttpResponse<String> limited = post(proxyBase(), "{\"model\":\"text-embedding-3-small@fail-429\",\"input\":\"x\"}");
    assertThat(openAiError(limited, 429).path("code").asText()).isEqualTo("rate_limit_exceeded");
    GatehouseEvent e2 = eventOf(limited);
    assertThat(e2.status()).isEqualTo(429);
    assertThat(e2.attempts()).singleElement().satisfies(a -> assertThat(a.failureClass()).isEqualTo("rate_limit"));

    HttpResponse<String> html = post(proxyBase(), "{\"model\":\"text-embedding-3-small@html-502\",\"input\":\"x\"}");
    JsonNode wrapped = openAiError(html, 502);
    assertThat(wrapped.path("type").asText()).isEqualTo("upstream_error");
    assertThat(wrapped.path("message").asText()).contains("Provider 'openai'").contains("non-JSON");
    assertThat(eventOf(html).status()).isEqualTo(502);
  }
}
