package io.gatehouse.proxy.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.transport.UpstreamRequest;

/**
 * How one provider type speaks chat completions: the client always speaks OpenAI; the adapter builds
 * the upstream request and translates what comes back. No network I/O here (the forwarder owns the
 * exchange). One instance per configured provider; thread-safe. Stream translation state lives in the
 * per-request {@link ChatStream}.
 */
public interface ChatAdapter {

  /**
   * The upstream request for an OpenAI chat completions request, or why it cannot be sent. May mutate
   * {@code request}.
   *
   * @param key the provider key to send, or null for keyless providers
   */
  Prepared prepare(ObjectNode request, String upstreamModel, boolean stream, String key);

  /**
   * The client's answer to a 2xx non-streamed upstream body, or null when the body is unusable (not
   * the JSON the provider promises).
   *
   * @param upstreamModel the model the request was sent for (used when the answer names none)
   */
  Answer answer(byte[] body, String upstreamModel);

  /**
   * The OpenAI-shaped error for a non-2xx upstream answer, or null when the body is not understood
   * (the forwarder then wraps it in a generic upstream error).
   */
  ErrorAnswer error(int status, byte[] body);

  /**
   * The upstream request for an OpenAI embeddings request, or null when this provider type has no
   * embeddings API behind {@code /v1/embeddings}. The answer is relayed to the client as is.
   *
   * @param body the client's body with {@code model} already set to {@code upstreamModel}
   */
  default UpstreamRequest prepareEmbeddings(byte[] body, String upstreamModel, String key) {
    return null;
  }

  /** A fresh translator for one streamed answer. */
  ChatStream stream(String upstreamModel, boolean clientWantsUsage);

  /** Either a request to send or a caller fault, never both. */
  sealed interface Prepared permits Ready, Refused {}

  record Ready(UpstreamRequest request) implements Prepared {}

  /** The request cannot be expressed for this provider: answered 400 with {@code param}. */
  record Refused(String param, String message) implements Prepared {}

  /**
   * @param body the OpenAI {@code chat.completion} JSON for the client
   * @param model the model the provider says answered
   */
  record Answer(byte[] body, String model, String finishReason, String text, Usage usage) {}

  /**
   * @param status what the client gets
   * @param body OpenAI-shaped {@code {"error":{...}}}
   * @param type {@code error.type}, for the event's error class
   * @param code {@code error.code} when the provider gives one (e.g. {@code context_length_exceeded}),
   *     for the failure classifier; null otherwise
   */
  record ErrorAnswer(int status, byte[] body, String type, String message, String code) {
    public ErrorAnswer(int status, byte[] body, String type, String message) {
      this(status, body, type, message, null);
    }
  }
}
