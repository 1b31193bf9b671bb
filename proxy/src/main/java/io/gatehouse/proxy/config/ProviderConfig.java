package io.gatehouse.proxy.config;

import java.util.List;
import java.util.Map;

/**
 * One upstream account. {@code keys} may be empty (keyless openai-compatible servers); they are
 * secrets, so {@link #toString()} never prints them.
 *
 * @param baseUrl without a trailing slash, e.g. {@code https://api.openai.com/v1}
 * @param headers extra headers sent upstream on every request
 * @param origin where it was defined: {@code "GATEHOUSE_CONFIG"} or {@code "environment"}
 * @param apiVersion Azure OpenAI's {@code api-version} query parameter; null for other types
 */
public record ProviderConfig(
    String name,
    ProviderType type,
    String baseUrl,
    List<String> keys,
    Map<String, String> headers,
    String origin,
    String apiVersion) {

  /** A provider of a type without an API version. */
  public ProviderConfig(String name, ProviderType type, String baseUrl, List<String> keys, Map<String, String> headers,
      String origin) {
    this(name, type, baseUrl, keys, headers, origin, null);
  }

  public ProviderConfig {
    keys = List.copyOf(keys);
    headers = Map.copyOf(headers);
  }

  @Override
  public String toString() {
    return "ProviderConfig[name=" + name + ", type=" + type.yamlName() + ", baseUrl=" + baseUrl
        + ", keys=" + keys.size() + " (hidden), headers=" + headers.keySet() + ", origin=" + origin + (apiVersion == null ? "" : ", apiVersion=" + apiVersion) + "]";
  }
}
