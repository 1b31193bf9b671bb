package io.gatehouse.proxy.config;

import java.util.Arrays;
import java.util.Optional;

/** The wire protocols a provider can speak. Adding one = a constant + an adapter in provider/. */
public enum ProviderType {
  /** OpenAI itself: a key is required. */
  OPENAI("openai"),
  /** Anything that speaks OpenAI's chat completions API (vLLM, Ollama, LM Studio, …): keys optional. */
  OPENAI_COMPATIBLE("openai-compatible"),
  /** Anthropic's Messages API (clients still speak OpenAI; Gatehouse translates): a key is required. */
  ANTHROPIC("anthropic");

  private final String yamlName;

  ProviderType(String yamlName) {
    this.yamlName = yamlName;
  }

  /** The spelling used in the YAML {@code type:} field. */
  public String yamlName() {
    return yamlName;
  }

  public static Optional<ProviderType> fromYaml(String name) {
    return Arrays.stream(values()).filter(t -> t.yamlName.equals(name)).findFirst();
  }
}
