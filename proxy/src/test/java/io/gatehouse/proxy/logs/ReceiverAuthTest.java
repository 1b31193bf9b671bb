package io.gatehouse.proxy.logs;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The ingest token, the publisher's back-pressure (503) and methods, on every receiver. */
class ReceiverAuthTest {
  private static final String TOKEN = "ingest-secret-7c1f";
  private static final String[] PATHS = {"/v1/logs", "/v1/litellm"};
  private static final ObjectMapper JSON = new ObjectMapper();
  private final ReceiverServer server = new ReceiverServer(TOKEN);

  @AfterEach
  void stop() {
    server.close();
  }

  private static byte[] payloadFor(String path) throws Exception {
    return Golden.payload(path.equals("/v1/logs") ? "log-api/openai-chat.json" : "litellm/generic-api-batch.json");
  }

  @Test
  void withoutOrWithAWrongTokenIs401AndTheTokenIsNeverLoggedOrEchoed() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    root.addAppender(logs);
    try {
      for (String path : PATHS) {
        HttpResponse<String> none = server.post(path, payloadFor(path));
        assertThat(none.statusCode()).as(path).isEqualTo(401);
        assertThat(none.headers().firstValue("www-authenticate")).hasValue("Bearer");
        assertThat(JSON.readTree(none.body()).path("error").path("code").asText()).isEqualTo("invalid_ingest_token");
        HttpResponse<String> wrong = server.post(path, payloadFor(path), "authorization", "Bearer " + TOKEN + "x");
        assertThat(wrong.statusCode()).as(path).isEqualTo(401);
        assertThat(wrong.body()).doesNotContain(TOKEN);
        assertThat(server.post(path, payloadFor(path), "x-gatehouse-ingest-token", "nope").statusCode()).isEqualTo(401);
      }
      assertThat(server.published).isEmpty();
      assertThat(logs.list).noneMatch(e -> e.getFormattedMessage().contains(TOKEN));
      assertThat(IngestToken.of(TOKEN).toString()).doesNotContain(TOKEN);
    } finally {
      root.detachAppender(logs);
    }
  }

  @Test
  void theRightTokenInEitherHeaderIsAccepted() throws Exception {
    for (String path : PATHS) {
      assertThat(server.post(path, payloadFor(path), "authorization", "Bearer " + TOKEN).statusCode()).as(path)
          .isEqualTo(202);
      assertThat(server.post(path, payloadFor(path), "x-gatehouse-ingest-token", TOKEN).statusCode()).as(path)
          .isEqualTo(202);
    }
    assertThat(server.published).hasSize(2 + 4);
  }

  @Test
  void aFullPublisherQueueIs503WithRetryAfterAndResendingIsIdempotent() throws Exception {
    server.capacity.set(1);
    HttpResponse<String> r = server.post("/v1/litellm", payloadFor("/v1/litellm"), "authorization", "Bearer " + TOKEN);
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.headers().firstValue("retry-after")).hasValue("1");
    assertThat(r.body()).contains("1 of 2 events were accepted");
    server.capacity.set(10);
    assertThat(server.post("/v1/litellm", payloadFor("/v1/litellm"), "authorization", "Bearer " + TOKEN).statusCode())
        .isEqualTo(202);
    assertThat(server.published).hasSize(3);
    assertThat(server.published.get(1).eventId()).isEqualTo(server.published.get(0).eventId());
  }

  @Test
  void getIs405() throws Exception {
    for (String path : PATHS) {
      HttpResponse<String> r = ReceiverServer.HTTP.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create(server.url(path))).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(405);
      assertThat(r.headers().firstValue("allow")).hasValue("POST");
    }
  }
}
