package io.gatehouse.proxy.routing;

import io.gatehouse.proxy.config.ModelAlias;
import java.util.List;

/**
 * Orders an alias's targets for one request: the first is tried first, the others are fallbacks in the
 * returned order. An alias names its policy with {@code strategy:}; {@link TargetPolicies} maps names to
 * implementations, one class each.
 *
 * <p>Contract: returns every target exactly once (a permutation; never drops one, because dropping a
 * fallback would be a silent outage), never an empty list, and does no I/O. Called on the request's
 * thread, possibly an IO thread, concurrently: implementations are thread-safe.
 */
public interface TargetPolicy {

  /**
   * @param targets the alias's targets in configuration order, never empty; not to be modified
   * @param facts what is known about the request ({@link RouteFacts#NONE} when nothing is)
   */
  List<ModelAlias.Target> order(List<ModelAlias.Target> targets, RouteFacts facts);
}
