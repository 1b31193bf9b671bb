package io.gatehouse.proxy.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.provider.ChatAdapter;
import io.gatehouse.proxy.provider.ChatStream;
import io.gatehouse.proxy.provider.TranslationException;
import io.gatehouse.proxy.transport.UpstreamRequest;
import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Anthropic's Messages API behind the OpenAI chat completions endpoint: requests are translated by
 * {@link AnthropicRequests}, answers by {@link AnthropicResponses} / {@link AnthropicStream}, errors by
 * {@link AnthropicErrors}. Thread-safe.
 */
public final class AnthropicAdapter implements ChatAdapter {
  /** The API version Gatehouse's translation is written against. */
  public static final String API_VERSION = "2023-06-01";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI messages;
  private final Map<String, String> headers;

  /**
   * @param baseUrl e.g. {@code https://api.anthropic.com} (no {@code /v1}), no trailing slash
   * @param headers extra headers from the configuration
   */
  public AnthropicAdapter(String baseUrl, Map<String, String> headers) {
    this.messages = URI.create(baseUrl + "/v1/messages");
    this.headers = headers;
  }

  @Override
  public Prepared prepare(ObjectNode request, String upstreamModel, boolean stream, String key) {
    ObjectNode translated;
    try {
      translated = AnthropicRequests.fromChatCompletion(request, upstreamModel);
    } catch (TranslationException e) {
      return new Refused(e.param(), e.getMessage());
    }
    Map<String, String> h = new LinkedHashMap<>(headers);
    h.put("Accept", stream ? "text/event-stream" : "application/json");
    h.put("User-Agent", "gatehouse-proxy");
    h.put("anthropic-version", API_VERSION); // the transport sets content-type: application/json
    if (key != null) {
      h.put("x-api-key", key);
    }
    try {
      return new Ready(new UpstreamRequest(messages, h, JSON.writeValueAsBytes(translated)));
    } catch (IOException e) {
      throw new IllegalStateException("a built request must serialise", e);
    }
  }

  @Override
  public Answer answer(byte[] body, String upstreamModel) {
    JsonNode message = parse(body);
    if (message == null || !message.isObject() || !message.has("content")) {
      return null;
    }
    // the client learns which model answered, as OpenAI reports e.g. gpt-4o-mini-2024-07-18
    ObjectNode completion = AnthropicResponses.toChatCompletion(message, message.path("model").asText(upstreamModel));
    JsonNode choice = completion.path("choices").path(0);
    JsonNode content = choice.path("message").get("content");
    AnthropicUsage usage = AnthropicResponses.usage(message);
    try {
      return new Answer(JSON.writeValueAsBytes(completion), message.path("model").asText(upstreamModel),
          choice.path("finish_reason").asText(null), content != null && content.isTextual() ? content.asText() : null,
          usage == null ? null : usage.toUsage());
    } catch (IOException e) {
      throw new IllegalStateException("a built completion must serialise", e);
    }
  }

  @Override
  public ErrorAnswer error(int status, byte[] body) {
    JsonNode parsed = parse(body);
    if (parsed == null) {
      return null; // an HTML page or the like: the forwarder names the provider and quotes the page
    }
    AnthropicErrors.OpenAiError e = AnthropicErrors.toOpenAi(status, parsed);
    JsonNode error = e.body().path("error");
    try {
      return new ErrorAnswer(e.status(), JSON.writeValueAsBytes(e.body()), error.path("type").asText(null),
          error.path("message").asText(null));
    } catch (IOException x) {
      throw new IllegalStateException("a built error must serialise", x);
    }
  }

  @Override
  public ChatStream stream(String upstreamModel, boolean clientWantsUsage) {
    return new AnthropicStream(new AnthropicStreamTranslator(upstreamModel, clientWantsUsage));
  }

  /** The JSON in {@code body}, or null when it is not JSON (an HTML error page, say). */
  static JsonNode parse(byte[] body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }
}
