package io.gatehouse.proxy.tracing;

import io.gatehouse.schemas.GatehouseEvent;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.util.List;

/**
 * The spans of one request: the request's own and one per upstream attempt. Attribute names follow
 * the OpenTelemetry GenAI semantic conventions ({@code gen_ai.*}); both {@code gen_ai.system} and its
 * newer name {@code gen_ai.provider.name} are set. No prompt or completion text goes into spans.
 *
 * <p>Belongs to one request: not thread-safe (its calls come from the request's IO thread in order).
 */
public abstract class RequestSpan {
  /** Neither spans nor a traceparent. */
  public static final RequestSpan NONE = passThrough(null);

  /**
   * An upstream attempt starts (to {@code provider} of {@code providerType}, model {@code model}).
   * Returns the {@code traceparent} header to send with it, or null for none.
   */
  public abstract String attemptStarted(String provider, String providerType, String model);

  /** The current attempt ended with this outcome (status 0: no response). */
  public abstract void attemptEnded(GatehouseEvent.Attempt attempt);

  /** The request ended; its event is complete. */
  public abstract void end(GatehouseEvent event);

  /** Trace id of the request's span (32 hex), or null when not recording. */
  public abstract String traceId();

  /** Span id of the request's span (16 hex), or null when not recording. */
  public abstract String spanId();

  static RequestSpan passThrough(String traceparent) {
    return new RequestSpan() {
      @Override
      public String attemptStarted(String provider, String providerType, String model) {
        return traceparent; // tracing off: the client's context travels on, unchanged
      }

      @Override
      public void attemptEnded(GatehouseEvent.Attempt attempt) {}

      @Override
      public void end(GatehouseEvent event) {}

      @Override
      public String traceId() {
        return null;
      }

      @Override
      public String spanId() {
        return null;
      }
    };
  }

  static RequestSpan recording(Tracer tracer, Span request) {
    return new Recording(tracer, request);
  }

  /** GenAI system name for a Gatehouse provider type. */
  static String system(String providerType) {
    if (providerType == null) {
      return null;
    }
    return switch (providerType) {
      case "openai", "openai-compatible" -> "openai";
      case "azure-openai" -> "azure.ai.openai";
      case "anthropic" -> "anthropic";
      case "gemini" -> "gcp.gemini";
      default -> providerType;
    };
  }

  private static final class Recording extends RequestSpan {
    private final Tracer tracer;
    private final Span request;
    private Span attempt;
    private String system;

    Recording(Tracer tracer, Span request) {
      this.tracer = tracer;
      this.request = request;
    }

    @Override
    public String attemptStarted(String provider, String providerType, String model) {
      if (attempt != null) {
        attempt.end(); // a previous attempt nobody ended (should not happen): close it rather than leak it
      }
      system = system(providerType);
      attempt = tracer.spanBuilder("chat " + model).setParent(Context.root().with(request))
          .setSpanKind(SpanKind.CLIENT)
          .setAttribute("gen_ai.operation.name", "chat")
          .setAttribute("gen_ai.system", system)
          .setAttribute("gen_ai.provider.name", system)
          .setAttribute("gen_ai.request.model", model)
          .setAttribute("gatehouse.provider", provider)
          .startSpan();
      SpanContext c = attempt.getSpanContext();
      return "00-" + c.getTraceId() + "-" + c.getSpanId() + "-" + (c.isSampled() ? "01" : "00");
    }

    @Override
    public void attemptEnded(GatehouseEvent.Attempt a) {
      if (attempt == null) {
        return;
      }
      if (a.status() > 0) {
        attempt.setAttribute("http.response.status_code", a.status());
      }
      if (a.failureClass() != null) {
        attempt.setAttribute("error.type", a.failureClass());
        attempt.setStatus(StatusCode.ERROR, a.failureClass());
      }
      attempt.end();
      attempt = null;
    }

    @Override
    public void end(GatehouseEvent e) {
      if (attempt != null) {
        attempt.end();
        attempt = null;
      }
      request.updateName(e.endpoint() != null && e.endpoint().endsWith("/embeddings") ? "embeddings " + e.modelRequested()
          : "chat " + (e.modelRequested() == null ? "" : e.modelRequested()));
      request.setAttribute("gen_ai.operation.name", e.endpoint() != null && e.endpoint().endsWith("/embeddings")
          ? "embeddings" : "chat");
      if (system != null) {
        request.setAttribute("gen_ai.system", system);
        request.setAttribute("gen_ai.provider.name", system);
      }
      set("gen_ai.request.model", e.modelRequested());
      set("gen_ai.response.model", e.model());
      if (e.inputTokens() != null) {
        request.setAttribute("gen_ai.usage.input_tokens", e.inputTokens());
      }
      if (e.outputTokens() != null) {
        request.setAttribute("gen_ai.usage.output_tokens", e.outputTokens());
      }
      if (e.finishReason() != null) {
        request.setAttribute(io.opentelemetry.api.common.AttributeKey.stringArrayKey("gen_ai.response.finish_reasons"),
            List.of(e.finishReason()));
      }
      request.setAttribute("http.response.status_code", e.status());
      request.setAttribute("gatehouse.request_id", e.eventId());
      set("gatehouse.route", e.route());
      if (e.costUsd() != null) {
        request.setAttribute("gatehouse.cost_usd", e.costUsd());
      }
      if (e.status() >= 500 || e.errorClass() != null && e.status() >= 400) {
        request.setAttribute("error.type", e.errorClass() == null ? Integer.toString(e.status()) : e.errorClass());
        if (e.status() >= 500) {
          request.setStatus(StatusCode.ERROR);
        }
      }
      request.end();
    }

    private void set(String key, String value) {
      if (value != null) {
        request.setAttribute(key, value);
      }
    }

    @Override
    public String traceId() {
      return request.getSpanContext().isValid() ? request.getSpanContext().getTraceId() : null;
    }

    @Override
    public String spanId() {
      return request.getSpanContext().isValid() ? request.getSpanContext().getSpanId() : null;
    }
  }
}
