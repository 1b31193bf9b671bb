package io.gatehouse.proxy.routing;

import io.gatehouse.proxy.config.ModelAlias;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * {@code strategy: weighted}: the primary is drawn per request with probability weight / sum of weights;
 * the other targets follow as fallbacks in configuration order. A target of weight 0 is never drawn
 * first but is still a fallback. Not sticky: use an experiment to keep a user on one target.
 */
final class WeightedPolicy implements TargetPolicy {
  private final RandomGenerator random;

  /** @param random shared by all requests: must be thread-safe */
  WeightedPolicy(RandomGenerator random) {
    this.random = random;
  }

  @Override
  public List<ModelAlias.Target> order(List<ModelAlias.Target> targets, RouteFacts facts) {
    long total = 0;
    for (ModelAlias.Target t : targets) {
      total += t.weight();
    }
    if (total <= 0 || targets.size() == 1) { // the loader rejects a weighted alias whose weights sum to 0
      return targets;
    }
    long draw = random.nextLong(total);
    int picked = 0;
    for (; picked < targets.size() - 1; picked++) {
      draw -= targets.get(picked).weight();
      if (draw < 0) {
        break;
      }
    }
    if (picked == 0) {
      return targets;
    }
    List<ModelAlias.Target> ordered = new ArrayList<>(targets.size());
    ordered.add(targets.get(picked));
    for (int i = 0; i < targets.size(); i++) {
      if (i != picked) {
        ordered.add(targets.get(i));
      }
    }
    return ordered;
  }
}
