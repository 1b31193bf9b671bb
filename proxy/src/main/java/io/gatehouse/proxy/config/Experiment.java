package io.gatehouse.proxy.config;

import java.util.List;

/**
 * One entry of {@code experiments}: requests for {@code model} are split between variants by weight,
 * the same variant every time for the same user (or session). The event records the experiment's name
 * and the variant.
 *
 * @param model the model alias or {@code provider/model} whose requests are split (after rules)
 * @param variants in configuration order; their weights sum to more than 0
 */
public record Experiment(String name, String model, List<Variant> variants, StickyBy stickyBy) {
  public Experiment {
    variants = List.copyOf(variants);
  }

  /**
   * @param weight relative share, ≥ 0 (0 turns a variant off without removing it)
   * @param model where this variant's requests go (an alias or {@code provider/model}), or null to keep
   *     the experiment's model
   */
  public record Variant(String name, int weight, String model) {}

  /** What keeps a caller in one variant. */
  public enum StickyBy {
    USER, SESSION;

    public String yamlName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
