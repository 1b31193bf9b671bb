package io.gatehouse.proxy.logs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.schemas.GatehouseEvent;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** LiteLLM's {@code generic_api} callback at {@code POST /v1/litellm}: every log_format, golden events, 400s. */
class LiteLlmReceiverTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final ReceiverServer server = new ReceiverServer(null);

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void jsonArrayBatchBecomesEvents() throws Exception {
    HttpResponse<String> r = server.post("/v1/litellm", Golden.payload("litellm/generic-api-batch.json"),
        "content-type", "application/json");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    assertThat(JSON.readTree(r.body()).get("accepted").asInt()).isEqualTo(2);
    Golden.assertMatches("litellm/generic-api-batch.events.json", server.published);
  }

  @Test
  void ndjsonAndSingleFormatsGiveTheSameEvents() throws Exception {
    JsonNode batch = JSON.readTree(Golden.payload("litellm/generic-api-batch.json"));
    server.post("/v1/litellm", Golden.payload("litellm/generic-api-batch.json"));
    List<GatehouseEvent> fromArray = new ArrayList<>(server.published);
    server.published.clear();
    String ndjson = JSON.writeValueAsString(batch.get(0)) + "\n" + JSON.writeValueAsString(batch.get(1)) + "\n";
    assertThat(server.post("/v1/litellm", ndjson).statusCode()).isEqualTo(202);
    for (JsonNode one : batch) {
      assertThat(server.post("/v1/litellm", JSON.writeValueAsString(one)).statusCode()).isEqualTo(202);
    }
    assertThat(server.published).hasSize(4);
    assertThat(server.published.subList(0, 2)).isEqualTo(fromArray);
    assertThat(server.published.subList(2, 4)).isEqualTo(fromArray);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      [{"model": "gpt-4o"                                       | not valid JSON
      []                                                        | holds no StandardLoggingPayload
      [42]                                                      | [0]: expected a StandardLoggingPayload object
      [{"startTime": 1, "endTime": 2}]                          | [0].model: required
      [{"model": "m", "startTime": 1}]                          | "startTime" and "endTime" are required
      [{"model": "m", "startTime": 3, "endTime": 2}]            | "endTime" is before "startTime"
      [{"model": "m", "startTime": true, "endTime": 2}]         | [0].startTime: expected a time
      [{"model": "m", "startTime": 1, "endTime": 2, "request_tags": "x"}] | [0].request_tags: expected a list
      """)
  void malformedPayloadsAreClear400s(String body, String message) throws Exception {
    HttpResponse<String> r = server.post("/v1/litellm", body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(JSON.readTree(r.body()).path("error").path("message").asText()).contains(message);
    assertThat(server.published).isEmpty();
  }
}
