package io.gatehouse.proxy.config;

import java.util.List;

/**
 * A public model name mapped to upstream targets. The strategy orders the targets for each request:
 * the first is tried first, the others are fallbacks in that order.
 *
 * @param strategy a name from {@code io.gatehouse.proxy.routing.TargetPolicies}: {@code priority}
 *     (default: configuration order) or {@code weighted} (the first target drawn by weight, the others
 *     in configuration order)
 */
public record ModelAlias(String name, String strategy, List<Target> targets) {
  public ModelAlias {
    targets = List.copyOf(targets);
  }

  /** {@code provider/model}; {@code weight} is 1 unless given, ≥ 0 (0: never drawn first, still a fallback). */
  public record Target(String provider, String model, int weight) {
    public String id() {
      return provider + "/" + model;
    }
  }
}
