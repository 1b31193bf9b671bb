package io.gatehouse.proxy.provider;

import io.gatehouse.proxy.config.ProviderConfig;
import io.gatehouse.proxy.config.ProviderType;
import io.gatehouse.proxy.provider.anthropic.AnthropicAdapter;
import io.gatehouse.proxy.provider.azure.AzureOpenAiAdapter;
import io.gatehouse.proxy.provider.gemini.GeminiAdapter;
import io.gatehouse.proxy.provider.openai.OpenAiAdapter;
import io.gatehouse.schemas.pricing.PriceCatalog;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A configured upstream account at run time: where to send, which key to use next. Keys rotate
 * round-robin. Thread-safe.
 */
public final class Provider {
  private final ProviderConfig config;
  private final ChatAdapter adapter;
  private final AtomicInteger nextKey = new AtomicInteger();
  private final PriceCatalog prices;

  public Provider(ProviderConfig config) {
    this(config, PriceCatalog.builtIn());
  }

  /** @param prices the catalog that prices this provider's answers */
  public Provider(ProviderConfig config, PriceCatalog prices) {
    this.config = config;
    this.prices = prices;
    this.adapter = switch (config.type()) {
      case OPENAI, OPENAI_COMPATIBLE -> new OpenAiAdapter(config.baseUrl(), config.headers());
      case ANTHROPIC -> new AnthropicAdapter(config.baseUrl(), config.headers());
      case AZURE_OPENAI -> new AzureOpenAiAdapter(config.baseUrl(), config.apiVersion(), config.headers());
      case GEMINI -> new GeminiAdapter(config.baseUrl(), config.headers());
    };
  }

  public String name() {
    return config.name();
  }

  public ProviderType type() {
    return config.type();
  }

  public String baseUrl() {
    return config.baseUrl();
  }

  /** The catalog that prices this provider's answers. */
  public PriceCatalog prices() {
    return prices;
  }

  /** How to speak chat completions to this provider. */
  public ChatAdapter adapter() {
    return adapter;
  }

  public Map<String, String> headers() {
    return config.headers();
  }

  public int keyCount() {
    return config.keys().size();
  }

  /** The key to use for one request; {@code key} is null for keyless providers. */
  public Credential nextCredential() {
    List<String> keys = config.keys();
    if (keys.isEmpty()) {
      return new Credential(0, null);
    }
    int i = Math.floorMod(nextKey.getAndIncrement(), keys.size());
    return new Credential(i, keys.get(i));
  }

  /** {@code name#keyIndex/model}: names a deployment in events without revealing the key. */
  public String deployment(int keyIndex, String model) {
    return config.name() + "#" + keyIndex + "/" + model;
  }

  /** A key and its index; {@link #toString()} hides the key. */
  public record Credential(int index, String key) {
    @Override
    public String toString() {
      return "Credential[#" + index + "]";
    }
  }
}
