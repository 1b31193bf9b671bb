package io.gatehouse.proxy.provider.openai;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
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
  private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);
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
  /** The current event's data (see {@link #findData}). */
  private int dataStart;
  private int dataEnd;
  private byte[] joinedData;

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
    if (!findData(from, to)) {
      return true; // comments, keep-alives, other fields: forwarded untouched
    }
    byte[] buf = joinedData != null ? joinedData : pending;
    int off = joinedData != null ? 0 : dataStart;
    int len = joinedData != null ? joinedData.length : dataEnd - dataStart;
    if (len == DONE.length && Arrays.equals(buf, off, off + len, DONE, 0, DONE.length)) {
      done = true;
      return true;
    }
    try (JsonParser p = JSON.getFactory().createParser(buf, off, len)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return true; // empty, a scalar or an array: not a chunk, forwarded as it is
      }
      return chunk(p);
    } catch (IOException e) {
      if (len > 0 && buf[off] == '{') { // meant as a chunk but broken: the client's SDK would choke on it
        broken = true;
        errorMessage = MALFORMED_MESSAGE;
        errorType = "upstream_error";
        return false;
      }
      return true; // not JSON at all (a server's own keep-alive): not ours to judge, forward
    }
  }

  /**
   * Reads one chunk object with the streaming parser (no tree per chunk; only {@code usage}, once per
   * stream, becomes one) and applies what it says once the whole object parsed: a malformed chunk
   * changes nothing but {@link #broken}. Returns whether to forward it.
   */
  private boolean chunk(JsonParser p) throws IOException {
    String chunkModel = null;
    boolean hasError = false;
    String chunkErrorMessage = null;
    String chunkErrorType = null;
    boolean hasChoices = false;
    int choiceCount = 0;
    StringBuilder content = null;
    String finish = null;
    JsonNode usageNode = null;
    for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      switch (field) {
        case "model" -> chunkModel = value == JsonToken.VALUE_STRING ? p.getText() : null;
        case "error" -> {
          if (value == JsonToken.START_OBJECT) {
            hasError = true;
            chunkErrorMessage = null;
            chunkErrorType = null;
            for (JsonToken e = p.nextToken(); e == JsonToken.FIELD_NAME; e = p.nextToken()) {
              String name = p.currentName();
              JsonToken v = p.nextToken();
              if (name.equals("message")) {
                chunkErrorMessage = v.isScalarValue() && v != JsonToken.VALUE_NULL ? p.getText() : null;
              } else if (name.equals("type")) {
                chunkErrorType = v == JsonToken.VALUE_STRING ? p.getText() : null;
              }
              p.skipChildren();
            }
          } else {
            hasError = false;
            p.skipChildren();
          }
        }
        case "choices" -> {
          hasChoices = value == JsonToken.START_ARRAY;
          choiceCount = 0;
          content = null;
          finish = null;
          if (!hasChoices) {
            p.skipChildren();
            break;
          }
          for (JsonToken c = p.nextToken(); c != JsonToken.END_ARRAY; c = p.nextToken()) {
            choiceCount++;
            if (c != JsonToken.START_OBJECT) {
              p.skipChildren();
              continue;
            }
            Choice choice = choice(p);
            if (choice.index != 0) {
              continue; // the event records choice 0 only
            }
            if (choice.content != null) {
              content = (content == null ? new StringBuilder() : content).append(choice.content);
            }
            if (choice.finish != null) {
              finish = choice.finish;
            }
          }
        }
        case "usage" -> usageNode = value == JsonToken.START_OBJECT ? JSON.readTree(p) : null;
        default -> p.skipChildren();
      }
    }
    // the order of a tree read: model, then an error (which ends the chunk), then choices, then usage
    if (model == null) { // Azure's leading prompt_filter_results chunk names model ""
      model = chunkModel == null || chunkModel.isEmpty() ? null : chunkModel;
    }
    if (hasError) {
      errorMessage = chunkErrorMessage;
      errorType = chunkErrorType;
      return true;
    }
    if (content != null && completion.length() < MAX_COMPLETION_CHARS) {
      completion.append(content, 0, Math.min(content.length(), MAX_COMPLETION_CHARS - completion.length()));
    }
    if (finish != null) {
      finishReason = finish;
    }
    if (usageNode != null) {
      usage = OpenAiChat.usage(usageNode);
      return forwardUsageChunk || !hasChoices || choiceCount > 0;
    }
    return true;
  }

  private record Choice(int index, String content, String finish) {}

  private static int skipped(JsonParser p, int value) throws IOException {
    p.skipChildren();
    return value;
  }

  /** One element of {@code choices} (the parser is on its START_OBJECT); leaves it on the END_OBJECT. */
  private static Choice choice(JsonParser p) throws IOException {
    int index = 0;
    String content = null;
    String finish = null;
    for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      switch (field) {
        case "index" -> index = value.isScalarValue() ? p.getValueAsInt(0) : skipped(p, 0);
        case "finish_reason" -> finish = value == JsonToken.VALUE_STRING ? p.getText() : null;
        case "delta" -> {
          content = null;
          if (value != JsonToken.START_OBJECT) {
            p.skipChildren();
            break;
          }
          for (JsonToken d = p.nextToken(); d == JsonToken.FIELD_NAME; d = p.nextToken()) {
            boolean isContent = p.currentName().equals("content");
            JsonToken v = p.nextToken();
            if (isContent) {
              content = v == JsonToken.VALUE_STRING ? p.getText() : null;
            }
            p.skipChildren();
          }
        }
        default -> p.skipChildren();
      }
    }
    return new Choice(index, content, finish);
  }

  /**
   * Finds the event's {@code data:} lines in place: true when it has any, with the value of a single
   * line at {@link #dataStart}..{@link #dataEnd} of {@link #pending}, or several lines joined with
   * {@code \n} in {@link #joinedData}. Lines end with LF or CRLF. This runs for every chunk of every
   * stream, so the common single line is neither copied nor decoded.
   */
  private boolean findData(int from, int to) {
    boolean found = false;
    joinedData = null;
    java.io.ByteArrayOutputStream joined = null; // only for the rare event of several data lines
    int lineStart = from;
    while (lineStart < to) {
      int lineEnd = lineStart;
      while (lineEnd < to && pending[lineEnd] != '\n') {
        lineEnd++;
      }
      int end = lineEnd > lineStart && pending[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
      if (isDataLine(lineStart, end)) {
        int valueStart = lineStart + 5 < end && pending[lineStart + 5] == ' ' ? lineStart + 6 : lineStart + 5;
        if (!found) {
          found = true;
          dataStart = valueStart;
          dataEnd = end;
        } else {
          if (joined == null) {
            joined = new java.io.ByteArrayOutputStream();
            joined.write(pending, dataStart, dataEnd - dataStart);
          }
          joined.write('\n');
          joined.write(pending, valueStart, end - valueStart);
        }
      }
      lineStart = lineEnd + 1;
    }
    if (joined != null) {
      joinedData = joined.toByteArray();
    }
    return found;
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
