package io.gatehouse.proxy.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Loads {@code fixtures/anthropic/} files from the test classpath. */
final class Fixtures {
  static final ObjectMapper JSON = new ObjectMapper();

  private Fixtures() {}

  static String text(String name) {
    try (InputStream in = Fixtures.class.getResourceAsStream("/fixtures/anthropic/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ObjectNode json(String name) {
    return (ObjectNode) parse(text(name));
  }

  static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One SSE event of a transcript: its {@code event:} field and parsed {@code data:}. */
  record Event(String type, JsonNode data) {}

  /** Parses an {@code .sse} transcript: events separated by blank lines. */
  static List<Event> sse(String name) {
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
}
