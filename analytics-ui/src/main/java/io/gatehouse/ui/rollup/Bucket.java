package io.gatehouse.ui.rollup;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** Time buckets of rollup charts (an hour is the finest grain a rollup has), UTC. */
public enum Bucket {
  HOUR("hour", "Hour", "toStartOfHour"),
  DAY("day", "Day", "toStartOfDay"),
  WEEK("week", "Week", "toMonday"),
  MONTH("month", "Month", "toStartOfMonth");

  private final String param;
  private final String label;
  private final String sqlFunction;

  Bucket(String param, String label, String sqlFunction) {
    this.param = param;
    this.label = label;
    this.sqlFunction = sqlFunction;
  }

  public String param() {
    return param;
  }

  public String label() {
    return label;
  }

  /** Constant SQL rounding a DateTime column down to this bucket, as a DateTime in UTC. */
  String sql(String column) {
    return this == HOUR ? "toStartOfHour(" + column + ")" : "toDateTime(" + sqlFunction + "(" + column + "), 'UTC')";
  }

  public Instant floor(Instant t) {
    LocalDate day = t.atOffset(ZoneOffset.UTC).toLocalDate();
    return switch (this) {
      case HOUR -> t.truncatedTo(ChronoUnit.HOURS);
      case DAY -> day.atStartOfDay().toInstant(ZoneOffset.UTC);
      case WEEK -> day.with(TemporalAdjusters.previousOrSame(java.time.DayOfWeek.MONDAY)).atStartOfDay().toInstant(ZoneOffset.UTC);
      case MONTH -> day.withDayOfMonth(1).atStartOfDay().toInstant(ZoneOffset.UTC);
    };
  }

  public Instant next(Instant start) {
    return switch (this) {
      case HOUR -> start.plus(1, ChronoUnit.HOURS);
      case DAY -> start.plus(1, ChronoUnit.DAYS);
      case WEEK -> start.plus(7, ChronoUnit.DAYS);
      case MONTH -> start.atOffset(ZoneOffset.UTC).plusMonths(1).toInstant();
    };
  }

  /** Every bucket start from the one holding {@code from} to the one holding {@code to - 1s}. */
  public List<Instant> starts(Instant from, Instant to) {
    List<Instant> out = new ArrayList<>();
    for (Instant t = floor(from); t.isBefore(to); t = next(t)) {
      out.add(t);
    }
    return out;
  }

  public static Optional<Bucket> ofParam(String param) {
    return Arrays.stream(values()).filter(b -> b.param.equals(param)).findFirst();
  }
}
