package io.gatehouse.ui.clickhouse;

/**
 * ClickHouse could not answer a query: unreachable, timed out, or it answered with an error (the
 * message is the server's first line, e.g. "Code: 60, e.displayText() = DB::Exception: Table
 * gatehouse.events doesn't exist.").
 */
public final class ClickHouseException extends RuntimeException {
  public ClickHouseException(String message, Throwable cause) {
    super(message, cause);
  }
}
