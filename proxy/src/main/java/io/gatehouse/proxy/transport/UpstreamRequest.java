package io.gatehouse.proxy.transport;

import java.net.URI;
import java.util.Map;

/**
 * One POST upstream. {@code headers} are sent as given (the transport adds none but
 * {@code Content-Type}); they may contain the provider key, so this record's {@link #toString()}
 * hides their values.
 */
public record UpstreamRequest(URI uri, Map<String, String> headers, byte[] body) {
  @Override
  public String toString() {
    return "UpstreamRequest[" + uri + ", headers=" + headers.keySet() + ", " + body.length + " bytes]";
  }
}
