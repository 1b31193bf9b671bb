package io.gatehouse.proxy.cache;

/**
 * Text → vector for the semantic cache. Implementations may block (they run on the cache's executor,
 * never on an IO thread) and must be thread-safe.
 */
public interface Embedder {
  int dimensions();

  float[] embed(String text);
}
