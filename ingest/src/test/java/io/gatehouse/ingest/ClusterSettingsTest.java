package io.gatehouse.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.ingest.ClickHouseTap.Request;
import io.gatehouse.ingest.clickhouse.Migrator;
import io.gatehouse.schemas.clickhouse.ClickHouseHttp;
import io.gatehouse.testsupport.clickhouse.ClickHouseServer;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What ingest asks ClickHouse in cluster mode ({@code GATEHOUSE_CLICKHOUSE_CLUSTER}) and on a single node,
 * seen by a recording pass-through in front of the real server. No ClickHouse cluster runs here (its
 * replicated tables need ZooKeeper), so this checks what can be checked on one node: the cluster settings
 * go with every insert and every already-stored check, a real server (18.16 here) accepts them, the events
 * still land exactly once, and the single-node requests carry none of them.
 */
class ClusterSettingsTest {
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private static final String CHECK = "FROM gatehouse.events WHERE ts >=";
  static KafkaBroker kafka;
  static ClickHouseServer clickHouse;

  @BeforeAll
  static void infra() {
    kafka = KafkaBroker.shared();
    clickHouse = ClickHouseServer.shared();
    new Migrator(new ClickHouseHttp(URI.create(clickHouse.httpUrl()), "default", "")).apply();
  }

  @Test
  void onAClusterInsertsWaitForEveryShardAndTheQuorumAndTheCheckSkipsStaleReplicas() throws Exception {
    List<Request> requests = ingest(Map.of(IngestConfig.CLICKHOUSE_CLUSTER, "prod", IngestConfig.INSERT_QUORUM, "2"));

    assertThat(requests).as("the cluster schema is the operator's: no migration runs")
        .noneMatch(r -> r.statement().contains("CREATE ") || r.statement().contains("schema_migrations"));
    List<Request> inserts = inserts(requests);
    assertThat(inserts).isNotEmpty().allSatisfy(r -> assertThat(r.params())
        .containsEntry("insert_distributed_sync", "1").containsEntry("insert_quorum", "2")
        .containsEntry("input_format_skip_unknown_fields", "1"));
    assertThat(checks(requests)).isNotEmpty().allSatisfy(r -> assertThat(r.statement())
        .contains(" SETTINGS fallback_to_stale_replicas_for_distributed_queries = 0, "
            + "max_replica_delay_for_distributed_queries = 30 FORMAT TabSeparated"));
  }

  @Test
  void onASingleNodeNoneOfTheClusterSettingsIsSent() throws Exception {
    List<Request> requests = ingest(Map.of());

    List<Request> inserts = inserts(requests);
    assertThat(inserts).isNotEmpty().allSatisfy(r -> assertThat(r.params())
        .containsEntry("input_format_skip_unknown_fields", "1")
        .doesNotContainKeys("insert_distributed_sync", "insert_quorum"));
    assertThat(checks(requests)).isNotEmpty().allSatisfy(r -> assertThat(r.statement()).doesNotContain("SETTINGS"));
  }

  /**
   * Runs ingest with {@code extra} through a tap until 250 events are
   * committed; asserts they are stored once each; returns what ingest asked.
   */
  private static List<Request> ingest(Map<String, String> extra) throws Exception {
    String topic = TestEvents.unique("ingest-cluster");
    String group = TestEvents.unique("group");
    String feature = TestEvents.unique("feature");
    kafka.createTopic(topic, 2);
    int n = 250;
    TestEvents.produce(kafka, topic, TestEvents.events(feature, n));
    try (ClickHouseTap tap = new ClickHouseTap(clickHouse.httpUrl())) {
      Map<String, String> env = TestEvents.env(kafka, tap.url(), topic, group);
      env.putAll(extra);
      try (IngestService ingest = IngestService.start(env)) {
        Poll.until(DEADLINE, "every record committed", () -> TestEvents.committed(kafka, group, topic) == n,
            () -> IngestServiceTest.health(ingest));
        assertThat(ingest.stats().insertedRows()).isEqualTo(n);
      }
      assertThat(clickHouse.query("SELECT count(), uniqExact(event_id) FROM gatehouse.events WHERE feature = '"
          + feature + "' FORMAT TabSeparated").strip()).isEqualTo(n + "\t" + n);
      return List.copyOf(tap.requests);
    }
  }

  private static List<Request> inserts(List<Request> requests) {
    return requests.stream().filter(r -> r.statement().startsWith("INSERT INTO gatehouse.events ")).toList();
  }

  private static List<Request> checks(List<Request> requests) {
    return requests.stream().filter(r -> r.statement().contains(CHECK)).toList();
  }
}
