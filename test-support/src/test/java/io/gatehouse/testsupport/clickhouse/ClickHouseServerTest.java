package io.gatehouse.testsupport.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.schemas.Migrations;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClickHouseServerTest {
  @Test
  void migrationsRunOnTheRealServerAndAreIdempotent() {
    ClickHouseServer server = ClickHouseServer.shared();
    for (int round = 0; round < 2; round++) {
      for (Migrations.Migration m : Migrations.all()) {
        m.statements().forEach(server::query);
      }
    }
    assertThat(server.query("EXISTS TABLE gatehouse.events").strip()).isEqualTo("1");
    assertThat(server.query("SELECT name FROM system.columns WHERE database = 'gatehouse' AND table = 'events'").lines())
        .contains("event_id", "ts", "user", "tags.key", "tags.value", "attempts.failure_class", "ingested_at");
  }

  @Test
  void errorsCarryTheServersMessage() {
    assertThatThrownBy(() -> ClickHouseServer.shared().query("SELECT no_such_column FROM system.one"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no_such_column");
  }

  @Test
  void stopAndRestartKeepData(@TempDir Path dir) {
    try (ClickHouseServer server = ClickHouseServer.start(dir)) {
      server.query("CREATE TABLE default.t (x UInt8) ENGINE = MergeTree ORDER BY x");
      server.query("INSERT INTO default.t VALUES (7)");
      server.stop();
      assertThat(server.isRunning()).isFalse();
      assertThatThrownBy(() -> server.query("SELECT 1")).hasMessageContaining("could not be reached");
      server.restart();
      assertThat(server.query("SELECT x FROM default.t").strip()).isEqualTo("7");
    }
  }
}
