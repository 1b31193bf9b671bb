package io.gatehouse.ui.budget;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Monthly budgets in USD the dashboard compares spend against, from {@code GATEHOUSE_UI_BUDGETS}:
 * {@code total=1000,team:search=200,key:vk_123=50}. The proxy enforces its own key budgets (admin
 * API); these are the UI's view of them until the two share one store. Immutable.
 */
public record Budgets(Map<String, Double> monthlyUsd) {
  public Budgets {
    monthlyUsd = Map.copyOf(monthlyUsd);
  }

  public static Budgets none() {
    return new Budgets(Map.of());
  }

  public static Budgets parse(String text) {
    Map<String, Double> out = new LinkedHashMap<>();
    if (text == null || text.isBlank()) {
      return none();
    }
    for (String entry : text.split("[,\\s]+")) {
      if (entry.isEmpty()) {
        continue;
      }
      int eq = entry.lastIndexOf('=');
      String name = eq <= 0 ? "" : entry.substring(0, eq);
      if (!(name.equals("total") || name.startsWith("team:") || name.startsWith("key:"))) {
        throw new IllegalArgumentException("GATEHOUSE_UI_BUDGETS: expected total=USD, team:NAME=USD or key:ID=USD, got '" + entry + "'");
      }
      try {
        double usd = Double.parseDouble(entry.substring(eq + 1));
        if (!(usd > 0) || Double.isInfinite(usd)) {
          throw new NumberFormatException();
        }
        out.put(name, usd);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("GATEHOUSE_UI_BUDGETS: '" + entry + "' needs a positive USD amount");
      }
    }
    return new Budgets(out);
  }

  public Optional<Double> total() {
    return Optional.ofNullable(monthlyUsd.get("total"));
  }

  public Optional<Double> team(String team) {
    return Optional.ofNullable(monthlyUsd.get("team:" + team));
  }

  public Optional<Double> key(String key) {
    return Optional.ofNullable(monthlyUsd.get("key:" + key));
  }
}
