package io.gatehouse.testsupport.bench;

import io.gatehouse.testsupport.fake.FakeOpenAiProvider;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The proxy's added latency, measured side by side with a direct call in the same run.
 *
 * <p>Starts the fake provider (no artificial latency) and a real Kafka broker (the proxy publishes every
 * event, as in production) in this JVM and the proxy as its own JVM from its jar, then drives both open-loop at a fixed rate: each request has an intended send time, and its
 * latency is measured from that time (so a stall is not hidden by the generator slowing down —
 * "coordinated omission"). Phases alternate direct / proxy for several rounds so that machine noise
 * hits both; medians of the per-round percentiles are reported, with their difference and ratio.
 */
@Command(name = "gatehouse-bench", mixinStandardHelpOptions = true,
    description = "Measures the proxy's added latency against a direct call to the fake provider.")
public final class Bench implements Callable<Integer> {
  @Option(names = "--rate", defaultValue = "500", description = "Requests per second (default: ${DEFAULT-VALUE}).")
  int rate;

  @Option(names = "--seconds", defaultValue = "20", description = "Measured seconds per target (default: ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--rounds", defaultValue = "4", description = "Alternating rounds the seconds are split into.")
  int rounds;

  // 60 s: on 2 cores the proxy's JIT (C2) still takes ~40 % of a core after 15 s of load, which would be
  // measured as the proxy's own latency
  @Option(names = "--warmup-seconds", defaultValue = "60",
      description = "Unmeasured warm-up per target (default: ${DEFAULT-VALUE}; the JIT must settle first).")
  int warmupSeconds;

  @Option(names = "--proxy-yaml", defaultValue = "",
      description = "YAML appended to the proxy's config, to measure a setting (e.g. 'events: { log_bodies: false }').")
  String proxyYaml;

  @Option(names = "--proxy-jar", defaultValue = "proxy/target/gatehouse-proxy.jar", description = "Proxy jar to run.")
  Path proxyJar;

  @Option(names = "--kafka-outage", description = "After the normal rounds, stop the Kafka broker and measure the "
      + "same rounds again: what a broker outage adds (the proxy spools events to disk meanwhile).")
  boolean kafkaOutage;

  @Option(names = "--kafka", description = "Kafka bootstrap for the proxy's events (default: a real broker started in this JVM).")
  String kafka;

  // A fixed executor: on a 2-core box the JDK client's default (the common pool, parallelism 1) falls
  // back to a new thread per task, which would make the load generator the noisiest thing measured.
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .executor(java.util.concurrent.Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "bench-client");
            t.setDaemon(true);
            return t;
          }))
          .build();

  public static void main(String[] args) {
    System.exit(new CommandLine(new Bench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(proxyJar)) {
      System.err.println("proxy jar not found at " + proxyJar + ": run ./gatehouse build first");
      return 2;
    }
    KafkaBroker broker = null;
    if (kafka == null) {
      System.out.println("Starting a Kafka broker for the proxy's events…");
      broker = KafkaBroker.start();
      kafka = broker.bootstrapServers();
    }
    try (FakeOpenAiProvider fake = FakeOpenAiProvider.builder().port(0).latencyMs(0).chunkDelayMs(0).start()) {
      int proxyPort = freePort();
      Path config = Files.createTempFile("gatehouse-bench", ".yaml");
      Files.writeString(config,
          "providers:\n  fake:\n    type: openai-compatible\n    base_url: \"" + fake.baseUrl() + "\"\n"
              + "    keys: [\"bench-key\"]\n" + proxyYaml.replace("\\n", "\n") + "\n");
      Process proxy = startProxy(proxyPort, config);
      try {
        URI direct = URI.create(fake.baseUrl() + "/chat/completions");
        URI viaProxy = URI.create("http://127.0.0.1:" + proxyPort + "/v1/chat/completions");
        waitHealthy(URI.create("http://127.0.0.1:" + proxyPort + "/health"), proxy);
        String directBody = body("gpt-4o-mini");
        String proxyBody = body("fake/gpt-4o-mini");
        System.out.printf("Gatehouse bench: %d req/s open-loop, %d s per target in %d alternating rounds, "
            + "non-streaming chat completions, fake upstream with 0 ms latency%n", rate, seconds, rounds);
        System.out.printf("Warming up (%d s each)…%n", warmupSeconds);
        run(direct, directBody, warmupSeconds);
        run(viaProxy, proxyBody, warmupSeconds);
        double[] normal = rounds(direct, directBody, viaProxy, proxyBody);
        if (kafkaOutage) {
          if (broker == null) {
            System.out.println("--kafka-outage needs the bench's own broker (leave out --kafka)");
            return 2;
          }
          System.out.println();
          System.out.println("Stopping the Kafka broker: the proxy now spools every event to disk…");
          broker.stopBroker();
          double[] outage = rounds(direct, directBody, viaProxy, proxyBody);
          System.out.printf("%nBroker outage vs normal: added p50 %+.3f ms, added p99 %+.3f ms%n",
              outage[0] - normal[0], outage[1] - normal[1]);
        }
      } finally {
        proxy.destroy();
        proxy.waitFor(15, TimeUnit.SECONDS);
        Files.deleteIfExists(config);
      }
    } finally {
      if (broker != null) {
        broker.close();
      }
    }
    return 0;
  }

  private Process startProxy(int port, Path config) throws IOException {
    ProcessBuilder pb = new ProcessBuilder("java", "-Xmx512m", "-jar", proxyJar.toString());
    pb.environment().put("GATEHOUSE_PORT", Integer.toString(port));
    pb.environment().put("GATEHOUSE_CONFIG", config.toString());
    pb.environment().put("GATEHOUSE_KAFKA_BOOTSTRAP", kafka);
    pb.environment().put("GATEHOUSE_SPOOL_DIR", Files.createTempDirectory("gatehouse-bench-spool").toString());
    pb.environment().remove("OPENAI_API_KEY");
    Path log = Files.createTempFile("gatehouse-bench-proxy", ".log");
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    System.out.println("Proxy log: " + log);
    return pb.start();
  }

  private void waitHealthy(URI health, Process proxy) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!proxy.isAlive()) {
        throw new IllegalStateException("the proxy exited during start-up (exit " + proxy.exitValue() + ")");
      }
      try {
        if (http.send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("the proxy did not become healthy in 60 s");
  }

  private static String body(String model) {
    return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"system\",\"content\":\"You are terse.\"},"
        + "{\"role\":\"user\",\"content\":\"Give me one word for a fast gateway.\"}],\"max_tokens\":16}";
  }

  /** One open-loop phase: requests at fixed intended times; latency from intended send to full response. */
  private Result run(URI target, String body, int phaseSeconds) throws InterruptedException {
    Recorder recorder = new Recorder(3);
    AtomicLong errors = new AtomicLong();
    long total = (long) rate * phaseSeconds;
    long intervalNanos = 1_000_000_000L / rate;
    CountDownLatch done = new CountDownLatch((int) total);
    HttpRequest request =
        HttpRequest.newBuilder(target)
            .timeout(Duration.ofSeconds(10))
            .header("content-type", "application/json")
            .header("authorization", "Bearer bench-client")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    long start = System.nanoTime();
    for (long i = 0; i < total; i++) {
      long intended = start + i * intervalNanos;
      long wait;
      while ((wait = intended - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
          .whenComplete(
              (response, error) -> {
                long latency = System.nanoTime() - intended;
                if (error != null || response.statusCode() != 200) {
                  errors.incrementAndGet();
                } else {
                  recorder.recordValue(latency / 1_000); // microseconds
                }
                done.countDown();
              });
    }
    if (!done.await(30, TimeUnit.SECONDS)) {
      errors.addAndGet(done.getCount());
    }
    Histogram h = recorder.getIntervalHistogram();
    return new Result(h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
        h.getValueAtPercentile(99.9) / 1000.0, h.getTotalCount(), errors.get());
  }

  /** Alternating direct/proxy rounds; prints them and the summary; returns the added {p50, p99}. */
  private double[] rounds(URI direct, String directBody, URI viaProxy, String proxyBody) throws InterruptedException {
    List<Result> directResults = new ArrayList<>();
    List<Result> proxyResults = new ArrayList<>();
    int perRound = Math.max(1, seconds / rounds);
    for (int r = 1; r <= rounds; r++) {
      Result d = run(direct, directBody, perRound);
      Result p = run(viaProxy, proxyBody, perRound);
      directResults.add(d);
      proxyResults.add(p);
      System.out.printf("  round %d/%d  direct p50 %6.3f ms p99 %6.3f ms | proxy p50 %6.3f ms p99 %6.3f ms%s%n",
          r, rounds, d.p50, d.p99, p.p50, p.p99, d.errors + p.errors > 0 ? "  errors " + (d.errors + p.errors) : "");
    }
    return report(directResults, proxyResults);
  }

  private static double[] report(List<Result> direct, List<Result> proxy) {
    double d50 = median(direct.stream().mapToDouble(r -> r.p50).toArray());
    double d99 = median(direct.stream().mapToDouble(r -> r.p99).toArray());
    double p50 = median(proxy.stream().mapToDouble(r -> r.p50).toArray());
    double p99 = median(proxy.stream().mapToDouble(r -> r.p99).toArray());
    long errors = direct.stream().mapToLong(r -> r.errors).sum() + proxy.stream().mapToLong(r -> r.errors).sum();
    System.out.println();
    System.out.println("                 p50 (ms)   p99 (ms)   (median over rounds)");
    System.out.printf("  direct         %8.3f   %8.3f%n", d50, d99);
    System.out.printf("  via proxy      %8.3f   %8.3f%n", p50, p99);
    System.out.printf("  added          %8.3f   %8.3f%n", p50 - d50, p99 - d99);
    System.out.printf("  ratio          %8.2fx  %8.2fx%n", p50 / d50, p99 / d99);
    System.out.printf("  errors         %d%n", errors);
    return new double[] {p50 - d50, p99 - d99};
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private record Result(double p50, double p99, double p999, long count, long errors) {}
}
