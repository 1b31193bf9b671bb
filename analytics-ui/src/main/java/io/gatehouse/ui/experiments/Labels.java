package io.gatehouse.ui.experiments;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Feedback labels of one variant (the latest label of each labelled request), counted per label and
 * read as thumbs up or down where the label obviously says so: {@link #POSITIVE} and {@link #NEGATIVE},
 * compared ignoring case, surrounding blanks, and "-" or " " for "_" ("Thumbs-Up" is "thumbs_up").
 * Other labels are counted but have no direction. Immutable.
 *
 * @param counts requests per label, as sent
 */
public record Labels(Map<String, Long> counts) {
  public static final Labels NONE = new Labels(Map.of());
  static final Set<String> POSITIVE = Set.of("good", "thumbs_up", "thumbsup", "up", "positive", "like",
      "helpful", "correct", "yes", "+1", "👍");
  static final Set<String> NEGATIVE = Set.of("bad", "thumbs_down", "thumbsdown", "down", "negative", "dislike",
      "unhelpful", "incorrect", "wrong", "no", "-1", "👎");

  public Labels {
    counts = Map.copyOf(counts);
  }

  /** +1 for a positive label, −1 for a negative one, 0 for any other. */
  static int direction(String label) {
    String l = label.strip().toLowerCase(Locale.ROOT);
    String joined = l.replace('-', '_').replace(' ', '_');
    return POSITIVE.contains(l) || POSITIVE.contains(joined) ? 1 : NEGATIVE.contains(l) || NEGATIVE.contains(joined) ? -1 : 0;
  }

  public long total() {
    return counts.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Share of positive labels among those with a direction, as a 0/1 sample (for the Welch test). */
  public Sample positiveShare() {
    long up = 0;
    long down = 0;
    for (Map.Entry<String, Long> e : counts.entrySet()) {
      int d = direction(e.getKey());
      up += d > 0 ? e.getValue() : 0;
      down += d < 0 ? e.getValue() : 0;
    }
    return Sample.ofProportion(up, up + down);
  }
}
