package io.gatehouse.schemas.clickhouse;

/**
 * ClickHouse rejected a statement; the message is the server's first line, e.g. "Code: 60,
 * e.displayText() = DB::Exception: Table gatehouse.events doesn't exist."
 */
public class ClickHouseException extends IllegalStateException {
  public ClickHouseException(String message) {
    super(message);
  }

  protected ClickHouseException(String message, Throwable cause) {
    super(message, cause);
  }
}
