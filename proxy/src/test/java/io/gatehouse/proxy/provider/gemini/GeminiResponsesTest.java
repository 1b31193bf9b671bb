package io.gatehouse.proxy.provider.gemini;

import static io.gatehouse.proxy.provider.Fixtures.GEMINI;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.provider.Fixtures;
import io.gatehouse.proxy.provider.Usage;
import org.junit.jupiter.api.Test;

class GeminiResponsesTest {
  private static ObjectNode translate(String fixture) {
    return Fixtures.reparsed(GeminiResponses.toChatCompletion(GEMINI.json(fixture), "gemini-x", 1_700_000_000L));
  }

  @Test
  void textAnswerIsAChatCompletion() {
    assertThat(translate("text.json")).isEqualTo(Fixtures.parse("""
        {"id":"chatcmpl-kG0maZ6sA8WUz7IPtJ7y4Qw","object":"chat.completion","created":1700000000,
         "model":"gemini-2.5-flash",
         "choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?","refusal":null},
                     "logprobs":null,"finish_reason":"stop"}],
         "usage":{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21,
                  "prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}
        """));
  }

  @Test
  void functionCallsBecomeToolCallsWithGeneratedIdsAndArgumentsAsJsonText() {
    ObjectNode out = translate("tools.json");
    JsonNode choice = out.path("choices").path(0);
    assertThat(choice.get("finish_reason").textValue()).as("STOP after a call").isEqualTo("tool_calls");
    assertThat(choice.path("message").get("content").isNull()).isTrue();
    assertThat(choice.path("message").get("tool_calls")).isEqualTo(Fixtures.parse("""
        [{"id":"call_qW0maZL6L_eXz7IPrcW-8Qk_0","type":"function",
          "function":{"name":"get_weather","arguments":"{\\"location\\":\\"Paris\\",\\"unit\\":\\"celsius\\"}"}}]
        """));
    assertThat(out.path("usage").get("total_tokens").intValue()).isEqualTo(65);
  }

  @Test
  void thoughtsAreNotAnswerTextAndSignaturesRideInTheToolCallId() {
    ObjectNode out = translate("response-tools-thinking.json");
    JsonNode message = out.path("choices").path(0).path("message");
    assertThat(message.get("content").textValue()).isEqualTo("Let me check both cities.");
    assertThat(message.path("tool_calls").path(0).get("id").textValue())
        .isEqualTo("call_3G4maZ-SIt-Uz7IPpaGx-Qc_0~sig~CtIBAVSoXO5vYw2Jk0mQ8aX9pZt3Lr1uE4sHq2nF7bVcD0xGy6Wk+A==");
    assertThat(message.path("tool_calls").path(1).get("id").textValue()).isEqualTo("call_3G4maZ-SIt-Uz7IPpaGx-Qc_1");
    assertThat(message.path("tool_calls").path(1).path("function").get("arguments").textValue())
        .isEqualTo("{\"location\":\"London\"}");
  }

  @Test
  void cachedAndThoughtTokensAreReportedOnOpenAisScale() {
    ObjectNode out = translate("response-tools-thinking.json");
    assertThat(out.get("usage")).isEqualTo(Fixtures.parse("""
        {"prompt_tokens":2087,"completion_tokens":175,"total_tokens":2262,
         "prompt_tokens_details":{"cached_tokens":2048},"completion_tokens_details":{"reasoning_tokens":144}}
        """));
    Usage usage = GeminiUsage.of(GEMINI.json("response-tools-thinking.json").get("usageMetadata")).toUsage();
    assertThat(usage).isEqualTo(new Usage(2087L, 175L, 2048L, 144L));
  }

  @Test
  void unreportedCountsStayUnknownForTheEvent() {
    Usage usage = GeminiUsage.of(Fixtures.parse("{\"promptTokenCount\":9,\"totalTokenCount\":9}")).toUsage();
    assertThat(usage).isEqualTo(new Usage(9L, null, null, null));
  }

  @Test
  void maxTokensIsLength() {
    assertThat(translate("response-max-tokens.json").path("choices").path(0).get("finish_reason").textValue())
        .isEqualTo("length");
  }

  @Test
  void aBlockedPromptIsAnEmptyContentFilteredAnswer() {
    ObjectNode out = translate("response-blocked.json");
    assertThat(out.get("choices")).isEqualTo(Fixtures.parse("""
        [{"index":0,"message":{"role":"assistant","refusal":null,"content":""},"logprobs":null,
          "finish_reason":"content_filter"}]
        """));
    assertThat(out.path("usage").get("prompt_tokens").intValue()).isEqualTo(9);
  }

  @Test
  void everyCandidateIsAChoice() {
    ObjectNode response = (ObjectNode) Fixtures.parse("""
        {"candidates":[{"content":{"parts":[{"text":"A"}],"role":"model"},"finishReason":"STOP","index":0},
                       {"content":{"parts":[{"text":"B"}],"role":"model"},"finishReason":"SAFETY","index":1}]}
        """);
    ObjectNode out = GeminiResponses.toChatCompletion(response, "gemini-x", 1L);
    assertThat(out.get("model").textValue()).as("no modelVersion: the requested model").isEqualTo("gemini-x");
    assertThat(out.path("choices").path(1).path("message").get("content").textValue()).isEqualTo("B");
    assertThat(out.path("choices").path(1).get("index").intValue()).isEqualTo(1);
    assertThat(out.path("choices").path(1).get("finish_reason").textValue()).isEqualTo("content_filter");
    assertThat(out.get("id").textValue()).startsWith("chatcmpl-").hasSizeGreaterThan("chatcmpl-".length());
  }

  @Test
  void finishReasons() {
    assertThat(GeminiResponses.finishReason("STOP", false)).isEqualTo("stop");
    assertThat(GeminiResponses.finishReason("STOP", true)).isEqualTo("tool_calls");
    assertThat(GeminiResponses.finishReason("MAX_TOKENS", true)).isEqualTo("length");
    for (String filtered : new String[] {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"}) {
      assertThat(GeminiResponses.finishReason(filtered, false)).as(filtered).isEqualTo("content_filter");
    }
    assertThat(GeminiResponses.finishReason("MALFORMED_FUNCTION_CALL", false)).isEqualTo("stop");
    assertThat(GeminiResponses.finishReason("OTHER", false)).isEqualTo("stop");
    assertThat(GeminiResponses.finishReason(null, false)).isNull();
    assertThat(GeminiResponses.finishReason("FINISH_REASON_UNSPECIFIED", false)).isNull();
  }
}
