package io.gatehouse.proxy.routing;

import io.gatehouse.proxy.config.RoutingRule;
import java.util.List;
import java.util.Map;

/**
 * {@code routing.rules}: the first rule whose conditions all hold names the model a request goes to.
 * Rules do not chain: the model a rule names is not matched against the rules again. Immutable;
 * thread-safe.
 */
final class RoutingRules {
  private final List<RoutingRule> rules;

  RoutingRules(List<RoutingRule> rules) {
    this.rules = List.copyOf(rules);
  }

  /** The first matching rule, or null. */
  RoutingRule firstMatch(String requestedModel, RouteFacts facts) {
    for (RoutingRule rule : rules) {
      if (matches(rule.when(), requestedModel, facts)) {
        return rule;
      }
    }
    return null;
  }

  static boolean matches(RoutingRule.When when, String requestedModel, RouteFacts facts) {
    return equalIfSet(when.model(), requestedModel)
        && equalIfSet(when.feature(), facts.feature())
        && equalIfSet(when.team(), facts.team())
        && equalIfSet(when.user(), facts.user())
        && allPresent(when.tags(), facts.tags()::get)
        && allPresent(when.headers(), name -> strip(facts.header().apply(name)))
        && (when.promptTokensOver() == null || facts.estimatedPromptTokens() > when.promptTokensOver())
        && (when.hasTools() == null || when.hasTools() == facts.hasTools())
        && (when.hasImages() == null || when.hasImages() == facts.hasImages());
  }

  private static boolean equalIfSet(String wanted, String actual) {
    return wanted == null || wanted.equals(actual);
  }

  private static boolean allPresent(Map<String, String> wanted, java.util.function.Function<String, String> actual) {
    for (Map.Entry<String, String> e : wanted.entrySet()) {
      if (!e.getValue().equals(actual.apply(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  private static String strip(String s) {
    return s == null ? null : s.strip();
  }
}
