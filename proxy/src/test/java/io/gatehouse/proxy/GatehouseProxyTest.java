package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.models.models.Model;
import com.openai.models.models.ModelRetrieveParams;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.testsupport.fake.FakeOpenAiProvider;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.net.ServerSocket;
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
 * The proxy end to end with real parts: a real Kafka broker, the fake provider over HTTP, and the
 * official OpenAI Java SDK as the client. Every request's event is read back from the topic.
 */
class GatehouseProxyTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PROVIDER_KEY = "sk-provider-secret-4f2a";
  private static final String CLIENT_KEY = "client-key";
  private static final Duration EVENT_WAIT = Duration.ofSeconds(20);
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TempDir static Path dir;
  private static FakeOpenAiProvider fake;
  private static GatehouseProxy proxy;
  private static EventsTopic events;
  private static OpenAIClient sdk;
  private static int closedPort;

  @BeforeAll
  static void start() throws Exception {
    KafkaBroker kafka = KafkaBroker.shared();
    String topic = "events-proxy-" + UUID.randomUUID();
    kafka.createTopic(topic, 3);
    fake = FakeOpenAiProvider.builder().chunkDelayMs(15).requiredApiKey(PROVIDER_KEY).start();
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    Path yaml = dir.resolve("gatehouse.yaml");
    Files.writeString(yaml, String.join("\n",
        "providers:",
        "  fake: { type: openai-compatible, base_url: \"${FAKE_URL}\", keys: [\"${FAKE_KEY}\"] }",
        "  down: { type: openai-compatible, base_url: \"http://127.0.0.1:" + closedPort + "/v1\" }",
        "models:",
        "  chat-default: { targets: [fake/gpt-4o-mini, down/whatever] }",
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
    sdk = OpenAIOkHttpClient.builder().baseUrl(base()).apiKey(CLIENT_KEY).maxRetries(0).build();
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

  private static String base() {
    return "http://127.0.0.1:" + proxy.port() + "/v1";
  }

  private static HttpResponse<String> raw(String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + path))
        .header("Authorization", "Bearer " + CLIENT_KEY)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertNoSecrets(String eventId) {
    String json = events.raw(eventId);
    assertThat(json).doesNotContain(PROVIDER_KEY).doesNotContain(CLIENT_KEY);
  }

  @Test
  void nonStreamCompletionThroughTheSdkIsAnsweredAndRecorded() throws Exception {
    ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
        .model("fake/gpt-4o-mini")
        .addSystemMessage("You are terse")
        .addUserMessage("hello big world")
        .temperature(0.2)
        .putAdditionalHeader("x-gatehouse-user", "u-42")
        .putAdditionalHeader("x-gatehouse-team", "search")
        .putAdditionalHeader("x-gatehouse-feature", "summarize")
        .putAdditionalHeader("x-gatehouse-tags", "env=test, variant=b")
        .putAdditionalHeader("x-gatehouse-session", "s-1")
        .user("body-user-loses")
        .build();
    HttpResponseFor<ChatCompletion> response = sdk.chat().completions().withRawResponse().create(params);
    ChatCompletion completion = response.parse();

    String expectedText = FakeOpenAiProvider.replyFor("hello big world");
    long promptTokens = FakeOpenAiProvider.promptTokens(List.of("You are terse", "hello big world"));
    long completionTokens = FakeOpenAiProvider.completionTokens(expectedText);
    assertThat(completion.choices().get(0).message().content()).hasValue(expectedText);
    assertThat(completion.model()).isEqualTo("gpt-4o-mini");
    assertThat(completion.usage().orElseThrow().promptTokens()).isEqualTo(promptTokens);
    assertThat(response.headers().values("x-gatehouse-provider")).containsExactly("fake");
    String eventId = response.headers().values("x-gatehouse-request-id").get(0);

    // upstream saw the provider key, the stripped model, and nothing of the client's key
    FakeOpenAiProvider.RecordedRequest upstream = fake.lastRequest();
    assertThat(upstream.header("authorization")).isEqualTo("Bearer " + PROVIDER_KEY);
    assertThat(upstream.headers().values()).noneMatch(v -> v.contains(CLIENT_KEY));
    assertThat(upstream.bodyJson().path("model").asText()).isEqualTo("gpt-4o-mini");
    assertThat(upstream.bodyJson().has("stream_options")).isFalse();

    GatehouseEvent e = events.await(eventId, EVENT_WAIT);
    assertThat(e.source()).isEqualTo("proxy");
    assertThat(e.status()).isEqualTo(200);
    assertThat(e.stream()).isFalse();
    assertThat(e.endpoint()).isEqualTo("/v1/chat/completions");
    assertThat(e.modelRequested()).isEqualTo("fake/gpt-4o-mini");
    assertThat(e.model()).isEqualTo("gpt-4o-mini");
    assertThat(e.provider()).isEqualTo("fake");
    assertThat(e.deployment()).isEqualTo("fake#0/gpt-4o-mini");
    assertThat(e.route()).isEqualTo("fake/gpt-4o-mini");
    assertThat(e.inputTokens()).isEqualTo(promptTokens);
    assertThat(e.outputTokens()).isEqualTo(completionTokens);
    assertThat(e.cachedInputTokens()).isZero();
    assertThat(e.reasoningTokens()).isZero();
    assertThat(e.costUsd()).isNull();
    assertThat(e.completion()).isEqualTo(expectedText);
    assertThat(e.finishReason()).isEqualTo("stop");
    assertThat(e.user()).isEqualTo("u-42");
    assertThat(e.team()).isEqualTo("search");
    assertThat(e.feature()).isEqualTo("summarize");
    assertThat(e.sessionId()).isEqualTo("s-1");
    assertThat(e.tags()).containsExactlyInAnyOrderEntriesOf(Map.of("env", "test", "variant", "b"));
    assertThat(e.prompt().size()).isEqualTo(2);
    assertThat(e.prompt().get(1).path("content").asText()).isEqualTo("hello big world");
    assertThat(e.promptHash()).matches("[0-9a-f]{64}");
    assertThat(e.params().has("messages")).isFalse();
    assertThat(e.params().path("temperature").asDouble()).isEqualTo(0.2);
    assertThat(e.ttftMs()).isNull();
    assertThat(e.upstreamMs()).isNotNull().isLessThanOrEqualTo(e.durationMs());
    assertThat(e.overheadUs()).isNotNull().isGreaterThanOrEqualTo(0L);
    assertThat(e.tsEndMs()).isGreaterThanOrEqualTo(e.tsStartMs());
    assertThat(e.attempts()).singleElement().satisfies(a -> {
      assertThat(a.provider()).isEqualTo("fake");
      assertThat(a.deployment()).isEqualTo("fake#0/gpt-4o-mini");
      assertThat(a.status()).isEqualTo(200);
      assertThat(a.failureClass()).isNull();
    });
    assertNoSecrets(eventId);
  }

  @Test
  void streamWithoutUsageOptionGetsNoUsageChunkButTheEventHasTokens() throws Exception {
    String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
        .model("fake/gpt-4o")
        .addUserMessage("stream me some words")
        .user("body-user")
        .putAdditionalHeader("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01")
        .build();
    StringBuilder text = new StringBuilder();
    List<ChatCompletionChunk> chunks = new ArrayList<>();
    HttpResponseFor<StreamResponse<ChatCompletionChunk>> response =
        sdk.chat().completions().withRawResponse().createStreaming(params);
    try (StreamResponse<ChatCompletionChunk> stream = response.parse()) {
      stream.stream().forEach(c -> {
        chunks.add(c);
        c.choices().forEach(ch -> ch.delta().content().ifPresent(text::append));
      });
    }
    String expectedText = FakeOpenAiProvider.replyFor("stream me some words");
    assertThat(text.toString()).isEqualTo(expectedText);
    assertThat(chunks).noneMatch(c -> c.choices().isEmpty());
    assertThat(chunks).noneMatch(c -> c.usage().isPresent());
    // the proxy asked upstream for usage although the client did not
    assertThat(fake.lastRequest().bodyJson().path("stream_options").path("include_usage").asBoolean()).isTrue();

    String eventId = response.headers().values("x-gatehouse-request-id").get(0);
    GatehouseEvent e = events.await(eventId, EVENT_WAIT);
    assertThat(e.stream()).isTrue();
    assertThat(e.status()).isEqualTo(200);
    assertThat(e.errorClass()).isNull();
    assertThat(e.completion()).isEqualTo(expectedText);
    assertThat(e.finishReason()).isEqualTo("stop");
    assertThat(e.model()).isEqualTo("gpt-4o");
    assertThat(e.inputTokens()).isEqualTo((long) FakeOpenAiProvider.promptTokens(List.of("stream me some words")));
    assertThat(e.outputTokens()).isEqualTo((long) FakeOpenAiProvider.completionTokens(expectedText));
    assertThat(e.ttftMs()).isNotNull().isLessThanOrEqualTo(e.durationMs());
    assertThat(e.tsFirstTokenMs()).isEqualTo(e.tsStartMs() + e.ttftMs());
    // 7 events 15 ms apart: the stream takes visibly longer than its first byte
    assertThat(e.durationMs() - e.ttftMs()).isGreaterThanOrEqualTo(60);
    assertThat(e.user()).isEqualTo("body-user");
    assertThat(e.traceId()).isEqualTo(traceId);
    assertThat(e.spanId()).isEqualTo("00f067aa0ba902b7");
    assertThat(e.params().path("stream_options").isMissingNode()).isTrue();
    assertNoSecrets(eventId);
  }

  @Test
  void streamWithUsageOptionForwardsTheUsageChunk() {
    ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
        .model("chat-default")
        .addUserMessage("count these four words")
        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
        .build();
    List<ChatCompletionChunk> chunks = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> stream = sdk.chat().completions().createStreaming(params)) {
      stream.stream().forEach(chunks::add);
    }
    ChatCompletionChunk last = chunks.get(chunks.size() - 1);
    assertThat(last.choices()).isEmpty();
    assertThat(last.usage().orElseThrow().promptTokens())
        .isEqualTo(FakeOpenAiProvider.promptTokens(List.of("count these four words")));
  }

  @Test
  void aliasRoutesToItsFirstTarget() throws Exception {
    HttpResponse<String> r = raw("POST", "/v1/chat/completions",
        "{\"model\":\"chat-default\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("x-gatehouse-provider")).hasValue("fake");
    GatehouseEvent e = events.await(r.headers().firstValue("x-gatehouse-request-id").orElseThrow(), EVENT_WAIT);
    assertThat(e.route()).isEqualTo("chat-default");
    assertThat(e.modelRequested()).isEqualTo("chat-default");
    assertThat(e.provider()).isEqualTo("fake");
    assertThat(e.model()).isEqualTo("gpt-4o-mini");
  }

  /** Asserts OpenAI's error shape and returns the error object. */
  private static JsonNode openAiError(HttpResponse<String> r, int status) throws Exception {
    assertThat(r.statusCode()).isEqualTo(status);
    assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("application/json");
    assertThat(r.headers().firstValue("x-gatehouse-request-id")).isPresent();
    JsonNode error = JSON.readTree(r.body()).path("error");
    assertThat(error.isObject()).as(r.body()).isTrue();
    assertThat(error.path("message").asText()).isNotBlank();
    assertThat(error.has("type")).isTrue();
    assertThat(error.has("param")).isTrue();
    assertThat(error.has("code")).isTrue();
    assertThat(r.body()).doesNotContain("Exception").doesNotContain("\tat ");
    return error;
  }

  private static GatehouseEvent eventOf(HttpResponse<String> r) {
    return events.await(r.headers().firstValue("x-gatehouse-request-id").orElseThrow(), EVENT_WAIT);
  }

  @Test
  void badInputGetsOpenAiShapedClientErrorsAndEvents() throws Exception {
    HttpResponse<String> badJson = raw("POST", "/v1/chat/completions", "{\"model\": \"fake/gpt-4o\", ");
    assertThat(openAiError(badJson, 400).path("type").asText()).isEqualTo("invalid_request_error");
    GatehouseEvent e1 = eventOf(badJson);
    assertThat(e1.status()).isEqualTo(400);
    assertThat(e1.errorClass()).isEqualTo("invalid_request_error");
    assertThat(e1.errorMessage()).contains("not valid JSON");

    HttpResponse<String> noModel = raw("POST", "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    assertThat(openAiError(noModel, 400).path("param").asText()).isEqualTo("model");
    assertThat(eventOf(noModel).status()).isEqualTo(400);

    HttpResponse<String> unknownModel = raw("POST", "/v1/chat/completions",
        "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    JsonNode err = openAiError(unknownModel, 404);
    assertThat(err.path("message").asText()).contains("provider/model").contains("fake, down").contains("chat-default");
    assertThat(err.path("code").asText()).isEqualTo("model_not_found");
    GatehouseEvent e3 = eventOf(unknownModel);
    assertThat(e3.status()).isEqualTo(404);
    assertThat(e3.modelRequested()).isEqualTo("gpt-4o");
    assertThat(e3.attempts()).isEmpty();

    HttpResponse<String> unknownProvider = raw("POST", "/v1/chat/completions",
        "{\"model\":\"opnai/gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    assertThat(openAiError(unknownProvider, 404).path("message").asText())
        .contains("Unknown provider 'opnai'").contains("Configured providers: fake, down");
    GatehouseEvent e4 = eventOf(unknownProvider);
    assertThat(e4.errorMessage()).contains("opnai");
    assertThat(e4.prompt().get(0).path("content").asText()).isEqualTo("x");

    HttpResponse<String> wrongMethod = raw("GET", "/v1/chat/completions", null);
    assertThat(openAiError(wrongMethod, 405).path("message").asText()).contains("POST");
    assertThat(eventOf(wrongMethod).status()).isEqualTo(405);

    HttpResponse<String> wrongPath = raw("POST", "/v1/completionz", "{}");
    assertThat(openAiError(wrongPath, 404).path("message").asText()).contains("/v1/chat/completions");
    assertThat(eventOf(wrongPath).endpoint()).isEqualTo("/v1/completionz");
  }

  @Test
  void upstreamErrorsArePassedThroughOrWrappedAndRecorded() throws Exception {
    String body = "{\"model\":\"fake/gpt-4o-mini@fail-429\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
    HttpResponse<String> limited = raw("POST", "/v1/chat/completions", body);
    assertThat(openAiError(limited, 429).path("code").asText()).isEqualTo("rate_limit_exceeded");
    assertThat(limited.headers().firstValue("x-gatehouse-provider")).hasValue("fake");
    GatehouseEvent e1 = eventOf(limited);
    assertThat(e1.status()).isEqualTo(429);
    assertThat(e1.errorClass()).isEqualTo("requests");
    // a rate limit is retried (default retries.max_attempts: 3); the client sees the last answer
    assertThat(e1.attempts()).hasSize(3).allSatisfy(a -> {
      assertThat(a.status()).isEqualTo(429);
      assertThat(a.failureClass()).isEqualTo("rate_limit");
    });

    HttpResponse<String> html = raw("POST", "/v1/chat/completions",
        "{\"model\":\"fake/gpt-4o-mini@html-502\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    JsonNode wrapped = openAiError(html, 502);
    assertThat(wrapped.path("type").asText()).isEqualTo("upstream_error");
    assertThat(wrapped.path("message").asText()).contains("Provider 'fake'").contains("non-JSON");
    assertThat(eventOf(html).status()).isEqualTo(502);

    HttpResponse<String> down = raw("POST", "/v1/chat/completions",
        "{\"model\":\"down/some-model\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    JsonNode unreachable = openAiError(down, 502);
    assertThat(unreachable.path("code").asText()).isEqualTo("upstream_unreachable");
    assertThat(unreachable.path("message").asText()).contains("127.0.0.1:" + closedPort);
    GatehouseEvent e3 = eventOf(down);
    assertThat(e3.status()).isEqualTo(502);
    assertThat(e3.errorClass()).isEqualTo("upstream_unreachable");
    assertThat(e3.attempts()).singleElement().satisfies(a -> assertThat(a.failureClass()).isEqualTo("unreachable"));
  }

  @Test
  void streamCutMidAnswerIsAnErrorEventNotASuccess() throws Exception {
    HttpResponse<String> r = raw("POST", "/v1/chat/completions",
        "{\"model\":\"fake/gpt-4o-mini@cut-2\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"one two three four\"}]}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).doesNotContain("[DONE]");
    GatehouseEvent e = eventOf(r);
    assertThat(e.stream()).isTrue();
    assertThat(e.status()).isEqualTo(502);
    assertThat(e.errorClass()).isEqualTo("stream_interrupted");
    assertThat(e.completion()).isEqualTo("Echo: one");
    assertThat(e.finishReason()).isNull();
  }

  @Test
  void clientLeavingMidStreamCancelsUpstreamAndIsRecorded() throws Exception {
    String words = String.join(" ", java.util.Collections.nCopies(40, "word"));
    HttpResponse<java.io.InputStream> r = HTTP.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"fake/gpt-4o-mini\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"" + words + "\"}]}"))
        .build(), HttpResponse.BodyHandlers.ofInputStream());
    String eventId = r.headers().firstValue("x-gatehouse-request-id").orElseThrow();
    try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(r.body(), java.nio.charset.StandardCharsets.UTF_8))) {
      assertThat(in.readLine()).startsWith("data: ");
    } // closing the body drops the connection while ~40 chunks are still to come
    GatehouseEvent e = events.await(eventId, EVENT_WAIT);
    assertThat(e.status()).isEqualTo(499);
    assertThat(e.errorClass()).isEqualTo("client_disconnected");
    assertThat(e.completion()).startsWith("Echo:").isNotEqualTo(FakeOpenAiProvider.replyFor(words));
  }

  @Test
  void healthAndModelsAndExactlyOneEventPerRequest() throws Exception {
    HttpResponse<String> health = raw("GET", "/health", null);
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(health.body()).path("status").asText()).isEqualTo("ok");
    assertThat(health.headers().firstValue("x-gatehouse-request-id")).isPresent();
    HttpResponse<String> live = raw("GET", "/health/live", null);
    assertThat(live.statusCode()).isEqualTo(200);
    assertThat(live.body()).isEqualTo("{\"status\":\"live\"}");
    assertThat(raw("GET", "/health/ready", null).statusCode()).isEqualTo(200);

    HttpResponse<String> models = raw("GET", "/v1/models", null);
    JsonNode list = JSON.readTree(models.body());
    assertThat(list.path("object").asText()).isEqualTo("list");
    List<String> ids = new ArrayList<>();
    list.path("data").forEach(m -> ids.add(m.path("id").asText()));
    assertThat(ids).contains("chat-default", "fake/gpt-4o-mini", "down/whatever");
    assertThat(models.body()).doesNotContain(PROVIDER_KEY);

    HttpResponse<String> ok = raw("POST", "/v1/chat/completions",
        "{\"model\":\"fake/gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"once\"}]}");
    String id = ok.headers().firstValue("x-gatehouse-request-id").orElseThrow();
    events.await(id, EVENT_WAIT);
    events.drain(Duration.ofMillis(500));
    assertThat(events.count(id)).isEqualTo(1);
  }

  @Test
  void theOpenAiSdkListsAndRetrievesConfiguredModels() {
    List<String> ids = new ArrayList<>();
    sdk.models().list().autoPager().forEach(m -> {
      ids.add(m.id());
      assertThat(m.ownedBy()).isNotBlank();
    });
    assertThat(ids).containsExactly("chat-default", "fake/gpt-4o-mini", "down/whatever");

    Model one = sdk.models().retrieve(ModelRetrieveParams.builder().model("fake/gpt-4o-mini").build());
    assertThat(one.id()).isEqualTo("fake/gpt-4o-mini");
    assertThat(one.ownedBy()).isEqualTo("fake");
    assertThatThrownBy(() -> sdk.models().retrieve(ModelRetrieveParams.builder().model("fake/nope").build()))
        .isInstanceOf(com.openai.errors.NotFoundException.class);
  }
}
