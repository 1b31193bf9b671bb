package io.gatehouse.testsupport.bench;

import io.gatehouse.schemas.EventJson;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.schemas.Topics;
import io.gatehouse.schemas.clickhouse.ClickHouseException;
import io.gatehouse.schemas.clickhouse.ClickHouseHttp;
import io.gatehouse.testsupport.bench.ingest.BenchEvents;
import io.gatehouse.testsupport.clickhouse.ClickHouseServer;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Ingest throughput and freshness against a real Kafka broker and a real ClickHouse.
 *
 * <p>Starts a Kafka broker in this JVM (the events topic with six partitions, as in compose), pre-loads
 * {@code --events} realistic events of ≈ 1.5 KB (keyed and compressed like the proxy's producer), then
 * starts ONE ingest instance from its jar as its own JVM and polls {@code count()} every 250 ms until
 * every event is a row: rows/s from the first row seen to the last, and from the ingest JVM's launch.
 * Checks that {@code count()} and {@code uniqExact(event_id)} both equal the events sent.
 *
 * <p>Then freshness: while the same ingest runs, events are published open-loop at {@code --fresh-rate}
 * per second, each stamped with its send time ({@code ts_end_ms}); a poller asks ClickHouse every
 * {@code --poll-ms} which of them are visible. An event's freshness is the end of the first poll that
 * returned it minus its send time, so it overstates the truth by at most one poll period plus the poll's
 * own duration (both printed).
 */
@Command(name = "gatehouse-bench-ingest", mixinStandardHelpOptions = true,
    description = "Measures ingest throughput (Kafka -> ClickHouse rows/s) and freshness (send -> row visible).")
public final class IngestBench implements Callable<Integer> {
  static final String SECTION = "## Ingest";
  private static final String BULK_ENV = "bench-bulk";
  private static final String FRESH_ENV = "bench-freshness";

  @Option(names = "--events", defaultValue = "1000000", description = "Events pre-loaded into Kafka (default: ${DEFAULT-VALUE}).")
  int events;

  @Option(names = "--partitions", defaultValue = "6", description = "Partitions of the events topic (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--clickhouse", description = "ClickHouse HTTP URL with an empty gatehouse.events "
      + "(default: a ClickHouse started by this bench in a temporary directory).")
  URI clickHouseUrl;

  @Option(names = "--clickhouse-pid", description = "Process id of that ClickHouse, to report its CPU time.")
  Long clickHousePid;

  @Option(names = "--ingest-jar", defaultValue = "ingest/target/gatehouse-ingest.jar", description = "Ingest jar to run.")
  Path ingestJar;

  @Option(names = "--ingest-jvm", defaultValue = "-Xmx512m -XX:+UseParallelGC", split = " ",
      description = "JVM options of the ingest process, space-separated (default: ${DEFAULT-VALUE}, as ./gatehouse runs it).")
  List<String> ingestJvm;

  @Option(names = "--ingest-env", description = "Extra environment of the ingest process, e.g. GATEHOUSE_INGEST_BATCH_MAX=20000.")
  Map<String, String> ingestEnv = Map.of();

  @Option(names = "--jfr", description = "Record the ingest JVM with Java Flight Recorder into this file.")
  Path jfr;

  @Option(names = "--fresh-rate", defaultValue = "2000", description = "Events per second in the freshness phase (default: ${DEFAULT-VALUE}).")
  int freshRate;

  @Option(names = "--fresh-seconds", defaultValue = "30", description = "Length of the freshness phase (default: ${DEFAULT-VALUE}).")
  int freshSeconds;

  @Option(names = "--poll-ms", defaultValue = "100", description = "Freshness poll period (default: ${DEFAULT-VALUE}).")
  int pollMs;

  @Option(names = "--timeout-seconds", defaultValue = "1800", description = "Give up the throughput phase after this long.")
  int timeoutSeconds;

  @Option(names = "--benchmarks", description = "BENCHMARKS.md whose \"## Ingest\" section is replaced with the results.")
  Path benchmarks;

  @Option(names = "--command", defaultValue = "./gatehouse bench ingest", hidden = true,
      description = "How this run was started, for BENCHMARKS.md.")
  String command;

  private ClickHouseHttp clickHouse;

  public static void main(String[] args) {
    System.exit(new CommandLine(new IngestBench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(ingestJar)) {
      System.err.println("ingest jar not found at " + ingestJar + ": run ./gatehouse build first");
      return 2;
    }
    ClickHouseServer ownClickHouse = null;
    if (clickHouseUrl == null) {
      System.out.println("Starting ClickHouse…");
      ownClickHouse = ClickHouseServer.start(Files.createTempDirectory("gatehouse-bench-ingest-ch"));
      clickHouseUrl = URI.create(ownClickHouse.httpUrl());
    }
    clickHouse = new ClickHouseHttp(clickHouseUrl, "default", "");
    String version = clickHouse.query("SELECT version() FORMAT TabSeparated").strip();
    if (tableRows() > 0) {
      System.err.println("gatehouse.events at " + clickHouseUrl + " is not empty: the bench needs an empty one");
      return 2;
    }
    System.out.println("Starting a Kafka broker…");
    try (KafkaBroker broker = KafkaBroker.start()) {
      broker.createTopic(Topics.EVENTS_V1, partitions);
      long bytes = preload(broker.bootstrapServers());
      Process ingest = startIngest(broker.bootstrapServers());
      try {
        Throughput t = throughput(ingest);
        if (t == null) {
          return 1;
        }
        Freshness f = freshness(broker.bootstrapServers(), ingest);
        String section = section(version, bytes, t, f);
        System.out.println();
        System.out.println(section);
        if (benchmarks != null) {
          String doc = Files.isRegularFile(benchmarks) ? Files.readString(benchmarks) : "# Benchmarks\n";
          Files.writeString(benchmarks, replaceSection(doc, section));
          System.out.println("Updated " + benchmarks);
        }
        return t.countOk() && f.missing() == 0 ? 0 : 1;
      } finally {
        ingest.destroy(); // SIGTERM: ingest commits its batch in hand, and the JFR recording is dumped
        if (!ingest.waitFor(60, TimeUnit.SECONDS)) {
          ingest.destroyForcibly();
        }
      }
    } finally {
      if (ownClickHouse != null) {
        ownClickHouse.close();
      }
    }
  }

  /** Publishes {@link #events} events as the proxy would (keyed by event id, zstd); returns their JSON bytes. */
  private long preload(String bootstrap) {
    System.out.printf("Pre-loading %,d events into %s (%d partitions)…%n", events, Topics.EVENTS_V1, partitions);
    BenchEvents generator = new BenchEvents(42, 5_000);
    AtomicReference<Exception> failure = new AtomicReference<>();
    long bytes = 0;
    long began = System.nanoTime();
    long endMs = System.currentTimeMillis() - Duration.ofHours(2).toMillis();
    try (KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
      for (int i = 0; i < events; i++) {
        // spread over the last two hours, in order, like a busy gateway's recent history
        GatehouseEvent e = generator.next(endMs + (long) i * Duration.ofHours(2).toMillis() / events, BULK_ENV);
        byte[] json = EventJson.toBytes(e);
        bytes += json.length;
        producer.send(new ProducerRecord<>(Topics.EVENTS_V1, e.eventId(), json), (m, ex) -> {
          if (ex != null) {
            failure.compareAndSet(null, ex);
          }
        });
        if ((i + 1) % 100_000 == 0) {
          System.out.printf("  %,d events (%.0f/s)%n", i + 1, (i + 1) / seconds(System.nanoTime() - began));
        }
      }
      producer.flush();
    }
    if (failure.get() != null) {
      throw new IllegalStateException("pre-loading failed: " + failure.get(), failure.get());
    }
    System.out.printf("Pre-loaded %,d events, %.0f bytes of JSON each on average, in %.1f s%n",
        events, (double) bytes / events, seconds(System.nanoTime() - began));
    return bytes;
  }

  private static KafkaProducer<String, byte[]> producer(String bootstrap) {
    return new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.LINGER_MS_CONFIG, 10,
        ProducerConfig.BATCH_SIZE_CONFIG, 131_072,
        ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd"), // as the proxy's KafkaEventPublisher
        new StringSerializer(), new ByteArraySerializer());
  }

  private Process startIngest(String bootstrap) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    ingestJvm.stream().filter(s -> !s.isBlank()).forEach(cmd::add);
    if (jfr != null) {
      cmd.add("-XX:StartFlightRecording=filename=" + jfr.toAbsolutePath() + ",settings=profile,dumponexit=true");
    }
    cmd.add("-jar");
    cmd.add(ingestJar.toString());
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("GATEHOUSE_KAFKA_BOOTSTRAP", bootstrap);
    pb.environment().put("GATEHOUSE_CLICKHOUSE_URL", clickHouseUrl.toString());
    pb.environment().put("GATEHOUSE_INGEST_PORT", Integer.toString(freePort()));
    pb.environment().put("GATEHOUSE_INGEST_GROUP", "gatehouse-ingest-bench");
    pb.environment().putAll(ingestEnv);
    Path log = Files.createTempFile("gatehouse-bench-ingest", ".log");
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    System.out.println("Starting ingest: " + String.join(" ", cmd) + (ingestEnv.isEmpty() ? "" : " with " + ingestEnv));
    System.out.println("Ingest log: " + log);
    return pb.start();
  }

  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

  /** Polls count() every 250 ms until every pre-loaded event is a row; null when ingest failed. */
  private Throughput throughput(Process ingest) throws InterruptedException {
    long launched = System.nanoTime();
    long deadline = launched + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    long first = 0;
    long lastPrint = launched;
    long lastPrintRows = 0;
    double ingestCpu0 = cpuSeconds(ingest.pid());
    double chCpu0 = clickHousePid == null ? Double.NaN : cpuSeconds(clickHousePid);
    double benchCpu0 = cpuSeconds(ProcessHandle.current().pid());
    long rowsAtFirst = 0;
    double ingestCpuFirst = 0;
    double chCpuFirst = 0;
    // the second half of the rows: the JVM warm (JIT compilation, ≈ 11 CPU s in a run, mostly done)
    long half = 0;
    long rowsAtHalf = 0;
    double ingestCpuHalf = 0;
    double chCpuHalf = 0;
    while (true) {
      long now = System.nanoTime();
      long rows = tableRows();
      if (rows > 0 && first == 0) {
        // from here on: steady state (JVM start, JIT warm-up and migrations left out of the per-row cost)
        first = now;
        rowsAtFirst = rows;
        ingestCpuFirst = cpuSeconds(ingest.pid());
        chCpuFirst = clickHousePid == null ? Double.NaN : cpuSeconds(clickHousePid);
      }
      if (rows >= events / 2 && half == 0) {
        half = now;
        rowsAtHalf = rows;
        ingestCpuHalf = cpuSeconds(ingest.pid());
        chCpuHalf = clickHousePid == null ? Double.NaN : cpuSeconds(clickHousePid);
      }
      if (rows >= events) {
        double fromFirst = seconds(now - first);
        double fromLaunch = seconds(now - launched);
        double ingestCpuNow = cpuSeconds(ingest.pid());
        double chCpuNow = clickHousePid == null ? Double.NaN : cpuSeconds(clickHousePid);
        double ingestCpu = ingestCpuNow - ingestCpu0;
        double chCpu = chCpuNow - chCpu0;
        long steadyRows = events - rowsAtFirst;
        long count = Long.parseLong(clickHouse.query("SELECT count() FROM gatehouse.events FORMAT TabSeparated").strip());
        long distinct = Long.parseLong(
            clickHouse.query("SELECT uniqExact(event_id) FROM gatehouse.events FORMAT TabSeparated").strip());
        long warmRows = events - rowsAtHalf;
        double fromHalf = seconds(now - half);
        Throughput t = new Throughput(steadyRows / fromFirst, events / fromLaunch, fromFirst, fromLaunch, count,
            distinct, ingestCpu, chCpu, (ingestCpuNow - ingestCpuFirst) * 1e6 / steadyRows,
            (chCpuNow - chCpuFirst) * 1e6 / steadyRows, events, warmRows / fromHalf, fromHalf,
            (ingestCpuNow - ingestCpuHalf) * 1e6 / warmRows, (chCpuNow - chCpuHalf) * 1e6 / warmRows);
        System.out.printf("All %,d rows in ClickHouse: %.1f s from the first row (%,.0f rows/s), %.1f s from ingest "
            + "launch (%,.0f rows/s); count() = %,d, distinct event_id = %,d%s%n", events, fromFirst, t.rowsPerSecond(),
            fromLaunch, t.rowsPerSecondFromLaunch(), count, distinct, t.countOk() ? "" : "  MISMATCH");
        System.out.printf("CPU during the run: ingest %.1f s (%.2f cores)%s; this JVM (Kafka broker, polls) %.1f s%n",
            ingestCpu, ingestCpu / fromLaunch, Double.isNaN(chCpu) ? "" : String.format(Locale.ROOT,
                ", ClickHouse %.1f s (%.2f cores)", chCpu, chCpu / fromLaunch),
            cpuSeconds(ProcessHandle.current().pid()) - benchCpu0);
        System.out.printf("CPU seconds per 1M rows after the first row: ingest %.1f, ClickHouse %.1f%n",
            t.ingestCpuPerMillion(), t.clickHouseCpuPerMillion());
        System.out.printf("Second half of the rows (warm JVM): %,.0f rows/s over %.1f s; CPU seconds per 1M rows: "
            + "ingest %.1f, ClickHouse %.1f%n", t.warmRowsPerSecond(), t.warmSeconds(), t.warmIngestCpuPerMillion(),
            t.warmClickHouseCpuPerMillion());
        return t;
      }
      if (!ingest.isAlive()) {
        System.err.println("ingest exited (code " + ingest.exitValue() + ") with " + rows + " rows in; see its log");
        return null;
      }
      if (now > deadline) {
        System.err.printf("only %,d of %,d rows after %d s; giving up%n", rows, events, timeoutSeconds);
        return null;
      }
      if (now - lastPrint >= TimeUnit.SECONDS.toNanos(5)) {
        System.out.printf("  %6.1f s  %,10d rows  (%,.0f rows/s over the last %.0f s)%n", seconds(now - launched), rows,
            (rows - lastPrintRows) / seconds(now - lastPrint), seconds(now - lastPrint));
        lastPrint = now;
        lastPrintRows = rows;
      }
      LockSupport.parkNanos(POLL_NANOS - (System.nanoTime() - now));
    }
  }

  /**
   * Publishes at {@link #freshRate}/s for {@link #freshSeconds} while polling ClickHouse for those events;
   * then polls until all are visible or 60 s passed since the last send.
   */
  private Freshness freshness(String bootstrap, Process ingest) throws InterruptedException {
    System.out.printf("Freshness: %,d events/s for %d s, polling ClickHouse every %d ms…%n", freshRate, freshSeconds,
        pollMs);
    Map<String, Long> pending = new ConcurrentHashMap<>(); // event id -> send time (epoch ms)
    AtomicLong sent = new AtomicLong();
    long total = (long) freshRate * freshSeconds;
    Thread sender = new Thread(() -> {
      BenchEvents generator = new BenchEvents(7, 5_000);
      long interval = 1_000_000_000L / freshRate;
      try (KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
        long start = System.nanoTime();
        for (long i = 0; i < total; i++) {
          long intended = start + i * interval;
          long wait;
          while ((wait = intended - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
          }
          long nowMs = System.currentTimeMillis();
          GatehouseEvent e = generator.next(nowMs, FRESH_ENV);
          pending.put(e.eventId(), nowMs);
          producer.send(new ProducerRecord<>(Topics.EVENTS_V1, e.eventId(), EventJson.toBytes(e)));
          sent.incrementAndGet();
        }
      }
    }, "bench-fresh-sender");
    sender.start();
    Histogram latency = new Histogram(TimeUnit.MINUTES.toMillis(10), 3);
    Set<String> seen = new HashSet<>();
    long polls = 0;
    long pollNanos = 0;
    long lastSendEnd = 0;
    long printed = System.nanoTime();
    while (true) {
      long began = System.nanoTime();
      if (!sender.isAlive() && lastSendEnd == 0) {
        lastSendEnd = began;
      }
      if (lastSendEnd != 0 && (pending.isEmpty() || began - lastSendEnd > TimeUnit.SECONDS.toNanos(60))) {
        break;
      }
      if (!ingest.isAlive()) {
        System.err.println("ingest exited during the freshness phase");
        break;
      }
      long oldest = pending.values().stream().mapToLong(Long::longValue).min().orElse(System.currentTimeMillis());
      // ts is the start second; a bench event starts at most 2.65 s before it is sent
      String body = clickHouse.query("SELECT toString(event_id) FROM gatehouse.events WHERE ts >= toDateTime("
          + (oldest - 3_000) / 1000 + ") AND environment = '" + FRESH_ENV + "' FORMAT TabSeparated");
      long seenAtMs = System.currentTimeMillis();
      pollNanos += System.nanoTime() - began;
      polls++;
      for (String id : body.split("\n")) {
        if (!id.isEmpty() && seen.add(id)) {
          Long sentMs = pending.remove(id);
          if (sentMs != null) {
            latency.recordValue(Math.max(0, seenAtMs - sentMs));
          }
        }
      }
      if (System.nanoTime() - printed >= TimeUnit.SECONDS.toNanos(5)) {
        printed = System.nanoTime();
        System.out.printf("  sent %,d, visible %,d, p50 %d ms, p95 %d ms so far%n", sent.get(), latency.getTotalCount(),
            latency.getValueAtPercentile(50), latency.getValueAtPercentile(95));
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(pollMs) - (System.nanoTime() - began));
    }
    sender.join();
    Freshness f = new Freshness(freshRate, freshSeconds, sent.get(), latency.getTotalCount(), pending.size(),
        latency.getValueAtPercentile(50), latency.getValueAtPercentile(95), latency.getValueAtPercentile(99),
        latency.getMaxValue(), pollMs, polls == 0 ? 0 : seconds(pollNanos) * 1000 / polls);
    System.out.printf("Freshness (send -> row visible): p50 %d ms, p95 %d ms, p99 %d ms, max %d ms over %,d events; "
        + "%d never seen; mean poll %.1f ms%n", f.p50(), f.p95(), f.p99(), f.max(), f.visible(), f.missing(),
        f.meanPollMs());
    return f;
  }

  private long tableRows() {
    try {
      return Long.parseLong(clickHouse.query("SELECT count() FROM gatehouse.events FORMAT TabSeparated").strip());
    } catch (ClickHouseException e) {
      return 0; // no table yet: ingest has not applied its migrations
    }
  }

  private String section(String version, long bytes, Throughput t, Freshness f) {
    StringBuilder sb = new StringBuilder();
    sb.append(SECTION).append("\n\n");
    sb.append(String.format(Locale.ROOT, "`%s`: %,d realistic events (%.0f bytes of JSON each on average, zstd "
            + "like the proxy) pre-loaded into a real Kafka broker (%d partitions), then one ingest JVM (`%s`) "
            + "inserting into ClickHouse %s; then %,d events/s for %d s to measure freshness while ingest runs. "
            + "Goals: ≥ 80,000 events/s from one instance, freshness p95 ≤ 5 s.%n%n",
        command, t.events(), (double) bytes / t.events(), partitions, String.join(" ", ingestJvm)
            + (ingestEnv.isEmpty() ? "" : ", " + ingestEnv), version, f.rate(), f.seconds()));
    sb.append("| Measure | Value | Goal | |\n|---|---:|---:|---|\n");
    sb.append(String.format(Locale.ROOT, "| Throughput, first row to last | %,.0f rows/s (%.1f s) | ≥ 80,000 | %s |%n",
        t.rowsPerSecond(), t.secondsFromFirst(), t.rowsPerSecond() >= 80_000 ? "ok" : "under"));
    sb.append(String.format(Locale.ROOT, "| Throughput, second half of the rows (JIT warm) | %,.0f rows/s (%.1f s) "
            + "| ≥ 80,000 | %s |%n", t.warmRowsPerSecond(), t.warmSeconds(), t.warmRowsPerSecond() >= 80_000 ? "ok" : "under"));
    sb.append(String.format(Locale.ROOT, "| Throughput, from ingest JVM launch | %,.0f rows/s (%.1f s) | | |%n",
        t.rowsPerSecondFromLaunch(), t.secondsFromLaunch()));
    sb.append(String.format(Locale.ROOT, "| count() / distinct event_id | %,d / %,d | %,d | %s |%n",
        t.count(), t.distinct(), t.events(), t.countOk() ? "ok" : "MISMATCH"));
    sb.append(String.format(Locale.ROOT, "| CPU used: ingest / ClickHouse | %.2f / %s cores | | |%n",
        t.ingestCpuSeconds() / t.secondsFromLaunch(), Double.isNaN(t.clickHouseCpuSeconds()) ? "?"
            : String.format(Locale.ROOT, "%.2f", t.clickHouseCpuSeconds() / t.secondsFromLaunch())));
    sb.append(String.format(Locale.ROOT, "| CPU seconds per 1M rows (after the first row): ingest / ClickHouse | "
            + "%.1f / %s | | |%n", t.ingestCpuPerMillion(), Double.isNaN(t.clickHouseCpuPerMillion()) ? "?"
            : String.format(Locale.ROOT, "%.1f", t.clickHouseCpuPerMillion())));
    sb.append(String.format(Locale.ROOT, "| CPU seconds per 1M rows (second half): ingest / ClickHouse | "
            + "%.1f / %s | | |%n", t.warmIngestCpuPerMillion(), Double.isNaN(t.warmClickHouseCpuPerMillion()) ? "?"
            : String.format(Locale.ROOT, "%.1f", t.warmClickHouseCpuPerMillion())));
    if (!Double.isNaN(t.clickHouseCpuSeconds())) {
      // what the machine's cores would sustain if nothing but ingest and ClickHouse ran on them
      double warm = ceiling(t.warmIngestCpuPerMillion(), t.warmClickHouseCpuPerMillion());
      sb.append(String.format(Locale.ROOT, "| CPU-bound ceiling on %d dedicated cores (second half) | %,.0f rows/s "
              + "| ≥ 80,000 | %s |%n", Runtime.getRuntime().availableProcessors(), warm, warm >= 80_000 ? "ok" : "under"));
    }
    sb.append(String.format(Locale.ROOT, "| Freshness p50 | %,d ms | | |%n", f.p50()));
    sb.append(String.format(Locale.ROOT, "| Freshness p95 | %,d ms | ≤ 5,000 | %s |%n", f.p95(),
        f.p95() <= 5_000 && f.missing() == 0 ? "ok" : "over"));
    sb.append(String.format(Locale.ROOT, "| Freshness p99 / max | %,d / %,d ms | | |%n", f.p99(), f.max()));
    sb.append(String.format(Locale.ROOT, "| Freshness events seen / never seen | %,d / %,d | | |%n%n",
        f.visible(), f.missing()));
    sb.append(String.format(Locale.ROOT, "Measured %s on %s (%d cores, shared with other builds; load average %.1f "
            + "at the end). Throughput: `count()` polled every 250 ms, so ±0.25 s on the durations; the second half starts at the first poll with half the rows in. Freshness: send "
            + "time to the end of the first poll that returned the row; polls every %d ms took %.1f ms on average, "
            + "so the figures overstate by up to ≈ %.0f ms.%n",
        LocalDate.now(ZoneOffset.UTC), cpuModel(), Runtime.getRuntime().availableProcessors(),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), f.pollMs(), f.meanPollMs(),
        f.pollMs() + f.meanPollMs()));
    return sb.toString();
  }

  /** Rows/s if ingest and ClickHouse had every core to themselves and used them all. */
  private static double ceiling(double ingestCpuPerMillion, double clickHouseCpuPerMillion) {
    return 1e6 * Runtime.getRuntime().availableProcessors() / (ingestCpuPerMillion + clickHouseCpuPerMillion);
  }

  /** Replaces the "## Ingest" section (up to the next "## " heading) or appends it. */
  static String replaceSection(String document, String section) {
    String body = section.endsWith("\n") ? section : section + "\n";
    int start = document.startsWith(SECTION + "\n") ? 0 : document.indexOf("\n" + SECTION + "\n");
    if (start < 0) {
      return document.stripTrailing() + "\n\n" + body;
    }
    if (start > 0) {
      start++; // keep the newline before the heading
    }
    int next = document.indexOf("\n## ", start + SECTION.length());
    return document.substring(0, start) + body + (next < 0 ? "" : document.substring(next));
  }

  private static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8).stream()
          .filter(l -> l.startsWith("model name")).findFirst()
          .map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown CPU");
    } catch (IOException e) {
      return "unknown CPU";
    }
  }

  private static double cpuSeconds(long pid) {
    return ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration()).map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** CPU seconds per million rows are counted from the first row on (start-up left out). */
  record Throughput(double rowsPerSecond, double rowsPerSecondFromLaunch, double secondsFromFirst,
      double secondsFromLaunch, long count, long distinct, double ingestCpuSeconds, double clickHouseCpuSeconds,
      double ingestCpuPerMillion, double clickHouseCpuPerMillion, long events, double warmRowsPerSecond,
      double warmSeconds, double warmIngestCpuPerMillion, double warmClickHouseCpuPerMillion) {
    boolean countOk() {
      return count == events && distinct == events;
    }
  }

  record Freshness(int rate, int seconds, long sent, long visible, int missing, long p50, long p95, long p99,
      long max, int pollMs, double meanPollMs) {}
}
