package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.testsupport.fake.FakeOpenAiProvider;
import io.gatehouse.testsupport.fake.FaultyProvider;
import io.gatehouse.testsupport.fake.FixtureProvider;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The response cache end to end: real Kafka, fake providers over HTTP (OpenAI-compatible, a faulty one,
 * recorded OpenAI and Anthropic payloads), raw HTTP and the official OpenAI Java SDK as clients.
 */
class CacheProxyTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration EVENT_WAIT = Duration.ofSeconds(20);
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TempDir static Path dir;
  private static FakeOpenAiProvider fake;
  private static FakeOpenAiProvider slow;
  private static FaultyProvider faulty;
  private static FixtureProvider fxOpenAi;
  private static FixtureProvider fxAnthropic;
  private static GatehouseProxy proxy;
  private static EventsTopic events;
  private static OpenAIClient sdk;
  private static MeterRegistry meters;

  @BeforeAll
  static void start() throws Exception {
    KafkaBroker kafka = KafkaBroker.shared();
    String topic = "events-cache-" + UUID.randomUUID();
    kafka.createTopic(topic, 1);
    fake = FakeOpenAiProvider.builder().start();
    slow = FakeOpenAiProvider.builder().chunkDelayMs(100).start();
    faulty = FaultyProvider.start("faulty");
    fxOpenAi = FixtureProvider.start("openai");
    fxAnthropic = FixtureProvider.start("anthropic");
    Path yaml = dir.resolve("gatehouse.yaml");
    Files.writeString(yaml, String.join("\n",
        "providers:",
        "  fake: { type: openai-compatible, base_url: \"" + fake.baseUrl() + "\" }",
        "  faulty: { type: openai-compatible, base_url: \"" + faulty.baseUrl() + "\" }",
        "  slow: { type: openai-compatible, base_url: \"" + slow.baseUrl() + "\" }",
        "  fxo: { type: openai-compatible, base_url: \"" + fxOpenAi.origin() + "/v1\" }",
        "  fxa: { type: anthropic, base_url: \"" + fxAnthropic.origin() + "\", keys: [sk-ant-test] }",
        "models:",
        "  faq: { targets: [fake/gpt-4o-mini], cache: { semantic: true } }",
        "  chat: { targets: [fake/gpt-4o-mini] }",
        "  uncached: { targets: [fake/gpt-4o-mini], cache: { enabled: false } }",
        "cache:",
        "  enabled: true",
        "  ttl: 1h",
        "  max_bytes: 64MB",
        "  scope: team",
        "  semantic: { threshold: 0.9, max_turns: 1, timeout: 5s }",
        "prices:",
        "  fake/gpt-4o-mini: { input: 0.15, output: 0.60 }",
        "retries: { max_attempts: 1 }",
        "timeouts: { first_token: 2s, idle_between_chunks: 400ms }",
        "events:",
        "  kafka: { bootstrap: \"" + kafka.bootstrapServers() + "\", topic: " + topic + " }",
        ""));
    proxy = GatehouseProxy.start(Map.of("GATEHOUSE_CONFIG", yaml.toString(), "GATEHOUSE_PORT", "0",
        "GATEHOUSE_SPOOL_DIR", dir.resolve("spool").toString()));
    meters = proxy.meters().registry();
    events = new EventsTopic(kafka.bootstrapServers(), topic);
    sdk = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + proxy.port() + "/v1").apiKey("client-key")
        .maxRetries(0).build();
  }

  @AfterAll
  static void stop() {
    if (sdk != null) {
      sdk.close();
    }
    for (AutoCloseable c : new AutoCloseable[] {proxy, events, fake, slow, faulty, fxOpenAi, fxAnthropic}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // keep closing the rest
      }
    }
  }

  static HttpResponse<String> post(String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port()
            + "/v1/chat/completions"))
        .header("content-type", "application/json").header("Authorization", "Bearer client-key")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String chat(String model, String question, String extra) {
    return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"system\",\"content\":\"Answer briefly.\"},"
        + "{\"role\":\"user\",\"content\":" + JSON.valueToTree(question) + "}]" + extra + "}";
  }

  static String cacheHeader(HttpResponse<?> r) {
    return r.headers().firstValue("x-gatehouse-cache").orElse(null);
  }

  static GatehouseEvent event(HttpResponse<?> r) {
    return events.await(r.headers().firstValue("x-gatehouse-request-id").orElseThrow(), EVENT_WAIT);
  }

  /** The answer is stored right after it is sent: wait for it rather than race it. */
  static void awaitStored(long entriesBefore) {
    await(() -> proxy.cache().exactEntries() > entriesBefore, "an answer is stored");
  }

  static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting until " + what).isLessThan(deadline);
      Thread.onSpinWait();
    }
  }

  static double counter(String result) {
    return meters.get("gatehouse.cache.requests").tag("result", result).counter().count();
  }

  @Test
  void aRepeatedRequestIsAnsweredFromTheCacheWithoutAnUpstreamCall() throws Exception {
    String team = "team-" + UUID.randomUUID();
    String body = chat("chat", "What is the capital of France?", ",\"temperature\":0.2");
    double hitsBefore = counter("hit");
    double savedBefore = meters.get("gatehouse.cache.saved.usd").counter().count();
    long stored = proxy.cache().exactEntries();
    HttpResponse<String> first = post(body, "x-gatehouse-team", team);
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(cacheHeader(first)).isEqualTo("miss");
    awaitStored(stored);
    long upstreamCalls = fake.requestCount();

    HttpResponse<String> second = post(body, "x-gatehouse-team", team);
    assertThat(second.statusCode()).isEqualTo(200);
    assertThat(cacheHeader(second)).isEqualTo("hit");
    assertThat(second.body()).isEqualTo(first.body());
    assertThat(second.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(second.headers().firstValue("x-gatehouse-provider")).hasValue("fake");
    assertThat(second.headers().firstValue("x-gatehouse-request-id"))
        .isNotEqualTo(first.headers().firstValue("x-gatehouse-request-id"));
    assertThat(fake.requestCount()).isEqualTo(upstreamCalls);

    GatehouseEvent miss = event(first);
    GatehouseEvent hit = event(second);
    assertThat(miss.cacheResult()).isEqualTo("miss");
    assertThat(miss.costUsd()).isPositive();
    assertThat(miss.costSavedUsd()).isNull();
    assertThat(hit.cacheResult()).isEqualTo("hit");
    assertThat(hit.status()).isEqualTo(200);
    assertThat(hit.costUsd()).isZero();
    assertThat(hit.costSavedUsd()).isEqualTo(miss.costUsd());
    assertThat(hit.inputTokens()).isEqualTo(miss.inputTokens());
    assertThat(hit.outputTokens()).isEqualTo(miss.outputTokens());
    assertThat(hit.model()).isEqualTo(miss.model());
    assertThat(hit.provider()).isEqualTo("fake");
    assertThat(hit.completion()).isEqualTo(miss.completion());
    assertThat(hit.attempts()).isEmpty();
    assertThat(counter("hit")).isEqualTo(hitsBefore + 1);
    assertThat(meters.get("gatehouse.cache.saved.usd").counter().count())
        .isCloseTo(savedBefore + miss.costUsd(), Offset.offset(1e-12));
  }

  /** Each change alters the answer: the second request must go upstream. */
  @ParameterizedTest
  @ValueSource(strings = {",\"temperature\":0.3", ",\"top_p\":0.5", ",\"max_tokens\":7", ",\"seed\":42",
      ",\"response_format\":{\"type\":\"json_object\"}", ",\"stop\":[\"END\"]", ",\"n\":2",
      ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"parameters\":{\"type\":\"object\"}}}]",
      ",\"some_provider_param\":true"})
  void anAnswerChangingParameterMisses(String change) throws Exception {
    String team = "team-" + UUID.randomUUID();
    long stored = proxy.cache().exactEntries();
    assertThat(cacheHeader(post(chat("chat", "Tell me about caching", ""), "x-gatehouse-team", team)))
        .isEqualTo("miss");
    awaitStored(stored);
    long calls = fake.requestCount();
    HttpResponse<String> changed = post(chat("chat", "Tell me about caching", change), "x-gatehouse-team", team);
    assertThat(cacheHeader(changed)).isEqualTo("miss");
    assertThat(fake.requestCount()).isEqualTo(calls + 1);
  }

  @Test
  void attributionDoesNotChangeTheKeyButTheTeamScopeDoes() throws Exception {
    String team = "team-" + UUID.randomUUID();
    String body = chat("chat", "How long do refunds take?", "");
    long stored = proxy.cache().exactEntries();
    assertThat(cacheHeader(post(body, "x-gatehouse-team", team, "x-gatehouse-user", "alice"))).isEqualTo("miss");
    awaitStored(stored);
    String withUser = chat("chat", "How long do refunds take?", ",\"user\":\"bob\",\"metadata\":{\"ticket\":\"42\"}");
    HttpResponse<String> other = post(withUser, "x-gatehouse-team", team, "x-gatehouse-user", "carol",
        "x-gatehouse-feature", "refunds", "x-gatehouse-tags", "env=prod", "x-gatehouse-session", "s1");
    assertThat(cacheHeader(other)).isEqualTo("hit");
    assertThat(event(other).user()).isEqualTo("carol");
    assertThat(cacheHeader(post(body, "x-gatehouse-team", team + "-other"))).isEqualTo("miss");
    assertThat(cacheHeader(post(chat("uncached", "How long do refunds take?", ""), "x-gatehouse-team", team)))
        .isNull();
  }

  @Test
  void cacheControlHeadersBypassAndRefresh() throws Exception {
    String team = "team-" + UUID.randomUUID();
    String body = chat("chat", "Which plans do you offer?", "");
    long stored = proxy.cache().exactEntries();
    assertThat(cacheHeader(post(body, "x-gatehouse-team", team, "x-gatehouse-cache", "no-store"))).isEqualTo("miss");
    long calls = fake.requestCount();
    assertThat(cacheHeader(post(body, "x-gatehouse-team", team))).as("no-store stored nothing").isEqualTo("miss");
    awaitStored(stored);
    assertThat(cacheHeader(post(body, "x-gatehouse-team", team))).isEqualTo("hit");
    assertThat(cacheHeader(post(body, "x-gatehouse-team", team, "x-gatehouse-cache", "no-cache"))).isEqualTo("miss");
    assertThat(cacheHeader(post(body, "x-gatehouse-team", team, "x-gatehouse-cache", "refresh"))).isEqualTo("miss");
    assertThat(cacheHeader(post(body, "x-gatehouse-team", team, "Cache-Control", "no-cache"))).isEqualTo("miss");
    assertThat(cacheHeader(post(body, "x-gatehouse-team", team, "Cache-Control", "max-age=0"))).isEqualTo("miss");
    assertThat(fake.requestCount()).isEqualTo(calls + 5);
    assertThat(cacheHeader(post(body, "x-gatehouse-team", team, "x-gatehouse-cache", "no-store"))).as(
        "no-store still reads").isEqualTo("hit");

    HttpResponse<String> bad = post(body, "x-gatehouse-team", team, "x-gatehouse-cache", "sometimes");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(bad.body()).path("error").path("message").asText()).contains("x-gatehouse-cache");
    assertThat(event(bad).status()).isEqualTo(400);
  }

  /**
   * {@code Cache-Control: no-store} on the request: nothing stored. The answer would be stored on the
   * connection's IO thread right after it is sent, before the next request on that connection is read.
   */
  @Test
  void cacheControlNoStoreRequestHeaderStoresNothing() throws Exception {
    String team = "team-" + UUID.randomUUID();
    String body = chat("chat", "Do you ship to Canada?", "");
    long calls = fake.requestCount();
    assertThat(cacheHeader(post(body, "x-gatehouse-team", team, "Cache-Control", "no-store"))).isEqualTo("miss");
    long stored = proxy.cache().exactEntries();
    assertThat(cacheHeader(post(body, "x-gatehouse-team", team))).as("no-store stored nothing").isEqualTo("miss");
    assertThat(fake.requestCount()).isEqualTo(calls + 2);
    awaitStored(stored); // without the header, the same answer is stored
    assertThat(cacheHeader(post(body, "x-gatehouse-team", team, "Cache-Control", "no-store")))
        .as("no-store still reads").isEqualTo("hit");
    assertThat(fake.requestCount()).isEqualTo(calls + 2);
  }

  /**
   * A stream the client leaves midway is not stored, though the provider would have finished it: the
   * {@code slow} provider sends ~50 chunks 100 ms apart (a 48-word echo); the client reads the first and
   * closes.
   */
  @Test
  void aStreamTheClientDisconnectedFromIsNotStored() throws Exception {
    String team = "team-" + UUID.randomUUID();
    String body = chat("slow/gpt-4o-mini", "Tell me everything about the history of caching in web proxies and "
        + "gateways, from the first HTTP caches of the nineties and the content delivery networks that followed them "
        + "to the semantic caches that now sit in front of large language models, with the trade-offs each one made "
        + "between freshness, cost and correctness, please", ",\"stream\":true");
    String requestId;
    try (Socket client = new Socket("127.0.0.1", proxy.port())) {
      client.setSoTimeout(10_000);
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      OutputStream out = client.getOutputStream();
      out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          + "Authorization: Bearer client-key\r\nx-gatehouse-team: " + team + "\r\nContent-Length: " + bytes.length
          + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
      out.write(bytes);
      out.flush();
      InputStream in = client.getInputStream();
      StringBuilder head = new StringBuilder();
      while (head.indexOf("data:") < 0) { // headers, then the first event
        int b = in.read();
        assertThat(b).as("the stream ended before its first event").isNotNegative();
        head.append((char) b);
      }
      assertThat(head.toString()).startsWith("HTTP/1.1 200");
      Map<String, String> headers = new HashMap<>();
      for (String line : head.substring(0, head.indexOf("\r\n\r\n")).split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0) {
          headers.put(line.substring(0, colon).strip().toLowerCase(Locale.ROOT), line.substring(colon + 1).strip());
        }
      }
      assertThat(headers).containsEntry("x-gatehouse-cache", "miss");
      requestId = headers.get("x-gatehouse-request-id");
    } // closed: the rest of the stream is still to come
    GatehouseEvent left = events.await(requestId, EVENT_WAIT);
    assertThat(left.status()).isEqualTo(499);
    assertThat(left.cacheResult()).isEqualTo("miss");

    // the same request read to its end (storing nothing itself): by then the first stream would have ended too
    HttpResponse<String> whole = post(body, "x-gatehouse-team", team, "x-gatehouse-cache", "no-store");
    assertThat(cacheHeader(whole)).isEqualTo("miss");
    assertThat(whole.body()).contains("data: [DONE]");
    long calls = slow.requestCount();
    assertThat(cacheHeader(post(body, "x-gatehouse-team", team))).as("the abandoned stream was not stored")
        .isEqualTo("miss");
    assertThat(slow.requestCount()).isEqualTo(calls + 1);
  }

  /** {@code GET /metrics} over HTTP: the cache's counters move by one miss, one hit and the hit's saved cost. */
  @Test
  void metricsShowHitsMissesAndSavedCost() throws Exception {
    String team = "team-" + UUID.randomUUID();
    String body = chat("chat", "What does the premium plan include?", "");
    String before = MetricsTest.scrape(proxy);
    long stored = proxy.cache().exactEntries();
    HttpResponse<String> miss = post(body, "x-gatehouse-team", team);
    assertThat(cacheHeader(miss)).isEqualTo("miss");
    awaitStored(stored);
    assertThat(cacheHeader(post(body, "x-gatehouse-team", team))).isEqualTo("hit");
    double cost = event(miss).costUsd();
    assertThat(cost).isPositive();
    String after = MetricsTest.scrape(proxy);

    String requests = "gatehouse_cache_requests_total";
    assertThat(MetricsTest.sum(after, requests, "result=\"miss\"") - MetricsTest.sum(before, requests, "result=\"miss\""))
        .isEqualTo(1);
    assertThat(MetricsTest.sum(after, requests, "result=\"hit\"") - MetricsTest.sum(before, requests, "result=\"hit\""))
        .isEqualTo(1);
    assertThat(MetricsTest.sum(after, requests, "result=\"semantic-hit\""))
        .isEqualTo(MetricsTest.sum(before, requests, "result=\"semantic-hit\""));
    assertThat(MetricsTest.sum(after, "gatehouse_cache_saved_usd_total", "")
        - MetricsTest.sum(before, "gatehouse_cache_saved_usd_total", "")).isCloseTo(cost, Offset.offset(1e-12));
    assertThat(MetricsTest.sum(after, "gatehouse_cache_bytes", "")).isPositive();
  }

  /** A replayed stream parses with the official SDK exactly like the original, tool calls and usage included. */
  @ParameterizedTest
  @ValueSource(strings = {"fxo/fx-tools", "fxa/fx-tools", "fxo/fx-text", "fxa/fx-text", "chat"})
  void aReplayedStreamParsesLikeTheOriginal(String model) throws Exception {
    String team = "team-" + UUID.randomUUID();
    ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model(model)
        .addUserMessage("What is the weather in Paris?")
        .addTool(ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder().name("get_weather")
            .parameters(FunctionParameters.builder()
                .putAdditionalProperty("type", JsonValue.from("object"))
                .putAdditionalProperty("properties", JsonValue.from(Map.of("location", Map.of("type", "string"))))
                .build()).build()).build())
        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
        .putAdditionalHeader("x-gatehouse-team", team).build();
    long stored = proxy.cache().exactEntries();
    Streamed original = stream(params);
    assertThat(original.cache).isEqualTo("miss");
    assertThat(original.chunks).hasSizeGreaterThan(2);
    assertThat(original.chunks.get(original.chunks.size() - 1).usage()).isPresent();
    awaitStored(stored);
    long upstream = fake.requestCount() + fxOpenAi.requestCount() + fxAnthropic.requestCount();

    Streamed replay = stream(params);
    assertThat(replay.cache).isEqualTo("hit");
    assertThat(replay.chunks).isEqualTo(original.chunks);
    assertThat(fake.requestCount() + fxOpenAi.requestCount() + fxAnthropic.requestCount()).isEqualTo(upstream);
    GatehouseEvent hit = events.await(replay.requestId, EVENT_WAIT);
    assertThat(hit.cacheResult()).isEqualTo("hit");
    assertThat(hit.stream()).isTrue();
    assertThat(hit.ttftMs()).isNotNull();

    // the same request without a stream is another form of answer: a miss, never a converted stream
    ChatCompletionCreateParams plain = params.toBuilder().streamOptions(java.util.Optional.empty()).build();
    HttpResponseFor<ChatCompletion> json = sdk.chat().completions().withRawResponse().create(plain);
    assertThat(json.headers().values("x-gatehouse-cache")).containsExactly("miss");
  }

  private record Streamed(List<ChatCompletionChunk> chunks, String cache, String requestId) {}

  private static Streamed stream(ChatCompletionCreateParams params) {
    HttpResponseFor<StreamResponse<ChatCompletionChunk>> response =
        sdk.chat().completions().withRawResponse().createStreaming(params);
    List<ChatCompletionChunk> chunks = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> s = response.parse()) {
      s.stream().forEach(chunks::add);
    }
    return new Streamed(chunks, response.headers().values("x-gatehouse-cache").get(0),
        response.headers().values("x-gatehouse-request-id").get(0));
  }

  /** Cut, stalled, malformed, unfinished streams and error statuses are never stored. */
  @ParameterizedTest
  @ValueSource(strings = {"cut", "stall", "malformed", "no-done", "status-500", "status-400"})
  void nothingIncompleteIsStored(String fault) throws Exception {
    String team = "team-" + UUID.randomUUID();
    boolean stream = fault.startsWith("status") ? false : true;
    String body = chat("faulty/gpt-x", "Tell me a story", stream ? ",\"stream\":true" : "");
    faulty.behaviour(c -> switch (fault) {
      case "cut" -> new FaultyProvider.CutAfter(2);
      case "stall" -> new FaultyProvider.StallAfter(2);
      case "malformed" -> new FaultyProvider.MalformedChunk();
      case "no-done" -> new FaultyProvider.NoDone();
      case "status-500" -> new FaultyProvider.Status(500, "server_error", null, "boom", Map.of());
      default -> new FaultyProvider.Status(400, "invalid_request_error", null, "bad", Map.of());
    });
    long calls = faulty.calls();
    long stored = proxy.cache().exactEntries();
    for (int i = 0; i < 2; i++) {
      HttpResponse<String> r = post(body, "x-gatehouse-team", team);
      assertThat(cacheHeader(r)).isEqualTo("miss");
      GatehouseEvent e = event(r);
      assertThat(e.status()).isNotEqualTo(200);
      assertThat(e.cacheResult()).isEqualTo("miss");
    }
    assertThat(faulty.calls()).isEqualTo(calls + 2);
    assertThat(proxy.cache().exactEntries()).isEqualTo(stored);

    faulty.behaviour(c -> new FaultyProvider.Ok()); // the same request, answered well, is stored
    assertThat(cacheHeader(post(body, "x-gatehouse-team", team))).isEqualTo("miss");
    awaitStored(stored);
    assertThat(cacheHeader(post(body, "x-gatehouse-team", team))).isEqualTo("hit");
  }

  /**
   * FAQ replay through the semantic cache (alias {@code faq}, threshold 0.9): the base questions are
   * asked first, then paraphrases (which should be served from the base answers) and look-alikes
   * (close in words, different in meaning: none may be served a cached answer). Prints the hit rate and
   * the cost saved; the numbers are in the README.
   */
  @Test
  void faqReplayServesParaphrasesAndNeverLookAlikes() throws Exception {
    String team = "faq-" + UUID.randomUUID();
    List<String[]> rows = new ArrayList<>();
    for (String line : new String(CacheProxyTest.class.getResourceAsStream("/cache/faq-replay.tsv").readAllBytes(),
        java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank() && !line.startsWith("#")) {
        rows.add(line.split("\t"));
      }
    }
    Map<String, String> baseAnswers = new java.util.HashMap<>();
    int semanticBefore = proxy.cache().semanticEntries();
    int bases = 0;
    for (String[] row : rows) {
      if (row[0].equals("base")) {
        HttpResponse<String> r = post(chat("faq", row[2], ""), "x-gatehouse-team", team);
        assertThat(cacheHeader(r)).isEqualTo("miss");
        baseAnswers.put(row[1], r.body());
        bases++;
      }
    }
    int expected = semanticBefore + bases;
    await(() -> proxy.cache().semanticEntries() >= expected, "every base question is indexed");

    int paraphrases = 0;
    int paraphraseHits = 0;
    int lookAlikes = 0;
    double saved = 0;
    List<String> falseHits = new ArrayList<>();
    List<String> missed = new ArrayList<>();
    for (String kind : List.of("para", "lookalike")) {
      for (String[] row : rows) {
        if (!row[0].equals(kind)) {
          continue;
        }
        HttpResponse<String> r = post(chat("faq", row[2], ""), "x-gatehouse-team", team);
        assertThat(r.statusCode()).isEqualTo(200);
        String result = cacheHeader(r);
        if (kind.equals("lookalike")) {
          lookAlikes++;
          if (!result.equals("miss")) {
            falseHits.add(row[2]);
          }
          continue;
        }
        paraphrases++;
        if (result.equals("semantic-hit")) {
          paraphraseHits++;
          assertThat(r.body()).as("served the base question's answer").isEqualTo(baseAnswers.get(row[1]));
          GatehouseEvent e = event(r);
          assertThat(e.cacheResult()).isEqualTo("semantic-hit");
          assertThat(e.costUsd()).isZero();
          assertThat(e.costSavedUsd()).isPositive();
          saved += e.costSavedUsd();
        } else {
          assertThat(result).isEqualTo("miss");
          missed.add(row[2]);
        }
      }
    }
    int requests = bases + paraphrases + lookAlikes;
    System.out.printf("FAQ replay: %d requests (%d base, %d paraphrases, %d look-alikes); paraphrase hit rate "
        + "%d/%d = %.0f %%; workload hit rate %.0f %%; saved USD %.8f; false hits %d; missed paraphrases %s%n",
        requests, bases, paraphrases, lookAlikes, paraphraseHits, paraphrases, 100.0 * paraphraseHits / paraphrases,
        100.0 * paraphraseHits / requests, saved, falseHits.size(), missed);
    assertThat(falseHits).as("look-alike questions served a cached answer").isEmpty();
    assertThat(paraphraseHits).as("paraphrases served from the cache").isGreaterThanOrEqualTo(paraphrases * 7 / 10);
    assertThat(counter("semantic-hit")).isGreaterThanOrEqualTo(paraphraseHits);
  }

  @Test
  void conversationsDeeperThanMaxTurnsAreNotServedSemantically() throws Exception {
    String team = "turns-" + UUID.randomUUID();
    String single = chat("faq", "How do I reset my password?", "");
    int indexed = proxy.cache().semanticEntries();
    assertThat(cacheHeader(post(single, "x-gatehouse-team", team))).isEqualTo("miss");
    await(() -> proxy.cache().semanticEntries() > indexed, "the question is indexed");
    assertThat(cacheHeader(post(chat("faq", "How can I reset my password?", ""), "x-gatehouse-team", team)))
        .isEqualTo("semantic-hit");

    String prefix = "{\"model\":\"faq\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},"
        + "{\"role\":\"assistant\",\"content\":\"Hello! How can I help?\"},{\"role\":\"user\",\"content\":";
    long stored = proxy.cache().exactEntries();
    assertThat(cacheHeader(post(prefix + "\"How do I reset my password?\"}]}", "x-gatehouse-team", team)))
        .isEqualTo("miss");
    awaitStored(stored);
    HttpResponse<String> second = post(prefix + "\"How can I reset my password?\"}]}", "x-gatehouse-team", team);
    assertThat(cacheHeader(second)).as("two user turns > max_turns 1").isEqualTo("miss");
    assertThat(cacheHeader(post(prefix + "\"How do I reset my password?\"}]}", "x-gatehouse-team", team)))
        .as("exact hits still apply").isEqualTo("hit");
  }
}
