package io.gatehouse.ui.requests;

import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** How the Requests page writes values: UTC times, grouped integers, dollars, and "—" for unknown. */
public final class RequestFormat {
  static final String UNKNOWN = "—";

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter TIME_OF_DAY =
      DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final DecimalFormatSymbols SYMBOLS = DecimalFormatSymbols.getInstance(Locale.US);

  private RequestFormat() {}

  public static String time(Instant t) {
    return TIME.format(t);
  }

  public static String timeOfDay(Instant t) {
    return TIME_OF_DAY.format(t);
  }

  public static String count(Long n) {
    return n == null ? UNKNOWN : new DecimalFormat("#,##0", SYMBOLS).format(n);
  }

  public static String millis(Long ms) {
    return ms == null ? UNKNOWN : count(ms) + " ms";
  }

  /** Sub-cent costs keep six decimals (typical per-call costs), larger ones four. */
  public static String usd(Double cost) {
    if (cost == null) {
      return UNKNOWN;
    }
    String pattern = Math.abs(cost) < 0.01 ? "$0.000000" : "$#,##0.0000";
    return new DecimalFormat(pattern, SYMBOLS).format(cost);
  }

  public static String text(String value) {
    return value == null || value.isEmpty() ? UNKNOWN : value;
  }
}
