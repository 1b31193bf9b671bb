package io.gatehouse.ingest.consume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One service's stats over several consumer loops: counters add up, per-loop state is combined. */
class IngestStatsTest {
  @Test
  void countersAreSharedAndEachLoopsStateIsCombined() {
    IngestStats service = new IngestStats();
    List<Integer> observed = new ArrayList<>();
    service.observeInserts((rows, nanos) -> observed.add(rows));
    IngestStats a = service.member();
    IngestStats b = service.member();

    a.consumed(10);
    b.consumed(5);
    a.inserted(7, 1_000L, 1);
    b.inserted(3, 2_000L, 1);
    a.pendingRows(4);
    b.pendingRows(6);
    a.assignedPartitions(2);
    b.assignedPartitions(1);
    a.lag(Map.of("t-0", 5L, "t-1", 0L));
    b.lag(Map.of("t-2", 7L));
    b.insertFailing(true);
    b.insertFailed("ClickHouse not reachable");

    assertThat(service.consumed()).isEqualTo(15);
    assertThat(service.insertedRows()).isEqualTo(10);
    assertThat(service.insertBatches()).isEqualTo(2);
    assertThat(observed).as("the service's observer sees every loop's inserts").containsExactly(7, 3);
    assertThat(service.pendingRows()).isEqualTo(10);
    assertThat(service.assignedPartitions()).isEqualTo(3);
    assertThat(service.lag()).isEqualTo(Map.of("t-0", 5L, "t-1", 0L, "t-2", 7L));
    assertThat(service.lagTotal()).isEqualTo(12);
    assertThat(service.insertFailing()).as("any loop failing").isTrue();
    assertThat(service.lastError()).isEqualTo("ClickHouse not reachable");

    b.insertFailing(false);
    b.assignedPartitions(0);
    b.lag(Map.of());
    assertThat(service.insertFailing()).isFalse();
    assertThat(service.assignedPartitions()).isEqualTo(2);
    assertThat(service.lag()).containsOnlyKeys("t-0", "t-1");
  }

  @Test
  void membersAreMadeFromTheServicesStatsOnly() {
    IngestStats member = new IngestStats().member();
    assertThatThrownBy(member::member).isInstanceOf(IllegalStateException.class);
  }
}
