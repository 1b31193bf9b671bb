package io.gatehouse.proxy.routing;

import io.gatehouse.proxy.config.Experiment;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Assigns requests for an experiment's model to one of its variants.
 *
 * <p>Sticky: the caller's key (user or session, per {@code sticky_by}) is hashed with the experiment's
 * name to a point in [0, 1), and the variants own consecutive slices of [0, 1) in configuration order,
 * sized by weight. The hash is the same on every proxy replica and across restarts, so a user stays in
 * one variant; changing weights moves only the users in the slices that changed (50/50 → 60/40 moves
 * 10 % of users from the second variant to the first). Different experiments split the same users
 * independently. A request without the key (no user, or no session) is assigned at random, per request.
 *
 * <p>Immutable; thread-safe if the random generator is.
 */
final class Experiments {
  /** The variant a request was assigned to; {@link #model()} is where it goes. */
  record Assignment(Experiment experiment, Experiment.Variant variant) {
    String model() {
      return variant.model() != null ? variant.model() : experiment.model();
    }
  }

  private final Map<String, Experiment> byModel = new HashMap<>();
  private final RandomGenerator random;

  /** @param experiments at most one per model (the loader checks) */
  Experiments(Iterable<Experiment> experiments, RandomGenerator random) {
    for (Experiment e : experiments) {
      byModel.putIfAbsent(e.model(), e);
    }
    this.random = random;
  }

  /** The assignment for a request routed to {@code model}, or null when no experiment splits it. */
  Assignment assign(String model, RouteFacts facts) {
    Experiment e = byModel.get(model);
    if (e == null) {
      return null;
    }
    String key = switch (e.stickyBy()) {
      case USER -> facts.user();
      case SESSION -> facts.session();
    };
    double point = key == null ? random.nextDouble() : point(e.name(), key);
    return new Assignment(e, pick(e.variants(), point));
  }

  /** The variant whose slice of [0, 1) holds {@code point}. */
  static Experiment.Variant pick(List<Experiment.Variant> variants, double point) {
    long total = 0;
    for (Experiment.Variant v : variants) {
      total += v.weight();
    }
    double at = point * total;
    Experiment.Variant last = null;
    for (Experiment.Variant v : variants) {
      if (v.weight() == 0) {
        continue;
      }
      last = v;
      at -= v.weight();
      if (at < 0) {
        return v;
      }
    }
    return last; // only reached through rounding at the top end; the loader ensures some weight > 0
  }

  /**
   * A stable point in [0, 1) for (experiment, key): 64-bit FNV-1a over the UTF-8 bytes, then the
   * MurmurHash3 finalizer so that similar keys ("user-1", "user-2") land far apart. Fixed forever:
   * changing it would move users between variants of running experiments.
   */
  static double point(String experiment, String key) {
    long h = 0xcbf29ce484222325L;
    for (byte b : (experiment + '\n' + key).getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return (h >>> 11) * 0x1.0p-53;
  }
}
