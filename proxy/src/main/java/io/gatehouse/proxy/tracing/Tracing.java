package io.gatehouse.proxy.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * OpenTelemetry tracing of proxied calls: a SERVER span per request, following the GenAI semantic
 * conventions, with a CLIENT child per upstream attempt; W3C {@code traceparent} is taken from the
 * client and sent upstream (the attempt's span as parent). Spans go to an OTLP/HTTP endpoint in
 * batches, off the request path.
 *
 * <p>Off ({@link #OFF}, no endpoint configured) there is no SDK at all: nothing is allocated per
 * request but a pass-through that forwards the client's {@code traceparent} upstream unchanged. Thread-safe.
 */
public final class Tracing implements AutoCloseable {
  /** No spans; the client's traceparent still travels upstream. */
  public static final Tracing OFF = new Tracing(null, null, null);

  static final TextMapGetter<HeaderMap> HEADERS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(HeaderMap carrier) {
      List<String> keys = new ArrayList<>();
      for (HeaderValues v : carrier) {
        keys.add(v.getHeaderName().toString());
      }
      return keys;
    }

    @Override
    public String get(HeaderMap carrier, String key) {
      return carrier == null ? null : carrier.getFirst(key);
    }
  };

  private final SdkTracerProvider provider;
  private final Tracer tracer;
  private final String endpoint;

  private Tracing(SdkTracerProvider provider, Tracer tracer, String endpoint) {
    this.provider = provider;
    this.tracer = tracer;
    this.endpoint = endpoint;
  }

  /**
   * Tracing to {@code settings.endpoint()} (an OTLP/HTTP traces URL such as
   * {@code http://collector:4318/v1/traces}), or {@link #OFF} when there is none.
   */
  public static Tracing of(TracingSettings settings) {
    if (settings == null || settings.endpoint() == null) {
      return OFF;
    }
    OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder().setEndpoint(settings.endpoint())
        .setTimeout(Duration.ofSeconds(10)).build();
    SdkTracerProvider provider = SdkTracerProvider.builder()
        .setResource(Resource.getDefault().merge(Resource.create(
            Attributes.of(AttributeKey.stringKey("service.name"), settings.serviceName()))))
        .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(settings.sampleRatio())))
        .addSpanProcessor(BatchSpanProcessor.builder(exporter).setScheduleDelay(Duration.ofMillis(500)).build())
        .build();
    return new Tracing(provider, provider.get("io.gatehouse.proxy"), settings.endpoint());
  }

  public boolean enabled() {
    return provider != null;
  }

  /** Where spans go, or null when off. */
  public String endpoint() {
    return endpoint;
  }

  /** The span of one request, started now; its parent is the client's {@code traceparent}, if any. */
  public RequestSpan start(String endpoint, HeaderMap requestHeaders) {
    if (provider == null) {
      return RequestSpan.passThrough(requestHeaders.getFirst("traceparent"));
    }
    Context parent = W3CTraceContextPropagator.getInstance().extract(Context.root(), requestHeaders, HEADERS);
    Span span = tracer.spanBuilder(endpoint).setParent(parent).setSpanKind(SpanKind.SERVER)
        .setAttribute("http.request.method", "POST").setAttribute("url.path", endpoint).startSpan();
    return RequestSpan.recording(tracer, span);
  }

  /** Exports what is buffered (bounded wait), then stops. */
  @Override
  public void close() {
    if (provider != null) {
      provider.shutdown().join(5, TimeUnit.SECONDS);
    }
  }
}
