package io.gatehouse.proxy.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.testsupport.fake.FixtureProvider;

/** OpenAI itself: the request passes through with the model set; the key travels as a Bearer token. */
class OpenAiContractTest extends ChatAdapterContractTest {
  @Override
  protected String dialect() {
    return "openai";
  }

  @Override
  protected String providerYaml(String origin) {
    return "    type: openai\n    base_url: " + origin + "/v1\n    keys: [" + PROVIDER_KEY + "]\n";
  }

  @Override
  protected String answeringModel() {
    return "gpt-4o-mini-2024-07-18";
  }

  @Override
  protected Double cachedCostUsd() {
    return 0.000216; // gpt-4o-mini: 512 × $0.15/M + 1,536 cached × $0.075/M + 40 × $0.60/M
  }

  @Override
  protected Double textCostUsd() {
    return 0.0000072; // 2024-07-18 = gpt-4o-mini: 12 × $0.15/M + 9 × $0.60/M
  }

  @Override
  protected void assertUpstreamRequest(FixtureProvider.Recorded request, String fxModel, boolean stream) {
    assertThat(request.path()).isEqualTo("/v1/chat/completions");
    assertThat(request.header("authorization")).isEqualTo("Bearer " + PROVIDER_KEY);
    assertThat(request.bodyText()).contains("\"model\":\"" + fxModel + "\"");
    if (stream) {
      assertThat(request.bodyText()).contains("\"stream\":true").contains("\"include_usage\":true");
    }
  }
}
