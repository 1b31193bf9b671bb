package io.gatehouse.ingest.clickhouse;

import io.gatehouse.schemas.clickhouse.ClickHouseHttp;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Which Kafka records {@code gatehouse.events} already holds, read from the ledger
 * {@code gatehouse.events_kafka_offsets} (migration 0004): a materialized view that ClickHouse fills
 * in the same INSERT with the {@code kafka_topic}, {@code kafka_partition} and {@code kafka_offset}
 * that ingest writes on every row (migration 0003).
 *
 * <p>This is what makes ingest exactly-once in effect: before it reads a partition it has just been
 * assigned, and before it retries an insert whose outcome it does not know, it asks ClickHouse which
 * offsets are there and never inserts those again (see {@code IngestLoop}). The answer is the exact
 * set of offsets, not only the highest one: a batch that spans two monthly partitions is written as
 * two parts, and a server that dies between them leaves a gap below the highest offset. The ledger,
 * not the events table, because merges of the ReplacingMergeTree drop one of two rows with the same
 * event id (the same event published twice) and with it the offset of its record.
 *
 * <p>Cost: the ledger is ordered by (topic, partition, offset), so a lookup reads a few granules per
 * monthly partition. It runs on partition assignment and on retries only, never per batch.
 *
 * <p>Thread-safe (stateless over a thread-safe client).
 */
public final class StoredOffsets {
  /** Kafka's own rule for topic names; anything else is refused rather than escaped. */
  public static final String LEDGER = "gatehouse.events_kafka_offsets";
  private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

  private final ClickHouseHttp clickHouse;

  public StoredOffsets(ClickHouseHttp clickHouse) {
    this.clickHouse = clickHouse;
  }

  /** Offsets {@code [from, to)} of one partition; {@code to} is {@link Long#MAX_VALUE} for "no end". */
  public record Range(int partition, long from, long to) {
    public Range {
      if (from < 0 || to < from) {
        throw new IllegalArgumentException("bad offset range [" + from + ", " + to + ")");
      }
    }
  }

  /**
   * The offsets within {@code ranges} that ClickHouse holds a row for, per partition, ascending.
   * Partitions with none are absent from the map.
   *
   * @throws io.gatehouse.schemas.clickhouse.ClickHouseUnavailableException when ClickHouse cannot be
   *     reached (the caller must not read the partitions until it knows)
   * @throws io.gatehouse.schemas.clickhouse.ClickHouseException when ClickHouse rejects the query
   */
  public Map<Integer, NavigableSet<Long>> within(String topic, Iterable<Range> ranges) {
    if (!TOPIC.matcher(topic).matches()) {
      throw new IllegalArgumentException("not a Kafka topic name: '" + topic + "'");
    }
    StringBuilder where = new StringBuilder();
    for (Range r : ranges) {
      where.append(where.length() == 0 ? "" : " OR ")
          .append("(kafka_partition = ").append(r.partition())
          .append(" AND kafka_offset >= ").append(r.from());
      if (r.to() != Long.MAX_VALUE) {
        where.append(" AND kafka_offset < ").append(r.to());
      }
      where.append(')');
    }
    Map<Integer, NavigableSet<Long>> stored = new HashMap<>();
    if (where.length() == 0) {
      return stored;
    }
    // the topic matched TOPIC above, so it holds no quote or backslash
    String body = clickHouse.query("SELECT kafka_partition, kafka_offset FROM " + LEDGER
        + " WHERE kafka_topic = '" + topic + "' AND (" + where + ")"
        + " GROUP BY kafka_partition, kafka_offset FORMAT TabSeparated");
    for (String line : body.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      int tab = line.indexOf('\t');
      int partition = Integer.parseInt(line.substring(0, tab));
      long offset = Long.parseLong(line.substring(tab + 1).strip());
      stored.computeIfAbsent(partition, p -> new TreeSet<>()).add(offset);
    }
    return stored;
  }

  /**
   * Whether a query with this id is still running on the server. An insert the client gave up on
   * (timeout, connection reset) may still commit; until it is gone its rows cannot be trusted to be
   * absent.
   *
   * @throws io.gatehouse.schemas.clickhouse.ClickHouseUnavailableException when ClickHouse cannot be
   *     reached
   */
  public boolean isRunning(String queryId) {
    if (!queryId.matches("[a-zA-Z0-9-]+")) {
      throw new IllegalArgumentException("unexpected query id '" + queryId + "'");
    }
    return !clickHouse.query("SELECT count() FROM system.processes WHERE query_id = '" + queryId
        + "' FORMAT TabSeparated").strip().equals("0");
  }
}
