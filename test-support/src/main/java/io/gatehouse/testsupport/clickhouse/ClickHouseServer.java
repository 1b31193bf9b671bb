package io.gatehouse.testsupport.clickhouse;

import io.gatehouse.schemas.clickhouse.ClickHouseHttp;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real ClickHouse server (Debian's 18.16 here, any later release elsewhere) running as a child
 * process on free loopback ports, with its data under a directory of its own.
 *
 * <p>The configuration comes from {@code clickhouse/config.xml} and {@code clickhouse/users.xml} on the
 * classpath, the same templates {@code ./gatehouse} uses. Not thread-safe for start/stop; {@link
 * #query} may be called from any thread.
 */
public final class ClickHouseServer implements AutoCloseable {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static ClickHouseServer shared;

  private final Path dir;
  private final int httpPort;
  private final int tcpPort;
  private final ClickHouseHttp client;
  private Process process;

  private ClickHouseServer(Path dir, int httpPort, int tcpPort) {
    this.dir = dir;
    this.httpPort = httpPort;
    this.tcpPort = tcpPort;
    this.client = new ClickHouseHttp(URI.create(httpUrl()), "default", "");
  }

  /** One server per JVM, data in a temporary directory, stopped at JVM exit. */
  public static synchronized ClickHouseServer shared() {
    if (shared == null) {
      try {
        shared = start(Files.createTempDirectory("gatehouse-clickhouse-"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      ClickHouseServer server = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(server::close, "clickhouse-stop"));
    }
    return shared;
  }

  /** Stops the shared server if one was started; the next {@link #shared()} starts a new one. */
  public static synchronized void closeShared() {
    if (shared != null) {
      shared.close();
      shared = null;
    }
  }

  /** Starts a private server with its data under {@code dir}; waits until it answers queries. */
  public static ClickHouseServer start(Path dir) {
    ClickHouseServer server = new ClickHouseServer(dir.toAbsolutePath(), freePort(), freePort());
    server.writeConfig();
    server.launch();
    return server;
  }

  public String httpUrl() {
    return "http://127.0.0.1:" + httpPort;
  }

  public int httpPort() {
    return httpPort;
  }

  public Path dir() {
    return dir;
  }

  /**
   * Runs one statement (POST over HTTP) and returns the response body.
   *
   * @throws io.gatehouse.schemas.clickhouse.ClickHouseException (an {@link IllegalStateException})
   *     with the server's own message when the statement fails or the server cannot be reached
   */
  public String query(String sql) {
    return client.query(sql);
  }

  /** Stops the server, keeping its data and ports; {@link #restart()} brings it back. */
  public synchronized void stop() {
    if (process == null) {
      return;
    }
    process.destroy(); // SIGTERM: ClickHouse shuts down cleanly
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
  }

  /** Starts the server again on the same ports and data. */
  public synchronized void restart() {
    stop();
    launch();
  }

  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  @Override
  public void close() {
    stop();
  }

  private void writeConfig() {
    try {
      for (String sub : List.of("data", "tmp", "user_files", "format_schemas", "log")) {
        Files.createDirectories(dir.resolve(sub));
      }
      Files.writeString(
          dir.resolve("config.xml"),
          template("clickhouse/config.xml")
              .replace("@DIR@", dir.toString())
              .replace("@HTTP_PORT@", Integer.toString(httpPort))
              .replace("@TCP_PORT@", Integer.toString(tcpPort)));
      Files.writeString(dir.resolve("users.xml"), template("clickhouse/users.xml"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private synchronized void launch() {
    List<String> command = command();
    try {
      process =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("log/stdout.log").toFile())
              .start();
    } catch (IOException e) {
      throw new IllegalStateException("could not run " + command + ": " + e, e);
    }
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    IllegalStateException last = null;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "clickhouse-server exited with " + process.exitValue() + "; see " + dir.resolve("log"));
      }
      try {
        if (query("SELECT 1").strip().equals("1")) {
          return;
        }
      } catch (IllegalStateException e) { // not listening yet
        last = e;
      }
      try {
        process.waitFor(100, TimeUnit.MILLISECONDS); // poll interval while the server starts
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    stop();
    throw new IllegalStateException("clickhouse-server did not answer within " + READY_TIMEOUT + ": " + last);
  }

  private List<String> command() {
    String config = "--config-file=" + dir.resolve("config.xml");
    for (String candidate : List.of("/usr/bin/clickhouse-server", "/usr/sbin/clickhouse-server")) {
      if (Files.isExecutable(Path.of(candidate))) {
        return List.of(candidate, config);
      }
    }
    for (String candidate : List.of("/usr/bin/clickhouse", "/usr/local/bin/clickhouse")) {
      if (Files.isExecutable(Path.of(candidate))) {
        return List.of(candidate, "server", config);
      }
    }
    throw new IllegalStateException(
        "ClickHouse is not installed. Install it with `sudo apt-get install -y clickhouse-server clickhouse-client`"
            + " (or run `./gatehouse test`, which installs it).");
  }

  private static String template(String resource) throws IOException {
    try (InputStream in = ClickHouseServer.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing classpath resource " + resource);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
