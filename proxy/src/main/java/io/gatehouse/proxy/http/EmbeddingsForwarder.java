package io.gatehouse.proxy.http;

import io.gatehouse.proxy.failover.FailureClassifier;
import io.gatehouse.proxy.pipeline.CallRecord;
import io.gatehouse.proxy.provider.Provider;
import io.gatehouse.proxy.provider.openai.OpenAiChat;
import io.gatehouse.proxy.provider.openai.OpenAiEmbeddings;
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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xnio.XnioIoThread;

/**
 * One embeddings request forwarded as is and answered to the client. The answer is collected and
 * relayed with its status and bytes unchanged; only {@code model} and {@code usage.prompt_tokens} are
 * read from it, for the event ({@link OpenAiEmbeddings}). An upstream error with OpenAI's shape is
 * relayed too; one without (an HTML page, say) becomes an OpenAI-shaped {@code upstream_error}, and no
 * answer at all a 502 / 504.
 *
 * <p>Threading: as {@link ChatForwarder}, callbacks are re-posted to the exchange's IO thread.
 */
final class EmbeddingsForwarder implements UpstreamListener {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EmbeddingsForwarder.class);
  private static final HttpString PROVIDER_HEADER = HttpString.tryFromString("x-gatehouse-provider");

  private final HttpServerExchange exchange;
  private final XnioIoThread ioThread;
  private final CallRecord record;
  private final Provider provider;
  private final String deployment;
  private final String upstreamModel;

  private int status;
  private String contentType;
  private final ByteArrayOutputStream collected = new ByteArrayOutputStream();
  private UpstreamClient.Cancellable inFlight;
  private boolean done;

  EmbeddingsForwarder(HttpServerExchange exchange, CallRecord record, Provider provider, String deployment,
      String upstreamModel) {
    this.exchange = exchange;
    this.ioThread = exchange.getIoThread();
    this.record = record;
    this.provider = provider;
    this.deployment = deployment;
    this.upstreamModel = upstreamModel;
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
        OpenAiErrors.send(exchange, 500, message, OpenAiErrors.INTERNAL, null, "internal_error");
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
      for (String prefix : ChatForwarder.PASSED_HEADER_PREFIXES) {
        if (name.startsWith(prefix)) {
          out.putAll(HttpString.tryFromString(h.getKey()), h.getValue());
          break;
        }
      }
    }
  }

  private void body(List<ByteBuffer> buffers, Demand demand) {
    for (ByteBuffer b : buffers) {
      if (collected.size() + b.remaining() > ChatForwarder.MAX_BUFFERED_BODY) {
        cancelUpstream();
        upstreamFailure(502, "upstream_response_too_large", "Provider '" + provider.name()
            + "' sent a response larger than " + (ChatForwarder.MAX_BUFFERED_BODY >> 20) + " MB; Gatehouse refused it.",
            FailureClassifier.TRANSIENT);
        return;
      }
      byte[] bytes = new byte[b.remaining()];
      b.get(bytes);
      collected.write(bytes, 0, bytes.length);
    }
    demand.more();
  }

  private void complete() {
    record.upstreamEnded();
    byte[] body = collected.toByteArray();
    if (status >= 200 && status < 300) {
      OpenAiEmbeddings.Summary summary = OpenAiEmbeddings.summarize(body);
      if (summary == null) {
        upstreamFailure(502, "upstream_invalid_response", "Provider '" + provider.name() + "' answered HTTP " + status
            + " with a body that is not a JSON object" + ChatForwarder.snippet(body), FailureClassifier.TRANSIENT);
        return;
      }
      relay(body);
      record.event().model(summary.model() == null ? upstreamModel : summary.model())
          .inputTokens(summary.promptTokens());
      finish(status, null, null, FailureClassifier.ofStatus(status));
      return;
    }
    String[] error = OpenAiChat.errorOf(body);
    if (error != null) {
      relay(body);
      finish(status, error[1] == null ? OpenAiErrors.UPSTREAM : error[1], error[0], FailureClassifier.ofStatus(status));
    } else {
      String message = "Provider '" + provider.name() + "' answered HTTP " + status + " with a non-JSON body"
          + (contentType == null ? "" : " (" + contentType + ")") + ChatForwarder.snippet(body);
      OpenAiErrors.send(exchange, status, message, OpenAiErrors.UPSTREAM, null, "upstream_error");
      finish(status, OpenAiErrors.UPSTREAM, message, FailureClassifier.ofStatus(status));
    }
  }

  /** Relays the upstream body unchanged, with its status and content type. */
  private void relay(byte[] body) {
    exchange.setStatusCode(status);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, contentType == null ? "application/json" : contentType);
    exchange.getResponseSender().send(ByteBuffer.wrap(body));
  }

  private void failed(Throwable error) {
    record.upstreamEnded();
    String failureClass = FailureClassifier.ofThrowable(error);
    String reason = ChatForwarder.reason(error, failureClass);
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

  /** Answers an upstream problem Gatehouse detected itself (no usable upstream answer). */
  private void upstreamFailure(int clientStatus, String code, String message, String failureClass) {
    record.upstreamEnded();
    if (!exchange.isResponseStarted()) {
      OpenAiErrors.send(exchange, clientStatus, message, OpenAiErrors.UPSTREAM, null, code);
    } else {
      exchange.endExchange();
    }
    finish(clientStatus, code, message, failureClass);
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
