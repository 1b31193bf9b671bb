package io.gatehouse.proxy.provider;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Incremental Server-Sent Events parser (the WHATWG framing): bytes arrive in arbitrary pieces, an
 * event is emitted as soon as the blank line that ends it arrives. Lines end with LF, CRLF or CR (a
 * CRLF split across two pieces counts once). {@code event:} and {@code data:} fields are kept (several
 * data lines join with LF), comments ({@code :...}) and other fields are ignored, one space after the
 * colon is dropped. Lines are decoded as UTF-8 only when complete, so a character split across pieces
 * survives. An event without data is not emitted (as browsers do).
 *
 * <p>Not thread-safe: one parser per stream.
 */
public final class SseParser {
  /** Receives each complete event; {@code event} is null when the event had no {@code event:} field. */
  public interface Listener {
    void onEvent(String event, String data);
  }

  /** Bound on one line, so that a broken upstream cannot fill memory. */
  static final int MAX_LINE_BYTES = 16 << 20;

  private final Listener listener;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  private boolean afterCr;
  private String event;
  private StringBuilder data;

  public SseParser(Listener listener) {
    this.listener = listener;
  }

  /** Consumes {@code piece} entirely, emitting every event it completes. */
  public void feed(ByteBuffer piece) {
    while (piece.hasRemaining()) {
      byte b = piece.get();
      if (afterCr && b == '\n') {
        afterCr = false;
        continue;
      }
      afterCr = b == '\r';
      if (b == '\n' || b == '\r') {
        endOfLine();
      } else {
        if (line.size() >= MAX_LINE_BYTES) {
          throw new IllegalStateException("SSE line longer than " + MAX_LINE_BYTES + " bytes");
        }
        line.write(b);
      }
    }
  }

  private void endOfLine() {
    String text = line.toString(StandardCharsets.UTF_8);
    line.reset();
    if (text.isEmpty()) {
      if (data != null) {
        listener.onEvent(event, data.toString());
      }
      event = null;
      data = null;
      return;
    }
    if (text.charAt(0) == ':') {
      return;
    }
    int colon = text.indexOf(':');
    String field = colon < 0 ? text : text.substring(0, colon);
    String value = colon < 0 ? "" : text.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    if (field.equals("event")) {
      event = value;
    } else if (field.equals("data")) {
      if (data == null) {
        data = new StringBuilder(value);
      } else {
        data.append('\n').append(value);
      }
    }
  }
}
