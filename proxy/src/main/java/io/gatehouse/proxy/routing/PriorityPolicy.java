package io.gatehouse.proxy.routing;

import io.gatehouse.proxy.config.ModelAlias;
import java.util.List;

/** {@code strategy: priority} (the default): configuration order, the first target is the primary. */
final class PriorityPolicy implements TargetPolicy {
  @Override
  public List<ModelAlias.Target> order(List<ModelAlias.Target> targets, RouteFacts facts) {
    return targets;
  }
}
