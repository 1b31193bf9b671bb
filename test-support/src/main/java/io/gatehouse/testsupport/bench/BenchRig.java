package io.gatehouse.testsupport.bench;

import io.gatehouse.testsupport.broker.KafkaBrokerMain;
import io.gatehouse.testsupport.fake.FakeOpenAiProvider;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The processes a bench run measures, each in its own JVM (or Node) so that none of their threads or
 * GC runs inside the load generator: the Kafka broker ({@link KafkaBrokerMain}), the proxy (from its
 * jar, with the launcher's flags), optionally the fake provider, and the Portkey gateway for the peer
 * part. Everything listens on loopback ports chosen here; {@link #close()} stops what was started, in
 * reverse order. Not thread-safe: one bench thread drives it.
 */
final class BenchRig implements AutoCloseable {
  /** The launcher's defaults for the proxy (./gatehouse: PROXY_JAVA_OPTS and MALLOC_ARENA_MAX). */
  static final List<String> PROXY_JVM_FLAGS = List.of("-Xmx128m", "-Xmn64m", "-XX:+UseSerialGC");
  static final String PROXY_MALLOC_ARENA_MAX = "2";

  private final Path work;
  private final List<Process> started = new ArrayList<>();
  private Process broker;
  private FakeOpenAiProvider inProcessFake;
  private int fakePort;
  private Process proxy;
  private Process portkey;
  private int proxyPort;
  private String kafkaBootstrap;

  BenchRig() throws IOException {
    work = Files.createTempDirectory("gatehouse-bench");
    System.out.println("Bench work directory (logs, broker data, spool): " + work);
  }

  Path work() {
    return work;
  }

  /** Starts the Kafka broker in its own JVM (flags as {@code ./gatehouse demo} gives it) and waits for its port. */
  void startBroker() throws IOException, InterruptedException {
    int port = freePort();
    int controllerPort = freePort();
    List<String> cmd = javaCommand("-Xmx512m", "-XX:TieredStopAtLevel=1");
    cmd.addAll(List.of(KafkaBrokerMain.class.getName(), "--dir", work.resolve("kafka").toString(),
        "--port", Integer.toString(port), "--controller-port", Integer.toString(controllerPort), "--partitions", "3"));
    broker = start("kafka", cmd);
    waitForPort("the Kafka broker", broker, port, 90);
    kafkaBootstrap = "127.0.0.1:" + port;
  }

  /** Stops the broker (SIGTERM, as an operator or a crash-restart supervisor would) and waits for it to exit. */
  void stopBroker() throws InterruptedException {
    broker.destroy();
    if (!broker.waitFor(30, TimeUnit.SECONDS)) {
      broker.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  /**
   * Starts the fake provider: in this JVM ({@code ownJvm} false; it then shares the load generator's
   * JVM, the same for direct and proxied requests) or in a JVM of its own.
   */
  void startFake(boolean ownJvm, long chunkDelayMs) throws IOException, InterruptedException {
    if (!ownJvm) {
      inProcessFake = FakeOpenAiProvider.builder().port(0).latencyMs(0).chunkDelayMs(chunkDelayMs).start();
      fakePort = inProcessFake.port();
      return;
    }
    fakePort = freePort();
    List<String> cmd = javaCommand("-Xmx256m");
    cmd.addAll(List.of(FakeOpenAiProvider.class.getName(), "--port", Integer.toString(fakePort),
        "--chunk-delay-ms", Long.toString(chunkDelayMs)));
    Process fake = start("fake", cmd);
    waitForPort("the fake provider", fake, fakePort, 60);
  }

  String fakeBaseUrl() {
    return "http://127.0.0.1:" + fakePort + "/v1";
  }

  /** Starts the proxy from its jar with the launcher's JVM flags (then {@code extraJvmOptions}), pointed at the fake and the broker. */
  void startProxy(Path jar, String extraYaml, List<String> extraJvmOptions) throws IOException, InterruptedException {
    proxyPort = freePort();
    Path config = work.resolve("proxy.yaml");
    Files.writeString(config,
        "providers:\n  fake:\n    type: openai-compatible\n    base_url: \"" + fakeBaseUrl() + "\"\n"
            + "    keys: [\"bench-key\"]\n" + extraYaml.replace("\\n", "\n") + "\n");
    List<String> cmd = new ArrayList<>(List.of(javaBinary()));
    cmd.addAll(PROXY_JVM_FLAGS);
    cmd.addAll(extraJvmOptions);
    cmd.addAll(List.of("-jar", jar.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("GATEHOUSE_PORT", Integer.toString(proxyPort));
    pb.environment().put("MALLOC_ARENA_MAX", PROXY_MALLOC_ARENA_MAX);
    pb.environment().put("GATEHOUSE_CONFIG", config.toString());
    pb.environment().put("GATEHOUSE_KAFKA_BOOTSTRAP", kafkaBootstrap);
    pb.environment().put("GATEHOUSE_SPOOL_DIR", Files.createDirectories(work.resolve("spool")).toString());
    pb.environment().remove("OPENAI_API_KEY");
    proxy = start("proxy", pb);
    waitForPort("the proxy", proxy, proxyPort, 90);
  }

  int proxyPort() {
    return proxyPort;
  }

  long proxyPid() {
    return proxy.pid();
  }

  /**
   * Starts the {@link FloorProxy} in its own JVM with the proxy's flags, forwarding to the fake; returns
   * its port.
   */
  int startFloorProxy() throws IOException, InterruptedException {
    int port = freePort();
    List<String> cmd = javaCommand(PROXY_JVM_FLAGS.toArray(String[]::new));
    cmd.addAll(List.of(FloorProxy.class.getName(), "--port", Integer.toString(port),
        "--upstream", "http://127.0.0.1:" + fakePort));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("MALLOC_ARENA_MAX", PROXY_MALLOC_ARENA_MAX);
    Process floor = start("floor-proxy", pb);
    waitForPort("the floor proxy", floor, port, 60);
    return port;
  }

  /** Starts the Portkey gateway ({@code node build/start-server.js --port=N --headless}); returns its port. */
  int startPortkey(Path gatewayDir) throws IOException, InterruptedException {
    int port = freePort();
    portkey = start("portkey", new ProcessBuilder("node",
        gatewayDir.resolve("build/start-server.js").toString(), "--port=" + port, "--headless"));
    waitForPort("the Portkey gateway", portkey, port, 60);
    return port;
  }

  /** Stops the Portkey gateway, so that it does not idle through the parts after the peer's. */
  synchronized void stopPortkey() throws InterruptedException {
    if (portkey != null) {
      started.remove(portkey);
      portkey.destroy();
      portkey.waitFor(20, TimeUnit.SECONDS);
      portkey = null;
    }
  }

  /** Runs a command to its end (e.g. npm install) with its output in a log file; returns its exit code. */
  int runToEnd(String name, List<String> cmd, int timeoutSeconds) throws IOException, InterruptedException {
    Path log = work.resolve(name + ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    return p.exitValue();
  }

  Path log(String name) {
    return work.resolve(name + ".log");
  }

  private Process start(String name, List<String> cmd) throws IOException {
    return start(name, new ProcessBuilder(cmd));
  }

  private Process start(String name, ProcessBuilder pb) throws IOException {
    Path log = log(name);
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    Process p = pb.start();
    started.add(p);
    System.out.println("  started " + name + " (pid " + p.pid() + ", log " + log + ")");
    return p;
  }

  /** {@code java} of this JVM, this JVM's class path and logback configuration, then {@code flags}. */
  private static List<String> javaCommand(String... flags) {
    List<String> cmd = new ArrayList<>(List.of(javaBinary()));
    cmd.addAll(List.of(flags));
    String logback = System.getProperty("logback.configurationFile");
    if (logback != null) {
      cmd.add("-Dlogback.configurationFile=" + logback);
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path")));
    return cmd;
  }

  private static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static void waitForPort(String what, Process p, int port, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IllegalStateException(what + " exited during start-up (exit " + p.exitValue() + ")");
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return;
      } catch (IOException e) {
        Thread.sleep(200); // not listening yet
      }
    }
    throw new IllegalStateException(what + " did not listen on port " + port + " within " + seconds + " s");
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Stops everything started, newest first; idempotent (also the shutdown hook's). Keeps the logs. */
  @Override
  public synchronized void close() {
    for (int i = started.size() - 1; i >= 0; i--) {
      Process p = started.remove(i);
      p.destroy();
      try {
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    if (inProcessFake != null) {
      inProcessFake.close();
      inProcessFake = null;
    }
    deleteTree(work.resolve("kafka"));
  }

  private static void deleteTree(Path dir) {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.err.println("could not delete " + dir + ": " + e);
    }
  }
}
