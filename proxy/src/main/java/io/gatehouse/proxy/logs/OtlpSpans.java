package io.gatehouse.proxy.logs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * An OTLP {@code ExportTraceServiceRequest}, from protobuf or from OTLP/JSON, as one neutral list of
 * spans: attribute values become JSON nodes (string, integer, double, boolean, array, object), ids
 * lower-case hex, times epoch nanoseconds.
 *
 * <p>OTLP/JSON differs from protobuf's canonical JSON, and this reader follows OTLP: {@code traceId} and
 * {@code spanId} are hex (not base64), enums are integers (names are accepted too), 64-bit integers
 * may be strings or numbers, field names are lowerCamelCase. Stateless and thread-safe.
 */
final class OtlpSpans {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Pattern TRACE_ID = Pattern.compile("[0-9a-fA-F]{32}");
  private static final Pattern SPAN_ID = Pattern.compile("[0-9a-fA-F]{16}");
  static final int STATUS_ERROR = 2;

  private OtlpSpans() {}

  /** One span with its resource's attributes. */
  record Span(String traceId, String spanId, String name, long startNanos, long endNanos, int statusCode,
      String statusMessage, Map<String, JsonNode> attributes, Map<String, JsonNode> resource, List<Event> events) {}

  record Event(String name, long timeNanos, Map<String, JsonNode> attributes) {}

  static List<Span> fromProtobuf(byte[] body) throws InvalidPayload {
    ExportTraceServiceRequest request;
    try {
      request = ExportTraceServiceRequest.parseFrom(body);
    } catch (InvalidProtocolBufferException e) {
      throw new InvalidPayload("The body is not a protobuf ExportTraceServiceRequest: " + e.getMessage()
          + " (send Content-Type: application/json for OTLP/JSON)");
    }
    List<Span> spans = new ArrayList<>();
    HexFormat hex = HexFormat.of();
    for (int r = 0; r < request.getResourceSpansCount(); r++) {
      ResourceSpans rs = request.getResourceSpans(r);
      Map<String, JsonNode> resource = attributes(rs.getResource().getAttributesList());
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (io.opentelemetry.proto.trace.v1.Span s : ss.getSpansList()) {
          String where = "resourceSpans[" + r + "] span '" + s.getName() + "'";
          String traceId = hex.formatHex(s.getTraceId().toByteArray());
          String spanId = hex.formatHex(s.getSpanId().toByteArray());
          checkIds(traceId, spanId, where);
          List<Event> events = new ArrayList<>(s.getEventsCount());
          for (io.opentelemetry.proto.trace.v1.Span.Event e : s.getEventsList()) {
            events.add(new Event(e.getName(), e.getTimeUnixNano(), attributes(e.getAttributesList())));
          }
          spans.add(new Span(traceId, spanId, s.getName(), s.getStartTimeUnixNano(), s.getEndTimeUnixNano(),
              s.getStatus().getCodeValue(), s.getStatus().getMessage(), attributes(s.getAttributesList()), resource,
              events));
        }
      }
    }
    return spans;
  }

  private static Map<String, JsonNode> attributes(List<KeyValue> kvs) {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    for (KeyValue kv : kvs) {
      out.put(kv.getKey(), value(kv.getValue()));
    }
    return out;
  }

  private static JsonNode value(AnyValue v) {
    return switch (v.getValueCase()) {
      case STRING_VALUE -> NODES.textNode(v.getStringValue());
      case BOOL_VALUE -> NODES.booleanNode(v.getBoolValue());
      case INT_VALUE -> NODES.numberNode(v.getIntValue());
      case DOUBLE_VALUE -> NODES.numberNode(v.getDoubleValue());
      case BYTES_VALUE -> NODES.textNode(java.util.Base64.getEncoder().encodeToString(v.getBytesValue().toByteArray()));
      case ARRAY_VALUE -> {
        ArrayNode a = NODES.arrayNode();
        v.getArrayValue().getValuesList().forEach(x -> a.add(value(x)));
        yield a;
      }
      case KVLIST_VALUE -> {
        ObjectNode o = NODES.objectNode();
        v.getKvlistValue().getValuesList().forEach(kv -> o.set(kv.getKey(), value(kv.getValue())));
        yield o;
      }
      default -> NODES.nullNode();
    };
  }

  static List<Span> fromJson(byte[] body) throws InvalidPayload {
    JsonNode root;
    try {
      root = LogEvents.JSON.readTree(body);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr();
      throw new InvalidPayload("The body is not valid JSON" + where + ": " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new InvalidPayload("The body could not be read as JSON.");
    }
    if (root == null || !root.isObject()) {
      throw new InvalidPayload("The body must be an OTLP/JSON ExportTraceServiceRequest: {\"resourceSpans\": [...]}");
    }
    List<Span> spans = new ArrayList<>();
    JsonNode resourceSpans = root.path("resourceSpans");
    if (!resourceSpans.isMissingNode() && !resourceSpans.isArray()) {
      throw new InvalidPayload("resourceSpans: expected an array");
    }
    for (int r = 0; r < resourceSpans.size(); r++) {
      String rPath = "resourceSpans[" + r + "]";
      JsonNode rs = resourceSpans.get(r);
      Map<String, JsonNode> resource = jsonAttributes(rs.path("resource").path("attributes"), rPath + ".resource.attributes");
      JsonNode scopeSpans = rs.path("scopeSpans");
      for (int s = 0; s < scopeSpans.size(); s++) {
        JsonNode list = scopeSpans.get(s).path("spans");
        for (int i = 0; i < list.size(); i++) {
          String path = rPath + ".scopeSpans[" + s + "].spans[" + i + "]";
          JsonNode span = list.get(i);
          if (!span.isObject()) {
            throw new InvalidPayload(path + ": expected a span object");
          }
          String traceId = span.path("traceId").asText("").toLowerCase(java.util.Locale.ROOT);
          String spanId = span.path("spanId").asText("").toLowerCase(java.util.Locale.ROOT);
          checkIds(traceId, spanId, path);
          List<Event> events = new ArrayList<>();
          JsonNode evs = span.path("events");
          for (int e = 0; e < evs.size(); e++) {
            JsonNode ev = evs.get(e);
            events.add(new Event(ev.path("name").asText(""), nanos(ev.get("timeUnixNano"), path + ".events[" + e
                + "].timeUnixNano"), jsonAttributes(ev.path("attributes"), path + ".events[" + e + "].attributes")));
          }
          spans.add(new Span(traceId, spanId, span.path("name").asText(""),
              nanos(span.get("startTimeUnixNano"), path + ".startTimeUnixNano"),
              nanos(span.get("endTimeUnixNano"), path + ".endTimeUnixNano"),
              statusCode(span.path("status").get("code"), path + ".status.code"),
              span.path("status").path("message").asText(""),
              jsonAttributes(span.path("attributes"), path + ".attributes"), resource, events));
        }
      }
    }
    return spans;
  }

  private static void checkIds(String traceId, String spanId, String where) throws InvalidPayload {
    if (!TRACE_ID.matcher(traceId).matches() || traceId.equals("0".repeat(32))) {
      throw new InvalidPayload(where + ".traceId: expected 32 hex digits (16 bytes, not all zero)");
    }
    if (!SPAN_ID.matcher(spanId).matches() || spanId.equals("0".repeat(16))) {
      throw new InvalidPayload(where + ".spanId: expected 16 hex digits (8 bytes, not all zero)");
    }
  }

  private static long nanos(JsonNode n, String path) throws InvalidPayload {
    if (n == null || n.isNull()) {
      throw new InvalidPayload(path + ": required, epoch nanoseconds such as \"1764060000000000000\"");
    }
    if (n.canConvertToLong() && n.isIntegralNumber()) {
      return n.asLong();
    }
    if (n.isTextual()) {
      try {
        return Long.parseLong(n.asText().strip());
      } catch (NumberFormatException e) {
        // falls through
      }
    }
    throw new InvalidPayload(path + ": expected epoch nanoseconds (an integer or a string of digits)");
  }

  private static int statusCode(JsonNode n, String path) throws InvalidPayload {
    if (n == null || n.isNull()) {
      return 0;
    }
    if (n.isIntegralNumber()) {
      return n.asInt();
    }
    return switch (n.asText()) {
      case "STATUS_CODE_UNSET" -> 0;
      case "STATUS_CODE_OK" -> 1;
      case "STATUS_CODE_ERROR" -> STATUS_ERROR;
      default -> throw new InvalidPayload(path + ": expected 0, 1 or 2 (unset, ok, error)");
    };
  }

  private static Map<String, JsonNode> jsonAttributes(JsonNode list, String path) throws InvalidPayload {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    if (list.isMissingNode() || list.isNull()) {
      return out;
    }
    if (!list.isArray()) {
      throw new InvalidPayload(path + ": expected an array of {\"key\": ..., \"value\": {...}}");
    }
    for (int i = 0; i < list.size(); i++) {
      JsonNode kv = list.get(i);
      if (!kv.path("key").isTextual()) {
        throw new InvalidPayload(path + "[" + i + "].key: required, a string");
      }
      out.put(kv.get("key").asText(), jsonValue(kv.path("value"), path + "[" + i + "].value"));
    }
    return out;
  }

  private static JsonNode jsonValue(JsonNode v, String path) throws InvalidPayload {
    if (v.isMissingNode() || v.isNull() || v.isEmpty()) {
      return NODES.nullNode();
    }
    if (!v.isObject()) {
      throw new InvalidPayload(path + ": expected an AnyValue such as {\"stringValue\": \"x\"}");
    }
    if (v.has("stringValue")) {
      return NODES.textNode(v.get("stringValue").asText());
    }
    if (v.has("boolValue")) {
      return NODES.booleanNode(v.get("boolValue").asBoolean());
    }
    if (v.has("intValue")) {
      return NODES.numberNode(nanos(v.get("intValue"), path + ".intValue"));
    }
    if (v.has("doubleValue")) {
      JsonNode d = v.get("doubleValue");
      if (d.isNumber()) {
        return NODES.numberNode(d.asDouble());
      }
      try {
        return NODES.numberNode(Double.parseDouble(d.asText()));
      } catch (NumberFormatException e) {
        throw new InvalidPayload(path + ".doubleValue: expected a number");
      }
    }
    if (v.has("bytesValue")) {
      return NODES.textNode(v.get("bytesValue").asText());
    }
    if (v.has("arrayValue")) {
      ArrayNode a = NODES.arrayNode();
      JsonNode values = v.get("arrayValue").path("values");
      for (int i = 0; i < values.size(); i++) {
        a.add(jsonValue(values.get(i), path + ".arrayValue.values[" + i + "]"));
      }
      return a;
    }
    if (v.has("kvlistValue")) {
      ObjectNode o = NODES.objectNode();
      jsonAttributes(v.get("kvlistValue").path("values"), path + ".kvlistValue.values").forEach(o::set);
      return o;
    }
    throw new InvalidPayload(path + ": unknown AnyValue (expected stringValue, intValue, doubleValue, boolValue, "
        + "arrayValue, kvlistValue or bytesValue)");
  }
}
