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
}
