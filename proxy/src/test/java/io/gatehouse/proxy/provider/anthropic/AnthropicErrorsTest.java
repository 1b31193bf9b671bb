package io.gatehouse.proxy.provider.anthropic;

import static io.gatehouse.proxy.provider.Fixtures.ANTHROPIC;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.proxy.provider.Fixtures;
import org.junit.jupiter.api.Test;

class AnthropicErrorsTest {
  private static JsonNode anthropic(String type, String message) {
    return Fixtures.parse("{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\",\"message\":\"" + message + "\"}}");
  }

  @Test
  void overloadedBecomes503ServerError() {
    AnthropicErrors.OpenAiError e = AnthropicErrors.toOpenAi(529, ANTHROPIC.json("error-overloaded.json"));
    assertThat(e.status()).isEqualTo(503);
    assertThat(e.body()).isEqualTo(Fixtures.parse(
        "{\"error\":{\"message\":\"Overloaded\",\"type\":\"server_error\",\"param\":null,\"code\":\"overloaded\"}}"));
  }

  @Test
  void typesMapToOpenAiTypeAndCode() {
    assertMaps(400, "invalid_request_error", "invalid_request_error", null);
    assertMaps(401, "authentication_error", "invalid_request_error", "invalid_api_key");
    assertMaps(402, "billing_error", "insufficient_quota", "insufficient_quota");
    assertMaps(403, "permission_error", "invalid_request_error", "permission_denied");
    assertMaps(404, "not_found_error", "invalid_request_error", "not_found");
    assertMaps(429, "rate_limit_error", "requests", "rate_limit_exceeded");
    assertMaps(500, "api_error", "server_error", null);
    assertMaps(500, "brand_new_error", "server_error", "brand_new_error");
  }

  private static void assertMaps(int status, String anthropicType, String openAiType, String code) {
    AnthropicErrors.OpenAiError e = AnthropicErrors.toOpenAi(status, anthropic(anthropicType, "why"));
    assertThat(e.status()).isEqualTo(status);
    JsonNode error = e.body().get("error");
    assertThat(error.get("type").textValue()).as(anthropicType).isEqualTo(openAiType);
    assertThat(error.get("code").textValue()).as(anthropicType).isEqualTo(code);
    assertThat(error.get("message").textValue()).isEqualTo("why");
    assertThat(error.get("param").isNull()).isTrue();
  }

  @Test
  void streamErrorTypesHaveTheirDocumentedStatus() {
    assertThat(AnthropicErrors.anthropicStatus("overloaded_error")).isEqualTo(529);
    assertThat(AnthropicErrors.anthropicStatus("rate_limit_error")).isEqualTo(429);
    assertThat(AnthropicErrors.anthropicStatus("invalid_request_error")).isEqualTo(400);
    assertThat(AnthropicErrors.anthropicStatus("something_new")).isEqualTo(500);
  }

  @Test
  void nonAnthropicBodyMapsByStatus() {
    AnthropicErrors.OpenAiError e = AnthropicErrors.toOpenAi(413, Fixtures.parse("\"<html>413</html>\""));
    assertThat(e.status()).isEqualTo(413);
    assertThat(e.body().path("error").get("code").textValue()).isEqualTo("request_too_large");
    assertThat(e.body().path("error").get("message").textValue()).isEqualTo("Anthropic returned HTTP 413");
    assertThat(AnthropicErrors.toOpenAi(429, null).body().path("error").get("type").textValue()).isEqualTo("requests");
  }

  @Test
  void openAiErrorToAnthropicFollowsTheStatus() {
    JsonNode openAi = Fixtures.parse(
        "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}");
    assertThat(AnthropicErrors.toAnthropic(429, openAi)).isEqualTo(Fixtures.parse(
        "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Rate limit reached\"}}"));
    assertThat(AnthropicErrors.toAnthropic(503, openAi).path("error").get("type").textValue()).isEqualTo("overloaded_error");
    assertThat(AnthropicErrors.toAnthropic(502, null)).isEqualTo(Fixtures.parse(
        "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"upstream returned HTTP 502\"}}"));
  }
}
