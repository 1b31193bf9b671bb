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
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
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
  /** Per row, its event id in lower case (ClickHouse prints UUIDs in lower case). */
  private final List<String> eventIds = new ArrayList<>();
  private final Set<String> idSet = new HashSet<>();
  private long minTsSecond = Long.MAX_VALUE;
  private long maxTsSecond = Long.MIN_VALUE;
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

  /** Whether a row of this batch already has this event id (any case). */
  boolean hasEvent(String eventId) {
    return idSet.contains(eventId.toLowerCase(Locale.ROOT));
  }

  /** Writes one row to the batch's generator. */
  interface RowWriter {
    void write(JsonGenerator g) throws IOException;
  }

  /**
   * Appends the row of {@code event}, read from {@code source}.
   *
   * @throws IllegalArgumentException when the event cannot be a row; the batch is unchanged then
   */
  void addRow(ConsumerRecord<byte[], byte[]> source, GatehouseEvent event) {
    addRow(source, event.eventId(), event.tsStartMs(), g -> EventRow.write(event, g));
  }

  /**
   * Appends the row {@code writer} writes for the event {@code eventId} that started at {@code tsStartMs},
   * read from {@code source}.
   *
   * @throws IllegalArgumentException when the writer refuses the event before writing anything; the batch
   *     is unchanged then
   */
  void addRow(ConsumerRecord<byte[], byte[]> source, String eventId, long tsStartMs, RowWriter writer) {
    try {
      writer.write(gen);
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
    String id = eventId.toLowerCase(Locale.ROOT);
    eventIds.add(id);
    idSet.add(id);
    long second = tsStartMs / 1000; // the row's ts (EventRow)
    minTsSecond = Math.min(minTsSecond, second);
    maxTsSecond = Math.max(maxTsSecond, second);
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
  /** Event ids of the rows, lower case, in row order (a live view: do not keep it). */
  List<String> eventIds() { return eventIds; }
  /** Smallest row {@code ts}, epoch seconds (valid while {@code rows() > 0}). */
  long minTsSecond() { return minTsSecond; }
  /** Largest row {@code ts}, epoch seconds (valid while {@code rows() > 0}). */
  long maxTsSecond() { return maxTsSecond; }
  /** Per partition, the offset after the last record taken: what to commit. */
  Map<TopicPartition, OffsetAndMetadata> nextOffsets() { return nextOffsets; }
  /** Per partition, the first offset taken: where to seek back to re-read this batch. */
  Map<TopicPartition, Long> firstOffsets() { return firstOffsets; }

  /**
   * Removes the rows whose event id (lower case) {@code drop} accepts, e.g. those ClickHouse already
   * holds, keeping the others in order; their offsets stay in the batch, to be committed with it.
   * The time range is not narrowed (it still covers every row).
   *
   * @return how many rows were removed
   */
  int dropRows(Predicate<String> drop) {
    byte[] buf = out.array();
    int kept = 0;
    int writeAt = 0;
    int end = 0;
    for (int row = 0; row < sources.size(); row++) {
      int start = end;
      end = rowEnds[row]; // read before any write below can reach index row
      ConsumerRecord<byte[], byte[]> source = sources.get(row);
      String id = eventIds.get(row);
      if (drop.test(id)) {
        idSet.remove(id);
        continue;
      }
      // rows only move towards the start, so an in-place copy never overwrites a row still to read
      System.arraycopy(buf, start, buf, writeAt, end - start);
      writeAt += end - start;
      sources.set(kept, source);
      eventIds.set(kept, id);
      rowEnds[kept] = writeAt;
      kept++;
    }
    int dropped = sources.size() - kept;
    sources.subList(kept, sources.size()).clear();
    eventIds.subList(kept, eventIds.size()).clear();
    out.truncate(writeAt);
    return dropped;
  }

  void clear() {
    out.reset();
    sources.clear();
    eventIds.clear();
    idSet.clear();
    minTsSecond = Long.MAX_VALUE;
    maxTsSecond = Long.MIN_VALUE;
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
