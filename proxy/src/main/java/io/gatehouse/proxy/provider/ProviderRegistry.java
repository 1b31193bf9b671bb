package io.gatehouse.proxy.provider;

import io.gatehouse.proxy.config.GatehouseConfig;
import io.gatehouse.proxy.config.ProviderConfig;
import io.gatehouse.schemas.pricing.PriceCatalog;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** All configured providers by name, in configuration order. Immutable after construction. */
public final class ProviderRegistry {
  private final Map<String, Provider> providers;
  private final PriceCatalog prices;

  public ProviderRegistry(GatehouseConfig config) {
    Map<String, Provider> map = new LinkedHashMap<>();
    this.prices = PriceCatalog.builtIn().withOverrides(config.prices());
    for (ProviderConfig p : config.providers().values()) {
      map.put(p.name(), new Provider(p, prices));
    }
    this.providers = Collections.unmodifiableMap(map);
  }

  /** The built-in catalog with the configuration's price overrides: what every event is priced with. */
  public PriceCatalog prices() {
    return prices;
  }

  public Optional<Provider> get(String name) {
    return Optional.ofNullable(providers.get(name));
  }

  public Collection<Provider> all() {
    return providers.values();
  }

  /** Names for messages, e.g. {@code "openai, local"}, or {@code "none"}. */
  public String namesForMessage() {
    return providers.isEmpty() ? "none" : String.join(", ", providers.keySet());
  }
}
