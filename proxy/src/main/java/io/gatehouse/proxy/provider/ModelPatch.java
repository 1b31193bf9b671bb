package io.gatehouse.proxy.provider;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Replaces the value of the top-level {@code "model"} field in a JSON object's original bytes and
 * leaves every other byte as the client sent it (key order, whitespace, number spelling, unknown
 * fields): a passthrough forwards the client's request, not Gatehouse's re-serialisation of it.
 * Stateless; thread-safe.
 */
public final class ModelPatch {
  private static final JsonFactory JSON = new JsonFactory();

  private ModelPatch() {}

  /**
   * {@code body} with every top-level {@code model} value replaced by the JSON string {@code model};
   * {@code body} itself when there is none. The caller has already parsed {@code body} as a JSON object.
   *
   * @throws IllegalArgumentException when {@code body} is not a JSON object
   */
  public static byte[] replace(byte[] body, String model) {
    List<long[]> spans = new ArrayList<>();
    try (JsonParser p = JSON.createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("not a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        boolean isModel = p.currentName().equals("model");
        JsonToken value = p.nextToken();
        long start = p.currentTokenLocation().getByteOffset();
        if (value.isStructStart()) {
          p.skipChildren();
        } else {
          p.getText(); // finishes a lazily parsed string, so the location below is past its end
        }
        if (isModel) {
          spans.add(new long[] {start, p.currentLocation().getByteOffset()});
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("not a JSON object", e);
    }
    if (spans.isEmpty()) {
      return body;
    }
    byte[] replacement = ('"' + new String(JsonStringEncoder.getInstance().quoteAsString(model)) + '"')
        .getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + replacement.length);
    int at = 0;
    for (long[] span : spans) {
      out.write(body, at, (int) span[0] - at);
      out.write(replacement, 0, replacement.length);
      at = (int) span[1];
    }
    out.write(body, at, body.length - at);
    return out.toByteArray();
  }
}
