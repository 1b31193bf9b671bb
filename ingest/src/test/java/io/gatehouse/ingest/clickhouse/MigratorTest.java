package io.gatehouse.ingest.clickhouse;

import io.gatehouse.schemas.clickhouse.ClickHouseHttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.schemas.clickhouse.ClickHouseUnavailableException;
import io.gatehouse.schemas.Migrations;
import io.gatehouse.schemas.Migrations.Migration;
import io.gatehouse.testsupport.clickhouse.ClickHouseServer;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Migrations on a private, fresh server: the shared one may already be migrated by other tests. */
class MigratorTest {
  @TempDir static Path dir;
  static ClickHouseServer server;

  @BeforeAll
  static void startFreshServer() {
    server = ClickHouseServer.start(dir);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void appliesEveryMigrationOnceAndIsANoOpTheSecondTime() {
    Migrator migrator = new Migrator(new ClickHouseHttp(URI.create(server.httpUrl()), "default", ""));
    List<Integer> all = Migrations.all().stream().map(Migration::version).toList();
    assertThat(server.query("SELECT count() FROM system.databases WHERE name = 'gatehouse'").strip()).isEqualTo("0");

    assertThat(migrator.awaitAndApply(() -> true)).containsExactlyElementsOf(all);
    assertThat(migrator.apply()).isEmpty();

    String recorded = server.query("SELECT version, count() FROM " + Migrations.TRACKING_TABLE
        + " GROUP BY version ORDER BY version FORMAT TabSeparated");
    StringBuilder expected = new StringBuilder();
    all.forEach(v -> expected.append(v).append("\t1\n"));
    assertThat(recorded).isEqualTo(expected.toString());
    assertThat(server.query("EXISTS TABLE gatehouse.events FORMAT TabSeparated").strip()).isEqualTo("1");
  }

  @Test
  void failsWithTheServersOwnMessage() {
    ClickHouseHttp http = new ClickHouseHttp(URI.create(server.httpUrl()), "default", "");
    assertThatThrownBy(() -> http.query("SELEC 1"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Syntax error");
  }

  @Test
  void keepsWaitingForAnUnreachableServerUntilToldToStop() {
    // nothing listens on port 1; the supplier says stop after the second wait
    Migrator migrator = new Migrator(new ClickHouseHttp(URI.create("http://127.0.0.1:1"), "default", ""));
    AtomicInteger asked = new AtomicInteger();
    assertThatThrownBy(() -> migrator.awaitAndApply(() -> asked.incrementAndGet() < 3))
        .isInstanceOf(ClickHouseUnavailableException.class)
        .hasMessageContaining("127.0.0.1:1");
    assertThat(asked.get()).isEqualTo(3);
  }
}
