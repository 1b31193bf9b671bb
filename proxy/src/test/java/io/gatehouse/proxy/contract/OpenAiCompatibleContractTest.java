package io.gatehouse.proxy.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.testsupport.fake.FixtureProvider;

/**
 * The openai-compatible family, with vLLM's payloads (extra fields such as {@code stop_reason},
 * {@code prompt_logprobs}, its flat {@code {"object":"error",...}} errors): no key, and configured
 * headers sent on every request.
 */
class OpenAiCompatibleContractTest extends ChatAdapterContractTest {
  @Override
  protected String dialect() {
    return "vllm";
  }

  @Override
  protected String providerYaml(String origin) {
    return "    type: openai-compatible\n    base_url: " + origin + "/v1\n"
        + "    headers: { X-Team-Route: contract }\n";
  }

  @Override
  protected String answeringModel() {
    return "meta-llama/Llama-3.1-8B-Instruct";
  }

  @Override
  protected Double cachedCostUsd() {
    return null; // no list price for a self-hosted model
  }

  @Override
  protected Double textCostUsd() {
    return null; // a self-hosted model has no list price unless the config gives one
  }

  @Override
  protected void assertUpstreamRequest(FixtureProvider.Recorded request, String fxModel, boolean stream) {
    assertThat(request.path()).isEqualTo("/v1/chat/completions");
    assertThat(request.header("authorization")).as("a keyless provider gets no Authorization").isNull();
    assertThat(request.header("x-team-route")).isEqualTo("contract");
    assertThat(request.bodyText()).contains("\"model\":\"" + fxModel + "\"");
  }
}
