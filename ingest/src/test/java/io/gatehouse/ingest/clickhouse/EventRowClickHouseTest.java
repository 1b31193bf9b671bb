package io.gatehouse.ingest.clickhouse;

import io.gatehouse.schemas.clickhouse.ClickHouseHttp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.schemas.EventJson;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.testsupport.clickhouse.ClickHouseServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every golden example goes through EventRow + client-v2 into ClickHouse and reads back equal. */
class EventRowClickHouseTest {
  static ClickHouseServer server;

  @BeforeAll
  static void migrate() {
    server = ClickHouseServer.shared();
    new Migrator(new ClickHouseHttp(URI.create(server.httpUrl()), "default", "")).apply();
  }

  @Test
  void goldenExamplesRoundTripThroughClickHouse() throws Exception {
    List<JsonNode> examples = new ArrayList<>();
    ByteArrayOutputStream rows = new ByteArrayOutputStream();
    try (JsonGenerator g = new JsonFactory().createGenerator(rows)) {
      for (String name : resource("gatehouse/examples/index.txt").split("\n")) {
        if (name.isBlank()) {
          continue;
        }
        String json = resource("gatehouse/examples/" + name.strip());
        examples.add(EventJson.mapper().readTree(json));
        EventRow.write(EventJson.fromBytes(json.getBytes(StandardCharsets.UTF_8)), g);
        g.writeRaw('\n');
      }
    }
    assertThat(examples).hasSizeGreaterThanOrEqualTo(3);
    try (EventsInserter inserter = new EventsInserter(URI.create(server.httpUrl()), "default", "")) {
      byte[] bytes = rows.toByteArray();
      inserter.insert(bytes, 0, bytes.length);
      inserter.insert(bytes, 0, bytes.length); // a re-delivery must not show up as a second row
    }

    for (JsonNode golden : examples) {
      String id = golden.get("event_id").asText();
      String body = server.query("SELECT * FROM gatehouse.events FINAL WHERE event_id = '" + id
          + "' FORMAT JSONEachRow");
      assertThat(body.strip().split("\n")).as("rows for %s", id).hasSize(1);
      assertSameValues(golden, EventJson.mapper().readTree(body));
    }
  }

  private static void assertSameValues(JsonNode golden, JsonNode row) throws IOException {
    String id = golden.get("event_id").asText();
    long tsMs = golden.get("ts_start_ms").asLong();
    assertThat(row.get("ts").asText()).isEqualTo(
        java.time.LocalDateTime.ofEpochSecond(tsMs / 1000, 0, java.time.ZoneOffset.UTC)
            .format(java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")));
    Set<String> nested = Set.of("tags", "attempts");
    for (Iterator<Map.Entry<String, JsonNode>> it = row.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> column = it.next();
      String name = column.getKey();
      JsonNode actual = column.getValue();
      if (name.equals("ts") || name.equals("ingested_at") || name.contains(".")) {
        continue;
      }
      JsonNode expected = golden.get(name);
      String what = id + " column " + name;
      if (name.equals("params") || name.equals("prompt")) {
        if (expected == null) {
          assertThat(actual.asText()).as(what).isEmpty();
        } else {
          assertThat(EventJson.mapper().readTree(actual.asText())).as(what).isEqualTo(expected);
        }
      } else if (expected == null) {
        assertThat(actual.isNull() || actual.asText().isEmpty()).as(what + " = " + actual).isTrue();
      } else if (expected.isBoolean()) {
        assertThat(actual.asInt()).as(what).isEqualTo(expected.asBoolean() ? 1 : 0);
      } else if (expected.isNumber()) {
        // 18.16 quotes 64-bit integers in JSON output
        assertThat(new BigDecimal(actual.asText())).as(what)
            .isEqualByComparingTo(expected.decimalValue());
      } else {
        assertThat(actual.asText()).as(what).isEqualTo(expected.asText());
      }
    }
    for (String n : nested) {
      assertThat(row.has(n + ".key") || row.has(n + ".provider")).as(n + " columns read back").isTrue();
    }
    ObjectNode tags = EventJson.mapper().createObjectNode();
    for (int i = 0; i < row.get("tags.key").size(); i++) {
      tags.put(row.get("tags.key").get(i).asText(), row.get("tags.value").get(i).asText());
    }
    JsonNode goldenTags = golden.get("tags");
    assertThat(tags).as(id + " tags")
        .isEqualTo(goldenTags == null ? EventJson.mapper().createObjectNode() : goldenTags);
    JsonNode goldenAttempts = golden.get("attempts");
    int n = goldenAttempts == null ? 0 : goldenAttempts.size();
    assertThat(row.get("attempts.provider").size()).as(id + " attempts").isEqualTo(n);
    for (int i = 0; i < n; i++) {
      JsonNode a = goldenAttempts.get(i);
      for (String f : List.of("provider", "deployment", "model", "status", "failure_class", "duration_ms")) {
        JsonNode expected = a.get(f);
        String actual = row.get("attempts." + f).get(i).asText();
        assertThat(actual).as(id + " attempts[" + i + "]." + f)
            .isEqualTo(expected == null ? (f.equals("failure_class") ? "" : "0") : expected.asText());
      }
    }
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = GatehouseEvent.class.getClassLoader().getResourceAsStream(name)) {
      assertThat(in).as(name).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
