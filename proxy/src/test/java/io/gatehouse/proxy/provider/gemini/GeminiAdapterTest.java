package io.gatehouse.proxy.provider.gemini;

import static io.gatehouse.proxy.provider.Fixtures.GEMINI;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.core.ObjectMappers;
import com.openai.models.chat.completions.ChatCompletion;
import io.gatehouse.proxy.provider.ChatAdapter;
import io.gatehouse.proxy.provider.Fixtures;
import io.gatehouse.proxy.provider.Usage;
import io.gatehouse.proxy.transport.UpstreamRequest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GeminiAdapterTest {
  private static final String BASE = "https://generativelanguage.googleapis.com";
  private final GeminiAdapter adapter = new GeminiAdapter(BASE, Map.of("x-extra", "1"),
      Clock.fixed(Instant.ofEpochSecond(1_700_000_000L), ZoneOffset.UTC));

  private static ObjectNode request(String json) {
    return (ObjectNode) Fixtures.parse(json);
  }

  @Test
  void preparesGenerateContentWithTheKeyHeader() {
    ChatAdapter.Prepared prepared = adapter.prepare(
        request("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"), "gemini-2.5-flash", false, "k1");
    UpstreamRequest r = ((ChatAdapter.Ready) prepared).request();
    assertThat(r.uri()).hasToString(BASE + "/v1beta/models/gemini-2.5-flash:generateContent");
    assertThat(r.headers()).containsEntry("x-goog-api-key", "k1").containsEntry("Accept", "application/json")
        .containsEntry("x-extra", "1").doesNotContainKey("Authorization");
    assertThat(Fixtures.parse(r.body()))
        .isEqualTo(Fixtures.parse("{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Hi\"}]}]}"));
  }

  @Test
  void streamsUseStreamGenerateContentAsSse() {
    UpstreamRequest r = ((ChatAdapter.Ready) adapter.prepare(
        request("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}"), "tunedModels/my model", true, null))
        .request();
    assertThat(r.uri()).hasToString(BASE + "/v1beta/models/tunedModels%2Fmy%20model:streamGenerateContent?alt=sse");
    assertThat(r.headers()).containsEntry("Accept", "text/event-stream").doesNotContainKey("x-goog-api-key");
  }

  @Test
  void untranslatableRequestsAreRefusedWithTheParam() {
    ChatAdapter.Prepared prepared = adapter.prepare(
        request("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"logprobs\":true}"), "g", false, "k");
    assertThat(prepared).isInstanceOfSatisfying(ChatAdapter.Refused.class, refused -> {
      assertThat(refused.param()).isEqualTo("logprobs");
      assertThat(refused.message()).contains("logprobs");
    });
  }

  @Test
  void answerIsAChatCompletionTheOpenAiSdkReads() throws Exception {
    ChatAdapter.Answer answer = adapter.answer(GEMINI.bytes("text.json"), "gemini-x");
    assertThat(answer.model()).isEqualTo("gemini-2.5-flash");
    assertThat(answer.finishReason()).isEqualTo("stop");
    assertThat(answer.text()).isEqualTo("Hello! How can I help you today?");
    assertThat(answer.usage()).isEqualTo(new Usage(12L, 9L, null, null));
    ChatCompletion completion = ObjectMappers.jsonMapper().readValue(answer.body(), ChatCompletion.class).validate();
    assertThat(completion.created()).isEqualTo(1_700_000_000L);
    assertThat(completion.choices().get(0).message().content()).hasValue("Hello! How can I help you today?");
    assertThat(completion.usage().get().totalTokens()).isEqualTo(21);
  }

  @Test
  void toolAnswerIsReadByTheOpenAiSdk() throws Exception {
    ChatAdapter.Answer answer = adapter.answer(GEMINI.bytes("tools.json"), "gemini-x");
    ChatCompletion completion = ObjectMappers.jsonMapper().readValue(answer.body(), ChatCompletion.class).validate();
    assertThat(completion.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
    assertThat(completion.choices().get(0).message().toolCalls().get().get(0).asFunction().function().arguments())
        .isEqualTo("{\"location\":\"Paris\",\"unit\":\"celsius\"}");
    assertThat(answer.text()).isNull();
  }

  @Test
  void bodiesThatAreNoGeminiAnswerAreUnusable() {
    assertThat(adapter.answer("<html>".getBytes(StandardCharsets.UTF_8), "g")).isNull();
    assertThat(adapter.answer("{\"foo\":1}".getBytes(StandardCharsets.UTF_8), "g")).isNull();
  }

  @Test
  void errorsAreOpenAiShaped() {
    ChatAdapter.ErrorAnswer e = adapter.error(400, GEMINI.bytes("error-400.json"));
    assertThat(e.status()).isEqualTo(400);
    assertThat(e.type()).isEqualTo("invalid_request_error");
    assertThat(e.message()).contains("Invalid JSON payload");
    assertThat(Fixtures.parse(e.body()).path("error").get("code").textValue()).isEqualTo("INVALID_ARGUMENT");
    assertThat(adapter.error(429, GEMINI.bytes("error-429.json")).type()).isEqualTo("rate_limit_error");
  }

  @Test
  void nonJsonErrorsAreLeftToTheForwarder() {
    assertThat(adapter.error(502, "<html>Bad Gateway</html>".getBytes(StandardCharsets.UTF_8))).isNull();
  }

  @Test
  void noEmbeddings() {
    assertThat(adapter.prepareEmbeddings("{}".getBytes(StandardCharsets.UTF_8), "text-embedding-004", "k")).isNull();
  }
}
