package io.gatehouse.proxy.http;

import io.undertow.server.HttpServerExchange;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import org.xnio.ChannelListener;
import org.xnio.IoUtils;
import org.xnio.channels.StreamSinkChannel;

/**
 * Writes a streamed response to the client piece by piece: each piece is written AND flushed before
 * its {@code onFlushed} runs, so the client sees every upstream chunk when it arrives. Non-blocking:
 * when the socket is full it waits for XNIO's write-ready callback instead of a thread. Pieces written
 * while one is in progress wait their turn (in practice at most one or two: the upstream is only asked
 * for more after a flush).
 *
 * <p>Not thread-safe: confined to the exchange's IO thread.
 */
final class ClientStream implements ChannelListener<StreamSinkChannel> {
  private final HttpServerExchange exchange;
  private final ArrayDeque<Write> queue = new ArrayDeque<>();
  private StreamSinkChannel channel;
  private boolean failed;

  private record Write(ByteBuffer data, Runnable onFlushed, Runnable onFailed) {}

  ClientStream(HttpServerExchange exchange) {
    this.exchange = exchange;
  }

  /** Writes and flushes {@code data}; then runs {@code onFlushed}, or {@code onFailed} if the client is gone. */
  void write(ByteBuffer data, Runnable onFlushed, Runnable onFailed) {
    if (failed) {
      onFailed.run();
      return;
    }
    if (channel == null) {
      channel = exchange.getResponseChannel();
      channel.getWriteSetter().set(this);
    }
    queue.add(new Write(data, onFlushed, onFailed));
    if (queue.size() == 1) {
      handleEvent(channel);
    }
  }

  @Override
  public void handleEvent(StreamSinkChannel ch) {
    while (!queue.isEmpty()) {
      Write w = queue.peek();
      try {
        while (w.data.hasRemaining()) {
          if (ch.write(w.data) == 0) {
            ch.resumeWrites();
            return;
          }
        }
        if (!ch.flush()) {
          ch.resumeWrites();
          return;
        }
      } catch (IOException e) {
        failed = true;
        ch.suspendWrites();
        IoUtils.safeClose(exchange.getConnection());
        while (!queue.isEmpty()) {
          queue.poll().onFailed.run();
        }
        return;
      }
      queue.poll();
      ch.suspendWrites();
      w.onFlushed.run();
    }
  }

  /** Ends the response (terminating chunk) once the pieces in progress are out. */
  void end() {
    if (queue.isEmpty()) {
      exchange.endExchange();
    } else {
      queue.add(new Write(ByteBuffer.allocate(0), exchange::endExchange, () -> { }));
    }
  }
}
