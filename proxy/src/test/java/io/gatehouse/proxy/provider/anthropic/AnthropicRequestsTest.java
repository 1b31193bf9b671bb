package io.gatehouse.proxy.provider.anthropic;

import static io.gatehouse.proxy.provider.Fixtures.ANTHROPIC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.provider.Fixtures;
import io.gatehouse.proxy.provider.TranslationException;
import org.junit.jupiter.api.Test;

class AnthropicRequestsTest {
  private static final String MODEL = "claude-sonnet-4-5-20250929";

  private static ObjectNode translate(String openAiJson) {
    return AnthropicRequests.fromChatCompletion((ObjectNode) Fixtures.parse(openAiJson), MODEL);
  }

  private static ObjectNode translateMessages(String messagesJson) {
    return translate("{\"model\":\"m\",\"messages\":" + messagesJson + "}");
  }

  private static JsonNode json(String s) {
    return Fixtures.parse(s);
  }

  @Test
  void fullRequestFixtureTranslatesToTheExpectedAnthropicRequest() {
    ObjectNode openAi = ANTHROPIC.json("openai-request-full.json");
    ObjectNode before = openAi.deepCopy();
    ObjectNode out = AnthropicRequests.fromChatCompletion(openAi, MODEL);
    assertThat(out).isEqualTo(ANTHROPIC.json("anthropic-request-full.json"));
    assertThat(openAi).as("the client's request is not modified").isEqualTo(before);
  }

  @Test
  void minimalRequestGetsModelDefaultMaxTokensAndStringContentAsBlocks() {
    ObjectNode out = translateMessages("[{\"role\":\"user\",\"content\":\"Hi\"}]");
    assertThat(out).isEqualTo(json("{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\","
        + "\"content\":[{\"type\":\"text\",\"text\":\"Hi\"}]}],\"max_tokens\":4096}"));
  }

  @Test
  void singleSystemMessageBecomesASystemString() {
    ObjectNode out = translateMessages(
        "[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hi\"}]");
    assertThat(out.get("system")).isEqualTo(json("\"Be brief.\""));
    assertThat(out.get("messages")).hasSize(1);
  }

  @Test
  void maxTokensAndMaxCompletionTokens() {
    String msgs = "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";
    assertThat(translate("{" + msgs + ",\"max_tokens\":100}").get("max_tokens").intValue()).isEqualTo(100);
    assertThat(translate("{" + msgs + ",\"max_tokens\":100,\"max_completion_tokens\":50}")
        .get("max_tokens").intValue()).isEqualTo(50);
  }

  @Test
  void stopStringBecomesAOneElementList() {
    ObjectNode out = translate("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stop\":\"\\n\\n\"}");
    assertThat(out.get("stop_sequences")).isEqualTo(json("[\"\\n\\n\"]"));
  }

  @Test
  void toolChoiceStrings() {
    String base = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
        + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\"}}}]";
    assertThat(translate(base + ",\"tool_choice\":\"auto\"}").get("tool_choice")).isEqualTo(json("{\"type\":\"auto\"}"));
    assertThat(translate(base + ",\"tool_choice\":\"none\"}").get("tool_choice")).isEqualTo(json("{\"type\":\"none\"}"));
    assertThat(translate(base + ",\"tool_choice\":\"required\"}").get("tool_choice")).isEqualTo(json("{\"type\":\"any\"}"));
    assertThat(translate(base + "}").has("tool_choice")).isFalse();
    assertThat(translate(base + ",\"parallel_tool_calls\":false}").get("tool_choice"))
        .isEqualTo(json("{\"type\":\"auto\",\"disable_parallel_tool_use\":true}"));
    assertThat(translate(base + ",\"parallel_tool_calls\":true,\"tool_choice\":\"required\"}").get("tool_choice"))
        .isEqualTo(json("{\"type\":\"any\"}"));
    assertThat(translate(base + ",\"parallel_tool_calls\":false,\"tool_choice\":\"none\"}").get("tool_choice"))
        .isEqualTo(json("{\"type\":\"none\"}"));
  }

  @Test
  void toolChoiceWithoutToolsIsDropped() {
    ObjectNode out = translate("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"tool_choice\":\"none\"}");
    assertThat(out.has("tool_choice")).isFalse();
    assertThat(out.has("tools")).isFalse();
  }

  @Test
  void consecutiveAssistantTurnsAreMergedAndEmptyTextIsLeftOut() {
    ObjectNode out = translateMessages("[{\"role\":\"user\",\"content\":\"Hi\"},"
        + "{\"role\":\"assistant\",\"content\":\"A\"},{\"role\":\"assistant\",\"content\":\"\","
        + "\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}]");
    assertThat(out.get("messages")).isEqualTo(json("[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hi\"}]},"
        + "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"A\"},"
        + "{\"type\":\"tool_use\",\"id\":\"c\",\"name\":\"f\",\"input\":{}}]}]"));
  }

  @Test
  void unsupportedContentPartNamesItsPath() {
    assertThatThrownBy(() -> translateMessages("[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"},"
        + "{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\",\"input_audio\":{\"data\":\"x\",\"format\":\"wav\"}}]}]"))
        .isInstanceOfSatisfying(TranslationException.class, e -> {
          assertThat(e.param()).isEqualTo("messages[2].content[0]");
          assertThat(e.getMessage()).isEqualTo(
              "messages[2].content[0]: unsupported content part type 'input_audio' for Anthropic models");
        });
  }

  private static void assertRefused(String request, String param, String messagePart) {
    assertThat(Fixtures.assertRefused(() -> translate(request), param, messagePart).getMessage())
        .startsWith(param + ": ");
  }

  @Test
  void badInputIsRefusedWithThePath() {
    String hi = "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";
    assertRefused("{\"model\":\"m\"}", "messages", "non-empty array");
    assertRefused("{\"messages\":[{\"role\":\"system\",\"content\":\"s\"}]}", "messages", "at least one user");
    assertRefused("{\"messages\":[{\"role\":\"function\",\"content\":\"x\",\"name\":\"f\"}]}",
        "messages[0].role", "unsupported role 'function'");
    assertRefused("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
        + "\"image_url\":{\"url\":\"data:image/bmp;base64,AAA\"}}]}]}",
        "messages[0].content[0].image_url.url", "image/bmp");
    assertRefused("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
        + "\"image_url\":{\"url\":\"ftp://example.com/a.png\"}}]}]}",
        "messages[0].content[0].image_url.url", "http(s) URL");
    assertRefused("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"tool_calls\":"
        + "[{\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{not json\"}}]}]}",
        "messages[1].tool_calls[0].function.arguments", "not valid JSON");
    assertRefused("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"tool_calls\":"
        + "[{\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"[1]\"}}]}]}",
        "messages[1].tool_calls[0].function.arguments", "JSON object");
    assertRefused("{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}", "messages[0].tool_call_id", "string");
    assertRefused("{\"messages\":[{\"role\":\"user\",\"content\":\"\"}]}", "messages[0].content", "must not be empty");
    assertRefused("{" + hi + ",\"temperature\":1.5}", "temperature", "between 0 and 1");
    assertRefused("{" + hi + ",\"max_tokens\":0}", "max_tokens", "positive integer");
    assertRefused("{" + hi + ",\"n\":2}", "n", "one choice");
    assertRefused("{" + hi + ",\"logprobs\":true}", "logprobs", "not available");
    assertRefused("{" + hi + ",\"response_format\":{\"type\":\"json_object\"}}", "response_format.type", "json_object");
    assertRefused("{" + hi + ",\"stop\":[\"a\",1]}", "stop[1]", "string");
    assertRefused("{" + hi + ",\"tools\":[{\"type\":\"web_search\"}]}", "tools[0].type", "only function tools");
    assertRefused("{" + hi + ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],\"tool_choice\":\"sometimes\"}",
        "tool_choice", "'sometimes'");
  }

  @Test
  void translationExceptionBecomesAnOpenAiInvalidRequest() {
    TranslationException e = new TranslationException("messages[0].content", "must not be empty");
    assertThat(AnthropicErrors.openAiBody(e)).isEqualTo(json("{\"error\":{\"message\":"
        + "\"messages[0].content: must not be empty\",\"type\":\"invalid_request_error\","
        + "\"param\":\"messages[0].content\",\"code\":null}}"));
  }
}
