package io.gatehouse.ingest;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for a condition with a deadline, checking often; tests never sleep a fixed time. */
final class Poll {
  private Poll() {}

  static void until(Duration timeout, String what, BooleanSupplier condition) {
    untilValue(timeout, what, () -> condition.getAsBoolean() ? Boolean.TRUE : null, () -> "");
  }

  /** Polls until {@code condition} is true; on timeout fails with {@code state} for diagnosis. */
  static void until(Duration timeout, String what, BooleanSupplier condition, Supplier<Object> state) {
    untilValue(timeout, what, () -> condition.getAsBoolean() ? Boolean.TRUE : null, state);
  }

  private static <T> T untilValue(Duration timeout, String what, Supplier<T> value, Supplier<Object> state) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      T v = value.get();
      if (v != null) {
        return v;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what
            + "; last state: " + state.get());
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what, e);
      }
    }
  }
}
