package io.gatehouse.proxy.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.proxy.provider.ChatStream;
import io.gatehouse.proxy.provider.Usage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Taps an OpenAI chat completions SSE stream as it passes through: splits the upstream bytes into SSE
 * events (a blank line ends one), reads their {@code data:} JSON for model, completion text,
 * finish_reason, usage and errors, and returns the bytes to forward to the client.
 *
 * <p>Every complete event is returned by the {@link #feed} call that completes it, so nothing waits for
 * more than its own end of line; only the incomplete tail of a chunk is held until the next chunk. The
 * one event that may be dropped is the usage-only chunk ({@code choices: []} with {@code usage}) when the
 * client did not ask for it: the proxy always asks upstream for usage.
 *
 * <p>Not thread-safe: one tap per stream, fed by one thread at a time.
 */
public final class OpenAiStreamTap implements ChatStream {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Bound on the completion text kept for the event (characters). */
  static final int MAX_COMPLETION_CHARS = 1 << 20;

  private final boolean forwardUsageChunk;
  private byte[] pending = new byte[0];
  private int pendingLength;
  private final StringBuilder completion = new StringBuilder();
  private String model;
  private String finishReason;
  private Usage usage;
  private String errorMessage;
  /** A malformed chunk arrived: it was replaced by an error event and nothing more is forwarded. */
  private boolean broken;
  private static final String MALFORMED_MESSAGE =
      "The provider sent a malformed stream chunk (not valid JSON); Gatehouse ended the stream.";
  private static final byte[] MALFORMED_EVENT = ("data: {\"error\":{\"message\":\"" + MALFORMED_MESSAGE
      + "\",\"type\":\"upstream_error\",\"param\":null,\"code\":\"malformed_chunk\"}}\n\n")
      .getBytes(java.nio.charset.StandardCharsets.UTF_8);
  private String errorType;
  private boolean done;
  private int events;

  /** @param forwardUsageChunk whether the client asked for {@code stream_options.include_usage} */
  public OpenAiStreamTap(boolean forwardUsageChunk) {
    this.forwardUsageChunk = forwardUsageChunk;
  }

  /**
   * Consumes upstream bytes (the buffer is read fully) and returns what to send to the client now,
   * possibly empty: the complete events in arrival order, minus a dropped usage chunk.
   */
  @Override
  public ByteBuffer feed(ByteBuffer chunk) {
    int n = chunk.remaining();
    ensureCapacity(pendingLength + n);
    chunk.get(pending, pendingLength, n);
    int scanFrom = Math.max(0, pendingLength - 2);
    pendingLength += n;

    ByteBuffer out = null;
    int eventStart = 0;
    int forwardStart = 0; // start of the run of bytes to forward, not yet copied
    int i = scanFrom;
    while (i < pendingLength) {
      if (pending[i] != '\n') {
        i++;
        continue;
      }
      int end = blankLineEnd(i);
      if (end < 0) {
        i++;
        continue;
      }
      // bytes [eventStart, end) are one complete event; after a malformed one nothing more is forwarded
      boolean wasBroken = broken;
      boolean keep = !wasBroken && inspect(eventStart, end);
      if (!keep) {
        out = append(out, forwardStart, eventStart);
        if (!wasBroken && broken) {
          out = appendBytes(out, MALFORMED_EVENT);
        }
        forwardStart = end;
      }
      eventStart = end;
      i = end;
    }
    out = append(out, forwardStart, eventStart);
    // keep the incomplete tail
    int tail = pendingLength - eventStart;
    System.arraycopy(pending, eventStart, pending, 0, tail);
    pendingLength = tail;
    return out == null ? ByteBuffer.allocate(0) : out.flip();
  }

  /** Bytes of an incomplete last event when the upstream ended; forwarded as they are. */
  @Override
  public ByteBuffer remainder() {
    if (broken) {
      pendingLength = 0;
      return ByteBuffer.allocate(0);
    }
    ByteBuffer rest = ByteBuffer.wrap(Arrays.copyOf(pending, pendingLength));
    pendingLength = 0;
    return rest;
  }

  /** If pending[i] is '\n' followed by an optional '\r' and '\n', the index after the blank line. */
  private int blankLineEnd(int i) {
    int j = i + 1;
    if (j < pendingLength && pending[j] == '\r') {
      j++;
    }
    if (j < pendingLength && pending[j] == '\n') {
      return j + 1;
    }
    return -1;
  }

  private ByteBuffer appendBytes(ByteBuffer out, byte[] bytes) {
    if (out == null) {
      out = ByteBuffer.allocate(pendingLength + bytes.length);
    } else if (out.remaining() < bytes.length) {
      ByteBuffer bigger = ByteBuffer.allocate(out.position() + bytes.length + pendingLength);
      out = bigger.put(out.flip());
    }
    return out.put(bytes);
  }

  private ByteBuffer append(ByteBuffer out, int from, int to) {
    if (to <= from) {
      return out;
    }
    if (out == null) {
      out = ByteBuffer.allocate(pendingLength);
    } else if (out.remaining() < to - from) {
      out = ByteBuffer.allocate(out.position() + pendingLength + MALFORMED_EVENT.length).put(out.flip());
    }
    return out.put(pending, from, to - from);
  }

  /** Reads one event's data; returns whether to forward it. */
  private boolean inspect(int from, int to) {
    events++;
    String data = dataOf(from, to);
    if (data == null) {
      return true; // comments, keep-alives, other fields: forwarded untouched
    }
    if (data.equals("[DONE]")) {
      done = true;
      return true;
    }
    JsonNode chunk;
    try {
      chunk = JSON.readTree(data);
    } catch (IOException e) {
      if (data.startsWith("{")) { // meant as a chunk but broken: the client's SDK would choke on it
        broken = true;
        errorMessage = MALFORMED_MESSAGE;
        errorType = "upstream_error";
        return false;
      }
      return true; // not JSON at all (a server's own keep-alive): not ours to judge, forward
    }
    if (chunk == null || !chunk.isObject()) {
      return true;
    }
    if (model == null) { // Azure's leading prompt_filter_results chunk names model ""
      String named = OpenAiChat.textOrNull(chunk.get("model"));
      model = named == null || named.isEmpty() ? null : named;
    }
    JsonNode error = chunk.get("error");
    if (error != null && error.isObject()) {
      errorMessage = error.path("message").asText(null);
      errorType = OpenAiChat.textOrNull(error.get("type"));
      return true;
    }
    JsonNode choices = chunk.get("choices");
    if (choices != null && choices.isArray()) {
      for (JsonNode choice : choices) {
        if (choice.path("index").asInt(0) != 0) {
          continue; // the event records choice 0 only
        }
        JsonNode content = choice.path("delta").get("content");
        if (content != null && content.isTextual() && completion.length() < MAX_COMPLETION_CHARS) {
          completion.append(content.asText(), 0,
              Math.min(content.asText().length(), MAX_COMPLETION_CHARS - completion.length()));
        }
        String finish = OpenAiChat.textOrNull(choice.get("finish_reason"));
        if (finish != null) {
          finishReason = finish;
        }
      }
    }
    JsonNode u = chunk.get("usage");
    if (u != null && u.isObject()) {
      usage = OpenAiChat.usage(u);
      if (!forwardUsageChunk && choices != null && choices.isArray() && choices.isEmpty()) {
        return false;
      }
    }
    return true;
  }

  /**
   * The joined {@code data:} lines of an event, or null when it has none. Lines end with LF or CRLF. Scans
   * the bytes in place and decodes only the values: this runs for every chunk of every stream.
   */
  private String dataOf(int from, int to) {
    String data = null;
    StringBuilder joined = null; // only for the rare event of several data lines
    int lineStart = from;
    while (lineStart < to) {
      int lineEnd = lineStart;
      while (lineEnd < to && pending[lineEnd] != '\n') {
        lineEnd++;
      }
      int end = lineEnd > lineStart && pending[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
      if (isDataLine(lineStart, end)) {
        int valueStart = lineStart + 5 < end && pending[lineStart + 5] == ' ' ? lineStart + 6 : lineStart + 5;
        String value = new String(pending, valueStart, end - valueStart, StandardCharsets.UTF_8);
        if (data == null) {
          data = value;
        } else {
          joined = (joined == null ? new StringBuilder(data) : joined).append('\n').append(value);
        }
      }
      lineStart = lineEnd + 1;
    }
    return joined != null ? joined.toString() : data;
  }

  private boolean isDataLine(int from, int to) {
    return to - from >= 5 && pending[from] == 'd' && pending[from + 1] == 'a' && pending[from + 2] == 't'
        && pending[from + 3] == 'a' && pending[from + 4] == ':';
  }

  private void ensureCapacity(int needed) {
    if (pending.length < needed) {
      pending = Arrays.copyOf(pending, Math.max(needed, pending.length * 2));
    }
  }

  @Override
  public String model() {
    return model;
  }

  @Override
  public String finishReason() {
    return finishReason;
  }

  /** The concatenated content deltas of choice 0 (bounded). */
  @Override
  public String completion() {
    return completion.toString();
  }

  @Override
  public Usage usage() {
    return usage;
  }

  /** Message of an {@code error} event seen in the stream, or null. */
  @Override
  public String errorMessage() {
    return errorMessage;
  }

  @Override
  public String errorType() {
    return errorType;
  }

  /** Whether {@code data: [DONE]} was seen. */
  @Override
  public boolean done() {
    return done;
  }

  /** Complete events seen so far. */
  public int events() {
    return events;
  }
}
