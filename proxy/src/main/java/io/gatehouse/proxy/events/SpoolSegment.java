package io.gatehouse.proxy.events;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * One append-only file of the {@link Spool}: an 8-byte magic ({@code GHSPOOL1}) then records
 * <pre>
 *   int32  body length (big-endian)      ┐ record header, 8 bytes
 *   int32  CRC32C of the body            ┘
 *   body:  int16 key length, key (UTF-8, the event id), value (the event's JSON as published)
 * </pre>
 * Writes are positional, so a failed write is overwritten by the next one instead of leaving garbage
 * in the middle. Reads validate the length and the checksum; a record that fails either is reported,
 * never returned.
 *
 * <p>Not thread-safe: owned by the {@link Spool}, i.e. by the publisher thread.
 */
final class SpoolSegment implements AutoCloseable {
  static final byte[] MAGIC = "GHSPOOL1".getBytes(StandardCharsets.US_ASCII);
  static final int HEADER_BYTES = MAGIC.length;
  static final int RECORD_HEADER_BYTES = 8;
  /** A record larger than this is refused on write and treated as a damaged length on read. */
  static final int MAX_BODY_BYTES = 16 << 20;
  static final String SUFFIX = ".seg";

  private final long seq;
  private final Path path;
  private final FileChannel channel;
  private final boolean writable;
  /** Bytes that belong to the segment: written by us, or the file's length when opened from disk. */
  private long size;

  private SpoolSegment(long seq, Path path, FileChannel channel, boolean writable, long size) {
    this.seq = seq;
    this.path = path;
    this.channel = channel;
    this.writable = writable;
    this.size = size;
  }

  static String fileName(long seq) {
    return String.format("%020d%s", seq, SUFFIX);
  }

  /** A new, empty, writable segment (its magic written). */
  static SpoolSegment create(Path dir, long seq) throws IOException {
    Path path = dir.resolve(fileName(seq));
    FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    try {
      writeFully(ch, ByteBuffer.wrap(MAGIC), 0);
    } catch (IOException e) {
      ch.close();
      Files.deleteIfExists(path);
      throw e;
    }
    return new SpoolSegment(seq, path, ch, true, HEADER_BYTES);
  }

  /** A segment left by an earlier run, read-only. */
  static SpoolSegment openExisting(Path path, long seq) throws IOException {
    FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
    return new SpoolSegment(seq, path, ch, false, ch.size());
  }

  long seq() {
    return seq;
  }

  Path path() {
    return path;
  }

  long size() {
    return size;
  }

  static int recordBytes(byte[] key, byte[] value) {
    return RECORD_HEADER_BYTES + 2 + key.length + value.length;
  }

  /** Appends one record at the end; on failure the segment's size is unchanged. */
  void append(byte[] key, byte[] value) throws IOException {
    if (!writable) {
      throw new IllegalStateException("segment " + path + " is read-only");
    }
    int bodyLength = 2 + key.length + value.length;
    ByteBuffer buf = ByteBuffer.allocate(RECORD_HEADER_BYTES + bodyLength);
    buf.position(RECORD_HEADER_BYTES);
    buf.putShort((short) key.length).put(key).put(value);
    CRC32C crc = new CRC32C();
    crc.update(buf.array(), RECORD_HEADER_BYTES, bodyLength);
    buf.putInt(0, bodyLength).putInt(4, (int) crc.getValue());
    buf.flip();
    writeFully(channel, buf, size);
    size += buf.limit();
  }

  /** Forces written bytes to the device (data only; the length is covered by the records' checksums). */
  void force() throws IOException {
    channel.force(false);
  }

  /** Outcome of reading at an offset. */
  enum Kind {
    /** A valid record. */
    RECORD,
    /** The record's checksum or key length is wrong; {@code next} skips just this record. */
    CORRUPT,
    /** The record (or its header) runs past the end, or its length is impossible: skip to the end. */
    TORN
  }

  /** @param next offset after what was read or skipped */
  record Read(Kind kind, String key, byte[] value, long next, String problem) {}

  /** Whether the file starts with the spool's magic (checked once for files from an earlier run). */
  boolean hasValidMagic() throws IOException {
    if (size < HEADER_BYTES) {
      return false;
    }
    ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES);
    readFully(b, 0);
    return Arrays.equals(b.array(), MAGIC);
  }

  /** Reads the record at {@code offset}; {@code offset} must be below {@link #size()}. */
  Read read(long offset) throws IOException {
    long remaining = size - offset;
    if (remaining < RECORD_HEADER_BYTES) {
      return new Read(Kind.TORN, null, null, size, "a record header cut short (" + remaining + " of "
          + RECORD_HEADER_BYTES + " bytes)");
    }
    ByteBuffer header = ByteBuffer.allocate(RECORD_HEADER_BYTES);
    readFully(header, offset);
    int bodyLength = header.getInt(0);
    int expectedCrc = header.getInt(4);
    if (bodyLength < 2 || bodyLength > MAX_BODY_BYTES) {
      return new Read(Kind.TORN, null, null, size, "an impossible record length " + bodyLength);
    }
    if (bodyLength > remaining - RECORD_HEADER_BYTES) {
      return new Read(Kind.TORN, null, null, size, "a record cut short (" + (remaining - RECORD_HEADER_BYTES)
          + " of " + bodyLength + " bytes)");
    }
    long next = offset + RECORD_HEADER_BYTES + bodyLength;
    ByteBuffer body = ByteBuffer.allocate(bodyLength);
    readFully(body, offset + RECORD_HEADER_BYTES);
    CRC32C crc = new CRC32C();
    crc.update(body.array(), 0, bodyLength);
    if ((int) crc.getValue() != expectedCrc) {
      return new Read(Kind.CORRUPT, null, null, next, "a checksum mismatch in a record of " + bodyLength + " bytes");
    }
    int keyLength = body.getShort(0) & 0xFFFF;
    if (keyLength > bodyLength - 2) {
      return new Read(Kind.CORRUPT, null, null, next, "an impossible key length " + keyLength);
    }
    String key = new String(body.array(), 2, keyLength, StandardCharsets.UTF_8);
    byte[] value = Arrays.copyOfRange(body.array(), 2 + keyLength, bodyLength);
    return new Read(Kind.RECORD, key, value, next, null);
  }

  private void readFully(ByteBuffer b, long position) throws IOException {
    long p = position;
    while (b.hasRemaining()) {
      int n = channel.read(b, p);
      if (n < 0) {
        throw new IOException("unexpected end of " + path + " at byte " + p);
      }
      p += n;
    }
    b.flip();
  }

  private static void writeFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
    long p = position;
    while (b.hasRemaining()) {
      p += ch.write(b, p);
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  /** Closes and removes the file. */
  void delete() throws IOException {
    channel.close();
    Files.deleteIfExists(path);
  }
}
