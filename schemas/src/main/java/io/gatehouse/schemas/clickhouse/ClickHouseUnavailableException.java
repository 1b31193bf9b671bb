package io.gatehouse.schemas.clickhouse;

/** The server could not be reached at all (refused, timed out): worth waiting for and retrying. */
public final class ClickHouseUnavailableException extends ClickHouseException {
  public ClickHouseUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
