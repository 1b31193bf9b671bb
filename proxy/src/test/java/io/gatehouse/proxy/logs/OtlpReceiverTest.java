package io.gatehouse.proxy.logs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.gatehouse.schemas.GatehouseEvent;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code POST /v1/traces}: OTLP/JSON and protobuf, GenAI spans → golden events, other spans skipped, 400s. */
class OtlpReceiverTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final ReceiverServer server = new ReceiverServer(null);

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void otlpJsonGenAiSpansBecomeEvents() throws Exception {
    HttpResponse<String> r = server.post("/v1/traces", Golden.payload("otlp/genai-traces.json"),
        "content-type", "application/json");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{}");
    Golden.assertMatches("otlp/genai-traces.events.json", server.published);
  }

  @Test
  void protobufGivesTheSameEventsAsJson() throws Exception {
    byte[] protobuf = toProtobuf(Golden.payload("otlp/genai-traces.json")).toByteArray();
    HttpResponse<String> r = server.post("/v1/traces", protobuf, "content-type", "application/x-protobuf");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/x-protobuf");
    assertThat(r.body()).isEmpty();
    List<GatehouseEvent> fromProtobuf = new ArrayList<>(server.published);
    server.published.clear();
    server.post("/v1/traces", Golden.payload("otlp/genai-traces.json"), "content-type", "application/json");
    assertThat(fromProtobuf).hasSize(3).isEqualTo(server.published);
  }

  @Test
  void aTraceWithoutGenAiSpansIsAcceptedAndPublishesNothing() throws Exception {
    String body = """
        {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "5b8efff798038103d269b633813fc60c",
          "spanId": "eee19b7ec3c1b173", "name": "GET /", "startTimeUnixNano": "1", "endTimeUnixNano": "2"}]}]}]}""";
    assertThat(server.post("/v1/traces", body, "content-type", "application/json").statusCode()).isEqualTo(200);
    assertThat(server.post("/v1/traces", "{}", "content-type", "application/json").statusCode()).isEqualTo(200);
    assertThat(server.published).isEmpty();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      {"resourceSpans": [                   | not valid JSON
      []                                    | must be an OTLP/JSON ExportTraceServiceRequest
      {"resourceSpans": {}}                 | resourceSpans: expected an array
      {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "abc", "spanId": "eee19b7ec3c1b173"}]}]}]} | spans[0].traceId: expected 32 hex digits
      {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "00"}]}]}]} | spans[0].spanId: expected 16 hex digits
      {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b173"}]}]}]} | spans[0].startTimeUnixNano: required
      {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b173", "startTimeUnixNano": "x", "endTimeUnixNano": "2"}]}]}]} | startTimeUnixNano: expected epoch nanoseconds
      {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b173", "startTimeUnixNano": "1", "endTimeUnixNano": "2", "attributes": [{"key": "k", "value": {"weird": 1}}]}]}]}]} | attributes[0].value: unknown AnyValue
      """)
  void malformedJsonIsA400WithAStatusBody(String body, String message) throws Exception {
    HttpResponse<String> r = server.post("/v1/traces", body, "content-type", "application/json");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    JsonNode status = JSON.readTree(r.body());
    assertThat(status.get("code").asInt()).isEqualTo(3);
    assertThat(status.get("message").asText()).contains(message);
    assertThat(server.published).isEmpty();
  }

  @Test
  void malformedProtobufIsA400() throws Exception {
    HttpResponse<byte[]> r = ReceiverServer.HTTP.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create(server.url("/v1/traces"))).header("content-type", "application/x-protobuf")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(new byte[] {0x0a, 0x7f, 0x01})).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(400);
    // google.rpc.Status: field 1 code, field 2 message
    com.google.protobuf.CodedInputStream in = com.google.protobuf.CodedInputStream.newInstance(r.body());
    int code = -1;
    String message = null;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (tag == (1 << 3)) {
        code = in.readInt32();
      } else if (tag == (2 << 3 | 2)) {
        message = in.readString();
      } else {
        in.skipField(tag);
      }
    }
    assertThat(code).isEqualTo(3);
    assertThat(message).contains("not a protobuf ExportTraceServiceRequest");
    assertThat(server.published).isEmpty();
  }

  /** The JSON fixture as protobuf, through the neutral spans (ids, times, attributes, events, status). */
  static ExportTraceServiceRequest toProtobuf(byte[] json) throws Exception {
    JsonNode root = JSON.readTree(json);
    ExportTraceServiceRequest.Builder request = ExportTraceServiceRequest.newBuilder();
    HexFormat hex = HexFormat.of();
    for (JsonNode rs : root.get("resourceSpans")) {
      List<OtlpSpans.Span> spans = OtlpSpans.fromJson(JSON.writeValueAsBytes(
          JSON.createObjectNode().set("resourceSpans", JSON.createArrayNode().add(rs))));
      ResourceSpans.Builder out = request.addResourceSpansBuilder()
          .setResource(Resource.newBuilder().addAllAttributes(kvs(spans.get(0).resource())));
      ScopeSpans.Builder scope = out.addScopeSpansBuilder();
      for (OtlpSpans.Span s : spans) {
        Span.Builder span = scope.addSpansBuilder()
            .setTraceId(ByteString.copyFrom(hex.parseHex(s.traceId())))
            .setSpanId(ByteString.copyFrom(hex.parseHex(s.spanId())))
            .setName(s.name()).setStartTimeUnixNano(s.startNanos()).setEndTimeUnixNano(s.endNanos())
            .setStatus(Status.newBuilder().setCodeValue(s.statusCode()).setMessage(s.statusMessage()))
            .addAllAttributes(kvs(s.attributes()));
        for (OtlpSpans.Event e : s.events()) {
          span.addEventsBuilder().setName(e.name()).setTimeUnixNano(e.timeNanos()).addAllAttributes(kvs(e.attributes()));
        }
      }
    }
    return request.build();
  }

  private static List<KeyValue> kvs(Map<String, JsonNode> attributes) {
    List<KeyValue> out = new ArrayList<>();
    attributes.forEach((k, v) -> out.add(KeyValue.newBuilder().setKey(k).setValue(any(v)).build()));
    return out;
  }

  private static AnyValue any(JsonNode v) {
    AnyValue.Builder b = AnyValue.newBuilder();
    if (v.isTextual()) {
      b.setStringValue(v.asText());
    } else if (v.isBoolean()) {
      b.setBoolValue(v.asBoolean());
    } else if (v.isIntegralNumber()) {
      b.setIntValue(v.asLong());
    } else if (v.isNumber()) {
      b.setDoubleValue(v.asDouble());
    } else if (v.isArray()) {
      ArrayValue.Builder a = ArrayValue.newBuilder();
      v.forEach(x -> a.addValues(any(x)));
      b.setArrayValue(a);
    } else if (v.isObject()) {
      KeyValueList.Builder l = KeyValueList.newBuilder();
      v.fields().forEachRemaining(f -> l.addValues(KeyValue.newBuilder().setKey(f.getKey()).setValue(any(f.getValue()))));
      b.setKvlistValue(l);
    }
    return b.build();
  }
}
