package io.gatehouse.proxy.cache;

import io.gatehouse.proxy.provider.Usage;

/**
 * A complete, successful answer as the client received it: the OpenAI-shaped JSON body, or the SSE
 * stream's bytes as written ({@code data: …} events ending with {@code data: [DONE]}), replayed byte for
 * byte on a hit — same response {@code id} and {@code created} as the original (the per-request id is
 * {@code x-gatehouse-request-id}). What the original event recorded comes along for the hit's event.
 *
 * @param costUsd what the original call cost (null when its model had no price): a hit's saving
 */
public record CachedAnswer(byte[] body, CacheKey.Form form, String provider, String model, String finishReason,
    String completion, Usage usage, Double costUsd) {

  /** Bytes charged against {@code cache.max_bytes}: the body, the completion text and a fixed overhead. */
  public int weight() {
    long w = body.length + 2L * (completion == null ? 0 : completion.length()) + 256;
    return (int) Math.min(Integer.MAX_VALUE, w);
  }
}
