package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /metrics} scraped around real traffic: the counters move by what was sent, and no secret shows. */
class MetricsTest {
  private static final String PROVIDER_KEY = "sk-metrics-provider-secret-77aa";
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TempDir Path dir;

  @Test
  void countersMoveWithTrafficAndTagsStayBounded() throws Exception {
    KafkaBroker kafka = KafkaBroker.shared();
    String topic = "events-metrics-" + UUID.randomUUID();
    kafka.createTopic(topic, 1);
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    try (FakeOpenAiProvider fake = FakeOpenAiProvider.builder().requiredApiKey(PROVIDER_KEY).start()) {
      Path yaml = dir.resolve("gatehouse.yaml");
      Files.writeString(yaml, String.join("\n",
          "providers:",
          "  fake: { type: openai, base_url: \"" + fake.baseUrl() + "\", keys: [\"" + PROVIDER_KEY + "\"] }",
          "  down: { type: openai-compatible, base_url: \"http://127.0.0.1:" + closedPort + "/v1\" }",
          "models:",
          "  smart: { targets: [down/whatever, fake/gpt-4o-mini] }",
          "retries: { max_attempts: 2, backoff: 1ms }",
          "events: { kafka: { bootstrap: \"" + kafka.bootstrapServers() + "\", topic: " + topic + " } }", ""));
      try (GatehouseProxy proxy = GatehouseProxy.start(Map.of("GATEHOUSE_CONFIG", yaml.toString(), "GATEHOUSE_PORT", "0"))) {
        String before = scrape(proxy);
        for (int i = 0; i < 3; i++) {
          assertThat(chat(proxy, "{\"model\":\"fake/gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"a b c\"}]}"))
              .isEqualTo(200);
        }
        assertThat(chat(proxy, "{\"model\":\"smart\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).isEqualTo(200);
        for (int i = 0; i < 5; i++) {
          assertThat(chat(proxy, "{\"model\":\"random-model-" + i + "\",\"messages\":[]}")).isEqualTo(400);
        }
        String after = awaitScrape(proxy, "gatehouse_events_published_total", 9);

        String ok = "endpoint=\"/v1/chat/completions\",model=\"gpt-4o-mini\",outcome=\"success\","
            + "provider=\"fake\",route=\"fake/gpt-4o-mini\",service=\"gatehouse-proxy\",status=\"200\"";
        assertThat(value(after, "gatehouse_requests_seconds_count{" + ok + "}")).isEqualTo(3);
        assertThat(value(before, "gatehouse_requests_seconds_count{" + ok + "}")).isZero();
        assertThat(sum(after, "gatehouse_requests_seconds_count", "outcome=\"client_error\"")).isEqualTo(5);
        assertThat(value(after, "gatehouse_failovers_total{route=\"smart\",service=\"gatehouse-proxy\"}")).isEqualTo(1);
        assertThat(sum(after, "gatehouse_upstream_attempts_total", "outcome=\"unreachable\"")).isEqualTo(1);
        assertThat(sum(after, "gatehouse_tokens_total", "kind=\"input\"")).isPositive();
        assertThat(sum(after, "gatehouse_cost_usd_total", "provider=\"fake\"")).isPositive();
        assertThat(value(after, "gatehouse_events_dropped_total{service=\"gatehouse-proxy\"}")).isZero();
        assertThat(after).contains("gatehouse_gateway_overhead_seconds_bucket").contains("gatehouse_events_queue")
            .contains("gatehouse_events_spool_bytes").contains("gatehouse_breakers{service=\"gatehouse-proxy\",state=\"open\"}")
            .contains("jvm_memory_used_bytes");
        assertThat(after).doesNotContain(PROVIDER_KEY).doesNotContain("a b c");
        assertThat(after).as("a client's model name is not a tag when it was never routed").doesNotContain("random-model-");
      }
    }
  }

  @Test
  void aCallToAModelWithoutAPriceMovesTheUnpricedCounterAndHasAnUnknownCost() throws Exception {
    KafkaBroker kafka = KafkaBroker.shared();
    String topic = "events-unpriced-" + UUID.randomUUID();
    kafka.createTopic(topic, 1);
    try (FakeOpenAiProvider fake = FakeOpenAiProvider.builder().start()) {
      Path yaml = dir.resolve("unpriced.yaml");
      Files.writeString(yaml, String.join("\n",
          "providers:",
          "  fake: { type: openai, base_url: \"" + fake.baseUrl() + "\", keys: [\"" + PROVIDER_KEY + "\"] }",
          "events: { kafka: { bootstrap: \"" + kafka.bootstrapServers() + "\", topic: " + topic + " } }", ""));
      try (GatehouseProxy proxy = GatehouseProxy.start(Map.of("GATEHOUSE_CONFIG", yaml.toString(), "GATEHOUSE_PORT", "0"));
          EventsTopic events = new EventsTopic(kafka.bootstrapServers(), topic)) {
        // the counter is the JVM's: other proxies in this JVM may have moved it already
        double before = sum(scrape(proxy), "gatehouse_cost_unpriced_total", "");
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"fake/gpt-unpriced-9\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"a b c\"}]}")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        awaitScrape(proxy, "gatehouse_cost_unpriced_total", before + 1);
        GatehouseEvent event = events.await(r.headers().firstValue("x-gatehouse-request-id").orElseThrow(), Duration.ofSeconds(20));
        assertThat(event.model()).isEqualTo("gpt-unpriced-9");
        assertThat(event.inputTokens()).as("usage was reported, only the price is missing").isPositive();
        assertThat(event.costUsd()).as("unknown, not 0").isNull();
        assertThat(event.priceVersion()).isNull();
      }
    }
  }

  private static int chat(GatehouseProxy proxy, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  static String scrape(GatehouseProxy proxy) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/metrics"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
    return r.body();
  }

  /** Scrapes until {@code counter} (untagged apart from service) reaches {@code atLeast}: events are published asynchronously. */
  private static String awaitScrape(GatehouseProxy proxy, String counter, double atLeast) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    String body = scrape(proxy);
    while (sum(body, counter, "") < atLeast) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(counter + " stayed below " + atLeast + ":\n" + body);
      }
      Thread.sleep(50); // polling interval of a deadline loop
      body = scrape(proxy);
    }
    return body;
  }

  private static double value(String scrape, String series) {
    for (String line : scrape.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    return 0;
  }

  /** Sum of every series of {@code name} whose labels contain {@code labelPart}. */
  static double sum(String scrape, String name, String labelPart) {
    double total = 0;
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? (\\S+)$").matcher(scrape);
    while (m.find()) {
      if (m.group(1) == null ? labelPart.isEmpty() : m.group(1).contains(labelPart)) {
        total += Double.parseDouble(m.group(2));
      }
    }
    return total;
  }
}
