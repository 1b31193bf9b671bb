package io.gatehouse.proxy.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.testsupport.fake.FixtureProvider;

/** Anthropic's Messages API behind chat completions: translated both ways, {@code x-api-key} upstream. */
class AnthropicContractTest extends ChatAdapterContractTest {
  @Override
  protected String dialect() {
    return "anthropic";
  }

  @Override
  protected String providerYaml(String origin) {
    return "    type: anthropic\n    base_url: " + origin + "\n    keys: [" + PROVIDER_KEY + "]\n";
  }

  @Override
  protected String answeringModel() {
    return "claude-sonnet-4-5-20250929";
  }

  @Override
  protected Double cachedCostUsd() {
    return 0.0029058; // claude-sonnet-4-5: 100 × $3/M + 1,536 read × $0.30/M + 412 written × $3.75/M + 40 × $15/M
  }

  @Override
  protected Double textCostUsd() {
    return 0.000171; // claude-sonnet-4-5: 12 × $3/M + 9 × $15/M
  }

  @Override
  protected void assertUpstreamRequest(FixtureProvider.Recorded request, String fxModel, boolean stream) {
    assertThat(request.path()).isEqualTo("/v1/messages");
    assertThat(request.header("x-api-key")).isEqualTo(PROVIDER_KEY);
    assertThat(request.header("anthropic-version")).isEqualTo("2023-06-01");
    assertThat(request.header("authorization")).isNull();
    assertThat(request.bodyText()).contains("\"model\":\"" + fxModel + "\"").contains("\"max_tokens\":");
    assertThat(request.bodyText().contains("\"stream\":true")).isEqualTo(stream);
  }
}
