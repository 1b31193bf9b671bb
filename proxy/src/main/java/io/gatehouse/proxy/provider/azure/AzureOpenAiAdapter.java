package io.gatehouse.proxy.provider.azure;

import io.gatehouse.proxy.provider.openai.OpenAiAdapter;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Azure OpenAI: OpenAI's wire format, addressed by deployment. The model name in a route is the
 * deployment name ({@code azure/my-gpt-4o} → {@code POST {endpoint}/openai/deployments/my-gpt-4o/
 * chat/completions?api-version=...}); the key goes in the {@code api-key} header. Azure's extra fields
 * ({@code prompt_filter_results}, {@code content_filter_results}) reach the client untouched, and a
 * content-filtered answer keeps {@code finish_reason: content_filter}. Thread-safe.
 */
public final class AzureOpenAiAdapter extends OpenAiAdapter {
  private final String deployments;
  private final String apiVersion;

  /**
   * @param endpoint the resource endpoint, e.g. {@code https://my-resource.openai.azure.com}, no
   *     trailing slash
   * @param apiVersion e.g. {@code 2024-10-21}
   * @param headers extra headers from the configuration
   */
  public AzureOpenAiAdapter(String endpoint, String apiVersion, Map<String, String> headers) {
    super(endpoint, headers);
    this.deployments = endpoint + "/openai/deployments/";
    this.apiVersion = URLEncoder.encode(apiVersion, StandardCharsets.UTF_8);
  }

  @Override
  protected URI chatUri(String deployment) {
    return uri(deployment, "chat/completions");
  }

  @Override
  protected URI embeddingsUri(String deployment) {
    return uri(deployment, "embeddings");
  }

  private URI uri(String deployment, String operation) {
    // a deployment name is letters, digits, '-', '_' and '.'; encode anyway so a route can never alter the path
    return URI.create(deployments + URLEncoder.encode(deployment, StandardCharsets.UTF_8).replace("+", "%20") + "/"
        + operation + "?api-version=" + apiVersion);
  }

  @Override
  protected void authorize(Map<String, String> upstreamHeaders, String key) {
    upstreamHeaders.put("api-key", key);
  }
}
