package io.gatehouse.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class MigrationsTest {
  @Test
  void migrationsAreNumberedInOrderAndSplitIntoStatements() {
    List<Migrations.Migration> all = Migrations.all();
    assertThat(all).extracting(Migrations.Migration::version).containsExactly(1, 2, 3, 4);
    assertThat(all.get(0).statements()).containsExactly("CREATE DATABASE IF NOT EXISTS gatehouse");
    assertThat(all.get(1).statements()).hasSize(1);
    assertThat(all.get(1).statements().get(0))
        .startsWith("CREATE TABLE IF NOT EXISTS gatehouse.events")
        .doesNotContain("--")
        .doesNotEndWith(";");
    assertThat(all.get(2).statements()).hasSize(6);
    assertThat(all.get(2).statements().get(1))
        .startsWith("CREATE MATERIALIZED VIEW IF NOT EXISTS gatehouse.rollup_hourly_mv TO gatehouse.rollup_hourly");
    assertThat(all.get(2).statements().get(3))
        .startsWith("CREATE MATERIALIZED VIEW IF NOT EXISTS gatehouse.rollup_daily_mv TO gatehouse.rollup_daily");
    assertThat(all.get(2).statements().get(5))
        .startsWith("CREATE MATERIALIZED VIEW IF NOT EXISTS gatehouse.rollup_daily_user_mv TO gatehouse.rollup_daily_user");
  }

  @Test
  void everyCreateIsIdempotent() {
    for (Migrations.Migration m : Migrations.all()) {
      for (String s : m.statements()) {
        if (s.startsWith("CREATE")) {
          assertThat(s).as(m.name()).contains("IF NOT EXISTS");
        }
      }
    }
  }

  @Test
  void statementWithoutTerminatorIsRejected() {
    assertThatThrownBy(() -> Migrations.statements("SELECT 1;\nSELECT 2"))
        .hasMessageContaining("without a closing ';'");
  }

  @Test
  void clusterFormReplicatesEveryTableAndPutsADistributedTableUnderItsName() {
    List<String> cluster = Migrations.forCluster("prod");
    assertThat(cluster.get(0)).isEqualTo("CREATE DATABASE IF NOT EXISTS gatehouse ON CLUSTER prod");
    String local = cluster.stream().filter(x -> x.contains("gatehouse.events_local ON CLUSTER")).findFirst().orElseThrow();
    assertThat(local).startsWith("CREATE TABLE IF NOT EXISTS gatehouse.events_local ON CLUSTER prod")
        .contains("event_id            UUID")
        .contains("ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/gatehouse/events', '{replica}', "
            + "ingested_at)")
        .contains("PARTITION BY toYYYYMM(ts)").contains("ORDER BY (ts, event_id)");
    assertThat(cluster).contains("CREATE TABLE IF NOT EXISTS gatehouse.events ON CLUSTER prod AS gatehouse.events_local\n"
        + "ENGINE = Distributed(prod, gatehouse, events_local, cityHash64(event_id))");
    for (String statement : cluster) {
      assertThat(statement).contains("ON CLUSTER prod").doesNotContain(" ENGINE = MergeTree")
          .doesNotContainPattern("ENGINE = (Replacing|Aggregating|Summing)?MergeTree");
    }
    long tables = Migrations.all().stream().flatMap(m -> m.statements().stream())
        .filter(x -> x.startsWith("CREATE TABLE")).count();
    assertThat(cluster.stream().filter(x -> x.contains("ENGINE = Distributed(")).count()).isEqualTo(tables);
  }

  @Test
  void clusterFormOfAMaterializedViewReadsAndWritesLocalTables() {
    assertThat(Migrations.forCluster("c", "CREATE MATERIALIZED VIEW IF NOT EXISTS gatehouse.rollup_mv "
        + "TO gatehouse.rollup AS SELECT toStartOfHour(ts) AS hour, countState() AS requests FROM gatehouse.events "
        + "GROUP BY hour")).containsExactly("CREATE MATERIALIZED VIEW IF NOT EXISTS gatehouse.rollup_mv_local ON CLUSTER c "
        + "TO gatehouse.rollup_local\nAS SELECT toStartOfHour(ts) AS hour, countState() AS requests FROM "
        + "gatehouse.events_local GROUP BY hour");
    assertThat(Migrations.forCluster("c", "CREATE TABLE IF NOT EXISTS gatehouse.daily (day Date, n UInt64) "
        + "ENGINE = SummingMergeTree() ORDER BY day")).containsExactly(
        "CREATE TABLE IF NOT EXISTS gatehouse.daily_local ON CLUSTER c\n(day Date, n UInt64)\nENGINE = "
            + "ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/gatehouse/daily', '{replica}') ORDER BY day",
        "CREATE TABLE IF NOT EXISTS gatehouse.daily ON CLUSTER c AS gatehouse.daily_local\n"
            + "ENGINE = Distributed(c, gatehouse, daily_local, rand())");
    assertThatThrownBy(() -> Migrations.forCluster("c", "ALTER TABLE gatehouse.events ADD COLUMN x UInt8"))
        .hasMessageContaining("no cluster form");
  }
}
