package io.gatehouse.proxy.provider.anthropic;

import static io.gatehouse.proxy.provider.Fixtures.ANTHROPIC;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.proxy.provider.Fixtures;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnthropicStreamTranslatorTest {
  private static final String HEAD_TEXT = "{\"id\":\"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY\","
      + "\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"claude-sonnet-4-5-20250929\",";
  private static final String HEAD_TOOL = "{\"id\":\"msg_014p7gG3wDgGV9EUtLvnow3U\","
      + "\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"claude-sonnet-4-5-20250929\",";

  private static String choice(String delta, String finish) {
    return "\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"logprobs\":null,\"finish_reason\":"
        + (finish == null ? "null" : "\"" + finish + "\"") + "}]}";
  }

  /** Replays a transcript; each event's output is checked to come back from that very call. */
  private static List<String> replay(AnthropicStreamTranslator t, String fixture) {
    List<String> out = new ArrayList<>();
    for (Fixtures.Event e : ANTHROPIC.sse(fixture)) {
      out.addAll(t.onEvent(e.type(), e.data()));
    }
    return out;
  }

  @Test
  void textStreamWithUsageChunk() {
    AnthropicStreamTranslator t = new AnthropicStreamTranslator("smart", true, 1_700_000_000L);
    assertThat(replay(t, "stream-text.sse")).containsExactly(
        HEAD_TEXT + choice("{\"role\":\"assistant\",\"content\":\"\"}", null),
        HEAD_TEXT + choice("{\"content\":\"Hello\"}", null),
        HEAD_TEXT + choice("{\"content\":\"!\"}", null),
        HEAD_TEXT + choice("{}", "stop"),
        HEAD_TEXT + "\"choices\":[],\"usage\":{\"prompt_tokens\":32,\"completion_tokens\":15,"
            + "\"total_tokens\":47,\"prompt_tokens_details\":{\"cached_tokens\":7}}}");
    assertThat(t.finishReason()).isEqualTo("stop");
    assertThat(t.completionText()).isEqualTo("Hello!");
    assertThat(t.usage()).isEqualTo(new AnthropicUsage(25L, 15L, 7L, 0L));
    assertThat(t.upstreamModel()).isEqualTo("claude-sonnet-4-5-20250929");
    assertThat(t.done()).isTrue();
    assertThat(t.error()).isNull();
  }

  @Test
  void noUsageChunkWhenTheClientDidNotAsk() {
    AnthropicStreamTranslator t = new AnthropicStreamTranslator("smart", false, 1_700_000_000L);
    List<String> out = replay(t, "stream-text.sse");
    assertThat(out).hasSize(4);
    assertThat(out.get(3)).isEqualTo(HEAD_TEXT + choice("{}", "stop"));
    assertThat(t.usage()).isEqualTo(new AnthropicUsage(25L, 15L, 7L, 0L));
  }

  @Test
  void toolUseStream() {
    AnthropicStreamTranslator t = new AnthropicStreamTranslator("smart", false, 1_700_000_000L);
    List<String> out = replay(t, "stream-tool-use.sse");
    String args = "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":";
    assertThat(out).containsExactly(
        HEAD_TOOL + choice("{\"role\":\"assistant\",\"content\":\"\"}", null),
        HEAD_TOOL + choice("{\"content\":\"Okay, let's check the weather for San Francisco, CA:\"}", null),
        HEAD_TOOL + choice("{\"tool_calls\":[{\"index\":0,\"id\":\"toolu_01T1x1fJ34qAmk2tNTrN7Up6\","
            + "\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]}", null),
        HEAD_TOOL + choice(args + "\"{\\\"location\\\":\"}}]}", null),
        HEAD_TOOL + choice(args + "\" \\\"San Francisc\"}}]}", null),
        HEAD_TOOL + choice(args + "\"o, CA\\\", \\\"unit\\\": \\\"fah\"}}]}", null),
        HEAD_TOOL + choice(args + "\"renheit\\\"}\"}}]}", null),
        HEAD_TOOL + choice("{}", "tool_calls"));

    StringBuilder arguments = new StringBuilder();
    for (String chunk : out) {
      JsonNode call = Fixtures.parse(chunk).path("choices").path(0).path("delta").path("tool_calls").path(0);
      arguments.append(call.path("function").path("arguments").asText(""));
    }
    assertThat(Fixtures.parse(arguments.toString()))
        .isEqualTo(Fixtures.parse("{\"location\":\"San Francisco, CA\",\"unit\":\"fahrenheit\"}"));
    assertThat(t.finishReason()).isEqualTo("tool_calls");
    assertThat(t.usage()).isEqualTo(new AnthropicUsage(472L, 89L, null, null));
    assertThat(t.completionText()).isEqualTo("Okay, let's check the weather for San Francisco, CA:");
  }

  @Test
  void secondToolCallGetsTheNextIndex() {
    AnthropicStreamTranslator t = new AnthropicStreamTranslator("smart", false, 1L);
    t.onEvent("message_start", Fixtures.parse("{\"message\":{\"id\":\"m\",\"usage\":{\"input_tokens\":1}}}"));
    t.onEvent("content_block_start", Fixtures.parse(
        "{\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"a\",\"name\":\"f\",\"input\":{}}}"));
    t.onEvent("content_block_start", Fixtures.parse(
        "{\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"b\",\"name\":\"g\",\"input\":{}}}"));
    List<String> out = t.onEvent("content_block_delta", Fixtures.parse(
        "{\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{}\"}}"));
    assertThat(Fixtures.parse(out.get(0)).path("choices").path(0).path("delta").path("tool_calls").path(0)
        .get("index").intValue()).isEqualTo(1);
  }

  @Test
  void eventTypeMayComeFromTheData() {
    AnthropicStreamTranslator t = new AnthropicStreamTranslator("smart", false, 1L);
    assertThat(t.onEvent(null, Fixtures.parse("{\"type\":\"ping\"}"))).isEmpty();
    assertThat(t.onEvent(null, Fixtures.parse("{\"type\":\"message_start\",\"message\":{\"id\":\"m\"}}"))).hasSize(1);
  }

  @Test
  void errorEventBecomesAnOpenAiErrorBody() {
    AnthropicStreamTranslator t = new AnthropicStreamTranslator("smart", true, 1L);
    List<String> out = replay(t, "stream-error.sse");
    assertThat(out).hasSize(2);
    assertThat(Fixtures.parse(out.get(1))).isEqualTo(Fixtures.parse(
        "{\"error\":{\"message\":\"Overloaded\",\"type\":\"server_error\",\"param\":null,\"code\":\"overloaded\"}}"));
    assertThat(t.error()).isNotNull();
    assertThat(t.error().status()).isEqualTo(503);
    assertThat(t.done()).isFalse();
    assertThat(t.finishReason()).isNull();
  }
}
