package io.gatehouse.proxy.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.proxy.failover.FailureClassifier;
import io.gatehouse.proxy.pipeline.CallRecord;
import io.gatehouse.proxy.provider.Provider;
import io.gatehouse.proxy.provider.anthropic.AnthropicErrors;
import io.gatehouse.proxy.provider.anthropic.AnthropicResponses;
import io.gatehouse.proxy.provider.anthropic.MessagesTap;
import io.undertow.server.HttpServerExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * One Anthropic Messages (or count_tokens) request forwarded as is and answered to the client.
 *
 * <ul>
 *   <li>Stream (2xx {@code text/event-stream}): every upstream piece is written and flushed to the
 *       client unchanged before the next is asked for; a {@link MessagesTap} reads a copy for the
 *       event. A stream that ends without {@code message_stop} (or breaks off) gets Anthropic's
 *       {@code event: error} frame, never a clean end, and is recorded as {@code stream_interrupted}.
 *   <li>Anything else: the body is collected and relayed with its status. An upstream error body that
 *       is not Anthropic-shaped JSON (an HTML page, say) becomes an Anthropic-shaped error.
 *   <li>No response: 502 / 504, Anthropic-shaped.
 * </ul>
 *
 * <p>Threading: as {@link ChatForwarder}, callbacks are re-posted to the exchange's IO thread.
 */
final class MessagesForwarder extends UpstreamExchange {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Upstream response headers an Anthropic client uses (request ids for support, rate-limit state). */
  private static final List<String> PASSED_HEADER_PREFIXES =
      List.of("request-id", "anthropic-ratelimit-", "retry-after", "anthropic-organization-id");
  static final String INTERRUPTED = "upstream stream interrupted";

  private final boolean streamRequested;
  private final boolean countTokens;

  private MessagesTap tap; // non-null once in stream mode
  private ClientStream clientStream;
  private ByteArrayOutputStream collected;

  MessagesForwarder(HttpServerExchange exchange, CallRecord record, Provider provider, String deployment,
      String upstreamModel, boolean streamRequested, boolean countTokens) {
    super(exchange, record, provider, deployment, upstreamModel, PASSED_HEADER_PREFIXES);
    this.streamRequested = streamRequested;
    this.countTokens = countTokens;
  }

  @Override
  protected void responseStarted(HttpHeaders headers) {
    if (streamRequested && upstreamStreams()) {
      tap = new MessagesTap();
      clientStream = startClientStream();
    } else {
      collected = new ByteArrayOutputStream();
    }
  }

  @Override
  protected boolean streaming() {
    return tap != null;
  }

  /** Anthropic-shaped: the error type follows from the status. */
  @Override
  protected String sendError(int clientStatus, String code, String message) {
    String type = AnthropicErrors.anthropicType(clientStatus);
    AnthropicApiErrors.send(exchange, clientStatus, type, message);
    return "internal_error".equals(code) ? OpenAiErrors.INTERNAL : type;
  }

  @Override
  protected void body(List<ByteBuffer> buffers, Demand demand) {
    if (tap == null) {
      if (collect(buffers, collected)) {
        demand.more();
      }
      return;
    }
    ByteBuffer forward = buffers.size() == 1 ? buffers.get(0) : join(buffers);
    tap.observe(forward);
    forward(clientStream, forward, demand);
  }

  private static ByteBuffer join(List<ByteBuffer> buffers) {
    int size = buffers.stream().mapToInt(ByteBuffer::remaining).sum();
    ByteBuffer joined = ByteBuffer.allocate(size);
    buffers.forEach(joined::put);
    return joined.flip();
  }

  @Override
  protected void complete() {
    record.upstreamEnded();
    if (tap != null) {
      recordPartial();
      if (tap.errorType() != null) {
        // the upstream reported the failure in-band itself: the client already has its error frame
        clientStream.end();
        finish(AnthropicErrors.anthropicStatus(tap.errorType()), tap.errorType(), tap.errorMessage(),
            FailureClassifier.TRANSIENT);
      } else if (!tap.stopped()) {
        streamBrokeOff("Provider '" + provider.name() + "' ended the stream before message_stop.",
            FailureClassifier.TRANSIENT);
      } else {
        clientStream.end();
        finish(status, null, null);
      }
      return;
    }
    byte[] body = collected.toByteArray();
    JsonNode json = parse(body);
    if (status >= 200 && status < 300) {
      if (json == null || !json.isObject()) {
        upstreamFailure(502, "upstream_invalid_response", "Provider '" + provider.name() + "' answered HTTP " + status
            + " with a body that is not JSON" + snippet(body), FailureClassifier.TRANSIENT);
        return;
      }
      relay(body);
      if (!countTokens) {
        MessagesTap summary = MessagesTap.ofMessage(json);
        record.event().model(summary.model() == null ? upstreamModel : summary.model())
            .finishReason(AnthropicResponses.finishReason(summary.stopReason())).completion(summary.text());
        record.usage(summary.usage());
      }
      finish(status, null, null);
      return;
    }
    JsonNode error = json == null ? null : json.get("error");
    if (json != null && json.path("type").asText("").equals("error") && error != null && error.isObject()) {
      relay(body);
      finish(status, error.path("type").asText(AnthropicErrors.anthropicType(status)),
          error.path("message").asText("Anthropic returned HTTP " + status));
    } else {
      // the page itself (HTML, say) goes to the event only: the client gets a clean JSON error
      String message = "Provider '" + provider.name() + "' answered HTTP " + status + " with a body that is not an "
          + "Anthropic error" + (contentType == null ? "." : " (" + contentType + ").");
      String type = AnthropicErrors.anthropicType(status);
      AnthropicApiErrors.send(exchange, status, type, message);
      finish(status, type, message + " Body" + snippet(body));
    }
  }

  private static JsonNode parse(byte[] body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  protected void recordPartial() {
    if (tap != null) {
      record.event().model(tap.model() == null ? upstreamModel : tap.model())
          .finishReason(AnthropicResponses.finishReason(tap.stopReason())).completion(tap.text());
      record.usage(tap.usage());
    }
  }

  /** Ends a started stream with Anthropic's in-band error frame and records it as interrupted. */
  @Override
  protected void streamBrokeOff(String message, String failureClass) {
    recordPartial();
    clientStream.write(AnthropicApiErrors.streamFrame(AnthropicApiErrors.API_ERROR, INTERRUPTED), clientStream::end,
        () -> { });
    finish(502, "stream_interrupted", message, failureClass);
  }
}
