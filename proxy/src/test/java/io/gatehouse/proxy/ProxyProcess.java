package io.gatehouse.proxy;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The proxy as its own JVM (the test's classpath, {@link GatehouseProxy#main}), for what only a real
 * process shows: SIGKILL, SIGTERM and its shutdown hook. Its output goes to a log file the failures quote.
 */
public final class ProxyProcess implements AutoCloseable {
  private static final Duration START_WAIT = Duration.ofSeconds(60);
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();

  private final Process process;
  private final Path log;
  private final int port;

  private ProxyProcess(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
  }

  /** Starts the proxy with exactly {@code env} (plus a free {@code GATEHOUSE_PORT}) and waits until /health answers. */
  public static ProxyProcess start(Map<String, String> env, Path log) throws IOException, InterruptedException {
    int port = env.containsKey("GATEHOUSE_PORT") ? Integer.parseInt(env.get("GATEHOUSE_PORT")) : freePort();
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-Dlogback.configurationFile=logback.xml", // the production logging, not logback-test.xml
        "-cp", System.getProperty("java.class.path"), GatehouseProxy.class.getName());
    pb.environment().keySet().removeIf(k -> k.startsWith("GATEHOUSE_") || k.startsWith("OPENAI_")
        || k.startsWith("ANTHROPIC_") || k.startsWith("GEMINI_") || k.startsWith("GOOGLE_") || k.startsWith("AZURE_OPENAI_"));
    Map<String, String> all = new HashMap<>(env);
    all.put("GATEHOUSE_PORT", Integer.toString(port));
    pb.environment().putAll(all);
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    ProxyProcess p = new ProxyProcess(pb.start(), log, port);
    p.awaitHealthy();
    return p;
  }

  private void awaitHealthy() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + START_WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("the proxy exited with " + process.exitValue() + ":\n" + log());
      }
      try {
        if (HTTP.send(HttpRequest.newBuilder(URI.create(url("/health"))).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notYetListening) {
        // poll again
      }
      Thread.sleep(50); // polling interval of a deadline loop
    }
    process.destroyForcibly();
    throw new AssertionError("the proxy did not answer /health within " + START_WAIT + ":\n" + log());
  }

  public int port() {
    return port;
  }

  public String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  public Process process() {
    return process;
  }

  /** What the process printed so far. */
  public String log() throws IOException {
    return Files.readString(log);
  }

  /** SIGKILL: no shutdown hook runs. Returns the exit code. */
  public int kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      throw new AssertionError("the proxy survived SIGKILL");
    }
    return process.exitValue();
  }

  /** SIGTERM, as an orchestrator stops a container: the shutdown hook drains and flushes. */
  public void terminate() {
    process.destroy();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(40, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
