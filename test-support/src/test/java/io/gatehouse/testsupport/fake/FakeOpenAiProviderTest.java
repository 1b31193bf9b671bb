package io.gatehouse.testsupport.fake;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class FakeOpenAiProviderTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final String TWO_MESSAGES = "[{\"role\":\"system\",\"content\":\"Be brief please\"},"
      + "{\"role\":\"user\",\"content\":\"hello   big world\"}]";

  private static FakeOpenAiProvider fake;

  @BeforeAll
  static void start() {
    fake = FakeOpenAiProvider.builder().chunkDelayMs(40).start();
  }

  @AfterAll
  static void stop() {
    fake.close();
  }

  private static HttpResponse<String> post(String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(fake.baseUrl() + "/chat/completions"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void usageAndReplyAreDocumentedFunctionsOfThePrompt() throws Exception {
    JsonNode messages = JSON.readTree(TWO_MESSAGES);
    assertThat(FakeOpenAiProvider.promptTokens(messages)).isEqualTo(3 + 4 + 3 + 4);
    assertThat(FakeOpenAiProvider.promptTokens(List.of("Be brief please", "hello   big world"))).isEqualTo(14);
    assertThat(FakeOpenAiProvider.replyFor("hello   big world")).isEqualTo("Echo: hello big world");
    assertThat(FakeOpenAiProvider.completionTokens("Echo: hello big world")).isEqualTo(4);
    assertThat(FakeOpenAiProvider.replyFor("a b c d", 2)).isEqualTo("Echo: a b");
    assertThat(FakeOpenAiProvider.lastUserText(JSON.readTree(
        "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"x y\"}]}]"))).isEqualTo("x y");
  }

  @Test
  void nonStreamCompletionHasOpenAiShape() throws Exception {
    HttpResponse<String> r = post("{\"model\":\"gpt-4o-mini\",\"messages\":" + TWO_MESSAGES + "}",
        "Authorization", "Bearer sk-test");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.path("id").asText()).startsWith("chatcmpl-");
    assertThat(body.path("object").asText()).isEqualTo("chat.completion");
    assertThat(body.path("created").isIntegralNumber()).isTrue();
    assertThat(body.path("model").asText()).isEqualTo("gpt-4o-mini");
    assertThat(body.path("system_fingerprint").isTextual()).isTrue();
    JsonNode choice = body.path("choices").get(0);
    assertThat(choice.path("index").asInt()).isZero();
    assertThat(choice.path("finish_reason").asText()).isEqualTo("stop");
    assertThat(choice.get("logprobs").isNull()).isTrue();
    assertThat(choice.path("message").path("role").asText()).isEqualTo("assistant");
    assertThat(choice.path("message").path("content").asText()).isEqualTo("Echo: hello big world");
    assertThat(choice.path("message").get("refusal").isNull()).isTrue();
    JsonNode usage = body.path("usage");
    assertThat(usage.path("prompt_tokens").asInt()).isEqualTo(14);
    assertThat(usage.path("completion_tokens").asInt()).isEqualTo(4);
    assertThat(usage.path("total_tokens").asInt()).isEqualTo(18);
    assertThat(usage.path("prompt_tokens_details").path("cached_tokens").isInt()).isTrue();
    assertThat(usage.path("completion_tokens_details").path("reasoning_tokens").isInt()).isTrue();

    FakeOpenAiProvider.RecordedRequest seen = fake.lastRequest();
    assertThat(seen.method()).isEqualTo("POST");
    assertThat(seen.path()).isEqualTo("/v1/chat/completions");
    assertThat(seen.header("Authorization")).isEqualTo("Bearer sk-test");
    assertThat(seen.bodyJson().path("model").asText()).isEqualTo("gpt-4o-mini");
  }

  /** Reads the SSE body line by line, timing when each data event arrives. */
  private static List<long[]> readEvents(HttpResponse<java.io.InputStream> r, List<String> data) throws Exception {
    List<long[]> arrivals = new ArrayList<>();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      String line;
      boolean blankAfterEvery = true;
      String previous = null;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("data: ")) {
          data.add(line.substring(6));
          arrivals.add(new long[] {System.nanoTime()});
        } else {
          assertThat(line).as("only data lines and blank separators").isEmpty();
        }
        if (previous != null && previous.startsWith("data: ")) {
          blankAfterEvery &= line.isEmpty();
        }
        previous = line;
      }
      assertThat(blankAfterEvery).as("every data line is followed by a blank line").isTrue();
    }
    return arrivals;
  }

  private static HttpResponse<java.io.InputStream> postStream(String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(fake.baseUrl() + "/chat/completions"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
  }

  @Test
  void streamIsFramedAsSseAndFlushedChunkByChunk() throws Exception {
    HttpResponse<java.io.InputStream> r = postStream(
        "{\"model\":\"gpt-4o\",\"stream\":true,\"messages\":" + TWO_MESSAGES + "}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
    List<String> data = new ArrayList<>();
    List<long[]> arrivals = readEvents(r, data);

    // role chunk, 4 word chunks, finish chunk, [DONE]; no usage chunk (not asked for)
    assertThat(data).hasSize(7);
    assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < data.size() - 1; i++) {
      JsonNode chunk = JSON.readTree(data.get(i));
      assertThat(chunk.path("object").asText()).isEqualTo("chat.completion.chunk");
      assertThat(chunk.path("model").asText()).isEqualTo("gpt-4o");
      assertThat(chunk.has("usage")).isFalse();
      JsonNode choice = chunk.path("choices").get(0);
      text.append(choice.path("delta").path("content").asText(""));
      if (i == 0) {
        assertThat(choice.path("delta").path("role").asText()).isEqualTo("assistant");
      }
      assertThat(choice.path("finish_reason").isNull()).isEqualTo(i < data.size() - 2);
    }
    assertThat(JSON.readTree(data.get(5)).path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
    assertThat(text.toString()).isEqualTo("Echo: hello big world");
    // 5 delays of 40 ms between the 6 paced events ([DONE] follows the finish chunk at once, as OpenAI sends
    // it): 200 ms from first to last as sent. One buffered write would arrive within a few ms; the bound
    // leaves room for a first read that the client itself took late
    long spreadMs = (arrivals.get(arrivals.size() - 1)[0] - arrivals.get(0)[0]) / 1_000_000;
    assertThat(spreadMs).isGreaterThanOrEqualTo(120);
  }

  @Test
  void usageChunkOnlyWhenIncludeUsageIsTrue() throws Exception {
    HttpResponse<java.io.InputStream> r = postStream("{\"model\":\"gpt-4o\",\"stream\":true,"
        + "\"stream_options\":{\"include_usage\":true},\"messages\":" + TWO_MESSAGES + "}");
    List<String> data = new ArrayList<>();
    readEvents(r, data);
    assertThat(data).hasSize(8);
    JsonNode usageChunk = JSON.readTree(data.get(6));
    assertThat(usageChunk.path("choices").isArray()).isTrue();
    assertThat(usageChunk.path("choices")).isEmpty();
    assertThat(usageChunk.path("usage").path("prompt_tokens").asInt()).isEqualTo(14);
    assertThat(usageChunk.path("usage").path("completion_tokens").asInt()).isEqualTo(4);
    assertThat(JSON.readTree(data.get(0)).get("usage").isNull()).isTrue();
    assertThat(data.get(7)).isEqualTo("[DONE]");
  }

  @Test
  void failuresAreInjectedByHeaderOrModelSuffixInOpenAiErrorShape() throws Exception {
    HttpResponse<String> byHeader = post("{\"model\":\"gpt-4o\",\"messages\":[]}", "x-fake-fail", "503");
    assertThat(byHeader.statusCode()).isEqualTo(503);
    JsonNode error = JSON.readTree(byHeader.body()).path("error");
    assertThat(error.path("message").asText()).isNotBlank();
    assertThat(error.path("type").asText()).isEqualTo("server_error");
    assertThat(error.has("param")).isTrue();
    assertThat(error.has("code")).isTrue();

    HttpResponse<String> bySuffix = post("{\"model\":\"gpt-4o@fail-429\",\"messages\":[]}");
    assertThat(bySuffix.statusCode()).isEqualTo(429);
    assertThat(JSON.readTree(bySuffix.body()).path("error").path("code").asText()).isEqualTo("rate_limit_exceeded");

    HttpResponse<String> html = post("{\"model\":\"gpt-4o@html-502\",\"messages\":[]}");
    assertThat(html.statusCode()).isEqualTo(502);
    assertThat(html.headers().firstValue("content-type").orElse("")).startsWith("text/html");

    HttpResponse<String> badJson = post("{not json");
    assertThat(badJson.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(badJson.body()).path("error").path("type").asText()).isEqualTo("invalid_request_error");
  }

  @Test
  void cutStreamEndsWithoutFinishOrDone() throws Exception {
    HttpResponse<java.io.InputStream> r = postStream(
        "{\"model\":\"gpt-4o@cut-2\",\"stream\":true,\"messages\":" + TWO_MESSAGES + "}");
    List<String> data = new ArrayList<>();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("data: ")) {
          data.add(line.substring(6));
        }
      }
    } catch (java.io.IOException expected) {
      // the connection was closed mid-body: that is the point
    }
    assertThat(data).hasSize(3).doesNotContain("[DONE]");
  }

  @Test
  void modelsAndLatencyAndConfiguredFailure() throws Exception {
    HttpResponse<String> models = HTTP.send(HttpRequest.newBuilder(URI.create(fake.baseUrl() + "/models")).build(),
        HttpResponse.BodyHandlers.ofString());
    JsonNode list = JSON.readTree(models.body());
    assertThat(list.path("object").asText()).isEqualTo("list");
    assertThat(list.path("data").get(0).path("object").asText()).isEqualTo("model");
    assertThat(list.path("data").get(0).path("id").asText()).isEqualTo("gpt-4o-mini");
    long before = fake.requestCount();

    try (FakeOpenAiProvider slow = FakeOpenAiProvider.builder().latencyMs(150).failStatus(500).start()) {
      long t0 = System.nanoTime();
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(slow.baseUrl() + "/chat/completions"))
          .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"messages\":[]}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(150);
      assertThat(r.statusCode()).isEqualTo(500);
      assertThat(slow.requestCount()).isEqualTo(1);
    }
    assertThat(fake.requestCount()).isEqualTo(before);
  }

  @Test
  void onceModelsAreListedOthersGetOpenAisModelNotFound() throws Exception {
    try (FakeOpenAiProvider strict = FakeOpenAiProvider.builder().models(List.of("gpt-4o-mini")).start()) {
      HttpClient http = HttpClient.newHttpClient();
      java.util.function.Function<String, HttpResponse<String>> ask = model -> {
        try {
          return http.send(HttpRequest.newBuilder(URI.create(strict.baseUrl() + "/chat/completions"))
              .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"messages\":" + TWO_MESSAGES + "}"))
              .build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      };
      assertThat(ask.apply("gpt-4o-mini").statusCode()).isEqualTo(200);
      HttpResponse<String> missing = ask.apply("gpt-9");
      assertThat(missing.statusCode()).isEqualTo(404);
      JsonNode error = JSON.readTree(missing.body()).path("error");
      assertThat(error.path("code").asText()).isEqualTo("model_not_found");
      assertThat(error.path("message").asText()).contains("gpt-9");
    }
  }

  private static HttpResponse<String> embed(String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(fake.baseUrl() + "/embeddings"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void embeddingsHaveOpenAiShapeAndDeterministicVectors() throws Exception {
    HttpResponse<String> r = embed("{\"model\":\"text-embedding-3-small\",\"input\":[\"hello big world\",\"x\"]}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.path("object").asText()).isEqualTo("list");
    assertThat(body.path("model").asText()).isEqualTo("text-embedding-3-small");
    assertThat(body.path("usage").path("prompt_tokens").asInt()).isEqualTo(4)
        .isEqualTo(FakeOpenAiProvider.embeddingTokens(List.of("hello big world", "x")));
    assertThat(body.path("usage").path("total_tokens").asInt()).isEqualTo(4);
    assertThat(body.path("data")).hasSize(2);
    for (int i = 0; i < 2; i++) {
      JsonNode item = body.path("data").get(i);
      assertThat(item.path("object").asText()).isEqualTo("embedding");
      assertThat(item.path("index").asInt()).isEqualTo(i);
      float[] expected = FakeOpenAiProvider.embeddingFor(i == 0 ? "hello big world" : "x", 8);
      assertThat(item.path("embedding")).hasSize(FakeOpenAiProvider.DEFAULT_EMBEDDING_DIMENSIONS);
      double norm = 0;
      for (int d = 0; d < 8; d++) {
        assertThat(item.path("embedding").get(d).floatValue()).isEqualTo(expected[d]);
        norm += expected[d] * expected[d];
      }
      assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
    }
    assertThat(FakeOpenAiProvider.embeddingFor("x", 8)).isNotEqualTo(FakeOpenAiProvider.embeddingFor("y", 8));
    assertThat(fake.lastRequest().path()).isEqualTo("/v1/embeddings");
  }

  @Test
  void embeddingsHonourDimensionsAndBase64() throws Exception {
    JsonNode dims = JSON.readTree(embed("{\"model\":\"m\",\"input\":\"a b\",\"dimensions\":40}").body());
    assertThat(dims.path("data").get(0).path("embedding")).hasSize(40);
    assertThat(dims.path("usage").path("prompt_tokens").asInt()).isEqualTo(2);

    JsonNode b64 = JSON.readTree(embed("{\"model\":\"m\",\"input\":\"a b\",\"encoding_format\":\"base64\"}").body());
    String encoded = b64.path("data").get(0).path("embedding").asText();
    java.nio.ByteBuffer raw = java.nio.ByteBuffer.wrap(java.util.Base64.getDecoder().decode(encoded))
        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    float[] expected = FakeOpenAiProvider.embeddingFor("a b", 8);
    assertThat(raw.remaining()).isEqualTo(32);
    for (float f : expected) {
      assertThat(raw.getFloat()).isEqualTo(f);
    }
    assertThat(encoded).isEqualTo(FakeOpenAiProvider.base64Of(expected));
  }

  @Test
  void badEmbeddingRequestsGetOpenAiErrors() throws Exception {
    for (String bad : List.of("{\"model\":\"m\"}", "{\"model\":\"m\",\"input\":[1,2,3]}", "{\"input\":\"x\"}",
        "{\"model\":\"m\",\"input\":\"x\",\"encoding_format\":\"int8\"}", "{\"model\":\"m\",\"input\":\"x\",\"dimensions\":0}",
        "{nope")) {
      HttpResponse<String> r = embed(bad);
      assertThat(r.statusCode()).as(bad).isEqualTo(400);
      assertThat(JSON.readTree(r.body()).path("error").path("type").asText()).isEqualTo("invalid_request_error");
    }
    HttpResponse<String> failed = embed("{\"model\":\"m@fail-429\",\"input\":\"x\"}");
    assertThat(failed.statusCode()).isEqualTo(429);
    assertThat(JSON.readTree(failed.body()).path("error").path("code").asText()).isEqualTo("rate_limit_exceeded");
  }
}
