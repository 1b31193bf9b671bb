package io.gatehouse.proxy.routing;

import static io.gatehouse.proxy.routing.RouteFactsTest.facts;
import static io.gatehouse.proxy.routing.RouteRulesTest.table;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.proxy.config.Experiment;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouteExperimentsTest {
  private static final String CONFIG = RouteRulesTest.PROVIDERS
      + "  support-chat: { targets: [openai/gpt-4o-mini] }\n"
      + "routing: { rules: [ { when: { feature: support }, model: support-chat } ] }\n";

  private static final String EXPERIMENTS = String.join("\n",
      "experiments:",
      "  support-prompt-v3:",
      "    model: support-chat",
      "    sticky_by: user",
      "    split:",
      "      control: 50",
      "      candidate: { weight: 50, model: smart }",
      "  session-split:",
      "    model: openai/gpt-4o",
      "    sticky_by: session",
      "    split: { a: 1, b: { weight: 1, model: anthropic/claude-sonnet-4 } }",
      "");

  /** 10,000 users at p = 0.5: standard deviation 50, tolerance five of them (see RoutePoliciesTest). */
  private static final int USERS = 10_000;
  private static final int TOLERANCE = 250;

  private static RouteTable routes() {
    return table(CONFIG + EXPERIMENTS);
  }

  private static final RouteTable ROUTES = routes();

  private static RouteTable.Route support(String user) {
    return (RouteTable.Route) ROUTES.resolve("chat-default",
        facts(Map.of("x-gatehouse-feature", "support", "x-gatehouse-user", user), "{\"messages\":[]}"));
  }

  @Test
  void aRuleLeadsIntoAnExperimentWhoseVariantRoutesAndIsRecorded() {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < USERS; i++) {
      RouteTable.Route route = support("user-" + i);
      assertThat(route.experiment()).isEqualTo("support-prompt-v3");
      switch (route.variant()) {
        case "control" -> assertThat(route.route()).isEqualTo("support-chat"); // keeps the experiment's model
        case "candidate" -> assertThat(route.route()).isEqualTo("smart");
        default -> throw new AssertionError(route.variant());
      }
      counts.merge(route.variant(), 1, Integer::sum);
    }
    assertThat(counts.get("control")).isBetween(5000 - TOLERANCE, 5000 + TOLERANCE);
  }

  @Test
  void aUserStaysInOneVariant() {
    for (int i = 0; i < 200; i++) {
      String variant = support("user-" + i).variant();
      for (int again = 0; again < 5; again++) {
        assertThat(support("user-" + i).variant()).isEqualTo(variant);
      }
    }
    // and on another proxy replica (another table, another random seed)
    RouteTable other = routes();
    for (int i = 0; i < 200; i++) {
      assertThat(((RouteTable.Route) other.resolve("support-chat", facts(Map.of("x-gatehouse-user", "user-" + i),
          "{}"))).variant()).isEqualTo(support("user-" + i).variant());
    }
  }

  @Test
  void requestsWithoutTheStickyKeyAreSplitAtRandom() {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < USERS; i++) {
      RouteTable.Route route = (RouteTable.Route) ROUTES.resolve("openai/gpt-4o", RouteFacts.NONE);
      assertThat(route.experiment()).isEqualTo("session-split");
      counts.merge(route.variant(), 1, Integer::sum);
    }
    assertThat(counts.get("a")).isBetween(5000 - TOLERANCE, 5000 + TOLERANCE);
    // with a session, the same session always gets the same variant even from different users
    String variant = sessionVariant("s-42", "u1");
    for (int i = 0; i < 50; i++) {
      assertThat(sessionVariant("s-42", "u" + i)).isEqualTo(variant);
    }
  }

  private static String sessionVariant(String session, String user) {
    return ((RouteTable.Route) ROUTES.resolve("openai/gpt-4o",
        facts(Map.of("x-gatehouse-session", session, "x-gatehouse-user", user), "{}"))).variant();
  }

  @Test
  void modelsOutsideExperimentsRecordNone() {
    RouteTable.Route route = (RouteTable.Route) ROUTES.resolve("chat-default", RouteFacts.NONE);
    assertThat(route.experiment()).isNull();
    assertThat(route.variant()).isNull();
    // resolve(model) applies no experiment
    assertThat(((RouteTable.Route) ROUTES.resolve("openai/gpt-4o")).experiment()).isNull();
  }

  @Test
  void changingWeightsMovesOnlyTheUsersWhoseSliceChanged() {
    List<Experiment.Variant> even = List.of(new Experiment.Variant("control", 50, null),
        new Experiment.Variant("candidate", 50, "smart"));
    List<Experiment.Variant> more = List.of(new Experiment.Variant("control", 60, null),
        new Experiment.Variant("candidate", 40, "smart"));
    int moved = 0;
    for (int i = 0; i < USERS; i++) {
      double point = Experiments.point("exp", "user-" + i);
      String before = Experiments.pick(even, point).name();
      String after = Experiments.pick(more, point).name();
      if (before.equals("control")) {
        assertThat(after).isEqualTo("control");
      } else if (after.equals("control")) {
        moved++;
      }
    }
    // 10 % of users expected: 1,000, standard deviation 30
    assertThat(moved).isBetween(1000 - 150, 1000 + 150);
  }

  @Test
  void aZeroWeightVariantGetsNobody() {
    List<Experiment.Variant> variants = List.of(new Experiment.Variant("a", 0, null),
        new Experiment.Variant("b", 3, null), new Experiment.Variant("c", 0, null));
    assertThat(Experiments.pick(variants, 0.0).name()).isEqualTo("b");
    assertThat(Experiments.pick(variants, Math.nextDown(1.0)).name()).isEqualTo("b");
  }

  @Test
  void theStickyHashIsFixed() {
    // a changed hash would silently move users between variants of running experiments
    assertThat(Experiments.point("support-prompt-v3", "user-1")).isEqualTo(PINNED);
    assertThat(Experiments.point("support-prompt-v3", "user-1"))
        .isNotEqualTo(Experiments.point("other-experiment", "user-1"));
  }

  /** Computed once by an independent implementation (Python) of the documented hash. */
  private static final double PINNED = 0.9850082414412938;
}
