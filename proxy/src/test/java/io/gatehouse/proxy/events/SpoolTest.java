package io.gatehouse.proxy.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.proxy.config.GatehouseConfig.Fsync;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolTest {
  @TempDir Path dir;

  private static byte[] value(int i) {
    return ("{\"event_id\":\"e" + i + "\",\"pad\":\"" + "x".repeat(200) + "\"}").getBytes(StandardCharsets.UTF_8);
  }

  private Spool open(long maxBytes) throws IOException {
    return Spool.open(dir, maxBytes, 4096, Fsync.BATCH, System::nanoTime);
  }

  private static List<String> readAllKeys(Spool spool) throws IOException {
    List<String> keys = new ArrayList<>();
    Spool.Record r;
    while ((r = spool.next()) != null) {
      keys.add(r.key());
      assertThat(r.value()).isEqualTo(value(Integer.parseInt(r.key().substring(1))));
    }
    return keys;
  }

  private List<Path> segmentFiles() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.toString().endsWith(".seg")).sorted().toList();
    }
  }

  private static List<String> keys(int from, int to) {
    List<String> k = new ArrayList<>();
    for (int i = from; i < to; i++) {
      k.add("e" + i);
    }
    return k;
  }

  @Test
  void recordsComeBackInOrderAcrossSegmentsAndReleasingDeletesThem() throws IOException {
    try (Spool spool = open(1 << 20)) {
      for (int i = 0; i < 100; i++) {
        assertThat(spool.append("e" + i, value(i))).isTrue();
        spool.syncIfDue();
      }
      assertThat(segmentFiles()).hasSizeGreaterThan(3); // 4 KB segments
      assertThat(readAllKeys(spool)).isEqualTo(keys(0, 100));
      assertThat(spool.isEmpty()).isFalse();
      spool.release(spool.readPosition());
      assertThat(spool.isEmpty()).isTrue();
      assertThat(segmentFiles()).isEmpty();
      assertThat(spool.bytes()).isZero();
      // and it starts over cleanly
      assertThat(spool.append("e7", value(7))).isTrue();
      assertThat(readAllKeys(spool)).containsExactly("e7");
    }
  }

  @Test
  void rewindReadsAgainFromAnUnacknowledgedRecordAndReleaseKeepsItsSegment() throws IOException {
    try (Spool spool = open(1 << 20)) {
      for (int i = 0; i < 40; i++) {
        spool.append("e" + i, value(i));
      }
      List<Spool.Record> read = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        read.add(spool.next());
      }
      Spool.Position failed = read.get(20).position();
      spool.release(failed);
      spool.rewind(failed);
      assertThat(readAllKeys(spool)).isEqualTo(keys(20, 40));
      assertThat(segmentFiles().get(0).getFileName().toString())
          .isEqualTo(SpoolSegment.fileName(failed.segment()));
    }
  }

  @Test
  void survivesARestartAndNewRecordsComeAfterTheOldOnes() throws IOException {
    try (Spool spool = open(1 << 20)) {
      for (int i = 0; i < 30; i++) {
        spool.append("e" + i, value(i));
      }
    }
    try (Spool spool = open(1 << 20)) {
      spool.append("e30", value(30));
      assertThat(readAllKeys(spool)).isEqualTo(keys(0, 31));
    }
  }

  @Test
  void aTornLastRecordIsSkippedByItsLengthAndOnlyItIsLost() throws IOException {
    try (Spool spool = open(1 << 20)) {
      for (int i = 0; i < 10; i++) {
        spool.append("e" + i, value(i));
      }
    }
    Path last = segmentFiles().get(segmentFiles().size() - 1);
    try (RandomAccessFile f = new RandomAccessFile(last.toFile(), "rw")) {
      f.setLength(f.length() - 7); // power cut in the middle of the last write
    }
    try (Spool spool = open(1 << 20)) {
      assertThat(readAllKeys(spool)).isEqualTo(keys(0, 9));
      assertThat(spool.damagedRecords()).isEqualTo(1);
      spool.release(spool.readPosition());
      assertThat(segmentFiles()).isEmpty();
    }
  }

  @Test
  void aCorruptedRecordIsSkippedByItsChecksumAndTheRestIsRead() throws IOException {
    try (Spool spool = open(1 << 20)) {
      for (int i = 0; i < 5; i++) {
        spool.append("e" + i, value(i));
      }
    }
    Path seg = segmentFiles().get(0);
    int recordBytes = SpoolSegment.recordBytes("e0".getBytes(StandardCharsets.UTF_8), value(0));
    try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
      long inSecondRecordValue = SpoolSegment.HEADER_BYTES + recordBytes + 40;
      f.seek(inSecondRecordValue);
      int b = f.read();
      f.seek(inSecondRecordValue);
      f.write(b ^ 0x5A); // one flipped byte
    }
    try (Spool spool = open(1 << 20)) {
      assertThat(readAllKeys(spool)).containsExactly("e0", "e2", "e3", "e4");
      assertThat(spool.damagedRecords()).isEqualTo(1);
    }
  }

  @Test
  void refusesRecordsPastItsByteBound() throws IOException {
    int recordBytes = SpoolSegment.recordBytes("e0".getBytes(StandardCharsets.UTF_8), value(0));
    long bound = SpoolSegment.HEADER_BYTES + 3L * recordBytes;
    try (Spool spool = Spool.open(dir, bound, 1 << 20, Fsync.INTERVAL, System::nanoTime)) {
      assertThat(spool.append("e0", value(0))).isTrue();
      assertThat(spool.append("e1", value(1))).isTrue();
      assertThat(spool.append("e2", value(2))).isTrue();
      assertThat(spool.append("e3", value(3))).isFalse();
      assertThat(spool.bytes()).isEqualTo(bound);
      assertThat(readAllKeys(spool)).containsExactly("e0", "e1", "e2");
    }
  }

  @Test
  void oneDirectoryBelongsToOneSpool() throws IOException {
    try (Spool spool = open(1 << 20)) {
      assertThatThrownBy(() -> open(1 << 20)).isInstanceOf(IOException.class)
          .hasMessageContaining("in use by another Gatehouse proxy");
    }
    open(1 << 20).close(); // released on close
  }

  @Test
  void intervalPolicyForcesAtMostOncePerIntervalOnAnInjectedClock() throws IOException {
    long[] now = {0};
    try (Spool spool = Spool.open(dir, 1 << 20, 1 << 20, Fsync.INTERVAL, () -> now[0])) {
      spool.append("e0", value(0));
      spool.syncIfDue();
      assertThat(spool.isDirty()).as("not yet due").isTrue();
      now[0] += Spool.SYNC_INTERVAL_NANOS;
      spool.syncIfDue();
      assertThat(spool.isDirty()).isFalse();
    }
  }
}
