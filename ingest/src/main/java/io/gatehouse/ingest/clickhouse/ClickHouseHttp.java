package io.gatehouse.ingest.clickhouse;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/**
 * Runs DDL and small queries over ClickHouse's HTTP interface with plain {@code java.net.http}.
 *
 * <p>Why not client-v2 here: client-v2 0.9.6 finds a server error's text by the code in the
 * {@code X-ClickHouse-Exception-Code} header, which ClickHouse 18.16 does not send, so every error
 * reads "{@code <Unreadable error message>}". Migrations must fail with the server's own words
 * (which statement, which syntax error), so this class returns them verbatim. Bulk inserts still go
 * through client-v2 ({@link EventsInserter}).
 *
 * <p>Always POST (GET is read-only on ClickHouse); never asks for compressed responses (18.16 from
 * Debian answers {@code compress=1} with an empty body). Thread-safe.
 */
public final class ClickHouseHttp {
  private final URI url;
  private final String authorization;
  private final HttpClient http;

  public ClickHouseHttp(URI url, String user, String password) {
    this.url = url;
    this.authorization = "Basic " + Base64.getEncoder()
        .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1) // no h2c upgrade dance with an old server
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  /**
   * Runs one statement and returns the response body (the statement names its {@code FORMAT} when
   * it returns rows).
   *
   * @throws ClickHouseUnavailableException when the server cannot be reached
   * @throws IllegalStateException with the server's message when the statement fails
   */
  public String query(String sql) {
    HttpRequest request = HttpRequest.newBuilder(url.resolve("/"))
        .timeout(Duration.ofSeconds(60))
        .header("Authorization", authorization)
        .POST(HttpRequest.BodyPublishers.ofString(sql, StandardCharsets.UTF_8))
        .build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new ClickHouseUnavailableException(
          "ClickHouse at " + url + " is not reachable: " + describe(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ClickHouseUnavailableException("interrupted while calling ClickHouse at " + url, e);
    }
    if (response.statusCode() != 200) {
      throw new IllegalStateException("ClickHouse at " + url + " rejected '" + abbreviate(sql)
          + "' (HTTP " + response.statusCode() + "): " + response.body().strip());
    }
    return response.body();
  }

  public URI url() {
    return url;
  }

  /** A short cause for logs: "connection refused", else the first message in the cause chain. */
  static String describe(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof java.net.ConnectException) {
        return "connection refused (is the server running and listening there?)";
      }
    }
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c.getMessage() != null && !c.getMessage().isBlank()) {
        return c.getClass().getSimpleName() + ": " + c.getMessage();
      }
    }
    return e.getClass().getSimpleName();
  }

  private static String abbreviate(String sql) {
    String oneLine = sql.replaceAll("\\s+", " ").strip();
    return oneLine.length() <= 120 ? oneLine : oneLine.substring(0, 117) + "...";
  }

  /** The server could not be reached at all (refused, timed out): worth waiting and retrying. */
  public static final class ClickHouseUnavailableException extends RuntimeException {
    ClickHouseUnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
