package io.gatehouse.proxy.transport;

import java.net.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Receives one upstream exchange. Called on the transport's threads, one callback at a time and in
 * order: {@code onResponse}, then {@code onBody}* , then exactly one of {@code onComplete} /
 * {@code onError} (or only {@code onError} when no response arrived). Implementations must not block.
 */
public interface UpstreamListener {
  /** Status line and headers arrived. */
  void onResponse(int status, HttpHeaders headers);

  /**
   * Body bytes arrived. No more body is delivered until {@code demand.more()} is called: that is how a
   * slow client slows the upstream instead of filling memory.
   */
  void onBody(List<ByteBuffer> buffers, Demand demand);

  void onComplete();

  /** No response, or the body broke off. {@code afterResponse} tells which. */
  void onError(Throwable error, boolean afterResponse);

  /** Asks for the next piece of body. Callable from any thread. */
  interface Demand {
    void more();
  }
}
