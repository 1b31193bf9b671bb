package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.OpenAIException;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.testsupport.fake.FakeAnthropicProvider;
import io.gatehouse.testsupport.fake.FakeOpenAiProvider;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OpenAI in, Anthropic upstream, OpenAI out: the official OpenAI SDK talks to the proxy, whose
 * zero-config {@code anthropic} provider (ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL) is the fake Anthropic
 * server. Every request's event is read back from a real Kafka topic.
 */
class AnthropicProxyTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PROVIDER_KEY = "sk-ant-provider-secret-77c1";
  private static final String CLIENT_KEY = "client-key-anthropic";
  private static final String MODEL = "claude-3-5-haiku-20241022";
  private static final Duration EVENT_WAIT = Duration.ofSeconds(20);
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private static FakeAnthropicProvider fake;
  private static GatehouseProxy proxy;
  private static EventsTopic events;
  private static OpenAIClient sdk;

  @BeforeAll
  static void start() {
    KafkaBroker kafka = KafkaBroker.shared();
    String topic = "events-anthropic-" + UUID.randomUUID();
    kafka.createTopic(topic, 1);
    fake = FakeAnthropicProvider.builder().port(0).chunkDelayMs(10).requiredApiKey(PROVIDER_KEY).start();
    proxy = GatehouseProxy.start(Map.of(
        "ANTHROPIC_API_KEY", PROVIDER_KEY,
        "ANTHROPIC_BASE_URL", fake.baseUrl(),
        "GATEHOUSE_PORT", "0",
        "GATEHOUSE_KAFKA_BOOTSTRAP", kafka.bootstrapServers(),
        "GATEHOUSE_CONFIG", writeConfig(topic)));
    events = new EventsTopic(kafka.bootstrapServers(), topic);
    sdk = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + proxy.port() + "/v1").apiKey(CLIENT_KEY)
        .maxRetries(0).build();
  }

  /** Only the events topic: the provider comes from the environment. */
  private static String writeConfig(String topic) {
    try {
      java.nio.file.Path yaml = java.nio.file.Files.createTempFile("gatehouse-anthropic", ".yaml");
      yaml.toFile().deleteOnExit();
      java.nio.file.Files.writeString(yaml, "events: { kafka: { bootstrap: \"unused:1\", topic: " + topic + " } }\n");
      return yaml.toString();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
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

  /** The fake's input_tokens for an Anthropic request with this system prompt and user turns. */
  private static long inputTokens(String system, String... userTexts) {
    var request = JSON.createObjectNode();
    if (system != null) {
      request.put("system", system);
    }
    var messages = request.putArray("messages");
    for (String t : userTexts) {
      messages.addObject().put("role", "user").put("content", t);
    }
    return FakeAnthropicProvider.inputTokens(request);
  }

  private static void assertUpstreamSawOnlyTheProviderKey() {
    var upstream = fake.lastRequest();
    assertThat(upstream.path()).isEqualTo("/v1/messages");
    assertThat(upstream.header("x-api-key")).isEqualTo(PROVIDER_KEY);
    assertThat(upstream.header("anthropic-version")).isEqualTo("2023-06-01");
    assertThat(upstream.header("content-type")).startsWith("application/json");
    assertThat(upstream.header("authorization")).isNull();
    assertThat(upstream.headers().values()).noneMatch(v -> v.contains(CLIENT_KEY));
  }

  private static GatehouseEvent eventOf(com.openai.core.http.Headers headers) {
    return events.await(headers.values("x-gatehouse-request-id").get(0), EVENT_WAIT);
  }

  private static ChatCompletionFunctionTool weatherTool() {
    return ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder()
        .name("get_weather")
        .description("Weather for a city")
        .parameters(FunctionParameters.builder()
            .putAdditionalProperty("type", JsonValue.from("object"))
            .putAdditionalProperty("properties", JsonValue.from(Map.of("location", Map.of("type", "string"))))
            .build())
        .build()).build();
  }

  @Test
  void nonStreamCompletionIsTranslatedBothWaysAndRecorded() {
    HttpResponseFor<ChatCompletion> response = sdk.chat().completions().withRawResponse().create(
        ChatCompletionCreateParams.builder()
            .model("anthropic/" + MODEL)
            .addSystemMessage("You are terse")
            .addUserMessage("hello big world")
            .maxCompletionTokens(100)
            .build());
    ChatCompletion completion = response.parse();

    String expectedText = FakeOpenAiProvider.replyFor("hello big world");
    long input = inputTokens("You are terse", "hello big world");
    long output = FakeAnthropicProvider.outputTokens(expectedText);
    assertThat(completion.choices().get(0).message().content()).hasValue(expectedText);
    assertThat(completion.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
    assertThat(completion.model()).isEqualTo(MODEL);
    assertThat(completion.usage().orElseThrow().promptTokens()).isEqualTo(input);
    assertThat(completion.usage().orElseThrow().completionTokens()).isEqualTo(output);
    assertThat(response.headers().values("x-gatehouse-provider")).containsExactly("anthropic");
    assertUpstreamSawOnlyTheProviderKey();
    JsonNode sent = fake.lastRequest().bodyJson();
    assertThat(sent.path("model").asText()).isEqualTo(MODEL);
    assertThat(sent.path("system").toString()).contains("You are terse");
    assertThat(sent.path("max_tokens").asInt()).isEqualTo(100);

    GatehouseEvent e = eventOf(response.headers());
    assertThat(e.status()).isEqualTo(200);
    assertThat(e.stream()).isFalse();
    assertThat(e.provider()).isEqualTo("anthropic");
    assertThat(e.deployment()).isEqualTo("anthropic#0/" + MODEL);
    assertThat(e.route()).isEqualTo("anthropic/" + MODEL);
    assertThat(e.model()).isEqualTo(MODEL);
    assertThat(e.inputTokens()).isEqualTo(input);
    assertThat(e.outputTokens()).isEqualTo(output);
    assertThat(e.cachedInputTokens()).isZero();
    assertThat(e.cacheWriteTokens()).isZero();
    assertThat(e.finishReason()).isEqualTo("stop");
    assertThat(e.completion()).isEqualTo(expectedText);
    assertThat(e.errorClass()).isNull();
    assertThat(e.attempts()).singleElement().satisfies(a -> {
      assertThat(a.provider()).isEqualTo("anthropic");
      assertThat(a.status()).isEqualTo(200);
    });
    assertThat(events.raw(e.eventId())).doesNotContain(PROVIDER_KEY).doesNotContain(CLIENT_KEY);
  }

  @Test
  void streamArrivesChunkByChunkWithUsageWhenAsked() {
    List<ChatCompletionChunk> chunks = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    HttpResponseFor<StreamResponse<ChatCompletionChunk>> response = sdk.chat().completions().withRawResponse()
        .createStreaming(ChatCompletionCreateParams.builder()
            .model("anthropic/" + MODEL)
            .addUserMessage("stream me some words please")
            .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
            .build());
    try (StreamResponse<ChatCompletionChunk> stream = response.parse()) {
      stream.stream().forEach(c -> {
        chunks.add(c);
        c.choices().forEach(ch -> ch.delta().content().ifPresent(text::append));
      });
    }
    String expectedText = FakeOpenAiProvider.replyFor("stream me some words please");
    assertThat(text.toString()).isEqualTo(expectedText);
    // one content chunk per upstream text_delta (one per word): not buffered into one
    long contentChunks = chunks.stream().filter(c -> !c.choices().isEmpty()
        && c.choices().get(0).delta().content().filter(s -> !s.isEmpty()).isPresent()).count();
    assertThat(contentChunks).isEqualTo(expectedText.split(" ").length);
    ChatCompletionChunk last = chunks.get(chunks.size() - 1);
    assertThat(last.choices()).isEmpty();
    long input = inputTokens(null, "stream me some words please");
    long output = FakeAnthropicProvider.outputTokens(expectedText);
    assertThat(last.usage().orElseThrow().promptTokens()).isEqualTo(input);
    assertThat(last.usage().orElseThrow().completionTokens()).isEqualTo(output);
    assertThat(fake.lastRequest().bodyJson().path("stream").asBoolean()).isTrue();
    assertUpstreamSawOnlyTheProviderKey();

    GatehouseEvent e = eventOf(response.headers());
    assertThat(e.stream()).isTrue();
    assertThat(e.status()).isEqualTo(200);
    assertThat(e.errorClass()).isNull();
    assertThat(e.completion()).isEqualTo(expectedText);
    assertThat(e.finishReason()).isEqualTo("stop");
    assertThat(e.model()).isEqualTo(MODEL);
    assertThat(e.provider()).isEqualTo("anthropic");
    assertThat(e.deployment()).isEqualTo("anthropic#0/" + MODEL);
    assertThat(e.inputTokens()).isEqualTo(input);
    assertThat(e.outputTokens()).isEqualTo(output);
    assertThat(e.ttftMs()).isNotNull().isLessThanOrEqualTo(e.durationMs());
    // ~10 frames 10 ms apart: the stream visibly outlasts its first byte
    assertThat(e.durationMs() - e.ttftMs()).isGreaterThanOrEqualTo(40);
  }

  @Test
  void streamWithoutUsageOptionHasNoUsageChunk() throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
        .header("Authorization", "Bearer " + CLIENT_KEY)
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"anthropic/" + MODEL + "\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"two words\"}]}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
    assertThat(r.body()).endsWith("data: [DONE]\n\n").doesNotContain("\"usage\"").doesNotContain("event:");
    GatehouseEvent e = events.await(r.headers().firstValue("x-gatehouse-request-id").orElseThrow(), EVENT_WAIT);
    assertThat(e.inputTokens()).isEqualTo(inputTokens(null, "two words"));
  }

  @Test
  void toolCallsNonStreamAndStream() {
    ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
        .model("anthropic/" + MODEL)
        .addUserMessage("What is the weather in Lisbon?")
        .addTool(weatherTool())
        .build();
    ChatCompletion completion = sdk.chat().completions().create(params);
    ChatCompletion.Choice choice = completion.choices().get(0);
    assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
    ChatCompletionMessageFunctionToolCall call = choice.message().toolCalls().orElseThrow().get(0).asFunction();
    assertThat(call.function().name()).isEqualTo("get_weather");
    assertThat(call.function().arguments()).isEqualTo(FakeAnthropicProvider.TOOL_INPUT_JSON);
    assertThat(call.id()).isNotBlank();
    assertThat(fake.lastRequest().bodyJson().path("tools").path(0).path("name").asText()).isEqualTo("get_weather");

    StringBuilder arguments = new StringBuilder();
    List<String> names = new ArrayList<>();
    List<String> finishReasons = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> stream = sdk.chat().completions().createStreaming(params)) {
      stream.stream().forEach(c -> c.choices().forEach(ch -> {
        ch.finishReason().ifPresent(f -> finishReasons.add(f.asString()));
        ch.delta().toolCalls().ifPresent(calls -> calls.forEach(tc -> tc.function().ifPresent(f -> {
          f.name().ifPresent(names::add);
          f.arguments().ifPresent(arguments::append);
        })));
      }));
    }
    assertThat(names).containsExactly("get_weather");
    assertThat(arguments.toString()).isEqualTo(FakeAnthropicProvider.TOOL_INPUT_JSON);
    assertThat(finishReasons).containsExactly("tool_calls");
  }

  @Test
  void overloadedUpstreamIsAnOpenAiErrorTheSdkRaises() {
    assertThatThrownBy(() -> sdk.chat().completions().create(ChatCompletionCreateParams.builder()
            .model("anthropic/" + MODEL + "@fail-529")
            .addUserMessage("x")
            .build()))
        .isInstanceOfSatisfying(OpenAIServiceException.class, ex -> {
          assertThat(ex.statusCode()).isEqualTo(503);
          assertThat(ex.body().toString()).contains("overloaded");
          String id = ex.headers().values("x-gatehouse-request-id").get(0);
          GatehouseEvent e = events.await(id, EVENT_WAIT);
          assertThat(e.status()).isEqualTo(503);
          assertThat(e.errorClass()).isNotNull();
          // overloaded is transient: retried up to retries.max_attempts (3), the last answer reaches the client
          assertThat(e.attempts()).hasSize(3).allSatisfy(a -> assertThat(a.status()).isEqualTo(529));
        });
  }

  @Test
  void nonJsonErrorPageBecomesOpenAiShapedJson() throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"anthropic/" + MODEL + "@html-502\","
            + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("application/json");
    JsonNode error = JSON.readTree(r.body()).path("error");
    assertThat(error.path("message").asText()).isNotBlank();
    assertThat(error.has("type")).isTrue();
    assertThat(r.body()).doesNotContain("<html>");
    GatehouseEvent e = events.await(r.headers().firstValue("x-gatehouse-request-id").orElseThrow(), EVENT_WAIT);
    assertThat(e.status()).isEqualTo(502);
  }

  @Test
  void untranslatableRequestIsA400WithParamNeverSentUpstream() throws Exception {
    long before = fake.requestCount();
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"anthropic/" + MODEL + "\",\"n\":3,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(400);
    JsonNode error = JSON.readTree(r.body()).path("error");
    assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
    assertThat(error.path("param").asText()).isEqualTo("n");
    assertThat(fake.requestCount()).isEqualTo(before);
    GatehouseEvent e = events.await(r.headers().firstValue("x-gatehouse-request-id").orElseThrow(), EVENT_WAIT);
    assertThat(e.status()).isEqualTo(400);
    assertThat(e.errorClass()).isEqualTo("invalid_request_error");
    assertThat(e.provider()).isEqualTo("anthropic");
  }

  @Test
  void cutStreamEndsWithAnErrorTheSdkRaises() throws Exception {
    ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
        .model("anthropic/" + MODEL + "@cut-2")
        .addUserMessage("one two three four")
        .build();
    StringBuilder text = new StringBuilder();
    assertThatThrownBy(() -> {
      try (StreamResponse<ChatCompletionChunk> stream = sdk.chat().completions().createStreaming(params)) {
        stream.stream().forEach(c -> c.choices().forEach(ch -> ch.delta().content().ifPresent(text::append)));
      }
    }).isInstanceOf(OpenAIException.class);
    assertThat(text.toString()).isEqualTo("Echo: one");

    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"anthropic/" + MODEL + "@cut-2\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"one two three four\"}]}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).doesNotContain("[DONE]").contains("data: {\"error\":");
    GatehouseEvent e = events.await(r.headers().firstValue("x-gatehouse-request-id").orElseThrow(), EVENT_WAIT);
    assertThat(e.status()).isEqualTo(502);
    assertThat(e.errorClass()).isEqualTo("stream_interrupted");
    assertThat(e.completion()).isEqualTo("Echo: one");
    assertThat(e.finishReason()).isNull();
    assertThat(e.inputTokens()).isEqualTo(inputTokens(null, "one two three four"));
  }
}
