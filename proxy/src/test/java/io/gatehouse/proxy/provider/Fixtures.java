package io.gatehouse.proxy.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/**
 * Test fixtures of the provider translators: the files of one {@code fixtures/<provider>/} folder on
 * the test classpath ({@link #ANTHROPIC}, {@link #GEMINI}; the Gemini folder also holds the contract
 * fixtures of {@code test-support}), JSON parsing, and the assertion that a request is refused.
 */
public final class Fixtures {
  public static final ObjectMapper JSON = new ObjectMapper();
  public static final Fixtures ANTHROPIC = new Fixtures("anthropic");
  public static final Fixtures GEMINI = new Fixtures("gemini");

  private final String folder;

  private Fixtures(String folder) {
    this.folder = folder;
  }

  public byte[] bytes(String name) {
    try (InputStream in = Fixtures.class.getResourceAsStream("/fixtures/" + folder + "/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String text(String name) {
    return new String(bytes(name), StandardCharsets.UTF_8);
  }

  public ObjectNode json(String name) {
    return (ObjectNode) parse(bytes(name));
  }

  /** One SSE event of a transcript: its {@code event:} field and parsed {@code data:}. */
  public record Event(String type, JsonNode data) {}

  /** Parses an {@code .sse} transcript: events separated by blank lines. */
  public List<Event> sse(String name) {
    List<Event> events = new ArrayList<>();
    for (String block : text(name).split("\\r?\\n\\r?\\n")) {
      String type = null;
      StringBuilder data = new StringBuilder();
      for (String line : block.split("\\r?\\n")) {
        if (line.startsWith("event:")) {
          type = line.substring(6).trim();
        } else if (line.startsWith("data:")) {
          data.append(line.substring(5).trim());
        }
      }
      if (data.length() > 0) {
        events.add(new Event(type, parse(data.toString())));
      }
    }
    return events;
  }

  public static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static JsonNode parse(byte[] json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code node} written and read again, so that numbers compare by value, not by node class (LongNode vs IntNode). */
  public static ObjectNode reparsed(ObjectNode node) {
    return (ObjectNode) parse(node.toString());
  }

  /**
   * Asserts that {@code translation} refuses the request with a {@link TranslationException} whose
   * {@code param} is {@code param} and whose message contains {@code messagePart}; returns it.
   */
  public static TranslationException assertRefused(ThrowingCallable translation, String param, String messagePart) {
    Throwable thrown = catchThrowable(translation);
    assertThat(thrown).isInstanceOf(TranslationException.class).hasMessageContaining(messagePart);
    TranslationException e = (TranslationException) thrown;
    assertThat(e.param()).isEqualTo(param);
    return e;
  }
}
