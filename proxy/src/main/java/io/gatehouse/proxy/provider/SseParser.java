package io.gatehouse.proxy.provider;

import java.nio.ByteBuffer;
import java.util.Arrays;
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

  private static final byte[] EVENT = {'e', 'v', 'e', 'n', 't'};
  private static final byte[] DATA = {'d', 'a', 't', 'a'};

  private final Listener listener;
  /** The line so far, bytes not yet decoded; only a field's value is ever decoded. */
  private byte[] line = new byte[256];
  private int length;
  private boolean afterCr;
  private String event;
  /** The previous event's name: a stream repeats a handful of them, so the same String serves again. */
  private String lastEvent;
  /** The event's data when it has one line (the usual case), else null and in {@link #moreData}. */
  private String data;
  private StringBuilder moreData;

  public SseParser(Listener listener) {
    this.listener = listener;
  }

  /** Consumes {@code piece} entirely, emitting every event it completes. */
  public void feed(ByteBuffer piece) {
    while (piece.hasRemaining()) {
      byte b = piece.get(piece.position());
      if (b == '\n' || b == '\r') {
        piece.get();
        if (!(afterCr && b == '\n')) {
          endOfLine();
        }
        afterCr = b == '\r';
        continue;
      }
      afterCr = false;
      // copy the run of bytes up to the next line end (or the piece's end) at once
      int from = piece.position();
      int to = from;
      int limit = piece.limit();
      while (to < limit) {
        byte c = piece.get(to);
        if (c == '\n' || c == '\r') {
          break;
        }
        to++;
      }
      append(piece, to - from);
    }
  }

  private void append(ByteBuffer piece, int n) {
    if (length + n > MAX_LINE_BYTES) {
      throw new IllegalStateException("SSE line longer than " + MAX_LINE_BYTES + " bytes");
    }
    if (length + n > line.length) {
      line = Arrays.copyOf(line, Math.max(length + n, 2 * line.length));
    }
    piece.get(line, length, n);
    length += n;
  }

  private void endOfLine() {
    int n = length;
    length = 0;
    if (n == 0) {
      if (data != null) {
        listener.onEvent(event, moreData == null ? data : moreData.toString());
      }
      event = null;
      data = null;
      moreData = null;
      return;
    }
    if (line[0] == ':') {
      return;
    }
    int colon = 0;
    while (colon < n && line[colon] != ':') {
      colon++;
    }
    int from = Math.min(n, colon + 1);
    if (from < n && line[from] == ' ') {
      from++;
    }
    if (is(EVENT, colon)) {
      event = value(from, n, lastEvent);
      lastEvent = event;
    } else if (is(DATA, colon)) {
      String value = value(from, n, null);
      if (data == null) {
        data = value;
      } else {
        if (moreData == null) {
          moreData = new StringBuilder(data);
        }
        moreData.append('\n').append(value);
      }
    }
  }

  /** Whether the line's field name, {@code line[0, end)}, is {@code name}. */
  private boolean is(byte[] name, int end) {
    return Arrays.equals(line, 0, end, name, 0, name.length);
  }

  /** {@code line[from, to)} decoded; {@code same} itself when it is the same (ASCII) text, as event names repeat. */
  private String value(int from, int to, String same) {
    if (same != null && same.length() == to - from) {
      boolean equal = true;
      for (int i = from; i < to && equal; i++) {
        equal = line[i] == same.charAt(i - from);
      }
      if (equal) {
        return same;
      }
    }
    return new String(line, from, to - from, StandardCharsets.UTF_8);
  }
}
