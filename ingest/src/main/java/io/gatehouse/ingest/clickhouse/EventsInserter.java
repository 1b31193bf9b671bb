package io.gatehouse.ingest.clickhouse;

import io.gatehouse.schemas.clickhouse.ClickHouseHttp;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.ServerException;
import com.clickhouse.client.api.insert.InsertSettings;
import com.clickhouse.data.ClickHouseFormat;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Inserts pre-serialised {@code JSONEachRow} bytes into {@code gatehouse.events} in one HTTP request
 * each, with ClickHouse's official client-v2.
 *
 * <p>Settings that matter on 18.16: server responses are never compressed (Debian's 18.16 answers
 * {@code compress=1} with an empty body), {@code input_format_skip_unknown_fields=1} goes as a URL
 * parameter (18.16 has no {@code SETTINGS} on INSERT) so that a newer row shape never breaks an older
 * table, and client-side retries are off: the caller owns retries because it keeps the bytes.
 *
 * <p>Thread-safe (client-v2's {@link Client} is), but ingest calls it from its one consumer thread.
 */
public final class EventsInserter implements AutoCloseable {
  public static final String TABLE = "gatehouse.events";
  private static final long INSERT_TIMEOUT_SECONDS = 120;

  /**
   * ClickHouse error codes that say "not now" rather than "not these rows": the insert is retried as
   * it is, never split to find rows to dead-letter. Current servers send the code (18.16 does not, so
   * there every answered error counts as a refusal). On a cluster a replica or shard being away
   * answers this way: 159 TIMEOUT_EXCEEDED, 202 TOO_MANY_SIMULTANEOUS_QUERIES, 209 SOCKET_TIMEOUT,
   * 210 NETWORK_ERROR, 242 TABLE_IS_READ_ONLY (a replica without ZooKeeper), 252 TOO_MANY_PARTS,
   * 279 ALL_CONNECTION_TRIES_FAILED, 285 TOO_FEW_LIVE_REPLICAS (fewer replicas than the quorum),
   * 286 UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE, 319 UNKNOWN_STATUS_OF_INSERT (the next attempt's
   * already-stored check decides), 999 KEEPER_EXCEPTION.
   */
  static final Set<Integer> TRANSIENT_CODES = Set.of(159, 202, 209, 210, 242, 252, 279, 285, 286, 319, 999);

  private final Client client;
  private final Map<String, String> serverSettings;
  private final InsertSettings settings;

  public EventsInserter(URI url, String user, String password) {
    this(url, user, password, Map.of());
  }

  /**
   * @param serverSettings sent with every insert as URL parameters, e.g. {@link
   *     ClickHouseTopology#insertSettings()}
   */
  public EventsInserter(URI url, String user, String password, Map<String, String> serverSettings) {
    this.serverSettings = Map.copyOf(serverSettings);
    this.client = new Client.Builder()
        .addEndpoint(url.toString())
        .setUsername(user)
        .setPassword(password)
        .compressServerResponse(false)
        .setMaxRetries(0)
        .setConnectTimeout(5, ChronoUnit.SECONDS)
        .setSocketTimeout(60, ChronoUnit.SECONDS)
        .setClientName("gatehouse-ingest")
        .build();
    this.settings = newSettings();
  }

  private InsertSettings newSettings() {
    InsertSettings s = new InsertSettings().serverSetting("input_format_skip_unknown_fields", "1");
    serverSettings.forEach(s::serverSetting);
    return s;
  }

  /**
   * Inserts {@code length} bytes of complete JSONEachRow lines from {@code rows[offset..]}. Blocks
   * until ClickHouse has acknowledged the insert (the rows are then durable and visible).
   *
   * @throws InsertFailedException when the insert did not happen; {@link
   *     InsertFailedException#rejected()} tells whether ClickHouse answered with an error (maybe the
   *     data) or could not be reached (wait and retry)
   */
  public void insert(byte[] rows, int offset, int length) throws InsertFailedException {
    insert(rows, offset, length, null);
  }

  /**
   * Like {@link #insert(byte[], int, int)}, under the given {@code query_id}, so that the caller can
   * ask {@code system.processes} whether an insert it gave up on is still running (see {@link
   * StoredEvents#isRunning}).
   *
   * @param queryId a unique id, or null to let ClickHouse choose one
   */
  public void insert(byte[] rows, int offset, int length, String queryId) throws InsertFailedException {
    InsertSettings perInsert = queryId == null ? settings : newSettings().setQueryId(queryId);
    try {
      client.insert(TABLE, new ByteArrayInputStream(rows, offset, length),
              ClickHouseFormat.JSONEachRow, perInsert)
          .get(INSERT_TIMEOUT_SECONDS, TimeUnit.SECONDS)
          .close();
    } catch (ExecutionException e) {
      throw classify(e.getCause() == null ? e : e.getCause());
    } catch (TimeoutException e) {
      throw new InsertFailedException(false, "insert timed out after "
          + INSERT_TIMEOUT_SECONDS + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InsertFailedException(false, "interrupted during insert", e);
    } catch (RuntimeException e) {
      throw classify(e);
    } catch (Exception e) {
      // InsertResponse.close() declares Exception; it only releases the response
      throw new InsertFailedException(false, ClickHouseHttp.describe(e), e);
    }
  }

  static InsertFailedException classify(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof ServerException se && TRANSIENT_CODES.contains(se.getCode())) {
        return new InsertFailedException(false, "ClickHouse cannot take the insert now (code " + se.getCode()
            + "): " + se.getMessage(), t);
      }
      if (c instanceof ServerException se) {
        // 18.16 sends no X-ClickHouse-Exception-Code, so client-v2 cannot extract the text; the
        // HTTP status is all we get (500 for parse errors on 18.16, so it cannot tell data from server)
        return new InsertFailedException(true,
            "ClickHouse rejected the insert (HTTP " + se.getTransportProtocolCode() + "): "
                + se.getMessage(), t);
      }
    }
    return new InsertFailedException(false,
        "ClickHouse not reachable: " + ClickHouseHttp.describe(t), t);
  }

  @Override
  public void close() {
    client.close();
  }

  /** An insert that did not happen. */
  public static final class InsertFailedException extends Exception {
    private final boolean rejected;

    /**
     * @param rejected true when ClickHouse answered with an error, false when it could not be
     *     reached or the outcome is unknown
     */
    public InsertFailedException(boolean rejected, String message, Throwable cause) {
      super(message, cause);
      this.rejected = rejected;
    }

    /** True when ClickHouse answered with an error; false when it could not be reached. */
    public boolean rejected() {
      return rejected;
    }
  }
}
