package io.gatehouse.proxy.pipeline;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requests whose model has no price: their cost is recorded as unknown (null), never as 0, and they
 * are counted here and logged once per provider and model with what to do about it. Thread-safe.
 */
public final class UnpricedModels {
  private static final Logger LOG = LoggerFactory.getLogger(UnpricedModels.class);
  /** Bound on the models remembered for the once-only warning (model names come from providers). */
  private static final int MAX_REMEMBERED = 1000;
  private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();
  private static final AtomicLong COUNT = new AtomicLong();

  private UnpricedModels() {}

  static void seen(String provider, String model) {
    COUNT.incrementAndGet();
    String key = provider + "/" + model;
    if (WARNED.size() < MAX_REMEMBERED && WARNED.add(key)) {
      LOG.warn("No price known for model '{}' from provider '{}': its requests are recorded with an unknown cost. "
          + "Add it to the price overrides in the config (prices: {{ \"{}\": {{ input: …, output: … }} }}, USD per 1M "
          + "tokens).", model, provider, key);
    }
  }

  /** Requests recorded with an unknown cost since start. */
  public static long count() {
    return COUNT.get();
  }
}
