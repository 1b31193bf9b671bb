package io.gatehouse.ingest.consume;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.schemas.EventIds;
import io.gatehouse.schemas.GatehouseEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class BatchTest {
  private static ConsumerRecord<byte[], byte[]> record(int partition, long offset) {
    return new ConsumerRecord<>("t", partition, offset, null, new byte[0]);
  }

  private static GatehouseEvent event(long i) {
    return GatehouseEvent.builder().eventId(EventIds.next()).tsStartMs(1_700_000_000_000L + i * 10)
        .feature("f" + i).build();
  }

  private static String rows(Batch b) {
    return new String(b.bytes(), 0, b.rows() == 0 ? 0 : b.rowEnd(b.rows() - 1), StandardCharsets.UTF_8);
  }

  @Test
  void knowsItsEventIdsAndTimeRange() {
    Batch b = new Batch();
    GatehouseEvent e = event(5);
    b.addRow(record(0, 0), event(9));
    b.addRow(record(0, 1), e);
    assertThat(b.hasEvent(e.eventId().toUpperCase())).isTrue();
    assertThat(b.eventIds()).hasSize(2).contains(e.eventId().toLowerCase());
    assertThat(b.minTsSecond()).isEqualTo(1_700_000_000L);
    assertThat(b.maxTsSecond()).isEqualTo(1_700_000_000L);
    b.addRow(record(0, 2), GatehouseEvent.builder().eventId(EventIds.next()).tsStartMs(1_700_000_003_500L).build());
    assertThat(b.maxTsSecond()).isEqualTo(1_700_000_003L);
    b.clear();
    assertThat(b.hasEvent(e.eventId())).isFalse();
  }

  @Test
  void dropRowsKeepsTheOthersInOrderAndTheOffsetsToCommit() {
    Batch b = new Batch();
    List<GatehouseEvent> events = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      events.add(event(i));
      b.addRow(record(i % 2, i), events.get(i));
    }
    b.skip(record(0, 6)); // a poison record, no row
    Set<String> stored = Set.of(events.get(0).eventId(), events.get(3).eventId(), events.get(4).eventId());

    assertThat(b.dropRows(stored::contains)).isEqualTo(3);
    assertThat(b.hasEvent(events.get(3).eventId())).isFalse();
    assertThat(b.hasEvent(events.get(5).eventId())).isTrue();

    assertThat(b.rows()).isEqualTo(3);
    assertThat(b.records()).isEqualTo(7);
    String[] lines = rows(b).split("\n");
    assertThat(lines).hasSize(3);
    assertThat(lines[0].strip()).startsWith("{").contains("\"feature\":\"f1\"").endsWith("}");
    assertThat(lines[1].strip()).startsWith("{").contains("\"feature\":\"f2\"").endsWith("}");
    assertThat(lines[2].strip()).startsWith("{").contains("\"feature\":\"f5\"").endsWith("}");
    assertThat(b.eventIds()).containsExactly(events.get(1).eventId(), events.get(2).eventId(),
        events.get(5).eventId());
    assertThat(b.source(2).offset()).isEqualTo(5);
    assertThat(b.rowStart(1)).isEqualTo(b.rowEnd(0));
    assertThat(b.nextOffsets()).containsEntry(new TopicPartition("t", 0), new OffsetAndMetadata(7))
        .containsEntry(new TopicPartition("t", 1), new OffsetAndMetadata(6));

    b.addRow(record(1, 7), event(7)); // appends after the kept rows
    assertThat(rows(b).split("\n")).hasSize(4);
    assertThat(rows(b).split("\n")[3]).contains("\"feature\":\"f7\"");
    assertThat(b.dropRows(r -> true)).isEqualTo(4);
    assertThat(rows(b)).isEmpty();
  }
}
