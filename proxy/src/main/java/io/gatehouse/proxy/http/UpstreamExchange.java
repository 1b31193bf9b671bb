package io.gatehouse.proxy.http;

import io.gatehouse.proxy.failover.FailureClassifier;
import io.gatehouse.proxy.pipeline.CallRecord;
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
 * What every forwarder (chat completions, Anthropic messages, embeddings) does with one upstream
 * exchange, whatever API it speaks: re-post transport callbacks to the client's IO thread, pass on the
 * useful response headers, collect a bounded body, turn transport failures into 502/504 answers,
 * answer a bug with a 500 instead of a hanging client, and publish the event exactly once with its
 * attempt. Subclasses decide what the client sees (their API's error shape, streams, translation).
 *
 * <p>Threading: transport callbacks arrive on the transport's threads and are re-posted to the
 * exchange's IO thread, in order; all state is touched only there.
 */
abstract class UpstreamExchange implements UpstreamListener {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(UpstreamExchange.class);
  /** Bound on a collected (non-streamed) upstream body. */
  static final int MAX_BUFFERED_BODY = 32 << 20;
  private static final HttpString PROVIDER_HEADER = HttpString.tryFromString("x-gatehouse-provider");

  protected final HttpServerExchange exchange;
  protected final CallRecord record;
  protected final Provider provider;
  protected final String deployment;
  protected final String upstreamModel;
  private final XnioIoThread ioThread;
  private final List<String> passedHeaderPrefixes;

  protected int status;
  protected String contentType;
  /** Retry-After (ms) the upstream asked for, or -1. */
  protected long retryAfterMs = -1;
  private AttemptOwner owner;
  /** Response headers this attempt passed on (removed again when another attempt takes over). */
  private List<HttpString> passed;
  private UpstreamClient.Cancellable inFlight;
  private boolean done;

  /** @param passedHeaderPrefixes upstream response headers (lower-case prefixes) worth passing on */
  UpstreamExchange(HttpServerExchange exchange, CallRecord record, Provider provider, String deployment,
      String upstreamModel, List<String> passedHeaderPrefixes) {
    this.exchange = exchange;
    this.ioThread = exchange.getIoThread();
    this.record = record;
    this.provider = provider;
    this.deployment = deployment;
    this.upstreamModel = upstreamModel;
    this.passedHeaderPrefixes = passedHeaderPrefixes;
  }

  /**
   * Who decides about this attempt's failures: until the client's response has started, a failure is
   * offered to the owner, which may start another attempt instead of answering the client.
   */
  interface AttemptOwner {
    /**
     * This attempt failed before anything reached the client.
     *
     * @return true when another attempt takes over (this one must then not answer)
     */
    boolean failedBeforeAnswer(String failureClass, int upstreamStatus, long retryAfterMs);

    /** This attempt answered the client; {@code failureClass} is null for a success. */
    void answered(String failureClass);
  }

  /** Lets {@code owner} decide about failures (call before {@link #start}). */
  final void owner(AttemptOwner owner) {
    this.owner = owner;
  }

  /**
   * Offers this attempt's failure to the owner while the client has seen nothing yet. When another
   * attempt takes over, this one is recorded as failed, its upstream cancelled, and true returned: the
   * caller must stop.
   */
  protected final boolean failover(String failureClass) {
    if (owner == null || done || exchange.isResponseStarted()) {
      return false;
    }
    record.attemptFailed(new GatehouseEvent.Attempt(provider.name(), deployment, upstreamModel,
        status == 0 ? 0 : status, failureClass, record.upstreamMillis()));
    done = true;
    cancelUpstream();
    if (passed != null) { // a failed attempt's rate-limit headers would describe the wrong provider
      passed.forEach(exchange.getResponseHeaders()::remove);
    }
    if (owner.failedBeforeAnswer(failureClass, status, retryAfterMs)) {
      return true;
    }
    // nobody took over: this attempt answers after all, but it is already in the record
    done = false;
    record.forgetLastFailedAttempt();
    return false;
  }

  /** Sends the request upstream. Call on the IO thread with the exchange dispatched. */
  final void start(UpstreamClient client, UpstreamRequest request) {
    exchange.getResponseHeaders().put(PROVIDER_HEADER, provider.name());
    record.event().model(upstreamModel); // replaced by the model the upstream names in its answer
    record.pricedBy(provider.prices(), provider.name(), provider.type().priceFamily());
    String traceparent = record.attemptStarted(provider.name(), provider.type().yamlName(), upstreamModel);
    inFlight = client.post(traceparent == null ? request : request.withHeader("traceparent", traceparent), this);
  }

  // ------------------------------------------------------------ what subclasses decide (IO thread)

  /** The response line and headers arrived ({@link #status}, {@link #contentType} are set). */
  protected abstract void responseStarted(HttpHeaders headers);

  protected abstract void body(List<ByteBuffer> buffers, Demand demand);

  protected abstract void complete();

  /** True once the client's response is a stream whose headers are out. */
  protected abstract boolean streaming();

  /** The upstream broke off a stream whose headers are out: end it in-band and finish. */
  protected abstract void streamBrokeOff(String message, String failureClass);

  /**
   * Answers an error Gatehouse produced itself (the response is not started) in the endpoint's shape.
   *
   * @return the error class the event records
   */
  protected abstract String sendError(int clientStatus, String code, String message);

  /** Records what a stream delivered so far, when the client goes away mid-answer. */
  protected void recordPartial() {}

  // ------------------------------------------------------------ transport callbacks

  // The plain-HTTP transport calls back on the exchange's own IO thread, in order: those callbacks
  // run at once (a task hop per stream chunk would cost a queue round and, for the transport, a
  // read-interest change each way). Callbacks from any other thread are re-posted to it, in order.

  @Override
  public final void onResponse(int status, HttpHeaders headers) {
    onIoThread(() -> guarded(() -> response(status, headers)));
  }

  @Override
  public final void onBody(List<ByteBuffer> buffers, Demand demand) {
    onIoThread(() -> guarded(() -> body(buffers, demand)));
  }

  @Override
  public final void onComplete() {
    onIoThread(() -> guarded(this::complete));
  }

  @Override
  public final void onError(Throwable error, boolean afterResponse) {
    onIoThread(() -> guarded(() -> failed(error)));
  }

  private void onIoThread(Runnable step) {
    if (Thread.currentThread() == ioThread) {
      step.run();
    } else {
      ioThread.execute(step);
    }
  }

  // ------------------------------------------------------------ IO thread

  /** True once this attempt answered the client or handed over to another attempt. */
  protected final boolean finished() {
    return done;
  }

  /** Runs {@code step} unless the attempt is over; a bug in it becomes a 500, never a hung client. */
  protected final void guarded(Runnable step) {
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
        sendError(500, "internal_error", message);
      } else {
        exchange.endExchange();
      }
      finish(500, OpenAiErrors.INTERNAL, message + " " + e);
    }
  }

  private void response(int status, HttpHeaders headers) {
    this.status = status;
    this.contentType = headers.firstValue("content-type").orElse(null);
    if (status == 429 || status == 503) {
      retryAfterMs = io.gatehouse.proxy.failover.Backoff.askedMillis(headers.firstValue("retry-after-ms").orElse(null),
          headers.firstValue("retry-after").orElse(null), System.currentTimeMillis());
    }
    HeaderMap out = exchange.getResponseHeaders();
    for (Map.Entry<String, List<String>> h : headers.map().entrySet()) {
      String name = h.getKey().toLowerCase(Locale.ROOT);
      for (String prefix : passedHeaderPrefixes) {
        if (name.startsWith(prefix)) {
          HttpString header = HttpString.tryFromString(h.getKey());
          out.putAll(header, h.getValue());
          if (passed == null) {
            passed = new java.util.ArrayList<>(4);
          }
          passed.add(header);
          break;
        }
      }
    }
    responseStarted(headers);
  }

  /** True when the upstream answered 2xx with {@code text/event-stream}. */
  protected final boolean upstreamStreams() {
    return status >= 200 && status < 300 && contentType != null
        && contentType.toLowerCase(Locale.ROOT).startsWith("text/event-stream");
  }

  /** Starts the client's event stream with the upstream's status: no caching, no proxy buffering. */
  protected final ClientStream startClientStream() {
    HeaderMap out = exchange.getResponseHeaders();
    exchange.setStatusCode(status);
    out.put(Headers.CONTENT_TYPE, contentType);
    out.put(Headers.CACHE_CONTROL, "no-cache");
    out.put(HttpString.tryFromString("X-Accel-Buffering"), "no");
    return new ClientStream(exchange);
  }

  /** Writes one piece of a stream to the client and asks the upstream for more once it is out. */
  protected final void forward(ClientStream clientStream, ByteBuffer piece, Demand demand) {
    if (!piece.hasRemaining()) {
      demand.more();
      return;
    }
    clientStream.write(piece, () -> {
      record.firstByteSent();
      demand.more();
    }, this::clientGone);
  }

  /**
   * Appends {@code buffers} to {@code collected}; past {@link #MAX_BUFFERED_BODY} answers 502 and
   * returns false (the caller stops).
   */
  protected final boolean collect(List<ByteBuffer> buffers, ByteArrayOutputStream collected) {
    for (ByteBuffer b : buffers) {
      if (collected.size() + b.remaining() > MAX_BUFFERED_BODY) {
        cancelUpstream();
        upstreamFailure(502, "upstream_response_too_large", "Provider '" + provider.name()
            + "' sent a response larger than " + (MAX_BUFFERED_BODY >> 20) + " MB; Gatehouse refused it.",
            FailureClassifier.TRANSIENT);
        return false;
      }
      byte[] bytes = new byte[b.remaining()];
      b.get(bytes);
      collected.write(bytes, 0, bytes.length);
    }
    return true;
  }

  /** Relays an upstream body unchanged, with its status and content type. */
  protected final void relay(byte[] body) {
    exchange.setStatusCode(status);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, contentType == null ? "application/json" : contentType);
    exchange.getResponseSender().send(ByteBuffer.wrap(body));
  }

  private void failed(Throwable error) {
    record.upstreamEnded();
    String failureClass = FailureClassifier.ofThrowable(error);
    if (failover(failureClass)) {
      return;
    }
    String reason = reason(error, failureClass);
    if (streaming()) {
      streamBrokeOff("The stream from provider '" + provider.name() + "' broke off: " + reason, failureClass);
    } else if (FailureClassifier.TIMEOUT.equals(failureClass)) {
      upstreamFailure(504, "upstream_timeout", "Provider '" + provider.name() + "' at " + provider.baseUrl()
          + " did not answer in time.", failureClass);
    } else if (FailureClassifier.UNREACHABLE.equals(failureClass)) {
      upstreamFailure(502, "upstream_unreachable", "Could not connect to provider '" + provider.name() + "' at "
          + provider.baseUrl() + " (" + reason + "). Check that it is running and that its base_url is right.",
          failureClass);
    } else {
      upstreamFailure(502, "upstream_error", "The connection to provider '" + provider.name() + "' at "
          + provider.baseUrl() + " failed: " + reason, failureClass);
    }
  }

  /** Answers an upstream problem Gatehouse detected itself (no usable upstream answer). */
  protected final void upstreamFailure(int clientStatus, String code, String message, String failureClass) {
    record.upstreamEnded();
    if (failover(failureClass)) {
      return;
    }
    String errorClass;
    if (!exchange.isResponseStarted()) {
      exchange.getResponseHeaders().remove(Headers.CONTENT_LENGTH);
      errorClass = sendError(clientStatus, code, message);
    } else {
      errorClass = code;
      exchange.endExchange();
    }
    finish(clientStatus, errorClass, message, failureClass);
  }

  /** The client closed the connection: stop the upstream and record what was delivered. */
  protected final void clientGone() {
    cancelUpstream();
    recordPartial();
    finish(499, "client_disconnected", "The client closed the connection before the answer was complete.", null);
  }

  protected final void cancelUpstream() {
    if (inFlight != null) {
      inFlight.cancel();
    }
  }

  /** {@link #finish(int, String, String, String)} with the failure class the upstream status implies. */
  protected final void finish(int eventStatus, String errorClass, String errorMessage) {
    finish(eventStatus, errorClass, errorMessage, FailureClassifier.ofStatus(status));
  }

  /**
   * Publishes the event once. {@code eventStatus} is what the request amounts to (e.g. 502 for a stream
   * cut after a 200 header); the attempt keeps the upstream's own status.
   */
  protected final void finish(int eventStatus, String errorClass, String errorMessage, String failureClass) {
    if (done) {
      return;
    }
    done = true;
    if (owner != null && eventStatus != 499) {
      owner.answered(failureClass);
    }
    if (errorClass != null) {
      record.event().errorClass(errorClass).errorMessage(errorMessage);
    }
    record.finish(eventStatus, new GatehouseEvent.Attempt(provider.name(), deployment, upstreamModel,
        status == 0 ? eventStatus : status, failureClass, record.upstreamMillis()));
  }

  /** {@code ": <first 200 bytes>"} of a body for a message, or {@code "."} when it is empty. */
  static String snippet(byte[] body) {
    String text = new String(body, 0, Math.min(body.length, 4096), StandardCharsets.UTF_8);
    if (HTML.matcher(text).find()) { // a load balancer's page: its title (or its text), not its markup
      java.util.regex.Matcher title = HTML_TITLE.matcher(text);
      text = title.find() ? title.group(1) : HTML_TAG.matcher(text).replaceAll(" ");
    }
    String snippet = WHITESPACE.matcher(text).replaceAll(" ").strip();
    if (snippet.length() > 200) {
      snippet = snippet.substring(0, 200) + "…";
    }
    return snippet.isEmpty() ? "." : ": " + snippet;
  }

  private static final java.util.regex.Pattern HTML =
      java.util.regex.Pattern.compile("^\\s*<(!doctype|html|head|body)", java.util.regex.Pattern.CASE_INSENSITIVE);
  private static final java.util.regex.Pattern HTML_TITLE =
      java.util.regex.Pattern.compile("<title[^>]*>([^<]*)</title>", java.util.regex.Pattern.CASE_INSENSITIVE);
  private static final java.util.regex.Pattern HTML_TAG = java.util.regex.Pattern.compile("<[^>]*>");
  private static final java.util.regex.Pattern WHITESPACE = java.util.regex.Pattern.compile("\\s+");

  /** A short, human reason for a transport failure (JDK messages are often null or class names). */
  static String reason(Throwable error, String failureClass) {
    if (FailureClassifier.UNREACHABLE.equals(failureClass)) {
      for (Throwable c = error; c != null; c = c.getCause()) {
        if (c instanceof java.net.http.HttpConnectTimeoutException) {
          return "connect timed out";
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
}
