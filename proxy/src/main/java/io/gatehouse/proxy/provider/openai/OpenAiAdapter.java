package io.gatehouse.proxy.provider.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.provider.ChatAdapter;
import io.gatehouse.proxy.provider.ChatStream;
import io.gatehouse.proxy.transport.UpstreamRequest;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * OpenAI and openai-compatible providers: the request passes through with {@code model} replaced,
 * answers pass through untouched and are only read for the event. Providers that speak the same wire
 * format at other URLs or with another auth header (Azure OpenAI) override {@link #chatUri},
 * {@link #embeddingsUri} and {@link #authorize}. Thread-safe.
 */
public class OpenAiAdapter implements ChatAdapter {
  private final URI chatCompletions;
  private final URI embeddings;
  private final Map<String, String> headers;

  /**
   * @param baseUrl e.g. {@code https://api.openai.com/v1}, no trailing slash
   * @param headers extra headers from the configuration
   */
  public OpenAiAdapter(String baseUrl, Map<String, String> headers) {
    this.chatCompletions = URI.create(baseUrl + "/chat/completions");
    this.embeddings = URI.create(baseUrl + "/embeddings");
    this.headers = headers;
  }

  /** Where chat completions for {@code upstreamModel} go. */
  protected URI chatUri(String upstreamModel) {
    return chatCompletions;
  }

  /** Where embeddings for {@code upstreamModel} go. */
  protected URI embeddingsUri(String upstreamModel) {
    return embeddings;
  }

  /** Adds the provider key to upstream headers. */
  protected void authorize(Map<String, String> upstreamHeaders, String key) {
    upstreamHeaders.put("Authorization", "Bearer " + key);
  }

  @Override
  public Prepared prepare(ObjectNode request, String upstreamModel, boolean stream, String key) {
    return new Ready(new UpstreamRequest(chatUri(upstreamModel), headers(stream ? "text/event-stream" : "application/json", key),
        OpenAiChat.upstreamBody(request, upstreamModel, stream)));
  }

  @Override
  public UpstreamRequest prepareEmbeddings(byte[] body, String upstreamModel, String key) {
    return new UpstreamRequest(embeddingsUri(upstreamModel), headers("application/json", key), body);
  }

  private Map<String, String> headers(String accept, String key) {
    Map<String, String> h = new LinkedHashMap<>(headers);
    h.put("Accept", accept);
    h.put("User-Agent", "gatehouse-proxy");
    if (key != null) {
      authorize(h, key);
    }
    return h;
  }

  @Override
  public Answer answer(byte[] body, String upstreamModel) {
    OpenAiChat.Completion c = OpenAiChat.parseCompletion(body);
    return new Answer(body, c.model() == null ? upstreamModel : c.model(), c.finishReason(), c.text(), c.usage());
  }

  /**
   * OpenAI's {@code {"error": {...}}} passes through as is; the flat {@code {"object": "error",
   * "message": ...}} some compatible servers (older vLLM, some proxies) answer is rewrapped in OpenAI's
   * shape so the client's SDK finds the message.
   */
  @Override
  public ErrorAnswer error(int status, byte[] body) {
    String[] error = OpenAiChat.errorOf(body);
    if (error != null) {
      return new ErrorAnswer(status, body, error[1], error[0], error[2]);
    }
    OpenAiChat.FlatError flat = OpenAiChat.flatErrorOf(body);
    return flat == null ? null : new ErrorAnswer(status, flat.wrapped(), flat.type(), flat.message());
  }

  @Override
  public ChatStream stream(String upstreamModel, boolean clientWantsUsage) {
    return new OpenAiStreamTap(clientWantsUsage);
  }
}
