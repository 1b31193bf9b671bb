package io.gatehouse.ingest.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.schemas.clickhouse.ClickHouseHttp;
import io.gatehouse.testsupport.clickhouse.ClickHouseServer;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The already-stored check against a real ClickHouse: ids travel as external data, in one query per batch. */
class StoredEventsTest {
  static ClickHouseHttp clickHouse;

  @BeforeAll
  static void migrate() {
    clickHouse = new ClickHouseHttp(URI.create(ClickHouseServer.shared().httpUrl()), "default", "");
    new Migrator(clickHouse).apply();
  }

  @Test
  void findsExactlyTheIdsTheTableHoldsInTheBatchSeconds() {
    // a second of its own, long ago, so that no other test's rows fall in it
    long second = 1_000_000_000L + (System.nanoTime() & 0xFFFFFF);
    String feature = "stored-" + UUID.randomUUID();
    List<String> held = new ArrayList<>();
    StringBuilder insert = new StringBuilder("INSERT INTO gatehouse.events (event_id, ts, feature) FORMAT TabSeparated\n");
    for (int i = 0; i < 12_000; i++) {
      String id = UUID.randomUUID().toString();
      held.add(id);
      insert.append(id).append('\t').append(second).append('\t').append(feature).append('\n');
    }
    clickHouse.query(insert.toString());
    List<String> asked = new ArrayList<>();
    for (int i = 0; i < held.size(); i++) {
      asked.add(i % 2 == 0 ? held.get(i) : held.get(i).toUpperCase()); // both spellings of a UUID
      asked.add(UUID.randomUUID().toString());
    }

    Set<String> present = new StoredEvents(clickHouse).present(asked, second, second);

    assertThat(present).hasSize(held.size()).isEqualTo(new HashSet<>(held));
    assertThat(new StoredEvents(clickHouse).present(asked, second + 1, second + 60))
        .as("only rows in the batch's seconds are looked at").isEmpty();
    assertThat(new StoredEvents(clickHouse).present(List.of(), second, second)).isEmpty();
  }

  @Test
  void refusesAnIdThatIsNotAUuid() {
    assertThatThrownBy(() -> new StoredEvents(clickHouse).present(
        List.of(UUID.randomUUID().toString(), "x'); DROP TABLE gatehouse.events; --"), 0, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a UUID");
  }
}
