package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.testsupport.fake.FakeOpenAiProvider;
import io.gatehouse.testsupport.fake.FaultyProvider;
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
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The response cache with {@code scope: key} under virtual keys (created through the admin API, kept on a
 * real Kafka broker), and a semantic cache whose embedder never answers: a provider embedder pointed at a
 * {@link FaultyProvider} that hangs, so each embedding would take the embedder's own 10 s HTTP timeout.
 */
class CacheScopeAndTimeoutProxyTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ADMIN_TOKEN = "admin-token-cache-scope-3b1d";
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  /** The embedder gives up after 10 s (ProviderEmbedder's timeout); the semantic lookup after 200 ms. */
  private static final Duration FAR_BELOW_THE_EMBEDDER = Duration.ofSeconds(3);

  @TempDir static Path dir;
  private static FakeOpenAiProvider fake;
  private static FaultyProvider hangingEmbedder;
  private static GatehouseProxy proxy;

  @BeforeAll
  static void start() throws Exception {
    KafkaBroker kafka = KafkaBroker.shared();
    String run = UUID.randomUUID().toString();
    kafka.createTopic("events-cache-scope-" + run, 1);
    fake = FakeOpenAiProvider.builder().start();
    hangingEmbedder = FaultyProvider.start("embedder").behaviour(c -> new FaultyProvider.Hang());
    Path yaml = dir.resolve("gatehouse.yaml");
    Files.writeString(yaml, String.join("\n",
        "providers:",
        "  fake: { type: openai-compatible, base_url: \"" + fake.baseUrl() + "\" }",
        "  emb: { type: openai-compatible, base_url: \"" + hangingEmbedder.baseUrl() + "\" }",
        "models:",
        "  faq: { targets: [fake/gpt-4o-mini], cache: { semantic: true } }",
        "cache:",
        "  enabled: true",
        "  scope: key",
        "  semantic: { embedder: emb/text-embedding-3-small, timeout: 200ms }",
        "prices:",
        "  fake/gpt-4o-mini: { input: 0.15, output: 0.60 }",
        "admin: { token: \"" + ADMIN_TOKEN + "\" }",
        "keys: { topic: keys-" + run + " }",
        "limits: { spend_topic: spend-" + run + " }",
        "events:",
        "  kafka: { bootstrap: \"" + kafka.bootstrapServers() + "\", topic: events-cache-scope-" + run + " }",
        ""));
    proxy = GatehouseProxy.start(Map.of("GATEHOUSE_CONFIG", yaml.toString(), "GATEHOUSE_PORT", "0",
        "GATEHOUSE_SPOOL_DIR", dir.resolve("spool").toString()));
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable c : new AutoCloseable[] {proxy, fake, hangingEmbedder}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // keep closing the rest
      }
    }
  }

  private static HttpRequest request(String model, String question, String key) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port()
            + "/v1/chat/completions"))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(CacheProxyTest.chat(model, question, "")));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return b.build();
  }

  private static HttpResponse<String> post(String model, String question, String key) throws Exception {
    return HTTP.send(request(model, question, key), HttpResponse.BodyHandlers.ofString());
  }

  /** A new virtual key's secret. */
  private static String createKey(String name) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port()
            + "/admin/keys")).header("Authorization", "Bearer " + ADMIN_TOKEN)
        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\",\"team\":\"shared\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return JSON.readTree(r.body()).get("key").asText();
  }

  private static void awaitStored(long atLeast) {
    CacheProxyTest.await(() -> proxy.cache().exactEntries() >= atLeast, atLeast + " answers are stored");
  }

  /** Two virtual keys of the same team never receive each other's answers; each gets its own. */
  @Test
  void withScopeKeyTwoVirtualKeysDoNotShareAnswers() throws Exception {
    String a = createKey("cache-a");
    String b = createKey("cache-b");
    String question = "What is the refund policy for annual plans? " + UUID.randomUUID();
    long stored = proxy.cache().exactEntries();
    long calls = fake.requestCount();

    HttpResponse<String> a1 = post("fake/gpt-4o-mini", question, a);
    assertThat(a1.statusCode()).as(a1.body()).isEqualTo(200);
    assertThat(CacheProxyTest.cacheHeader(a1)).isEqualTo("miss");
    awaitStored(stored + 1);
    assertThat(CacheProxyTest.cacheHeader(post("fake/gpt-4o-mini", question, a))).isEqualTo("hit");
    assertThat(fake.requestCount()).isEqualTo(calls + 1);

    HttpResponse<String> b1 = post("fake/gpt-4o-mini", question, b);
    assertThat(CacheProxyTest.cacheHeader(b1)).as("key b must not get key a's answer").isEqualTo("miss");
    assertThat(fake.requestCount()).isEqualTo(calls + 2);
    awaitStored(stored + 2);
    assertThat(CacheProxyTest.cacheHeader(post("fake/gpt-4o-mini", question, b))).isEqualTo("hit");
    assertThat(CacheProxyTest.cacheHeader(post("fake/gpt-4o-mini", question, a))).isEqualTo("hit");
    assertThat(CacheProxyTest.cacheHeader(post("fake/gpt-4o-mini", question, null)))
        .as("nor does a client without a virtual key").isEqualTo("miss");
    assertThat(fake.requestCount()).isEqualTo(calls + 3);
  }

  /**
   * The embedder hangs (it would give up only after 10 s): requests on the semantic alias are misses
   * answered by the provider right after the 200 ms lookup timeout. Several at once, so that an
   * embedding on an IO thread (or one waited for without a bound) would hold them all.
   */
  @Test
  void aHangingEmbedderMakesAQuickMissNotAWait() throws Exception {
    assertThat(post("fake/gpt-4o-mini", "warm up the request path", null).statusCode()).isEqualTo(200);
    long embedCalls = hangingEmbedder.calls();
    List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < 4; i++) {
      inFlight.add(HTTP.sendAsync(request("faq", "How do I reset my password, take " + i + "?", null),
          HttpResponse.BodyHandlers.ofString()));
    }
    for (CompletableFuture<HttpResponse<String>> f : inFlight) {
      HttpResponse<String> r = f.join();
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("answered well before the embedder would have")
          .isLessThan(FAR_BELOW_THE_EMBEDDER);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(CacheProxyTest.cacheHeader(r)).isEqualTo("miss");
      assertThat(JSON.readTree(r.body()).at("/choices/0/message/content").asText()).startsWith("Echo:");
    }
    CacheProxyTest.await(() -> hangingEmbedder.calls() > embedCalls, "the embedder was asked (and hangs)");
  }
}
