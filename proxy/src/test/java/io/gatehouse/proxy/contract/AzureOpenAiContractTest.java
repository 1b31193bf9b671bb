package io.gatehouse.proxy.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.testsupport.fake.FixtureProvider;

/**
 * Azure OpenAI: the deployment in the path, {@code api-version} in the query, the key in
 * {@code api-key}; Azure's content-filter fields and its leading {@code prompt_filter_results} chunk
 * pass through.
 */
class AzureOpenAiContractTest extends ChatAdapterContractTest {
  @Override
  protected String dialect() {
    return "azure-openai";
  }

  @Override
  protected String providerYaml(String origin) {
    return "    type: azure-openai\n    base_url: " + origin + "\n    api_version: 2024-10-21\n"
        + "    keys: [" + PROVIDER_KEY + "]\n";
  }

  @Override
  protected String answeringModel() {
    return "gpt-4o-2024-11-20";
  }

  @Override
  protected Double cachedCostUsd() {
    return 0.0036; // gpt-4o: 512 × $2.50/M + 1,536 cached × $1.25/M + 40 × $10/M
  }

  @Override
  protected Double textCostUsd() {
    return 0.00012; // gpt-4o at OpenAI list price: 12 × $2.50/M + 9 × $10/M
  }

  @Override
  protected void assertUpstreamRequest(FixtureProvider.Recorded request, String fxModel, boolean stream) {
    assertThat(request.path()).isEqualTo("/openai/deployments/" + fxModel + "/chat/completions");
    assertThat(request.query()).isEqualTo("api-version=2024-10-21");
    assertThat(request.header("api-key")).isEqualTo(PROVIDER_KEY);
    assertThat(request.header("authorization")).isNull();
  }
}
