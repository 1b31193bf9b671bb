package io.gatehouse.proxy.keys;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.proxy.EventsTopic;
import io.gatehouse.proxy.GatehouseProxy;
import io.gatehouse.proxy.limits.Gate;
import io.gatehouse.testsupport.fake.FakeOpenAiProvider;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntFunction;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Virtual keys, budgets and rate limits end to end: two proxy replicas in this JVM sharing one real
 * Kafka broker (keys topic, spend log, events topic), the fake OpenAI provider upstream with a known
 * price ($0.5 per output token, input free), so a request for "hi" with {@code max_tokens: 2} reserves
 * and costs exactly $1. Tests that price the prompt too send {@link #WORD}: one word the fake counts as
 * 5 prompt tokens (1 + 4 per message), and as many as the proxy estimates (20 characters / 4), so their
 * reservation is their real cost unless a rate the estimate does not see applies.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VirtualKeysProxyTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PROVIDER_KEY = "sk-provider-secret-keys-test-0001";
  private static final String ADMIN_TOKEN = "admin-token-do-not-log-7f3e";
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final List<String> SECRETS = new CopyOnWriteArrayList<>();
  /** 20 characters, one word: estimated and counted as 5 prompt tokens; the fake answers 2 ("Echo: " + it). */
  private static final String WORD = "abcdefghijklmnopqrst";

  @TempDir static Path dir;
  private static final ListAppender<ILoggingEvent> LOGS = new ListAppender<>();
  private static FakeOpenAiProvider fake;
  private static KafkaBroker kafka;
  private static String eventsTopic;
  private static String keysTopic;
  private static Path yaml;
  private static GatehouseProxy a;
  private static GatehouseProxy b;

  @BeforeAll
  static void start() throws Exception {
    LOGS.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(LOGS);
    kafka = KafkaBroker.shared();
    String run = UUID.randomUUID().toString();
    eventsTopic = "events-keys-" + run;
    kafka.createTopic(eventsTopic, 3);
    keysTopic = "keys-" + run;
    fake = FakeOpenAiProvider.builder().requiredApiKey(PROVIDER_KEY).start();
    yaml = dir.resolve("gatehouse.yaml");
    Files.writeString(yaml, String.join("\n",
        "providers:",
        "  fake: { type: openai-compatible, base_url: \"${FAKE_URL}\", keys: [\"${FAKE_KEY}\"] }",
        "prices:",
        "  \"fake/gpt-4o-mini\": { input: 0, output: 500000 }",
        "  \"fake/gpt-4o\": { input: 250000, output: 500000 }",
        "  \"fake/gpt-4o-mini@cut-2\": { input: 0, output: 500000 }",
        // Anthropic-like: a cache-write premium, and twice the rates above a (tiny) long-context threshold
        "  \"fake/gpt-4o-long\": { input: 1000000, cache_write: 1250000, output: 1000000,",
        "    long_context: { threshold: 4, input: 2000000, cache_write: 2500000, output: 2000000 } }",
        "events:",
        "  kafka: { bootstrap: \"unused:1\", topic: " + eventsTopic + " }",
        "admin: { token: \"${ADMIN}\" }",
        "keys: { topic: " + keysTopic + " }",
        "budgets: { teams: { capped: { usd: 3, period: day } }, users: { alice: { usd: 5, period: day } } }",
        "limits: { teams: { paced: { rpm: 5 } }, spend_topic: spend-" + run + ", decision_timeout: 30s }",
        ""));
    a = replica("a", kafka.bootstrapServers());
    b = replica("b", kafka.bootstrapServers());
  }

  private static GatehouseProxy replica(String name, String bootstrap) {
    return replica(name, bootstrap, yaml);
  }

  private static GatehouseProxy replica(String name, String bootstrap, Path config) {
    return GatehouseProxy.start(Map.of(
        "GATEHOUSE_CONFIG", config.toString(),
        "GATEHOUSE_PORT", "0",
        "GATEHOUSE_KAFKA_BOOTSTRAP", bootstrap,
        "GATEHOUSE_SPOOL_DIR", dir.resolve("spool-" + name).toString(),
        "FAKE_URL", fake.baseUrl(),
        "FAKE_KEY", PROVIDER_KEY,
        "ADMIN", ADMIN_TOKEN));
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable c : new AutoCloseable[] {a, b, fake}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // best effort
      }
    }
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(LOGS);
  }

  // ------------------------------------------------------------------------------------------ helpers

  private static HttpResponse<String> admin(GatehouseProxy p, String method, String path, String body, String token)
      throws Exception {
    HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p.port() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      rb.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(rb.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Creates a key through replica {@code p}; returns the create answer (with the secret under "key"). */
  private static JsonNode createKey(GatehouseProxy p, String body) throws Exception {
    HttpResponse<String> r = admin(p, "POST", "/admin/keys", body, ADMIN_TOKEN);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    JsonNode key = JSON.readTree(r.body());
    SECRETS.add(key.get("key").asText());
    return key;
  }

  private static HttpRequest chatRequest(GatehouseProxy p, String key, String model, String content,
      Map<String, String> headers) {
    HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p.port() + "/v1/chat/completions"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"max_tokens\":2,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}"));
    if (key != null) {
      rb.header("Authorization", "Bearer " + key);
    }
    headers.forEach(rb::header);
    return rb.build();
  }

  private static HttpResponse<String> chat(GatehouseProxy p, String key) throws Exception {
    return HTTP.send(chatRequest(p, key, "fake/gpt-4o-mini", "hi", Map.of()), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode error(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body()).get("error");
  }

  /** Sends {@code n} requests for "hi" at once, alternating over {@code replicas}; returns the responses. */
  private static List<HttpResponse<String>> burst(int n, String key, GatehouseProxy... replicas) {
    return burst(n, i -> chatRequest(replicas[i % replicas.length], key, "fake/gpt-4o-mini", "hi", Map.of()));
  }

  /** Sends requests 0 to {@code n - 1} at once; returns the responses. */
  private static List<HttpResponse<String>> burst(int n, IntFunction<HttpRequest> request) {
    List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      futures.add(HTTP.sendAsync(request.apply(i), HttpResponse.BodyHandlers.ofString()));
    }
    return futures.stream().map(CompletableFuture::join).toList();
  }

  /** Waits (10 s at most) until {@code replica} knows the key, so a burst over both replicas tests limits, not replication. */
  private static void awaitKnown(GatehouseProxy replica, String secret) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (replica.gate().authenticate(headers(secret), "fake/gpt-4o-mini") instanceof Gate.Denied
        && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
  }

  private static Map<Integer, Integer> statuses(List<HttpResponse<String>> responses) {
    Map<Integer, Integer> counts = new HashMap<>();
    responses.forEach(r -> counts.merge(r.statusCode(), 1, Integer::sum));
    return counts;
  }

  // ------------------------------------------------------------------------------------------ tests

  @Test
  @Order(1)
  void adminApiCreatesListsRotatesAndRevokesKeysBehindTheAdminToken() throws Exception {
    assertThat(admin(a, "GET", "/admin/keys", null, null).statusCode()).isEqualTo(401);
    HttpResponse<String> wrong = admin(a, "GET", "/admin/keys", null, "nope");
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(error(wrong).get("code").asText()).isEqualTo("invalid_admin_token");
    HttpResponse<String> bad = admin(a, "POST", "/admin/keys", "{\"budget\": {\"usd\": \"lots\"}}", ADMIN_TOKEN);
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(error(bad).get("message").asText()).contains("usd");
    assertThat(admin(a, "POST", "/admin/keys", "{\"colour\": \"red\"}", ADMIN_TOKEN).statusCode()).isEqualTo(400);
    assertThat(admin(a, "POST", "/admin/keys", "not json", ADMIN_TOKEN).statusCode()).isEqualTo(400);

    JsonNode created = createKey(a, "{\"name\": \"search-prod\", \"team\": \"search\", \"user\": \"svc-1\", "
        + "\"rpm\": 100, \"budget\": {\"usd\": 50, \"period\": \"month\"}, \"metadata\": {\"owner\": \"ana\"}}");
    String id = created.get("id").asText();
    String secret = created.get("key").asText();
    assertThat(id).startsWith("vk_");
    assertThat(secret).startsWith("sk-gh-").hasSizeGreaterThanOrEqualTo(6 + 32);
    assertThat(created.has("hash")).isFalse();
    assertThat(created.get("budget").get("period").asText()).isEqualTo("month");

    HttpResponse<String> list = admin(a, "GET", "/admin/keys", null, ADMIN_TOKEN);
    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(list.body()).contains(id).doesNotContain(secret).doesNotContain(KeySecrets.sha256Hex(secret));
    HttpResponse<String> one = admin(a, "GET", "/admin/keys/" + id, null, ADMIN_TOKEN);
    assertThat(JSON.readTree(one.body()).get("metadata").get("owner").asText()).isEqualTo("ana");
    assertThat(admin(a, "GET", "/admin/keys/vk_nope", null, ADMIN_TOKEN).statusCode()).isEqualTo(404);

    HttpResponse<String> ok = chat(a, secret);
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    // the client's key never goes upstream: the provider sees its own key
    assertThat(fake.lastRequest().header("authorization")).isEqualTo("Bearer " + PROVIDER_KEY);

    HttpResponse<String> rotated = admin(a, "POST", "/admin/keys/" + id + "/rotate", null, ADMIN_TOKEN);
    assertThat(rotated.statusCode()).isEqualTo(200);
    String newSecret = JSON.readTree(rotated.body()).get("key").asText();
    SECRETS.add(newSecret);
    assertThat(newSecret).isNotEqualTo(secret);
    assertThat(chat(a, secret).statusCode()).isEqualTo(401);
    assertThat(chat(a, newSecret).statusCode()).isEqualTo(200);

    HttpResponse<String> revoked = admin(a, "DELETE", "/admin/keys/" + id, null, ADMIN_TOKEN);
    assertThat(JSON.readTree(revoked.body()).get("status").asText()).isEqualTo("revoked");
    HttpResponse<String> refused = chat(a, newSecret);
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(error(refused).get("message").asText()).contains("revoked");
  }

  @Test
  @Order(2)
  void aKeyCreatedOnOneReplicaWorksOnTheOtherWithinSeconds() throws Exception {
    long t0 = System.nanoTime();
    String secret = createKey(a, "{\"name\": \"replicated\"}").get("key").asText();
    long deadline = t0 + Duration.ofSeconds(10).toNanos();
    int status;
    do {
      status = chat(b, secret).statusCode();
    } while (status == 401 && System.nanoTime() < deadline);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    System.out.println("[measure] key visible on the second replica after " + ms + " ms (create included)");
    assertThat(status).isEqualTo(200);
  }

  @Test
  @Order(3)
  void refusalsAreOpenAiShapedAndRecorded() throws Exception {
    HttpResponse<String> unknown = chat(a, "sk-gh-" + "x".repeat(40));
    assertThat(unknown.statusCode()).isEqualTo(401);
    JsonNode e = error(unknown);
    assertThat(e.get("type").asText()).isEqualTo("invalid_request_error");
    assertThat(e.get("code").asText()).isEqualTo("invalid_api_key");
    assertThat(e.has("param")).isTrue();

    String limited = createKey(a, "{\"models\": [\"chat-default\"]}").get("key").asText();
    HttpResponse<String> forbidden = chat(a, limited);
    assertThat(forbidden.statusCode()).isEqualTo(403);
    assertThat(error(forbidden).get("code").asText()).isEqualTo("model_not_allowed");
    assertThat(error(forbidden).get("message").asText()).contains("fake/gpt-4o-mini").contains("chat-default");

    String expired = createKey(a, "{\"expires_at\": \"" + Instant.now().minusSeconds(5) + "\"}").get("key").asText();
    HttpResponse<String> late = chat(a, expired);
    assertThat(late.statusCode()).isEqualTo(401);
    assertThat(error(late).get("message").asText()).contains("expired");

    // open mode: no key (or a non-Gatehouse key) still passes
    assertThat(chat(a, null).statusCode()).isEqualTo(200);
    assertThat(chat(a, "client-key").statusCode()).isEqualTo(200);

    // the Anthropic endpoint answers in Anthropic's shape
    HttpResponse<String> messages = HTTP.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + a.port() + "/v1/messages"))
        .header("x-api-key", "sk-gh-" + "y".repeat(40)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-3-5-haiku-latest\",\"max_tokens\":5,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(messages.statusCode()).isEqualTo(401);
    JsonNode anthropic = JSON.readTree(messages.body());
    assertThat(anthropic.get("type").asText()).isEqualTo("error");
    assertThat(anthropic.get("error").get("type").asText()).isEqualTo("authentication_error");
    HttpResponse<String> notAllowed = HTTP.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + a.port() + "/v1/messages"))
        .header("x-api-key", limited).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-3-5-haiku-latest\",\"max_tokens\":5,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(notAllowed.statusCode()).isEqualTo(403);
    assertThat(JSON.readTree(notAllowed.body()).get("error").get("type").asText()).isEqualTo("permission_error");

    HttpResponse<String> embeddings = HTTP.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + a.port() + "/v1/embeddings"))
        .header("Authorization", "Bearer " + expired).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"fake/text-embedding-3-small\",\"input\":\"hi\"}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(embeddings.statusCode()).isEqualTo(401);
    assertThat(error(embeddings).get("code").asText()).isEqualTo("invalid_api_key");
  }

  @Test
  @Order(4)
  void hundredConcurrentRequestsOnABudgetForTenGetExactlyTenThroughOnOneReplica() throws Exception {
    JsonNode key = createKey(a, "{\"team\": \"budgeted\", \"budget\": {\"usd\": 10, \"period\": \"day\"}}");
    long t0 = System.nanoTime();
    List<HttpResponse<String>> responses = burst(100, key.get("key").asText(), a);
    System.out.println("[measure] 100 concurrent on one replica: " + (System.nanoTime() - t0) / 1_000_000 + " ms; "
        + a.gate().decisionStats());
    assertThat(statuses(responses)).containsExactlyInAnyOrderEntriesOf(Map.of(200, 10, 429, 90));
    HttpResponse<String> refused = responses.stream().filter(r -> r.statusCode() == 429).findFirst().orElseThrow();
    JsonNode e = error(refused);
    assertThat(e.get("code").asText()).isEqualTo("budget_exceeded");
    assertThat(e.get("type").asText()).isEqualTo("insufficient_quota");
    assertThat(e.get("message").asText()).contains("key:" + key.get("id").asText()).contains("spent 10 of 10 USD")
        .contains("resets at " + java.time.LocalDate.now(java.time.ZoneOffset.UTC).plusDays(1) + "T00:00:00Z");
    // once settled, the real spend ($1 each) is what counts: still nothing left
    assertThat(chat(a, key.get("key").asText()).statusCode()).isEqualTo(429);
  }

  @Test
  @Order(5)
  void hundredConcurrentRequestsOnABudgetForTenGetExactlyTenThroughOverTwoReplicas() throws Exception {
    String secret = createKey(a, "{\"budget\": {\"usd\": 10, \"period\": \"month\"}}").get("key").asText();
    awaitKnown(b, secret);
    long t0 = System.nanoTime();
    List<HttpResponse<String>> responses = burst(100, secret, a, b);
    System.out.println("[measure] 100 concurrent over two replicas: " + (System.nanoTime() - t0) / 1_000_000 + " ms; a: "
        + a.gate().decisionStats() + "; b: " + b.gate().decisionStats());
    assertThat(statuses(responses)).containsExactlyInAnyOrderEntriesOf(Map.of(200, 10, 429, 90));
    String metrics = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + b.port() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertThat(metric(metrics, "gatehouse_admission_decisions_total")).isGreaterThanOrEqualTo(50);
    assertThat(metric(metrics, "gatehouse_admission_wait_seconds_total")).isPositive();
    assertThat(metric(metrics, "gatehouse_admission_fail_open_total")).isZero();
  }

  private static double metric(String scrape, String name) {
    return scrape.lines().filter(l -> l.startsWith(name + "{") || l.startsWith(name + " ")).findFirst()
        .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .orElseThrow(() -> new AssertionError(name + " not in /metrics"));
  }

  @Test
  @Order(6)
  void requestsPerMinuteHoldAcrossTwoReplicasWithRetryAfter() throws Exception {
    String secret = createKey(a, "{\"rpm\": 6}").get("key").asText();
    awaitKnown(b, secret);
    List<HttpResponse<String>> responses = burst(20, secret, a, b);
    assertThat(statuses(responses)).containsExactlyInAnyOrderEntriesOf(Map.of(200, 6, 429, 14));
    HttpResponse<String> refused = responses.stream().filter(r -> r.statusCode() == 429).findFirst().orElseThrow();
    assertThat(error(refused).get("code").asText()).isEqualTo("rate_limit_exceeded");
    assertThat(error(refused).get("message").asText()).contains("6 of 6 requests per minute");
    long retryAfter = Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow());
    assertThat(retryAfter).isBetween(1L, 60L);
  }

  @Test
  @Order(7)
  void aConfiguredTeamBudgetAppliesToTheKeysTeamWhichWinsOverTheHeader() throws Exception {
    String secret = createKey(a, "{\"team\": \"capped\"}").get("key").asText();
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      statuses.add(HTTP.send(chatRequest(a, secret, "fake/gpt-4o-mini", "hi", Map.of("x-gatehouse-team", "other")),
          HttpResponse.BodyHandlers.ofString()).statusCode());
    }
    assertThat(statuses).containsExactly(200, 200, 200, 429, 429);
  }

  @Test
  @Order(8)
  void tokensPerMinuteHoldAcrossTwoReplicas() throws Exception {
    String secret = createKey(a, "{\"tpm\": 21}").get("key").asText();
    awaitKnown(b, secret);
    // 5 prompt + 2 output tokens each, at admission and as reported: 3 fit in 21
    List<HttpResponse<String>> responses = burst(12, i -> chatRequest(i % 2 == 0 ? a : b, secret, "fake/gpt-4o-mini",
        WORD, Map.of()));
    assertThat(statuses(responses)).containsExactlyInAnyOrderEntriesOf(Map.of(200, 3, 429, 9));
    HttpResponse<String> refused = responses.stream().filter(r -> r.statusCode() == 429).findFirst().orElseThrow();
    assertThat(error(refused).get("type").asText()).isEqualTo("tokens");
    assertThat(error(refused).get("message").asText()).contains("21 of 21 tokens per minute");
    assertThat(Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 60L);
  }

  @Test
  @Order(9)
  void aTeamsRequestsPerMinuteHoldOverAllItsKeysAndBothReplicas() throws Exception {
    String first = createKey(a, "{\"team\": \"paced\"}").get("key").asText();
    String second = createKey(b, "{\"team\": \"paced\"}").get("key").asText();
    awaitKnown(a, second);
    awaitKnown(b, first);
    // keys alternate every request, replicas every two: each key reaches each replica
    List<HttpResponse<String>> responses = burst(12, i -> chatRequest(i / 2 % 2 == 0 ? a : b,
        i % 2 == 0 ? first : second, "fake/gpt-4o-mini", "hi", Map.of()));
    assertThat(statuses(responses)).containsExactlyInAnyOrderEntriesOf(Map.of(200, 5, 429, 7));
    HttpResponse<String> refused = responses.stream().filter(r -> r.statusCode() == 429).findFirst().orElseThrow();
    assertThat(error(refused).get("message").asText()).contains("team:paced").contains("5 of 5 requests per minute");
  }

  @Test
  @Order(10)
  void aUsersBudgetCountsTheEstimatedPromptAtItsInputPriceOverTwoReplicas() throws Exception {
    String secret = createKey(a, "{\"user\": \"alice\"}").get("key").asText();
    awaitKnown(b, secret);
    // 5 prompt tokens × $0.25 + 2 output × $0.5 = $2.25 reserved and spent: 2 fit in alice's $5
    // (at the output price alone, $1, five would have been admitted at once)
    List<HttpResponse<String>> responses = burst(10, i -> chatRequest(i % 2 == 0 ? a : b, secret, "fake/gpt-4o", WORD,
        Map.of()));
    assertThat(statuses(responses)).containsExactlyInAnyOrderEntriesOf(Map.of(200, 2, 429, 8));
    HttpResponse<String> refused = responses.stream().filter(r -> r.statusCode() == 429).findFirst().orElseThrow();
    assertThat(error(refused).get("code").asText()).isEqualTo("budget_exceeded");
    assertThat(error(refused).get("message").asText()).contains("Budget exceeded for user:alice: spent 4.5 of 5 USD");
  }

  @Test
  @Order(11)
  void aLongContextPricedRequestCannotOverspendABudget() throws Exception {
    String secret = createKey(a, "{\"budget\": {\"usd\": 20, \"period\": \"day\"}}").get("key").asText();
    awaitKnown(b, secret);
    // the 5-token prompt is over the threshold of 4: billed 5 × $2 + 2 × $2 = $14, reserved at the tier's
    // cache-write rate 5 × $2.5 + 2 × $2 = $16.5. At the base rates ($7) two would fit in $20 and cost $28.
    List<HttpResponse<String>> responses = burst(10, i -> chatRequest(i % 2 == 0 ? a : b, secret, "fake/gpt-4o-long",
        WORD, Map.of()));
    assertThat(statuses(responses)).containsExactlyInAnyOrderEntriesOf(Map.of(200, 1, 429, 9));
    double spent = 0;
    try (EventsTopic events = new EventsTopic(kafka.bootstrapServers(), eventsTopic)) {
      for (HttpResponse<String> r : responses) {
        if (r.statusCode() == 200) {
          Double cost = events.await(r.headers().firstValue("x-gatehouse-request-id").orElseThrow(),
              Duration.ofSeconds(20)).costUsd();
          assertThat(cost).as("priced by the proxy's catalog at the long-context rates").isEqualTo(14.0);
          spent += cost;
        }
      }
    }
    assertThat(spent).isLessThanOrEqualTo(20.0);
  }

  @Test
  @Order(12)
  void aStreamCutOffBeforeItsUsageKeepsItsReservationSoItCannotOverspend() throws Exception {
    String secret = createKey(a, "{\"budget\": {\"usd\": 3, \"period\": \"day\"}}").get("key").asText();
    awaitKnown(b, secret);
    // each stream reserves 2 output tokens × $0.5 = $1 and breaks off after two chunks, before any usage:
    // the provider bills what it generated, so each keeps its $1 and only three fit in $3
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + (i % 2 == 0 ? a : b).port()
              + "/v1/chat/completions"))
          .header("Content-Type", "application/json").header("Authorization", "Bearer " + secret)
          .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"fake/gpt-4o-mini@cut-2\",\"max_tokens\":2,"
              + "\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
          .build();
      HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 200) {
        assertThat(r.body()).as("the stream broke off in-band").contains("stream_interrupted");
      }
      statuses.add(r.statusCode());
    }
    assertThat(statuses).containsExactly(200, 200, 200, 429, 429);
  }

  @Test
  @Order(20)
  void aKeySurvivesARestartAndIsKnownFromTheSnapshotWhileKafkaIsUnreachable() throws Exception {
    String secret = createKey(a, "{\"name\": \"survivor\", \"budget\": {\"usd\": 100}}").get("key").asText();
    a.close();
    a = replica("a", kafka.bootstrapServers());
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    int status;
    do {
      status = chat(a, secret).statusCode();
    } while (status != 200 && System.nanoTime() < deadline);
    assertThat(status).isEqualTo(200);
    a.close();
    Path quick = dir.resolve("quick.yaml");
    Files.writeString(quick, Files.readString(yaml).replace("decision_timeout: 30s", "decision_timeout: 300ms"));
    a = replica("a", "127.0.0.1:1", quick); // nothing listens: only the local snapshot knows the key
    assertThat(chat(a, secret).statusCode()).isEqualTo(200);
    assertThat(chat(a, "sk-gh-" + "z".repeat(40)).statusCode()).isEqualTo(401);
    // the spend log cannot decide: after one timeout, budgeted requests are admitted without waiting (fail open)
    long t0 = System.nanoTime();
    for (int i = 0; i < 5; i++) {
      assertThat(chat(a, secret).statusCode()).isEqualTo(200);
    }
    System.out.println("[measure] 5 budgeted requests with Kafka down (after the first timeout): "
        + (System.nanoTime() - t0) / 1_000_000 + " ms");
    assertThat(a.gate().failedOpen()).isEqualTo(6);
  }

  @Test
  @Order(21)
  void noVirtualKeySecretOrAdminTokenReachesAnEventOrALogLine() throws Exception {
    assertThat(SECRETS).hasSizeGreaterThan(5);
    // the ~270 requests above each published one event; wait for most of them
    List<String> events = read(eventsTopic, v -> v.size() >= 200);
    assertThat(events).hasSizeGreaterThanOrEqualTo(200);
    assertThat(events).anyMatch(e -> e.contains("\"virtual_key_id\":\"vk_"));
    // refusals are events too, and the key's team wins over the header's
    assertThat(events).anyMatch(e -> e.contains("\"status\":429")
        && e.contains("\"error_class\":\"insufficient_quota\"") && e.contains("Budget exceeded for key:vk_"));
    assertThat(events).anyMatch(e -> e.contains("\"status\":401") && e.contains("invalid_request_error"));
    assertThat(events).anyMatch(e -> e.contains("\"team\":\"capped\""));
    assertThat(events).noneMatch(e -> e.contains("\"team\":\"other\""));
    List<String> lines;
    synchronized (LOGS) {
      lines = LOGS.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }
    assertThat(lines).isNotEmpty();
    for (String secret : SECRETS) {
      assertThat(events).noneMatch(e -> e.contains(secret));
      assertThat(lines).noneMatch(l -> l.contains(secret));
    }
    assertThat(lines).noneMatch(l -> l.contains(ADMIN_TOKEN));
    assertThat(String.join("\n", events)).doesNotContain("sk-gh-").doesNotContain(ADMIN_TOKEN);
  }

  @Test
  @Order(22)
  void measuresWhatTheSpendLogAddsToASequentialRequest() throws Exception {
    String secret = createKey(b, "{\"budget\": {\"usd\": 1000}, \"rpm\": 1000}").get("key").asText();
    long[] budgeted = new long[40];
    long[] open = new long[40];
    for (int i = 0; i < budgeted.length; i++) {
      long t0 = System.nanoTime();
      assertThat(chat(b, secret).statusCode()).isEqualTo(200);
      budgeted[i] = System.nanoTime() - t0;
      t0 = System.nanoTime();
      assertThat(chat(b, null).statusCode()).isEqualTo(200);
      open[i] = System.nanoTime() - t0;
    }
    java.util.Arrays.sort(budgeted);
    java.util.Arrays.sort(open);
    System.out.println("[measure] sequential request p50/p90, budgeted key: " + budgeted[20] / 1000 + "/"
        + budgeted[36] / 1000 + " us; open mode (no log): " + open[20] / 1000 + "/" + open[36] / 1000 + " us");
  }

  @Test
  @Order(23)
  void aReplicaThatRequiresKeysRefusesRequestsWithoutOneAndServesNoAdminApiWithoutAToken() throws Exception {
    String secret = createKey(b, "{\"name\": \"strict\"}").get("key").asText();
    Map<String, String> env = new HashMap<>(Map.of(
        "GATEHOUSE_CONFIG", yaml.toString(),
        "GATEHOUSE_PORT", "0",
        "GATEHOUSE_KAFKA_BOOTSTRAP", kafka.bootstrapServers(),
        "GATEHOUSE_SPOOL_DIR", dir.resolve("spool-strict").toString(),
        "FAKE_URL", fake.baseUrl(),
        "FAKE_KEY", PROVIDER_KEY,
        "ADMIN", "",
        "GATEHOUSE_KEYS_REQUIRED", "1"));
    try (GatehouseProxy strict = GatehouseProxy.start(env)) {
      HttpResponse<String> admin = admin(strict, "GET", "/admin/keys", null, ADMIN_TOKEN);
      assertThat(admin.statusCode()).isEqualTo(404);
      assertThat(error(admin).get("message").asText()).contains("GATEHOUSE_ADMIN_TOKEN");
      HttpResponse<String> missing = chat(strict, null);
      assertThat(missing.statusCode()).isEqualTo(401);
      assertThat(error(missing).get("message").asText()).contains("requires one");
      assertThat(chat(strict, "sk-not-ours-0123456789abcdef").statusCode()).isEqualTo(401);
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      int status;
      do {
        status = chat(strict, secret).statusCode();
      } while (status == 401 && System.nanoTime() < deadline);
      assertThat(status).isEqualTo(200);
    }
  }

  @Test
  @Order(24)
  void theKeysTopicAndTheSnapshotsHoldOnlyTheSecretsHashes() throws Exception {
    assertThat(SECRETS).hasSizeGreaterThan(5);
    List<String> hashes = SECRETS.stream().map(KeySecrets::sha256Hex).toList();
    // every create and rotate wrote its key with the hash of the secret it answered
    List<String> records = read(keysTopic, v -> hashes.stream().allMatch(String.join("\n", v)::contains));
    assertThat(hashes).allMatch(String.join("\n", records)::contains);
    // b read every key, the last one included, and rewrote its snapshot after each
    Path snapshot = dir.resolve("spool-b").resolve("keys-snapshot.json");
    String last = hashes.get(hashes.size() - 1);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!(Files.exists(snapshot) && Files.readString(snapshot).contains(last)) && System.nanoTime() < deadline) {
      Thread.sleep(20); // polling interval of a deadline loop
    }
    assertThat(snapshot).content().contains(last);
    List<Path> written;
    try (Stream<Path> files = Files.walk(dir)) {
      written = files.filter(Files::isRegularFile).toList();
    }
    assertThat(written).filteredOn(f -> f.getFileName().toString().equals("keys-snapshot.json"))
        .hasSizeGreaterThanOrEqualTo(2);
    for (Path f : written) { // snapshots, event spools, the config: bytes, as the spool is binary
      String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
      for (String secret : SECRETS) {
        assertThat(content).as(f.toString()).doesNotContain(secret);
      }
    }
    for (String record : records) {
      for (String secret : SECRETS) {
        assertThat(record).doesNotContain(secret);
      }
    }
  }

  /** Reads {@code topic} from the beginning with a real consumer until {@code done} holds for its values (20 s at most). */
  private static List<String> read(String topic, Predicate<List<String>> done) {
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "secrets-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (!done.test(values) && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          values.add(r.value());
        }
      }
    }
    return values;
  }

  private static io.undertow.util.HeaderMap headers(String secret) {
    io.undertow.util.HeaderMap h = new io.undertow.util.HeaderMap();
    h.put(io.undertow.util.Headers.AUTHORIZATION, "Bearer " + secret);
    return h;
  }
}
