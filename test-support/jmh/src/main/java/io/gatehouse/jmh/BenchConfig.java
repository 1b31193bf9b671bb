package io.gatehouse.jmh;

import io.gatehouse.proxy.config.ConfigLoader;
import io.gatehouse.proxy.config.GatehouseConfig;
import java.util.Map;

/**
 * The configuration the benchmarks run with: three providers, an alias with a fallback, a weighted
 * split, rules and an experiment — README's routing example — and everything else at its default
 * (built-in redaction on, bodies logged). Parsed by the proxy's own loader.
 */
public final class BenchConfig {
  public static final String YAML = String.join("\n",
      "providers:",
      "  openai: { type: openai, keys: [sk-bench-not-a-key] }",
      "  anthropic: { type: anthropic, keys: [sk-ant-bench-not-a-key] }",
      "  local: { type: openai-compatible, base_url: \"http://127.0.0.1:9/v1\" }",
      "models:",
      "  chat-default: { targets: [openai/gpt-4o-mini, anthropic/claude-3-5-haiku-20241022] }",
      "  smart: { strategy: weighted, targets: [{model: openai/gpt-4o, weight: 80}, "
          + "{model: anthropic/claude-sonnet-4, weight: 20}] }",
      "  support-chat: { targets: [openai/gpt-4o-mini, local/llama-3.1-8b] }",
      "routing:",
      "  rules:",
      "    - { when: { feature: support }, model: support-chat }",
      "    - { when: { feature: summarize }, model: chat-default }",
      "    - { when: { model: chat-default, prompt_tokens_over: 20000 }, model: smart }",
      "    - { when: { team: research, tags: { env: prod } }, model: anthropic/claude-sonnet-4 }",
      "    - { when: { header: { x-tenant: acme }, has_tools: true }, model: smart }",
      "experiments:",
      "  support-model-v2:",
      "    model: support-chat",
      "    sticky_by: user",
      "    split:",
      "      control: 50",
      "      candidate: { weight: 50, model: smart }",
      "");

  private BenchConfig() {}

  public static GatehouseConfig load() {
    return ConfigLoader.parse(YAML, "bench.yaml", Map.of());
  }
}
