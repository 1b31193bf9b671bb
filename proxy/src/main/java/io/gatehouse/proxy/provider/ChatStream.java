package io.gatehouse.proxy.provider;

import java.nio.ByteBuffer;

/**
 * One streamed answer on its way to the client: upstream bytes in, OpenAI SSE bytes out (in OpenAI's
 * wire format, {@code data: ...\n\n} events, {@code data: [DONE]} last), and what the event records.
 * Every complete upstream event is translated by the {@link #feed} call that completes it: nothing is
 * held back but an incomplete tail.
 *
 * <p>Not thread-safe: one per stream, fed by one thread at a time.
 */
public interface ChatStream {
  /** Bytes to write to the client now (possibly none) for one piece of upstream body. */
  ByteBuffer feed(ByteBuffer piece);

  /** Bytes still owed to the client when the upstream body ended (possibly none). */
  ByteBuffer remainder();

  /** The model the provider says answered, or null. */
  String model();

  String finishReason();

  /** The answer text so far (bounded). */
  String completion();

  Usage usage();

  /** The message of an error the provider reported in the stream, or null. */
  String errorMessage();

  String errorType();

  /** Whether the stream reached its proper end ({@code [DONE]} was or will be sent). */
  boolean done();
}
