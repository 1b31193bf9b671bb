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
  private static final String[] PATHS = {"/v1/logs", "/v1/litellm", "/v1/traces"};
  private static final ObjectMapper JSON = new ObjectMapper();
  private final ReceiverServer server = new ReceiverServer(TOKEN);

  @AfterEach
  void stop() {
    server.close();
  }

  private static byte[] payloadFor(String path) throws Exception {
    return Golden.payload(switch (path) {
      case "/v1/logs" -> "log-api/openai-chat.json";
      case "/v1/traces" -> "otlp/genai-traces.json";
      default -> "litellm/generic-api-batch.json";
    });
  }

  /** Every payload here is JSON; OTLP needs to be told so. */
  private java.net.http.HttpResponse<String> post(String path, String... headers) throws Exception {
    String[] all = java.util.Arrays.copyOf(headers, headers.length + 2);
    all[headers.length] = "content-type";
    all[headers.length + 1] = "application/json";
    return server.post(path, payloadFor(path), all);
  }

  private static int success(String path) {
    return path.equals("/v1/traces") ? 200 : 202;
  }

  @Test
  void withoutOrWithAWrongTokenIs401AndTheTokenIsNeverLoggedOrEchoed() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    root.addAppender(logs);
    try {
      for (String path : PATHS) {
        HttpResponse<String> none = post(path);
        assertThat(none.statusCode()).as(path).isEqualTo(401);
        assertThat(none.headers().firstValue("www-authenticate")).hasValue("Bearer");
        assertThat(none.body()).contains("Missing or wrong ingest token");
        HttpResponse<String> wrong = post(path, "authorization", "Bearer " + TOKEN + "x");
        assertThat(wrong.statusCode()).as(path).isEqualTo(401);
        assertThat(wrong.body()).doesNotContain(TOKEN);
        assertThat(post(path, "x-gatehouse-ingest-token", "nope").statusCode()).isEqualTo(401);
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
      assertThat(post(path, "authorization", "Bearer " + TOKEN).statusCode()).as(path).isEqualTo(success(path));
      assertThat(post(path, "x-gatehouse-ingest-token", TOKEN).statusCode()).as(path).isEqualTo(success(path));
    }
    assertThat(server.published).hasSize(2 * (1 + 2 + 3));
  }

  @Test
  void aFullPublisherQueueIs503WithRetryAfterAndResendingIsIdempotent() throws Exception {
    server.capacity.set(1);
    HttpResponse<String> r = post("/v1/litellm", "authorization", "Bearer " + TOKEN);
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.headers().firstValue("retry-after")).hasValue("1");
    assertThat(r.body()).contains("1 of 2 events were accepted");
    server.capacity.set(10);
    assertThat(post("/v1/litellm", "authorization", "Bearer " + TOKEN).statusCode()).isEqualTo(202);
    server.capacity.set(0);
    HttpResponse<String> otlp = post("/v1/traces", "authorization", "Bearer " + TOKEN);
    assertThat(otlp.statusCode()).isEqualTo(503);
    assertThat(otlp.headers().firstValue("retry-after")).hasValue("1");
    assertThat(JSON.readTree(otlp.body()).get("code").asInt()).isEqualTo(14);
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
