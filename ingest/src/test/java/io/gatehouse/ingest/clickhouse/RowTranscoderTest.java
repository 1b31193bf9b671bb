package io.gatehouse.ingest.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.gatehouse.schemas.EventJson;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.testsupport.bench.ingest.BenchEvents;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fast path must write byte for byte the row of the general path, or decline. */
class RowTranscoderTest {
  private static final String ID = "019ab5c2-4f10-7a3e-9c41-6b2d8e0f1a23";
  private final RowTranscoder fast = new RowTranscoder();

  /** The general path's row, from the same kind of generator as the batch's (bytes, UTF-8). */
  private static String generalRow(byte[] json) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
      EventRow.write(EventJson.fromBytes(json), g);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private String fastRow(byte[] json) throws IOException {
    assertThat(fast.read(json)).as("fast path takes %s", new String(json, StandardCharsets.UTF_8)).isTrue();
    ByteArrayOutputStream out = new ByteArrayOutputStream(); // a byte generator, as the batch's
    try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
      fast.write(g);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private void assertSameRow(String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    assertThat(fastRow(bytes)).isEqualTo(generalRow(bytes));
    GatehouseEvent e = EventJson.fromBytes(bytes);
    assertThat(fast.eventId()).isEqualTo(e.eventId());
    assertThat(fast.tsStartMs()).isEqualTo(e.tsStartMs());
  }

  @Test
  void writesTheGeneralPathsRowForTheSchemaExamples() throws IOException {
    for (String name : List.of("chat-non-stream.json", "chat-stream.json", "bad-request.json")) {
      try (InputStream in = GatehouseEvent.class.getResourceAsStream("/gatehouse/examples/" + name)) {
        assertSameRow(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
  }

  @Test
  void writesTheGeneralPathsRowForManyRealisticEvents() throws IOException {
    BenchEvents events = new BenchEvents(11, 500);
    for (int i = 0; i < 3_000; i++) {
      assertSameRow(new String(EventJson.toBytes(events.next(1_764_060_000_000L + i, "test")), StandardCharsets.UTF_8));
    }
  }

  @Test
  void writesTheGeneralPathsRowForUnusualButPlainValues() throws IOException {
    assertSameRow("{\"event_id\":\"" + ID + "\",\"ts_start_ms\":1764060000000}"); // nearly everything absent
    assertSameRow("{\"event_id\":\"" + ID.toUpperCase() + "\",\"ts_start_ms\":0,\"ts_end_ms\":5,\"unknown\":"
        + "{\"a\":[1,{\"b\":null}]},\"user\":\"\\u00e9\\\"q\\\\ \\n\\t\\u0001 \uD83D\uDE00\",\"tags\":{\"a\":null,\"b\":\"c\"},"
        + "\"cost_usd\":3,\"cost_saved_usd\":null,\"ttft_ms\":null,\"stream\":true,\"attempts\":[],\"later\":7}");
    assertSameRow("{\"event_id\":\"" + ID + "\",\"ts_start_ms\":4294967295999,\"params\":{\"t\":0.1,\"big\":"
        + "123456789012345678901234567890,\"l\":12345678901,\"e\":1E2,\"n\":-0.0,\"x\":[true,false,null,\"s\\\"\"]},"
        + "\"prompt\":\"just text \\u2028\",\"cost_usd\":1.5e-7,\"attempts\":[{\"provider\":\"p\",\"status\":429,"
        + "\"duration_ms\":4000000000,\"extra\":[1]},{}],\"fallback_used\":true}");
    assertSameRow("{\"event_id\":\"" + ID + "\",\"ts_start_ms\":1,\"prompt\":null,\"params\":[],\"tags\":null,"
        + "\"attempts\":null,\"input_tokens\":4294967295}");
    // out of the proxy's order, and unknown fields after the last known one
    assertSameRow("{\"prompt_version\":\"v2\",\"zz\":[1],\"ts_start_ms\":1,\"event_id\":\"" + ID
        + "\",\"prompt_id\":\"p\",\"prompt_version_2\":{\"a\":1},\"source\":\"proxy\"}");
    assertSameRow("{\"event_id\":\"" + ID + "\",\"ts_start_ms\":1,\"prompt_version\":\"v\",\"after\":{\"a\":[]}}");
    assertSameRow("{\"event_id\":\"" + ID + "\",\"ts_start_ms\":1,\"params\":{\"a\":1,\"b\":2,\"c\":3,\"d\":4,"
        + "\"e\":{\"a\":1},\"f\":[{\"a\":{}}],\"g\":7}}");
  }

  @Test
  void copiesCanonicalTextAsItIsAndReSerialisesEverythingElse() throws IOException {
    String head = "{\"event_id\":\"" + ID + "\",\"ts_start_ms\":1764060000000,";
    for (String rest : List.of(
        // canonical: copied as they are
        "\"completion\":\"say \\\"hi\\\"\\n\\tthen \\\\ \\b\\f\\r bye\"}",
        "\"prompt\":[{\"role\":\"user\",\"content\":\"a \\\"quoted\\\" line\\nnext\"},{\"role\":\"tool\","
            + "\"content\":[],\"n\":-12,\"z\":0,\"ok\":true,\"no\":false,\"x\":null,\"o\":{\"role\":\"again\"}}]}",
        "\"prompt\":{},\"params\":[]}")) {
      assertSameRow(head + rest);
      assertThat(fast.rawValues()).as(rest).isPositive();
    }
    for (String rest : List.of(
        // not canonical: re-serialised (whitespace, escapes Jackson does not write, non-ASCII, doubles, -0)
        "\"completion\":\"caf\\u00e9 \\/ \u00e9 \\u0001\"}",
        "\"prompt\":[ {\"role\" : \"user\"} ]}",
        "\"prompt\":[{\"content\":\"\\u00e9\"}],\"params\":{\"temperature\":0.70,\"max\":1e3}}",
        "\"prompt\":[{\"content\":\"caf\u00e9 \uD83D\uDE00\"}],\"params\":{\"seed\":-0}}",
        "\"prompt\":[{\"content\":\"a\\/b\"}],\"params\":{\"t\":1.0,\"big\":123456789012345678901234567890}}")) {
      assertSameRow(head + rest);
      assertThat(fast.rawValues()).as(rest).isZero();
    }
  }

  @Test
  void declinesWhatTheGeneralPathCoercesOrRefuses() {
    String head = "{\"event_id\":\"" + ID + "\",\"ts_start_ms\":1764060000000,";
    for (String json : List.of(
        "not json", "[1]", "{\"event_id\":\"x\",\"ts_start_ms\":1}",
        "{\"ts_start_ms\":1}",
        head + "\"ts_start_ms\":2}",                         // duplicate key
        head + "\"status\":\"200\"}",                         // number as a string
        head + "\"status\":70000}",                           // out of range
        head + "\"ts_end_ms\":null}",                         // null for a primitive
        head + "\"input_tokens\":-1}",
        head + "\"user\":5}",
        head + "\"stream\":1}",
        head + "\"attempts\":[null]}",
        head + "\"attempts\":[{\"status\":2.5}]}",
        head + "\"tags\":{\"a\":\"1\",\"a\":\"2\"}}",
        head + "\"prompt\":{\"a\":1,\"a\":2}}",               // a tree keeps one of them
        head + "\"prompt\":[{\"role\":\"u\",\"c\":{\"k\":1,\"k\":2}}]}", // nested, in a canonical value
        head + "\"prompt\":[{\"role\":\"u\"},{\"role\":\"a\"}}",      // brackets that do not match
        head + "\"prompt\":[\"cut]}",
        head + "\"params\":{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"b\":7}}",
        "{\"event_id\":\"" + ID + "\",\"ts_start_ms\":-1}",
        head + "\"user\":\"truncated")) {
      assertThat(fast.read(json.getBytes(StandardCharsets.UTF_8))).as(json).isFalse();
    }
  }
}
