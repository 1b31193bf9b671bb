package io.gatehouse.proxy.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.OpenAIException;
import com.openai.errors.RateLimitException;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import io.gatehouse.proxy.GatehouseProxy;
import io.gatehouse.proxy.EventsTopic;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.schemas.pricing.PriceCatalog;
import io.gatehouse.testsupport.fake.FixtureProvider;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.io.IOException;
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
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What every chat adapter must do, whatever its provider speaks: the official OpenAI Java SDK calls
 * the proxy, whose only provider {@code p} is a {@link FixtureProvider} replaying that provider's
 * recorded payloads (text, tools, errors, an HTML page, a stream cut mid-answer). Every scenario is
 * checked on the client's side (what the SDK parses) and on the event read back from a real Kafka topic.
 * A subclass names its provider type, its fixture dialect and what its upstream requests look like.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ChatAdapterContractTest {
  /** The answer text every dialect's {@code text} fixture carries. */
  protected static final String TEXT = "Hello! How can I help you today?";
  protected static final String PROVIDER_KEY = "contract-provider-secret-5f1e";
  private static final String CLIENT_KEY = "contract-client-key-93ab";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration EVENT_WAIT = Duration.ofSeconds(20);
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private FixtureProvider upstream;
  private GatehouseProxy proxy;
  private EventsTopic events;
  private OpenAIClient sdk;

  /** The fixture directory under {@code fixtures/}, e.g. {@code openai}. */
  protected abstract String dialect();

  /**
   * The YAML body of provider {@code p} (indented by 4 spaces), pointing at {@code origin} (the
   * fixture server, no path) with key {@link #PROVIDER_KEY}.
   */
  protected abstract String providerYaml(String origin);

  /** The model the fixtures say answered (what the response and the event must name). */
  protected abstract String answeringModel();

  /**
   * What the {@code text} answer (12 prompt tokens, 9 completion tokens) costs at the built-in list
   * price of {@link #answeringModel()} in USD, or null when the catalog has no price for it.
   */
  protected abstract Double textCostUsd();

  /**
   * What the {@code cached} answer costs, computed by hand from the provider's list prices: a 2,048-token
   * prompt of which 1,536 were read from the provider's prompt cache (Anthropic: 100 plain, 1,536 read,
   * 412 written), and 40 completion tokens. Null when the catalog has no price for the model.
   */
  protected abstract Double cachedCostUsd();

  /**
   * Checks the request the provider received for fixture model {@code fxModel}: path, query, auth
   * header, how the stream flag travels.
   */
  protected abstract void assertUpstreamRequest(FixtureProvider.Recorded request, String fxModel, boolean stream);

  @BeforeAll
  void start() throws IOException {
    KafkaBroker kafka = KafkaBroker.shared();
    String topic = "events-contract-" + dialect() + "-" + UUID.randomUUID();
    kafka.createTopic(topic, 1);
    upstream = FixtureProvider.start(dialect());
    Path yaml = Files.createTempFile("gatehouse-contract", ".yaml");
    yaml.toFile().deleteOnExit();
    Files.writeString(yaml, "providers:\n  p:\n" + providerYaml(upstream.origin())
        + "events: { kafka: { bootstrap: \"" + kafka.bootstrapServers() + "\", topic: " + topic + " } }\n");
    proxy = GatehouseProxy.start(Map.of("GATEHOUSE_PORT", "0", "GATEHOUSE_CONFIG", yaml.toString()));
    events = new EventsTopic(kafka.bootstrapServers(), topic);
    sdk = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + proxy.port() + "/v1").apiKey(CLIENT_KEY)
        .maxRetries(0).build();
  }

  @AfterAll
  void stop() {
    if (sdk != null) {
      sdk.close();
    }
    if (proxy != null) {
      proxy.close();
    }
    if (events != null) {
      events.close();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  // ------------------------------------------------------------------------------------ scenarios

  @Test
  void textAnswer() {
    HttpResponseFor<ChatCompletion> response = sdk.chat().completions().withRawResponse().create(
        ChatCompletionCreateParams.builder().model("p/fx-text").addSystemMessage("Be kind").addUserMessage("Hi")
            .maxCompletionTokens(64).build());
    ChatCompletion completion = response.parse();
    ChatCompletion.Choice choice = completion.choices().get(0);
    assertThat(choice.message().content()).hasValue(TEXT);
    assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
    assertThat(completion.model()).isEqualTo(answeringModel());
    assertThat(completion.usage().orElseThrow().promptTokens()).isEqualTo(12);
    assertThat(completion.usage().orElseThrow().completionTokens()).isEqualTo(9);
    assertThat(completion.usage().orElseThrow().totalTokens()).isEqualTo(21);
    assertUpstreamRequest(upstream.lastRequest(), "fx-text", false);
    assertThat(upstream.lastRequest().bodyText()).contains("Be kind").contains("Hi").doesNotContain(CLIENT_KEY);

    GatehouseEvent e = event(response.headers());
    assertThat(e.status()).isEqualTo(200);
    assertThat(e.stream()).isFalse();
    assertThat(e.provider()).isEqualTo("p");
    assertThat(e.deployment()).isEqualTo("p#0/fx-text");
    assertThat(e.model()).isEqualTo(answeringModel());
    assertThat(e.inputTokens()).isEqualTo(12);
    assertThat(e.outputTokens()).isEqualTo(9);
    assertThat(e.finishReason()).isEqualTo("stop");
    assertThat(e.completion()).isEqualTo(TEXT);
    assertThat(e.errorClass()).isNull();
    assertTextCost(e);
    assertThat(events.raw(e.eventId())).doesNotContain(PROVIDER_KEY).doesNotContain(CLIENT_KEY);
  }

  @Test
  void textStreamArrivesInPiecesWithUsageWhenAsked() {
    List<ChatCompletionChunk> chunks = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    List<String> finishReasons = new ArrayList<>();
    HttpResponseFor<StreamResponse<ChatCompletionChunk>> response = sdk.chat().completions().withRawResponse()
        .createStreaming(ChatCompletionCreateParams.builder().model("p/fx-text").addUserMessage("Hi")
            .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build());
    try (StreamResponse<ChatCompletionChunk> stream = response.parse()) {
      stream.stream().forEach(c -> {
        chunks.add(c);
        c.choices().forEach(ch -> {
          ch.delta().content().ifPresent(text::append);
          ch.finishReason().ifPresent(f -> finishReasons.add(f.asString()));
        });
      });
    }
    assertThat(text.toString()).isEqualTo(TEXT);
    assertThat(finishReasons).containsExactly("stop");
    long contentChunks = chunks.stream().filter(c -> c.choices().stream()
        .anyMatch(ch -> ch.delta().content().filter(s -> !s.isEmpty()).isPresent())).count();
    assertThat(contentChunks).as("text arrives in several chunks, not buffered into one").isGreaterThanOrEqualTo(3);
    ChatCompletionChunk last = chunks.get(chunks.size() - 1);
    assertThat(last.choices()).isEmpty();
    assertThat(last.usage().orElseThrow().promptTokens()).isEqualTo(12);
    assertThat(last.usage().orElseThrow().completionTokens()).isEqualTo(9);
    assertUpstreamRequest(upstream.lastRequest(), "fx-text", true);

    GatehouseEvent e = event(response.headers());
    assertThat(e.status()).isEqualTo(200);
    assertThat(e.stream()).isTrue();
    assertThat(e.model()).isEqualTo(answeringModel());
    assertThat(e.inputTokens()).isEqualTo(12);
    assertThat(e.outputTokens()).isEqualTo(9);
    assertThat(e.finishReason()).isEqualTo("stop");
    assertThat(e.completion()).isEqualTo(TEXT);
    assertThat(e.ttftMs()).isNotNull().isLessThanOrEqualTo(e.durationMs());
    assertTextCost(e); // a stream is priced from its final usage like a JSON answer
  }

  @Test
  void cachedPromptTokensCostTheSameStreamedOrNot() {
    HttpResponseFor<ChatCompletion> plain = sdk.chat().completions().withRawResponse().create(
        ChatCompletionCreateParams.builder().model("p/fx-cached").addUserMessage("Hi").build());
    assertThat(plain.parse().usage().orElseThrow().promptTokens()).isEqualTo(2048);
    HttpResponseFor<StreamResponse<ChatCompletionChunk>> streamed = sdk.chat().completions().withRawResponse()
        .createStreaming(ChatCompletionCreateParams.builder().model("p/fx-cached").addUserMessage("Hi")
            .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build());
    List<Long> cachedSeen = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> stream = streamed.parse()) {
      stream.stream().forEach(c -> c.usage().ifPresent(u -> cachedSeen.add(
          u.promptTokensDetails().flatMap(d -> d.cachedTokens()).orElse(-1L))));
    }
    assertThat(cachedSeen).as("the client sees the cached tokens in the stream's usage").containsExactly(1536L);

    GatehouseEvent a = event(plain.headers());
    GatehouseEvent b = event(streamed.headers());
    for (GatehouseEvent e : List.of(a, b)) {
      assertThat(e.inputTokens()).isEqualTo(2048);
      assertThat(e.cachedInputTokens()).isEqualTo(1536);
      assertThat(e.outputTokens()).isEqualTo(40);
    }
    assertThat(b.cacheWriteTokens()).isEqualTo(a.cacheWriteTokens());
    if (cachedCostUsd() == null) {
      assertThat(a.costUsd()).isNull();
      assertThat(b.costUsd()).isNull();
    } else {
      assertThat(a.costUsd()).isCloseTo(cachedCostUsd(), Offset.offset(1e-12));
      assertThat(b.costUsd()).isEqualTo(a.costUsd());
    }
  }

  @Test
  void streamWithoutTheUsageOptionCarriesNoUsage() throws Exception {
    HttpResponse<String> r = post("{\"model\":\"p/fx-text\",\"stream\":true,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
    assertThat(r.body()).endsWith("data: [DONE]\n\n").doesNotContain("event:");
    StringBuilder text = new StringBuilder();
    for (JsonNode chunk : dataEvents(r.body())) {
      assertThat(chunk.path("object").asText()).isIn("chat.completion.chunk", "");
      assertThat(chunk.path("usage").isMissingNode() || chunk.path("usage").isNull())
          .as("no usage unless stream_options.include_usage: %s", chunk).isTrue();
      chunk.path("choices").forEach(c -> text.append(c.path("delta").path("content").asText("")));
    }
    assertThat(text.toString()).isEqualTo(TEXT);
    GatehouseEvent e = events.await(r.headers().firstValue("x-gatehouse-request-id").orElseThrow(), EVENT_WAIT);
    assertThat(e.outputTokens()).as("usage is still recorded").isEqualTo(9);
  }

  @Test
  void toolCall() throws IOException {
    ChatCompletion completion = sdk.chat().completions().create(toolParams());
    ChatCompletion.Choice choice = completion.choices().get(0);
    assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
    assertThat(choice.message().toolCalls().orElseThrow()).hasSize(1);
    ChatCompletionMessageFunctionToolCall call = choice.message().toolCalls().orElseThrow().get(0).asFunction();
    assertThat(call.id()).isNotBlank();
    assertThat(call.function().name()).isEqualTo("get_weather");
    assertThat(JSON.readTree(call.function().arguments())).isEqualTo(weatherArguments());
    assertThat(completion.usage().orElseThrow().promptTokens()).isEqualTo(45);
    assertThat(completion.usage().orElseThrow().completionTokens()).isEqualTo(20);
    assertThat(upstream.lastRequest().bodyText()).as("the tool is declared upstream").contains("get_weather");
    assertUpstreamRequest(upstream.lastRequest(), "fx-tools", false);
  }

  @Test
  void toolCallStream() throws IOException {
    StringBuilder arguments = new StringBuilder();
    List<String> names = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    List<String> finishReasons = new ArrayList<>();
    List<Long> usage = new ArrayList<>();
    HttpResponseFor<StreamResponse<ChatCompletionChunk>> response = sdk.chat().completions().withRawResponse()
        .createStreaming(toolParams().toBuilder()
            .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build());
    try (StreamResponse<ChatCompletionChunk> stream = response.parse()) {
      stream.stream().forEach(c -> {
        c.usage().ifPresent(u -> usage.add(u.completionTokens()));
        c.choices().forEach(ch -> {
          ch.finishReason().ifPresent(f -> finishReasons.add(f.asString()));
          ch.delta().toolCalls().ifPresent(calls -> calls.forEach(tc -> {
            assertThat(tc.index()).isZero();
            tc.id().ifPresent(ids::add);
            tc.function().ifPresent(f -> {
              f.name().ifPresent(names::add);
              f.arguments().ifPresent(arguments::append);
            });
          }));
        });
      });
    }
    assertThat(names).containsExactly("get_weather");
    assertThat(ids).hasSize(1).allSatisfy(id -> assertThat(id).isNotBlank());
    assertThat(JSON.readTree(arguments.toString())).isEqualTo(weatherArguments());
    assertThat(finishReasons).containsExactly("tool_calls");
    assertThat(usage).containsExactly(20L);
    assertUpstreamRequest(upstream.lastRequest(), "fx-tools", true);
    GatehouseEvent e = event(response.headers());
    assertThat(e.status()).isEqualTo(200);
    assertThat(e.finishReason()).isEqualTo("tool_calls");
    assertThat(e.inputTokens()).isEqualTo(45);
  }

  @Test
  void rateLimitIsA429TheSdkRaises() {
    assertThatThrownBy(() -> sdk.chat().completions().create(
        ChatCompletionCreateParams.builder().model("p/fx-error-429").addUserMessage("Hi").build()))
        .isInstanceOfSatisfying(RateLimitException.class, ex -> {
          assertThat(ex.statusCode()).isEqualTo(429);
          assertThat(ex.getMessage()).isNotBlank();
          GatehouseEvent e = events.await(ex.headers().values("x-gatehouse-request-id").get(0), EVENT_WAIT);
          assertThat(e.status()).isEqualTo(429);
          assertThat(e.errorClass()).isNotBlank();
          assertThat(e.errorMessage()).isNotBlank();
          // retried up to retries.max_attempts (3) on the only target; every attempt recorded
          assertThat(e.attempts()).hasSize(3).allSatisfy(a -> {
            assertThat(a.status()).isEqualTo(429);
            assertThat(a.failureClass()).isEqualTo("rate_limit");
          });
        });
  }

  @Test
  void upstreamErrorsReachTheClientInOpenAiShape() throws Exception {
    for (String fixture : List.of("fx-error-429", "fx-error-400")) {
      HttpResponse<String> r = post("{\"model\":\"p/" + fixture + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
      assertThat(r.statusCode()).isEqualTo(Integer.parseInt(fixture.substring(fixture.length() - 3)));
      assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("application/json");
      JsonNode error = JSON.readTree(r.body()).path("error");
      assertThat(error.isObject()).as(r.body()).isTrue();
      assertThat(error.path("message").asText()).as(r.body()).isNotBlank();
    }
  }

  @Test
  void callerFaultIsA400TheSdkRaises() {
    assertThatThrownBy(() -> sdk.chat().completions().create(
        ChatCompletionCreateParams.builder().model("p/fx-error-400").addUserMessage("Hi").build()))
        .isInstanceOfSatisfying(BadRequestException.class, ex -> {
          assertThat(ex.statusCode()).isEqualTo(400);
          assertThat(ex.getMessage()).isNotBlank();
          GatehouseEvent e = events.await(ex.headers().values("x-gatehouse-request-id").get(0), EVENT_WAIT);
          assertThat(e.status()).isEqualTo(400);
        });
  }

  @Test
  void htmlErrorPageBecomesAJsonError() throws Exception {
    HttpResponse<String> r = post("{\"model\":\"p/fx-error-503\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("application/json");
    assertThat(r.body()).doesNotContain("<html>");
    JsonNode error = JSON.readTree(r.body()).path("error");
    assertThat(error.path("message").asText()).contains("'p'").contains("503")
        .contains("Service Temporarily Unavailable").doesNotContain("<");
    assertThat(error.path("type").asText()).isNotBlank();
    GatehouseEvent e = events.await(r.headers().firstValue("x-gatehouse-request-id").orElseThrow(), EVENT_WAIT);
    assertThat(e.status()).isEqualTo(503);
    assertThat(e.errorClass()).isNotBlank();
  }

  @Test
  void streamCutMidAnswerIsAnErrorNeverACleanFinish() throws Exception {
    StringBuilder text = new StringBuilder();
    assertThatThrownBy(() -> {
      try (StreamResponse<ChatCompletionChunk> stream = sdk.chat().completions().createStreaming(
          ChatCompletionCreateParams.builder().model("p/fx-cut").addUserMessage("Hi").build())) {
        stream.stream().forEach(c -> c.choices().forEach(ch -> ch.delta().content().ifPresent(text::append)));
      }
    }).isInstanceOf(OpenAIException.class);
    assertThat(text.toString()).isEqualTo("Hello!");

    HttpResponse<String> r = post("{\"model\":\"p/fx-cut\",\"stream\":true,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).doesNotContain("[DONE]").contains("data: {\"error\":");
    GatehouseEvent e = events.await(r.headers().firstValue("x-gatehouse-request-id").orElseThrow(), EVENT_WAIT);
    assertThat(e.status()).isEqualTo(502);
    assertThat(e.errorClass()).isEqualTo("stream_interrupted");
    assertThat(e.completion()).isEqualTo("Hello!");
    assertThat(e.finishReason()).isNull();
  }

  @Test
  void malformedRequestsAre400sThatNeverReachTheProvider() throws Exception {
    long before = upstream.requestCount();
    assertRejected("{\"model\":\"p/fx-text\"}", "messages");
    assertRejected("{\"model\":\"p/fx-text\",\"messages\":[]}", "messages");
    assertRejected("{\"model\":\"p/fx-text\",\"messages\":[{\"content\":\"Hi\"}]}", "messages[0].role");
    assertRejected("{\"model\":\"p/fx-text\",\"messages\":[{\"role\":\"wizard\",\"content\":\"Hi\"}]}",
        "messages[0].role");
    assertRejected("{\"model\":\"p/fx-text\",\"stream\":\"yes\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
        "stream");
    assertRejected("{\"model\":\"p/fx-text\",\"max_tokens\":-5,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
        "max_tokens");
    assertRejected("{\"model\":\"p/fx-text\",\"tools\":{},\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
        "tools");
    assertThat(upstream.requestCount()).isEqualTo(before);
  }

  // ------------------------------------------------------------------------------------ helpers

  private void assertRejected(String body, String param) throws Exception {
    HttpResponse<String> r = post(body);
    assertThat(r.statusCode()).as(body).isEqualTo(400);
    JsonNode error = JSON.readTree(r.body()).path("error");
    assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
    assertThat(error.path("param").asText()).as(body).isEqualTo(param);
    assertThat(error.path("message").asText()).as(body).isNotBlank();
    GatehouseEvent e = events.await(r.headers().firstValue("x-gatehouse-request-id").orElseThrow(), EVENT_WAIT);
    assertThat(e.status()).isEqualTo(400);
  }

  private void assertTextCost(GatehouseEvent e) {
    if (textCostUsd() == null) {
      assertThat(e.costUsd()).as("an unknown price is unknown, not 0").isNull();
      assertThat(e.priceVersion()).isNull();
    } else {
      assertThat(e.costUsd()).isCloseTo(textCostUsd(), Offset.offset(1e-12));
      assertThat(e.priceVersion()).isEqualTo(PriceCatalog.builtIn().version());
    }
  }

  private GatehouseEvent event(com.openai.core.http.Headers headers) {
    return events.await(headers.values("x-gatehouse-request-id").get(0), EVENT_WAIT);
  }

  private HttpResponse<String> post(String body) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
        .header("Authorization", "Bearer " + CLIENT_KEY)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The JSON of every {@code data:} line but {@code [DONE]}. */
  private static List<JsonNode> dataEvents(String sse) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : sse.split("\n")) {
      if (line.startsWith("data: ") && !line.equals("data: [DONE]")) {
        out.add(JSON.readTree(line.substring(6)));
      }
    }
    return out;
  }

  private static ChatCompletionCreateParams toolParams() {
    return ChatCompletionCreateParams.builder()
        .model("p/fx-tools")
        .addUserMessage("What is the weather in Paris?")
        .addTool(ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder()
            .name("get_weather")
            .description("Current weather for a city")
            .parameters(FunctionParameters.builder()
                .putAdditionalProperty("type", JsonValue.from("object"))
                .putAdditionalProperty("properties", JsonValue.from(Map.of(
                    "location", Map.of("type", "string"),
                    "unit", Map.of("type", "string", "enum", List.of("celsius", "fahrenheit")))))
                .putAdditionalProperty("required", JsonValue.from(List.of("location")))
                .build())
            .build()).build())
        .build();
  }

  private static JsonNode weatherArguments() {
    return JSON.createObjectNode().put("location", "Paris").put("unit", "celsius");
  }
}
