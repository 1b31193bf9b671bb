package io.gatehouse.proxy.provider.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.provider.ChatAdapter;
import io.gatehouse.proxy.provider.ChatStream;
import io.gatehouse.proxy.provider.TranslationException;
import io.gatehouse.proxy.transport.UpstreamRequest;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Google's Gemini API behind the OpenAI chat completions endpoint: {@code POST
 * {base}/v1beta/models/{model}:generateContent}, or {@code :streamGenerateContent?alt=sse} for streams,
 * the key in the {@code x-goog-api-key} header. Requests are translated by {@link GeminiRequests},
 * answers by {@link GeminiResponses} / {@link GeminiStream}, errors by {@link GeminiErrors}. Gemini's
 * embeddings API is not served behind {@code /v1/embeddings}. Thread-safe.
 */
public final class GeminiAdapter implements ChatAdapter {
  /** The API version Gatehouse's translation is written against. */
  public static final String API_VERSION = "v1beta";
  private static final ObjectMapper JSON = new ObjectMapper();

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
    Map<String, String> h = new LinkedHashMap<>(headers);
    h.put("Accept", stream ? "text/event-stream" : "application/json");
    h.put("User-Agent", "gatehouse-proxy"); // the transport sets content-type: application/json
    if (key != null) {
      h.put("x-goog-api-key", key);
    }
    try {
      return new Ready(new UpstreamRequest(uri(upstreamModel, stream), h, JSON.writeValueAsBytes(translated)));
    } catch (IOException e) {
      throw new IllegalStateException("a built request must serialise", e);
    }
  }

  /** The method URL; the model is encoded so that a route can never alter the path. */
  private URI uri(String model, boolean stream) {
    String encoded = URLEncoder.encode(model, StandardCharsets.UTF_8).replace("+", "%20");
    return URI.create(models + encoded + (stream ? ":streamGenerateContent?alt=sse" : ":generateContent"));
  }

  @Override
  public Answer answer(byte[] body, String upstreamModel) {
    JsonNode response = parse(body);
    if (response == null || !response.isObject()
        || !(response.has("candidates") || GeminiResponses.isBlocked(response))) {
      return null;
    }
    ObjectNode completion = GeminiResponses.toChatCompletion(response, upstreamModel, clock.millis() / 1000);
    JsonNode choice = completion.path("choices").path(0);
    JsonNode content = choice.path("message").get("content");
    GeminiUsage usage = GeminiUsage.of(response.get("usageMetadata"));
    try {
      return new Answer(JSON.writeValueAsBytes(completion), completion.get("model").textValue(),
          choice.path("finish_reason").asText(null), content != null && content.isTextual() ? content.asText() : null,
          usage == null ? null : usage.toUsage());
    } catch (IOException e) {
      throw new IllegalStateException("a built completion must serialise", e);
    }
  }

  @Override
  public ErrorAnswer error(int status, byte[] body) {
    GeminiErrors.OpenAiError e = GeminiErrors.toOpenAi(status, parse(body));
    if (e == null) {
      return null;
    }
    try {
      return new ErrorAnswer(e.status(), JSON.writeValueAsBytes(e.body()), e.type(), e.message());
    } catch (IOException x) {
      throw new IllegalStateException("a built error must serialise", x);
    }
  }

  @Override
  public ChatStream stream(String upstreamModel, boolean clientWantsUsage) {
    return new GeminiStream(new GeminiStreamTranslator(upstreamModel, clientWantsUsage, clock.millis() / 1000));
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
