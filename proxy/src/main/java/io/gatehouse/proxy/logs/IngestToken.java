package io.gatehouse.proxy.logs;

import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The shared secret that protects the log receivers ({@code receivers.ingest_token},
 * {@code GATEHOUSE_INGEST_TOKEN}). A sender presents it as {@code Authorization: Bearer <token>} (what
 * OTLP exporters and LiteLLM's {@code generic_api} headers can send) or {@code x-gatehouse-ingest-token}.
 *
 * <p>Only the token's SHA-256 is kept, compared in constant time; the token is never logged and
 * {@link #toString} does not show it. Immutable and thread-safe.
 */
public final class IngestToken {
  static final String HEADER = "x-gatehouse-ingest-token";
  private static final IngestToken OPEN = new IngestToken(null);
  private final byte[] digest;

  private IngestToken(byte[] digest) {
    this.digest = digest;
  }

  /** A token to require, or none (receivers open) when {@code token} is null or blank. */
  public static IngestToken of(String token) {
    return token == null || token.isBlank() ? OPEN : new IngestToken(sha256(token.strip()));
  }

  public boolean required() {
    return digest != null;
  }

  /** Whether the request may use the receivers. */
  boolean allows(HeaderMap headers) {
    if (digest == null) {
      return true;
    }
    String presented = headers.getFirst(HEADER);
    if (presented == null) {
      String auth = headers.getFirst(Headers.AUTHORIZATION);
      if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
        presented = auth.substring(7);
      }
    }
    return presented != null && MessageDigest.isEqual(digest, sha256(presented.strip()));
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return digest == null ? "IngestToken[none]" : "IngestToken[set]";
  }
}
