package io.gatehouse.ui.clickhouse;

/**
 * Renders values as ClickHouse SQL literals. ClickHouse 18.16 has no query parameters, so every
 * user-supplied string that reaches SQL goes through {@link #string(String)}; numbers are passed as
 * Java numeric types and rendered with {@link #integer(long)}, never as strings.
 */
public final class SqlLiteral {
  private SqlLiteral() {}

  /**
   * A single-quoted string literal that denotes exactly {@code value}: backslash and quote are
   * escaped, and control characters become escapes so that no byte can end the literal or the
   * statement (the HTTP interface reads the whole body as one query).
   */
  public static String string(String value) {
    StringBuilder out = new StringBuilder(value.length() + 2).append('\'');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '\'' -> out.append("\\'");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\0' -> out.append("\\0");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            out.append(String.format("\\x%02X", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('\'').toString();
  }

  /** A decimal integer literal; exists so that call sites say which numbers enter SQL. */
  public static String integer(long value) {
    return Long.toString(value);
  }
}
