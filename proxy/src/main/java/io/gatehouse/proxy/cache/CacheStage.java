package io.gatehouse.proxy.cache;

import io.gatehouse.proxy.metrics.GatehouseMeters;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Ticker;
import io.gatehouse.proxy.config.ProviderConfig;
import io.gatehouse.proxy.http.OpenAiErrors;
import io.gatehouse.proxy.pipeline.CallRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache stage of a chat completion, between routing and the upstream attempts. It either answers
 * from the cache (no upstream call: the stored bytes are written as they are) or lets the request go on
 * and attaches a {@link CacheCapture} that stores the answer if it turns out complete and successful.
 *
 * <ol>
 *   <li>Exact: the {@link CacheKey} of the request, looked up in {@link ExactCache} on the IO thread
 *       (microseconds).
 *   <li>Semantic, for aliases with {@code cache: {semantic: true}}: when the exact lookup missed and the
 *       conversation has at most {@code max_turns} user turns ending with a textual user turn, that
 *       turn is embedded and compared with the questions stored under the same exact part of the key —
 *       both on a small bounded executor, never on an IO thread. If that takes longer than
 *       {@code cache.semantic.timeout} (or the executor is saturated) it is a miss and the request goes on.
 * </ol>
 *
 * A hit's event: {@code cache_result} hit or semantic-hit, no attempts, {@code cost_usd} 0,
 * {@code cost_saved_usd} what the original call cost, and the original usage, model, provider and
 * completion. A miss: {@code cache_result} miss. Caching off (or the alias excluded): null (the column
 * stores "").
 *
 * <p>Thread-safe; each request's part runs on its exchange's IO thread.
 */
public final class CacheStage implements AutoCloseable {
  public static final HttpString HEADER = HttpString.tryFromString(CacheControl.HEADER);
  public static final String HIT = "hit";
  public static final String MISS = "miss";
  public static final String SEMANTIC_HIT = "semantic-hit";
  private static final HttpString PROVIDER_HEADER = HttpString.tryFromString("x-gatehouse-provider");
  private static final Logger LOG = LoggerFactory.getLogger(CacheStage.class);

  /** Caching off: every request goes on untouched. */
  public static final CacheStage OFF = new CacheStage(CacheSettings.OFF, Ticker.systemTicker(), null, null);

  private final CacheSettings settings;
  private final ExactCache exact;
  private final SemanticIndex index;
  private final Embedder embedder;
  private final ExecutorService executor;
  private final Counter hits;
  private final Counter misses;
  private final Counter semanticHits;
  private final Counter saved;

  /**
   * @param embedder null: no semantic cache (also when no alias asks for it)
   * @param registry where the cache's meters go, or null
   */
  public CacheStage(CacheSettings settings, Ticker ticker, Embedder embedder, MeterRegistry registry) {
    this.settings = settings;
    this.exact = settings.enabled() ? new ExactCache(settings.maxBytes(), settings.ttl(), ticker) : null;
    boolean semantic = settings.enabled() && embedder != null && !settings.semanticRoutes().isEmpty();
    this.embedder = semantic ? embedder : null;
    this.index = semantic ? new SemanticIndex(embedder.dimensions(), settings.semantic().maxEntries()) : null;
    this.executor = semantic ? embeddingExecutor() : null;
    if (registry != null && settings.enabled()) {
      hits = Counter.builder(GatehouseMeters.CACHE_REQUESTS).tag("result", HIT).register(registry);
      misses = Counter.builder(GatehouseMeters.CACHE_REQUESTS).tag("result", MISS).register(registry);
      semanticHits = Counter.builder(GatehouseMeters.CACHE_REQUESTS).tag("result", SEMANTIC_HIT).register(registry);
      saved = Counter.builder(GatehouseMeters.CACHE_SAVED).baseUnit("usd")
          .description("Provider cost not spent because the cache answered").register(registry);
      Gauge.builder(GatehouseMeters.CACHE_BYTES, exact, ExactCache::weightedSize).baseUnit("bytes").register(registry);
      if (index != null) {
        Gauge.builder(GatehouseMeters.CACHE_SEMANTIC_ENTRIES, index, SemanticIndex::size).register(registry);
      }
    } else {
      hits = misses = semanticHits = saved = null;
    }
  }

  /**
   * The stage for {@code settings}, with the configured embedder when an alias asks for the semantic cache.
   *
   * @param providers the configured providers, for {@code semantic.embedder: <provider>/<model>}
   */
  public static CacheStage create(CacheSettings settings, Map<String, ProviderConfig> providers,
      MeterRegistry registry) {
    if (!settings.enabled()) {
      return OFF;
    }
    Embedder embedder = null;
    if (!settings.semanticRoutes().isEmpty()) {
      String name = settings.semantic().embedder();
      embedder = name.equals("local") ? new LocalEmbedder() : new ProviderEmbedder(
          providers.get(name.substring(0, name.indexOf('/'))), name.substring(name.indexOf('/') + 1),
          Duration.ofSeconds(10));
    }
    CacheStage stage = new CacheStage(settings, Ticker.systemTicker(), embedder, registry);
    if (stage.executor != null && embedder instanceof LocalEmbedder local) {
      stage.executor.execute(() -> local.embed("warm up")); // loads the model (seconds) before traffic needs it
    }
    return stage;
  }

  private static ExecutorService embeddingExecutor() {
    AtomicInteger n = new AtomicInteger();
    int threads = Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors() / 2));
    return new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(64), r -> {
      Thread t = new Thread(r, "gatehouse-cache-embed-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    }, new ThreadPoolExecutor.AbortPolicy());
  }

  public boolean enabled() {
    return exact != null;
  }

  int maxEntryBytes() {
    return (int) Math.min(Integer.MAX_VALUE - 8, exact.maxEntryWeight());
  }

  /**
   * Answers from the cache, or runs {@code forward} (now or, after a semantic lookup, later on the
   * exchange's IO thread) with a {@link CacheCapture} attached.
   *
   * @param route the alias (or {@code provider/model}) the request resolved to
   * @param target the primary target it resolved to ({@code provider/model})
   * @param team the request's team (scope {@code team}), or null
   * @param keyId the virtual key's id (scope {@code key}), or null: then the client's API key, hashed
   * @param failed called with a bug's exception when the deferred part throws
   */
  public void handle(HttpServerExchange exchange, CallRecord record, ObjectNode request, boolean stream,
      boolean wantsUsage, String route, String target, String team, String keyId, Runnable forward,
      Consumer<RuntimeException> failed) {
    if (exact == null || settings.excludedRoutes().contains(route)) {
      forward.run();
      return;
    }
    HeaderMap headers = exchange.getRequestHeaders();
    CacheControl control = CacheControl.of(headers);
    if (control.error() != null) {
      OpenAiErrors.send(exchange, 400, control.error(), OpenAiErrors.INVALID_REQUEST, null, "invalid_cache_header");
      record.error(400, OpenAiErrors.INVALID_REQUEST, control.error());
      record.finish(400, null);
      return;
    }
    CacheKey.Form form = !stream ? CacheKey.Form.JSON : wantsUsage ? CacheKey.Form.SSE_WITH_USAGE : CacheKey.Form.SSE;
    CacheKey.Keys keys = CacheKey.of(request, scope(headers, team, keyId), route, target, form);
    if (control.read()) {
      CachedAnswer answer = exact.get(keys.exact());
      if (answer != null) {
        replay(exchange, record, answer, HIT);
        return;
      }
    }
    boolean semantic = index != null && settings.semanticRoutes().contains(route) && keys.partition() != null
        && keys.userTurns() <= settings.semantic().maxTurns();
    exchange.getResponseHeaders().put(HEADER, MISS);
    record.event().cacheResult(MISS);
    if (!semantic) {
      miss(exchange, control, keys, form, false, null, forward);
      return;
    }
    CompletableFuture<Lookup> lookup;
    try {
      lookup = CompletableFuture.supplyAsync(() -> {
        float[] v = embedder.embed(keys.lastUserText());
        return new Lookup(v, control.read() ? index.nearest(keys.partition(), v) : null);
      }, executor);
    } catch (RejectedExecutionException e) {
      miss(exchange, control, keys, form, true, null, forward); // saturated: no semantic lookup for this one
      return;
    }
    lookup.orTimeout(settings.semantic().timeout().toMillis(), TimeUnit.MILLISECONDS).whenComplete((found, error) ->
        exchange.getIoThread().execute(() -> {
          try {
            CachedAnswer answer = found == null || found.match() == null
                || found.match().similarity() < settings.semantic().threshold() ? null : exact.get(found.match().key());
            if (answer != null && answer.form() == form) {
              replay(exchange, record, answer, SEMANTIC_HIT);
            } else {
              miss(exchange, control, keys, form, true, found == null ? null : found.vector(), forward);
            }
          } catch (RuntimeException e) {
            failed.accept(e);
          }
        }));
  }

  private record Lookup(float[] vector, SemanticIndex.Match match) {}

  private String scope(HeaderMap headers, String team, String keyId) {
    return switch (settings.scope()) {
      case GLOBAL -> "global";
      case TEAM -> "team:" + (team == null ? "" : team);
      case KEY -> {
        if (keyId != null) {
          yield "vkey:" + keyId;
        }
        String auth = headers.getFirst(Headers.AUTHORIZATION);
        if (auth == null) {
          auth = headers.getFirst("x-api-key");
        }
        yield "key:" + (auth == null ? "" : CacheKey.fingerprint(auth));
      }
    };
  }

  private void miss(HttpServerExchange exchange, CacheControl control, CacheKey.Keys keys, CacheKey.Form form,
      boolean semantic, float[] vector, Runnable forward) {
    count(misses);
    if (control.store()) {
      exchange.putAttachment(CacheCapture.KEY, new CacheCapture(this, keys, form, semantic, vector));
    }
    forward.run();
  }

  /** Writes a stored answer as it is and records the hit. */
  private void replay(HttpServerExchange exchange, CallRecord record, CachedAnswer answer, String result) {
    HeaderMap out = exchange.getResponseHeaders();
    exchange.setStatusCode(200);
    if (answer.form() == CacheKey.Form.JSON) {
      out.put(Headers.CONTENT_TYPE, "application/json");
    } else {
      out.put(Headers.CONTENT_TYPE, "text/event-stream");
      out.put(Headers.CACHE_CONTROL, "no-cache");
      record.firstByteSent(); // a stream's time to first token: the whole replay is one write
    }
    out.put(HEADER, result);
    if (answer.provider() != null) {
      out.put(PROVIDER_HEADER, answer.provider());
    }
    exchange.getResponseSender().send(ByteBuffer.wrap(answer.body()));
    record.event().cacheResult(result).provider(answer.provider()).model(answer.model())
        .finishReason(answer.finishReason()).completion(answer.completion()).costUsd(0.0)
        .costSavedUsd(answer.costUsd());
    record.usage(answer.usage());
    record.finish(200, null);
    count(result.equals(HIT) ? hits : semanticHits);
    if (saved != null && answer.costUsd() != null) {
      saved.increment(answer.costUsd());
    }
  }

  /** Called by {@link CacheCapture} with a complete, successful answer. */
  void store(CacheKey.Keys keys, boolean semantic, float[] vector, CachedAnswer answer) {
    if (!exact.put(keys.exact(), answer) || !semantic) {
      return;
    }
    if (vector != null) {
      index.add(keys.partition(), keys.exact(), vector);
      return;
    }
    try { // the lookup timed out or was skipped: embed now, off the IO thread, with no one waiting
      executor.execute(() -> {
        try {
          index.add(keys.partition(), keys.exact(), embedder.embed(keys.lastUserText()));
        } catch (RuntimeException e) {
          LOG.warn("Semantic cache: could not embed a stored question: {}", e.toString());
        }
      });
    } catch (RejectedExecutionException e) {
      LOG.debug("Semantic cache busy: answer stored for exact hits only");
    }
  }

  private static void count(Counter c) {
    if (c != null) {
      c.increment();
    }
  }

  /** Exact entries held (for tests and the startup log). */
  public long exactEntries() {
    return exact == null ? 0 : exact.size();
  }

  public long exactBytes() {
    return exact == null ? 0 : exact.weightedSize();
  }

  public int semanticEntries() {
    return index == null ? 0 : index.size();
  }

  public CacheSettings settings() {
    return settings;
  }

  @Override
  public void close() {
    if (executor != null) {
      executor.shutdownNow();
    }
  }
}
