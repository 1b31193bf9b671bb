package io.gatehouse.proxy.logs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.http.ChatCompletionsHandler;
import io.gatehouse.proxy.http.EmbeddingsHandler;
import io.gatehouse.proxy.http.OpenAiErrors;
import io.gatehouse.proxy.provider.anthropic.AnthropicResponses;
import io.gatehouse.schemas.GatehouseEvent;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * OTLP spans that follow the OpenTelemetry GenAI semantic conventions → events with
 * {@code source = otlp}, one per model call.
 *
 * <p><b>Which spans.</b> A span is a model call when {@code gen_ai.operation.name} is {@code chat},
 * {@code text_completion}, {@code generate_content} or {@code embeddings}, or, without an operation
 * name, when it has {@code gen_ai.request.model}. Other spans (HTTP, database, agent and tool spans
 * such as {@code invoke_agent} or {@code execute_tool}, which wrap model calls and would count them
 * twice) are skipped without error: an exporter sends whole traces.
 *
 * <p><b>What is read.</b> Provider {@code gen_ai.provider.name} (else the older {@code gen_ai.system}), lower-cased;
 * models {@code gen_ai.request.model}, {@code gen_ai.response.model}; tokens
 * {@code gen_ai.usage.input_tokens}/{@code output_tokens} (or the older {@code prompt_tokens}/
 * {@code completion_tokens}), cache read and creation and reasoning tokens where present; finish
 * reason {@code gen_ai.response.finish_reasons[0]} (Anthropic's stop reasons mapped to OpenAI's, as the
 * proxy records them); parameters {@code gen_ai.request.*}. The prompt
 * and completion from, in this order: {@code gen_ai.input.messages}/{@code gen_ai.output.messages}
 * (with {@code gen_ai.system_instructions}); the span events {@code gen_ai.system.message},
 * {@code gen_ai.user.message}, {@code gen_ai.assistant.message}, {@code gen_ai.tool.message},
 * {@code gen_ai.choice}; the older {@code gen_ai.content.prompt}/{@code gen_ai.content.completion} events;
 * OpenLLMetry's indexed {@code gen_ai.prompt.N.*}/{@code gen_ai.completion.N.*} attributes. Messages
 * made of text parts become {@code {"role", "content"}} as the proxy stores them.
 *
 * <p>Status: a span with status ERROR is 500 unless {@code http.response.status_code} says more;
 * {@code error.type} is the error class. Attribution: trace and span ids; {@code gen_ai.conversation.id}
 * (else {@code session.id}) → session; {@code user.id} (else {@code enduser.id}) → user;
 * {@code gatehouse.team}, {@code gatehouse.feature} (else the resource's {@code service.name}) →
 * team, feature; {@code deployment.environment.name} → environment; {@code gatehouse.tags.<k>} → tags.
 * Span attributes win over resource attributes.
 *
 * <p>No time to first token (the conventions put it in metrics, not spans). Cost, and token counts a
 * span lacks, are filled in by {@link PricingSink}. Stateless and thread-safe.
 */
final class OtlpMapper {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Set<String> MODEL_CALLS = Set.of("chat", "text_completion", "generate_content", "embeddings");
  private static final Map<String, String> ROLE_EVENTS = Map.of("gen_ai.system.message", "system",
      "gen_ai.user.message", "user", "gen_ai.assistant.message", "assistant", "gen_ai.tool.message", "tool");
  private static final String TAG_PREFIX = "gatehouse.tags.";
  private static final Set<String> ANTHROPIC_STOP_REASONS = Set.of("end_turn", "stop_sequence", "max_tokens",
      "tool_use", "refusal", "pause_turn", "model_context_window_exceeded");

  private OtlpMapper() {}

  static List<GatehouseEvent> map(List<OtlpSpans.Span> spans) {
    List<GatehouseEvent> events = new ArrayList<>();
    for (OtlpSpans.Span span : spans) {
      if (isModelCall(span)) {
        events.add(one(span));
      }
    }
    return events;
  }

  static boolean isModelCall(OtlpSpans.Span span) {
    JsonNode op = span.attributes().get("gen_ai.operation.name");
    if (op != null && op.isTextual()) {
      return MODEL_CALLS.contains(op.asText());
    }
    return span.attributes().containsKey("gen_ai.request.model");
  }

  private static GatehouseEvent one(OtlpSpans.Span span) {
    Map<String, JsonNode> a = span.attributes();
    GatehouseEvent.Builder event = GatehouseEvent.builder().source(GatehouseEvent.Sources.OTLP);
    long start = span.startNanos() / 1_000_000;
    long end = Math.max(start, span.endNanos() / 1_000_000);
    boolean stream = bool(a, "gen_ai.request.stream", "llm.is_streaming");
    LogEvents.timings(event, start, end, null, stream);
    String op = str(a, "gen_ai.operation.name");
    String provider = str(a, "gen_ai.provider.name", "gen_ai.system");
    provider = provider == null ? null : provider.toLowerCase(java.util.Locale.ROOT);
    String requested = str(a, "gen_ai.request.model");
    String responded = str(a, "gen_ai.response.model");
    event.endpoint(endpoint(op)).stream(stream)
        .modelRequested(requested != null ? requested : responded != null ? responded : "")
        .model(responded != null ? responded : requested)
        .provider(provider);
    ObjectNode params = params(a);
    if (params.size() > 0) {
      event.params(params);
    }
    LogEvents.prompt(event, prompt(span));
    Output output = output(span);
    event.completion(output.text());
    JsonNode finish = a.get("gen_ai.response.finish_reasons");
    String finishReason = finish != null && finish.isArray() ? LogEvents.text(finish.path(0)) : LogEvents.text(finish);
    finishReason = finishReason != null ? finishReason : output.finishReason();
    // the proxy records OpenAI's finish reasons; Anthropic instrumentations pass stop_reason through
    event.finishReason("anthropic".equals(provider) && finishReason != null && ANTHROPIC_STOP_REASONS.contains(finishReason)
        ? AnthropicResponses.finishReason(finishReason) : finishReason);

    event.inputTokens(num(a, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"))
        .outputTokens(num(a, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"))
        .cachedInputTokens(num(a, "gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens"))
        .cacheWriteTokens(num(a, "gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.cache_creation_input_tokens"))
        .reasoningTokens(num(a, "gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens"));

    Long http = num(a, "http.response.status_code", "http.status_code");
    boolean failed = span.statusCode() == OtlpSpans.STATUS_ERROR || a.containsKey("error.type");
    int status = http != null && http >= 100 && http <= 599 ? http.intValue() : failed ? 500 : 200;
    event.status(status);
    if (failed || status >= 400) {
      String type = str(a, "error.type");
      event.errorClass(type != null ? type : OpenAiErrors.UPSTREAM)
          .errorMessage(span.statusMessage() == null || span.statusMessage().isEmpty() ? null : span.statusMessage());
    }

    Map<String, JsonNode> r = span.resource();
    event.traceId(span.traceId()).spanId(span.spanId())
        .sessionId(str(a, "gen_ai.conversation.id", "session.id"))
        .user(first(str(a, "user.id", "enduser.id"), str(r, "user.id", "enduser.id")))
        .team(first(str(a, "gatehouse.team"), str(r, "gatehouse.team")))
        .feature(first(str(a, "gatehouse.feature"), str(r, "gatehouse.feature", "service.name")))
        .environment(first(str(a, "deployment.environment.name", "deployment.environment"),
            str(r, "deployment.environment.name", "deployment.environment")));
    Map<String, String> tags = new LinkedHashMap<>();
    for (Map<String, JsonNode> source : List.of(r, a)) {
      source.forEach((k, v) -> {
        if (k.startsWith(TAG_PREFIX) && v.isValueNode()) {
          LogEvents.tag(tags, k.substring(TAG_PREFIX.length()), v.asText());
        }
      });
    }
    event.tags(tags);
    event.eventId(LogEvents.eventId(GatehouseEvent.Sources.OTLP, span.traceId() + "/" + span.spanId(), start));
    return event.build();
  }

  static String endpoint(String op) {
    if (op == null) {
      return ChatCompletionsHandler.ENDPOINT;
    }
    return switch (op) {
      case "embeddings" -> EmbeddingsHandler.ENDPOINT;
      case "text_completion" -> "/v1/completions";
      default -> ChatCompletionsHandler.ENDPOINT;
    };
  }

  /** {@code gen_ai.request.temperature} → {@code temperature}, and so on; the model is not a parameter. */
  private static ObjectNode params(Map<String, JsonNode> a) {
    TreeMap<String, JsonNode> sorted = new TreeMap<>();
    a.forEach((k, v) -> {
      if (k.startsWith("gen_ai.request.") && !k.equals("gen_ai.request.model")) {
        sorted.put(k.substring("gen_ai.request.".length()), v);
      }
    });
    ObjectNode params = NODES.objectNode();
    sorted.forEach(params::set);
    return params;
  }

  private static JsonNode prompt(OtlpSpans.Span span) {
    Map<String, JsonNode> a = span.attributes();
    JsonNode input = parsed(a.get("gen_ai.input.messages"));
    if (input != null && input.isArray()) {
      ArrayNode prompt = NODES.arrayNode();
      JsonNode system = parsed(a.get("gen_ai.system_instructions"));
      if (system != null && !system.isNull()) {
        prompt.addObject().put("role", "system").set("content", textOfParts(system));
      }
      for (JsonNode m : input) {
        prompt.add(message(m));
      }
      return prompt;
    }
    ArrayNode fromEvents = NODES.arrayNode();
    for (OtlpSpans.Event e : span.events()) {
      String role = ROLE_EVENTS.get(e.name());
      if (role != null) {
        ObjectNode m = fromEvents.addObject().put("role", str(e.attributes(), "role") != null
            ? str(e.attributes(), "role") : role);
        JsonNode content = parsed(e.attributes().get("content"));
        m.set("content", content == null ? NODES.nullNode() : content);
      } else if (e.name().equals("gen_ai.content.prompt")) {
        JsonNode legacy = parsed(e.attributes().get("gen_ai.prompt"));
        if (legacy != null) {
          return legacy;
        }
      }
    }
    if (!fromEvents.isEmpty()) {
      return fromEvents;
    }
    ArrayNode indexed = indexed(a, "gen_ai.prompt.");
    return indexed.isEmpty() ? null : indexed;
  }

  private record Output(String text, String finishReason) {}

  private static Output output(OtlpSpans.Span span) {
    Map<String, JsonNode> a = span.attributes();
    JsonNode output = parsed(a.get("gen_ai.output.messages"));
    if (output != null && output.isArray() && !output.isEmpty()) {
      JsonNode first = output.get(0);
      return new Output(textOf(textOfParts(first.path("parts").isMissingNode() ? first.path("content") : first.get("parts"))),
          LogEvents.text(first.get("finish_reason")));
    }
    for (OtlpSpans.Event e : span.events()) {
      if (e.name().equals("gen_ai.choice")) {
        JsonNode message = parsed(e.attributes().get("message"));
        JsonNode content = message != null && message.isObject() ? message.get("content")
            : parsed(e.attributes().get("content"));
        return new Output(textOf(content), str(e.attributes(), "finish_reason"));
      }
      if (e.name().equals("gen_ai.content.completion")) {
        JsonNode legacy = parsed(e.attributes().get("gen_ai.completion"));
        if (legacy != null && legacy.isArray()) {
          return new Output(textOf(legacy.path(0).get("content")), null);
        }
        return new Output(textOf(legacy), null);
      }
    }
    ArrayNode indexed = indexed(a, "gen_ai.completion.");
    if (!indexed.isEmpty()) {
      return new Output(textOf(indexed.get(0).get("content")), LogEvents.text(indexed.get(0).get("finish_reason")));
    }
    return new Output(null, null);
  }

  /** A semconv message ({@code role}, {@code parts}) as the proxy stores messages ({@code role}, {@code content}). */
  private static JsonNode message(JsonNode m) {
    if (!m.isObject() || !m.has("parts")) {
      return m;
    }
    ObjectNode out = NODES.objectNode();
    out.set("role", m.path("role"));
    out.set("content", textOfParts(m.get("parts")));
    return out;
  }

  /** Text parts joined into one string; anything else (images, tool calls) kept as the parts. */
  private static JsonNode textOfParts(JsonNode parts) {
    if (parts == null || !parts.isArray()) {
      return parts == null ? NODES.nullNode() : parts;
    }
    StringBuilder text = new StringBuilder();
    for (JsonNode p : parts) {
      if (!"text".equals(p.path("type").asText()) || !p.path("content").isTextual()) {
        return parts;
      }
      text.append(p.get("content").asText());
    }
    return NODES.textNode(text.toString());
  }

  private static String textOf(JsonNode n) {
    return n == null || !n.isTextual() ? null : n.asText();
  }

  /** OpenLLMetry's {@code prefix.0.role}, {@code prefix.0.content}, … as an array of objects. */
  private static ArrayNode indexed(Map<String, JsonNode> a, String prefix) {
    TreeMap<Integer, ObjectNode> byIndex = new TreeMap<>();
    a.forEach((k, v) -> {
      if (k.startsWith(prefix)) {
        String rest = k.substring(prefix.length());
        int dot = rest.indexOf('.');
        if (dot > 0 && rest.substring(0, dot).chars().allMatch(Character::isDigit) && dot < 6) {
          byIndex.computeIfAbsent(Integer.parseInt(rest.substring(0, dot)), i -> NODES.objectNode())
              .set(rest.substring(dot + 1), v);
        }
      }
    });
    ArrayNode out = NODES.arrayNode();
    byIndex.values().forEach(out::add);
    return out;
  }

  /** An attribute that may hold JSON as a string (structured values often travel that way). */
  private static JsonNode parsed(JsonNode v) {
    if (v == null || v.isNull()) {
      return null;
    }
    if (v.isTextual()) {
      String s = v.asText().strip();
      if (s.startsWith("[") || s.startsWith("{")) {
        try {
          return LogEvents.JSON.readTree(s);
        } catch (IOException e) {
          return v;
        }
      }
    }
    return v;
  }

  private static String str(Map<String, JsonNode> a, String... keys) {
    for (String k : keys) {
      String v = LogEvents.text(a.get(k));
      if (v != null) {
        return v;
      }
    }
    return null;
  }

  private static Long num(Map<String, JsonNode> a, String... keys) {
    for (String k : keys) {
      Long v = LogEvents.longOrNull(a.get(k));
      if (v != null) {
        return v;
      }
    }
    return null;
  }

  private static boolean bool(Map<String, JsonNode> a, String... keys) {
    for (String k : keys) {
      JsonNode v = a.get(k);
      if (v != null && (v.isBoolean() || v.isTextual())) {
        return v.asBoolean();
      }
    }
    return false;
  }

  private static String first(String a, String b) {
    return a != null ? a : b;
  }
}
