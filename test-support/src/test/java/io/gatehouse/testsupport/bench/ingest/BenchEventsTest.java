package io.gatehouse.testsupport.bench.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.schemas.EventIds;
import io.gatehouse.schemas.EventJson;
import io.gatehouse.schemas.GatehouseEvent;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BenchEventsTest {
  private static final long END_MS = 1_764_060_000_000L;

  @Test
  void eventsAreAboutOneAndAHalfKilobytesOfJson() {
    BenchEvents events = new BenchEvents(1, 100);
    long bytes = 0;
    int n = 2_000;
    for (int i = 0; i < n; i++) {
      bytes += EventJson.toBytes(events.next(END_MS + i, "test")).length;
    }
    assertThat(bytes / n).isBetween(1_350L, 1_650L);
  }

  @Test
  void eventsAreValidV1EventsThatSurviveTheirJson() {
    BenchEvents events = new BenchEvents(2, 100);
    Set<String> ids = new HashSet<>();
    Set<String> users = new HashSet<>();
    Set<String> models = new HashSet<>();
    for (int i = 0; i < 1_000; i++) {
      GatehouseEvent e = events.next(END_MS, "test");
      assertThat(EventJson.fromBytes(EventJson.toBytes(e))).isEqualTo(e);
      assertThat(e.schemaVersion()).isEqualTo(GatehouseEvent.SCHEMA_VERSION);
      assertThat(e.tsEndMs()).isEqualTo(END_MS);
      assertThat(e.tsStartMs()).isEqualTo(END_MS - e.durationMs());
      assertThat(EventIds.epochMs(e.eventId())).isEqualTo(e.tsStartMs());
      assertThat(e.environment()).isEqualTo("test");
      ids.add(e.eventId());
      users.add(e.user());
      models.add(e.modelRequested());
    }
    assertThat(ids).hasSize(1_000);
    assertThat(users).hasSizeGreaterThan(90);
    assertThat(models).hasSizeGreaterThan(4);
  }

  @Test
  void theSameSeedGivesTheSameEvents() {
    assertThat(new BenchEvents(3, 10).next(END_MS, "x")).isEqualTo(new BenchEvents(3, 10).next(END_MS, "x"));
  }
}
