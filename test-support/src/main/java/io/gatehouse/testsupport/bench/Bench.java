package io.gatehouse.testsupport.bench;

import io.gatehouse.testsupport.bench.LoadGenerator.PhaseResult;
import io.gatehouse.testsupport.bench.LoadGenerator.Target;
import io.gatehouse.testsupport.bench.Stats.Percentiles;
import io.gatehouse.testsupport.bench.Stats.RateResult;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CopyOnWriteArrayList;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The proxy's benchmark suite: what it adds to a direct call to the same fake provider, measured in
 * the same run, open-loop at fixed rates, with HdrHistogram.
 *
 * <p>Parts (subcommands): {@code latency} (non-streaming, several rates, the throughput frontier),
 * {@code stream} (time to first event and inter-chunk gaps; no chunk held back), {@code peer} (the
 * same non-streaming workload through the Portkey gateway 1.15.2 in the same rounds), {@code outage}
 * (the Kafka broker stopped), {@code rss} (the proxy's resident memory at a steady rate) and
 * {@code all}. Each prints its table and replaces its own section of {@code BENCHMARKS.md}.
 *
 * <p>How the numbers stay honest on a small box: the broker and the proxy (and Portkey) run in their
 * own processes, so their threads and GC never run inside the load generator; the load generator is
 * Apache HttpClient 5 async on one IO thread with a large keep-alive pool and sends each request at its
 * intended time; latency counts from that time; targets alternate within each round (their order
 * rotating) so that machine noise hits all of them; the reported figure is the median over rounds of
 * each round's percentile; the proxy is warmed up first, and the JIT compilations that still happen
 * during the measured rounds are reported.
 */
@Command(name = "gatehouse-bench", mixinStandardHelpOptions = true,
    description = "Measures what the proxy adds to a direct call to the fake provider (see the subcommands).")
public final class Bench implements java.util.concurrent.Callable<Integer> {
  static final String PORTKEY_PACKAGE = "@portkey-ai/gateway@1.15.2";

  @Option(names = "--rates", split = ",", defaultValue = "500,1000,2000,4000", scope = ScopeType.INHERIT,
      description = "Open-loop rates in requests per second for latency, stream and peer (default: ${DEFAULT-VALUE}).")
  List<Integer> rates;

  @Option(names = "--rate", defaultValue = "2000", scope = ScopeType.INHERIT,
      description = "Rate for outage and rss (default: ${DEFAULT-VALUE}).")
  int rate;

  @Option(names = "--seconds", defaultValue = "20", scope = ScopeType.INHERIT,
      description = "Measured seconds per target and rate, split into the rounds (default: ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--rounds", defaultValue = "4", scope = ScopeType.INHERIT,
      description = "Rounds the seconds are split into; targets alternate within each (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--warmup-seconds", defaultValue = "30", scope = ScopeType.INHERIT,
      description = "Unmeasured warm-up per target at --warmup-rate before the first part (default: ${DEFAULT-VALUE}).")
  int warmupSeconds;

  @Option(names = "--warmup-rate", defaultValue = "2000", scope = ScopeType.INHERIT,
      description = "Rate of the warm-up (default: ${DEFAULT-VALUE}; the JIT settles by request count, not time).")
  int warmupRate;

  @Option(names = "--minutes", defaultValue = "10", scope = ScopeType.INHERIT,
      description = "Length of the rss run (default: ${DEFAULT-VALUE}).")
  double minutes;

  @Option(names = "--chunks", defaultValue = "8", scope = ScopeType.INHERIT,
      description = "Content chunks of each streamed answer (default: ${DEFAULT-VALUE}).")
  int chunks;

  @Option(names = "--chunk-delay-ms", defaultValue = "10", scope = ScopeType.INHERIT,
      description = "The fake provider's delay between chunks (default: ${DEFAULT-VALUE}).")
  int chunkDelayMs;

  @Option(names = "--chunk-slack-ms", defaultValue = "5", scope = ScopeType.INHERIT,
      description = "A chunk arriving more than this after the fake's delay counts as held back (default: ${DEFAULT-VALUE}).")
  int chunkSlackMs;

  @Option(names = "--proxy-yaml", defaultValue = "", scope = ScopeType.INHERIT,
      description = "YAML appended to the proxy's config, to measure a setting (e.g. 'events: { log_bodies: false }').")
  String proxyYaml;

  @Option(names = "--proxy-jar", defaultValue = "proxy/target/gatehouse-proxy.jar", scope = ScopeType.INHERIT,
      description = "Proxy jar to run (default: ${DEFAULT-VALUE}).")
  Path proxyJar;

  @Option(names = "--proxy-java-option", scope = ScopeType.INHERIT,
      description = "An extra JVM option for the proxy, for profiling (e.g. -XX:StartFlightRecording=filename=p.jfr); "
          + "repeatable. Numbers taken with one are not the launcher's.")
  List<String> proxyJavaOptions = new ArrayList<>();

  @Option(names = "--fake-own-jvm", scope = ScopeType.INHERIT,
      description = "Run the fake provider in a JVM of its own instead of the load generator's.")
  boolean fakeOwnJvm;

  @Option(names = "--client-threads", defaultValue = "1", scope = ScopeType.INHERIT,
      description = "IO threads of the load generator (default: ${DEFAULT-VALUE}).")
  int clientThreads;

  @Option(names = "--connections", defaultValue = "512", scope = ScopeType.INHERIT,
      description = "Keep-alive connections the load generator may open per target (default: ${DEFAULT-VALUE}).")
  int connections;

  @Option(names = "--portkey-dir", defaultValue = ".gatehouse/bench/portkey", scope = ScopeType.INHERIT,
      description = "Where " + PORTKEY_PACKAGE + " is (or gets) installed with npm (default: ${DEFAULT-VALUE}).")
  Path portkeyDir;

  @Option(names = "--peer-limits-ms", split = ",", defaultValue = "1,2,5,10,20,50,100", scope = ScopeType.INHERIT,
      description = "Added-p99 levels at which the peer part compares the highest rates (default: ${DEFAULT-VALUE}).")
  List<Double> peerLimitsMs;

  @Option(names = "--benchmarks", defaultValue = "BENCHMARKS.md", scope = ScopeType.INHERIT,
      description = "Markdown file whose sections the parts replace (default: ${DEFAULT-VALUE}).")
  Path benchmarks;

  @Option(names = "--no-write", scope = ScopeType.INHERIT, description = "Print the tables only; leave BENCHMARKS.md alone.")
  boolean noWrite;

  private String command = "gatehouse-bench";
  private BenchRig rig;
  private LoadGenerator load;
  private boolean warmedUp;
  private boolean brokerStopped;
  private boolean allRunning;

  public static void main(String[] args) {
    Bench bench = new Bench();
    bench.command = System.getenv().getOrDefault("GATEHOUSE_BENCH_COMMAND", "gatehouse-bench " + String.join(" ", args));
    System.exit(new CommandLine(bench).execute(args));
  }

  /** Without a subcommand: the latency part (what {@code ./gatehouse bench} always measured). */
  @Override
  public Integer call() throws Exception {
    return latency();
  }

  // ------------------------------------------------------------------------------------------- parts

  @Command(name = "latency", description = "Non-streaming added latency at each of --rates; the throughput frontier.")
  int latency() throws Exception {
    return withRig(() -> {
      String load0 = BenchmarksFile.loadAverage();
      Target direct = direct(false);
      Target proxy = proxy(false);
      warmUp(List.of(direct, proxy));
      long jit0 = jitCompilations();
      List<RateResult> results = new ArrayList<>();
      for (int r : rates) {
        System.out.printf("%nlatency: %d req/s, %d s per target in %d rounds%n", r, seconds, rounds);
        results.add(measure(direct, List.of(proxy), r).get(proxy.name()).rateResult(r));
      }
      long jit = jitCompilations() - jit0;
      StringBuilder md = new StringBuilder(BenchmarksFile.preamble(command, load0));
      md.append(String.format("%nNon-streaming chat completions, open-loop at fixed rates; %s. Latency from each "
          + "request's intended send time to its last byte, HdrHistogram; the figures are medians over %d rounds "
          + "(%.1f s per target per round, direct and proxy alternating) of each round's percentile; \"added\" "
          + "is proxy minus direct. Kafka logging on (a real broker in its own JVM). Proxy JIT compilations during "
          + "the measured rounds: %s. Load average at the end: %s.%n%n",
          method(), rounds, (double) seconds / rounds, jit < 0 ? "unknown" : Long.toString(jit), BenchmarksFile.loadAverage()));
      md.append("| Rate (req/s) | Direct p50 / p90 / p99 / max (ms) | Proxy p50 / p90 / p99 / max (ms) "
          + "| Added p50 | Added p90 | Added p99 | Added max | p99 ratio | Errors (proxy/direct) |\n");
      md.append("|---:|---|---|---:|---:|---:|---:|---:|---:|\n");
      for (RateResult r : results) {
        md.append(String.format("| %d | %s | %s | %.3f | %.3f | %.3f | %.3f | %.2f× | %d / %d |%n", r.rate(),
            four(r.direct()), four(r.via()), r.added().p50(), r.added().p90(), r.added().p99(), r.added().max(),
            r.via().p99() / r.direct().p99(), r.via().errors(), r.direct().errors()));
      }
      OptionalInt frontier = Stats.frontier(results, 1.0);
      md.append(String.format("%nThroughput frontier (highest rate with added p99 < 1 ms and no errors, every lower "
          + "rate passing too): **%s**.%n", frontier.isPresent() ? frontier.getAsInt() + " req/s" : "none of the rates"));
      results.stream().filter(r -> r.rate() == 2000).findFirst().ifPresent(r -> md.append(String.format(
          "Goal at 2,000 req/s: added p50 ≤ 0.2 ms (%.3f: %s), added p99 ≤ 1 ms (%.3f: %s).%n",
          r.added().p50(), r.added().p50() <= 0.2 ? "met" : "not met", r.added().p99(),
          r.added().p99() <= 1.0 ? "met" : "not met")));
      publish("Proxy added latency (non-streaming)", md.toString());
      return 0;
    });
  }

  @Command(name = "stream", description = "Streaming: added time to first event and inter-chunk gap; no chunk held back.")
  int stream() throws Exception {
    return withRig(() -> {
      String load0 = BenchmarksFile.loadAverage();
      Target direct = direct(true);
      Target proxy = proxy(true);
      warmUp(List.of(direct(false), proxy(false)));
      long expected = load.countEvents(direct);
      long viaProxy = load.countEvents(proxy);
      System.out.printf("stream: the fake sends %d SSE events per answer (%d content chunks, %d ms apart); "
          + "through the proxy one answer had %d%n", expected, chunks, chunkDelayMs, viaProxy);
      warmUp(List.of(direct, proxy), warmupRate, Math.min(10, warmupSeconds));
      long jit0 = jitCompilations();
      List<Measured[]> results = new ArrayList<>();
      for (int r : rates) {
        System.out.printf("%nstream: %d req/s, %d s per target in %d rounds%n", r, seconds, rounds);
        Map<String, Measured> m = measure(direct, List.of(proxy), r, expected);
        results.add(new Measured[] {m.get(direct.name()), m.get(proxy.name())});
      }
      long jit = jitCompilations() - jit0;
      StringBuilder md = new StringBuilder(BenchmarksFile.preamble(command, load0));
      md.append(String.format("%nStreaming chat completions (`stream: true`), open-loop at fixed rates; %s. The fake "
          + "sends %d SSE events per answer: a role chunk at once, %d content chunks and a finish chunk %d ms apart, then "
          + "`[DONE]` at once (and, when usage is asked for, as the proxy always does upstream, the usage chunk "
          + "just before it, as OpenAI sends it). Time to first token = from the intended send time to the first complete SSE event; gap = "
          + "time between consecutive events as the client sees them (events that arrive together have gap 0). "
          + "Medians over %d rounds of each round's percentile; \"added\" is proxy minus direct (the direct gap is "
          + "the fake's own). A chunk is *held back* when its gap exceeds %d + %d ms, or an answer has a different "
          + "number of events than the fake sent. Proxy JIT compilations during the measured rounds: %s. Load "
          + "average at the end: %s.%n%n", method(), expected, chunks, chunkDelayMs, rounds, chunkDelayMs,
          chunkSlackMs, jit < 0 ? "unknown" : Long.toString(jit), BenchmarksFile.loadAverage()));
      md.append("| Rate (req/s) | TTFT direct p50 / p99 (ms) | TTFT proxy p50 / p99 | Added TTFT p50 | Added TTFT p99 "
          + "| Gap direct p50 / p99 | Gap proxy p50 / p99 | Added gap p50 | Added gap p99 | Held back (gaps / answers) "
          + "| Errors (proxy/direct) |\n");
      md.append("|---:|---|---|---:|---:|---|---|---:|---:|---|---:|\n");
      boolean heldBack = false;
      double worstTtft = 0;
      for (int i = 0; i < rates.size(); i++) {
        Measured d = results.get(i)[0];
        Measured p = results.get(i)[1];
        Percentiles dt = Percentiles.medianOf(d.ttft);
        Percentiles pt = Percentiles.medianOf(p.ttft);
        Percentiles dg = Percentiles.medianOf(d.gap);
        Percentiles pg = Percentiles.medianOf(p.gap);
        heldBack |= p.gapsOver + p.wrongEvents > 0;
        worstTtft = Math.max(worstTtft, pt.p99() - dt.p99());
        md.append(String.format("| %d | %.3f / %.3f | %.3f / %.3f | %.3f | %.3f | %.3f / %.3f | %.3f / %.3f | %.3f "
                + "| %.3f | %d / %d of %d | %d / %d |%n", rates.get(i), dt.p50(), dt.p99(), pt.p50(), pt.p99(),
            pt.p50() - dt.p50(), pt.p99() - dt.p99(), dg.p50(), dg.p99(), pg.p50(), pg.p99(), pg.p50() - dg.p50(),
            pg.p99() - dg.p99(), p.gapsOver, p.wrongEvents, p.responses, p.errors, d.errors));
      }
      md.append(String.format("%nGoals: added TTFT p99 ≤ 1 ms at every rate (worst %.3f ms: %s); no chunk held back "
          + "(%s). Direct answers held back by the same rule, for scale: %s.%n", worstTtft,
          worstTtft <= 1.0 ? "met" : "not met", heldBack ? "not met" : "met",
          results.stream().map(m -> m[0].gapsOver + " gaps / " + m[0].wrongEvents + " answers").toList()));
      publish("Proxy added latency (streaming)", md.toString());
      return 0;
    });
  }

  @Command(name = "peer", description = "The non-streaming workload through Gatehouse and the Portkey gateway in the same rounds.")
  int peer() throws Exception {
    return withRig(() -> {
      String load0 = BenchmarksFile.loadAverage();
      Path gateway = portkeyDir.resolve("node_modules/@portkey-ai/gateway");
      String missing = installPortkey(gateway);
      if (missing != null) {
        System.out.println(missing);
        publish("Peer: Portkey gateway 1.15.2", BenchmarksFile.preamble(command, load0) + "\nNot measured: " + missing + "\n");
        return 1;
      }
      int port = rig.startPortkey(gateway);
      Target direct = direct(false);
      Target proxy = proxy(false);
      Target portkey = new Target("portkey", URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"),
          Map.of("authorization", "Bearer bench-key", "x-portkey-provider", "openai",
              "x-portkey-custom-host", rig.fakeBaseUrl()), body("gpt-4o-mini", false), false);
      warmUp(List.of(direct, proxy));
      // at the lowest rate: overloaded at the warm-up rate, a peer would start the rounds with a backlog
      warmUp(List.of(portkey), rates.stream().min(Integer::compare).orElse(warmupRate));
      Map<String, List<RateResult>> results = measureRates("peer", direct, List.of(proxy, portkey));
      List<RateResult> gatehouse = results.get(proxy.name());
      List<RateResult> peer = results.get(portkey.name());
      rig.stopPortkey();
      StringBuilder md = new StringBuilder(BenchmarksFile.preamble(command, load0));
      md.append(String.format("%nThe non-streaming workload of the latency part, in the same rounds, to the same fake "
          + "provider: direct, through Gatehouse (Kafka logging on) and through the Portkey open-source gateway "
          + "(`npm install %s`, `node build/start-server.js --headless` on Node %s; headers `x-portkey-provider: "
          + "openai`, `x-portkey-custom-host: <fake>/v1`). %s. Medians over %d rounds; \"added\" is gateway minus "
          + "direct. Load average at the end: %s.%n%n", PORTKEY_PACKAGE, nodeVersion(), method(), rounds,
          BenchmarksFile.loadAverage()));
      md.append("| Rate (req/s) | Direct p50 / p99 (ms) | Gatehouse added p50 / p99 | Portkey added p50 / p99 "
          + "| Errors Gatehouse / Portkey |\n|---:|---|---|---|---:|\n");
      for (int i = 0; i < rates.size(); i++) {
        RateResult g = gatehouse.get(i);
        RateResult p = peer.get(i);
        md.append(String.format("| %d | %.3f / %.3f | %.3f / %.3f | %.3f / %.3f | %d / %d |%n", g.rate(),
            g.direct().p50(), g.direct().p99(), g.added().p50(), g.added().p99(), p.added().p50(), p.added().p99(),
            g.via().errors(), p.via().errors()));
      }
      md.append("\nHighest rate at an equal added-p99 limit (no errors, every lower rate passing too):\n\n"
          + "| Added p99 < (ms) | Gatehouse (req/s) | Portkey (req/s) | Gatehouse ÷ Portkey |\n|---:|---:|---:|---:|\n");
      for (double limit : peerLimitsMs) {
        OptionalInt g = Stats.frontier(gatehouse, limit);
        OptionalInt p = Stats.frontier(peer, limit);
        md.append(String.format("| %s | %s | %s | %s |%n", trim(limit), g.isPresent() ? g.getAsInt() : "none",
            p.isPresent() ? p.getAsInt() : "none", g.isPresent() && p.isPresent()
                ? String.format("%.1f×", (double) g.getAsInt() / p.getAsInt())
                : g.isPresent() ? "Portkey reaches none" : "—"));
      }
      md.append("\nGoal: Gatehouse ≥ 3× Portkey's highest rate at equal added p99. The rates tested bound the "
          + "ratio: when Gatehouse passes at the highest rate tested, the true ratio may be larger.\n");
      publish("Peer: Portkey gateway 1.15.2", md.toString());
      return 0;
    });
  }

  @Command(name = "floor", description = "Direct, Gatehouse and a bare forwarding proxy (the floor) in the same rounds.")
  int floor() throws Exception {
    return withRig(() -> {
      String load0 = BenchmarksFile.loadAverage();
      int port = rig.startFloorProxy();
      Target direct = direct(false);
      Target proxy = proxy(false);
      Target floor = new Target("floor", URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"),
          Map.of("authorization", "Bearer bench-key"), body("gpt-4o-mini", false), false);
      String answer = load.probe(floor);
      if (!answer.startsWith("200 ")) {
        System.err.println("the floor proxy answered " + LoadGenerator.abbreviate(answer) + "; logs in " + rig.work());
        return 1;
      }
      warmUp(List.of(direct, proxy));
      warmUp(List.of(floor), warmupRate, warmupSeconds);
      Map<String, List<RateResult>> results = measureRates("floor", direct, List.of(proxy, floor));
      List<RateResult> gatehouse = results.get(proxy.name());
      List<RateResult> bare = results.get(floor.name());
      StringBuilder md = new StringBuilder(BenchmarksFile.preamble(command, load0));
      md.append(String.format("%nWhat any proxy in one more process adds on this box. The non-streaming workload of "
          + "the latency part, in the same rounds, to the same fake provider: direct; through Gatehouse (Kafka logging "
          + "on); and through the *floor*, a reverse proxy that only forwards (Undertow's own `ProxyHandler`, the "
          + "server library Gatehouse runs on, in its own JVM with the proxy's flags `%s`; it reads no body and "
          + "publishes no event: `FloorProxy`); %s. Medians over %d rounds of each round's percentile; \"added\" is "
          + "via minus direct, and \"over the floor\" is Gatehouse's added minus the floor's: what Gatehouse's own "
          + "work costs. Load average at the end: %s.%n%n", String.join(" ", BenchRig.PROXY_JVM_FLAGS), method(),
          rounds, BenchmarksFile.loadAverage()));
      md.append("| Rate (req/s) | Direct p50 / p99 (ms) | Floor added p50 / p99 | Gatehouse added p50 / p99 "
          + "| Gatehouse over the floor p50 / p99 | Errors Gatehouse / floor |\n|---:|---|---|---|---|---:|\n");
      for (int i = 0; i < rates.size(); i++) {
        RateResult g = gatehouse.get(i);
        RateResult f = bare.get(i);
        md.append(String.format("| %d | %.3f / %.3f | %.3f / %.3f | %.3f / %.3f | %.3f / %.3f | %d / %d |%n", g.rate(),
            g.direct().p50(), g.direct().p99(), f.added().p50(), f.added().p99(), g.added().p50(), g.added().p99(),
            g.added().p50() - f.added().p50(), g.added().p99() - f.added().p99(), g.via().errors(), f.via().errors()));
      }
      for (int i = 0; i < rates.size(); i++) {
        if (rates.get(i) == 2000) {
          md.append(String.format("%nAt 2,000 req/s the floor alone adds %.3f ms at p99 (goal for Gatehouse: ≤ 1 ms); "
              + "Gatehouse adds %.3f ms, %.3f ms over the floor.%n", bare.get(i).added().p99(),
              gatehouse.get(i).added().p99(), gatehouse.get(i).added().p99() - bare.get(i).added().p99()));
        }
      }
      publish("Floor: a proxy that only forwards", md.toString());
      return 0;
    });
  }

  @Command(name = "outage", description = "Normal rounds, then the Kafka broker stopped and the same rounds (issue 5).")
  int outage() throws Exception {
    return withRig(() -> {
      String load0 = BenchmarksFile.loadAverage();
      Target direct = direct(false);
      Target proxy = proxy(false);
      warmUp(List.of(direct, proxy));
      System.out.printf("%noutage: normal, %d req/s, %d s per target in %d rounds%n", rate, seconds, rounds);
      RateResult normal = measure(direct, List.of(proxy), rate).get(proxy.name()).rateResult(rate);
      System.out.println("Stopping the Kafka broker: the proxy now spools every event to disk…");
      rig.stopBroker();
      brokerStopped = true;
      System.out.printf("outage: broker stopped, %d req/s, %d s per target in %d rounds%n", rate, seconds, rounds);
      RateResult outage = measure(direct, List.of(proxy), rate).get(proxy.name()).rateResult(rate);
      long spooled = spoolBytes();
      double delta = outage.added().p99() - normal.added().p99();
      StringBuilder md = new StringBuilder(BenchmarksFile.preamble(command, load0));
      md.append(String.format("%nNon-streaming at %d req/s; %s. The normal rounds, then the broker (its own JVM) stopped "
          + "with SIGTERM and the same rounds at once (the first seconds of the outage included); the proxy spools "
          + "events to disk meanwhile (%,d bytes spooled by the end). Medians over %d rounds. Load average at the "
          + "end: %s.%n%n", rate, method(), spooled, rounds, BenchmarksFile.loadAverage()));
      md.append("| Phase | Direct p50 / p99 (ms) | Proxy p50 / p99 | Added p50 | Added p99 | Errors (proxy/direct) |\n"
          + "|---|---|---|---:|---:|---:|\n");
      for (var row : List.of(Map.entry("normal", normal), Map.entry("broker stopped", outage))) {
        RateResult r = row.getValue();
        md.append(String.format("| %s | %.3f / %.3f | %.3f / %.3f | %.3f | %.3f | %d / %d |%n", row.getKey(),
            r.direct().p50(), r.direct().p99(), r.via().p50(), r.via().p99(), r.added().p50(), r.added().p99(),
            r.via().errors(), r.direct().errors()));
      }
      // the goal is that an outage does not slow requests: at most 1 ms more. An outage that comes out
      // faster is no failure (the stopped broker no longer takes CPU on this same box) and is said so.
      md.append(String.format("%nAdded p99 during the outage minus normal: **%+.3f ms** (goal: at most 1 ms slower: %s%s).%n",
          delta, delta <= 1.0 ? "met" : "not met",
          delta < -1.0 ? "; faster during the outage, as the stopped broker no longer uses this box's CPU" : ""));
      publish("Kafka broker outage", md.toString());
      return 0;
    });
  }

  @Command(name = "rss", description = "The proxy's resident memory every 10 s at --rate for --minutes.")
  int rss() throws Exception {
    return withRig(() -> {
      String load0 = BenchmarksFile.loadAverage();
      Target proxy = proxy(false);
      warmUp(List.of(direct(false), proxy));
      long pid = rig.proxyPid();
      List<Rss.Sample> samples = new CopyOnWriteArrayList<>();
      long t0 = System.nanoTime();
      ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bench-rss");
        t.setDaemon(true);
        return t;
      });
      sampler.scheduleAtFixedRate(() -> {
        OptionalLong kb = Rss.ofPid(pid);
        if (kb.isPresent()) {
          Rss.Sample s = new Rss.Sample((System.nanoTime() - t0) / 1e9, kb.getAsLong() / 1024.0);
          samples.add(s);
          System.out.printf("  rss %5.0f s  %6.1f MB%n", s.seconds(), s.mb());
        }
      }, 0, 10, TimeUnit.SECONDS);
      System.out.printf("%nrss: %d req/s through the proxy for %.1f min, VmRSS every 10 s%n", rate, minutes);
      long errors = 0;
      long sent = 0;
      Histogram all = new Histogram(3);
      double remaining = minutes * 60;
      while (remaining > 0) { // in 60 s slices, so progress shows and the pool is refreshed
        double slice = Math.min(60, remaining);
        PhaseResult r = load.run(proxy, rate, slice, 0);
        errors += r.errors();
        sent += r.intendedRequests();
        all.add(r.latency());
        remaining -= slice;
      }
      sampler.shutdownNow();
      sampler.awaitTermination(5, TimeUnit.SECONDS);
      double end = (System.nanoTime() - t0) / 1e9;
      if (samples.isEmpty() || end - samples.get(samples.size() - 1).seconds() >= 1) {
        Rss.ofPid(pid).ifPresent(kb -> samples.add(new Rss.Sample(end, kb / 1024.0)));
      }
      double max = samples.stream().mapToDouble(Rss.Sample::mb).max().orElse(Double.NaN);
      double slope = Rss.slopeMbPerMinute(samples);
      Rss.Sample first = samples.get(0);
      Rss.Sample last = samples.get(samples.size() - 1);
      // the trend after the first minute (heap growing to its working size is not a leak)
      List<Rss.Sample> settled = samples.stream().filter(s -> s.seconds() >= 60).toList();
      double settledSlope = settled.size() < 3 ? Double.NaN : Rss.slopeMbPerMinute(settled);
      StringBuilder md = new StringBuilder(BenchmarksFile.preamble(command, load0));
      md.append(String.format("%nThe proxy (JVM flags as `./gatehouse up` starts it: `%s`, `MALLOC_ARENA_MAX=%s`; Kafka logging on) at %d "
          + "req/s non-streaming for %.1f min after the warm-up; `VmRSS` from `/proc/PID/status` every 10 s. %,d "
          + "requests, %d errors, proxy p99 over the run %.3f ms. Load average at the end: %s.%n%n",
          String.join(" ", BenchRig.PROXY_JVM_FLAGS), BenchRig.PROXY_MALLOC_ARENA_MAX, rate, minutes, sent, errors,
          all.getTotalCount() == 0 ? Double.NaN : all.getValueAtPercentile(99) / 1000.0, BenchmarksFile.loadAverage()));
      md.append(String.format("Start %.1f MB, end %.1f MB, max %.1f MB; slope %+.2f MB/min over the run, %s after the "
          + "first minute. Goal ≤ 256 MB (%s) and flat.%n%n", first.mb(), last.mb(), max, slope,
          Double.isNaN(settledSlope) ? "n/a" : String.format("%+.2f MB/min", settledSlope),
          max <= 256 ? "met" : "not met"));
      md.append("| Time (s) | RSS (MB) |\n|---:|---:|\n");
      samples.forEach(s -> md.append(String.format("| %.0f | %.1f |%n", s.seconds(), s.mb())));
      publish("Proxy memory (RSS)", md.toString());
      return 0;
    });
  }

  @Command(name = "all", description = "latency, floor, stream, peer, rss and outage in one run (the broker last).")
  int all() throws Exception {
    int worst = 0;
    allRunning = true;
    try {
      for (PartCall part : List.<PartCall>of(this::latency, this::floor, this::stream, this::peer, this::rss, this::outage)) {
        worst = Math.max(worst, part.call());
        if (worst == 2) { // nothing to measure (no proxy jar) or the rig cannot serve another part
          break;
        }
      }
    } finally {
      allRunning = false;
      close();
    }
    return worst;
  }

  // ------------------------------------------------------------------------------------------- rounds

  /** One target's rounds at one rate: latency (and for streams TTFT and gap) percentiles per round. */
  private static final class Measured {
    final List<Percentiles> latency = new ArrayList<>();
    final List<Percentiles> ttft = new ArrayList<>();
    final List<Percentiles> gap = new ArrayList<>();
    long gapsOver;
    long wrongEvents;
    long responses;
    long errors;
    Measured direct;

    RateResult rateResult(int rate) {
      Percentiles d = Percentiles.medianOf(direct.latency);
      Percentiles v = Percentiles.medianOf(latency);
      return new RateResult(rate, d, v, v.minus(d));
    }
  }

  /** Each of {@link #rates} in turn: per gateway's name, its result at every rate, in rate order. */
  private Map<String, List<RateResult>> measureRates(String part, Target direct, List<Target> gateways)
      throws InterruptedException {
    Map<String, List<RateResult>> out = new LinkedHashMap<>();
    gateways.forEach(g -> out.put(g.name(), new ArrayList<>()));
    String names = direct.name() + ", " + String.join(", ", out.keySet());
    for (int r : rates) {
      System.out.printf("%n%s: %d req/s, %d s per target in %d rounds (%s)%n", part, r, seconds, rounds, names);
      Map<String, Measured> m = measure(direct, gateways, r);
      for (Target g : gateways) {
        out.get(g.name()).add(m.get(g.name()).rateResult(r));
      }
    }
    return out;
  }

  private Map<String, Measured> measure(Target direct, List<Target> gateways, int r) throws InterruptedException {
    return measure(direct, gateways, r, 0);
  }

  /**
   * {@link #rounds} rounds at rate {@code r}; in each, every target runs once, in an order that rotates
   * from round to round. Keyed by target name; each gateway's {@code direct} is the direct target's.
   */
  private Map<String, Measured> measure(Target direct, List<Target> gateways, int r, long expectedEvents)
      throws InterruptedException {
    List<Target> targets = new ArrayList<>();
    targets.add(direct);
    targets.addAll(gateways);
    Map<String, Measured> out = new LinkedHashMap<>();
    targets.forEach(t -> out.put(t.name(), new Measured()));
    double perRound = (double) seconds / rounds;
    long slackMicros = (chunkDelayMs + chunkSlackMs) * 1000L;
    for (int round = 0; round < rounds; round++) {
      StringBuilder line = new StringBuilder(String.format("  round %d/%d", round + 1, rounds));
      for (int k = 0; k < targets.size(); k++) {
        Target t = targets.get((k + round) % targets.size());
        PhaseResult p = load.run(t, r, perRound, expectedEvents);
        Measured m = out.get(t.name());
        Percentiles lat = Percentiles.of(p.latency(), p.errors());
        m.latency.add(lat);
        m.responses += p.responses();
        m.errors += p.errors();
        if (t.stream()) {
          m.ttft.add(Percentiles.of(p.firstEvent(), 0));
          m.gap.add(Percentiles.of(p.eventGap(), 0));
          long total = p.eventGap().getTotalCount();
          m.gapsOver += total == 0 ? 0 : total - p.eventGap().getCountBetweenValues(0, slackMicros);
          m.wrongEvents += p.wrongEventCount();
        }
        line.append(String.format("  %s p50 %.3f p99 %.3f%s", t.name(), lat.p50(), lat.p99(),
            p.errors() > 0 ? " errors " + p.errors() + " (first: " + p.firstError() + ")" : ""));
      }
      System.out.println(line);
    }
    gateways.forEach(g -> out.get(g.name()).direct = out.get(direct.name()));
    return out;
  }

  // ------------------------------------------------------------------------------------------- set-up

  private interface PartCall {
    int call() throws Exception;
  }

  /** Starts the broker, the fake and the proxy once per process (parts share them), then runs {@code part}. */
  private int withRig(PartCall part) throws Exception {
    if (!Files.isRegularFile(proxyJar)) {
      System.err.println("proxy jar not found at " + proxyJar + ": run ./gatehouse build first");
      return 2;
    }
    boolean own = rig == null;
    if (own) {
      rig = new BenchRig();
      BenchRig current = rig;
      // Ctrl-C or SIGTERM: no broker, proxy or Portkey left behind
      Runtime.getRuntime().addShutdownHook(new Thread(current::close, "bench-stop"));
      System.out.println("Starting the Kafka broker, the fake provider and the proxy…");
      rig.startBroker();
      rig.startFake(fakeOwnJvm, chunkDelayMs);
      rig.startProxy(proxyJar, proxyYaml, proxyJavaOptions);
      load = new LoadGenerator(clientThreads, connections);
      for (Target t : List.of(direct(false), proxy(false))) {
        String answer = load.probe(t);
        if (!answer.startsWith("200 ")) {
          System.err.println(t.name() + " answered " + LoadGenerator.abbreviate(answer) + "; logs in " + rig.work());
          close();
          return 1;
        }
      }
    } else if (brokerStopped) {
      System.err.println("the broker was stopped by the outage part; it runs last");
      return 2;
    }
    try {
      return part.call();
    } finally {
      if (own && !allRunning) {
        close();
      }
    }
  }

  private void close() {
    if (load != null) {
      load.close();
      load = null;
    }
    if (rig != null) {
      rig.close();
      rig = null;
    }
  }

  /** Unmeasured load on each target at --warmup-rate, once per run (the proxy's JIT settles meanwhile). */
  private void warmUp(List<Target> targets) throws InterruptedException {
    if (!warmedUp) {
      warmUp(targets, warmupRate);
      warmedUp = true;
    }
  }

  /**
   * Ramps each target up to {@code warmRate} in four equal steps (⅛, ¼, ½, 1 of it): cold, a JVM at
   * the full rate at once falls behind, opens ever more connections and never catches up.
   */
  private void warmUp(List<Target> targets, int warmRate) throws InterruptedException {
    warmUp(targets, warmRate, warmupSeconds);
  }

  /** The proxy's JIT compilations are printed after each step: when they stop growing, the warm-up was long enough. */
  private void warmUp(List<Target> targets, int warmRate, int warmSeconds) throws InterruptedException {
    for (Target t : targets) {
      System.out.printf("Warming up %s: %d s ramping up to %d req/s…%n", t.name(), warmSeconds, warmRate);
      for (int divisor : new int[] {8, 4, 2, 1}) {
        int stepRate = Math.max(1, warmRate / divisor);
        PhaseResult r = load.run(t, stepRate, warmSeconds / 4.0, 0);
        System.out.printf("  %s warm-up at %d req/s: p50 %.3f ms, p99 %.3f ms, %d errors%s%s%n", t.name(), stepRate,
            r.latency().getValueAtPercentile(50) / 1000.0, r.latency().getValueAtPercentile(99) / 1000.0,
            r.errors(), r.errors() > 0 ? " (first: " + r.firstError() + ")" : "",
            t.name().equals("gatehouse") ? "; proxy JIT compilations so far: " + jitCompilations() : "");
      }
    }
  }

  private Target direct(boolean stream) {
    return new Target("direct", URI.create(rig.fakeBaseUrl() + "/chat/completions"),
        Map.of("authorization", "Bearer bench-key"), body("gpt-4o-mini", stream), stream);
  }

  private Target proxy(boolean stream) {
    return new Target("gatehouse", URI.create("http://127.0.0.1:" + rig.proxyPort() + "/v1/chat/completions"),
        Map.of("authorization", "Bearer bench-client"), body("fake/gpt-4o-mini", stream), stream);
  }

  /** A small chat request; streamed, the last user message has {@code chunks − 1} words (the fake echoes "Echo:" + each). */
  private String body(String model, boolean stream) {
    String user = stream ? String.join(" ", java.util.Collections.nCopies(Math.max(0, chunks - 1), "fast"))
        : "Give me one word for a fast gateway.";
    return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"system\",\"content\":\"You are terse.\"},"
        + "{\"role\":\"user\",\"content\":\"" + user + "\"}],\"max_tokens\":16" + (stream ? ",\"stream\":true" : "") + "}";
  }

  private String method() {
    return String.format("load generator Apache HttpClient 5 async (%d IO thread%s, keep-alive), fake provider %s, "
            + "Kafka broker and proxy in their own JVMs", clientThreads, clientThreads == 1 ? "" : "s",
        fakeOwnJvm ? "in its own JVM" : "in the load generator's JVM");
  }

  /** The proxy's JIT compilations so far ({@code jstat -compiler}); -1 when jstat is not available. */
  private long jitCompilations() {
    try {
      Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jstat").toString(),
          "-compiler", Long.toString(rig.proxyPid())).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      p.waitFor(10, TimeUnit.SECONDS);
      String[] lines = out.strip().split("\n");
      return lines.length < 2 ? -1 : Long.parseLong(lines[1].trim().split("\\s+")[0]);
    } catch (IOException | NumberFormatException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private long spoolBytes() throws IOException {
    Path spool = rig.work().resolve("spool");
    try (var files = Files.walk(spool)) {
      return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
    }
  }

  /**
   * Installs {@link #PORTKEY_PACKAGE} into --portkey-dir with npm unless it is there; returns null when
   * it is ready, else why it is not (exactly, for the report).
   */
  private String installPortkey(Path gateway) throws IOException, InterruptedException {
    if (Files.isRegularFile(gateway.resolve("build/start-server.js"))) {
      return null;
    }
    Files.createDirectories(portkeyDir);
    List<String> cmd = List.of("npm", "install", "--no-audit", "--no-fund", "--prefix", portkeyDir.toString(), PORTKEY_PACKAGE);
    System.out.println("Installing the Portkey gateway: " + String.join(" ", cmd));
    int exit;
    try {
      exit = rig.runToEnd("npm-install", cmd, 600);
    } catch (IOException e) {
      return "`" + String.join(" ", cmd) + "` could not run: " + e.getMessage();
    }
    if (exit != 0 || !Files.isRegularFile(gateway.resolve("build/start-server.js"))) {
      List<String> log = Files.readAllLines(rig.log("npm-install"));
      return "`" + String.join(" ", cmd) + "` " + (exit < 0 ? "timed out" : "exited " + exit) + "; last lines: "
          + String.join(" / ", log.subList(Math.max(0, log.size() - 5), log.size()));
    }
    return null;
  }

  private static String nodeVersion() {
    try {
      Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      return new String(p.getInputStream().readAllBytes()).strip();
    } catch (IOException e) {
      return "unknown";
    }
  }

  private void publish(String heading, String markdown) throws IOException {
    System.out.println();
    System.out.println("## " + heading);
    System.out.println();
    System.out.println(markdown);
    if (!noWrite) {
      new BenchmarksFile(benchmarks).write(heading, markdown);
    }
  }

  private static String four(Percentiles p) {
    return String.format("%.3f / %.3f / %.3f / %.3f", p.p50(), p.p90(), p.p99(), p.max());
  }

  private static String trim(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }
}
