package io.gatehouse.proxy.keys;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Virtual key secrets: {@code sk-gh-} + 40 random base62 characters (≈ 238 bits, and the shape the event
 * redaction masks), stored only as their SHA-256. A fast hash is right here: the secret is random, not
 * a password, so there is nothing to brute-force. Thread-safe.
 */
public final class KeySecrets {
  public static final String PREFIX = "sk-gh-";
  private static final char[] BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();

  private KeySecrets() {}

  public static String newSecret() {
    return PREFIX + random(40);
  }

  public static String newId() {
    return "vk_" + random(16);
  }

  public static String sha256Hex(String secret) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JRE", e);
    }
  }

  /** {@code sk-gh-Ab3…9xYz}: enough to recognise a key, far too little to use it. */
  public static String hint(String secret) {
    return secret.substring(0, PREFIX.length() + 3) + "…" + secret.substring(secret.length() - 4);
  }

  private static String random(int n) {
    char[] out = new char[n];
    for (int i = 0; i < n; i++) {
      out[i] = BASE62[RANDOM.nextInt(BASE62.length)];
    }
    return new String(out);
  }
}
