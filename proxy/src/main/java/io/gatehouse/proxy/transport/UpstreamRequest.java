package io.gatehouse.proxy.transport;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * One POST upstream; {@code responseTimeout} (null: the client's default) bounds the wait for the
 * response headers. {@code headers} are sent as given (the transport adds none but
 * {@code Content-Type}); they may contain the provider key, so this record's {@link #toString()}
 * hides their values.
 */
public record UpstreamRequest(URI uri, Map<String, String> headers, byte[] body, Duration responseTimeout) {
  /** A request with the client's default response timeout. */
  public UpstreamRequest(URI uri, Map<String, String> headers, byte[] body) {
    this(uri, headers, body, null);
  }

  /** The same request, failing with a timeout when no response headers arrived within {@code timeout}. */
  public UpstreamRequest withResponseTimeout(Duration timeout) {
    return new UpstreamRequest(uri, headers, body, timeout);
  }

  /** The same request with one more header (replacing one of that name). */
  public UpstreamRequest withHeader(String name, String value) {
    Map<String, String> more = new java.util.LinkedHashMap<>(headers);
    more.put(name, value);
    return new UpstreamRequest(uri, more, body, responseTimeout);
  }

  @Override
  public String toString() {
    return "UpstreamRequest[" + uri + ", headers=" + headers.keySet() + ", " + body.length + " bytes]";
  }
}
