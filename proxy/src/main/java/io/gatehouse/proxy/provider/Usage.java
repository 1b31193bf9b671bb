package io.gatehouse.proxy.provider;

/**
 * Token usage as reported by the provider. Each field is null when the provider did not report it
 * (unknown is different from zero).
 */
public record Usage(Long inputTokens, Long outputTokens, Long cachedInputTokens, Long reasoningTokens) {}
