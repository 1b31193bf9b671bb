package io.gatehouse.ui.experiments;

import java.util.List;

/**
 * Something with variants to compare: a routing experiment ({@code experiment}/{@code variant}
 * columns) or a prompt ({@code x-gatehouse-prompt: id@version} → {@code prompt_id}/{@code prompt_version}).
 */
public record Experiment(Kind kind, String name, List<String> variants, long requests) {
  public enum Kind {
    EXPERIMENT("experiment", "experiment", "variant"),
    PROMPT("prompt", "prompt_id", "prompt_version");

    private final String param;
    /** Constant column names, never user input. */
    final String nameColumn;
    final String variantColumn;

    Kind(String param, String nameColumn, String variantColumn) {
      this.param = param;
      this.nameColumn = nameColumn;
      this.variantColumn = variantColumn;
    }

    public String param() {
      return param;
    }
  }

  /** "experiment support-prompt-v3" / "prompt summarize". */
  public String label() {
    return kind.param() + " " + name;
  }
}
