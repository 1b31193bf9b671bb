package io.gatehouse.proxy.routing;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * The {@code strategy:} names an alias may use, and the policy each builds. Adding a policy (say
 * {@code latency-aware}) is one {@link TargetPolicy} class and one line here; the config loader
 * validates names against {@link #names()}.
 */
public final class TargetPolicies {
  /** The strategy of an alias that names none. */
  public static final String DEFAULT = "priority";

  /** What a policy may use; shared by every policy of one route table. */
  public record Context(RandomGenerator random) {}

  private static final Map<String, Function<Context, TargetPolicy>> REGISTRY = registry();

  private static Map<String, Function<Context, TargetPolicy>> registry() {
    Map<String, Function<Context, TargetPolicy>> r = new LinkedHashMap<>();
    r.put("priority", c -> new PriorityPolicy());
    r.put("weighted", c -> new WeightedPolicy(c.random()));
    return Collections.unmodifiableMap(r);
  }

  private TargetPolicies() {}

  /** Valid strategy names, the default first. */
  public static Set<String> names() {
    return REGISTRY.keySet();
  }

  /** @throws IllegalArgumentException for a name not in {@link #names()} (the loader rejects those) */
  public static TargetPolicy create(String name, Context context) {
    Function<Context, TargetPolicy> factory = REGISTRY.get(name);
    if (factory == null) {
      throw new IllegalArgumentException("unknown strategy '" + name + "'");
    }
    return factory.apply(context);
  }
}
