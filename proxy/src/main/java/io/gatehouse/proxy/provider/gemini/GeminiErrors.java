package io.gatehouse.proxy.provider.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.provider.TranslatingAdapters;

/**
 * Gemini error bodies ({@code {"error":{"code","message","status","details"}}}, Google's
 * {@code google.rpc.Status}) → OpenAI error bodies ({@code {"error":{"message","type","param","code"}}})
 * and the status the client sees. Gemini's message is kept; its {@code status} becomes the OpenAI
 * {@code code}. Only shapes here: whether to retry or fail over is the failure classifier's judgement.
 *
 * <p>Status → type: INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE → 400
 * {@code invalid_request_error}; UNAUTHENTICATED → 401 {@code authentication_error} (so is a 400 whose
 * details give the reason {@code API_KEY_INVALID}: Gemini answers a wrong key that way, and the client
 * must see a key problem); PERMISSION_DENIED → 403 {@code permission_error}; NOT_FOUND → 404
 * {@code not_found_error}; RESOURCE_EXHAUSTED → 429 {@code rate_limit_error}; DEADLINE_EXCEEDED → 504
 * {@code timeout_error}; INTERNAL, UNAVAILABLE and anything else → {@code api_error} with Gemini's
 * status (500, 503, ...).
 */
final class GeminiErrors {
  private GeminiErrors() {}

  /** An OpenAI-shaped error: the status to answer with, the body, and its type and message. */
  record OpenAiError(int status, ObjectNode body, String type, String message) {}

  /**
   * The OpenAI error for a Gemini error body, or null when {@code geminiBody} has no Gemini
   * {@code error} object.
   *
   * @param httpStatus Gemini's HTTP status, or 0 for an error inside a stream (its {@code code} then
   *     stands in)
   */
  static OpenAiError toOpenAi(int httpStatus, JsonNode geminiBody) {
    JsonNode error = geminiBody == null ? null : geminiBody.get("error");
    if (error == null || !error.isObject()) {
      return null;
    }
    int status = httpStatus > 0 ? httpStatus : error.path("code").asInt(500);
    String rpcStatus = error.path("status").asText("");
    String message = error.path("message").asText("");
    if (message.isEmpty()) {
      message = "Gemini returned " + (rpcStatus.isEmpty() ? "HTTP " + status : rpcStatus);
    }
    String type;
    if (isInvalidKey(error)) {
      status = 401;
      type = "authentication_error";
    } else {
      type = switch (rpcStatus) {
        case "INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE" -> "invalid_request_error";
        case "UNAUTHENTICATED" -> "authentication_error";
        case "PERMISSION_DENIED" -> "permission_error";
        case "NOT_FOUND" -> "not_found_error";
        case "RESOURCE_EXHAUSTED" -> "rate_limit_error";
        case "DEADLINE_EXCEEDED" -> "timeout_error";
        case "" -> typeOfStatus(status);
        default -> "api_error";
      };
    }
    return of(status, type, rpcStatus.isEmpty() ? null : rpcStatus, message);
  }

  /** An OpenAI error with the given parts; {@code code} may be null. */
  static OpenAiError of(int status, String type, String code, String message) {
    return new OpenAiError(status, TranslatingAdapters.openAiErrorBody(message, type, null, code), type, message);
  }

  private static boolean isInvalidKey(JsonNode error) {
    for (JsonNode detail : error.path("details")) {
      if ("API_KEY_INVALID".equals(detail.path("reason").asText(null))) {
        return true;
      }
    }
    return false;
  }

  private static String typeOfStatus(int status) {
    return switch (status) {
      case 401 -> "authentication_error";
      case 403 -> "permission_error";
      case 404 -> "not_found_error";
      case 429 -> "rate_limit_error";
      case 504 -> "timeout_error";
      default -> status >= 500 ? "api_error" : "invalid_request_error";
    };
  }
}
