package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.testsupport.fake.FaultyProvider;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A flapping primary through a real proxy (breaker opens, is skipped, probes, closes, reopens), and
 * routing rules and a sticky experiment reaching the upstream and the event.
 */
class BreakerAndRoutingProxyTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final Duration EVENT_WAIT = Duration.ofSeconds(20);

  private static FaultyProvider primary;
  private static FaultyProvider backup;
  private static GatehouseProxy proxy;
  private static EventsTopic events;

  @BeforeAll
  static void start() throws IOException {
    KafkaBroker kafka = KafkaBroker.shared();
    String topic = "events-breaker-" + UUID.randomUUID();
    kafka.createTopic(topic, 1);
    primary = FaultyProvider.start("primary");
    backup = FaultyProvider.start("backup");
    Path yaml = Files.createTempFile("gatehouse-breaker", ".yaml");
    yaml.toFile().deleteOnExit();
    Files.writeString(yaml, String.join("\n",
        "providers:",
        "  primary: { type: openai-compatible, base_url: \"" + primary.baseUrl() + "\" }",
        "  backup: { type: openai-compatible, base_url: \"" + backup.baseUrl() + "\" }",
        "models:",
        "  flappy: { targets: [primary/p-flap, backup/b-flap] }",
        "  cheap: { targets: [backup/b-cheap] }",
        "  chat: { targets: [primary/p-chat] }",
        "routing:",
        "  rules:",
        "    - { when: { feature: summarize }, model: cheap }",
        "experiments:",
        "  chat-v2: { model: chat, sticky_by: user, split: { control: 50, candidate: { weight: 50, model: backup/b-candidate } } }",
        "retries: { max_attempts: 3, backoff: 10ms }",
        "breaker: { failures: 2, cooldown: 2s, max_cooldown: 4s }",
        "events: { kafka: { bootstrap: \"" + kafka.bootstrapServers() + "\", topic: " + topic + " } }", ""));
    proxy = GatehouseProxy.start(Map.of("GATEHOUSE_PORT", "0", "GATEHOUSE_CONFIG", yaml.toString(),
        "GATEHOUSE_SPOOL_DIR", Files.createTempDirectory("gatehouse-breaker-spool").toString()));
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

  @Test
  void flappingPrimaryIsCooledDownProbedAndTrustedAgain() throws Exception {
    primary.behaviour(c -> new FaultyProvider.Status(500, "server_error", null, "boom", Map.of())).resetCounts();
    // two failures open the breaker: the first request retries the primary once, then the backup answers
    assertThat(replyOf("flappy", Map.of())).isEqualTo(backup.replyText());
    long primaryCallsWhenOpen = primary.calls();
    assertThat(primaryCallsWhenOpen).isEqualTo(2);
    for (int i = 0; i < 5; i++) {
      assertThat(replyOf("flappy", Map.of())).isEqualTo(backup.replyText());
    }
    assertThat(primary.calls()).as("an open breaker is skipped, not retried").isEqualTo(primaryCallsWhenOpen);

    primary.behaviour(c -> new FaultyProvider.Ok());
    // after the cooldown one request probes the primary; poll with a deadline until it has
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (primary.calls() == primaryCallsWhenOpen) {
      assertThat(System.nanoTime()).as("a probe within the deadline").isLessThan(deadline);
      replyOf("flappy", Map.of());
    }
    for (int i = 0; i < 5; i++) {
      assertThat(replyOf("flappy", Map.of())).as("closed again after a good probe").isEqualTo(primary.replyText());
    }

    primary.behaviour(c -> new FaultyProvider.Status(503, "server_error", null, "down again", Map.of()));
    long before = primary.calls();
    assertThat(replyOf("flappy", Map.of())).isEqualTo(backup.replyText());
    assertThat(replyOf("flappy", Map.of())).isEqualTo(backup.replyText());
    assertThat(primary.calls() - before).as("reopened after two more failures").isEqualTo(2);
  }

  @Test
  void aRuleOnTheFeatureHeaderReroutes() throws Exception {
    HttpResponse<String> r = post("chat", Map.of("x-gatehouse-feature", "summarize"));
    JsonNode json = JSON.readTree(r.body());
    assertThat(json.path("model").asText()).isEqualTo("b-cheap");
    GatehouseEvent e = events.await(r.headers().firstValue("x-gatehouse-request-id").orElseThrow(), EVENT_WAIT);
    assertThat(e.modelRequested()).isEqualTo("chat");
    assertThat(e.route()).isEqualTo("cheap");
    assertThat(e.feature()).isEqualTo("summarize");
  }

  @Test
  void anExperimentSplitsUsersStickilyAndRecordsTheVariant() throws Exception {
    primary.behaviour(c -> new FaultyProvider.Ok());
    Set<String> variants = new HashSet<>();
    for (int u = 0; u < 40; u++) {
      String user = "user-" + u;
      String first = null;
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> r = post("chat", Map.of("x-gatehouse-user", user));
        GatehouseEvent e = events.await(r.headers().firstValue("x-gatehouse-request-id").orElseThrow(), EVENT_WAIT);
        assertThat(e.experiment()).isEqualTo("chat-v2");
        String model = JSON.readTree(r.body()).path("model").asText();
        assertThat(model).isEqualTo(e.variant().equals("candidate") ? "b-candidate" : "p-chat");
        if (first == null) {
          first = e.variant();
        }
        assertThat(e.variant()).as("sticky for %s", user).isEqualTo(first);
      }
      variants.add(first);
    }
    assertThat(variants).as("40 users land in both variants").containsExactlyInAnyOrder("control", "candidate");
  }

  private static String replyOf(String model, Map<String, String> headers) throws Exception {
    HttpResponse<String> r = post(model, headers);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body()).path("choices").path(0).path("message").path("content").asText();
  }

  private static HttpResponse<String> post(String model, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model
            + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
    headers.forEach(b::header);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
