package io.gatehouse.ingest;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waits for a condition with a deadline, checking often; tests never sleep a fixed time. A timeout
 * reports the caller's state and where each ingest thread stands, so that a stall can be explained
 * from the test report alone.
 */
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
            + "; last state: " + state.get() + "\n" + ingestThreads());
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what, e);
      }
    }
  }

  /** Stack traces of the threads that ingest runs (consumer loops, feedback, Kafka heartbeats). */
  static String ingestThreads() {
    StringBuilder out = new StringBuilder("threads:");
    Thread.getAllStackTraces().forEach((thread, stack) -> {
      String name = thread.getName();
      if (name.startsWith("gatehouse-ingest") || name.startsWith("kafka-coordinator-heartbeat")) {
        out.append("\n\"").append(name).append("\" ").append(thread.getState());
        for (StackTraceElement frame : stack) {
          out.append("\n    at ").append(frame);
        }
      }
    });
    return out.toString();
  }
}
