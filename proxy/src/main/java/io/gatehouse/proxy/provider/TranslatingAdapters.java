package io.gatehouse.proxy.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.transport.UpstreamRequest;
import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the {@link ChatAdapter}s that translate to another provider's API (Anthropic, Gemini, …) do
 * alike around their translators: the upstream request (headers, JSON body), reading upstream JSON,
 * and the client's {@link ChatAdapter.Answer} / {@link ChatAdapter.ErrorAnswer} made from the
 * translated OpenAI JSON. The provider specifics (URL, key header, how the answer and errors
 * translate) stay in the adapters. Stateless and thread-safe.
 */
public final class TranslatingAdapters {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private TranslatingAdapters() {}

  /**
   * The upstream headers: the configured ones, then {@code Accept} for the kind of answer and
   * {@code User-Agent}; the caller adds its provider's (the transport sets content-type).
   */
  public static Map<String, String> headers(Map<String, String> configured, boolean stream) {
    Map<String, String> h = new LinkedHashMap<>(configured);
    h.put("Accept", stream ? "text/event-stream" : "application/json");
    h.put("User-Agent", "gatehouse-proxy");
    return h;
  }

  /** The upstream request to send: {@code body} serialised as JSON. */
  public static ChatAdapter.Ready ready(URI uri, Map<String, String> headers, ObjectNode body) {
    try {
      return new ChatAdapter.Ready(new UpstreamRequest(uri, headers, JSON.writeValueAsBytes(body)));
    } catch (IOException e) {
      throw new IllegalStateException("a built request must serialise", e);
    }
  }

  /**
   * The client's answer for a translated {@code chat.completion}: its first choice's finish reason and
   * text (when the content is a string) are what the event records.
   *
   * @param model the model the provider says answered
   * @param usage the provider's usage, or null when it reported none
   */
  public static ChatAdapter.Answer answer(ObjectNode completion, String model, Usage usage) {
    JsonNode choice = completion.path("choices").path(0);
    JsonNode content = choice.path("message").get("content");
    try {
      return new ChatAdapter.Answer(JSON.writeValueAsBytes(completion), model,
          choice.path("finish_reason").asText(null), content != null && content.isTextual() ? content.asText() : null,
          usage);
    } catch (IOException e) {
      throw new IllegalStateException("a built completion must serialise", e);
    }
  }

  /** The client's error answer for a translated OpenAI error {@code body}. */
  public static ChatAdapter.ErrorAnswer errorAnswer(int status, ObjectNode body, String type, String message) {
    try {
      return new ChatAdapter.ErrorAnswer(status, JSON.writeValueAsBytes(body), type, message);
    } catch (IOException x) {
      throw new IllegalStateException("a built error must serialise", x);
    }
  }

  /** An OpenAI error body, {@code {"error":{"message","type","param","code"}}}; param and code may be null. */
  public static ObjectNode openAiErrorBody(String message, String type, String param, String code) {
    ObjectNode out = NODES.objectNode();
    ObjectNode error = out.putObject("error");
    error.put("message", message);
    error.put("type", type);
    error.put("param", param);
    error.put("code", code);
    return out;
  }

  /** The JSON in {@code body}, or null when it is not JSON (an HTML error page, say). */
  public static JsonNode parse(byte[] body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }
}
