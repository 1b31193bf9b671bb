package io.gatehouse.ui.requests;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.schemas.Migrations;
import io.gatehouse.testsupport.clickhouse.ClickHouseServer;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.UUID;
import java.util.stream.Collectors;

/** Rows for gatehouse.events in the shapes ClickHouse 18.16 accepts, inserted as JSONEachRow. */
public final class TestEvents {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter DATE_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

  private TestEvents() {}

  /** The shared server with every migration applied (each statement is idempotent). */
  public static ClickHouseServer migratedServer() {
    ClickHouseServer server = ClickHouseServer.shared();
    Migrations.all().forEach(m -> m.statements().forEach(server::query));
    return server;
  }

  /** A successful non-streaming call; change fields with the returned node's put(). */
  public static ObjectNode event(Instant ts, String user) {
    ObjectNode e = JSON.createObjectNode();
    e.put("event_id", UUID.randomUUID().toString());
    e.put("schema_version", 1);
    e.put("source", "proxy");
    e.put("ts", DATE_TIME.format(ts));
    e.put("ts_start_ms", ts.toEpochMilli());
    e.put("ts_end_ms", ts.toEpochMilli() + 420);
    e.put("duration_ms", 420);
    e.put("endpoint", "/v1/chat/completions");
    e.put("model_requested", "gpt-4o-mini");
    e.put("model", "gpt-4o-mini");
    e.put("provider", "openai");
    e.put("stream", 0);
    e.put("status", 200);
    e.put("input_tokens", 12);
    e.put("output_tokens", 30);
    e.put("cost_usd", 0.000021);
    e.put("team", "search");
    e.put("user", user);
    e.put("feature", "summarize");
    e.putArray("tags.key").add("env");
    e.putArray("tags.value").add("test");
    return e;
  }

  public static void insert(ClickHouseServer server, ObjectNode... events) {
    String rows = Arrays.stream(events).map(ObjectNode::toString).collect(Collectors.joining("\n"));
    server.query("INSERT INTO gatehouse.events FORMAT JSONEachRow\n" + rows);
  }
}
