package io.gatehouse.proxy.provider.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.provider.ChatAdapter;
import io.gatehouse.proxy.provider.ChatStream;
import io.gatehouse.proxy.provider.TranslatingAdapters;
import io.gatehouse.proxy.provider.TranslationException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;

/**
 * Google's Gemini API behind the OpenAI chat completions endpoint: {@code POST
 * {base}/v1beta/models/{model}:generateContent}, or {@code :streamGenerateContent?alt=sse} for streams,
 * the key in the {@code x-goog-api-key} header. Requests are translated by {@link GeminiRequests},
 * answers by {@link GeminiResponses} / {@link GeminiStream}, errors by {@link GeminiErrors}; the request
 * and answer plumbing translating adapters share is in {@link TranslatingAdapters}. Gemini's embeddings
 * API is not served behind {@code /v1/embeddings}. Thread-safe.
 */
public final class GeminiAdapter implements ChatAdapter {
  /** The API version Gatehouse's translation is written against. */
  public static final String API_VERSION = "v1beta";

  private final String models;
  private final Map<String, String> headers;
  private final Clock clock;

  /**
   * @param baseUrl e.g. {@code https://generativelanguage.googleapis.com} (no {@code /v1beta}), no
   *     trailing slash
   * @param headers extra headers from the configuration
   */
  public GeminiAdapter(String baseUrl, Map<String, String> headers) {
    this(baseUrl, headers, Clock.systemUTC());
  }

  GeminiAdapter(String baseUrl, Map<String, String> headers, Clock clock) {
    this.models = baseUrl + "/" + API_VERSION + "/models/";
    this.headers = headers;
    this.clock = clock;
  }

  @Override
  public Prepared prepare(ObjectNode request, String upstreamModel, boolean stream, String key) {
    ObjectNode translated;
    try {
      translated = GeminiRequests.fromChatCompletion(request);
    } catch (TranslationException e) {
      return new Refused(e.param(), e.getMessage());
    }
    Map<String, String> h = TranslatingAdapters.headers(headers, stream);
    if (key != null) {
      h.put("x-goog-api-key", key);
    }
    return TranslatingAdapters.ready(uri(upstreamModel, stream), h, translated);
  }

  /** The method URL; the model is encoded so that a route can never alter the path. */
  private URI uri(String model, boolean stream) {
    String encoded = URLEncoder.encode(model, StandardCharsets.UTF_8).replace("+", "%20");
    return URI.create(models + encoded + (stream ? ":streamGenerateContent?alt=sse" : ":generateContent"));
  }

  @Override
  public Answer answer(byte[] body, String upstreamModel) {
    JsonNode response = TranslatingAdapters.parse(body);
    if (response == null || !response.isObject()
        || !(response.has("candidates") || GeminiResponses.isBlocked(response))) {
      return null;
    }
    ObjectNode completion = GeminiResponses.toChatCompletion(response, upstreamModel, clock.millis() / 1000);
    GeminiUsage usage = GeminiUsage.of(response.get("usageMetadata"));
    return TranslatingAdapters.answer(completion, completion.get("model").textValue(),
        usage == null ? null : usage.toUsage());
  }

  @Override
  public ErrorAnswer error(int status, byte[] body) {
    GeminiErrors.OpenAiError e = GeminiErrors.toOpenAi(status, TranslatingAdapters.parse(body));
    if (e == null) {
      return null;
    }
    return TranslatingAdapters.errorAnswer(e.status(), e.body(), e.type(), e.message());
  }

  @Override
  public ChatStream stream(String upstreamModel, boolean clientWantsUsage) {
    return new GeminiStream(new GeminiStreamTranslator(upstreamModel, clientWantsUsage, clock.millis() / 1000));
  }
}
