package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.testsupport.fake.FaultyProvider;
import io.gatehouse.testsupport.fake.FaultyProvider.Call;
import io.gatehouse.testsupport.fake.FaultyProvider.Fault;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fault catalogue: every fault a provider shows in production, over real sockets, with what the
 * client saw, what each upstream saw (call counts, keys) and what the event says. Alias {@code mN} is
 * {@code [primary/pN, backup/bN]}; each test uses its own N, so circuit breakers (per deployment) of one
 * test never affect another.
 */
class FailoverTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration EVENT_WAIT = Duration.ofSeconds(20);
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final int ALIASES = 20;

  private static FaultyProvider primary;
  private static FaultyProvider backup;
  private static GatehouseProxy proxy;
  private static EventsTopic events;

  @BeforeAll
  static void start() throws IOException {
    KafkaBroker kafka = KafkaBroker.shared();
    String topic = "events-failover-" + UUID.randomUUID();
    kafka.createTopic(topic, 1);
    primary = FaultyProvider.start("primary");
    backup = FaultyProvider.start("backup");
    StringBuilder models = new StringBuilder("models:\n");
    for (int i = 1; i <= ALIASES; i++) {
      models.append("  m").append(i).append(": { targets: [primary/p").append(i).append(", backup/b").append(i)
          .append("] }\n");
    }
    Path yaml = Files.createTempFile("gatehouse-failover", ".yaml");
    yaml.toFile().deleteOnExit();
    Files.writeString(yaml, "providers:\n"
        + "  primary: { type: openai-compatible, base_url: \"" + primary.baseUrl() + "\", keys: [key-a, key-b] }\n"
        + "  backup: { type: openai-compatible, base_url: \"" + backup.baseUrl() + "\", keys: [key-c] }\n"
        + models
        + "retries: { max_attempts: 3, backoff: 20ms, max_backoff: 50ms, max_retry_after: 2s }\n"
        + "timeouts: { connect: 1s, first_token: 600ms, idle_between_chunks: 600ms, total: 8s }\n"
        + "breaker: { failures: 3, cooldown: 60s }\n"
        + "events: { kafka: { bootstrap: \"" + kafka.bootstrapServers() + "\", topic: " + topic + " } }\n");
    proxy = GatehouseProxy.start(Map.of("GATEHOUSE_PORT", "0", "GATEHOUSE_CONFIG", yaml.toString(),
        "GATEHOUSE_SPOOL_DIR", Files.createTempDirectory("gatehouse-failover-spool").toString()));
    events = new EventsTopic(kafka.bootstrapServers(), topic);
  }

  @AfterAll
  static void stop() {
    if (proxy != null) {
      proxy.close();
    }
    if (events != null) {
      events.close();
    }
    if (primary != null) {
      primary.close();
    }
    if (backup != null) {
      backup.close();
    }
  }

  @BeforeEach
  void healthy() {
    primary.behaviour(c -> new FaultyProvider.Ok()).resetCounts();
    backup.behaviour(c -> new FaultyProvider.Ok()).resetCounts();
  }

  // ------------------------------------------------------------------------------ the catalogue

  @Test
  void rateLimitWithRetryAfterIsWaitedForOnTheSameTarget() throws Exception {
    primary.behaviour(firstThen(status(429, "requests", "rate_limit_exceeded", "Rate limit reached",
        Map.of("Retry-After", "1"))));
    long t0 = System.nanoTime();
    Answer a = chat("m1", false);
    long tookMs = (System.nanoTime() - t0) / 1_000_000;
    assertThat(a.status).isEqualTo(200);
    assertThat(a.text()).isEqualTo(primary.replyText());
    assertThat(tookMs).as("Retry-After: 1 was honoured").isGreaterThanOrEqualTo(950);
    assertThat(primary.calls()).isEqualTo(2);
    assertThat(backup.calls()).isZero();
    GatehouseEvent e = a.event();
    assertThat(e.status()).isEqualTo(200);
    assertThat(e.fallbackUsed()).isFalse();
    assertThat(e.attempts()).extracting(GatehouseEvent.Attempt::status).containsExactly(429, 200);
    assertThat(e.attempts().get(0).failureClass()).isEqualTo("rate_limit");
  }

  @Test
  void rateLimitWithoutRetryAfterRetriesWithAnotherKey() throws Exception {
    primary.behaviour(firstThen(status(429, "tokens", "rate_limit_exceeded", "Rate limit reached", Map.of())));
    Answer a = chat("m2", false);
    assertThat(a.status).isEqualTo(200);
    assertThat(primary.calls()).isEqualTo(2);
    assertThat(primary.callsWithKey("key-a")).as("both keys were used").isEqualTo(1);
    assertThat(primary.callsWithKey("key-b")).isEqualTo(1);
    assertThat(a.event().attempts()).extracting(GatehouseEvent.Attempt::status).containsExactly(429, 200);
  }

  @Test
  void serverErrorThenSuccessIsRetried() throws Exception {
    primary.behaviour(firstThen(status(500, "server_error", null, "The server had an error", Map.of())));
    Answer a = chat("m3", false);
    assertThat(a.status).isEqualTo(200);
    assertThat(a.text()).isEqualTo(primary.replyText());
    assertThat(primary.calls()).isEqualTo(2);
    assertThat(backup.calls()).isZero();
    assertThat(a.event().attempts()).extracting(GatehouseEvent.Attempt::failureClass).containsExactly("transient", null);
  }

  @Test
  void persistent503FailsOverAndIsAccountedToTheBackup() throws Exception {
    primary.behaviour(c -> status(503, "server_error", null, "Service unavailable",
        Map.of("x-ratelimit-limit-requests", "500")).apply(c));
    Answer a = chat("m4", false);
    assertThat(a.status).isEqualTo(200);
    assertThat(a.text()).isEqualTo(backup.replyText());
    assertThat(a.json.path("model").asText()).isEqualTo("b4");
    assertThat(primary.calls()).as("one retry on the primary, then the fallback").isEqualTo(2);
    assertThat(backup.calls()).isEqualTo(1);
    assertThat(a.response.headers().firstValue("x-gatehouse-provider")).hasValue("backup");
    assertThat(a.response.headers().firstValue("x-ratelimit-limit-requests")).as("the primary's headers are gone")
        .isEmpty();
    GatehouseEvent e = a.event();
    assertThat(e.status()).isEqualTo(200);
    assertThat(e.fallbackUsed()).isTrue();
    assertThat(e.provider()).isEqualTo("backup");
    assertThat(e.deployment()).isEqualTo("backup#0/b4");
    assertThat(e.model()).isEqualTo("b4");
    assertThat(e.outputTokens()).isEqualTo(backup.replyText().split(" ").length);
    assertThat(e.attempts()).extracting(GatehouseEvent.Attempt::provider).containsExactly("primary", "primary", "backup");
    assertThat(e.attempts()).extracting(GatehouseEvent.Attempt::status).containsExactly(503, 503, 200);
  }

  @Test
  void droppedConnectionFailsOver() throws Exception {
    primary.behaviour(c -> new FaultyProvider.Drop());
    Answer a = chat("m5", false);
    assertThat(a.status).isEqualTo(200);
    assertThat(a.text()).isEqualTo(backup.replyText());
    assertThat(backup.calls()).isEqualTo(1);
    assertThat(a.event().attempts().get(0).failureClass()).isEqualTo("transient");
  }

  @Test
  void hangingProviderTimesOutAndFailsOver() throws Exception {
    primary.behaviour(c -> new FaultyProvider.Hang());
    Answer a = chat("m6", false);
    assertThat(a.status).isEqualTo(200);
    assertThat(a.text()).isEqualTo(backup.replyText());
    assertThat(primary.calls()).as("a timeout moves on at once, no retry of a hang").isEqualTo(1);
    assertThat(a.event().attempts()).extracting(GatehouseEvent.Attempt::failureClass).containsExactly("timeout", null);
  }

  @Test
  void slowFirstTokenFailsOverBeforeTheClientSawAByte() throws Exception {
    primary.behaviour(c -> new FaultyProvider.SlowFirstChunk(3000));
    Answer a = chat("m7", true);
    assertThat(a.status).isEqualTo(200);
    assertThat(a.streamedText()).isEqualTo(backup.replyText());
    assertThat(a.body).endsWith("data: [DONE]\n\n");
    assertThat(a.event().attempts()).extracting(GatehouseEvent.Attempt::failureClass).containsExactly("timeout", null);
    assertThat(a.event().fallbackUsed()).isTrue();
  }

  @Test
  void streamCutMidAnswerIsAnHonestErrorNotAFailover() throws Exception {
    primary.behaviour(c -> new FaultyProvider.CutAfter(3));
    Answer a = chat("m8", true);
    assertThat(a.status).isEqualTo(200);
    assertThat(a.streamedText()).isEqualTo("Hello from");
    assertThat(a.body).doesNotContain("data: [DONE]").contains("data: {\"error\":");
    assertThat(backup.calls()).as("the client already has bytes: no other answer may follow").isZero();
    GatehouseEvent e = a.event();
    assertThat(e.status()).isEqualTo(502);
    assertThat(e.errorClass()).isEqualTo("stream_interrupted");
    assertThat(e.completion()).isEqualTo("Hello from");
  }

  @Test
  void streamCutBeforeAnyByteFailsOver() throws Exception {
    primary.behaviour(c -> new FaultyProvider.CutAfter(0));
    Answer a = chat("m9", true);
    assertThat(a.streamedText()).isEqualTo(backup.replyText());
    assertThat(a.body).endsWith("data: [DONE]\n\n");
    assertThat(backup.calls()).isEqualTo(1);
  }

  @Test
  void stalledStreamEndsWithAnErrorAfterTheIdleTimeout() throws Exception {
    primary.behaviour(c -> new FaultyProvider.StallAfter(2));
    Answer a = chat("m10", true);
    assertThat(a.streamedText()).isEqualTo("Hello");
    assertThat(a.body).doesNotContain("data: [DONE]").contains("data: {\"error\":").contains("stalled");
    GatehouseEvent e = a.event();
    assertThat(e.status()).isEqualTo(502);
    assertThat(e.attempts()).singleElement().satisfies(at -> assertThat(at.failureClass()).isEqualTo("timeout"));
  }

  @Test
  void malformedChunkIsNotASilentSuccess() throws Exception {
    primary.behaviour(c -> new FaultyProvider.MalformedChunk());
    Answer a = chat("m11", true);
    GatehouseEvent e = a.event();
    assertThat(a.streamedText()).as("what came before the bad chunk").isEqualTo("Hello");
    assertThat(a.body).doesNotContain("data: [DONE]").doesNotContain("{\"content\n")
        .contains("\"code\":\"malformed_chunk\"");
    assertThat(e.status()).isEqualTo(502);
    assertThat(e.errorClass()).isNotNull();
    assertThat(e.completion()).isEqualTo("Hello");
  }

  @Test
  void streamWithoutDoneIsInterruptedNotComplete() throws Exception {
    primary.behaviour(c -> new FaultyProvider.NoDone());
    Answer a = chat("m12", true);
    assertThat(a.streamedText()).isEqualTo(primary.replyText());
    assertThat(a.body).doesNotContain("data: [DONE]").contains("data: {\"error\":");
    assertThat(a.event().errorClass()).isEqualTo("stream_interrupted");
  }

  @Test
  void contextLengthExceededStopsWithoutPointlessRetries() throws Exception {
    primary.behaviour(c -> status(400, "invalid_request_error", "context_length_exceeded",
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 130012 tokens.",
        Map.of()).apply(c));
    Answer a = chat("m13", false);
    assertThat(a.status).isEqualTo(400);
    assertThat(a.json.path("error").path("code").asText()).isEqualTo("context_length_exceeded");
    assertThat(primary.calls()).isEqualTo(1);
    assertThat(backup.calls()).isZero();
    assertThat(a.event().attempts()).singleElement()
        .satisfies(at -> assertThat(at.failureClass()).isEqualTo("context_too_long"));
  }

  @Test
  void contentFilterStops() throws Exception {
    primary.behaviour(c -> status(400, "invalid_request_error", "content_filter",
        "The response was filtered due to the prompt triggering content management policy.", Map.of()).apply(c));
    Answer a = chat("m14", false);
    assertThat(a.status).isEqualTo(400);
    assertThat(primary.calls()).isEqualTo(1);
    assertThat(backup.calls()).isZero();
    assertThat(a.event().attempts()).singleElement()
        .satisfies(at -> assertThat(at.failureClass()).isEqualTo("content_filter"));
  }

  @Test
  void revokedKeyMovesToTheOtherKeyAndStaysAway() throws Exception {
    primary.behaviour(c -> "key-a".equals(c.key())
        ? status(401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided", Map.of()).apply(c)
        : new FaultyProvider.Ok());
    for (int i = 0; i < 4; i++) {
      Answer a = chat("m15", false);
      assertThat(a.status).isEqualTo(200);
      assertThat(a.text()).isEqualTo(primary.replyText());
    }
    assertThat(primary.callsWithKey("key-a")).as("the revoked key's breaker opened at once").isEqualTo(1);
    assertThat(primary.callsWithKey("key-b")).isEqualTo(4);
    assertThat(backup.calls()).isZero();
  }

  @Test
  void deadPrimaryIsSkippedOnceItsBreakerOpens() throws Exception {
    primary.behaviour(c -> status(500, "server_error", null, "boom", Map.of()).apply(c));
    int total = 10_000;
    AtomicInteger ok = new AtomicInteger();
    Semaphore inFlight = new Semaphore(16);
    List<CompletableFuture<Void>> all = new ArrayList<>(total);
    String body = "{\"model\":\"m16\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    for (int i = 0; i < total; i++) {
      inFlight.acquire();
      all.add(HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString()).handle((r, err) -> {
        inFlight.release();
        if (r != null && r.statusCode() == 200) {
          ok.incrementAndGet();
        }
        return null;
      }));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
    assertThat(ok.get()).as("succeeded via the fallback").isGreaterThanOrEqualTo(total * 999 / 1000);
    // the breaker opens after 3 failures; requests already in flight at that moment (≤ 16) may add one
    // attempt each; afterwards the primary sees nothing during the 60 s cooldown
    assertThat(primary.calls()).as("primary calls").isLessThanOrEqualTo(3 + 2 * 16);
    assertThat(backup.calls()).isGreaterThanOrEqualTo(total * 999 / 1000);
    System.out.printf("dead primary: %d/%d succeeded, primary saw %d calls, backup %d%n", ok.get(), total,
        primary.calls(), backup.calls());
  }

  // ------------------------------------------------------------------------------ helpers

  /** The first call gets {@code first}, every later one a healthy answer. */
  private static Function<Call, Fault> firstThen(Function<Call, Fault> first) {
    return c -> c.number() == 1 ? first.apply(c) : new FaultyProvider.Ok();
  }

  private static Function<Call, Fault> status(int status, String type, String code, String message,
      Map<String, String> headers) {
    return c -> new FaultyProvider.Status(status, type, code, message, headers);
  }

  private record Answer(HttpResponse<String> response, int status, String body, JsonNode json) {
    String text() {
      return json.path("choices").path(0).path("message").path("content").asText();
    }

    String streamedText() throws IOException {
      StringBuilder text = new StringBuilder();
      for (String line : body.split("\n")) {
        if (line.startsWith("data: {")) {
          JsonNode chunk = JSON.readTree(line.substring(6));
          chunk.path("choices").forEach(c -> text.append(c.path("delta").path("content").asText("")));
        }
      }
      return text.toString();
    }

    GatehouseEvent event() {
      return events.await(response.headers().firstValue("x-gatehouse-request-id").orElseThrow(), EVENT_WAIT);
    }
  }

  private static Answer chat(String model, boolean stream) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"stream\":" + stream
            + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    JsonNode json = stream ? JSON.createObjectNode() : JSON.readTree(r.body());
    return new Answer(r, r.statusCode(), r.body(), json);
  }
}
