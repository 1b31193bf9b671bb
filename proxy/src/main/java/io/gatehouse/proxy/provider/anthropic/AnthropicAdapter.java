package io.gatehouse.proxy.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.provider.ChatAdapter;
import io.gatehouse.proxy.provider.ChatStream;
import io.gatehouse.proxy.provider.TranslatingAdapters;
import io.gatehouse.proxy.provider.TranslationException;
import java.net.URI;
import java.util.Map;

/**
 * Anthropic's Messages API behind the OpenAI chat completions endpoint: requests are translated by
 * {@link AnthropicRequests}, answers by {@link AnthropicResponses} / {@link AnthropicStream}, errors by
 * {@link AnthropicErrors}; the request and answer plumbing translating adapters share is in
 * {@link TranslatingAdapters}. Thread-safe.
 */
public final class AnthropicAdapter implements ChatAdapter {
  /** The API version Gatehouse's translation is written against. */
  public static final String API_VERSION = "2023-06-01";

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
    Map<String, String> h = TranslatingAdapters.headers(headers, stream);
    h.put("anthropic-version", API_VERSION);
    if (key != null) {
      h.put("x-api-key", key);
    }
    return TranslatingAdapters.ready(messages, h, translated);
  }

  @Override
  public Answer answer(byte[] body, String upstreamModel) {
    JsonNode message = TranslatingAdapters.parse(body);
    if (message == null || !message.isObject() || !message.has("content")) {
      return null;
    }
    // the client learns which model answered, as OpenAI reports e.g. gpt-4o-mini-2024-07-18
    String model = message.path("model").asText(upstreamModel);
    AnthropicUsage usage = AnthropicResponses.usage(message);
    return TranslatingAdapters.answer(AnthropicResponses.toChatCompletion(message, model), model,
        usage == null ? null : usage.toUsage());
  }

  @Override
  public ErrorAnswer error(int status, byte[] body) {
    JsonNode parsed = TranslatingAdapters.parse(body);
    if (parsed == null) {
      return null; // an HTML page or the like: the forwarder names the provider and quotes the page
    }
    AnthropicErrors.OpenAiError e = AnthropicErrors.toOpenAi(status, parsed);
    JsonNode error = e.body().path("error");
    return TranslatingAdapters.errorAnswer(e.status(), e.body(), error.path("type").asText(null),
        error.path("message").asText(null));
  }

  @Override
  public ChatStream stream(String upstreamModel, boolean clientWantsUsage) {
    return new AnthropicStream(new AnthropicStreamTranslator(upstreamModel, clientWantsUsage));
  }
}
