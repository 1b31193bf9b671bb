package io.gatehouse.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class EventContractTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonSchema SCHEMA = loadSchema();

  static Stream<String> examples() throws IOException {
    return read("gatehouse/examples/index.txt").lines().map(String::strip).filter(s -> !s.isEmpty());
  }

  @ParameterizedTest
  @MethodSource("examples")
  void goldenExampleIsValidAgainstTheSchema(String name) throws IOException {
    JsonNode example = MAPPER.readTree(read("gatehouse/examples/" + name));
    assertThat(SCHEMA.validate(example)).as(name).isEmpty();
  }

  @ParameterizedTest
  @MethodSource("examples")
  void goldenExampleRoundTripsThroughTheRecordUnchanged(String name) throws IOException {
    JsonNode example = MAPPER.readTree(read("gatehouse/examples/" + name));
    GatehouseEvent event = EventJson.fromBytes(MAPPER.writeValueAsBytes(example));
    JsonNode back = MAPPER.readTree(EventJson.toBytes(event));
    // The record writes empty collections for absent tags/attempts; everything else is identical.
    ((com.fasterxml.jackson.databind.node.ObjectNode) back).remove(
        List.of(example.has("tags") ? "" : "tags", example.has("attempts") ? "" : "attempts"));
    assertThat(back).isEqualTo(example);
  }

  @Test
  void builtEventIsValidAgainstTheSchema() throws IOException {
    GatehouseEvent event =
        GatehouseEvent.builder()
            .tsStartMs(1_764_060_000_000L)
            .tsEndMs(1_764_060_000_010L)
            .durationMs(10)
            .endpoint("/v1/chat/completions")
            .modelRequested("openai/gpt-4o-mini")
            .status(200)
            .inputTokens(3L)
            .tags(Map.of("k", "v"))
            .attempts(List.of(new GatehouseEvent.Attempt("openai", "openai#0", "gpt-4o-mini", 200, null, 9)))
            .build();
    Set<ValidationMessage> errors = SCHEMA.validate(MAPPER.readTree(EventJson.toBytes(event)));
    assertThat(errors).isEmpty();
    assertThat(event.schemaVersion()).isEqualTo(1);
    assertThat(event.source()).isEqualTo("proxy");
  }

  @Test
  void schemaRejectsAnEventThatCarriesAnUnknownField() throws IOException {
    JsonNode example = MAPPER.readTree(read("gatehouse/examples/chat-non-stream.json"));
    ((com.fasterxml.jackson.databind.node.ObjectNode) example).put("provider_key", "sk-secret");
    assertThat(SCHEMA.validate(example)).isNotEmpty();
  }

  @Test
  void eventIdsAreVersion7AndCarryTheirTime() {
    long now = System.currentTimeMillis();
    UUID id = EventIds.forTime(now);
    assertThat(id.version()).isEqualTo(7);
    assertThat(id.variant()).isEqualTo(2);
    assertThat(EventIds.epochMs(id.toString())).isEqualTo(now);
    assertThat(EventIds.next()).isNotEqualTo(EventIds.next());
    assertThat(EventIds.of(now, 1, 2)).isEqualTo(EventIds.of(now, 1, 2)).isNotEqualTo(EventIds.of(now, 1, 3));
    assertThat(EventIds.of(now, -1, -1).version()).isEqualTo(7);
  }

  private static JsonSchema loadSchema() {
    try (InputStream in = resource("gatehouse/event-v1.schema.json")) {
      return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static InputStream resource(String name) {
    InputStream in = EventContractTest.class.getClassLoader().getResourceAsStream(name);
    assertThat(in).as(name).isNotNull();
    return in;
  }

  private static String read(String name) throws IOException {
    try (InputStream in = resource(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
