package io.gatehouse.proxy.tracing;

/**
 * {@code tracing:} in the config, or the standard OpenTelemetry environment variables.
 *
 * @param endpoint OTLP/HTTP traces URL ({@code …/v1/traces}); null: tracing off
 * @param serviceName the {@code service.name} resource attribute
 * @param sampleRatio share of new traces recorded (0..1); a client's sampled flag is followed
 */
public record TracingSettings(String endpoint, String serviceName, double sampleRatio) {
  public static final TracingSettings OFF = new TracingSettings(null, "gatehouse-proxy", 1.0);
}
