package io.gatehouse.proxy.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.testsupport.fake.FixtureProvider;

/**
 * Gemini behind chat completions: {@code generateContent} or {@code streamGenerateContent?alt=sse}
 * with the model in the path and the key in {@code x-goog-api-key}; Gemini's CRLF-separated SSE with
 * no {@code [DONE]} becomes OpenAI's stream.
 */
class GeminiContractTest extends ChatAdapterContractTest {
  @Override
  protected String dialect() {
    return "gemini";
  }

  @Override
  protected String providerYaml(String origin) {
    return "    type: gemini\n    base_url: " + origin + "\n    keys: [" + PROVIDER_KEY + "]\n";
  }

  @Override
  protected String answeringModel() {
    return "gemini-2.5-flash";
  }

  @Override
  protected Double cachedCostUsd() {
    return 0.00029968; // gemini-2.5-flash: 512 × $0.30/M + 1,536 cached × $0.03/M + 40 × $2.50/M
  }

  @Override
  protected Double textCostUsd() {
    return 0.0000261; // gemini-2.5-flash: 12 × $0.30/M + 9 × $2.50/M
  }

  @Override
  protected void assertUpstreamRequest(FixtureProvider.Recorded request, String fxModel, boolean stream) {
    assertThat(request.path())
        .isEqualTo("/v1beta/models/" + fxModel + (stream ? ":streamGenerateContent" : ":generateContent"));
    assertThat(request.query()).isEqualTo(stream ? "alt=sse" : "");
    assertThat(request.header("x-goog-api-key")).isEqualTo(PROVIDER_KEY);
    assertThat(request.header("authorization")).isNull();
    assertThat(request.bodyText()).contains("\"contents\"").doesNotContain("\"model\"");
  }
}
