package io.gatehouse.schemas;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * UUIDv7 event ids (RFC 9562): 48 bits of epoch milliseconds, then random bits. Time-ordered, so ids
 * sort roughly by request start; the id is the idempotency key from the proxy to ClickHouse.
 *
 * <p>Thread-safe and uncontended: the 74 random bits come from {@link ThreadLocalRandom}, not
 * SecureRandom (which showed up in the proxy's profile on every request). Ids need to be unique, not
 * unguessable; nothing secret is derived from them.
 */
public final class EventIds {
  private EventIds() {}

  public static String next() {
    return forTime(System.currentTimeMillis()).toString();
  }

  static UUID forTime(long epochMs) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    return of(epochMs, random.nextLong(), random.nextLong());
  }

  /** The UUIDv7 for {@code epochMs} with the given random bits (only the bits v7 leaves random are used). */
  public static UUID of(long epochMs, long randA, long randB) {
    long msb = (epochMs & 0xFFFF_FFFF_FFFFL) << 16 | 0x7000L | (randA & 0x0FFFL);
    long lsb = (randB & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
    return new UUID(msb, lsb);
  }

  /** The epoch milliseconds encoded in a UUIDv7. */
  public static long epochMs(String uuidV7) {
    return UUID.fromString(uuidV7).getMostSignificantBits() >>> 16;
  }
}
