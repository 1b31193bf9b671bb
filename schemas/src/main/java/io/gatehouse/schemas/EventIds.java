package io.gatehouse.schemas;

import java.security.SecureRandom;
import java.util.UUID;

/**
 * UUIDv7 event ids (RFC 9562): 48 bits of epoch milliseconds, then random bits. Time-ordered, so ids
 * sort roughly by request start; the id is the idempotency key from the proxy to ClickHouse.
 *
 * <p>Thread-safe.
 */
public final class EventIds {
  private static final SecureRandom RANDOM = new SecureRandom();

  private EventIds() {}

  public static String next() {
    return forTime(System.currentTimeMillis()).toString();
  }

  static UUID forTime(long epochMs) {
    long randA;
    long randB;
    synchronized (RANDOM) {
      randA = RANDOM.nextLong();
      randB = RANDOM.nextLong();
    }
    long msb = (epochMs & 0xFFFF_FFFF_FFFFL) << 16 | 0x7000L | (randA & 0x0FFFL);
    long lsb = (randB & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
    return new UUID(msb, lsb);
  }

  /** The epoch milliseconds encoded in a UUIDv7. */
  public static long epochMs(String uuidV7) {
    return UUID.fromString(uuidV7).getMostSignificantBits() >>> 16;
  }
}
