package io.gatehouse.ingest.clickhouse;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where {@code gatehouse.events} lives, and the ClickHouse settings that keep ingest exactly-once in
 * effect there. Ingest's promise rests on one rule: before inserting a batch it asks which event ids
 * ClickHouse already holds ({@link StoredEvents}), so an acknowledged insert must be visible to that
 * question from then on.
 *
 * <p>On a single node it is: an acknowledged insert is in the table. No extra setting is sent.
 *
 * <p>On a cluster (the schema of {@code Migrations --cluster NAME}: {@code Replicated*MergeTree}
 * {@code _local} tables behind {@code Distributed} tables, sharded by event id) it is not by default:
 * <ul>
 *   <li>an insert into a {@code Distributed} table is acknowledged once it is queued on the node that
 *       received it, and reaches the shards later. {@code insert_distributed_sync=1} (the 18.16 name;
 *       current servers call it {@code distributed_foreground_insert} and still accept the old one)
 *       makes the insert return only once every shard has stored its rows;
 *   <li>a shard's replicas copy parts from each other asynchronously, and the check reads one replica
 *       per shard. {@code insert_quorum} = the shard's replica count makes the insert return only once
 *       every replica holds the rows, so whichever replica answers the check has them;
 *   <li>a replica that is catching up (rebuilt, restored) may still lack older rows: the check reads with
 *       {@code fallback_to_stale_replicas_for_distributed_queries=0} and
 *       {@code max_replica_delay_for_distributed_queries}, so such a replica is skipped, and the check
 *       fails (ingest backs off and asks again) rather than read one.
 * </ul>
 * Not {@code select_sequential_consistency}: it holds only when quorum inserts are serialised
 * ({@code insert_quorum_parallel=0}), which makes concurrent inserts by several ingest members fail.
 * The price of the quorum: while a replica of a shard is down, inserts fail with
 * {@code TOO_FEW_LIVE_REPLICAS} and ingest pauses (lag grows, nothing is lost) until it is back. A
 * quorum below the replica count keeps ingesting through that, but the check may then miss an event on
 * a lagging replica: at least once, not exactly once.
 *
 * @param cluster the cluster name the schema was emitted for; empty for a single node
 * @param insertQuorum replicas per shard that must hold an insert before it is acknowledged (cluster
 *     only; 1 = shards without replicas)
 */
public record ClickHouseTopology(String cluster, int insertQuorum) {
  public static final ClickHouseTopology SINGLE_NODE = new ClickHouseTopology("", 0);
  /**
   * Replicas further behind are not asked by the check. With the quorum every live replica holds each
   * acknowledged insert, so this only excludes a replica that is rebuilding (minutes or days behind);
   * generous enough that a healthy replica fetching the part of an insert in flight never trips it.
   */
  static final int MAX_REPLICA_DELAY_SECONDS = 30;

  public ClickHouseTopology {
    if (cluster.isEmpty() ? insertQuorum != 0 : !cluster.matches("\\w+") || insertQuorum < 1) {
      throw new IllegalArgumentException("a cluster needs a name of letters, digits or _ and an insert quorum "
          + ">= 1; a single node neither (got '" + cluster + "', " + insertQuorum + ")");
    }
  }

  public static ClickHouseTopology cluster(String name, int insertQuorum) {
    return new ClickHouseTopology(name, insertQuorum);
  }

  public boolean isCluster() {
    return !cluster.isEmpty();
  }

  /** Settings of every insert into {@code gatehouse.events}, sent as URL parameters (18.16 has no SETTINGS on INSERT). */
  public Map<String, String> insertSettings() {
    Map<String, String> s = new LinkedHashMap<>();
    if (isCluster()) {
      s.put("insert_distributed_sync", "1");
      if (insertQuorum >= 2) { // below 2 ClickHouse does no quorum write at all
        s.put("insert_quorum", Integer.toString(insertQuorum));
      }
    }
    return s;
  }

  /** Settings of the already-stored check ({@link StoredEvents#present}). */
  public Map<String, String> checkSettings() {
    Map<String, String> s = new LinkedHashMap<>();
    if (isCluster()) {
      s.put("fallback_to_stale_replicas_for_distributed_queries", "0");
      s.put("max_replica_delay_for_distributed_queries", Integer.toString(MAX_REPLICA_DELAY_SECONDS));
    }
    return s;
  }

  @Override
  public String toString() {
    return isCluster() ? "cluster " + cluster + " (insert quorum " + insertQuorum + ")" : "single node";
  }
}
