package io.gatehouse.ui.requests;

import java.time.Instant;
import java.util.Objects;

/**
 * Which requests to show: {@code from <= ts < to}, and, if {@code search} is not blank, only rows whose
 * user, team, feature, model or provider contains it (case-insensitive), and only rows matching
 * {@code criteria}. {@code search} and {@code criteria} are user input.
 */
public record RequestFilter(Instant from, Instant to, String search, RequestCriteria criteria) {
  public RequestFilter {
    Objects.requireNonNull(from, "from");
    criteria = criteria == null ? RequestCriteria.ANY : criteria;
    Objects.requireNonNull(to, "to");
    if (!from.isBefore(to)) {
      throw new IllegalArgumentException("from must be before to: " + from + " / " + to);
    }
    search = search == null ? "" : search.strip();
  }

  public RequestFilter(Instant from, Instant to, String search) {
    this(from, to, search, RequestCriteria.ANY);
  }

  /** The last {@code range} up to {@code now}; {@code to} is one second past now so that ts = now is included. */
  public static RequestFilter last(TimeRange range, Instant now, String search) {
    return last(range, now, search, RequestCriteria.ANY);
  }

  public static RequestFilter last(TimeRange range, Instant now, String search, RequestCriteria criteria) {
    Instant to = now.plusSeconds(1);
    return new RequestFilter(to.minus(range.length()), to, search, criteria);
  }
}
