package io.gatehouse.testsupport.fake;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
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

class FakeAnthropicProviderTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final String MESSAGES = "[{\"role\":\"user\",\"content\":\"hi there\"},"
      + "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Hello\"}]},"
      + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hello   big world\"}]}]";
  private static final String SYSTEM = "\"system\":\"Be brief please\"";
  // system 3 + (2+4) + (1+4) + (3+4)
  private static final int INPUT_TOKENS = 3 + 6 + 5 + 7;
  private static final String TOOLS = "\"tools\":[{\"name\":\"get_weather\",\"description\":\"Weather\","
      + "\"input_schema\":{\"type\":\"object\",\"properties\":{\"location\":{\"type\":\"string\"}}}},"
      + "{\"name\":\"other\",\"input_schema\":{\"type\":\"object\"}}]";

  private static FakeAnthropicProvider fake;
  private static FakeAnthropicProvider keyed;

  @BeforeAll
  static void start() {
    fake = FakeAnthropicProvider.builder().port(0).chunkDelayMs(30).start();
    keyed = FakeAnthropicProvider.builder().requiredApiKey("sk-ant-good").start();
  }

  @AfterAll
  static void stop() {
    fake.close();
    keyed.close();
  }

  private static HttpRequest.Builder request(FakeAnthropicProvider p, String path, String body, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(p.baseUrl() + path))
        .header("content-type", "application/json")
        .header("anthropic-version", "2023-06-01")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return b;
  }

  private static HttpResponse<String> post(String path, String body, String... headers) throws Exception {
    return HTTP.send(request(fake, path, body, headers).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode assertError(HttpResponse<String> r, int status, String type) throws Exception {
    assertThat(r.statusCode()).isEqualTo(status);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.path("type").asText()).isEqualTo("error");
    assertThat(body.path("error").path("type").asText()).isEqualTo(type);
    assertThat(body.path("error").path("message").asText()).isNotBlank();
    assertThat(body.path("request_id").asText()).isEqualTo(r.headers().firstValue("request-id").orElseThrow());
    return body;
  }

  @Test
  void usageIsADocumentedFunctionOfTheRequest() throws Exception {
    JsonNode req = JSON.readTree("{" + SYSTEM + ",\"messages\":" + MESSAGES + "}");
    assertThat(FakeAnthropicProvider.inputTokens(req)).isEqualTo(INPUT_TOKENS);
    assertThat(FakeAnthropicProvider.inputTokens(JSON.readTree(
        "{\"system\":[{\"type\":\"text\",\"text\":\"a b\"}],\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")))
        .isEqualTo(2 + 1 + 4);
    assertThat(FakeAnthropicProvider.lastUserText(req.get("messages"))).isEqualTo("hello   big world");
    assertThat(FakeAnthropicProvider.outputTokens("Echo: hello big world")).isEqualTo(4);
    assertThat(String.join("", FakeAnthropicProvider.partialJsonPieces()))
        .isEqualTo(FakeAnthropicProvider.TOOL_INPUT_JSON);
  }

  @Test
  void nonStreamMessageHasAnthropicShape() throws Exception {
    HttpResponse<String> r = post("/v1/messages", "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":256," + SYSTEM
        + ",\"messages\":" + MESSAGES + "}", "x-api-key", "sk-ant-test", "anthropic-beta", "prompt-caching-2024-07-31");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(r.headers().firstValue("request-id").orElse("")).startsWith("req_");
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.path("id").asText()).startsWith("msg_");
    assertThat(body.path("type").asText()).isEqualTo("message");
    assertThat(body.path("role").asText()).isEqualTo("assistant");
    assertThat(body.path("model").asText()).isEqualTo("claude-sonnet-4-5");
    assertThat(body.path("content")).hasSize(1);
    assertThat(body.path("content").get(0).path("type").asText()).isEqualTo("text");
    assertThat(body.path("content").get(0).path("text").asText()).isEqualTo("Echo: hello big world");
    assertThat(body.path("stop_reason").asText()).isEqualTo("end_turn");
    assertThat(body.get("stop_sequence").isNull()).isTrue();
    JsonNode usage = body.path("usage");
    assertThat(usage.path("input_tokens").asInt()).isEqualTo(INPUT_TOKENS);
    assertThat(usage.path("output_tokens").asInt()).isEqualTo(4);
    assertThat(usage.path("cache_creation_input_tokens").isInt()).isTrue();
    assertThat(usage.path("cache_read_input_tokens").asInt()).isZero();

    var seen = fake.lastRequest();
    assertThat(seen.method()).isEqualTo("POST");
    assertThat(seen.path()).isEqualTo("/v1/messages");
    assertThat(seen.header("X-Api-Key")).isEqualTo("sk-ant-test");
    assertThat(seen.header("anthropic-version")).isEqualTo("2023-06-01");
    assertThat(seen.header("anthropic-beta")).isEqualTo("prompt-caching-2024-07-31");
    assertThat(seen.bodyJson().path("max_tokens").asInt()).isEqualTo(256);
  }

  @Test
  void toolUseNonStream() throws Exception {
    HttpResponse<String> r = post("/v1/messages", "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":100," + TOOLS
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"What is the weather in Lisbon?\"}]}");
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.path("stop_reason").asText()).isEqualTo("tool_use");
    JsonNode block = body.path("content").get(0);
    assertThat(block.path("type").asText()).isEqualTo("tool_use");
    assertThat(block.path("id").asText()).startsWith("toolu_");
    assertThat(block.path("name").asText()).isEqualTo("get_weather");
    assertThat(block.path("input")).isEqualTo(JSON.readTree("{\"location\":\"Lisbon\"}"));
    assertThat(body.path("usage").path("output_tokens").asInt())
        .isEqualTo(FakeAnthropicProvider.toolUseOutputTokens("get_weather"));

    // tools without the word: a plain text answer
    JsonNode plain = JSON.readTree(post("/v1/messages", "{\"model\":\"m\",\"max_tokens\":100," + TOOLS
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"weathers report\"}]}").body());
    assertThat(plain.path("stop_reason").asText()).isEqualTo("end_turn");
    assertThat(plain.path("content").get(0).path("type").asText()).isEqualTo("text");
  }

  /** An SSE frame: the event name and its JSON data. */
  private record Frame(String event, JsonNode data) {}

  /** Reads {@code event: / data: / blank} frames strictly; returns the frames read before EOF. */
  private static List<Frame> readFrames(HttpResponse<InputStream> r, List<Long> arrivals) throws IOException {
    List<Frame> frames = new ArrayList<>();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        assertThat(line).startsWith("event: ");
        String event = line.substring(7);
        String data = in.readLine();
        assertThat(data).startsWith("data: ");
        assertThat(in.readLine()).as("blank line ends a frame").isEmpty();
        arrivals.add(System.nanoTime());
        JsonNode json = JSON.readTree(data.substring(6));
        assertThat(json.path("type").asText()).as("data type = event name").isEqualTo(event);
        frames.add(new Frame(event, json));
      }
    } catch (IOException e) {
      // a cut stream: the connection closes mid-body
      if (frames.isEmpty()) {
        throw e;
      }
    }
    return frames;
  }

  private static HttpResponse<InputStream> postStream(String body, String... headers) throws Exception {
    return HTTP.send(request(fake, "/v1/messages", body, headers).build(), HttpResponse.BodyHandlers.ofInputStream());
  }

  private static List<String> names(List<Frame> frames) {
    return frames.stream().map(Frame::event).toList();
  }

  @Test
  void textStreamHasRealEventOrderAndIsFlushedFrameByFrame() throws Exception {
    HttpResponse<InputStream> r = postStream("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"stream\":true,"
        + SYSTEM + ",\"messages\":" + MESSAGES + "}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
    List<Long> arrivals = new ArrayList<>();
    List<Frame> frames = readFrames(r, arrivals);
    assertThat(names(frames)).containsExactly("message_start", "content_block_start", "ping",
        "content_block_delta", "content_block_delta", "content_block_delta", "content_block_delta",
        "content_block_stop", "message_delta", "message_stop");

    JsonNode message = frames.get(0).data().path("message");
    assertThat(message.path("id").asText()).startsWith("msg_");
    assertThat(message.path("type").asText()).isEqualTo("message");
    assertThat(message.path("role").asText()).isEqualTo("assistant");
    assertThat(message.path("model").asText()).isEqualTo("claude-sonnet-4-5");
    assertThat(message.path("content")).isEmpty();
    assertThat(message.get("stop_reason").isNull()).isTrue();
    assertThat(message.path("usage").path("input_tokens").asInt()).isEqualTo(INPUT_TOKENS);

    JsonNode blockStart = frames.get(1).data();
    assertThat(blockStart.path("index").asInt()).isZero();
    assertThat(blockStart.path("content_block")).isEqualTo(JSON.readTree("{\"type\":\"text\",\"text\":\"\"}"));

    StringBuilder text = new StringBuilder();
    for (Frame f : frames.subList(3, 7)) {
      assertThat(f.data().path("index").asInt()).isZero();
      assertThat(f.data().path("delta").path("type").asText()).isEqualTo("text_delta");
      text.append(f.data().path("delta").path("text").asText());
    }
    assertThat(text.toString()).isEqualTo("Echo: hello big world");
    assertThat(frames.get(7).data().path("index").asInt()).isZero();
    JsonNode messageDelta = frames.get(8).data();
    assertThat(messageDelta.path("delta").path("stop_reason").asText()).isEqualTo("end_turn");
    assertThat(messageDelta.path("delta").get("stop_sequence").isNull()).isTrue();
    assertThat(messageDelta.path("usage").path("output_tokens").asInt()).isEqualTo(4);
    assertThat(frames.get(9).data()).isEqualTo(JSON.readTree("{\"type\":\"message_stop\"}"));

    // 9 delays of 30 ms between 10 frames: they cannot all have arrived in one buffered write
    long spreadMs = (arrivals.get(arrivals.size() - 1) - arrivals.get(0)) / 1_000_000;
    assertThat(spreadMs).isGreaterThanOrEqualTo(200);
  }

  @Test
  void toolUseStreamSendsPartialJsonPieces() throws Exception {
    List<Frame> frames = readFrames(postStream("{\"model\":\"claude-haiku-4-5\",\"max_tokens\":64,\"stream\":true,"
        + TOOLS + ",\"messages\":[{\"role\":\"user\",\"content\":\"weather in Lisbon\"}]}"), new ArrayList<>());
    List<String> names = names(frames);
    assertThat(names.subList(0, 3)).containsExactly("message_start", "content_block_start", "ping");
    assertThat(names.subList(names.size() - 3, names.size()))
        .containsExactly("content_block_stop", "message_delta", "message_stop");
    JsonNode block = frames.get(1).data().path("content_block");
    assertThat(block.path("type").asText()).isEqualTo("tool_use");
    assertThat(block.path("id").asText()).startsWith("toolu_");
    assertThat(block.path("name").asText()).isEqualTo("get_weather");
    assertThat(block.path("input")).isEqualTo(JSON.createObjectNode());
    StringBuilder json = new StringBuilder();
    List<Frame> deltas = frames.subList(3, frames.size() - 3);
    assertThat(deltas.size()).isGreaterThan(2);
    for (Frame f : deltas) {
      assertThat(f.event()).isEqualTo("content_block_delta");
      assertThat(f.data().path("delta").path("type").asText()).isEqualTo("input_json_delta");
      json.append(f.data().path("delta").path("partial_json").asText());
    }
    assertThat(JSON.readTree(json.toString())).isEqualTo(JSON.readTree("{\"location\":\"Lisbon\"}"));
    JsonNode messageDelta = frames.get(frames.size() - 2).data();
    assertThat(messageDelta.path("delta").path("stop_reason").asText()).isEqualTo("tool_use");
    assertThat(messageDelta.path("usage").path("output_tokens").asInt())
        .isEqualTo(FakeAnthropicProvider.toolUseOutputTokens("get_weather"));
  }

  @Test
  void cutStreamStopsAfterTwoDeltasWithoutMessageStop() throws Exception {
    List<Frame> frames = readFrames(postStream("{\"model\":\"claude-x@cut-2\",\"max_tokens\":64,\"stream\":true,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"one two three four\"}]}"), new ArrayList<>());
    assertThat(names(frames)).containsExactly("message_start", "content_block_start", "ping",
        "content_block_delta", "content_block_delta");
    assertThat(frames.get(0).data().path("message").path("model").asText()).isEqualTo("claude-x");
  }

  @Test
  void countTokensUsesTheSameFunction() throws Exception {
    HttpResponse<String> r = post("/v1/messages/count_tokens",
        "{\"model\":\"claude-sonnet-4-5\"," + SYSTEM + ",\"messages\":" + MESSAGES + "}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(r.body())).isEqualTo(JSON.readTree("{\"input_tokens\":" + INPUT_TOKENS + "}"));
    assertThat(fake.lastRequest().path()).isEqualTo("/v1/messages/count_tokens");
  }

  @Test
  void validationErrors() throws Exception {
    JsonNode missingMax = assertError(post("/v1/messages",
        "{\"model\":\"claude-x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), 400, "invalid_request_error");
    assertThat(missingMax.path("error").path("message").asText()).contains("max_tokens");
    assertError(post("/v1/messages", "{\"max_tokens\":5,\"messages\":[]}"), 400, "invalid_request_error");
    assertError(post("/v1/messages", "not json"), 400, "invalid_request_error");
    assertError(post("/v1/nope", "{}"), 404, "not_found_error");
  }

  @Test
  void injectedFailures() throws Exception {
    String ok = "{\"model\":\"claude-x\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    HttpResponse<String> limited = post("/v1/messages", ok, "x-fake-fail", "429");
    assertError(limited, 429, "rate_limit_error");
    assertThat(limited.headers().firstValue("retry-after")).isPresent();
    assertError(post("/v1/messages", ok, "x-fake-fail", "500"), 500, "api_error");
    assertError(post("/v1/messages", ok, "x-fake-fail", "529"), 529, "overloaded_error");
    assertError(post("/v1/messages", ok, "x-fake-fail", "404"), 404, "not_found_error");
    assertError(post("/v1/messages", ok.replace("claude-x", "claude-x@fail-529")), 529, "overloaded_error");
    HttpResponse<String> html = post("/v1/messages", ok, "x-fake-fail", "html-502");
    assertThat(html.statusCode()).isEqualTo(502);
    assertThat(html.headers().firstValue("content-type").orElse("")).startsWith("text/html");
    assertThat(html.body()).contains("<html>");
  }

  @Test
  void requiredApiKey() throws Exception {
    String ok = "{\"model\":\"claude-x\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    HttpResponse<String> bad = HTTP.send(request(keyed, "/v1/messages", ok, "x-api-key", "wrong").build(),
        HttpResponse.BodyHandlers.ofString());
    assertError(bad, 401, "authentication_error");
    HttpResponse<String> none = HTTP.send(request(keyed, "/v1/messages/count_tokens", ok).build(),
        HttpResponse.BodyHandlers.ofString());
    assertError(none, 401, "authentication_error");
    long before = keyed.requestCount();
    HttpResponse<String> good = HTTP.send(request(keyed, "/v1/messages", ok, "x-api-key", "sk-ant-good").build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(good.statusCode()).isEqualTo(200);
    assertThat(keyed.requestCount()).isEqualTo(before + 1);
    assertThat(keyed.baseUrl()).isEqualTo("http://127.0.0.1:" + keyed.port());
  }
}
