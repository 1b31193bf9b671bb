package io.gatehouse.proxy.cache;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Ticker;
import io.gatehouse.proxy.provider.Usage;
import io.undertow.util.HeaderMap;
import io.undertow.util.HttpString;
import java.time.Duration;
import java.util.Random;
import org.HdrHistogram.Histogram;

/**
 * Benchmarks of the cache's request-path work (a main, not a test: numbers, not pass/fail). Run with the
 * proxy's test classpath, e.g. {@code mvn -o -q -pl proxy test-compile dependency:build-classpath
 * -Dmdep.outputFile=cp.txt -Dmdep.includeScope=test}, then
 * {@code java -cp proxy/target/test-classes:proxy/target/classes:$(cat cp.txt) io.gatehouse.proxy.cache.CacheBench}.
 *
 * <ul>
 *   <li>exact: what a hit costs on the IO thread before the bytes are written — parse the cache
 *       headers, canonicalise and hash a ~1.5 KB request, look up a 50k-entry cache;
 *   <li>semantic: the nearest-neighbour search in one partition of 100k 384-dimension vectors (the worst
 *       case: every entry under the same model, prompt and parameters), and the local embedding of a
 *       question (which runs before it, off the IO thread).
 * </ul>
 */
public final class CacheBench {
  public static void main(String[] args) throws Exception {
    exact();
    semantic(args.length > 0 ? Integer.parseInt(args[0]) : 100_000);
    embedding();
    overHttp();
  }

  /**
   * Round trips over loopback HTTP (one client connection, sequential): the fake provider called directly,
   * the proxy forwarding to it ({@code no-cache}: every request goes upstream), and the proxy answering
   * from the cache. Events go to the disk spool (no Kafka here): that work is off the request path.
   */
  private static void overHttp() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("cache-bench");
    try (io.gatehouse.testsupport.fake.FakeOpenAiProvider fake =
        io.gatehouse.testsupport.fake.FakeOpenAiProvider.builder().start()) {
      java.nio.file.Path yaml = dir.resolve("gatehouse.yaml");
      java.nio.file.Files.writeString(yaml, "providers:\n  fake: { type: openai-compatible, base_url: \""
          + fake.baseUrl() + "\" }\ncache: { enabled: true }\n"
          + "events: { kafka: { bootstrap: \"127.0.0.1:1\" } }\n");
      io.gatehouse.proxy.GatehouseProxy proxy = io.gatehouse.proxy.GatehouseProxy.start(java.util.Map.of(
          "GATEHOUSE_CONFIG", yaml.toString(), "GATEHOUSE_PORT", "0", "GATEHOUSE_SPOOL_DIR",
          dir.resolve("spool").toString()));
      try {
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
        String body = "{\"model\":\"fake/gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":"
            + "\"How do I reset my password?\"}]}";
        String proxyUrl = "http://127.0.0.1:" + proxy.port() + "/v1/chat/completions";
        Histogram direct = roundTrips(http, fake.baseUrl() + "/chat/completions", body, null);
        Histogram forwarded = roundTrips(http, proxyUrl, body, "no-cache");
        Histogram hit = roundTrips(http, proxyUrl, body, null);
        for (Object[] row : new Object[][] {{"direct to the fake provider", direct},
            {"through the proxy, forwarded (no-cache)", forwarded}, {"through the proxy, exact hit", hit}}) {
          Histogram h = (Histogram) row[1];
          System.out.printf("HTTP round trip, %s: p50 %.3f ms, p99 %.3f ms%n", row[0],
              h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6);
        }
      } finally {
        proxy.close();
      }
    }
  }

  private static Histogram roundTrips(java.net.http.HttpClient http, String url, String body, String cache)
      throws Exception {
    Histogram h = new Histogram(3);
    for (int i = 0; i < 6_000; i++) {
      java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
          .header("content-type", "application/json")
          .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body));
      if (cache != null) {
        b.header("x-gatehouse-cache", cache);
      }
      long t0 = System.nanoTime();
      java.net.http.HttpResponse<byte[]> r = http.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
      long t1 = System.nanoTime();
      if (r.statusCode() != 200) {
        throw new IllegalStateException(url + " answered " + r.statusCode());
      }
      if (i >= 1_000) {
        h.recordValue(t1 - t0);
      }
    }
    return h;
  }

  private static void exact() throws Exception {
    ObjectMapper json = new ObjectMapper();
    ExactCache cache = new ExactCache(512L << 20, Duration.ofHours(1), Ticker.systemTicker());
    String system = "You are a helpful support assistant for ACME. ".repeat(20);
    ObjectNode[] requests = new ObjectNode[50_000];
    String[] keys = new String[requests.length];
    for (int i = 0; i < requests.length; i++) {
      requests[i] = (ObjectNode) json.readTree("{\"model\":\"faq\",\"temperature\":0.2,\"max_tokens\":300,"
          + "\"user\":\"u" + i + "\",\"messages\":[{\"role\":\"system\",\"content\":\"" + system + "\"},"
          + "{\"role\":\"user\",\"content\":\"Question number " + i + ": how do I reset my password?\"}]}");
      keys[i] = CacheKey.of(requests[i], "global", "faq", "openai/gpt-4o-mini", CacheKey.Form.JSON).exact();
      cache.put(keys[i], new CachedAnswer(new byte[900], CacheKey.Form.JSON, "openai", "gpt-4o-mini", "stop",
          "x".repeat(400), new Usage(300L, 100L, 0L, 0L), 0.0001));
    }
    HeaderMap headers = new HeaderMap();
    headers.put(HttpString.tryFromString("x-gatehouse-user"), "alice");
    Histogram h = new Histogram(3);
    Random random = new Random(1);
    int found = 0;
    for (int round = 0; round < 400_000; round++) {
      ObjectNode r = requests[random.nextInt(requests.length)];
      long t0 = System.nanoTime();
      CacheControl control = CacheControl.of(headers);
      String key = CacheKey.of(r, "global", "faq", "openai/gpt-4o-mini", CacheKey.Form.JSON).exact();
      CachedAnswer a = control.read() ? cache.get(key) : null;
      long t1 = System.nanoTime();
      found += a == null ? 0 : 1;
      if (round >= 100_000) { // the first 100k warm the JIT
        h.recordValue(t1 - t0);
      }
    }
    System.out.printf("exact hit path (headers + key of a %d-byte request + lookup in %d entries): p50 %.1f us, "
        + "p99 %.1f us, p99.9 %.1f us, max %.1f us (%d hits)%n", json.writeValueAsBytes(requests[0]).length,
        requests.length, h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3,
        h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3, found);
  }

  private static void semantic(int entries) {
    int dim = 384;
    SemanticIndex index = new SemanticIndex(dim, entries);
    Random random = new Random(2);
    for (int i = 0; i < entries; i++) {
      index.add("one-partition", "k" + i, randomVector(random, dim));
    }
    Histogram h = new Histogram(3);
    Histogram cpu = new Histogram(3); // the thread's own CPU time: what is left when the scheduler's stalls are out
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    double best = 0;
    for (int q = 0; q < 2_200; q++) {
      float[] v = randomVector(random, dim);
      long c0 = threads.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      SemanticIndex.Match m = index.nearest("one-partition", v);
      long t1 = System.nanoTime();
      long c1 = threads.getCurrentThreadCpuTime();
      best = Math.max(best, m.similarity());
      if (q >= 200) {
        h.recordValue(t1 - t0);
        cpu.recordValue(Math.max(1, c1 - c0));
      }
    }
    System.out.printf("semantic lookup, %d x %d-dim vectors in one partition: wall p50 %.2f ms, p99 %.2f ms, max %.2f ms;"
        + " thread CPU p50 %.2f ms, p99 %.2f ms%n", entries, dim, h.getValueAtPercentile(50) / 1e6,
        h.getValueAtPercentile(99) / 1e6, h.getMaxValue() / 1e6, cpu.getValueAtPercentile(50) / 1e6,
        cpu.getValueAtPercentile(99) / 1e6);
  }

  private static void embedding() {
    LocalEmbedder embedder = new LocalEmbedder();
    long t0 = System.nanoTime();
    embedder.embed("warm up");
    long load = System.nanoTime() - t0;
    Histogram h = new Histogram(3);
    for (int i = 0; i < 220; i++) {
      long s = System.nanoTime();
      embedder.embed("How do I reset my password for account number " + i + "?");
      if (i >= 20) {
        h.recordValue(System.nanoTime() - s);
      }
    }
    System.out.printf("local embedding (all-MiniLM-L6-v2 q): model load %.1f s; per question p50 %.1f ms, p99 %.1f ms%n",
        load / 1e9, h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6);
  }

  private static float[] randomVector(Random random, int dim) {
    float[] v = new float[dim];
    for (int i = 0; i < dim; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return v;
  }
}
