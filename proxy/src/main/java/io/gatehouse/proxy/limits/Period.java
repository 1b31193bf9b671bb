package io.gatehouse.proxy.limits;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Locale;

/** A budget period in UTC: the window a spend belongs to and when it resets. */
public enum Period {
  DAY, MONTH;

  @JsonValue
  public String yamlName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code day} or {@code month}; null for anything else. */
  @JsonCreator
  public static Period parse(String s) {
    return switch (s == null ? "" : s.strip().toLowerCase(Locale.ROOT)) {
      case "day", "daily" -> DAY;
      case "month", "monthly" -> MONTH;
      default -> null;
    };
  }

  /** The window of an instant: {@code 2026-11-25} for a day, {@code 2026-11} for a month. */
  public String window(long epochMs) {
    LocalDate d = Instant.ofEpochMilli(epochMs).atZone(ZoneOffset.UTC).toLocalDate();
    return this == DAY ? d.toString() : d.toString().substring(0, 7);
  }

  /** The first instant (epoch ms) of the next window. */
  public long resetsAt(long epochMs) {
    LocalDate d = Instant.ofEpochMilli(epochMs).atZone(ZoneOffset.UTC).toLocalDate();
    LocalDate next = this == DAY ? d.plusDays(1) : d.withDayOfMonth(1).plusMonths(1);
    return next.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
  }
}
