package io.gatehouse.proxy.logs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.schemas.EventIds;
import io.gatehouse.schemas.EventJson;
import io.gatehouse.schemas.GatehouseEvent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Golden files: a payload under {@code src/test/resources/logs/} and the events it must become
 * ({@code <name>.events.json}, compared as JSON without {@code event_id}); every event must also satisfy
 * the event contract ({@code gatehouse/event-v1.schema.json}). Run with
 * {@code -Dgolden.update=true} to rewrite the expected files, then review the diff.
 */
final class Golden {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final com.networknt.schema.JsonSchema SCHEMA = eventSchema();

  private Golden() {}

  private static com.networknt.schema.JsonSchema eventSchema() {
    try (InputStream in = GatehouseEvent.class.getResourceAsStream("/gatehouse/event-v1.schema.json")) {
      return com.networknt.schema.JsonSchemaFactory.getInstance(com.networknt.schema.SpecVersion.VersionFlag.V202012)
          .getSchema(in);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static byte[] payload(String name) throws IOException {
    try (InputStream in = Golden.class.getResourceAsStream("/logs/" + name)) {
      assertThat(in).as("fixture /logs/" + name).isNotNull();
      return in.readAllBytes();
    }
  }

  /** Compares the events (event ids checked for UUIDv7 on ts_start, then left out) with the golden file. */
  static void assertMatches(String expectedName, List<GatehouseEvent> events) throws IOException {
    ArrayNode actual = JSON.createArrayNode();
    for (GatehouseEvent e : events) {
      assertThat(EventIds.epochMs(e.eventId())).as("event id's time").isEqualTo(e.tsStartMs());
      ObjectNode n = (ObjectNode) JSON.readTree(EventJson.toBytes(e));
      assertThat(SCHEMA.validate(n)).as("event-v1 schema violations of " + n).isEmpty();
      n.remove("event_id");
      actual.add(n);
    }
    Path file = Path.of("src/test/resources/logs", expectedName);
    if (Boolean.getBoolean("golden.update")) {
      Files.writeString(file, JSON.writeValueAsString(actual) + "\n");
    }
    JsonNode expected = JSON.readTree(payload(expectedName));
    assertThat(actual).as("events vs " + file).isEqualTo(expected);
  }
}
