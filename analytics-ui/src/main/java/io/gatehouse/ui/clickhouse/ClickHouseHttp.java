package io.gatehouse.ui.clickhouse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;

/**
 * The smallest client that talks to ClickHouse 18.16 and current servers alike: one POST per query
 * over the HTTP interface, uncompressed responses (Debian's 18.16 answers {@code compress=1} with an
 * empty body), rows read as {@code JSONEachRow}. Thread-safe; shared by every UI session.
 */
public final class ClickHouseHttp {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI endpoint;
  private final String authorization;
  private final Duration queryTimeout;
  private final HttpClient http;

  public ClickHouseHttp(URI endpoint, String user, String password, Duration queryTimeout) {
    this.endpoint = endpoint;
    this.authorization = "Basic " + Base64.getEncoder()
        .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    this.queryTimeout = queryTimeout;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  }

  /** The server's base URL, for messages that tell the operator where we looked. */
  public URI endpoint() {
    return endpoint;
  }

  /** Runs {@code sql} and returns the response body; throws {@link ClickHouseException} on any failure. */
  public String query(String sql) {
    HttpRequest request = HttpRequest.newBuilder(endpoint)
        .timeout(queryTimeout)
        .header("Authorization", authorization)
        .header("Content-Type", "text/plain; charset=utf-8")
        .POST(HttpRequest.BodyPublishers.ofString(sql, StandardCharsets.UTF_8))
        .build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new ClickHouseException("could not be reached (" + describe(e) + ")", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ClickHouseException("query interrupted", e);
    }
    if (response.statusCode() != 200) {
      throw new ClickHouseException(firstLine(response.body(), response.statusCode()), null);
    }
    return response.body();
  }

  /** Runs a query that ends in {@code FORMAT JSONEachRow} and maps each row. */
  public <T> List<T> select(String sql, Function<JsonNode, T> row) {
    if (!sql.stripTrailing().endsWith("FORMAT JSONEachRow")) {
      throw new IllegalArgumentException("select() reads JSONEachRow: end the query with FORMAT JSONEachRow");
    }
    String body = query(sql);
    List<T> rows = new ArrayList<>();
    for (String line : body.split("\n")) {
      if (!line.isBlank()) {
        rows.add(row.apply(parse(line)));
      }
    }
    return rows;
  }

  private static JsonNode parse(String line) {
    try {
      return JSON.readTree(line);
    } catch (IOException e) {
      throw new UncheckedIOException("ClickHouse returned a line that is not JSON: " + line, e);
    }
  }

  private static String describe(IOException e) {
    String message = e.getMessage();
    String kind = e.getClass().getSimpleName();
    return message == null || message.isBlank() ? kind : kind + ": " + message;
  }

  private static String firstLine(String body, int status) {
    String text = body == null ? "" : body.strip();
    int newline = text.indexOf('\n');
    String line = newline < 0 ? text : text.substring(0, newline);
    return line.isEmpty() ? "HTTP " + status : line;
  }
}
