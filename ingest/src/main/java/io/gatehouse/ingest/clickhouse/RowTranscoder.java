package io.gatehouse.ingest.clickhouse;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.CharArrayWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The fast path from event v1 JSON to its {@code JSONEachRow} row: one streaming pass over the record's
 * bytes into reusable fields, then the row written in {@link EventRow#write}'s order and form. No
 * {@code GatehouseEvent}, no {@code JsonNode} tree, no intermediate String for {@code params}/{@code prompt}.
 * JSON → row is ≈ 80 % of the consumer thread's samples under {@code ./gatehouse bench ingest} (JFR);
 * this path takes 12.8 µs per realistic event where databind into the record plus {@link EventRow} takes
 * 15.5 (warm, one thread), and allocates no tree.
 *
 * <p>It only takes events of the plain shape the proxy and the receivers publish: every field of its
 * JSON type (strings as strings or null, whole numbers that fit, booleans as booleans), no duplicate
 * keys, values in range. For anything else {@link #read} returns false and the caller takes the general
 * path, which gives the exact same row or the same refusal (the equivalence is tested byte for byte).
 * Unknown fields are skipped, as the general path ignores them.
 *
 * <p>One instance per consumer thread; not thread-safe.
 */
public final class RowTranscoder {
  private static final JsonFactory JSON = new JsonFactory();
  private static final long UINT16_MAX = 0xFFFFL;
  private static final long UINT32_MAX = 0xFFFF_FFFFL;
  private static final long DATETIME_MAX_MS = UINT32_MAX * 1000 + 999;

  // field indices (also their bit in `seen`, to refuse duplicate keys)
  private static final String[] NAMES = {
      "event_id", "schema_version", "source", "ts_start_ms", "ts_first_token_ms", "ts_end_ms", "ttft_ms",
      "duration_ms", "upstream_ms", "overhead_us", "endpoint", "model_requested", "model", "provider",
      "deployment", "stream", "params", "prompt", "prompt_hash", "status", "finish_reason", "completion",
      "error_class", "error_message", "input_tokens", "output_tokens", "cached_input_tokens",
      "cache_write_tokens", "reasoning_tokens", "cost_usd", "cost_saved_usd", "price_version", "virtual_key_id",
      "team", "user", "feature", "environment", "tags", "trace_id", "span_id", "session_id", "route", "attempts",
      "fallback_used", "cache_result", "experiment", "variant", "prompt_id", "prompt_version"};
  private static final Map<String, Integer> INDEX = new HashMap<>();

  static {
    for (int i = 0; i < NAMES.length; i++) {
      INDEX.put(NAMES[i], i);
    }
  }

  private static final int EVENT_ID = 0, SCHEMA_VERSION = 1, TS_START = 3, TS_FIRST_TOKEN = 4, TS_END = 5,
      TTFT = 6, DURATION = 7, UPSTREAM = 8, OVERHEAD = 9, STREAM = 15, PARAMS = 16, PROMPT = 17, STATUS = 19,
      INPUT_TOKENS = 24, REASONING_TOKENS = 28, COST = 29, COST_SAVED = 30, TAGS = 37, ATTEMPTS = 42,
      FALLBACK_USED = 43;
  private static final int STRING = 0, INT = 1, LONG = 2, NULLABLE_LONG = 3, DOUBLE = 4, BOOLEAN = 5, JSON_TEXT = 6,
      OTHER = 7;
  private static final int[] KIND = new int[NAMES.length];

  static {
    Arrays.fill(KIND, STRING);
    KIND[SCHEMA_VERSION] = INT;
    KIND[STATUS] = INT;
    KIND[TS_START] = LONG;
    KIND[TS_END] = LONG;
    KIND[DURATION] = LONG;
    for (int i : new int[] {TS_FIRST_TOKEN, TTFT, UPSTREAM, OVERHEAD, 24, 25, 26, 27, REASONING_TOKENS}) {
      KIND[i] = NULLABLE_LONG;
    }
    KIND[COST] = DOUBLE;
    KIND[COST_SAVED] = DOUBLE;
    KIND[STREAM] = BOOLEAN;
    KIND[FALLBACK_USED] = BOOLEAN;
    KIND[PARAMS] = JSON_TEXT;
    KIND[PROMPT] = JSON_TEXT;
    KIND[TAGS] = OTHER;
    KIND[ATTEMPTS] = OTHER;
  }

  private final String[] strings = new String[NAMES.length];
  private final long[] longs = new long[NAMES.length];
  private final boolean[] present = new boolean[NAMES.length]; // for nullable longs and doubles: not null
  private final double[] doubles = new double[NAMES.length];
  private final Text params = new Text();
  private final Text prompt = new Text();
  private final List<String> tagKeys = new ArrayList<>();
  private final List<String> tagValues = new ArrayList<>();
  private final List<String[]> attemptStrings = new ArrayList<>(); // provider, deployment, model, failure_class
  private final List<long[]> attemptNumbers = new ArrayList<>(); // status, duration_ms
  private int attempts;

  /**
   * Reads one record's event JSON. After {@code true}, {@link #eventId()}, {@link #tsStartMs()} and {@link
   * #write} describe it; {@code false} means "take the general path" (unusual shape, out-of-range value,
   * not JSON at all) and leaves nothing to write.
   */
  public boolean read(byte[] json) {
    try (JsonParser p = JSON.createParser(json)) {
      return parse(p) && inRange();
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** The event id as sent (valid after {@link #read} returned true). */
  public String eventId() {
    return strings[EVENT_ID];
  }

  /** The event's start, epoch ms (valid after {@link #read} returned true). */
  public long tsStartMs() {
    return longs[TS_START];
  }

  private boolean parse(JsonParser p) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      return false;
    }
    Arrays.fill(strings, null);
    Arrays.fill(longs, 0);
    Arrays.fill(present, false);
    params.reset();
    prompt.reset();
    tagKeys.clear();
    tagValues.clear();
    attempts = 0;
    long seen = 0;
    JsonToken t;
    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
      Integer index = INDEX.get(p.currentName());
      JsonToken v = p.nextToken();
      if (index == null) {
        p.skipChildren(); // unknown field: ignored, as by the general path
        continue;
      }
      int i = index;
      if ((seen & 1L << i) != 0) {
        return false;
      }
      seen |= 1L << i;
      switch (KIND[i]) {
        case STRING -> {
          if (v == JsonToken.VALUE_STRING) {
            strings[i] = p.getText();
          } else if (v != JsonToken.VALUE_NULL) {
            return false;
          }
        }
        case INT -> {
          if (v != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT) {
            return false;
          }
          longs[i] = p.getIntValue();
        }
        case LONG, NULLABLE_LONG -> {
          if (v == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
            longs[i] = p.getLongValue();
            present[i] = true;
          } else if (v != JsonToken.VALUE_NULL || KIND[i] == LONG) {
            return false;
          }
        }
        case DOUBLE -> {
          if (v == JsonToken.VALUE_NUMBER_FLOAT || v == JsonToken.VALUE_NUMBER_INT) {
            doubles[i] = p.getDoubleValue();
            present[i] = true;
          } else if (v != JsonToken.VALUE_NULL) {
            return false;
          }
        }
        case BOOLEAN -> {
          if (v != JsonToken.VALUE_TRUE && v != JsonToken.VALUE_FALSE) {
            return false;
          }
          longs[i] = v == JsonToken.VALUE_TRUE ? 1 : 0;
        }
        case JSON_TEXT -> {
          if (v != JsonToken.VALUE_NULL && !(i == PARAMS ? params : prompt).copy(p)) {
            return false;
          }
        }
        default -> {
          if (!(i == TAGS ? readTags(p, v) : readAttempts(p, v))) {
            return false;
          }
        }
      }
    }
    return t == JsonToken.END_OBJECT;
  }

  private boolean readTags(JsonParser p, JsonToken v) throws IOException {
    if (v == JsonToken.VALUE_NULL) {
      return true;
    }
    if (v != JsonToken.START_OBJECT) {
      return false;
    }
    JsonToken t;
    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      if (tagKeys.contains(key)) {
        return false;
      }
      JsonToken value = p.nextToken();
      if (value == JsonToken.VALUE_STRING) {
        tagValues.add(p.getText());
      } else if (value == JsonToken.VALUE_NULL) {
        tagValues.add(null);
      } else {
        return false;
      }
      tagKeys.add(key);
    }
    return t == JsonToken.END_OBJECT;
  }

  private static final String[] ATTEMPT_FIELDS = {"attempts.provider", "attempts.deployment", "attempts.model"};

  private boolean readAttempts(JsonParser p, JsonToken v) throws IOException {
    if (v == JsonToken.VALUE_NULL) {
      return true;
    }
    if (v != JsonToken.START_ARRAY) {
      return false;
    }
    JsonToken t;
    while ((t = p.nextToken()) == JsonToken.START_OBJECT) {
      if (attempts == attemptStrings.size()) {
        attemptStrings.add(new String[4]);
        attemptNumbers.add(new long[2]);
      }
      String[] s = attemptStrings.get(attempts);
      long[] n = attemptNumbers.get(attempts);
      Arrays.fill(s, null);
      Arrays.fill(n, 0);
      attempts++;
      int seen = 0;
      JsonToken f;
      while ((f = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        int bit;
        switch (name) {
          case "provider" -> bit = 0;
          case "deployment" -> bit = 1;
          case "model" -> bit = 2;
          case "failure_class" -> bit = 3;
          case "status" -> bit = 4;
          case "duration_ms" -> bit = 5;
          default -> {
            p.skipChildren();
            continue;
          }
        }
        if ((seen & 1 << bit) != 0) {
          return false;
        }
        seen |= 1 << bit;
        if (bit < 4) {
          if (value == JsonToken.VALUE_STRING) {
            s[bit] = p.getText();
          } else if (value != JsonToken.VALUE_NULL) {
            return false;
          }
        } else {
          // status is an int, duration_ms a long: anything wider is the general path's to refuse
          JsonParser.NumberType type = value == JsonToken.VALUE_NUMBER_INT ? p.getNumberType() : null;
          if (type != JsonParser.NumberType.INT && (bit == 4 || type != JsonParser.NumberType.LONG)) {
            return false;
          }
          n[bit - 4] = p.getLongValue();
        }
      }
      if (f != JsonToken.END_OBJECT) {
        return false;
      }
    }
    return t == JsonToken.END_ARRAY; // a null element (or anything else) takes the general path
  }

  /** The same rules as {@link EventRow#check}; out of range means "take the general path" (it refuses). */
  private boolean inRange() {
    String id = strings[EVENT_ID];
    if (id == null || !EventRow.isCanonicalUuid(id)) {
      return false;
    }
    long start = longs[TS_START];
    if (start < 0 || start > DATETIME_MAX_MS) {
      return false;
    }
    if (longs[SCHEMA_VERSION] < 0 || longs[SCHEMA_VERSION] > UINT16_MAX || longs[TS_END] < 0
        || longs[DURATION] < 0 || longs[DURATION] > UINT32_MAX
        || longs[STATUS] < 0 || longs[STATUS] > UINT16_MAX) {
      return false;
    }
    if (present[TS_FIRST_TOKEN] && longs[TS_FIRST_TOKEN] < 0) {
      return false;
    }
    for (int i : new int[] {TTFT, UPSTREAM, OVERHEAD, 24, 25, 26, 27, REASONING_TOKENS}) {
      if (present[i] && (longs[i] < 0 || longs[i] > UINT32_MAX)) {
        return false;
      }
    }
    for (int a = 0; a < attempts; a++) {
      long[] n = attemptNumbers.get(a);
      if (n[0] < 0 || n[0] > UINT16_MAX || n[1] < 0 || n[1] > UINT32_MAX) {
        return false;
      }
    }
    return true;
  }

  /** Writes the row of the event last {@link #read} (no line separator), exactly as {@link EventRow#write}. */
  public void write(JsonGenerator g) throws IOException {
    g.writeStartObject();
    g.writeStringField("event_id", strings[EVENT_ID]);
    g.writeNumberField("schema_version", (int) longs[SCHEMA_VERSION]);
    str(g, 2);
    g.writeFieldName("ts");
    EventRow.writeDateTime(g, longs[TS_START] / 1000);
    g.writeNumberField("ts_start_ms", longs[TS_START]);
    nullableLong(g, TS_FIRST_TOKEN);
    g.writeNumberField("ts_end_ms", longs[TS_END]);
    nullableLong(g, TTFT);
    g.writeNumberField("duration_ms", longs[DURATION]);
    nullableLong(g, UPSTREAM);
    nullableLong(g, OVERHEAD);
    for (int i = 10; i <= 14; i++) {
      str(g, i); // endpoint, model_requested, model, provider, deployment
    }
    g.writeNumberField("stream", (int) longs[STREAM]);
    params.writeField(g, "params");
    prompt.writeField(g, "prompt");
    str(g, 18); // prompt_hash
    g.writeNumberField("status", (int) longs[STATUS]);
    for (int i = 20; i <= 23; i++) {
      str(g, i); // finish_reason, completion, error_class, error_message
    }
    for (int i = INPUT_TOKENS; i <= REASONING_TOKENS; i++) {
      nullableLong(g, i);
    }
    nullableDouble(g, COST);
    nullableDouble(g, COST_SAVED);
    for (int i = 31; i <= 36; i++) {
      str(g, i); // price_version, virtual_key_id, team, user, feature, environment
    }
    g.writeArrayFieldStart("tags.key");
    for (String k : tagKeys) {
      g.writeString(k);
    }
    g.writeEndArray();
    g.writeArrayFieldStart("tags.value");
    for (String v : tagValues) {
      g.writeString(v == null ? "" : v);
    }
    g.writeEndArray();
    for (int i = 38; i <= 41; i++) {
      str(g, i); // trace_id, span_id, session_id, route
    }
    writeAttempts(g);
    g.writeNumberField("fallback_used", (int) longs[FALLBACK_USED]);
    for (int i = 44; i <= 48; i++) {
      str(g, i); // cache_result, experiment, variant, prompt_id, prompt_version
    }
    g.writeEndObject();
  }

  private void writeAttempts(JsonGenerator g) throws IOException {
    for (int k = 0; k < 3; k++) {
      g.writeArrayFieldStart(ATTEMPT_FIELDS[k]);
      for (int a = 0; a < attempts; a++) {
        String s = attemptStrings.get(a)[k];
        g.writeString(s == null ? "" : s);
      }
      g.writeEndArray();
    }
    g.writeArrayFieldStart("attempts.status");
    for (int a = 0; a < attempts; a++) {
      g.writeNumber((int) attemptNumbers.get(a)[0]);
    }
    g.writeEndArray();
    g.writeArrayFieldStart("attempts.failure_class");
    for (int a = 0; a < attempts; a++) {
      String s = attemptStrings.get(a)[3];
      g.writeString(s == null ? "" : s);
    }
    g.writeEndArray();
    g.writeArrayFieldStart("attempts.duration_ms");
    for (int a = 0; a < attempts; a++) {
      g.writeNumber(attemptNumbers.get(a)[1]);
    }
    g.writeEndArray();
  }

  private void str(JsonGenerator g, int i) throws IOException {
    String s = strings[i];
    g.writeStringField(NAMES[i], s == null ? "" : s);
  }

  private void nullableLong(JsonGenerator g, int i) throws IOException {
    if (present[i]) {
      g.writeNumberField(NAMES[i], longs[i]);
    } else {
      g.writeNullField(NAMES[i]);
    }
  }

  private void nullableDouble(JsonGenerator g, int i) throws IOException {
    if (present[i] && Double.isFinite(doubles[i])) {
      g.writeNumberField(NAMES[i], doubles[i]);
    } else {
      g.writeNullField(NAMES[i]);
    }
  }

  /**
   * A JSON value re-serialised compactly, as {@code JsonNode.toString()} would print the tree the general
   * path builds (numbers as int/long/BigInteger/double, duplicate keys refused).
   */
  private static final class Text {
    private final Chars out = new Chars();
    private final JsonGenerator gen;

    Text() {
      try {
        gen = JSON.createGenerator(out);
        gen.setRootValueSeparator(null);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    void reset() {
      out.reset();
    }

    boolean copy(JsonParser p) throws IOException {
      out.reset();
      boolean ok = copyValue(p);
      gen.flush();
      return ok;
    }

    private boolean copyValue(JsonParser p) throws IOException {
      JsonToken t = p.currentToken();
      switch (t) {
        case START_OBJECT -> {
          gen.writeStartObject();
          // names seen in this object: a short list (messages have two or three keys), a set beyond that
          String[] few = new String[4];
          int count = 0;
          Set<String> names = null;
          JsonToken f;
          while ((f = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            boolean duplicate;
            if (names != null) {
              duplicate = !names.add(name);
            } else {
              duplicate = false;
              for (int i = 0; i < count && !duplicate; i++) {
                duplicate = few[i].equals(name);
              }
              if (count < few.length) {
                few[count++] = name;
              } else {
                names = new HashSet<>(Arrays.asList(few));
                duplicate = !names.add(name);
              }
            }
            if (duplicate) {
              return false; // a tree keeps the last of duplicate keys: leave it to the general path
            }
            gen.writeFieldName(name);
            p.nextToken();
            if (!copyValue(p)) {
              return false;
            }
          }
          if (f != JsonToken.END_OBJECT) {
            return false;
          }
          gen.writeEndObject();
        }
        case START_ARRAY -> {
          gen.writeStartArray();
          while (p.nextToken() != JsonToken.END_ARRAY) {
            if (!copyValue(p)) {
              return false;
            }
          }
          gen.writeEndArray();
        }
        case VALUE_STRING -> gen.writeString(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
        case VALUE_NUMBER_INT -> {
          switch (p.getNumberType()) {
            case INT -> gen.writeNumber(p.getIntValue());
            case LONG -> gen.writeNumber(p.getLongValue());
            default -> gen.writeNumber(p.getBigIntegerValue());
          }
        }
        case VALUE_NUMBER_FLOAT -> gen.writeNumber(p.getDoubleValue());
        case VALUE_TRUE -> gen.writeBoolean(true);
        case VALUE_FALSE -> gen.writeBoolean(false);
        case VALUE_NULL -> gen.writeNull();
        default -> {
          return false;
        }
      }
      return true;
    }

    void writeField(JsonGenerator g, String name) throws IOException {
      g.writeFieldName(name);
      g.writeString(out.chars(), 0, out.size());
    }
  }

  /** Exposes its array so the text is written without a copy. */
  private static final class Chars extends CharArrayWriter {
    char[] chars() {
      return buf;
    }
  }
}
