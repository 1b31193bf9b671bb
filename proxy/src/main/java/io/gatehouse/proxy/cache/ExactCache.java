package io.gatehouse.proxy.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;

/**
 * Answers by exact key, in process: Caffeine bounded by the answers' bytes ({@link CachedAnswer#weight}),
 * expiring {@code ttl} after the write, on an injected {@link Ticker} (tests advance time). Evictions and
 * expiry run on the caller's thread (no executor): never blocking, a few microseconds.
 *
 * <p>Thread-safe.
 */
public final class ExactCache {
  private final Cache<String, CachedAnswer> cache;
  private final long maxBytes;

  public ExactCache(long maxBytes, Duration ttl, Ticker ticker) {
    this.maxBytes = maxBytes;
    this.cache = Caffeine.newBuilder()
        .maximumWeight(maxBytes)
        .weigher((String k, CachedAnswer v) -> v.weight())
        .expireAfterWrite(ttl)
        .ticker(ticker)
        .executor(Runnable::run)
        .build();
  }

  public CachedAnswer get(String key) {
    return cache.getIfPresent(key);
  }

  /** Stores {@code answer} unless it alone is larger than an eighth of the bound (it would flush the cache). */
  public boolean put(String key, CachedAnswer answer) {
    if (answer.weight() > maxBytes / 8) {
      return false;
    }
    cache.put(key, answer);
    return true;
  }

  /** Bytes held now (after pending evictions ran). */
  public long weightedSize() {
    cache.cleanUp();
    return cache.policy().eviction().orElseThrow().weightedSize().orElse(0);
  }

  public long size() {
    cache.cleanUp();
    return cache.estimatedSize();
  }

  /** The largest answer the cache takes, in weight. */
  public long maxEntryWeight() {
    return maxBytes / 8;
  }
}
