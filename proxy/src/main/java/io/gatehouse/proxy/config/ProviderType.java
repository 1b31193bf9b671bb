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
  ANTHROPIC("anthropic"),
  /**
   * Azure OpenAI: OpenAI's wire format at {@code /openai/deployments/{deployment}/...?api-version=},
   * authenticated with an {@code api-key} header; the model name in a target is the deployment name.
   */
  AZURE_OPENAI("azure-openai"),
  /**
   * Google's Gemini API ({@code generateContent} / {@code streamGenerateContent}; clients still speak
   * OpenAI, Gatehouse translates): a key is required, sent as {@code x-goog-api-key}.
   */
  GEMINI("gemini");

  private final String yamlName;

  ProviderType(String yamlName) {
    this.yamlName = yamlName;
  }

  /** The spelling used in the YAML {@code type:} field. */
  public String yamlName() {
    return yamlName;
  }

  /**
   * Whose list prices apply to this type's models in the price catalog: Azure bills OpenAI's models at
   * OpenAI's list prices; an openai-compatible server has none (prices come from the config).
   */
  public String priceFamily() {
    return switch (this) {
      case OPENAI, AZURE_OPENAI -> "openai";
      case ANTHROPIC -> "anthropic";
      case GEMINI -> "gemini";
      case OPENAI_COMPATIBLE -> null;
    };
  }

  /** Whether a provider of this type cannot be called without a key. */
  public boolean needsKey() {
    return this != OPENAI_COMPATIBLE;
  }

  public static Optional<ProviderType> fromYaml(String name) {
    return Arrays.stream(values()).filter(t -> t.yamlName.equals(name)).findFirst();
  }
}
