package io.gatehouse.proxy.http;

import io.gatehouse.proxy.cache.CacheCapture;
import io.gatehouse.proxy.failover.FailureClassifier;
import io.gatehouse.proxy.pipeline.CallRecord;
import io.gatehouse.proxy.provider.ChatAdapter;
import io.gatehouse.proxy.provider.ChatStream;
import io.gatehouse.proxy.provider.Provider;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

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
final class ChatForwarder extends UpstreamExchange {
  /** Upstream response headers worth passing on to the client. */
  static final List<String> PASSED_HEADER_PREFIXES =
      List.of("x-ratelimit-", "retry-after", "openai-processing-ms", "openai-version", "x-request-id");

  private final boolean streamRequested;
  private final boolean clientWantsUsage;
  private final long firstTokenMs;
  private final long idleMs;
  private org.xnio.XnioExecutor.Key timer;
  /** System.nanoTime() when the stream counts as silent (moved by every piece). */
  private long silenceDeadline;
  /** System.nanoTime() when {@link #timer} fires. */
  private long timerFiresAt;
  private boolean wroteToClient;

  private ChatStream tap; // non-null once in stream mode
  private ClientStream clientStream;
  private ByteArrayOutputStream collected;
  /** cache (issue 7): told what the client receives; stores it only when complete and successful. */
  private final CacheCapture cache;

  /**
   * @param firstToken how long a stream may take to deliver its first piece after its headers
   * @param idle the longest silence allowed between stream pieces
   */
  ChatForwarder(HttpServerExchange exchange, CallRecord record, Provider provider, String deployment,
      String upstreamModel, boolean streamRequested, boolean clientWantsUsage, java.time.Duration firstToken,
      java.time.Duration idle) {
    super(exchange, record, provider, deployment, upstreamModel, PASSED_HEADER_PREFIXES);
    this.streamRequested = streamRequested;
    this.clientWantsUsage = clientWantsUsage;
    this.firstTokenMs = firstToken.toMillis();
    this.idleMs = idle.toMillis();
    this.cache = exchange.getAttachment(CacheCapture.KEY);
  }

  /**
   * Moves the stream's silence deadline: first token until a piece was written, idle after that. The
   * timer itself is only re-scheduled when the deadline comes earlier than it fires; otherwise it fires,
   * finds the deadline moved and sleeps again (one timer operation per silence period instead of two
   * per chunk).
   */
  private void armTimer() {
    long now = System.nanoTime();
    silenceDeadline = now + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(wroteToClient ? idleMs : firstTokenMs);
    if (timer == null || silenceDeadline - timerFiresAt < 0) {
      schedule(silenceDeadline - now);
    }
  }

  private void schedule(long inNanos) {
    if (timer != null) {
      timer.remove();
    }
    timerFiresAt = System.nanoTime() + inNanos;
    timer = exchange.getIoThread().executeAfter(this::timerFired, inNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  private void timerFired() {
    timer = null;
    if (finished()) {
      return;
    }
    long left = silenceDeadline - System.nanoTime();
    if (left > 0) {
      schedule(left);
    } else {
      guarded(this::silence);
    }
  }

  private void disarmTimer() {
    if (timer != null) {
      timer.remove();
      timer = null;
    }
  }

  /** The stream went quiet for too long: another target if the client has seen nothing, else an honest error. */
  private void silence() {
    if (finished()) {
      return;
    }
    cancelUpstream();
    record.upstreamEnded();
    if (failover(FailureClassifier.TIMEOUT)) {
      return;
    }
    String message = wroteToClient
        ? "The stream from provider '" + provider.name() + "' stalled: no data for " + idleMs + " ms."
        : "Provider '" + provider.name() + "' sent no first token within " + firstTokenMs + " ms.";
    if (exchange.isResponseStarted()) {
      streamBrokeOff(message, FailureClassifier.TIMEOUT);
    } else {
      upstreamFailure(504, "upstream_timeout", message, FailureClassifier.TIMEOUT);
    }
  }

  @Override
  protected void responseStarted(HttpHeaders headers) {
    if (cache != null) {
      cache.restart();
    }
    if (streamRequested && upstreamStreams()) {
      tap = provider.adapter().stream(upstreamModel, clientWantsUsage);
      clientStream = startClientStream();
      armTimer();
    } else {
      collected = new ByteArrayOutputStream();
    }
  }

  @Override
  protected boolean streaming() {
    return tap != null;
  }

  @Override
  protected String sendError(int clientStatus, String code, String message) {
    String type = "internal_error".equals(code) ? OpenAiErrors.INTERNAL : OpenAiErrors.UPSTREAM;
    OpenAiErrors.send(exchange, clientStatus, message, type, null, code);
    return "internal_error".equals(code) ? OpenAiErrors.INTERNAL : code;
  }

  @Override
  protected void body(List<ByteBuffer> buffers, Demand demand) {
    if (tap == null) {
      if (collect(buffers, collected)) {
        demand.more();
      }
      return;
    }
    ByteBuffer forward;
    armTimer();
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
    if (forward.hasRemaining()) {
      wroteToClient = true;
      if (cache != null) {
        cache.streamed(forward);
      }
    }
    forward(clientStream, forward, demand);
  }

  @Override
  protected void complete() {
    record.upstreamEnded();
    disarmTimer();
    if (tap != null) {
      ByteBuffer rest = tap.remainder();
      if (rest.hasRemaining()) {
        if (cache != null) {
          cache.streamed(rest);
        }
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
      if (cache != null && status == 200 && answer.finishReason() != null) {
        cache.answered(answer.body(), provider.name(), answer.model(), answer.finishReason(), answer.text(),
            answer.usage(), record.event().costUsd());
      }
      return;
    }
    ChatAdapter.ErrorAnswer error = adapter.error(status, body);
    String failureClass = FailureClassifier.classify(status, error == null ? null : error.type(),
        error == null ? null : error.code(), error == null ? null : error.message());
    if (failover(failureClass)) {
      return;
    }
    if (error != null) {
      OpenAiErrors.sendBody(exchange, error.status(), error.body());
      finish(error.status(), error.type() == null ? OpenAiErrors.UPSTREAM : error.type(), error.message(),
          failureClass);
    } else {
      String message = "Provider '" + provider.name() + "' answered HTTP " + status + " with a non-JSON body"
          + (contentType == null ? "" : " (" + contentType + ")") + snippet(body);
      OpenAiErrors.send(exchange, status, message, OpenAiErrors.UPSTREAM, null, "upstream_error");
      finish(status, OpenAiErrors.UPSTREAM, message);
    }
  }

  private void endStream() {
    if ((tap.errorMessage() != null || !tap.done() && tap.finishReason() == null)
        && failover(FailureClassifier.TRANSIENT)) {
      return; // the client has seen nothing yet: another target answers
    }
    recordPartial();
    record.event().finishReason(tap.finishReason());
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
      if (cache != null && status == 200 && tap.done() && tap.finishReason() != null) {
        cache.answered(null, provider.name(), record.event().model(), tap.finishReason(), tap.completion(),
            tap.usage(), record.event().costUsd());
      }
    }
  }

  @Override
  protected void streamBrokeOff(String message, String failureClass) {
    disarmTimer();
    if (failover(failureClass)) {
      return;
    }
    // headers are out: tell the client in-band, the way OpenAI reports errors mid-stream
    recordPartial();
    streamError(message);
    finish(502, "stream_interrupted", message, failureClass);
  }

  /** Tells the client in-band that the stream broke, the way OpenAI reports errors mid-stream, and ends it. */
  private void streamError(String message) {
    byte[] event = ("data: " + new String(OpenAiErrors.body(message, OpenAiErrors.UPSTREAM, null,
        "stream_interrupted"), StandardCharsets.UTF_8) + "\n\n").getBytes(StandardCharsets.UTF_8);
    clientStream.write(ByteBuffer.wrap(event), clientStream::end, () -> { });
  }

  @Override
  protected void recordPartial() {
    record.event().model(tap != null && tap.model() != null ? tap.model() : upstreamModel);
    if (tap != null) {
      record.event().completion(tap.completion());
      record.usage(tap.usage());
    }
  }
}
