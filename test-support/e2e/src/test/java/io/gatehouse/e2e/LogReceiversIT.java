package io.gatehouse.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Log-only ingestion on real parts: a LiteLLM {@code generic_api} batch and an OTLP/HTTP JSON export
 * of GenAI spans, posted to the proxy's receivers, land in ClickHouse through Kafka and ingest, as the
 * same kind of rows a proxied call produces. The payloads are the receivers' golden fixtures.
 */
class LogReceiversIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private static String fixture(String name) throws Exception {
    Path root = Path.of(System.getProperty("gatehouse.root", "../.."));
    return Files.readString(root.resolve("proxy/src/test/resources/logs/" + name));
  }

  private static HttpResponse<String> post(String path, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(GatehouseStack.get().proxyUrl() + path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void liteLlmAndOtlpPayloadsShowUpInClickHouse() throws Exception {
    GatehouseStack stack = GatehouseStack.get();
    HttpResponse<String> litellm = post("/v1/litellm", fixture("litellm/generic-api-batch.json"));
    assertThat(litellm.statusCode()).as(litellm.body()).isEqualTo(202);
    List<String> ids = new ArrayList<>();
    JSON.readTree(litellm.body()).path("event_ids").forEach(id -> ids.add(id.asText()));
    assertThat(ids).isNotEmpty();

    String otlpBody = fixture("otlp/genai-traces.json");
    HttpResponse<String> otlp = post("/v1/traces", otlpBody);
    assertThat(otlp.statusCode()).as(otlp.body()).isEqualTo(200);
    List<String> traceIds = new ArrayList<>();
    JSON.readTree(otlpBody).findValues("traceId").forEach(t -> traceIds.add(t.asText()));
    JsonNode expectedOtlp = JSON.readTree(fixture("otlp/genai-traces.events.json"));
    int otlpEvents = expectedOtlp.isArray() ? expectedOtlp.size() : 1;

    String liteWhere = "source = 'litellm' AND event_id IN ('" + String.join("','", ids) + "')";
    String otlpWhere = "source = 'otlp' AND trace_id IN ('" + String.join("','", traceIds) + "')";
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    long lite = 0;
    long spans = 0;
    while (System.nanoTime() < deadline) {
      lite = count(stack, liteWhere);
      spans = count(stack, otlpWhere);
      if (lite >= ids.size() && spans >= otlpEvents) {
        break;
      }
      Thread.sleep(250); // poll interval, bounded by the deadline above
    }
    assertThat(lite).as("LiteLLM rows").isEqualTo(ids.size());
    assertThat(spans).as("OTLP GenAI spans as rows").isEqualTo(otlpEvents);
    String models = stack.clickhouse.query("SELECT groupUniqArray(model) FROM gatehouse.events WHERE "
        + otlpWhere + " OR " + liteWhere);
    assertThat(models).contains("gpt-4o-mini").contains("claude-3-5-haiku");
  }

  private static long count(GatehouseStack stack, String where) {
    return Long.parseLong(stack.clickhouse.query("SELECT count() FROM gatehouse.events WHERE " + where).strip());
  }
}
