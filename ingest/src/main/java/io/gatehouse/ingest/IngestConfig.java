package io.gatehouse.ingest;

import io.gatehouse.ingest.clickhouse.ClickHouseTopology;
import io.gatehouse.schemas.Topics;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * Ingest settings, read once from the environment map given to {@link IngestService#start(Map)}.
 * Immutable; invalid values fail at start with a message that names the variable.
 *
 * @param dlqTopic topic for events that cannot become rows; empty disables the dead-letter topic
 * @param batchMax most events per ClickHouse insert (default {@link #DEFAULT_BATCH_MAX})
 * @param flushInterval longest time an event waits in a partial batch before it is inserted
 * @param consumers consumer loops in this instance (default {@link #DEFAULT_CONSUMERS}), each a member of
 *     the consumer group with its own partitions, batch and inserts
 * @param applyMigrations false: the schema is managed outside (always so on a cluster, see {@code Migrations --cluster})
 * @param topology single node, or the cluster the schema was emitted for and its insert quorum
 */
public record IngestConfig(
    String kafkaBootstrap,
    String topic,
    String groupId,
    String dlqTopic,
    URI clickHouseUrl,
    String clickHouseUser,
    String clickHousePassword,
    int port,
    int batchMax,
    Duration flushInterval,
    int consumers,
    boolean applyMigrations,
    ClickHouseTopology topology) {

  public static final String KAFKA_BOOTSTRAP = "GATEHOUSE_KAFKA_BOOTSTRAP";
  public static final String KAFKA_TOPIC = "GATEHOUSE_KAFKA_TOPIC";
  public static final String GROUP_ID = "GATEHOUSE_INGEST_GROUP";
  public static final String DLQ_TOPIC = "GATEHOUSE_INGEST_DLQ_TOPIC";
  public static final String CLICKHOUSE_URL = "GATEHOUSE_CLICKHOUSE_URL";
  public static final String CLICKHOUSE_USER = "GATEHOUSE_CLICKHOUSE_USER";
  public static final String CLICKHOUSE_PASSWORD = "GATEHOUSE_CLICKHOUSE_PASSWORD";
  public static final String PORT = "GATEHOUSE_INGEST_PORT";
  public static final String BATCH_MAX = "GATEHOUSE_INGEST_BATCH_MAX";
  public static final String FLUSH_MS = "GATEHOUSE_INGEST_FLUSH_MS";
  public static final String CONSUMERS = "GATEHOUSE_INGEST_CONSUMERS";
  public static final String SKIP_MIGRATIONS = "GATEHOUSE_CLICKHOUSE_SKIP_MIGRATIONS";
  /** The cluster name given to {@code Migrations --cluster NAME}; unset = a single ClickHouse node. */
  public static final String CLICKHOUSE_CLUSTER = "GATEHOUSE_CLICKHOUSE_CLUSTER";
  /** With a cluster: replicas per shard that must hold an insert (set it to the replica count). */
  public static final String INSERT_QUORUM = "GATEHOUSE_CLICKHOUSE_INSERT_QUORUM";
  /**
   * Events per insert by default. 20,000 (was 5,000): a quarter of the inserts, parts and
   * already-stored checks per event under a backlog, for ≈ 40 MB of rows in hand; a steady trickle is
   * flushed by age long before a batch fills.
   */
  public static final int DEFAULT_BATCH_MAX = 20_000;

  /**
   * Consumer loops per instance by default. One loop converts a batch, then waits while ClickHouse
   * inserts it; two overlap one's conversion with the other's insert (measured by {@code ./gatehouse
   * bench ingest}, BENCHMARKS.md "Ingest"). More pay off only with more cores for ingest and ClickHouse.
   */
  public static final int DEFAULT_CONSUMERS = 2;
  static final int MAX_CONSUMERS = 64;

  public IngestConfig {
    if (batchMax < 1) {
      throw new IllegalArgumentException(BATCH_MAX + " must be at least 1, got " + batchMax);
    }
    if (flushInterval.isNegative() || flushInterval.isZero()) {
      throw new IllegalArgumentException(FLUSH_MS + " must be positive, got " + flushInterval.toMillis());
    }
    if (consumers < 1 || consumers > MAX_CONSUMERS) {
      throw new IllegalArgumentException(CONSUMERS + " must be between 1 and " + MAX_CONSUMERS + " (consumer loops in "
          + "this instance; more than the topic's partitions leaves some idle), got " + consumers);
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(PORT + " must be a port number (0 = any free port), got " + port);
    }
  }

  public static IngestConfig fromEnv(Map<String, String> env) {
    String topic = value(env, KAFKA_TOPIC, Topics.EVENTS_V1);
    String url = value(env, CLICKHOUSE_URL, "http://127.0.0.1:8123");
    URI uri;
    try {
      uri = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(CLICKHOUSE_URL + " is not a URL: '" + url + "'", e);
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
      throw new IllegalArgumentException(
          CLICKHOUSE_URL + " must be an http(s) URL of ClickHouse's HTTP interface, got '" + url + "'");
    }
    ClickHouseTopology topology = topology(env);
    return new IngestConfig(
        value(env, KAFKA_BOOTSTRAP, "localhost:9092"),
        topic,
        value(env, GROUP_ID, "gatehouse-ingest"),
        env.getOrDefault(DLQ_TOPIC, topic + ".dlq").strip(),
        uri,
        value(env, CLICKHOUSE_USER, "default"),
        env.getOrDefault(CLICKHOUSE_PASSWORD, ""),
        integer(env, PORT, 8082),
        integer(env, BATCH_MAX, DEFAULT_BATCH_MAX),
        Duration.ofMillis(integer(env, FLUSH_MS, 500)),
        integer(env, CONSUMERS, DEFAULT_CONSUMERS),
        // the single-node migrations must never run against a cluster schema: their views, created on
        // the Distributed tables beside the cluster's own, would count every event twice
        topology.isCluster() ? false : !switch (value(env, SKIP_MIGRATIONS, "0").toLowerCase(java.util.Locale.ROOT)) {
          case "1", "true", "yes" -> true;
          case "0", "false", "no" -> false;
          default -> throw new IllegalArgumentException(SKIP_MIGRATIONS + " must be 1 or 0, got '"
              + env.get(SKIP_MIGRATIONS) + "'");
        },
        topology);
  }

  private static ClickHouseTopology topology(Map<String, String> env) {
    String cluster = value(env, CLICKHOUSE_CLUSTER, "");
    String quorum = value(env, INSERT_QUORUM, "");
    if (cluster.isEmpty()) {
      if (!quorum.isEmpty()) {
        throw new IllegalArgumentException(INSERT_QUORUM + " applies only to a cluster: set "
            + CLICKHOUSE_CLUSTER + " too, or unset it");
      }
      return ClickHouseTopology.SINGLE_NODE;
    }
    if (!cluster.matches("\\w+")) {
      throw new IllegalArgumentException(CLICKHOUSE_CLUSTER + " must be the cluster name given to "
          + "`Migrations --cluster` (letters, digits, _), got '" + cluster + "'");
    }
    if (quorum.isEmpty()) {
      throw new IllegalArgumentException(CLICKHOUSE_CLUSTER + " is set: set " + INSERT_QUORUM + " to the number "
          + "of replicas per shard (1 when shards have no replicas), so that an acknowledged insert is on every "
          + "replica the already-stored check may read");
    }
    int n = integer(env, INSERT_QUORUM, 0);
    if (n < 1) {
      throw new IllegalArgumentException(INSERT_QUORUM + " must be at least 1, got " + n);
    }
    return ClickHouseTopology.cluster(cluster, n);
  }

  /** Never shows the ClickHouse password. */
  @Override
  public String toString() {
    return "IngestConfig[kafka=" + kafkaBootstrap + ", topic=" + topic + ", group=" + groupId
        + ", dlq=" + (dlqTopic.isEmpty() ? "(off)" : dlqTopic) + ", clickhouse=" + clickHouseUrl
        + " as " + clickHouseUser + ", port=" + port + ", batchMax=" + batchMax
        + ", flushMs=" + flushInterval.toMillis() + ", consumers=" + consumers + (applyMigrations ? "" : ", migrations=skipped")
        + (topology.isCluster() ? ", " + topology : "") + "]";
  }

  private static String value(Map<String, String> env, String name, String fallback) {
    String v = env.get(name);
    return v == null || v.isBlank() ? fallback : v.strip();
  }

  private static int integer(Map<String, String> env, String name, int fallback) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    try {
      return Integer.parseInt(v.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number, got '" + v + "'");
    }
  }
}
