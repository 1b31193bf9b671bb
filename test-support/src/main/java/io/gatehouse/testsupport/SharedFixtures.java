package io.gatehouse.testsupport;

import io.gatehouse.testsupport.clickhouse.ClickHouseServer;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.util.ArrayDeque;
import java.util.Deque;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Stops what tests share for a whole JVM when the JUnit session ends: first whatever was registered
 * with {@link #closeAtEnd} (newest first; e.g. services that use the broker), then the shared servers
 * ({@link KafkaBroker#shared()}, {@link ClickHouseServer#shared()}).
 *
 * <p>Doing it here rather than in JVM shutdown hooks keeps the shutdown (and its log output) inside the
 * test run, where the runner still listens: closing a broker in a shutdown hook made surefire's fork
 * end with "Error occurred in starting fork" now and then. Registered through {@code META-INF/services}.
 */
public final class SharedFixtures implements LauncherSessionListener {
  private static final Deque<AutoCloseable> AT_END = new ArrayDeque<>();

  /** Closes {@code resource} when the test session ends, before the shared servers stop. */
  public static synchronized void closeAtEnd(AutoCloseable resource) {
    AT_END.push(resource);
  }

  @Override
  public void launcherSessionClosed(LauncherSession session) {
    AutoCloseable next;
    while ((next = poll()) != null) {
      try {
        next.close();
      } catch (Exception e) {
        throw new IllegalStateException("closing " + next + " at the end of the tests failed", e);
      }
    }
    KafkaBroker.closeShared();
    ClickHouseServer.closeShared();
  }

  private static synchronized AutoCloseable poll() {
    return AT_END.poll();
  }
}
