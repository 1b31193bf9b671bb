package io.gatehouse.proxy.routing;

import static io.gatehouse.proxy.routing.RouteRulesTest.table;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.proxy.config.ModelAlias;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class RoutePoliciesTest {
  private static final List<ModelAlias.Target> TARGETS = List.of(new ModelAlias.Target("a", "m1", 50),
      new ModelAlias.Target("b", "m2", 30), new ModelAlias.Target("c", "m3", 20));

  /**
   * 10,000 draws per test. A count with probability p has standard deviation sqrt(n p (1 - p)) ≤ 50
   * here, so ±250 is five standard deviations: with a seeded generator the test is deterministic, and
   * it would still pass for any seed with probability above 0.999999 — yet a wrong distribution (say,
   * uniform: 3,333 each) fails it by far.
   */
  private static final int DRAWS = 10_000;
  private static final int TOLERANCE = 250;

  @Test
  void weightedDrawsThePrimaryByWeight() {
    TargetPolicy weighted = new WeightedPolicy(new Random(42));
    Map<String, Integer> firsts = new HashMap<>();
    for (int i = 0; i < DRAWS; i++) {
      firsts.merge(weighted.order(TARGETS, RouteFacts.NONE).get(0).id(), 1, Integer::sum);
    }
    assertThat(firsts.get("a/m1")).isBetween(5000 - TOLERANCE, 5000 + TOLERANCE);
    assertThat(firsts.get("b/m2")).isBetween(3000 - TOLERANCE, 3000 + TOLERANCE);
    assertThat(firsts.get("c/m3")).isBetween(2000 - TOLERANCE, 2000 + TOLERANCE);
  }

  @Test
  void weightedKeepsTheOthersInConfigurationOrderAsFallbacks() {
    // a generator that always draws the top of the range picks the last target
    RandomGenerator top = new RandomGenerator() {
      @Override
      public long nextLong() {
        return 0;
      }

      @Override
      public long nextLong(long bound) {
        return bound - 1;
      }
    };
    assertThat(new WeightedPolicy(top).order(TARGETS, RouteFacts.NONE)).extracting(ModelAlias.Target::id)
        .containsExactly("c/m3", "a/m1", "b/m2");
    RandomGenerator middle = new RandomGenerator() {
      @Override
      public long nextLong() {
        return 0;
      }

      @Override
      public long nextLong(long bound) {
        return 50; // the first unit of b's slice [50, 80)
      }
    };
    assertThat(new WeightedPolicy(middle).order(TARGETS, RouteFacts.NONE)).extracting(ModelAlias.Target::id)
        .containsExactly("b/m2", "a/m1", "c/m3");
  }

  @Test
  void aZeroWeightTargetIsNeverPrimaryButStaysAFallback() {
    List<ModelAlias.Target> targets = List.of(new ModelAlias.Target("a", "m1", 0),
        new ModelAlias.Target("b", "m2", 1), new ModelAlias.Target("c", "m3", 0));
    TargetPolicy weighted = new WeightedPolicy(new Random(1));
    for (int i = 0; i < 1000; i++) {
      assertThat(weighted.order(targets, RouteFacts.NONE)).extracting(ModelAlias.Target::id)
          .containsExactly("b/m2", "a/m1", "c/m3");
    }
  }

  @Test
  void priorityKeepsConfigurationOrder() {
    assertThat(new PriorityPolicy().order(TARGETS, RouteFacts.NONE)).isEqualTo(TARGETS);
  }

  @Test
  void theRegistryNamesEveryPolicy() {
    TargetPolicies.Context context = new TargetPolicies.Context(new Random(0));
    assertThat(TargetPolicies.names()).containsExactly("priority", "weighted");
    assertThat(TargetPolicies.create("priority", context)).isInstanceOf(PriorityPolicy.class);
    assertThat(TargetPolicies.create("weighted", context)).isInstanceOf(WeightedPolicy.class);
  }

  @Test
  void aWeightedAliasRoutesThroughItsPolicyWithAllTargets() {
    RouteTable routes = table(RouteRulesTest.PROVIDERS.replace("  smart: { targets: [openai/gpt-4o, anthropic/claude-sonnet-4] }",
        "  smart: { strategy: weighted, targets: [{model: openai/gpt-4o, weight: 80}, "
            + "{model: anthropic/claude-sonnet-4, weight: 20}, local/llama-3] }"));
    // the drawn target first, then the others in configuration order
    Map<String, List<String>> orders = Map.of(
        "openai/gpt-4o", List.of("openai/gpt-4o", "anthropic/claude-sonnet-4", "local/llama-3"),
        "anthropic/claude-sonnet-4", List.of("anthropic/claude-sonnet-4", "openai/gpt-4o", "local/llama-3"),
        "local/llama-3", List.of("local/llama-3", "openai/gpt-4o", "anthropic/claude-sonnet-4"));
    Map<String, Integer> firsts = new HashMap<>();
    for (int i = 0; i < DRAWS; i++) {
      RouteTable.Route route = (RouteTable.Route) routes.resolve("smart");
      assertThat(route.route()).isEqualTo("smart");
      List<String> ids = route.targets().stream().map(RouteTable.Target::id).toList();
      assertThat(ids).isEqualTo(orders.get(ids.get(0)));
      firsts.merge(ids.get(0), 1, Integer::sum);
    }
    int openAiFirst = firsts.get("openai/gpt-4o");
    // p = 80/101 → 7,921 expected, standard deviation 41; the weight-1 target: 99 expected, deviation 10
    assertThat(openAiFirst).isBetween(7921 - 205, 7921 + 205);
    assertThat(firsts.get("local/llama-3")).isBetween(99 - 50, 99 + 50);
  }
}
