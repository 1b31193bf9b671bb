package io.gatehouse.ui.clickhouse;

import io.gatehouse.schemas.clickhouse.ClickHouseHttp;
import io.gatehouse.schemas.clickhouse.ClickHouseException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.testsupport.clickhouse.ClickHouseServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ClickHouseHttpTest {
  private final ClickHouseHttp clickHouse =
      new ClickHouseHttp(URI.create(ClickHouseServer.shared().httpUrl()), "default", "", Duration.ofSeconds(10));

  @Test
  void readsJsonEachRowRows() {
    assertThat(clickHouse.select("SELECT number AS n FROM system.numbers LIMIT 3 FORMAT JSONEachRow",
        row -> row.get("n").asLong())).containsExactly(0L, 1L, 2L);
  }

  @Test
  void reportsTheServersMessageWhenAQueryFails() {
    assertThatThrownBy(() -> clickHouse.query("SELECT count() FROM gatehouse.no_such_table"))
        .isInstanceOf(ClickHouseException.class)
        .hasMessageContaining("no_such_table")
        .hasMessageContaining("doesn't exist")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void saysWhenTheServerCannotBeReached() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    ClickHouseHttp down = new ClickHouseHttp(URI.create("http://127.0.0.1:" + closedPort), "default", "",
        Duration.ofSeconds(5));

    assertThatThrownBy(() -> down.query("SELECT 1"))
        .isInstanceOf(ClickHouseException.class)
        .hasMessageStartingWith("could not be reached (connection refused");
  }

  @Test
  void refusesToParseAQueryThatDoesNotAskForJsonEachRow() {
    assertThatThrownBy(() -> clickHouse.select("SELECT 1", row -> row))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
