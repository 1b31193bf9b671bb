package io.gatehouse.proxy.provider;

/**
 * Token usage as reported by the provider, on OpenAI's scale: {@code inputTokens} is the whole prompt,
 * cached tokens included. Each field is null when the provider did not report it (unknown is different
 * from zero).
 *
 * @param cachedInputTokens prompt tokens read from the provider's prompt cache
 * @param cacheWriteTokens prompt tokens written to the provider's prompt cache (Anthropic reports them)
 */
public record Usage(Long inputTokens, Long outputTokens, Long cachedInputTokens, Long reasoningTokens,
    Long cacheWriteTokens) {

  /** Usage of a provider that reports no cache writes (OpenAI). */
  public Usage(Long inputTokens, Long outputTokens, Long cachedInputTokens, Long reasoningTokens) {
    this(inputTokens, outputTokens, cachedInputTokens, reasoningTokens, null);
  }
}
