package io.gatehouse.ingest.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.schemas.EventJson;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.schemas.GatehouseEvent.Attempt;
import java.io.IOException;
import java.io.StringWriter;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class EventRowTest {
  private static final DateTimeFormatter CH = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  static String row(GatehouseEvent e) throws IOException {
    StringWriter w = new StringWriter();
    try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
      EventRow.write(e, g);
    }
    return w.toString();
  }

  static GatehouseEvent.Builder minimal() {
    return GatehouseEvent.builder().eventId("019ab5c2-4f10-7a3e-9c41-6b2d8e0f1a23")
        .tsStartMs(1_764_060_000_123L).tsEndMs(1_764_060_000_500L).durationMs(377).status(200);
  }

  @Test
  void dateTimeMatchesJavaTimeOverTheWholeDateTimeRange() throws IOException {
    SplittableRandom random = new SplittableRandom(42);
    long[] fixed = {0, 59, 86_399, 86_400, 951_782_400 /* 2000-02-29 */, 4_107_542_399L,
        1_764_060_000L, 0xFFFF_FFFFL};
    for (int i = 0; i < 20_000; i++) {
      long sec = i < fixed.length ? fixed[i] : random.nextLong(0xFFFF_FFFFL + 1);
      StringWriter w = new StringWriter();
      try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
        EventRow.writeDateTime(g, sec);
      }
      String expected = LocalDateTime.ofEpochSecond(sec, 0, ZoneOffset.UTC).format(CH);
      assertThat(w.toString()).as("epoch second %d", sec).isEqualTo('"' + expected + '"');
    }
  }

  @Test
  void mapsAbsentValuesToEmptyStringsNullsAndEmptyArrays() throws IOException {
    JsonNode row = EventJson.mapper().readTree(row(minimal().build()));
    assertThat(row.get("ts").asText()).isEqualTo("2025-11-25 08:40:00");
    assertThat(row.get("ts_start_ms").asLong()).isEqualTo(1_764_060_000_123L);
    assertThat(row.get("model").asText()).isEmpty();
    assertThat(row.get("params").asText()).isEmpty();
    assertThat(row.get("prompt").asText()).isEmpty();
    assertThat(row.get("input_tokens").isNull()).isTrue();
    assertThat(row.get("cost_usd").isNull()).isTrue();
    assertThat(row.get("ttft_ms").isNull()).isTrue();
    assertThat(row.get("stream").asInt()).isZero();
    assertThat(row.get("tags.key")).isEmpty();
    assertThat(row.get("attempts.provider")).isEmpty();
  }

  @Test
  void flattensTagsAndAttemptsIntoAlignedArraysAndJsonIntoText() throws IOException {
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put("env", "prod");
    tags.put("tier", "gold \"quoted\"");
    GatehouseEvent e = minimal().stream(true).fallbackUsed(true).tags(tags)
        .params(EventJson.mapper().readTree("{\"temperature\":0.2}"))
        .attempts(List.of(new Attempt("openai", "openai#0", "gpt-4o", 429, "rate_limit", 12),
            new Attempt("anthropic", null, "claude", 200, null, 300)))
        .costUsd(Double.NaN).inputTokens(0L).build();
    JsonNode row = EventJson.mapper().readTree(row(e));
    assertThat(row.get("stream").asInt()).isEqualTo(1);
    assertThat(row.get("fallback_used").asInt()).isEqualTo(1);
    assertThat(row.get("params").asText()).isEqualTo("{\"temperature\":0.2}");
    List<String> keys = List.of(row.get("tags.key").get(0).asText(), row.get("tags.key").get(1).asText());
    int tier = keys.indexOf("tier");
    assertThat(row.get("tags.value").get(tier).asText()).isEqualTo("gold \"quoted\"");
    assertThat(row.get("attempts.status").toString()).isEqualTo("[429,200]");
    assertThat(row.get("attempts.deployment").toString()).isEqualTo("[\"openai#0\",\"\"]");
    assertThat(row.get("attempts.failure_class").toString()).isEqualTo("[\"rate_limit\",\"\"]");
    assertThat(row.get("cost_usd").isNull()).as("NaN is not a JSON number").isTrue();
    assertThat(row.get("input_tokens").asInt()).as("zero is not unknown").isZero();
  }

  @Test
  void refusesValuesTheTableCannotHoldBeforeWritingAnything() {
    assertThat(EventRow.check(minimal().build())).isNull();
    assertThat(EventRow.check(minimal().eventId("not-a-uuid").build())).contains("event_id");
    assertThat(EventRow.check(minimal().eventId("019ab5c2-4f10-7a3e-9c41-6b2d8e0f1a2ï").build()))
        .contains("event_id");
    assertThat(EventRow.check(minimal().outputTokens(-1L).build())).contains("output_tokens");
    assertThat(EventRow.check(minimal().status(70_000).build())).contains("status");
    assertThat(EventRow.check(minimal().tsStartMs(-5).build())).contains("ts_start_ms");
    assertThat(EventRow.check(minimal()
        .attempts(List.of(new Attempt("p", "d", "m", 200, null, -1))).build()))
        .contains("attempts[0].duration_ms");

    StringWriter w = new StringWriter();
    assertThatThrownBy(() -> {
      try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
        EventRow.write(minimal().eventId("x").build(), g);
      }
    }).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("event_id");
    assertThat(w.toString()).isEmpty();
  }
}
