package io.gatehouse.proxy.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.proxy.failover.FailureClassifier;
import io.gatehouse.proxy.pipeline.CallRecord;
import io.gatehouse.proxy.provider.Provider;
import io.gatehouse.proxy.provider.anthropic.AnthropicErrors;
import io.gatehouse.proxy.provider.anthropic.AnthropicResponses;
import io.gatehouse.proxy.provider.anthropic.MessagesTap;
import io.gatehouse.proxy.transport.UpstreamClient;
import io.gatehouse.proxy.transport.UpstreamListener;
import io.gatehouse.proxy.transport.UpstreamRequest;
import io.gatehouse.schemas.GatehouseEvent;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xnio.XnioIoThread;

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
final class MessagesForwarder implements UpstreamListener {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MessagesForwarder.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Upstream response headers an Anthropic client uses (request ids for support, rate-limit state). */
  private static final List<String> PASSED_HEADER_PREFIXES =
      List.of("request-id", "anthropic-ratelimit-", "retry-after", "anthropic-organization-id");
  private static final HttpString PROVIDER_HEADER = HttpString.tryFromString("x-gatehouse-provider");
  static final String INTERRUPTED = "upstream stream interrupted";

  private final HttpServerExchange exchange;
  private final XnioIoThread ioThread;
  private final CallRecord record;
  private final Provider provider;
  private final String deployment;
  private final String upstreamModel;
  private final boolean streamRequested;
  private final boolean countTokens;

  private int status;
  private String contentType;
  private MessagesTap tap; // non-null once in stream mode
  private ClientStream clientStream;
  private ByteArrayOutputStream collected;
  private UpstreamClient.Cancellable inFlight;
  private boolean done;

  MessagesForwarder(HttpServerExchange exchange, CallRecord record, Provider provider, String deployment,
      String upstreamModel, boolean streamRequested, boolean countTokens) {
    this.exchange = exchange;
    this.ioThread = exchange.getIoThread();
    this.record = record;
    this.provider = provider;
    this.deployment = deployment;
    this.upstreamModel = upstreamModel;
    this.streamRequested = streamRequested;
    this.countTokens = countTokens;
  }

  /** Sends the request upstream. Call on the IO thread with the exchange dispatched. */
  void start(UpstreamClient client, UpstreamRequest request) {
    exchange.getResponseHeaders().put(PROVIDER_HEADER, provider.name());
    record.event().model(upstreamModel);
    record.upstreamStarted();
    inFlight = client.post(request, this);
  }

  // ------------------------------------------------------------ transport threads: re-post only

  @Override
  public void onResponse(int status, HttpHeaders headers) {
    ioThread.execute(() -> guarded(() -> response(status, headers)));
  }

  @Override
  public void onBody(List<ByteBuffer> buffers, Demand demand) {
    ioThread.execute(() -> guarded(() -> body(buffers, demand)));
  }

  @Override
  public void onComplete() {
    ioThread.execute(() -> guarded(this::complete));
  }

  @Override
  public void onError(Throwable error, boolean afterResponse) {
    ioThread.execute(() -> guarded(() -> failed(error)));
  }

  // ------------------------------------------------------------ IO thread

  private void guarded(Runnable step) {
    if (done) {
      return;
    }
    try {
      step.run();
    } catch (RuntimeException e) {
      LOG.error("Request {} failed inside the proxy", record.eventId(), e);
      cancelUpstream();
      String message = "Gatehouse failed while proxying this request (request id " + record.eventId() + ").";
      if (!exchange.isResponseStarted()) {
        AnthropicApiErrors.send(exchange, 500, AnthropicApiErrors.API_ERROR, message);
      } else {
        exchange.endExchange();
      }
      finish(500, OpenAiErrors.INTERNAL, message + " " + e, FailureClassifier.ofStatus(status));
    }
  }

  private void response(int status, HttpHeaders headers) {
    this.status = status;
    this.contentType = headers.firstValue("content-type").orElse(null);
    HeaderMap out = exchange.getResponseHeaders();
    for (Map.Entry<String, List<String>> h : headers.map().entrySet()) {
      String name = h.getKey().toLowerCase(Locale.ROOT);
      for (String prefix : PASSED_HEADER_PREFIXES) {
        if (name.startsWith(prefix)) {
          out.putAll(HttpString.tryFromString(h.getKey()), h.getValue());
          break;
        }
      }
    }
    if (streamRequested && status >= 200 && status < 300 && contentType != null
        && contentType.toLowerCase(Locale.ROOT).startsWith("text/event-stream")) {
      tap = new MessagesTap();
      exchange.setStatusCode(status);
      out.put(Headers.CONTENT_TYPE, contentType);
      out.put(Headers.CACHE_CONTROL, "no-cache");
      out.put(HttpString.tryFromString("X-Accel-Buffering"), "no");
      clientStream = new ClientStream(exchange);
    } else {
      collected = new ByteArrayOutputStream();
    }
  }

  private void body(List<ByteBuffer> buffers, Demand demand) {
    if (tap == null) {
      for (ByteBuffer b : buffers) {
        if (collected.size() + b.remaining() > ChatForwarder.MAX_BUFFERED_BODY) {
          cancelUpstream();
          upstreamFailure(502, "Provider '" + provider.name() + "' sent a response larger than "
              + (ChatForwarder.MAX_BUFFERED_BODY >> 20) + " MB; Gatehouse refused it.", FailureClassifier.TRANSIENT);
          return;
        }
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        collected.write(bytes, 0, bytes.length);
      }
      demand.more();
      return;
    }
    ByteBuffer forward = buffers.size() == 1 ? buffers.get(0) : join(buffers);
    tap.observe(forward);
    if (!forward.hasRemaining()) {
      demand.more();
      return;
    }
    clientStream.write(forward, () -> {
      record.firstByteSent();
      demand.more();
    }, this::clientGone);
  }

  private static ByteBuffer join(List<ByteBuffer> buffers) {
    int size = buffers.stream().mapToInt(ByteBuffer::remaining).sum();
    ByteBuffer joined = ByteBuffer.allocate(size);
    buffers.forEach(joined::put);
    return joined.flip();
  }

  private void complete() {
    record.upstreamEnded();
    if (tap != null) {
      recordTap();
      if (tap.errorType() != null) {
        // the upstream reported the failure in-band itself: the client already has its error frame
        clientStream.end();
        finish(AnthropicErrors.anthropicStatus(tap.errorType()), tap.errorType(), tap.errorMessage(),
            FailureClassifier.TRANSIENT);
      } else if (!tap.stopped()) {
        interrupted("Provider '" + provider.name() + "' ended the stream before message_stop.",
            FailureClassifier.TRANSIENT);
      } else {
        clientStream.end();
        finish(status, null, null, FailureClassifier.ofStatus(status));
      }
      return;
    }
    byte[] body = collected.toByteArray();
    JsonNode json = parse(body);
    if (status >= 200 && status < 300) {
      if (json == null || !json.isObject()) {
        upstreamFailure(502, "Provider '" + provider.name() + "' answered HTTP " + status
            + " with a body that is not JSON" + ChatForwarder.snippet(body), FailureClassifier.TRANSIENT);
        return;
      }
      relay(status, body);
      if (!countTokens) {
        MessagesTap summary = MessagesTap.ofMessage(json);
        record.event().model(summary.model() == null ? upstreamModel : summary.model())
            .finishReason(AnthropicResponses.finishReason(summary.stopReason())).completion(summary.text());
        record.usage(summary.usage());
      }
      finish(status, null, null, FailureClassifier.ofStatus(status));
      return;
    }
    JsonNode error = json == null ? null : json.get("error");
    if (json != null && json.path("type").asText("").equals("error") && error != null && error.isObject()) {
      relay(status, body);
      finish(status, error.path("type").asText(AnthropicErrors.anthropicType(status)),
          error.path("message").asText("Anthropic returned HTTP " + status), FailureClassifier.ofStatus(status));
    } else {
      // the page itself (HTML, say) goes to the event only: the client gets a clean JSON error
      String message = "Provider '" + provider.name() + "' answered HTTP " + status + " with a body that is not an "
          + "Anthropic error" + (contentType == null ? "." : " (" + contentType + ").");
      String type = AnthropicErrors.anthropicType(status);
      AnthropicApiErrors.send(exchange, status, type, message);
      finish(status, type, message + " Body" + ChatForwarder.snippet(body), FailureClassifier.ofStatus(status));
    }
  }

  /** Relays an upstream body unchanged, with its content type. */
  private void relay(int status, byte[] body) {
    exchange.setStatusCode(status);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, contentType == null ? "application/json" : contentType);
    exchange.getResponseSender().send(ByteBuffer.wrap(body));
  }

  private static JsonNode parse(byte[] body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }

  private void recordTap() {
    record.event().model(tap.model() == null ? upstreamModel : tap.model())
        .finishReason(AnthropicResponses.finishReason(tap.stopReason())).completion(tap.text());
    record.usage(tap.usage());
  }

  /** Ends a started stream with Anthropic's in-band error frame and records it as interrupted. */
  private void interrupted(String message, String failureClass) {
    clientStream.write(AnthropicApiErrors.streamFrame(AnthropicApiErrors.API_ERROR, INTERRUPTED), clientStream::end,
        () -> { });
    finish(502, "stream_interrupted", message, failureClass);
  }

  private void failed(Throwable error) {
    record.upstreamEnded();
    String failureClass = FailureClassifier.ofThrowable(error);
    String reason = ChatForwarder.reason(error, failureClass);
    if (tap != null) {
      recordTap();
      interrupted("The stream from provider '" + provider.name() + "' broke off: " + reason, failureClass);
      return;
    }
    if (FailureClassifier.TIMEOUT.equals(failureClass)) {
      upstreamFailure(504, "Provider '" + provider.name() + "' at " + provider.baseUrl() + " did not answer within "
          + UpstreamClient.RESPONSE_TIMEOUT.toSeconds() + " s.", failureClass);
    } else if (FailureClassifier.UNREACHABLE.equals(failureClass)) {
      upstreamFailure(502, "Could not connect to provider '" + provider.name() + "' at " + provider.baseUrl() + " ("
          + reason + "). Check that it is running and that its base_url is right.", failureClass);
    } else {
      upstreamFailure(502, "The connection to provider '" + provider.name() + "' at " + provider.baseUrl()
          + " failed: " + reason, failureClass);
    }
  }

  /** Answers an upstream problem Gatehouse detected itself (no usable upstream answer). */
  private void upstreamFailure(int clientStatus, String message, String failureClass) {
    record.upstreamEnded();
    String type = AnthropicErrors.anthropicType(clientStatus);
    if (!exchange.isResponseStarted()) {
      AnthropicApiErrors.send(exchange, clientStatus, type, message);
    } else {
      exchange.endExchange();
    }
    finish(clientStatus, type, message, failureClass);
  }

  private void clientGone() {
    cancelUpstream();
    if (tap != null) {
      recordTap();
    }
    finish(499, "client_disconnected", "The client closed the connection before the answer was complete.", null);
  }

  private void cancelUpstream() {
    if (inFlight != null) {
      inFlight.cancel();
    }
  }

  /** Publishes the event once; {@code eventStatus} is what the request amounts to for the client. */
  private void finish(int eventStatus, String errorClass, String errorMessage, String failureClass) {
    if (done) {
      return;
    }
    done = true;
    if (errorClass != null) {
      record.event().errorClass(errorClass).errorMessage(errorMessage);
    }
    record.finish(eventStatus, new GatehouseEvent.Attempt(provider.name(), deployment, upstreamModel,
        status == 0 ? eventStatus : status, failureClass, record.upstreamMillis()));
  }
}
