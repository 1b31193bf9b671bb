package io.gatehouse.proxy.events;

import io.gatehouse.proxy.config.GatehouseConfig.Fsync;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bounded, append-only queue of events on disk, where the publisher puts what Kafka cannot take
 * right now and from which it replays, in order, once Kafka answers again.
 *
 * <p><b>Layout.</b> A directory (locked by one proxy: {@code spool.lock}) of segment files
 * {@code 00000000000000000007.seg}, numbered in write order; the format of a file is in
 * {@link SpoolSegment}. New records go to the newest segment, which rolls over at
 * {@code segmentBytes}. A reader position ({@link Position}) walks the segments in order; the caller
 * tells the spool with {@link #release} which records Kafka has acknowledged, and whole segments
 * before that point are deleted. When everything is released the spool holds no file at all.
 *
 * <p><b>Bound.</b> The segment files together never exceed {@code maxBytes}: {@link #append} refuses
 * a record that would cross it (the caller counts and logs the loss); the proxy keeps serving.
 *
 * <p><b>fsync policy and what a power cut can lose.</b> Appends are written to the file at once (in the
 * operating system's page cache: a crash of the JVM alone loses nothing written). Durability against
 * a power cut or kernel crash depends on {@link Fsync}:
 * <ul>
 *   <li>{@code batch} — {@link #syncIfDue} forces after every batch the publisher writes: a power cut
 *       loses at most the batch being written;
 *   <li>{@code interval} (default) — forced at most once per second: a power cut loses at most the
 *       last second of spooled events;
 *   <li>{@code never} — the operating system writes back when it likes (about 30 s on Linux).
 * </ul>
 * Under every policy a segment is forced when it is finished, the directory is forced when a segment
 * is created (unless {@code never}), and everything is forced at {@link #close}. A write cut in the
 * middle leaves a torn last record: replay detects it by its length or CRC32C, logs it with the file
 * and offset, and skips it — so a power cut loses at most the unsynced tail, never the rest of the
 * segment. Events that never reached the spool (the publisher's in-memory queue, the Kafka
 * producer's buffer) are lost by any crash; a graceful shutdown moves them here.
 *
 * <p><b>Delivery.</b> At least once: after a failed send the reader is rewound to the first
 * unacknowledged record and what follows is sent again; records of a segment that was not fully
 * acknowledged before a restart are sent again after it. Consumers dedup by event id.
 *
 * <p>Not thread-safe: owned by the publisher thread. Never touched by a request thread.
 */
public final class Spool implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Spool.class);
  private static final Pattern SEGMENT_NAME = Pattern.compile("\\d{20}\\" + SpoolSegment.SUFFIX);
  static final long SYNC_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
  static final long MAX_SEGMENT_BYTES = 64L << 20;

  /** A place in the spool: a segment number and a byte offset in it. Ordered as written. */
  public record Position(long segment, long offset) implements Comparable<Position> {
    @Override
    public int compareTo(Position o) {
      int c = Long.compare(segment, o.segment);
      return c != 0 ? c : Long.compare(offset, o.offset);
    }

    @Override
    public String toString() {
      return SpoolSegment.fileName(segment) + "@" + offset;
    }
  }

  /** A record read back: where it starts, the Kafka key (event id) and value (event JSON). */
  public record Record(Position position, String key, byte[] value) {}

  private final Path dir;
  private final long maxBytes;
  private final long segmentBytes;
  private final Fsync fsync;
  private final LongSupplier nanoTime;
  private final FileChannel lockChannel;
  private final FileLock lock;
  /** Every segment on disk, oldest first; the newest may be {@link #active}. */
  private final TreeMap<Long, SpoolSegment> segments = new TreeMap<>();
  private SpoolSegment active;
  private long nextSeq;
  private long bytes;
  /** Next record to read, or null when the spool is empty. */
  private Position read;
  private boolean dirty;
  private long lastSyncNanos;
  private long appended;
  private long damaged;
  private boolean closed;

  private Spool(Path dir, long maxBytes, long segmentBytes, Fsync fsync, LongSupplier nanoTime,
      FileChannel lockChannel, FileLock lock) {
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.segmentBytes = segmentBytes;
    this.fsync = fsync;
    this.nanoTime = nanoTime;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.lastSyncNanos = nanoTime.getAsLong();
  }

  /** Segment size for a bound: an eighth of it, between 64 KB and 64 MB, so deletion frees space in steps. */
  static long segmentBytesFor(long maxBytes) {
    return Math.max(64 << 10, Math.min(MAX_SEGMENT_BYTES, maxBytes / 8));
  }

  /**
   * Opens (creating it if needed) and locks the spool directory; segments left by an earlier run are
   * queued for replay before anything new.
   *
   * @throws IOException when the directory cannot be created or read, or another proxy holds it
   */
  public static Spool open(Path dir, long maxBytes, Fsync fsync) throws IOException {
    return open(dir, maxBytes, segmentBytesFor(maxBytes), fsync, System::nanoTime);
  }

  static Spool open(Path dir, long maxBytes, long segmentBytes, Fsync fsync, LongSupplier nanoTime)
      throws IOException {
    Files.createDirectories(dir);
    FileChannel lockChannel = FileChannel.open(dir.resolve("spool.lock"), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = lockChannel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      lockChannel.close();
      throw new IOException("the spool directory " + dir.toAbsolutePath() + " is in use by another Gatehouse proxy; "
          + "give each proxy its own directory (events.spool.dir or GATEHOUSE_SPOOL_DIR)");
    }
    Spool spool = new Spool(dir, maxBytes, segmentBytes, fsync, nanoTime, lockChannel, lock);
    try {
      spool.loadExisting();
    } catch (IOException | RuntimeException e) {
      spool.close();
      throw e;
    }
    return spool;
  }

  private void loadExisting() throws IOException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        if (SEGMENT_NAME.matcher(p.getFileName().toString()).matches()) {
          files.add(p);
        }
      }
    }
    long maxSeq = -1;
    for (Path p : files) {
      long seq = Long.parseLong(p.getFileName().toString().substring(0, 20));
      maxSeq = Math.max(maxSeq, seq);
      SpoolSegment s = SpoolSegment.openExisting(p, seq);
      if (!s.hasValidMagic()) {
        damaged++;
        LOG.warn("Spool file {} ({} bytes) is not a Gatehouse spool segment or its header is damaged; it is "
            + "skipped and left in place for inspection (move it away to silence this warning)", p, s.size());
        s.close();
        continue;
      }
      segments.put(seq, s);
      bytes += s.size();
    }
    nextSeq = maxSeq + 1;
    if (!segments.isEmpty()) {
      read = new Position(segments.firstKey(), SpoolSegment.HEADER_BYTES);
      LOG.info("Spool {} holds {} bytes in {} segment(s) from an earlier run; they are replayed to Kafka, in order, "
          + "before newer events", dir.toAbsolutePath(), bytes, segments.size());
    }
  }

  /**
   * Appends a record unless that would take the spool past its bound.
   *
   * @return false when the record does not fit (the bound, or larger than a record may be)
   * @throws IOException when the disk refuses the write (the record is not in the spool)
   */
  public boolean append(String key, byte[] value) throws IOException {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    long size = SpoolSegment.recordBytes(k, value);
    if (k.length > Short.MAX_VALUE || size - SpoolSegment.RECORD_HEADER_BYTES > SpoolSegment.MAX_BODY_BYTES) {
      return false;
    }
    boolean roll = active == null || (active.size() + size > segmentBytes && active.size() > SpoolSegment.HEADER_BYTES);
    if (bytes + size + (roll ? SpoolSegment.HEADER_BYTES : 0) > maxBytes) {
      return false;
    }
    if (roll) {
      startSegment();
    }
    try {
      active.append(k, value);
    } catch (IOException e) {
      seal(); // whatever half-record it left is past its size: never read, overwritten by nothing
      throw e;
    }
    bytes += size;
    appended++;
    dirty = true;
    return true;
  }

  private void startSegment() throws IOException {
    seal();
    SpoolSegment s = SpoolSegment.create(dir, nextSeq++);
    segments.put(s.seq(), s);
    bytes += s.size();
    active = s;
    if (read == null) {
      read = new Position(s.seq(), SpoolSegment.HEADER_BYTES);
    }
    if (fsync != Fsync.NEVER) {
      forceDirectory();
    }
  }

  /** Ends writing to the active segment (forced to disk); it stays readable. */
  private void seal() {
    if (active == null) {
      return;
    }
    try {
      active.force();
    } catch (IOException e) {
      LOG.warn("Could not force spool segment {} to disk: {}", active.path(), e.getMessage());
    }
    active = null;
    dirty = false;
  }

  private void forceDirectory() {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // not supported on every platform; the segment's data is still forced by the policy
    }
  }

  /**
   * The next record to replay, or null when the reader has caught up with the writer. Damaged records
   * are skipped here (logged, counted in {@link #damagedRecords()}).
   */
  public Record next() throws IOException {
    while (read != null) {
      SpoolSegment seg = segments.get(read.segment());
      if (seg == null) { // its segment was released: move to the oldest one left
        if (segments.isEmpty()) {
          read = null;
          return null;
        }
        read = new Position(segments.firstKey(), SpoolSegment.HEADER_BYTES);
        continue;
      }
      if (read.offset() >= seg.size()) {
        Long later = segments.higherKey(seg.seq());
        if (seg == active || later == null) {
          return null;
        }
        read = new Position(later, SpoolSegment.HEADER_BYTES);
        continue;
      }
      SpoolSegment.Read r = seg.read(read.offset());
      Position at = read;
      read = new Position(seg.seq(), r.next());
      if (r.kind() == SpoolSegment.Kind.RECORD) {
        return new Record(at, r.key(), r.value());
      }
      damaged++;
      if (r.kind() == SpoolSegment.Kind.TORN) {
        LOG.warn("Spool segment {}: {} at byte {}; skipped {} bytes to the end of the file. This is what a crash or "
            + "power cut during a write leaves behind: at most this one event is lost, the rest is replayed.",
            seg.path(), r.problem(), at.offset(), r.next() - at.offset());
      } else {
        LOG.warn("Spool segment {}: {} at byte {}; that one record is skipped (the file was damaged on disk), the "
            + "rest is replayed.", seg.path(), r.problem(), at.offset());
      }
    }
    return null;
  }

  /** The position {@link #next} reads from next (null when the spool is empty). */
  public Position readPosition() {
    return read;
  }

  /** Goes back to {@code position} (a record returned earlier and not yet released) to read it again. */
  public void rewind(Position position) {
    read = position;
  }

  /**
   * Everything before {@code firstNeeded} has been delivered: deletes the segments that lie wholly
   * before it; when nothing after it is left, deletes everything and the spool is empty.
   */
  public void release(Position firstNeeded) throws IOException {
    while (!segments.isEmpty() && segments.firstKey() < firstNeeded.segment()) {
      delete(segments.firstEntry());
    }
    if (segments.size() == 1 && read != null && read.compareTo(firstNeeded) <= 0) {
      SpoolSegment last = segments.firstEntry().getValue();
      if (last.seq() == firstNeeded.segment() && firstNeeded.offset() >= last.size()) {
        if (last == active) {
          active = null;
          dirty = false;
        }
        delete(segments.firstEntry());
        read = null;
      }
    }
  }

  private void delete(Map.Entry<Long, SpoolSegment> e) throws IOException {
    SpoolSegment s = e.getValue();
    segments.remove(e.getKey());
    bytes -= s.size();
    if (s == active) {
      active = null;
    }
    s.delete();
  }

  /** Forces written records to disk when the {@link Fsync} policy says it is time. */
  public void syncIfDue() {
    if (!dirty || active == null) {
      return;
    }
    long now = nanoTime.getAsLong();
    boolean due = switch (fsync) {
      case BATCH -> true;
      case INTERVAL -> now - lastSyncNanos >= SYNC_INTERVAL_NANOS;
      case NEVER -> false;
    };
    if (due) {
      try {
        active.force();
      } catch (IOException e) {
        LOG.warn("Could not force spool segment {} to disk: {}", active.path(), e.getMessage());
      }
      lastSyncNanos = now;
      dirty = false;
    }
  }

  /** Written records not yet forced to disk (for tests). */
  boolean isDirty() {
    return dirty;
  }

  /** True when no record is held (no segment file exists). */
  public boolean isEmpty() {
    return segments.isEmpty();
  }

  /** Bytes of all segment files. */
  public long bytes() {
    return bytes;
  }

  public long maxBytes() {
    return maxBytes;
  }

  public int segmentCount() {
    return segments.size();
  }

  /** Records appended since open. */
  public long appended() {
    return appended;
  }

  /** Torn or corrupted records (and foreign files) skipped since open. */
  public long damagedRecords() {
    return damaged;
  }

  public Path dir() {
    return dir;
  }

  /** Forces and closes every file and releases the directory lock; the records stay for the next run. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    seal();
    for (SpoolSegment s : segments.values()) {
      try {
        s.close();
      } catch (IOException e) {
        LOG.warn("Could not close spool segment {}: {}", s.path(), e.getMessage());
      }
    }
    segments.clear();
    try {
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      LOG.warn("Could not release the spool lock in {}: {}", dir, e.getMessage());
    }
  }
}
