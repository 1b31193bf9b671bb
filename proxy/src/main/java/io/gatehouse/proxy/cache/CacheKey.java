package io.gatehouse.proxy.cache;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The canonical hash of everything that can change a chat completion's answer.
 *
 * <p>What is in the key: the scope (team or client key, when configured), the route and the model it
 * resolved to (the first target), the answer's form (JSON, SSE, SSE with a usage chunk), and the whole
 * request body except {@link #NOT_IN_KEY}. Unknown fields ARE part of the key: a parameter Gatehouse
 * does not know may change the answer. The body is canonical before hashing: object keys sorted, numbers
 * compared by value ({@code 1}, {@code 1.0} and {@code 1e0} are one number), strings exact.
 *
 * <p>SHA-256 (JDK, hardware-accelerated where the CPU has SHA extensions): collision-resistant, so two
 * different requests never share an answer by accident — with a 64-bit or non-cryptographic hash a crafted
 * collision could serve one tenant's answer to another. Hashing a few KB takes microseconds.
 *
 * <p>Stateless and thread-safe.
 */
public final class CacheKey {
  /**
   * Fields that do not change the answer: who is asking ({@code user}: attribution), how the answer is
   * framed ({@code stream}, {@code stream_options}: the form is keyed separately), and OpenAI's
   * stored-completions bookkeeping ({@code store}, {@code metadata}). Everything else is in the key.
   */
  public static final Set<String> NOT_IN_KEY = Set.of("user", "stream", "stream_options", "store", "metadata");

  /** How the client wants the answer: a hit must be in the same form (no conversion). */
  public enum Form { JSON, SSE, SSE_WITH_USAGE }

  /**
   * @param exact the exact key (hex SHA-256)
   * @param partition the key of everything but the last user turn's text: semantic lookups compare only
   *     within it (hex SHA-256); null when the request has no textual last user turn
   * @param lastUserText the last user turn's text, or null
   * @param userTurns how many user messages the conversation has
   */
  public record Keys(String exact, String partition, String lastUserText, int userTurns) {}

  private CacheKey() {}

  public static Keys of(JsonNode request, String scope, String route, String target, Form form) {
    String header = "gatehouse-cache-v1\n" + scope + "\n" + route + "\n" + target + "\n" + form + "\n";
    MessageDigest exact = sha256();
    exact.update(header.getBytes(StandardCharsets.UTF_8));
    StringBuilder canonical = new StringBuilder(256);
    writeRequest(request, canonical, null);
    exact.update(canonical.toString().getBytes(StandardCharsets.UTF_8));

    JsonNode messages = request.get("messages");
    int userTurns = 0;
    int lastUser = -1;
    if (messages != null && messages.isArray()) {
      for (int i = 0; i < messages.size(); i++) {
        if ("user".equals(messages.get(i).path("role").asText())) {
          userTurns++;
          lastUser = i;
        }
      }
    }
    String text = lastUser < 0 || lastUser != messages.size() - 1 ? null : textOf(messages.get(lastUser).get("content"));
    String partition = null;
    if (text != null) {
      StringBuilder rest = new StringBuilder(256);
      writeRequest(request, rest, messages.get(lastUser));
      MessageDigest p = sha256();
      p.update(("semantic\n" + header).getBytes(StandardCharsets.UTF_8));
      p.update(rest.toString().getBytes(StandardCharsets.UTF_8));
      partition = HexFormat.of().formatHex(p.digest());
    }
    return new Keys(HexFormat.of().formatHex(exact.digest()), partition, text, userTurns);
  }

  /** The text of a message's content: a string, or the concatenated text parts (null if any part is not text). */
  static String textOf(JsonNode content) {
    if (content == null) {
      return null;
    }
    if (content.isTextual()) {
      return content.asText();
    }
    if (!content.isArray()) {
      return null;
    }
    StringBuilder sb = new StringBuilder();
    for (JsonNode part : content) {
      if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
        return null; // an image or audio part: only exact matches
      }
      sb.append(sb.length() == 0 ? "" : "\n").append(part.get("text").asText());
    }
    return sb.toString();
  }

  /** The body without {@link #NOT_IN_KEY} and {@code model}; {@code blankContent}'s content is left out. */
  private static void writeRequest(JsonNode request, StringBuilder out, JsonNode blankContent) {
    List<String> names = new ArrayList<>();
    request.fieldNames().forEachRemaining(names::add);
    names.sort(null);
    out.append('{');
    for (String name : names) {
      if (NOT_IN_KEY.contains(name) || name.equals("model")) {
        continue;
      }
      quote(name, out);
      out.append(':');
      if (blankContent != null && name.equals("messages")) {
        writeMessages(request.get(name), out, blankContent);
      } else {
        write(request.get(name), out);
      }
      out.append(',');
    }
    out.append('}');
  }

  private static void writeMessages(JsonNode messages, StringBuilder out, JsonNode blankContent) {
    out.append('[');
    for (JsonNode m : messages) {
      if (m == blankContent) {
        out.append("{\"role\":\"user\",\"content\":?}");
      } else {
        write(m, out);
      }
      out.append(',');
    }
    out.append(']');
  }

  /** Canonical JSON: sorted keys, numbers by value; unambiguous (every value is typed by its first char). */
  static void write(JsonNode n, StringBuilder out) {
    switch (n.getNodeType()) {
      case OBJECT -> {
        List<Map.Entry<String, JsonNode>> fields = new ArrayList<>(n.size());
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
          fields.add(it.next());
        }
        fields.sort(Map.Entry.comparingByKey());
        out.append('{');
        for (Map.Entry<String, JsonNode> f : fields) {
          quote(f.getKey(), out);
          out.append(':');
          write(f.getValue(), out);
          out.append(',');
        }
        out.append('}');
      }
      case ARRAY -> {
        out.append('[');
        for (JsonNode e : n) {
          write(e, out);
          out.append(',');
        }
        out.append(']');
      }
      case STRING -> quote(n.asText(), out);
      case NUMBER -> {
        BigDecimal d = n.decimalValue();
        out.append('#').append(d.signum() == 0 ? "0" : d.stripTrailingZeros().toString());
      }
      case BOOLEAN -> out.append(n.asBoolean() ? 't' : 'f');
      case NULL -> out.append('n');
      default -> quote(n.toString(), out);
    }
  }

  private static void quote(String s, StringBuilder out) {
    // length-prefixed: no escaping needed and no two different strings write the same bytes
    out.append('"').append(s.length()).append(':').append(s);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** SHA-256 hex of a secret (a client key), for scoping without keeping the secret. */
  public static String fingerprint(String secret) {
    return HexFormat.of().formatHex(sha256().digest(secret.getBytes(StandardCharsets.UTF_8)));
  }
}
