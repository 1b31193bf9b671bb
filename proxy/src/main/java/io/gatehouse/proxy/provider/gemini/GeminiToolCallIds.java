package io.gatehouse.proxy.provider.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.UUID;

/**
 * OpenAI tool call ids for Gemini function calls, and the way back.
 *
 * <p>An id is Gemini's {@code functionCall.id} when it sends one, else {@code call_<responseId>_<n>}
 * ({@code n} counts the calls of one answer): unique per answer, and the same however a stream is
 * split. Gemini 3 models attach a {@code thoughtSignature} to function call parts and reject a
 * conversation whose function calls come back without it; OpenAI clients only echo the tool call id,
 * so the signature rides in the id after {@value #SIGNATURE_SEPARATOR} and is restored when the
 * assistant message returns. Stateless.
 */
final class GeminiToolCallIds {
  static final String SIGNATURE_SEPARATOR = "~sig~";

  private GeminiToolCallIds() {}

  /**
   * The OpenAI id for one {@code functionCall} part.
   *
   * @param part the Gemini part holding {@code functionCall} (and maybe {@code thoughtSignature})
   * @param responseId Gemini's {@code responseId}, or null
   * @param n the index of this call among the answer's calls
   */
  static String of(JsonNode part, String responseId, int n) {
    String id = part.path("functionCall").path("id").asText("");
    if (id.isEmpty()) {
      id = "call_" + (responseId == null || responseId.isEmpty()
          ? UUID.randomUUID().toString().replace("-", "") : responseId) + "_" + n;
    }
    String signature = part.path("thoughtSignature").asText("");
    return signature.isEmpty() ? id : id + SIGNATURE_SEPARATOR + signature;
  }

  /** The thought signature carried by an id made by {@link #of}, or null. */
  static String thoughtSignature(String id) {
    int at = id.indexOf(SIGNATURE_SEPARATOR);
    return at < 0 ? null : id.substring(at + SIGNATURE_SEPARATOR.length());
  }
}
