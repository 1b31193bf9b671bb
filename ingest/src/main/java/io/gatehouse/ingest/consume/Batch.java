package io.gatehouse.ingest.consume;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.gatehouse.ingest.clickhouse.EventRow;
import io.gatehouse.schemas.GatehouseEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The rows of one pending insert, already serialised as JSONEachRow, plus the Kafka offsets to
 * commit once ClickHouse has them. Records that were skipped (poison) still advance the offsets.
 *
 * <p>Owned by the consumer thread; not thread-safe. The buffer is reused from batch to batch.
 */
final class Batch {
  private static final JsonFactory JSON = new JsonFactory();

  private final Buffer out = new Buffer(1 << 20);
  private final JsonGenerator gen;
  private final List<ConsumerRecord<byte[], byte[]>> sources = new ArrayList<>();
  private int[] rowEnds = new int[1024];
  private final Map<TopicPartition, OffsetAndMetadata> nextOffsets = new HashMap<>();
  private final Map<TopicPartition, Long> firstOffsets = new HashMap<>();
  private int records;
  private long startedNanos;

  Batch() {
    try {
      gen = JSON.createGenerator(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Appends the row of {@code event}, read from {@code source}.
   *
   * @throws IllegalArgumentException when the event cannot be a row; the batch is unchanged then
   */
  void addRow(ConsumerRecord<byte[], byte[]> source, GatehouseEvent event) {
    try {
      EventRow.write(event, source.topic(), source.partition(), source.offset(), gen);
      gen.writeRaw('\n');
      gen.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory cannot fail", e);
    }
    int row = sources.size();
    if (row == rowEnds.length) {
      rowEnds = Arrays.copyOf(rowEnds, row * 2);
    }
    rowEnds[row] = out.size();
    sources.add(source);
    consumed(source);
  }

  /** Counts a record that produced no row (it is still committed with the batch). */
  void skip(ConsumerRecord<byte[], byte[]> source) {
    consumed(source);
  }

  private void consumed(ConsumerRecord<byte[], byte[]> r) {
    if (records++ == 0) {
      startedNanos = System.nanoTime();
    }
    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
    firstOffsets.putIfAbsent(tp, r.offset());
    nextOffsets.put(tp, new OffsetAndMetadata(r.offset() + 1, r.leaderEpoch(), ""));
  }

  int rows() { return sources.size(); }
  /** Records taken into this batch, rows plus skipped ones. */
  int records() { return records; }
  boolean isEmpty() { return records == 0; }
  long ageNanos(long nowNanos) { return records == 0 ? 0 : nowNanos - startedNanos; }
  byte[] bytes() { return out.array(); }
  int rowStart(int row) { return row == 0 ? 0 : rowEnds[row - 1]; }
  int rowEnd(int row) { return rowEnds[row]; }
  ConsumerRecord<byte[], byte[]> source(int row) { return sources.get(row); }
  /** Per partition, the offset after the last record taken: what to commit. */
  Map<TopicPartition, OffsetAndMetadata> nextOffsets() { return nextOffsets; }
  /** Per partition, the first offset taken: where to seek back to re-read this batch. */
  Map<TopicPartition, Long> firstOffsets() { return firstOffsets; }

  /**
   * Removes the rows whose source record {@code drop} accepts (e.g. those ClickHouse already holds),
   * keeping the others in order; their offsets stay in the batch, to be committed with it.
   *
   * @return how many rows were removed
   */
  int dropRows(Predicate<ConsumerRecord<byte[], byte[]>> drop) {
    byte[] buf = out.array();
    int kept = 0;
    int writeAt = 0;
    int end = 0;
    for (int row = 0; row < sources.size(); row++) {
      int start = end;
      end = rowEnds[row]; // read before any write below can reach index row
      ConsumerRecord<byte[], byte[]> source = sources.get(row);
      if (drop.test(source)) {
        continue;
      }
      // rows only move towards the start, so an in-place copy never overwrites a row still to read
      System.arraycopy(buf, start, buf, writeAt, end - start);
      writeAt += end - start;
      sources.set(kept, source);
      rowEnds[kept] = writeAt;
      kept++;
    }
    int dropped = sources.size() - kept;
    sources.subList(kept, sources.size()).clear();
    out.truncate(writeAt);
    return dropped;
  }

  void clear() {
    out.reset();
    sources.clear();
    nextOffsets.clear();
    firstOffsets.clear();
    records = 0;
  }

  /** Exposes its array so inserts read the rows without a copy. */
  private static final class Buffer extends ByteArrayOutputStream {
    Buffer(int size) { super(size); }
    byte[] array() { return buf; }
    /** Forgets everything after {@code size} bytes; the generator appends there next. */
    void truncate(int size) { count = size; }
  }
}
