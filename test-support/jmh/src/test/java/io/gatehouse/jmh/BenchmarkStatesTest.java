package io.gatehouse.jmh;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.proxy.cache.CacheKey;
import io.gatehouse.proxy.provider.ChatStream;
import io.gatehouse.proxy.provider.anthropic.MessagesTap;
import io.gatehouse.proxy.routing.RouteTable;
import io.gatehouse.schemas.GatehouseEvent;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The benchmarks measure what they say: their states set up, and one operation of each does the real work
 * (the streams yield the fixtures' answer and usage, the event carries the request and is redacted, routes
 * go where the configuration says). Runs in {@code mvn verify}; the benchmarks themselves do not.
 */
class BenchmarkStatesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Blackhole BH =
      new Blackhole("Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");

  @Test
  void streamsYieldTheRecordedAnswerChunkByChunk() {
    StreamBench bench = new StreamBench();
    assertThat(bench.openAi).hasSize(StreamBench.OPENAI_CHUNKS);
    assertThat(bench.anthropic).hasSize(StreamBench.ANTHROPIC_CHUNKS);

    for (ChatStream s : new ChatStream[] {bench.openAiTap(BH), bench.anthropicToOpenAi(BH)}) {
      assertThat(s.completion()).isEqualTo("Hello! How can I help you today?");
      assertThat(s.finishReason()).isEqualTo("stop");
      assertThat(s.usage().inputTokens()).isEqualTo(12L);
      assertThat(s.usage().outputTokens()).isEqualTo(9L);
      assertThat(s.done()).isTrue();
      assertThat(s.errorMessage()).isNull();
    }
    MessagesTap tap = bench.anthropicMessagesTap();
    assertThat(tap.text()).isEqualTo("Hello! How can I help you today?");
    assertThat(tap.stopReason()).isEqualTo("end_turn");
    assertThat(tap.usage().inputTokens()).isEqualTo(12L);
    assertThat(tap.usage().outputTokens()).isEqualTo(9L);
    assertThat(tap.stopped()).isTrue();
    // the fixture buffers are not consumed: every operation sees the whole stream
    assertThat(bench.openAiTap(BH).usage().outputTokens()).isEqualTo(9L);
  }

  @Test
  void theEventCarriesTheRequestAndItsBytesAreRedacted() throws Exception {
    EventBench bench = new EventBench();
    bench.request = ChatRequests.FAQ;
    bench.setUp();

    GatehouseEvent event = bench.build();
    assertThat(event.eventId()).isNotEqualTo(bench.event.eventId());
    assertThat(event.status()).isEqualTo(200);
    assertThat(event.team()).isEqualTo("support");
    assertThat(event.inputTokens()).isEqualTo(312L);
    assertThat(event.costUsd()).isPositive();
    assertThat(event.attempts()).hasSize(1);

    JsonNode redacted = JSON.readTree(bench.encode());
    assertThat(redacted.path("event_id").asText()).isEqualTo(bench.event.eventId());
    assertThat(redacted.path("prompt").get(1).path("content").asText())
        .contains("[REDACTED:email]").doesNotContain("jane.doe@example.com");
    String plain = new String(bench.encodeWithoutRedaction(), StandardCharsets.UTF_8);
    assertThat(plain).contains("jane.doe@example.com");
  }

  @Test
  void cacheKeysAreSha256HexAndDifferByRequest() throws Exception {
    Set<String> keys = new HashSet<>();
    for (String shape : new String[] {ChatRequests.SHORT, ChatRequests.FAQ, ChatRequests.CHAT}) {
      CacheKeyBench bench = new CacheKeyBench();
      bench.request = shape;
      bench.setUp();
      CacheKey.Keys k = bench.key();
      assertThat(k.exact()).matches("[0-9a-f]{64}");
      assertThat(k.partition()).as("every body ends with a user turn").matches("[0-9a-f]{64}");
      assertThat(bench.key()).isEqualTo(k);
      keys.add(k.exact());
    }
    assertThat(keys).hasSize(3);
  }

  @Test
  void routesGoWhereTheConfigurationSays() throws Exception {
    assertThat(targets("alias")).isEqualTo("chat-default: openai/gpt-4o-mini, anthropic/claude-3-5-haiku-20241022");
    assertThat(targets("direct")).isEqualTo("openai/gpt-4o: openai/gpt-4o");
    assertThat(targets("weighted")).isIn("smart: openai/gpt-4o, anthropic/claude-sonnet-4",
        "smart: anthropic/claude-sonnet-4, openai/gpt-4o");

    RoutingBench experiment = bench("experiment");
    RouteTable.Route route = (RouteTable.Route) experiment.factsAndResolve();
    assertThat(route.experiment()).isEqualTo("support-model-v2");
    assertThat(route.variant()).isIn("control", "candidate");
    // sticky by user: the same user gets the same variant every time
    assertThat(((RouteTable.Route) experiment.resolve()).variant()).isEqualTo(route.variant());
  }

  private static String targets(String scenario) throws Exception {
    RoutingBench bench = bench(scenario);
    RouteTable.Route route = (RouteTable.Route) bench.factsAndResolve();
    assertThat(route.experiment()).isNull();
    return route.route() + ": " + route.targets().stream().map(RouteTable.Target::id).collect(Collectors.joining(", "));
  }

  private static RoutingBench bench(String scenario) throws Exception {
    RoutingBench bench = new RoutingBench();
    bench.scenario = scenario;
    bench.setUp();
    return bench;
  }

  @Test
  void theIngestRowIsTheEventsRow() throws Exception {
    IngestRowBench bench = new IngestRowBench();
    bench.setUp();
    for (int i = 0; i < IngestRowBench.EVENTS; i++) {
      int length = bench.row();
      java.io.ByteArrayOutputStream general = new java.io.ByteArrayOutputStream();
      try (com.fasterxml.jackson.core.JsonGenerator g = new com.fasterxml.jackson.core.JsonFactory().createGenerator(general)) {
        io.gatehouse.ingest.clickhouse.EventRow.write(io.gatehouse.schemas.EventJson.fromBytes(bench.event(i)), g);
      }
      assertThat(new String(bench.lastRow(), StandardCharsets.UTF_8)).as("the general path's row")
          .isEqualTo(general.toString(StandardCharsets.UTF_8));
      assertThat(length).isEqualTo(general.size()).isGreaterThan(1_000);
    }
  }
}
