package io.gatehouse.proxy.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.proxy.provider.Usage;

/**
 * Token usage as Anthropic reports it. Each field is null when not reported (unknown is not zero).
 *
 * <p>Unlike OpenAI, Anthropic's {@code input_tokens} excludes cached tokens: the prompt is
 * {@code input_tokens + cache_read_input_tokens + cache_creation_input_tokens}.
 *
 * @param inputTokens uncached input tokens ({@code input_tokens})
 * @param outputTokens {@code output_tokens}
 * @param cacheReadTokens input tokens read from the prompt cache ({@code cache_read_input_tokens})
 * @param cacheWriteTokens input tokens written to the prompt cache ({@code cache_creation_input_tokens})
 */
public record AnthropicUsage(
    Long inputTokens, Long outputTokens, Long cacheReadTokens, Long cacheWriteTokens) {

  /** Reads an Anthropic {@code usage} object; null when absent. */
  public static AnthropicUsage of(JsonNode usage) {
    if (usage == null || !usage.isObject()) {
      return null;
    }
    return new AnthropicUsage(
        longOrNull(usage.get("input_tokens")),
        longOrNull(usage.get("output_tokens")),
        longOrNull(usage.get("cache_read_input_tokens")),
        longOrNull(usage.get("cache_creation_input_tokens")));
  }

  /** This usage with every field that {@code later} reports replaced (stream deltas are cumulative). */
  AnthropicUsage updatedBy(AnthropicUsage later) {
    if (later == null) {
      return this;
    }
    return new AnthropicUsage(
        later.inputTokens != null ? later.inputTokens : inputTokens,
        later.outputTokens != null ? later.outputTokens : outputTokens,
        later.cacheReadTokens != null ? later.cacheReadTokens : cacheReadTokens,
        later.cacheWriteTokens != null ? later.cacheWriteTokens : cacheWriteTokens);
  }

  /** The whole prompt, OpenAI's {@code prompt_tokens}: uncached + cache read + cache write; null if unknown. */
  public Long promptTokens() {
    if (inputTokens == null && cacheReadTokens == null && cacheWriteTokens == null) {
      return null;
    }
    return zeroIfNull(inputTokens) + zeroIfNull(cacheReadTokens) + zeroIfNull(cacheWriteTokens);
  }

  /**
   * The provider-neutral usage for events, on OpenAI's scale: input is the whole prompt and cached is
   * the cache read, the cache write kept apart.
   */
  public Usage toUsage() {
    return new Usage(promptTokens(), outputTokens, cacheReadTokens, null, cacheWriteTokens);
  }

  private static long zeroIfNull(Long n) {
    return n == null ? 0L : n;
  }

  static Long longOrNull(JsonNode n) {
    return n != null && n.isNumber() ? n.asLong() : null;
  }
}
