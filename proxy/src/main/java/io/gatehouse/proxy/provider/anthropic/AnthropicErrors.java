package io.gatehouse.proxy.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.provider.TranslatingAdapters;
import io.gatehouse.proxy.provider.TranslationException;

/**
 * Anthropic error bodies ({@code {"type":"error","error":{"type","message"}}}) ↔ OpenAI error bodies
 * ({@code {"error":{"message","type","param","code"}}}), and the status the client sees. Only shapes
 * here: whether to retry or fail over is the failure classifier's judgement, not this file's.
 *
 * <p>Anthropic error types and their statuses (API reference, "Errors"): 400 invalid_request_error
 * (also other 4xx), 401 authentication_error, 402 billing_error, 403 permission_error, 404
 * not_found_error, 413 request_too_large (from Cloudflare, may not be JSON), 429 rate_limit_error,
 * 500 api_error, 504 timeout_error, 529 overloaded_error. The list may grow: an unknown type maps by
 * status and keeps the Anthropic type as the OpenAI {@code code}.
 */
public final class AnthropicErrors {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** Anthropic's non-standard "overloaded" status. */
  public static final int OVERLOADED = 529;

  private AnthropicErrors() {}

  /** An OpenAI-shaped error for the client: the HTTP status to answer with and the body. */
  public record OpenAiError(int status, ObjectNode body) {}

  /**
   * The OpenAI error for an Anthropic error response.
   *
   * @param upstreamStatus Anthropic's HTTP status
   * @param anthropicBody the parsed body, or null / any JSON when it was not Anthropic-shaped (e.g. a
   *     413 HTML page from Cloudflare): the status alone then decides
   */
  public static OpenAiError toOpenAi(int upstreamStatus, JsonNode anthropicBody) {
    JsonNode error = anthropicBody == null ? null : anthropicBody.get("error");
    String type = error == null ? null : textOrNull(error.get("type"));
    String message = error == null ? null : textOrNull(error.get("message"));
    if (type == null) {
      type = anthropicType(upstreamStatus);
    }
    if (message == null) {
      message = "Anthropic returned HTTP " + upstreamStatus;
    }
    return new OpenAiError(clientStatus(upstreamStatus), openAiBody(type, message));
  }

  /**
   * The status for an OpenAI-speaking client. 529 becomes 503: it is not a registered status, some
   * HTTP stacks treat unknown 5xx oddly, and 503 means the same thing (temporarily unavailable; both
   * are retried by the OpenAI SDKs). Every other status passes through.
   */
  public static int clientStatus(int upstreamStatus) {
    return upstreamStatus == OVERLOADED ? 503 : upstreamStatus;
  }

  /** The OpenAI error body for an Anthropic error type and message (also used for stream errors). */
  public static ObjectNode openAiBody(String anthropicType, String message) {
    String type;
    String code;
    switch (anthropicType == null ? "" : anthropicType) {
      case "invalid_request_error" -> { type = "invalid_request_error"; code = null; }
      // OpenAI reports a bad key as invalid_request_error/invalid_api_key
      case "authentication_error" -> { type = "invalid_request_error"; code = "invalid_api_key"; }
      case "permission_error" -> { type = "invalid_request_error"; code = "permission_denied"; }
      case "not_found_error" -> { type = "invalid_request_error"; code = "not_found"; }
      case "request_too_large" -> { type = "invalid_request_error"; code = "request_too_large"; }
      // OpenAI's own quota error is insufficient_quota (type and code)
      case "billing_error" -> { type = "insufficient_quota"; code = "insufficient_quota"; }
      case "rate_limit_error" -> { type = "requests"; code = "rate_limit_exceeded"; }
      case "api_error" -> { type = "server_error"; code = null; }
      case "overloaded_error" -> { type = "server_error"; code = "overloaded"; }
      case "timeout_error" -> { type = "server_error"; code = "timeout"; }
      default -> { type = "server_error"; code = anthropicType; }
    }
    return TranslatingAdapters.openAiErrorBody(message, type, null, code);
  }

  /** The OpenAI 400 body for a request that does not translate; the client's status is 400. */
  public static ObjectNode openAiBody(TranslationException e) {
    return TranslatingAdapters.openAiErrorBody(e.getMessage(), "invalid_request_error", e.param(), null);
  }

  /**
   * The Anthropic error body for an OpenAI-shaped error, for clients speaking the Anthropic API.
   * The type follows the status (the OpenAI type set is looser than Anthropic's).
   */
  public static ObjectNode toAnthropic(int status, JsonNode openAiBody) {
    JsonNode error = openAiBody == null ? null : openAiBody.get("error");
    String message = error == null ? null : textOrNull(error.get("message"));
    ObjectNode out = NODES.objectNode();
    out.put("type", "error");
    out.putObject("error")
        .put("type", anthropicType(status))
        .put("message", message != null ? message : "upstream returned HTTP " + status);
    return out;
  }

  /**
   * The status Anthropic documents for an error type; for errors that arrive inside a 200 stream,
   * where no status was sent. Unknown types read as 500.
   */
  public static int anthropicStatus(String anthropicType) {
    return switch (anthropicType == null ? "" : anthropicType) {
      case "invalid_request_error" -> 400;
      case "authentication_error" -> 401;
      case "billing_error" -> 402;
      case "permission_error" -> 403;
      case "not_found_error" -> 404;
      case "request_too_large" -> 413;
      case "rate_limit_error" -> 429;
      case "timeout_error" -> 504;
      case "overloaded_error" -> OVERLOADED;
      default -> 500;
    };
  }

  /** The Anthropic error type that goes with a status (Anthropic's documented table). */
  public static String anthropicType(int status) {
    return switch (status) {
      case 401 -> "authentication_error";
      case 402 -> "billing_error";
      case 403 -> "permission_error";
      case 404 -> "not_found_error";
      case 413 -> "request_too_large";
      case 429 -> "rate_limit_error";
      case 503, OVERLOADED -> "overloaded_error";
      case 504 -> "timeout_error";
      default -> status >= 500 ? "api_error" : "invalid_request_error";
    };
  }

  private static String textOrNull(JsonNode n) {
    return n != null && n.isTextual() ? n.textValue() : null;
  }
}
