package io.gatehouse.proxy.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The value syntaxes every config section shares, parsed in one place; each caller words its own
 * error (it knows the path and what it expects). Stateless.
 */
public final class ConfigValues {
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)");
  private static final Pattern BYTE_SIZE = Pattern.compile("(\\d+)\\s*([KMGT]i?B?|B)?", Pattern.CASE_INSENSITIVE);

  private ConfigValues() {}

  /** {@code 250ms}, {@code 2s}, {@code 5m}, {@code 1h} (zero allowed), or null when {@code text} is not one. */
  public static Duration duration(String text) {
    Matcher m = DURATION.matcher(text);
    if (!m.matches()) {
      return null;
    }
    long amount;
    try {
      amount = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      return null;
    }
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(amount);
      case "s" -> Duration.ofSeconds(amount);
      case "m" -> Duration.ofMinutes(amount);
      default -> Duration.ofHours(amount);
    };
  }

  /**
   * {@code 2GB}, {@code 512MiB}, {@code 65536} (bytes; K/M/G/T are powers of 1024 either way) as a
   * positive byte count, or null when {@code text} is not one or overflows.
   */
  public static Long byteSize(String text) {
    Matcher m = BYTE_SIZE.matcher(text);
    if (!m.matches()) {
      return null;
    }
    String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT);
    int shift = switch (unit.charAt(0)) {
      case 'K' -> 10;
      case 'M' -> 20;
      case 'G' -> 30;
      case 'T' -> 40;
      default -> 0;
    };
    try {
      long v = Long.parseLong(m.group(1));
      return v > 0 && v <= (Long.MAX_VALUE >> shift) ? v << shift : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
