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
    double best = 0;
    for (int q = 0; q < 1_200; q++) {
      float[] v = randomVector(random, dim);
      long t0 = System.nanoTime();
      SemanticIndex.Match m = index.nearest("one-partition", v);
      long t1 = System.nanoTime();
      best = Math.max(best, m.similarity());
      if (q >= 200) {
        h.recordValue(t1 - t0);
      }
    }
    System.out.printf("semantic lookup, %d x %d-dim vectors in one partition: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
        entries, dim, h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6, h.getMaxValue() / 1e6);
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
