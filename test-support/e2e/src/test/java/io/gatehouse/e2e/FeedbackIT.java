package io.gatehouse.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/feedback} on real parts: a request through the proxy, then feedback on it by its
 * {@code x-gatehouse-request-id}; the proxy answers 202 only once Kafka has it, and ingest puts it in
 * {@code gatehouse.feedback}, where the UI's A/B analysis joins it to the request.
 */
class FeedbackIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void feedbackOnARequestReachesClickHouseLinkedToIt() throws Exception {
    GatehouseStack stack = GatehouseStack.get();
    HttpResponse<String> chat = post(stack.proxyUrl() + "/v1/chat/completions",
        "{\"model\":\"chat-default\",\"messages\":[{\"role\":\"user\",\"content\":\"rate me\"}]}");
    assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
    String requestId = chat.headers().firstValue("x-gatehouse-request-id").orElseThrow();

    HttpResponse<String> accepted = post(stack.proxyUrl() + "/v1/feedback", "{\"request_id\":\"" + requestId
        + "\",\"score\":0,\"label\":\"thumbs_down\",\"comment\":\"wrong answer\",\"user\":\"ana\"}");
    assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
    JsonNode answer = JSON.readTree(accepted.body());
    assertThat(answer.get("accepted").asInt()).isEqualTo(1);
    String feedbackId = answer.get("feedback_ids").get(0).asText();

    HttpResponse<String> bad = post(stack.proxyUrl() + "/v1/feedback", "{\"request_id\":\"" + requestId + "\"}");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(bad.body()).at("/error/message").asText()).contains("at least one of score, label or comment");

    String sql = "SELECT toString(feedback_id), score, label, comment, user FROM gatehouse.feedback FINAL "
        + "WHERE event_id = toUUID('" + requestId + "') FORMAT TabSeparated";
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    String row = "";
    while (System.nanoTime() < deadline && (row = stack.clickhouse.query(sql).strip()).isEmpty()) {
      Thread.sleep(100); // poll interval, bounded by the deadline above
    }
    assertThat(row).isEqualTo(feedbackId + "\t0\tthumbs_down\twrong answer\tana");
    // the request it rates lands too (its own batch, its own pace): the A/B view joins on event_id
    String events = "SELECT count() FROM gatehouse.events WHERE event_id = toUUID('" + requestId + "') FORMAT TabSeparated";
    while (System.nanoTime() < deadline && stack.clickhouse.query(events).strip().equals("0")) {
      Thread.sleep(100); // poll interval, bounded by the deadline above
    }
    assertThat(stack.clickhouse.query(events).strip()).isEqualTo("1");
  }

  private static HttpResponse<String> post(String url, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
