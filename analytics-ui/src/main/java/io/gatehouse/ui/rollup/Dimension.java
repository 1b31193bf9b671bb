package io.gatehouse.ui.rollup;

import java.util.Arrays;
import java.util.Optional;

/**
 * What spend can be grouped by. Each value maps to a constant SQL expression (never user input).
 * All but {@link #TAG} are rollup columns; tags live only in the raw events (Nested key/value).
 */
public enum Dimension {
  TEAM("team", "Team", "team"),
  USER("user", "User", "user"),
  FEATURE("feature", "Feature", "feature"),
  MODEL("model", "Model", "model"),
  PROVIDER("provider", "Provider", "provider"),
  KEY("key", "Virtual key", "virtual_key_id"),
  TAG("tag", "Tag", null);

  private final String param;
  private final String label;
  private final String column;

  Dimension(String param, String label, String column) {
    this.param = param;
    this.label = label;
    this.column = column;
  }

  /** The value in URLs ({@code ?by=team}). */
  public String param() {
    return param;
  }

  public String label() {
    return label;
  }

  /** The rollup column; empty for {@link #TAG}. */
  public Optional<String> rollupColumn() {
    return Optional.ofNullable(column);
  }

  public static Optional<Dimension> ofParam(String param) {
    return Arrays.stream(values()).filter(d -> d.param.equals(param)).findFirst();
  }
}
