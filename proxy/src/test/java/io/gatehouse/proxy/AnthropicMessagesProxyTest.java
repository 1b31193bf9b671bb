package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.http.HttpResponseFor;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.AnthropicException;
import com.anthropic.errors.OverloadedException;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolUseBlock;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * Anthropic in, Anthropic upstream, Anthropic out: the official Anthropic Java SDK talks to the proxy's
 * {@code /v1/messages} passthrough, whose zero-config {@code anthropic} provider is the fake Anthropic
 * server. Answers are compared with what the fake sends when asked directly; events are read from Kafka.
 */
class AnthropicMessagesProxyTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PROVIDER_KEY = "sk-ant-provider-secret-5f0e";
  private static final String CLIENT_KEY = "client-key";
  private static final String MODEL = "claude-3-5-haiku-20241022";
  private static final Duration EVENT_WAIT = Duration.ofSeconds(20);
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private static FakeAnthropicProvider fake;
  private static GatehouseProxy proxy;
  private static EventsTopic events;
  private static AnthropicClient sdk;

  @BeforeAll
  static void start() throws Exception {
    KafkaBroker kafka = KafkaBroker.shared();
    String topic = "events-messages-" + UUID.randomUUID();
    kafka.createTopic(topic, 1);
    fake = FakeAnthropicProvider.builder().port(0).chunkDelayMs(5).requiredApiKey(PROVIDER_KEY).start();
    java.nio.file.Path yaml = java.nio.file.Files.createTempFile("gatehouse-messages", ".yaml");
    yaml.toFile().deleteOnExit();
    java.nio.file.Files.writeString(yaml, "events: { kafka: { bootstrap: \"unused:1\", topic: " + topic + " } }\n");
    proxy = GatehouseProxy.start(Map.of(
        "ANTHROPIC_API_KEY", PROVIDER_KEY,
        "ANTHROPIC_BASE_URL", fake.baseUrl(),
        "GATEHOUSE_PORT", "0",
        "GATEHOUSE_KAFKA_BOOTSTRAP", kafka.bootstrapServers(),
        "GATEHOUSE_CONFIG", yaml.toString()));
    events = new EventsTopic(kafka.bootstrapServers(), topic);
    sdk = AnthropicOkHttpClient.builder().baseUrl(proxyUrl()).apiKey(CLIENT_KEY).maxRetries(0).build();
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

  private static String proxyUrl() {
    return "http://127.0.0.1:" + proxy.port();
  }

  /** The upstream got the provider key, never the client's, and an anthropic-version. */
  private static void assertUpstreamSawOnlyTheProviderKey() {
    var upstream = fake.lastRequest();
    assertThat(upstream.header("x-api-key")).isEqualTo(PROVIDER_KEY);
    assertThat(upstream.header("anthropic-version")).matches("\\d{4}-\\d{2}-\\d{2}");
    assertThat(upstream.header("authorization")).isNull();
    assertThat(upstream.headers().values()).noneMatch(v -> v.contains(CLIENT_KEY));
  }

  private static GatehouseEvent eventOf(com.anthropic.core.http.Headers headers) {
    return events.await(headers.values("x-gatehouse-request-id").get(0), EVENT_WAIT);
  }

  private static GatehouseEvent eventOf(HttpResponse<?> r) {
    return events.await(r.headers().firstValue("x-gatehouse-request-id").orElseThrow(), EVENT_WAIT);
  }

  private static HttpResponse<String> post(String url, String path, String body, String... headers)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** SSE frames with message and tool ids blanked, which differ per answer. */
  private static List<String> frames(String sse) {
    List<String> frames = new ArrayList<>();
    for (String frame : sse.split("\n\n")) {
      frames.add(frame.replaceAll("\"id\":\"[^\"]*\"", "\"id\":\"-\""));
    }
    return frames;
  }

  private static long inputTokens(String... userTexts) {
    var request = JSON.createObjectNode();
    var messages = request.putArray("messages");
    for (String t : userTexts) {
      messages.addObject().put("role", "user").put("content", t);
    }
    return FakeAnthropicProvider.inputTokens(request);
  }

  private static Tool weatherTool() {
    return Tool.builder().name("get_weather").description("Weather for a city")
        .inputSchema(Tool.InputSchema.builder()
            .properties(Tool.InputSchema.Properties.builder()
                .putAdditionalProperty("location", JsonValue.from(Map.of("type", "string")))
                .build())
            .build())
        .build();
  }

  @Test
  void nonStreamMessageIsRelayedAndRecorded() {
    HttpResponseFor<Message> response = sdk.messages().withRawResponse().create(MessageCreateParams.builder()
        .model(MODEL).maxTokens(100).system("You are terse").addUserMessage("hello big world").build());
    Message message = response.parse();

    String expectedText = FakeOpenAiProvider.replyFor("hello big world");
    assertThat(message.content()).singleElement().satisfies(b -> assertThat(b.asText().text()).isEqualTo(expectedText));
    assertThat(message.stopReason()).contains(StopReason.END_TURN);
    assertThat(message.model().asString()).isEqualTo(MODEL);
    long output = FakeAnthropicProvider.outputTokens(expectedText);
    assertThat(message.usage().outputTokens()).isEqualTo(output);
    assertThat(response.headers().values("x-gatehouse-provider")).containsExactly("anthropic");
    assertThat(response.headers().values("request-id")).singleElement().asString().startsWith("req_fake");
    assertUpstreamSawOnlyTheProviderKey();
    assertThat(fake.lastRequest().path()).isEqualTo("/v1/messages");

    GatehouseEvent e = eventOf(response.headers());
    assertThat(e.endpoint()).isEqualTo("/v1/messages");
    assertThat(e.status()).isEqualTo(200);
    assertThat(e.stream()).isFalse();
    assertThat(e.modelRequested()).isEqualTo(MODEL);
    assertThat(e.model()).isEqualTo(MODEL);
    assertThat(e.provider()).isEqualTo("anthropic");
    assertThat(e.deployment()).isEqualTo("anthropic#0/" + MODEL);
    assertThat(e.inputTokens()).isEqualTo(message.usage().inputTokens());
    assertThat(e.outputTokens()).isEqualTo(output);
    assertThat(e.cachedInputTokens()).isZero();
    assertThat(e.cacheWriteTokens()).isZero();
    assertThat(e.finishReason()).isEqualTo("stop");
    assertThat(e.completion()).isEqualTo(expectedText);
    assertThat(e.prompt().toString()).contains("You are terse").contains("hello big world");
    assertThat(e.params().path("max_tokens").asInt()).isEqualTo(100);
    assertThat(e.errorClass()).isNull();
    assertThat(events.raw(e.eventId())).doesNotContain(PROVIDER_KEY).doesNotContain(CLIENT_KEY);
  }

  @Test
  void clientBytesAreForwardedWithOnlyTheModelPatched() throws Exception {
    String body = "{ \"max_tokens\" : 20,\n \"model\": \"anthropic/" + MODEL + "\", \"x_unknown\": 1.50,"
        + " \"messages\": [{\"role\":\"user\",\"content\":\"caf\\u00e9 please\"}] }";
    HttpResponse<String> r = post(proxyUrl(), "/v1/messages", body, "Authorization", "Bearer " + CLIENT_KEY,
        "anthropic-beta", "prompt-caching-2024-07-31", "x-gatehouse-team", "search");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(new String(fake.lastRequest().body(), java.nio.charset.StandardCharsets.UTF_8))
        .isEqualTo(body.replace("anthropic/" + MODEL, MODEL));
    assertUpstreamSawOnlyTheProviderKey(); // the Bearer key is not forwarded
    assertThat(fake.lastRequest().header("anthropic-version")).isEqualTo("2023-06-01"); // the default
    assertThat(fake.lastRequest().header("anthropic-beta")).isEqualTo("prompt-caching-2024-07-31");
    GatehouseEvent e = eventOf(r);
    assertThat(e.team()).isEqualTo("search");
    assertThat(e.route()).isEqualTo("anthropic/" + MODEL);
    assertThat(e.modelRequested()).isEqualTo("anthropic/" + MODEL);
  }

  @Test
  void theClientsAnthropicVersionIsForwarded() throws Exception {
    HttpResponse<String> r = post(proxyUrl(), "/v1/messages", "{\"model\":\"" + MODEL + "\",\"max_tokens\":5,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"v\"}]}", "x-api-key", CLIENT_KEY,
        "anthropic-version", "2024-01-01");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(fake.lastRequest().header("anthropic-version")).isEqualTo("2024-01-01");
    assertUpstreamSawOnlyTheProviderKey();
  }

  @Test
  void bearerAuthThroughTheSdkWorksToo() {
    AnthropicClient bearer = AnthropicOkHttpClient.builder().baseUrl(proxyUrl()).authToken(CLIENT_KEY)
        .maxRetries(0).build();
    try {
      Message m = bearer.messages().create(MessageCreateParams.builder().model(MODEL).maxTokens(10)
          .addUserMessage("bearer hello").build());
      assertThat(m.content().get(0).asText().text()).isEqualTo(FakeOpenAiProvider.replyFor("bearer hello"));
    } finally {
      bearer.close();
    }
    assertUpstreamSawOnlyTheProviderKey();
  }

  @Test
  void streamIsForwardedFrameByFrameAndRecorded() throws Exception {
    StringBuilder text = new StringBuilder();
    List<RawMessageStreamEvent> received = new ArrayList<>();
    HttpResponseFor<StreamResponse<RawMessageStreamEvent>> response = sdk.messages().withRawResponse()
        .createStreaming(MessageCreateParams.builder().model(MODEL).maxTokens(100)
            .addUserMessage("stream me some words please").build());
    try (StreamResponse<RawMessageStreamEvent> stream = response.parse()) {
      stream.stream().forEach(ev -> {
        received.add(ev);
        ev.contentBlockDelta().ifPresent(d -> d.delta().text().ifPresent(t -> text.append(t.text())));
      });
    }
    String expectedText = FakeOpenAiProvider.replyFor("stream me some words please");
    assertThat(text.toString()).isEqualTo(expectedText);
    assertThat(received.get(received.size() - 1).isMessageStop()).isTrue();
    assertUpstreamSawOnlyTheProviderKey();

    GatehouseEvent e = eventOf(response.headers());
    long input = inputTokens("stream me some words please");
    assertThat(e.stream()).isTrue();
    assertThat(e.status()).isEqualTo(200);
    assertThat(e.errorClass()).isNull();
    assertThat(e.completion()).isEqualTo(expectedText);
    assertThat(e.finishReason()).isEqualTo("stop");
    assertThat(e.model()).isEqualTo(MODEL);
    assertThat(e.inputTokens()).isEqualTo(input);
    assertThat(e.outputTokens()).isEqualTo(FakeAnthropicProvider.outputTokens(expectedText));
    assertThat(e.ttftMs()).isNotNull().isLessThanOrEqualTo(e.durationMs());
  }

  @Test
  void rawStreamFramesEqualTheFakesOwn() throws Exception {
    String body = "{\"model\":\"" + MODEL + "\",\"max_tokens\":50,\"stream\":true,\"tools\":[{\"name\":"
        + "\"get_weather\",\"input_schema\":{\"type\":\"object\"}}],"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"weather in Lisbon\"}]}";
    HttpResponse<String> direct = post(fake.baseUrl(), "/v1/messages", body, "x-api-key", PROVIDER_KEY,
        "anthropic-version", "2023-06-01");
    HttpResponse<String> proxied = post(proxyUrl(), "/v1/messages", body, "x-api-key", CLIENT_KEY);
    assertThat(proxied.statusCode()).isEqualTo(200);
    assertThat(proxied.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
    assertThat(direct.body()).contains("event: message_stop").contains("input_json_delta");
    assertThat(frames(proxied.body())).isEqualTo(frames(direct.body()));

    String text = "{\"model\":\"" + MODEL + "\",\"max_tokens\":50,\"stream\":true,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"alpha beta gamma\"}]}";
    assertThat(frames(post(proxyUrl(), "/v1/messages", text).body())).isEqualTo(
        frames(post(fake.baseUrl(), "/v1/messages", text, "x-api-key", PROVIDER_KEY).body()));
  }

  @Test
  void toolUseCallIsRelayed() {
    Message m = sdk.messages().create(MessageCreateParams.builder().model(MODEL).maxTokens(100)
        .addTool(weatherTool()).addUserMessage("What is the weather in Lisbon?").build());
    assertThat(m.stopReason()).contains(StopReason.TOOL_USE);
    ToolUseBlock call = m.content().stream().filter(ContentBlock::isToolUse).findFirst().orElseThrow().asToolUse();
    assertThat(call.name()).isEqualTo("get_weather");
    assertThat(call._input().toString()).contains("Lisbon");
    assertThat(fake.lastRequest().bodyJson().path("tools").path(0).path("name").asText()).isEqualTo("get_weather");
  }

  @Test
  void countTokensIsRelayed() throws Exception {
    HttpResponseFor<com.anthropic.models.messages.MessageTokensCount> r = sdk.messages().withRawResponse()
        .countTokens(MessageCountTokensParams.builder().model(MODEL).addUserMessage("count these four words").build());
    assertThat(r.parse().inputTokens()).isEqualTo(inputTokens("count these four words"));
    assertThat(fake.lastRequest().path()).isEqualTo("/v1/messages/count_tokens");
    assertUpstreamSawOnlyTheProviderKey();
    GatehouseEvent e = eventOf(r.headers());
    assertThat(e.endpoint()).isEqualTo("/v1/messages/count_tokens");
    assertThat(e.status()).isEqualTo(200);
    assertThat(e.provider()).isEqualTo("anthropic");
  }

  @Test
  void overloadedUpstreamReachesTheSdkAsOverloaded() {
    assertThatThrownBy(() -> sdk.messages().create(MessageCreateParams.builder().model(MODEL + "@fail-529")
        .maxTokens(10).addUserMessage("x").build()))
        .isInstanceOfSatisfying(OverloadedException.class, ex -> {
          assertThat(ex.statusCode()).isEqualTo(529);
          assertThat(ex.body().toString()).contains("overloaded_error");
          GatehouseEvent e = eventOf(ex.headers());
          assertThat(e.status()).isEqualTo(529);
          assertThat(e.errorClass()).isEqualTo("overloaded_error");
          assertThat(e.attempts()).singleElement().satisfies(a -> assertThat(a.status()).isEqualTo(529));
        });
  }

  @Test
  void cutStreamEndsWithAnErrorTheSdkRaises() throws Exception {
    StringBuilder text = new StringBuilder();
    assertThatThrownBy(() -> {
      try (StreamResponse<RawMessageStreamEvent> stream = sdk.messages().createStreaming(MessageCreateParams.builder()
          .model(MODEL + "@cut-2").maxTokens(10).addUserMessage("one two three four").build())) {
        stream.stream().forEach(ev ->
            ev.contentBlockDelta().ifPresent(d -> d.delta().text().ifPresent(t -> text.append(t.text()))));
      }
    }).isInstanceOf(AnthropicException.class);
    assertThat(text.toString()).isEqualTo("Echo: one");

    HttpResponse<String> r = post(proxyUrl(), "/v1/messages", "{\"model\":\"" + MODEL + "@cut-2\",\"max_tokens\":10,"
        + "\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"one two three four\"}]}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).doesNotContain("message_stop").endsWith("event: error\ndata: {\"type\":\"error\","
        + "\"error\":{\"type\":\"api_error\",\"message\":\"upstream stream interrupted\"}}\n\n");
    GatehouseEvent e = eventOf(r);
    assertThat(e.status()).isEqualTo(502);
    assertThat(e.errorClass()).isEqualTo("stream_interrupted");
    assertThat(e.completion()).isEqualTo("Echo: one");
    assertThat(e.inputTokens()).isEqualTo(inputTokens("one two three four"));
  }

  @Test
  void badRequestsAreAnthropicShaped400sAndRecorded() throws Exception {
    long before = fake.requestCount();
    for (String body : List.of("{not json", "{\"max_tokens\":5,\"messages\":[]}", "[1]")) {
      HttpResponse<String> r = post(proxyUrl(), "/v1/messages", body);
      assertThat(r.statusCode()).as(body).isEqualTo(400);
      JsonNode error = JSON.readTree(r.body());
      assertThat(error.path("type").asText()).isEqualTo("error");
      assertThat(error.path("error").path("type").asText()).isEqualTo("invalid_request_error");
      assertThat(error.path("error").path("message").asText()).isNotBlank();
      GatehouseEvent e = eventOf(r);
      assertThat(e.status()).isEqualTo(400);
      assertThat(e.endpoint()).isEqualTo("/v1/messages");
    }
    HttpResponse<String> unknown = post(proxyUrl(), "/v1/messages",
        "{\"model\":\"openai/gpt-4o\",\"max_tokens\":5,\"messages\":[]}");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(unknown.body()).path("error").path("type").asText()).isEqualTo("not_found_error");
    assertThat(unknown.body()).contains("Anthropic providers configured: anthropic");
    assertThat(fake.requestCount()).isEqualTo(before);
  }

  @Test
  void nonJsonUpstreamErrorBecomesAnthropicShapedJson() throws Exception {
    HttpResponse<String> r = post(proxyUrl(), "/v1/messages", "{\"model\":\"" + MODEL + "@html-502\","
        + "\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("application/json");
    JsonNode error = JSON.readTree(r.body());
    assertThat(error.path("type").asText()).isEqualTo("error");
    assertThat(error.path("error").path("type").asText()).isEqualTo("api_error");
    assertThat(r.body()).doesNotContain("<html>");
    assertThat(eventOf(r).status()).isEqualTo(502);
  }
}
