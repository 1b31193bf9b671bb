package io.gatehouse.jmh;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.gatehouse.ingest.clickhouse.RowTranscoder;
import io.gatehouse.schemas.EventJson;
import io.gatehouse.testsupport.bench.ingest.BenchEvents;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Ingest's per-event work on its consumer thread: an event's JSON, as the proxy publishes it, read and
 * written as its ClickHouse {@code JSONEachRow} row ({@link RowTranscoder#read} + {@link RowTranscoder#write})
 * into a reused byte buffer, as the batch does. The events are {@code ./gatehouse bench ingest}'s
 * ({@link BenchEvents}, ≈ 1.5 KB each); each call takes the next of 1,024 so that branches vary as in a batch.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class IngestRowBench {
  static final int EVENTS = 1_024;

  private final byte[][] events = new byte[EVENTS][];
  private final RowTranscoder transcoder = new RowTranscoder();
  private final ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 16);
  private JsonGenerator generator;
  private int next;

  @Setup
  public void setUp() throws IOException {
    BenchEvents source = new BenchEvents(42, 5_000);
    for (int i = 0; i < EVENTS; i++) {
      events[i] = EventJson.toBytes(source.next(1_764_060_000_000L + i * 1_000L, "jmh"));
    }
    generator = new JsonFactory().createGenerator(out);
    generator.setRootValueSeparator(null); // rows are whole lines, as in the batch
  }

  /** The i-th event's JSON (tests). */
  byte[] event(int i) {
    return events[i];
  }

  /** The row the last {@link #row} call wrote (tests). */
  byte[] lastRow() {
    return out.toByteArray();
  }

  /** Returns the row's length in bytes. */
  @Benchmark
  public int row() throws IOException {
    byte[] event = events[next++ & (EVENTS - 1)];
    if (!transcoder.read(event)) {
      throw new IllegalStateException("the fast path declined a bench event");
    }
    out.reset();
    transcoder.write(generator);
    generator.flush();
    return out.size();
  }
}
