package io.gatehouse.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class IngestConfigTest {
  @Test
  void migrationsAreAppliedUnlessTheSchemaIsManagedOutside() {
    assertThat(IngestConfig.fromEnv(Map.of()).applyMigrations()).isTrue();
    assertThat(IngestConfig.fromEnv(Map.of(IngestConfig.SKIP_MIGRATIONS, "1")).applyMigrations()).isFalse();
    assertThat(IngestConfig.fromEnv(Map.of(IngestConfig.SKIP_MIGRATIONS, "false")).applyMigrations()).isTrue();
    assertThat(IngestConfig.fromEnv(Map.of(IngestConfig.SKIP_MIGRATIONS, "1")).toString()).contains("migrations=skipped");
    assertThatThrownBy(() -> IngestConfig.fromEnv(Map.of(IngestConfig.SKIP_MIGRATIONS, "maybe")))
        .hasMessageContaining(IngestConfig.SKIP_MIGRATIONS).hasMessageContaining("maybe");
  }

  @Test
  void aClusterNeedsItsInsertQuorumAndNeverGetsTheSingleNodeMigrations() {
    IngestConfig single = IngestConfig.fromEnv(Map.of());
    assertThat(single.topology().isCluster()).isFalse();
    assertThat(single.topology().insertSettings()).isEmpty();
    assertThat(single.topology().checkSettings()).isEmpty();

    IngestConfig cluster = IngestConfig.fromEnv(Map.of(IngestConfig.CLICKHOUSE_CLUSTER, "prod",
        IngestConfig.INSERT_QUORUM, "3", IngestConfig.SKIP_MIGRATIONS, "0"));
    assertThat(cluster.topology().cluster()).isEqualTo("prod");
    assertThat(cluster.applyMigrations()).as("a cluster's schema comes from Migrations --cluster").isFalse();
    assertThat(cluster.topology().insertSettings())
        .isEqualTo(Map.of("insert_distributed_sync", "1", "insert_quorum", "3"));
    assertThat(cluster.toString()).contains("cluster prod (insert quorum 3)");
    assertThat(IngestConfig.fromEnv(Map.of(IngestConfig.CLICKHOUSE_CLUSTER, "sharded",
        IngestConfig.INSERT_QUORUM, "1")).topology().insertSettings())
        .as("shards without replicas: no quorum write").containsExactlyEntriesOf(Map.of("insert_distributed_sync", "1"));

    assertThatThrownBy(() -> IngestConfig.fromEnv(Map.of(IngestConfig.CLICKHOUSE_CLUSTER, "prod")))
        .hasMessageContaining(IngestConfig.INSERT_QUORUM).hasMessageContaining("replicas per shard");
    assertThatThrownBy(() -> IngestConfig.fromEnv(Map.of(IngestConfig.INSERT_QUORUM, "2")))
        .hasMessageContaining(IngestConfig.CLICKHOUSE_CLUSTER);
    assertThatThrownBy(() -> IngestConfig.fromEnv(Map.of(IngestConfig.CLICKHOUSE_CLUSTER, "prod",
        IngestConfig.INSERT_QUORUM, "0"))).hasMessageContaining(IngestConfig.INSERT_QUORUM);
    assertThatThrownBy(() -> IngestConfig.fromEnv(Map.of(IngestConfig.CLICKHOUSE_CLUSTER, "prod; DROP",
        IngestConfig.INSERT_QUORUM, "2"))).hasMessageContaining(IngestConfig.CLICKHOUSE_CLUSTER);
  }
}
