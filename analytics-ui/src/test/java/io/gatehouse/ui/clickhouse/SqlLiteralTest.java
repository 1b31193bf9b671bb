package io.gatehouse.ui.clickhouse;

import io.gatehouse.schemas.clickhouse.ClickHouseHttp;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.testsupport.clickhouse.ClickHouseServer;
import java.time.Duration;
import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SqlLiteralTest {

  @Test
  void escapesQuotesBackslashesAndControlCharacters() {
    assertThat(SqlLiteral.string("plain")).isEqualTo("'plain'");
    assertThat(SqlLiteral.string("O'Brien")).isEqualTo("'O\\'Brien'");
    assertThat(SqlLiteral.string("a\\b")).isEqualTo("'a\\\\b'");
    assertThat(SqlLiteral.string("line\nbreak\ttab\0nul")).isEqualTo("'line\\nbreak\\ttab\\0nul'");
    assertThat(SqlLiteral.string("\u0001")).isEqualTo("'\\x01'");
    assertThat(SqlLiteral.string("")).isEqualTo("''");
  }

  @Test
  void rendersIntegersAsPlainDecimals() {
    assertThat(SqlLiteral.integer(-42)).isEqualTo("-42");
    assertThat(SqlLiteral.integer(Long.MAX_VALUE)).isEqualTo("9223372036854775807");
  }

  /** The real test of an escaping function: the server reads back exactly the string we meant. */
  @ParameterizedTest
  @ValueSource(strings = {
      "O'Brien", "trailing backslash \\", "\\'", "'') OR 1=1 --", "'; DROP TABLE gatehouse.events; --",
      "new\nline\r\ttab", "nul\0byte", "\u0007bell\u001b[0m", "emoji 🚀 and ünïcödé", "%_like*wildcards?", "\"double\""})
  void clickHouseReadsBackExactlyTheOriginalString(String hostile) {
    ClickHouseHttp clickHouse = new ClickHouseHttp(URI.create(ClickHouseServer.shared().httpUrl()), "default", "",
        Duration.ofSeconds(10));

    String echoed = clickHouse.select("SELECT " + SqlLiteral.string(hostile) + " AS s FORMAT JSONEachRow",
        row -> row.get("s").asText()).get(0);

    assertThat(echoed).isEqualTo(hostile);
  }
}
