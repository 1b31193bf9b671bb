package io.gatehouse.proxy.cache;

import io.gatehouse.proxy.provider.Usage;
import io.undertow.util.AttachmentKey;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * The answer of one cache miss on its way to the client, attached to the exchange ({@link #KEY}) by the
 * cache stage. The forwarder reports what it writes; only when it says the answer was complete and
 * successful ({@link #answered}) is anything stored. A new attempt ({@link #restart}) forgets what an
 * earlier one wrote; a stream longer than the largest storable answer is dropped as it grows.
 *
 * <p>Confined to the exchange's IO thread.
 */
public final class CacheCapture {
  public static final AttachmentKey<CacheCapture> KEY = AttachmentKey.create(CacheCapture.class);

  private final CacheStage stage;
  private final CacheKey.Keys keys;
  private final CacheKey.Form form;
  private final boolean semantic;
  private final float[] vector;
  private ByteArrayOutputStream streamed = new ByteArrayOutputStream();

  CacheCapture(CacheStage stage, CacheKey.Keys keys, CacheKey.Form form, boolean semantic, float[] vector) {
    this.stage = stage;
    this.keys = keys;
    this.form = form;
    this.semantic = semantic;
    this.vector = vector;
  }

  /** A (new) attempt's response starts: nothing written before it belongs to the answer. */
  public void restart() {
    streamed = new ByteArrayOutputStream();
  }

  /** Stream bytes exactly as written to the client (not consumed). */
  public void streamed(ByteBuffer piece) {
    if (streamed == null || !piece.hasRemaining()) {
      return;
    }
    if (streamed.size() + piece.remaining() > stage.maxEntryBytes()) {
      streamed = null; // too large to store: stop copying
      return;
    }
    ByteBuffer b = piece.duplicate();
    byte[] copy = new byte[b.remaining()];
    b.get(copy);
    streamed.write(copy, 0, copy.length);
  }

  /**
   * The client received a complete, successful answer (HTTP 200; a finish reason; a stream ended with
   * {@code [DONE]}): store it.
   *
   * @param jsonBody the JSON body sent, or null for a stream (its bytes came through {@link #streamed})
   * @param costUsd what the call cost, priced when its event finished (null if unpriced)
   */
  public void answered(byte[] jsonBody, String provider, String model, String finishReason, String completion,
      Usage usage, Double costUsd) {
    byte[] body = jsonBody != null ? jsonBody : streamed == null ? null : streamed.toByteArray();
    if (body == null || (jsonBody == null) != (form != CacheKey.Form.JSON)) {
      return;
    }
    stage.store(keys, semantic, vector,
        new CachedAnswer(body, form, provider, model, finishReason, completion, usage, costUsd));
  }
}
