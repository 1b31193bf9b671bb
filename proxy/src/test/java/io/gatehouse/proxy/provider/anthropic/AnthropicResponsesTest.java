package io.gatehouse.proxy.provider.anthropic;

import static io.gatehouse.proxy.provider.Fixtures.ANTHROPIC;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.provider.Fixtures;
import io.gatehouse.proxy.provider.Usage;
import org.junit.jupiter.api.Test;

class AnthropicResponsesTest {
  private static ObjectNode translate(String fixture) {
    return Fixtures.reparsed(AnthropicResponses.toChatCompletion(ANTHROPIC.json(fixture), "smart", 1_700_000_000L));
  }

  @Test
  void textBlocksAreConcatenated() {
    assertThat(translate("response-text.json")).isEqualTo(Fixtures.parse("""
        {"id":"msg_01XFDUDYJgAACzvnptvVoYEL","object":"chat.completion","created":1700000000,"model":"smart",
         "choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?","refusal":null},
                     "logprobs":null,"finish_reason":"stop"}],
         "usage":{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":0}}}
        """));
  }

  @Test
  void toolUseBecomesToolCallsWithArgumentsAsAJsonString() {
    ObjectNode out = translate("response-tool-use.json");
    JsonNode message = out.path("choices").path(0).path("message");
    assertThat(message.get("content").textValue()).isEqualTo("I'll check the weather in San Francisco.");
    assertThat(out.path("choices").path(0).get("finish_reason").textValue()).isEqualTo("tool_calls");
    JsonNode call = message.path("tool_calls").path(0);
    assertThat(call.get("id").textValue()).isEqualTo("toolu_01A09q90qw90lq917835lq9");
    assertThat(call.get("type").textValue()).isEqualTo("function");
    assertThat(call.path("function").get("name").textValue()).isEqualTo("get_weather");
    assertThat(call.path("function").get("arguments").isTextual()).isTrue();
    assertThat(Fixtures.parse(call.path("function").get("arguments").textValue()))
        .isEqualTo(Fixtures.parse("{\"location\":\"San Francisco, CA\",\"unit\":\"celsius\"}"));
    assertThat(out.path("usage").get("prompt_tokens").longValue()).isEqualTo(472);
  }

  @Test
  void toolUseWithoutTextHasNullContent() {
    ObjectNode message = ANTHROPIC.json("response-tool-use.json");
    ((com.fasterxml.jackson.databind.node.ArrayNode) message.get("content")).remove(0);
    ObjectNode out = AnthropicResponses.toChatCompletion(message, "smart", 1L);
    assertThat(out.path("choices").path(0).path("message").get("content").isNull()).isTrue();
  }

  @Test
  void maxTokensIsLength() {
    assertThat(translate("response-max-tokens.json").path("choices").path(0).get("finish_reason").textValue())
        .isEqualTo("length");
  }

  @Test
  void cacheUsageCountsIntoPromptTokens() {
    ObjectNode out = translate("response-cache-usage.json");
    assertThat(out.get("usage")).isEqualTo(Fixtures.parse("""
        {"prompt_tokens":2009,"completion_tokens":393,"total_tokens":2402,"prompt_tokens_details":{"cached_tokens":1800}}
        """));
    assertThat(out.path("choices").path(0).get("finish_reason").textValue()).isEqualTo("stop");

    AnthropicUsage usage = AnthropicResponses.usage(ANTHROPIC.json("response-cache-usage.json"));
    assertThat(usage).isEqualTo(new AnthropicUsage(21L, 393L, 1800L, 188L));
    assertThat(usage.toUsage()).isEqualTo(new Usage(2009L, 393L, 1800L, null, 188L));
  }

  @Test
  void usageFieldsNotReportedStayUnknown() {
    AnthropicUsage usage = AnthropicResponses.usage(ANTHROPIC.json("response-max-tokens.json"));
    assertThat(usage).isEqualTo(new AnthropicUsage(15L, 10L, null, null));
    assertThat(AnthropicResponses.usage(Fixtures.parse("{}"))).isNull();
  }

  @Test
  void stopReasons() {
    assertThat(AnthropicResponses.finishReason("end_turn")).isEqualTo("stop");
    assertThat(AnthropicResponses.finishReason("stop_sequence")).isEqualTo("stop");
    assertThat(AnthropicResponses.finishReason("max_tokens")).isEqualTo("length");
    assertThat(AnthropicResponses.finishReason("tool_use")).isEqualTo("tool_calls");
    assertThat(AnthropicResponses.finishReason("refusal")).isEqualTo("content_filter");
    assertThat(AnthropicResponses.finishReason("pause_turn")).isEqualTo("stop");
    assertThat(AnthropicResponses.finishReason(null)).isNull();
  }
}
