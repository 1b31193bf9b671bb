package io.gatehouse.ingest.clickhouse;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.SerializedString;
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
 * JSON → row is most of the consumer thread's samples under {@code ./gatehouse bench ingest} (JFR).
 *
 * <p>Text that is already in canonical form (what Jackson would write for it: printable ASCII with Jackson's
 * own escapes, compact JSON with whole numbers) is copied from the record's bytes as it is, never decoded
 * and re-encoded: string fields by {@link #stringEnd}, {@code params}/{@code prompt} by a scan that also
 * refuses duplicate keys. Column names are pre-encoded. JMH ({@code IngestRowBench}, ≈ 1.5 KB events):
 * 7.2–7.9 µs and 1,957 B per event, against 8.9 µs and 3,245 B when everything was re-encoded.
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
  /** The row's column names, quoted and encoded once: written without a per-character escape check. */
  private static final SerializedString[] NAME = new SerializedString[NAMES.length];
  private static final SerializedString COL_ATTEMPTS_DURATION_MS = new SerializedString("attempts.duration_ms");
  private static final SerializedString COL_ATTEMPTS_FAILURE_CLASS = new SerializedString("attempts.failure_class");
  private static final SerializedString COL_ATTEMPTS_STATUS = new SerializedString("attempts.status");
  private static final SerializedString COL_DURATION_MS = new SerializedString("duration_ms");
  private static final SerializedString COL_EVENT_ID = new SerializedString("event_id");
  private static final SerializedString COL_FALLBACK_USED = new SerializedString("fallback_used");
  private static final SerializedString COL_SCHEMA_VERSION = new SerializedString("schema_version");
  private static final SerializedString COL_STATUS = new SerializedString("status");
  private static final SerializedString COL_STREAM = new SerializedString("stream");
  private static final SerializedString COL_TAGS_KEY = new SerializedString("tags.key");
  private static final SerializedString COL_TAGS_VALUE = new SerializedString("tags.value");
  private static final SerializedString COL_TS = new SerializedString("ts");
  private static final SerializedString COL_TS_END_MS = new SerializedString("ts_end_ms");
  private static final SerializedString COL_TS_START_MS = new SerializedString("ts_start_ms");
  private static final SerializedString[] ATTEMPT_COLUMNS = {
      new SerializedString("attempts.provider"), new SerializedString("attempts.deployment"),
      new SerializedString("attempts.model")};

  static {
    for (int i = 0; i < NAMES.length; i++) {
      INDEX.put(NAMES[i], i);
      NAME[i] = new SerializedString(NAMES[i]);
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
  /** The record being read; string fields in {@link #rawFrom} are copied from it as they are. */
  private byte[] src;
  /** Per string field: where its content starts in {@link #src} when it is canonical (see {@link #stringEnd}), else -1. */
  private final int[] rawFrom = new int[NAMES.length];
  private final int[] rawTo = new int[NAMES.length];
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
    src = json;
    try (JsonParser p = JSON.createParser(json)) {
      return parse(p) && inRange();
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** How many string fields and JSON texts of the last record {@link #read} are copied as they are (tests). */
  int rawValues() {
    int n = params.escapedLength >= 0 ? 1 : 0;
    n += prompt.escapedLength >= 0 ? 1 : 0;
    for (int from : rawFrom) {
      n += from >= 0 ? 1 : 0;
    }
    return n;
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
    Arrays.fill(rawFrom, -1);
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
            int from = i == EVENT_ID ? -1 : (int) p.currentTokenLocation().getByteOffset() + 1;
            int to = from < 0 ? -1 : stringEnd(src, from);
            if (to >= 0) {
              rawFrom[i] = from; // the parser skips the string's content without decoding it
              rawTo[i] = to;
            } else {
              strings[i] = p.getText();
            }
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
          if (v != JsonToken.VALUE_NULL && !(i == PARAMS ? params : prompt).copy(p, src)) {
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
    g.writeFieldName(COL_EVENT_ID);
    g.writeString(strings[EVENT_ID]);
    number(g, COL_SCHEMA_VERSION, (int) longs[SCHEMA_VERSION]);
    str(g, 2);
    g.writeFieldName(COL_TS);
    EventRow.writeDateTime(g, longs[TS_START] / 1000);
    number(g, COL_TS_START_MS, longs[TS_START]);
    nullableLong(g, TS_FIRST_TOKEN);
    number(g, COL_TS_END_MS, longs[TS_END]);
    nullableLong(g, TTFT);
    number(g, COL_DURATION_MS, longs[DURATION]);
    nullableLong(g, UPSTREAM);
    nullableLong(g, OVERHEAD);
    for (int i = 10; i <= 14; i++) {
      str(g, i); // endpoint, model_requested, model, provider, deployment
    }
    number(g, COL_STREAM, (int) longs[STREAM]);
    params.writeField(g, NAME[PARAMS]);
    prompt.writeField(g, NAME[PROMPT]);
    str(g, 18); // prompt_hash
    number(g, COL_STATUS, (int) longs[STATUS]);
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
    g.writeFieldName(COL_TAGS_KEY);
    g.writeStartArray();
    for (String k : tagKeys) {
      g.writeString(k);
    }
    g.writeEndArray();
    g.writeFieldName(COL_TAGS_VALUE);
    g.writeStartArray();
    for (String v : tagValues) {
      g.writeString(v == null ? "" : v);
    }
    g.writeEndArray();
    for (int i = 38; i <= 41; i++) {
      str(g, i); // trace_id, span_id, session_id, route
    }
    writeAttempts(g);
    number(g, COL_FALLBACK_USED, (int) longs[FALLBACK_USED]);
    for (int i = 44; i <= 48; i++) {
      str(g, i); // cache_result, experiment, variant, prompt_id, prompt_version
    }
    g.writeEndObject();
  }

  private void writeAttempts(JsonGenerator g) throws IOException {
    for (int k = 0; k < 3; k++) {
      g.writeFieldName(ATTEMPT_COLUMNS[k]);
      g.writeStartArray();
      for (int a = 0; a < attempts; a++) {
        String s = attemptStrings.get(a)[k];
        g.writeString(s == null ? "" : s);
      }
      g.writeEndArray();
    }
    g.writeFieldName(COL_ATTEMPTS_STATUS);
    g.writeStartArray();
    for (int a = 0; a < attempts; a++) {
      g.writeNumber((int) attemptNumbers.get(a)[0]);
    }
    g.writeEndArray();
    g.writeFieldName(COL_ATTEMPTS_FAILURE_CLASS);
    g.writeStartArray();
    for (int a = 0; a < attempts; a++) {
      String s = attemptStrings.get(a)[3];
      g.writeString(s == null ? "" : s);
    }
    g.writeEndArray();
    g.writeFieldName(COL_ATTEMPTS_DURATION_MS);
    g.writeStartArray();
    for (int a = 0; a < attempts; a++) {
      g.writeNumber(attemptNumbers.get(a)[1]);
    }
    g.writeEndArray();
  }

  /**
   * The end (index of the closing quote) of the string whose content starts at {@code from}, when that
   * content is canonical: what Jackson writes for the decoded value, byte for byte. That is printable
   * ASCII with only the escapes Jackson itself uses ({@code \" \\ \n \r \t \b \f}). -1 otherwise
   * (backslash-u escapes, an escaped slash, non-ASCII, a cut-off string): then the value is decoded and
   * written by Jackson, as before.
   */
  static int stringEnd(byte[] b, int from) {
    for (int i = from; i < b.length; i++) {
      byte c = b[i];
      if (c == '"') {
        return i;
      }
      if (c < 0x20) { // control characters, and every byte of a multi-byte UTF-8 sequence (negative)
        return -1;
      }
      if (c == '\\') {
        if (++i == b.length) {
          return -1;
        }
        switch (b[i]) {
          case '"', '\\', 'n', 'r', 't', 'b', 'f' -> { }
          default -> {
            return -1;
          }
        }
      }
    }
    return -1;
  }

  private void str(JsonGenerator g, int i) throws IOException {
    if (rawFrom[i] >= 0) {
      g.writeFieldName(NAME[i]);
      g.writeRawUTF8String(src, rawFrom[i], rawTo[i] - rawFrom[i]);
      return;
    }
    String s = strings[i];
    g.writeFieldName(NAME[i]);
    g.writeString(s == null ? "" : s);
  }

  private static void number(JsonGenerator g, SerializedString name, long value) throws IOException {
    g.writeFieldName(name);
    g.writeNumber(value);
  }

  private void nullableLong(JsonGenerator g, int i) throws IOException {
    if (present[i]) {
      number(g, NAME[i], longs[i]);
    } else {
      g.writeFieldName(NAME[i]);
      g.writeNull();
    }
  }

  private void nullableDouble(JsonGenerator g, int i) throws IOException {
    if (present[i] && Double.isFinite(doubles[i])) {
      g.writeFieldName(NAME[i]);
      g.writeNumber(doubles[i]);
    } else {
      g.writeFieldName(NAME[i]);
      g.writeNull();
    }
  }

  /**
   * A JSON value re-serialised compactly, as {@code JsonNode.toString()} would print the tree the general
   * path builds (numbers as int/long/BigInteger/double, duplicate keys refused).
   */
  private static final class Text {
    private static final int MAX_DEPTH = 64;
    private static final int MAX_KEYS = 256;

    private final Chars out = new Chars();
    private final JsonGenerator gen;
    /** The value's JSON text, already escaped as the content of a JSON string, when it was copied raw. */
    private byte[] escaped = new byte[4096];
    private int escapedLength = -1;
    private final boolean[] inObject = new boolean[MAX_DEPTH];
    private final int[] firstKey = new int[MAX_DEPTH];
    private final int[] keyFrom = new int[MAX_KEYS];
    private final int[] keyTo = new int[MAX_KEYS];

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
      escapedLength = -1;
    }

    boolean copy(JsonParser p, byte[] src) throws IOException {
      reset();
      JsonToken t = p.currentToken();
      if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
        int from = (int) p.currentTokenLocation().getByteOffset();
        int to = canonicalEnd(src, from);
        if (to > 0) {
          p.skipChildren(); // the parser still checks the syntax, and that it ends where the scan did
          if ((int) p.currentLocation().getByteOffset() != to) {
            return false;
          }
          escape(src, from, to);
          return true;
        }
      }
      boolean ok = copyValue(p);
      gen.flush();
      return ok;
    }

    /**
     * The end (exclusive) of the object or array at {@code b[from]} when its bytes are exactly what
     * {@link #copyValue} would write for it: compact (no whitespace), canonical strings ({@link
     * #stringEnd}), whole numbers in their shortest form (no {@code -0}, no fraction or exponent: doubles
     * are re-printed by Java), and no duplicate key in any object (the general path keeps only one).
     * -1 otherwise, and then {@link #copyValue} re-serialises the value.
     */
    private int canonicalEnd(byte[] b, int from) {
      int depth = 0;
      int keys = 0;
      boolean expectKey = false;
      int i = from;
      while (i < b.length) {
        byte c = b[i];
        switch (c) {
          case '{', '[' -> {
            if (depth == MAX_DEPTH) {
              return -1;
            }
            inObject[depth] = c == '{';
            firstKey[depth] = keys;
            depth++;
            expectKey = c == '{';
            i++;
          }
          case '}', ']' -> {
            if (depth == 0 || inObject[depth - 1] != (c == '}')) {
              return -1;
            }
            depth--;
            if (c == '}' && duplicateKey(b, firstKey[depth], keys)) {
              return -1;
            }
            keys = firstKey[depth];
            expectKey = false;
            i++;
            if (depth == 0) {
              return i;
            }
          }
          case '"' -> {
            int end = stringEnd(b, i + 1);
            if (end < 0) {
              return -1;
            }
            if (expectKey) {
              if (keys == MAX_KEYS) {
                return -1;
              }
              keyFrom[keys] = i + 1;
              keyTo[keys++] = end;
              expectKey = false;
            }
            i = end + 1;
          }
          case ':' -> i++;
          case ',' -> {
            expectKey = depth > 0 && inObject[depth - 1];
            i++;
          }
          case 't' -> i = literal(b, i, "true");
          case 'f' -> i = literal(b, i, "false");
          case 'n' -> i = literal(b, i, "null");
          default -> {
            i = integer(b, i);
          }
        }
        if (i < 0) {
          return -1;
        }
      }
      return -1;
    }

    private boolean duplicateKey(byte[] b, int first, int end) {
      for (int k = first + 1; k < end; k++) {
        for (int j = first; j < k; j++) {
          if (Arrays.equals(b, keyFrom[k], keyTo[k], b, keyFrom[j], keyTo[j])) {
            return true;
          }
        }
      }
      return false;
    }

    private static int literal(byte[] b, int i, String word) {
      int n = word.length();
      if (i + n > b.length) {
        return -1;
      }
      for (int k = 0; k < n; k++) {
        if (b[i + k] != word.charAt(k)) {
          return -1;
        }
      }
      return i + n;
    }

    /** The index after a whole number in its shortest form at {@code b[i]}, else -1. */
    private static int integer(byte[] b, int i) {
      int start = i;
      if (i < b.length && b[i] == '-') {
        i++;
      }
      int digits = i;
      while (i < b.length && b[i] >= '0' && b[i] <= '9') {
        i++;
      }
      if (i == digits || (b[digits] == '0' && (i - digits > 1 || digits > start))) {
        return -1; // not a number, a leading zero, or -0
      }
      if (i < b.length && (b[i] == '.' || b[i] == 'e' || b[i] == 'E')) {
        return -1;
      }
      return i;
    }

    /** The JSON text {@code b[from, to)} as the content of a JSON string: quotes and backslashes escaped. */
    private void escape(byte[] b, int from, int to) {
      int n = 0;
      if (escaped.length < 2 * (to - from)) {
        escaped = new byte[Math.max(2 * (to - from), 2 * escaped.length)];
      }
      for (int i = from; i < to; i++) {
        byte c = b[i];
        if (c == '"' || c == '\\') {
          escaped[n++] = '\\';
        }
        escaped[n++] = c;
      }
      escapedLength = n;
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

    void writeField(JsonGenerator g, SerializedString name) throws IOException {
      g.writeFieldName(name);
      if (escapedLength >= 0) {
        g.writeRawUTF8String(escaped, 0, escapedLength);
      } else {
        g.writeString(out.chars(), 0, out.size());
      }
    }
  }

  /** Exposes its array so the text is written without a copy. */
  private static final class Chars extends CharArrayWriter {
    char[] chars() {
      return buf;
    }
  }
}
