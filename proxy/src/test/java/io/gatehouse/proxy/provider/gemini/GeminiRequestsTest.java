package io.gatehouse.proxy.provider.gemini;

import static io.gatehouse.proxy.provider.Fixtures.GEMINI;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.provider.Fixtures;
import org.junit.jupiter.api.Test;

class GeminiRequestsTest {
  private static final String HI = "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";
  private static final String TOOLS = ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]";

  private static ObjectNode translate(String openAiJson) {
    return GeminiRequests.fromChatCompletion((ObjectNode) json(openAiJson));
  }

  private static JsonNode json(String s) {
    return Fixtures.parse(s);
  }

  private static JsonNode config(String fields) {
    return translate("{" + HI + "," + fields + "}").get("generationConfig");
  }

  private static void assertRefused(String openAiJson, String param, String messagePart) {
    Fixtures.assertRefused(() -> translate(openAiJson), param, messagePart);
  }

  @Test
  void fullRequestFixtureTranslatesToTheExpectedGeminiRequest() {
    ObjectNode openAi = GEMINI.json("openai-request-full.json");
    ObjectNode before = openAi.deepCopy();
    ObjectNode out = GeminiRequests.fromChatCompletion(openAi);
    assertThat(Fixtures.reparsed(out)).isEqualTo(GEMINI.json("gemini-request-full.json"));
    assertThat(openAi).as("the client's request is not modified").isEqualTo(before);
  }

  @Test
  void minimalRequestIsOneUserTurnAndNothingElse() {
    assertThat(translate("{" + HI + "}"))
        .isEqualTo(json("{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Hi\"}]}]}"));
  }

  @Test
  void assistantTextBecomesAModelTurnAndSameRoleTurnsMerge() {
    ObjectNode out = translate("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"b\"},"
        + "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"c\"}]},{\"role\":\"user\",\"content\":\"d\"}]}");
    assertThat(out.get("contents")).isEqualTo(json("[{\"role\":\"user\",\"parts\":[{\"text\":\"a\"},{\"text\":\"b\"}]},"
        + "{\"role\":\"model\",\"parts\":[{\"text\":\"c\"}]},{\"role\":\"user\",\"parts\":[{\"text\":\"d\"}]}]"));
  }

  @Test
  void toolResultThatIsNotAJsonObjectIsWrappedAsContent() {
    ObjectNode out = translate("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},"
        + "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]},"
        + "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":[{\"type\":\"text\",\"text\":\"[1,\"},{\"type\":\"text\",\"text\":\"2]\"}]}]}");
    assertThat(out.path("contents").path(1).path("parts").path(0))
        .isEqualTo(json("{\"functionCall\":{\"name\":\"f\",\"args\":{}}}"));
    assertThat(out.path("contents").path(2).path("parts").path(0))
        .isEqualTo(json("{\"functionResponse\":{\"name\":\"f\",\"response\":{\"content\":\"[1,2]\"}}}"));
  }

  @Test
  void toolMessageWithoutItsToolCallIsRefused() {
    assertRefused("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},"
        + "{\"role\":\"tool\",\"tool_call_id\":\"nope\",\"content\":\"x\"}]}", "messages[1].tool_call_id", "'nope'");
  }

  @Test
  void malformedToolCallArgumentsAreRefused() {
    assertRefused("{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\","
        + "\"function\":{\"name\":\"f\",\"arguments\":\"{oops\"}}]}]}",
        "messages[0].tool_calls[0].function.arguments", "not valid JSON");
    assertRefused("{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\","
        + "\"function\":{\"name\":\"f\",\"arguments\":\"[1]\"}}]}]}",
        "messages[0].tool_calls[0].function.arguments", "JSON object");
  }

  @Test
  void imageUrlsThatAreNotInlineAreRefusedWithWhatToDo() {
    assertRefused("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
        + "\"image_url\":{\"url\":\"https://example.com/cat.png\"}}]}]}",
        "messages[0].content[0].image_url.url", "base64 data URL");
    assertRefused("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
        + "\"image_url\":{\"url\":\"data:image/png,abc\"}}]}]}", "messages[0].content[0].image_url.url", "base64");
  }

  @Test
  void filesApiUrisAudioAndInlineFilesAreParts() {
    ObjectNode out = translate("{\"messages\":[{\"role\":\"user\",\"content\":["
        + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://generativelanguage.googleapis.com/v1beta/files/abc\"}},"
        + "{\"type\":\"input_audio\",\"input_audio\":{\"data\":\"UklGR\",\"format\":\"wav\"}},"
        + "{\"type\":\"file\",\"file\":{\"filename\":\"a.pdf\",\"file_data\":\"data:application/pdf;base64,JVBER\"}}]}]}");
    assertThat(out.path("contents").path(0).get("parts")).isEqualTo(json("["
        + "{\"fileData\":{\"fileUri\":\"https://generativelanguage.googleapis.com/v1beta/files/abc\"}},"
        + "{\"inlineData\":{\"mimeType\":\"audio/wav\",\"data\":\"UklGR\"}},"
        + "{\"inlineData\":{\"mimeType\":\"application/pdf\",\"data\":\"JVBER\"}}]"));
    assertRefused("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"file\",\"file\":{\"file_id\":\"file-1\"}}]}]}",
        "messages[0].content[0].file.file_data", "file_id");
  }

  @Test
  void emptyAndUnknownMessagesAreRefused() {
    assertRefused("{\"messages\":[]}", "messages", "non-empty");
    assertRefused("{\"messages\":[{\"role\":\"system\",\"content\":\"x\"}]}", "messages", "at least one user");
    assertRefused("{\"messages\":[{\"role\":\"user\",\"content\":\"\"}]}", "messages[0].content", "must not be empty");
    assertRefused("{\"messages\":[{\"role\":\"function\",\"content\":\"x\"}]}", "messages[0].role", "'function'");
    assertRefused("{\"messages\":[{\"content\":\"x\"}]}", "messages[0].role", "unsupported role");
    assertRefused("{" + HI + ",\"stream\":\"yes\"}", "stream", "true or false");
    assertRefused("{" + HI + ",\"tools\":{}}", "tools", "array");
  }

  @Test
  void toolChoiceMapsToFunctionCallingModes() {
    String base = "{" + HI + TOOLS;
    assertThat(translate(base + ",\"tool_choice\":\"auto\"}").get("toolConfig"))
        .isEqualTo(json("{\"functionCallingConfig\":{\"mode\":\"AUTO\"}}"));
    assertThat(translate(base + ",\"tool_choice\":\"none\"}").get("toolConfig"))
        .isEqualTo(json("{\"functionCallingConfig\":{\"mode\":\"NONE\"}}"));
    assertThat(translate(base + ",\"tool_choice\":\"required\"}").get("toolConfig"))
        .isEqualTo(json("{\"functionCallingConfig\":{\"mode\":\"ANY\"}}"));
    assertThat(translate(base + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"f\"}}}").get("toolConfig"))
        .isEqualTo(json("{\"functionCallingConfig\":{\"mode\":\"ANY\",\"allowedFunctionNames\":[\"f\"]}}"));
    assertThat(translate(base + "}").has("toolConfig")).isFalse();
    assertThat(translate(base + "}").get("tools"))
        .as("a function without parameters takes none").isEqualTo(json("[{\"functionDeclarations\":[{\"name\":\"f\"}]}]"));
    assertThat(translate("{" + HI + ",\"tool_choice\":\"none\"}").has("toolConfig"))
        .as("tool_choice without tools is dropped").isFalse();
    assertRefused(base + ",\"tool_choice\":\"sometimes\"}", "tool_choice", "'sometimes'");
    assertRefused("{" + HI + ",\"tools\":[{\"type\":\"custom\"}]}", "tools[0].type", "'custom'");
  }

  @Test
  void samplingLimitsAndCountsGoToGenerationConfig() {
    assertThat(config("\"max_tokens\":100,\"n\":2,\"stop\":\"\\n\",\"top_k\":40"))
        .isEqualTo(json("{\"topK\":40,\"candidateCount\":2,\"maxOutputTokens\":100,\"stopSequences\":[\"\\n\"]}"));
    assertThat(config("\"max_tokens\":100,\"max_completion_tokens\":50").get("maxOutputTokens").intValue()).isEqualTo(50);
    assertRefused("{" + HI + ",\"max_tokens\":0}", "max_tokens", "positive integer");
    assertRefused("{" + HI + ",\"temperature\":\"hot\"}", "temperature", "number");
    assertRefused("{" + HI + ",\"stop\":[1]}", "stop[0]", "string");
  }

  @Test
  void responseFormatAsksForJson() {
    assertThat(config("\"response_format\":{\"type\":\"json_object\"}"))
        .isEqualTo(json("{\"responseMimeType\":\"application/json\"}"));
    assertThat(config("\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"strict\":true,"
        + "\"schema\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}}}}}"))
        .isEqualTo(json("{\"responseMimeType\":\"application/json\","
            + "\"responseJsonSchema\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}}}}"));
    assertThat(translate("{" + HI + ",\"response_format\":{\"type\":\"text\"}}").has("generationConfig")).isFalse();
    assertRefused("{" + HI + ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\"}}}",
        "response_format.json_schema.schema", "JSON Schema");
  }

  @Test
  void reasoningEffortBecomesAThinkingBudget() {
    assertThat(config("\"reasoning_effort\":\"none\"")).isEqualTo(json("{\"thinkingConfig\":{\"thinkingBudget\":0}}"));
    assertThat(config("\"reasoning_effort\":\"high\"")).isEqualTo(json("{\"thinkingConfig\":{\"thinkingBudget\":24576}}"));
    assertRefused("{" + HI + ",\"reasoning_effort\":\"max\"}", "reasoning_effort", "one of");
  }

  @Test
  void parametersThatWouldChangeTheAnswerUnnoticedAreRefused() {
    assertRefused("{" + HI + ",\"logprobs\":true}", "logprobs", "logprobs");
    assertRefused("{" + HI + ",\"top_logprobs\":2}", "top_logprobs", "logprobs");
    assertRefused("{" + HI + ",\"logit_bias\":{\"50256\":-100}}", "logit_bias", "not supported");
    assertRefused("{" + HI + ",\"modalities\":[\"text\",\"audio\"]}", "modalities", "only text");
    assertRefused("{" + HI + ",\"functions\":[]}", "functions", "use tools");
    assertRefused("{" + HI + ",\"web_search_options\":{}}", "web_search_options", "web search");
    assertThat(translate("{" + HI + ",\"logprobs\":false,\"logit_bias\":{},\"modalities\":[\"text\"],"
        + "\"parallel_tool_calls\":false,\"metadata\":{\"a\":\"b\"},\"store\":false,\"service_tier\":\"auto\"}"))
        .as("harmless values pass").isEqualTo(translate("{" + HI + "}"));
  }
}
