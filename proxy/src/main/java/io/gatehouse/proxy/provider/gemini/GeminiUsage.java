package io.gatehouse.proxy.provider.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.provider.Usage;

/**
 * Token usage as Gemini reports it ({@code usageMetadata}). Each field is null when not reported;
 * Gemini leaves out counts that are zero.
 *
 * <p>On OpenAI's scale: the prompt is {@code promptTokenCount} (which already includes
 * {@code cachedContentTokenCount}) plus {@code toolUsePromptTokenCount} (results of Gemini's own
 * tools, read as input); the completion is {@code candidatesTokenCount} plus
 * {@code thoughtsTokenCount}, since OpenAI counts reasoning tokens into the completion. The two then
 * add up to Gemini's {@code totalTokenCount}.
 */
record GeminiUsage(Long promptTokens, Long candidatesTokens, Long cachedTokens, Long thoughtsTokens,
    Long toolUsePromptTokens) {

  /** Reads a Gemini {@code usageMetadata} object; null when absent. */
  static GeminiUsage of(JsonNode usageMetadata) {
    if (usageMetadata == null || !usageMetadata.isObject()) {
      return null;
    }
    return new GeminiUsage(longOrNull(usageMetadata.get("promptTokenCount")),
        longOrNull(usageMetadata.get("candidatesTokenCount")),
        longOrNull(usageMetadata.get("cachedContentTokenCount")),
        longOrNull(usageMetadata.get("thoughtsTokenCount")),
        longOrNull(usageMetadata.get("toolUsePromptTokenCount")));
  }

  /** The provider-neutral usage for events, on OpenAI's scale (see the class comment). */
  Usage toUsage() {
    return new Usage(sum(promptTokens, toolUsePromptTokens), sum(candidatesTokens, thoughtsTokens), cachedTokens,
        thoughtsTokens);
  }

  /** OpenAI's {@code usage} object; counts Gemini left out are 0. */
  ObjectNode toOpenAi() {
    long prompt = zeroIfNull(sum(promptTokens, toolUsePromptTokens));
    long completion = zeroIfNull(sum(candidatesTokens, thoughtsTokens));
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.put("prompt_tokens", prompt);
    out.put("completion_tokens", completion);
    out.put("total_tokens", prompt + completion);
    out.putObject("prompt_tokens_details").put("cached_tokens", zeroIfNull(cachedTokens));
    out.putObject("completion_tokens_details").put("reasoning_tokens", zeroIfNull(thoughtsTokens));
    return out;
  }

  private static Long sum(Long a, Long b) {
    return a == null && b == null ? null : zeroIfNull(a) + zeroIfNull(b);
  }

  private static long zeroIfNull(Long n) {
    return n == null ? 0L : n;
  }

  private static Long longOrNull(JsonNode n) {
    return n != null && n.isNumber() ? n.asLong() : null;
  }
}
