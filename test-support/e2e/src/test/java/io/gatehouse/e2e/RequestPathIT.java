package io.gatehouse.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.gatehouse.testsupport.fake.FakeOpenAiProvider;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Official OpenAI Java SDK → proxy → Kafka → ingest → ClickHouse, asserting the rows that land.
 * Acceptance: a request through the proxy is a row in {@code gatehouse.events} within 10 s.
 */
class RequestPathIT {
  private static final Duration ROW_DEADLINE = Duration.ofSeconds(10);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SYSTEM = "You are a careful assistant.";

  private final GatehouseStack stack = GatehouseStack.get();

  @Test
  void nonStreamingCompletionBecomesARowWithUpstreamUsage() {
    String user = "u-" + UUID.randomUUID();
    String question = "What is the capital of Portugal today?";
    ChatCompletion completion =
        client(user, "checkout-help")
            .chat().completions()
            .create(params("fake/gpt-4o-mini", question));

    String reply = FakeOpenAiProvider.replyFor(question);
    assertThat(completion.choices().get(0).message().content()).hasValue(reply);
    long expectedPrompt = FakeOpenAiProvider.promptTokens(List.of(SYSTEM, question));
    assertThat(completion.usage().orElseThrow().promptTokens()).isEqualTo(expectedPrompt);
    assertThat(stack.fake.lastRequest().header("authorization")).isEqualTo("Bearer provider-secret-key");

    JsonNode row = awaitRow(user);
    assertThat(row.get("status").asInt()).isEqualTo(200);
    assertThat(row.get("stream").asInt()).isZero();
    assertThat(row.get("feature").asText()).isEqualTo("checkout-help");
    assertThat(row.get("provider").asText()).isEqualTo("fake");
    assertThat(row.get("model_requested").asText()).isEqualTo("fake/gpt-4o-mini");
    assertThat(row.get("input_tokens").asLong()).isEqualTo(expectedPrompt);
    assertThat(row.get("output_tokens").asLong()).isEqualTo(FakeOpenAiProvider.completionTokens(reply));
    assertThat(row.get("completion").asText()).isEqualTo(reply);
    assertThat(row.get("duration_ms").asLong()).isGreaterThanOrEqualTo(20); // the fake waits 20 ms
    assertThat(row.get("ttft_ms").isNull()).isTrue();
    assertThat(row.toString()).doesNotContain("provider-secret-key").doesNotContain("client-secret-key");
  }

  @Test
  void streamedCompletionBecomesARowWithTtftAndUsage() {
    String user = "u-" + UUID.randomUUID();
    String question = "Stream me a short answer about rivers and lakes please";
    StringBuilder text = new StringBuilder();
    List<ChatCompletionChunk> chunks = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> stream =
        client(user, "streaming-chat").chat().completions().createStreaming(params("chat-default", question))) {
      stream.stream().forEach(chunk -> {
        chunks.add(chunk);
        chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append));
      });
    }
    String reply = FakeOpenAiProvider.replyFor(question);
    assertThat(text.toString()).isEqualTo(reply);
    assertThat(chunks.size()).isGreaterThan(2); // really streamed, not one blob
    // the client did not ask for usage: the usage-only chunk the proxy requested must not reach it
    assertThat(chunks).allSatisfy(c -> assertThat(c.choices()).isNotEmpty());

    JsonNode row = awaitRow(user);
    assertThat(row.get("status").asInt()).isEqualTo(200);
    assertThat(row.get("stream").asInt()).isEqualTo(1);
    assertThat(row.get("model_requested").asText()).isEqualTo("chat-default");
    assertThat(row.get("input_tokens").asLong()).isEqualTo(FakeOpenAiProvider.promptTokens(List.of(SYSTEM, question)));
    assertThat(row.get("output_tokens").asLong()).isEqualTo(FakeOpenAiProvider.completionTokens(reply));
    assertThat(row.get("ttft_ms").asLong()).isBetween(20L, row.get("duration_ms").asLong());
    assertThat(row.get("finish_reason").asText()).isEqualTo("stop");
  }

  @Test
  void badInputGetsAnOpenAiShaped4xxAndIsStillRecorded() throws Exception {
    record Case(String body, int status) {}
    List<Case> cases =
        List.of(
            new Case("{\"model\": \"fake/gpt-4o-mini\", \"messages\": [", 400),
            // a bare name goes to the only provider, which does not know it: its 404 comes back as is
            new Case("{\"model\": \"no-such-model\", \"messages\": [{\"role\":\"user\",\"content\":\"hi\"}]}", 404),
            new Case("{\"model\": \"opnai/gpt-4o\", \"messages\": [{\"role\":\"user\",\"content\":\"hi\"}]}", 404));
    HttpClient http = HttpClient.newHttpClient();
    for (Case c : cases) {
      String user = "u-" + UUID.randomUUID();
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(stack.proxyUrl() + "/v1/chat/completions"))
                  .header("content-type", "application/json")
                  .header("authorization", "Bearer client-secret-key")
                  .header("x-gatehouse-user", user)
                  .POST(HttpRequest.BodyPublishers.ofString(c.body()))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as(c.body()).isBetween(400, 499);
      JsonNode error = JSON.readTree(response.body()).get("error");
      assertThat(error).as(response.body()).isNotNull();
      assertThat(error.get("message").asText()).isNotBlank();
      assertThat(error.has("type")).isTrue();
      assertThat(error.has("code")).isTrue();
      String eventId = response.headers().firstValue("x-gatehouse-request-id").orElseThrow();

      JsonNode row = awaitRow(user);
      assertThat(row.get("event_id").asText()).isEqualTo(eventId);
      assertThat(row.get("status").asInt()).isEqualTo(response.statusCode());
      assertThat(row.get("error_message").asText()).isNotBlank();
    }
  }

  private OpenAIClient client(String user, String feature) {
    return OpenAIOkHttpClient.builder()
        .baseUrl(stack.proxyUrl() + "/v1")
        .apiKey("client-secret-key")
        .putHeader("x-gatehouse-user", user)
        .putHeader("x-gatehouse-feature", feature)
        .maxRetries(0)
        .build();
  }

  private static ChatCompletionCreateParams params(String model, String question) {
    return ChatCompletionCreateParams.builder()
        .model(model)
        .addSystemMessage(SYSTEM)
        .addUserMessage(question)
        .build();
  }

  /** Polls ClickHouse until the user's one row is there, at most {@link #ROW_DEADLINE}. */
  private JsonNode awaitRow(String user) {
    String sql = "SELECT * FROM gatehouse.events FINAL WHERE user = '" + user + "' FORMAT JSONEachRow";
    long deadline = System.nanoTime() + ROW_DEADLINE.toNanos();
    String body = "";
    while (System.nanoTime() < deadline) {
      try {
        body = stack.clickhouse.query(sql).strip();
      } catch (IllegalStateException e) {
        body = ""; // table not created yet by ingest
      }
      if (!body.isEmpty()) {
        List<String> lines = body.lines().toList();
        assertThat(lines).as("rows for " + user).hasSize(1);
        try {
          return JSON.readTree(lines.get(0));
        } catch (IOException e) {
          throw new AssertionError("ClickHouse returned invalid JSON: " + body, e);
        }
      }
      try {
        Thread.sleep(50); // poll interval, bounded by the deadline
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("no row for user " + user + " in gatehouse.events within " + ROW_DEADLINE);
  }
}
