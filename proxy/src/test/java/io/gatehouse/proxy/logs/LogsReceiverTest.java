package io.gatehouse.proxy.logs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.schemas.GatehouseEvent;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code POST /v1/logs} over HTTP: golden events, idempotent ids, clear 400s. */
class LogsReceiverTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final ReceiverServer server = new ReceiverServer(null);

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void openAiPairBecomesTheProxiedCallsEvent() throws Exception {
    HttpResponse<String> r = server.post("/v1/logs", Golden.payload("log-api/openai-chat.json"),
        "x-gatehouse-team", "support", "x-gatehouse-tags", "env=prod",
        "traceparent", "00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbb-01");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.get("accepted").asInt()).isEqualTo(1);
    assertThat(body.get("event_ids").get(0).asText()).isEqualTo(server.published.get(0).eventId());
    Golden.assertMatches("log-api/openai-chat.events.json", server.published);
  }

  @Test
  void batchOfAnthropicStreamAndProviderError() throws Exception {
    HttpResponse<String> r = server.post("/v1/logs", Golden.payload("log-api/batch-anthropic-and-error.json"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    Golden.assertMatches("log-api/batch-anthropic-and-error.events.json", server.published);
  }

  @Test
  void sendingTheSameLogsAgainGivesTheSameEventIds() throws Exception {
    byte[] payload = Golden.payload("log-api/batch-anthropic-and-error.json");
    server.post("/v1/logs", payload);
    server.post("/v1/logs", payload);
    List<String> ids = server.published.stream().map(GatehouseEvent::eventId).toList();
    assertThat(ids).hasSize(4);
    assertThat(ids.subList(2, 4)).isEqualTo(ids.subList(0, 2));
    assertThat(ids.get(0)).isNotEqualTo(ids.get(1));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      {not json                                                       | not valid JSON at line 1
      42                                                              | must be a log object
      []                                                              | holds no logs
      {"logs": {}}                                                    | logs: expected an array
      {"request": {"messages": []}, "timing": {"start": 1, "end": 2}} | log.request.model: required
      {"request": {"model": "m"}, "timing": {"start": 1}}             | log.timing: both "start" and "end" are required
      {"request": {"model": "m"}, "timing": {"start": 5, "end": 2}}   | "end" is before "start"
      {"request": {"model": "m"}, "timing": {"start": "yesterday", "end": 2}} | log.timing.start: not a time
      {"request": {"model": "m"}}                                     | log.timing: required
      {"request": "m", "timing": {"start": 1, "end": 2}}              | log.request: required
      {"request": {"model": "m"}, "response": [], "timing": {"start": 1, "end": 2}} | log.response: expected
      {"request": {"model": "m"}, "timing": {"start": 1, "end": 2}, "status": 9} | log.status: expected an HTTP status
      {"request": {"model": "m"}, "timing": {"start": 1, "end": 2}, "format": "gemini"} | log.format: expected "openai" or "anthropic"
      {"request": {"model": "m"}, "timing": {"start": 1, "end": 2}, "attribution": {"tags": {"a": {}}}} | log.attribution.tags.a
      {"request": {"model": "m"}, "timing": {"start": 1, "end": 2}, "reqest": {}} | log.reqest: unknown field
      {"logs": [{"request": {"model": "m"}, "timing": {"start": 1, "end": 2}}, {"request": {}}]} | logs[1].request.model
      """)
  void malformedPayloadsAreClear400sAndPublishNothing(String body, String message) throws Exception {
    HttpResponse<String> r = server.post("/v1/logs", body, "content-type", "application/json");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    JsonNode error = JSON.readTree(r.body()).get("error");
    assertThat(error.get("code").asText()).isEqualTo("invalid_payload");
    assertThat(error.get("message").asText()).contains(message);
    assertThat(server.published).isEmpty();
  }

  @Test
  void gzipBodiesAreReadAndBrokenGzipIsA400() throws Exception {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(out)) {
      gz.write(Golden.payload("log-api/openai-chat.json"));
    }
    assertThat(server.post("/v1/logs", out.toByteArray(), "content-encoding", "gzip").statusCode()).isEqualTo(202);
    assertThat(server.published).hasSize(1);
    HttpResponse<String> broken = server.post("/v1/logs", "not gzip", "content-encoding", "gzip");
    assertThat(broken.statusCode()).isEqualTo(400);
    assertThat(broken.body()).contains("not valid gzip");
    assertThat(server.post("/v1/logs", "{}", "content-encoding", "br").body()).contains("'br' is not supported");
  }
}
