package io.gatehouse.ingest.consume;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.schemas.EventIds;
import io.gatehouse.schemas.GatehouseEvent;
import java.nio.charset.StandardCharsets;
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
    return GatehouseEvent.builder().eventId(EventIds.next()).tsStartMs(1_700_000_000_000L + i)
        .feature("f" + i).build();
  }

  private static String rows(Batch b) {
    return new String(b.bytes(), 0, b.rows() == 0 ? 0 : b.rowEnd(b.rows() - 1), StandardCharsets.UTF_8);
  }

  @Test
  void rowsCarryWhereTheyWereReadFrom() {
    Batch b = new Batch();
    b.addRow(record(2, 41), event(0));
    assertThat(rows(b)).contains("\"kafka_topic\":\"t\",\"kafka_partition\":2,\"kafka_offset\":41");
  }

  @Test
  void dropRowsKeepsTheOthersInOrderAndTheOffsetsToCommit() {
    Batch b = new Batch();
    for (int i = 0; i < 6; i++) {
      b.addRow(record(i % 2, i), event(i));
    }
    b.skip(record(0, 6)); // a poison record, no row
    Set<Long> stored = Set.of(0L, 3L, 4L);

    assertThat(b.dropRows(r -> stored.contains(r.offset()))).isEqualTo(3);

    assertThat(b.rows()).isEqualTo(3);
    assertThat(b.records()).isEqualTo(7);
    String[] lines = rows(b).split("\n");
    assertThat(lines).hasSize(3);
    assertThat(lines[0]).contains("\"feature\":\"f1\"").contains("\"kafka_offset\":1").endsWith("}");
    assertThat(lines[1]).contains("\"feature\":\"f2\"").contains("\"kafka_offset\":2");
    assertThat(lines[2]).contains("\"feature\":\"f5\"").contains("\"kafka_offset\":5");
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
