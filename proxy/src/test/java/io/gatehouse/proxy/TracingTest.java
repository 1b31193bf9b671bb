package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.gatehouse.testsupport.fake.FakeOpenAiProvider;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spans exported over OTLP/HTTP to a receiver in the test: one SERVER span per request with the GenAI
 * attributes, one CLIENT child per upstream attempt, the client's traceparent as parent, and the
 * attempt's context sent upstream.
 */
class TracingTest {
  private static final String CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String CLIENT_SPAN = "00f067aa0ba902b7";
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TempDir Path dir;

  @Test
  void aRequestWithAFailoverIsOneServerSpanWithOneChildPerAttempt() throws Exception {
    List<Span> spans = new CopyOnWriteArrayList<>();
    HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    collector.createContext("/v1/traces", exchange -> {
      try (InputStream in = exchange.getRequestBody()) {
        for (ResourceSpans rs : ExportTraceServiceRequest.parseFrom(in.readAllBytes()).getResourceSpansList()) {
          assertThat(attr(rs.getResource().getAttributesList(), "service.name")).isEqualTo("gatehouse-proxy");
          for (ScopeSpans ss : rs.getScopeSpansList()) {
            spans.addAll(ss.getSpansList());
          }
        }
      }
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    collector.start();
    try (FakeOpenAiProvider fake = FakeOpenAiProvider.builder().start();
        GatehouseProxy proxy = proxy(fake, "tracing: { otlp_endpoint: \"http://127.0.0.1:"
            + collector.getAddress().getPort() + "/v1/traces\" }\n")) {
      HttpResponse<String> r = chat(proxy);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      String requestId = r.headers().firstValue("x-gatehouse-request-id").orElseThrow();

      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (spans.size() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(50); // polling interval of a deadline loop (spans are exported in batches)
      }
      assertThat(spans).hasSize(3);
      Span server = spans.stream().filter(s -> s.getKind() == Span.SpanKind.SPAN_KIND_SERVER).findFirst().orElseThrow();
      assertThat(hex(server.getTraceId())).isEqualTo(CLIENT_TRACE);
      assertThat(hex(server.getParentSpanId())).isEqualTo(CLIENT_SPAN);
      assertThat(server.getName()).isEqualTo("chat smart");
      assertThat(attr(server.getAttributesList(), "gen_ai.operation.name")).isEqualTo("chat");
      assertThat(attr(server.getAttributesList(), "gen_ai.system")).isEqualTo("openai");
      assertThat(attr(server.getAttributesList(), "gen_ai.request.model")).isEqualTo("smart");
      assertThat(attr(server.getAttributesList(), "gen_ai.response.model")).isEqualTo("gpt-4o-mini");
      assertThat(attr(server.getAttributesList(), "gen_ai.usage.input_tokens")).isNotBlank();
      assertThat(attr(server.getAttributesList(), "gen_ai.usage.output_tokens")).isNotBlank();
      assertThat(attr(server.getAttributesList(), "gen_ai.response.finish_reasons")).contains("stop");
      assertThat(attr(server.getAttributesList(), "gatehouse.request_id")).isEqualTo(requestId);

      List<Span> attempts = spans.stream().filter(s -> s.getKind() == Span.SpanKind.SPAN_KIND_CLIENT)
          .sorted((a, b) -> Long.compare(a.getStartTimeUnixNano(), b.getStartTimeUnixNano())).toList();
      assertThat(attempts).hasSize(2).allSatisfy(a -> {
        assertThat(a.getParentSpanId()).isEqualTo(server.getSpanId());
        assertThat(a.getTraceId()).isEqualTo(server.getTraceId());
        assertThat(attr(a.getAttributesList(), "gen_ai.request.model")).isIn("whatever", "gpt-4o-mini");
      });
      assertThat(attr(attempts.get(0).getAttributesList(), "error.type")).isEqualTo("unreachable");
      assertThat(attr(attempts.get(0).getAttributesList(), "gatehouse.provider")).isEqualTo("down");
      assertThat(attr(attempts.get(1).getAttributesList(), "http.response.status_code")).isEqualTo("200");
      assertThat(fake.lastRequest().header("traceparent"))
          .as("the answering attempt's context went upstream")
          .isEqualTo("00-" + CLIENT_TRACE + "-" + hex(attempts.get(1).getSpanId()) + "-01");
      assertThat(spans.toString()).as("no prompt text in spans").doesNotContain("trace me");
    } finally {
      collector.stop(0);
    }
  }

  @Test
  void withTracingOffTheClientsTraceparentTravelsUpstreamUnchanged() throws Exception {
    try (FakeOpenAiProvider fake = FakeOpenAiProvider.builder().start(); GatehouseProxy proxy = proxy(fake, "")) {
      assertThat(chat(proxy).statusCode()).isEqualTo(200);
      assertThat(fake.lastRequest().header("traceparent")).isEqualTo("00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01");
    }
  }

  private GatehouseProxy proxy(FakeOpenAiProvider fake, String extraYaml) throws Exception {
    KafkaBroker kafka = KafkaBroker.shared();
    String topic = "events-tracing-" + UUID.randomUUID();
    kafka.createTopic(topic, 1);
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    Path yaml = Files.createTempFile(dir, "gatehouse", ".yaml");
    Files.writeString(yaml, String.join("\n",
        "providers:",
        "  fake: { type: openai, base_url: \"" + fake.baseUrl() + "\", keys: [sk-tracing-test] }",
        "  down: { type: openai-compatible, base_url: \"http://127.0.0.1:" + closedPort + "/v1\" }",
        "models:",
        "  smart: { targets: [down/whatever, fake/gpt-4o-mini] }",
        "retries: { max_attempts: 2, backoff: 1ms }",
        "events: { kafka: { bootstrap: \"" + kafka.bootstrapServers() + "\", topic: " + topic + " } }", "") + extraYaml);
    return GatehouseProxy.start(Map.of("GATEHOUSE_CONFIG", yaml.toString(), "GATEHOUSE_PORT", "0"));
  }

  private static HttpResponse<String> chat(GatehouseProxy proxy) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
        .header("content-type", "application/json")
        .header("traceparent", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01")
        .POST(HttpRequest.BodyPublishers.ofString(
            "{\"model\":\"smart\",\"messages\":[{\"role\":\"user\",\"content\":\"trace me\"}]}")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String hex(com.google.protobuf.ByteString bytes) {
    return HexFormat.of().formatHex(bytes.toByteArray());
  }

  /** An attribute's value as text (string, int or array), or null. */
  private static String attr(List<KeyValue> attributes, String key) {
    for (KeyValue kv : attributes) {
      if (kv.getKey().equals(key)) {
        AnyValue v = kv.getValue();
        return switch (v.getValueCase()) {
          case STRING_VALUE -> v.getStringValue();
          case INT_VALUE -> Long.toString(v.getIntValue());
          case DOUBLE_VALUE -> Double.toString(v.getDoubleValue());
          case ARRAY_VALUE -> v.getArrayValue().getValuesList().stream().map(AnyValue::getStringValue).toList().toString();
          default -> v.toString();
        };
      }
    }
    return null;
  }
}
