package io.gatehouse.proxy.provider.gemini;

import static io.gatehouse.proxy.provider.Fixtures.GEMINI;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.proxy.provider.Fixtures;
import org.junit.jupiter.api.Test;

class GeminiErrorsTest {
  private static GeminiErrors.OpenAiError map(int status, String rpcStatus) {
    return GeminiErrors.toOpenAi(status, Fixtures.parse(
        "{\"error\":{\"code\":" + status + ",\"message\":\"m\",\"status\":\"" + rpcStatus + "\"}}"));
  }

  @Test
  void rateLimitKeepsGeminisMessageAndStatusAsCode() {
    GeminiErrors.OpenAiError e = GeminiErrors.toOpenAi(429, GEMINI.json("error-429.json"));
    assertThat(e.status()).isEqualTo(429);
    assertThat(e.type()).isEqualTo("rate_limit_error");
    assertThat(e.message()).contains("Rate limit exceeded");
    assertThat(e.body().path("error").get("code").textValue()).isEqualTo("RESOURCE_EXHAUSTED");
    assertThat(e.body().path("error").get("message").textValue()).isEqualTo(e.message());
    assertThat(e.body().path("error").get("param").isNull()).isTrue();
  }

  @Test
  void eachStatusMapsToItsOpenAiType() {
    assertThat(map(400, "INVALID_ARGUMENT")).extracting(GeminiErrors.OpenAiError::status, GeminiErrors.OpenAiError::type)
        .containsExactly(400, "invalid_request_error");
    assertThat(map(400, "FAILED_PRECONDITION").type()).isEqualTo("invalid_request_error");
    assertThat(map(401, "UNAUTHENTICATED").type()).isEqualTo("authentication_error");
    assertThat(map(403, "PERMISSION_DENIED").type()).isEqualTo("permission_error");
    assertThat(map(404, "NOT_FOUND")).extracting(GeminiErrors.OpenAiError::status, GeminiErrors.OpenAiError::type)
        .containsExactly(404, "not_found_error");
    assertThat(map(500, "INTERNAL")).extracting(GeminiErrors.OpenAiError::status, GeminiErrors.OpenAiError::type)
        .containsExactly(500, "api_error");
    assertThat(map(503, "UNAVAILABLE")).extracting(GeminiErrors.OpenAiError::status, GeminiErrors.OpenAiError::type)
        .containsExactly(503, "api_error");
    assertThat(map(504, "DEADLINE_EXCEEDED")).extracting(GeminiErrors.OpenAiError::status, GeminiErrors.OpenAiError::type)
        .containsExactly(504, "timeout_error");
  }

  @Test
  void anInvalidKeyIsAnAuthenticationErrorThoughGeminiSays400() {
    GeminiErrors.OpenAiError e = GeminiErrors.toOpenAi(400, GEMINI.json("error-api-key-invalid.json"));
    assertThat(e.status()).isEqualTo(401);
    assertThat(e.type()).isEqualTo("authentication_error");
    assertThat(e.message()).isEqualTo("API key not valid. Please pass a valid API key.");
  }

  @Test
  void withoutAStatusTheHttpStatusDecides() {
    GeminiErrors.OpenAiError e = GeminiErrors.toOpenAi(429, Fixtures.parse("{\"error\":{\"code\":429}}"));
    assertThat(e.type()).isEqualTo("rate_limit_error");
    assertThat(e.message()).isEqualTo("Gemini returned HTTP 429");
    assertThat(e.body().path("error").get("code").isNull()).isTrue();
  }

  @Test
  void inAStreamTheCodeStandsInForTheHttpStatus() {
    GeminiErrors.OpenAiError e = GeminiErrors.toOpenAi(0,
        Fixtures.parse("{\"error\":{\"code\":503,\"message\":\"overloaded\",\"status\":\"UNAVAILABLE\"}}"));
    assertThat(e.status()).isEqualTo(503);
  }

  @Test
  void bodiesWithoutAGeminiErrorAreNotUnderstood() {
    assertThat(GeminiErrors.toOpenAi(500, null)).isNull();
    assertThat(GeminiErrors.toOpenAi(500, Fixtures.parse("{\"message\":\"x\"}"))).isNull();
    assertThat(GeminiErrors.toOpenAi(500, Fixtures.parse("[1]"))).isNull();
  }
}
