package io.gatehouse.proxy.http;

import io.gatehouse.proxy.failover.FailureClassifier;
import io.gatehouse.proxy.pipeline.CallRecord;
import io.gatehouse.proxy.provider.ChatAdapter;
import io.gatehouse.proxy.provider.ChatStream;
import io.gatehouse.proxy.provider.Provider;
import io.gatehouse.proxy.transport.UpstreamClient;
import io.gatehouse.proxy.transport.UpstreamListener;
import io.gatehouse.proxy.transport.UpstreamRequest;
import io.gatehouse.schemas.GatehouseEvent;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xnio.XnioIoThread;

/**
 * One chat completion forwarded upstream and answered to the client.
 *
 * <ul>
 *   <li>Stream (2xx {@code text/event-stream}): every upstream piece goes through the provider's
 *       {@link ChatStream} and what it returns is written and flushed to the client before the next
 *       piece is asked for (back-pressure instead of buffering).
 *   <li>Anything else (JSON answers, upstream errors): the body is collected, translated by the
 *       provider's {@link ChatAdapter}, then sent. An upstream error it does not understand (say, a
 *       non-JSON page) becomes OpenAI-shaped JSON.
 *   <li>No response at all: 502 (unreachable) or 504 (timeout), OpenAI-shaped.
 * </ul>
 *
 * <p>Threading: transport callbacks arrive on the transport's threads and are re-posted to the
 * exchange's IO thread, in order; all state below is touched only there.
 */
final class ChatForwarder implements UpstreamListener {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ChatForwarder.class);
  /** Bound on a collected (non-streamed) upstream body. */
  static final int MAX_BUFFERED_BODY = 32 << 20;
  /** Upstream response headers worth passing on to the client. */
  static final List<String> PASSED_HEADER_PREFIXES =
      List.of("x-ratelimit-", "retry-after", "openai-processing-ms", "openai-version", "x-request-id");
  private static final HttpString PROVIDER_HEADER = HttpString.tryFromString("x-gatehouse-provider");

  private final HttpServerExchange exchange;
  private final XnioIoThread ioThread;
  private final CallRecord record;
  private final Provider provider;
  private final String deployment;
  private final String upstreamModel;
  private final boolean streamRequested;
  private final boolean clientWantsUsage;

  private int status;
  private String contentType;
  private ChatStream tap; // non-null once in stream mode
  private ClientStream clientStream;
  private ByteArrayOutputStream collected;
  private UpstreamClient.Cancellable inFlight;
  private boolean done;

  ChatForwarder(HttpServerExchange exchange, CallRecord record, Provider provider, String deployment,
      String upstreamModel, boolean streamRequested, boolean clientWantsUsage) {
    this.exchange = exchange;
    this.ioThread = exchange.getIoThread();
    this.record = record;
    this.provider = provider;
    this.deployment = deployment;
    this.upstreamModel = upstreamModel;
    this.streamRequested = streamRequested;
    this.clientWantsUsage = clientWantsUsage;
  }

  /** Sends the request upstream. Call on the IO thread with the exchange dispatched. */
  void start(UpstreamClient client, UpstreamRequest request) {
    exchange.getResponseHeaders().put(PROVIDER_HEADER, provider.name());
    record.event().model(upstreamModel); // replaced by the model the upstream names in its answer
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
      // a bug: answer (if still possible) and record it rather than leaving the client hanging
      LOG.error("Request {} failed inside the proxy", record.eventId(), e);
      cancelUpstream();
      String message = "Gatehouse failed while proxying this request (request id " + record.eventId() + ").";
      if (!exchange.isResponseStarted()) {
        OpenAiErrors.send(exchange, 500, message, OpenAiErrors.INTERNAL, null, "internal_error");
      } else {
        exchange.endExchange();
      }
      finish(500, OpenAiErrors.INTERNAL, message + " " + e);
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
    boolean eventStream = contentType != null
        && contentType.toLowerCase(Locale.ROOT).startsWith("text/event-stream");
    if (streamRequested && status >= 200 && status < 300 && eventStream) {
      tap = provider.adapter().stream(upstreamModel, clientWantsUsage);
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
        if (collected.size() + b.remaining() > MAX_BUFFERED_BODY) {
          cancelUpstream();
          upstreamFailure(502, "upstream_response_too_large", "Provider '" + provider.name()
              + "' sent a response larger than " + (MAX_BUFFERED_BODY >> 20) + " MB; Gatehouse refused it.",
              FailureClassifier.TRANSIENT);
          return;
        }
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        collected.write(bytes, 0, bytes.length);
      }
      demand.more();
      return;
    }
    ByteBuffer forward;
    if (buffers.size() == 1) {
      forward = tap.feed(buffers.get(0));
    } else {
      ByteArrayOutputStream joined = new ByteArrayOutputStream();
      for (ByteBuffer b : buffers) {
        ByteBuffer part = tap.feed(b);
        joined.write(part.array(), part.arrayOffset() + part.position(), part.remaining());
      }
      forward = ByteBuffer.wrap(joined.toByteArray());
    }
    if (!forward.hasRemaining()) {
      demand.more();
      return;
    }
    clientStream.write(forward, () -> {
      record.firstByteSent();
      demand.more();
    }, this::clientGone);
  }

  private void complete() {
    record.upstreamEnded();
    if (tap != null) {
      ByteBuffer rest = tap.remainder();
      if (rest.hasRemaining()) {
        clientStream.write(rest, this::endStream, this::clientGone);
      } else {
        endStream();
      }
      return;
    }
    byte[] body = collected.toByteArray();
    ChatAdapter adapter = provider.adapter();
    if (status >= 200 && status < 300) {
      ChatAdapter.Answer answer = adapter.answer(body, upstreamModel);
      if (answer == null) {
        upstreamFailure(502, "upstream_invalid_response", "Provider '" + provider.name() + "' answered HTTP " + status
            + " with a body that is not a valid " + provider.type().yamlName() + " answer" + snippet(body),
            FailureClassifier.TRANSIENT);
        return;
      }
      exchange.setStatusCode(status);
      exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
      exchange.getResponseSender().send(ByteBuffer.wrap(answer.body()));
      record.event().model(answer.model()).finishReason(answer.finishReason()).completion(answer.text());
      record.usage(answer.usage());
      finish(status, null, null);
      return;
    }
    ChatAdapter.ErrorAnswer error = adapter.error(status, body);
    if (error != null) {
      OpenAiErrors.sendBody(exchange, error.status(), error.body());
      finish(error.status(), error.type() == null ? OpenAiErrors.UPSTREAM : error.type(), error.message());
    } else {
      String message = "Provider '" + provider.name() + "' answered HTTP " + status + " with a non-JSON body"
          + (contentType == null ? "" : " (" + contentType + ")") + snippet(body);
      OpenAiErrors.send(exchange, status, message, OpenAiErrors.UPSTREAM, null, "upstream_error");
      finish(status, OpenAiErrors.UPSTREAM, message);
    }
  }

  /** {@code ": <first 200 bytes>"} of a body for a message, or {@code "."} when it is empty. */
  static String snippet(byte[] body) {
    String snippet = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8).strip();
    return snippet.isEmpty() ? "." : ": " + snippet;
  }

  private void endStream() {
    record.event().model(tap.model() == null ? upstreamModel : tap.model()).finishReason(tap.finishReason())
        .completion(tap.completion());
    record.usage(tap.usage());
    if (tap.errorMessage() != null) {
      clientStream.end();
      finish(502, tap.errorType() == null ? OpenAiErrors.UPSTREAM : tap.errorType(), tap.errorMessage(),
          FailureClassifier.TRANSIENT);
    } else if (!tap.done() && tap.finishReason() == null) {
      String message = "Provider '" + provider.name()
          + "' ended the stream before the answer was complete (no finish_reason, no [DONE]).";
      streamError(message);
      finish(502, "stream_interrupted", message, FailureClassifier.TRANSIENT);
    } else {
      clientStream.end();
      finish(status, null, null);
    }
  }

  /** Tells the client in-band that the stream broke, the way OpenAI reports errors mid-stream, and ends it. */
  private void streamError(String message) {
    byte[] event = ("data: " + new String(OpenAiErrors.body(message, OpenAiErrors.UPSTREAM, null,
        "stream_interrupted"), StandardCharsets.UTF_8) + "\n\n").getBytes(StandardCharsets.UTF_8);
    clientStream.write(ByteBuffer.wrap(event), clientStream::end, () -> { });
  }

  private void failed(Throwable error) {
    record.upstreamEnded();
    String failureClass = FailureClassifier.ofThrowable(error);
    String reason = reason(error, failureClass);
    if (tap != null) {
      // headers are out: tell the client in-band, the way OpenAI reports errors mid-stream
      String message = "The stream from provider '" + provider.name() + "' broke off: " + reason;
      record.event().model(tap.model() == null ? upstreamModel : tap.model()).completion(tap.completion());
      record.usage(tap.usage());
      streamError(message);
      finish(502, "stream_interrupted", message, failureClass);
      return;
    }
    if (FailureClassifier.TIMEOUT.equals(failureClass)) {
      upstreamFailure(504, "upstream_timeout", "Provider '" + provider.name() + "' at " + provider.baseUrl()
          + " did not answer within " + UpstreamClient.RESPONSE_TIMEOUT.toSeconds() + " s.", failureClass);
    } else if (FailureClassifier.UNREACHABLE.equals(failureClass)) {
      upstreamFailure(502, "upstream_unreachable", "Could not connect to provider '" + provider.name() + "' at "
          + provider.baseUrl() + " (" + reason + "). Check that it is running and that its base_url is right.",
          failureClass);
    } else {
      upstreamFailure(502, "upstream_error", "The connection to provider '" + provider.name() + "' at "
          + provider.baseUrl() + " failed: " + reason, failureClass);
    }
  }

  /** A short, human reason for a transport failure (JDK messages are often null or class names). */
  static String reason(Throwable error, String failureClass) {
    if (FailureClassifier.UNREACHABLE.equals(failureClass)) {
      for (Throwable c = error; c != null; c = c.getCause()) {
        if (c instanceof java.net.http.HttpConnectTimeoutException) {
          return "connect timed out after " + UpstreamClient.CONNECT_TIMEOUT.toSeconds() + " s";
        }
        if (c instanceof java.nio.channels.UnresolvedAddressException) {
          return "host not found";
        }
      }
      return "connection refused";
    }
    for (Throwable c = error; c != null; c = c.getCause()) {
      if (c.getMessage() != null && !c.getMessage().isBlank()) {
        return c.getMessage();
      }
    }
    return "connection closed";
  }

  /** Answers an upstream problem Gatehouse detected itself (no usable upstream answer). */
  private void upstreamFailure(int clientStatus, String code, String message, String failureClass) {
    record.upstreamEnded();
    if (!exchange.isResponseStarted()) {
      exchange.getResponseHeaders().remove(Headers.CONTENT_LENGTH);
      OpenAiErrors.send(exchange, clientStatus, message, OpenAiErrors.UPSTREAM, null, code);
    } else {
      exchange.endExchange();
    }
    finish(clientStatus, code, message, failureClass);
  }

  private void clientGone() {
    cancelUpstream();
    record.event().model(tap != null && tap.model() != null ? tap.model() : upstreamModel);
    if (tap != null) {
      record.event().completion(tap.completion());
      record.usage(tap.usage());
    }
    finish(499, "client_disconnected", "The client closed the connection before the answer was complete.",
        null);
  }

  private void cancelUpstream() {
    if (inFlight != null) {
      inFlight.cancel();
    }
  }

  private void finish(int eventStatus, String errorClass, String errorMessage) {
    finish(eventStatus, errorClass, errorMessage, FailureClassifier.ofStatus(status));
  }

  /**
   * Publishes the event once. {@code eventStatus} is what the request amounts to (e.g. 502 for a stream
   * cut after a 200 header); the attempt keeps the upstream's own status.
   */
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
