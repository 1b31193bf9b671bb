package io.gatehouse.proxy.config;

import java.util.List;
import java.util.Map;

/**
 * The validated, immutable configuration the proxy runs with: the YAML file (if any) merged with
 * zero-config providers and environment overrides. Built once at start by {@link ConfigLoader}.
 *
 * @param host interface the HTTP server binds to
 * @param port HTTP port; 0 picks a free one
 * @param providers by name, in definition order (YAML first, then zero-config ones)
 * @param models aliases by name, in definition order
 * @param rules {@code routing.rules}, in order (the first match wins)
 * @param experiments by name, in definition order; at most one per model
 * @param configFile the YAML path, or null when running from the environment only
 */
public record GatehouseConfig(
    String host,
    int port,
    Map<String, ProviderConfig> providers,
    Map<String, ModelAlias> models,
    List<RoutingRule> rules,
    Map<String, Experiment> experiments,
    KafkaSettings kafka,
    String configFile) {

  /** Where events go. */
  public record KafkaSettings(String bootstrap, String topic) {}
}
