package io.gatehouse.testsupport.fake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.xnio.ChannelListener;
import org.xnio.IoUtils;
import org.xnio.channels.StreamSinkChannel;

/**
 * What every fake provider does with an exchange, without ever blocking its IO thread: answer JSON,
 * wait (scheduled on the IO thread), and stream SSE frames one by one.
 */
final class FakeExchanges {
  private static final ObjectMapper JSON = new ObjectMapper();

  private FakeExchanges() {}

  static void sendJson(HttpServerExchange exchange, int status, JsonNode body) {
    exchange.setStatusCode(status);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
    try {
      exchange.getResponseSender().send(ByteBuffer.wrap(JSON.writeValueAsBytes(body)));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Runs {@code task} on the exchange's IO thread after {@code delayMs} (immediately when 0). */
  static void later(HttpServerExchange exchange, long delayMs, Runnable task) {
    if (delayMs <= 0) {
      task.run();
    } else {
      exchange.getIoThread().executeAfter(task, delayMs, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Writes SSE frames one by one, each flushed before the delay that precedes the next; closes the
   * connection instead of writing frame {@code cutAt} (-1: never), as a provider that dies mid-answer
   * does. Confined to the exchange's IO thread; start with {@link #next()}.
   */
  static final class SseWriter implements ChannelListener<StreamSinkChannel> {
    private final HttpServerExchange exchange;
    private final List<ByteBuffer> frames;
    private final long delayMs;
    private final int cutAt;
    private final StreamSinkChannel channel;
    private final boolean holdOpen;
    private final int pacedFrames;
    private int index;

    SseWriter(HttpServerExchange exchange, List<ByteBuffer> frames, long delayMs, int cutAt) {
      this(exchange, frames, delayMs, cutAt, false, frames.size());
    }

    /**
     * @param holdOpen after the last frame, neither end nor close: a stream that stalls
     * @param pacedFrames frames that are "generated" (the first at once, each later one {@code delayMs}
     *     after the one before); the frames after them follow at once, as a provider sends what it has
     *     when the answer is done (usage, {@code [DONE]})
     */
    SseWriter(HttpServerExchange exchange, List<ByteBuffer> frames, long delayMs, int cutAt, boolean holdOpen,
        int pacedFrames) {
      this.holdOpen = holdOpen;
      this.pacedFrames = pacedFrames;
      this.exchange = exchange;
      this.frames = frames;
      this.delayMs = delayMs;
      this.cutAt = cutAt;
      this.channel = exchange.getResponseChannel();
    }

    /** Sends the status line and headers now, before any frame (a stream whose body is late). */
    void flushHeaders() {
      try {
        if (!channel.flush()) {
          channel.resumeWrites(); // the rest goes out with the first frame
        }
      } catch (IOException e) {
        IoUtils.safeClose(exchange.getConnection());
      }
    }

    /** Writes the next frame, cuts, or ends the exchange after the last frame. */
    void next() {
      if (index == cutAt) {
        IoUtils.safeClose(exchange.getConnection());
        return;
      }
      if (index == frames.size()) {
        if (!holdOpen) {
          exchange.endExchange();
        }
        return;
      }
      channel.getWriteSetter().set(this);
      handleEvent(channel);
    }

    /** Continues writing and flushing the current frame; called again by XNIO when writable. */
    @Override
    public void handleEvent(StreamSinkChannel ch) {
      ByteBuffer current = frames.get(index);
      try {
        while (current.hasRemaining()) {
          if (ch.write(current) == 0) {
            ch.resumeWrites();
            return;
          }
        }
        if (!ch.flush()) {
          ch.resumeWrites();
          return;
        }
      } catch (IOException e) {
        IoUtils.safeClose(exchange.getConnection());
        return;
      }
      ch.suspendWrites();
      index++;
      if (index == frames.size() || index == cutAt || index >= pacedFrames) {
        next();
      } else {
        later(exchange, delayMs, this::next);
      }
    }
  }
}
