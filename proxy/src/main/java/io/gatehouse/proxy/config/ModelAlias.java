package io.gatehouse.proxy.config;

import java.util.List;

/**
 * A public model name mapped to upstream targets. The first target is the primary; the others are
 * fallbacks (used by a later failover stage; today only the first one is routed to).
 *
 * @param strategy {@code priority} (default) or {@code weighted}
 */
public record ModelAlias(String name, String strategy, List<Target> targets) {
  public ModelAlias {
    targets = List.copyOf(targets);
  }

  /** {@code provider/model}; {@code weight} is 1 unless given. */
  public record Target(String provider, String model, int weight) {
    public String id() {
      return provider + "/" + model;
    }
  }
}
