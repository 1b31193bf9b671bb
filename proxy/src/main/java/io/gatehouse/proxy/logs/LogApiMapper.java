package io.gatehouse.proxy.logs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.proxy.http.ChatCompletionsHandler;
import io.gatehouse.proxy.http.MessagesHandler;
import io.gatehouse.proxy.http.OpenAiErrors;
import io.gatehouse.proxy.pipeline.Attribution;
import io.gatehouse.proxy.pipeline.Prompts;
import io.gatehouse.proxy.provider.Usage;
import io.gatehouse.proxy.provider.anthropic.AnthropicResponses;
import io.gatehouse.proxy.provider.anthropic.AnthropicUsage;
import io.gatehouse.proxy.provider.openai.OpenAiChat;
import io.gatehouse.schemas.GatehouseEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST /v1/logs} bodies → events with {@code source = log_api}. A body is one log, a JSON array
 * of logs, or {@code {"logs": [...]}}. One log is a request/response pair as the provider saw it:
 *
 * <pre>{@code
 * {"id": "call-123",                       // optional: the sender's id; makes re-sending idempotent
 *  "format": "openai" | "anthropic",       // optional: inferred from the bodies
 *  "provider": "openai",                   // optional
 *  "endpoint": "/v1/chat/completions",     // optional: by format
 *  "request":  {...},                      // the Chat Completions or Messages request body
 *  "response": {...},                      // the response body (or the provider's error body)
 *  "status": 200,                          // optional: 200, or 500 when the response is an error body
 *  "timing": {"start": ..., "end": ..., "first_token": ...},   // epoch ms or ISO-8601; first_token optional
 *  "attribution": {"user", "team", "feature", "environment", "session_id", "trace_id", "span_id",
 *                  "prompt_id", "prompt_version", "tags": {"k": "v"}}}
 * }</pre>
 *
 * The request's {@code x-gatehouse-*} headers (and the OpenAI {@code user} field) attribute every log
 * of the body, as on the proxy; a log's own {@code attribution} wins field by field. A {@code traceparent}
 * header is not used: it is the logging request's trace, not the logged call's.
 *
 * <p>Tokens come from the response's {@code usage}; when it is absent, {@link PricingSink} counts them
 * from the prompt and completion and tags the event {@code gatehouse.tokens=estimated}. A body with one invalid log is refused whole (400, the message names the log).
 *
 * <p>Stateless and thread-safe.
 */
final class LogApiMapper {
  static final int MAX_LOGS = 1_000;
  private static final Set<String> OPENAI_NOT_PARAMS = Set.of("messages");
  private static final Set<String> ANTHROPIC_NOT_PARAMS = Set.of("messages", "system");
  private static final Set<String> LOG_KEYS = Set.of("id", "format", "provider", "endpoint", "request", "response",
      "status", "timing", "attribution", "error");

  private LogApiMapper() {}

  static List<GatehouseEvent> map(byte[] body, io.undertow.util.HeaderMap headers) throws InvalidPayload {
    JsonNode root;
    try {
      root = LogEvents.JSON.readTree(body);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr();
      throw new InvalidPayload("The body is not valid JSON" + where + ": " + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw new InvalidPayload("The body could not be read as JSON.");
    }
    List<JsonNode> logs = new ArrayList<>();
    String base;
    if (root != null && root.isArray()) {
      root.forEach(logs::add);
      base = "";
    } else if (root != null && root.isObject() && root.has("logs")) {
      if (!root.get("logs").isArray()) {
        throw new InvalidPayload("logs: expected an array of logs");
      }
      root.get("logs").forEach(logs::add);
      base = "logs";
    } else if (root != null && root.isObject()) {
      logs.add(root);
      base = null;
    } else {
      throw new InvalidPayload("The body must be a log object, an array of logs or {\"logs\": [...]}; each log has "
          + "\"request\", \"response\" and \"timing\": {\"start\", \"end\"}.");
    }
    if (logs.isEmpty()) {
      throw new InvalidPayload("The body holds no logs.");
    }
    if (logs.size() > MAX_LOGS) {
      throw new InvalidPayload("At most " + MAX_LOGS + " logs per request; this body has " + logs.size() + ".");
    }
    List<GatehouseEvent> events = new ArrayList<>(logs.size());
    for (int i = 0; i < logs.size(); i++) {
      String path = base == null ? "log" : base + "[" + i + "]";
      events.add(one(logs.get(i), path, headers));
    }
    return events;
  }

  private static GatehouseEvent one(JsonNode log, String path, io.undertow.util.HeaderMap headers)
      throws InvalidPayload {
    if (!log.isObject()) {
      throw new InvalidPayload(path + ": expected a log object, got " + LogEvents.kind(log));
    }
    for (java.util.Iterator<String> it = log.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!LOG_KEYS.contains(k)) {
        throw new InvalidPayload(path + "." + k + ": unknown field (a log has " + String.join(", ", LOG_KEYS.stream()
            .sorted().toList()) + ")");
      }
    }
    JsonNode request = log.get("request");
    if (request == null || !request.isObject()) {
      throw new InvalidPayload(path + ".request: required, the request body as sent to the provider (an object with "
          + "\"model\" and \"messages\")");
    }
    JsonNode response = log.get("response");
    if (response != null && !response.isNull() && !response.isObject()) {
      throw new InvalidPayload(path + ".response: expected the provider's response body (an object), got "
          + LogEvents.kind(response));
    }
    if (response != null && response.isNull()) {
      response = null;
    }
    JsonNode model = request.get("model");
    if (model == null || !model.isTextual() || model.asText().isBlank()) {
      throw new InvalidPayload(path + ".request.model: required, a string such as \"gpt-4o-mini\"");
    }
    boolean anthropic = anthropic(log, request, response, path);

    JsonNode timing = log.get("timing");
    if (timing == null || !timing.isObject()) {
      throw new InvalidPayload(path + ".timing: required, {\"start\": ..., \"end\": ...} in epoch milliseconds or "
          + "ISO-8601");
    }
    Long start = LogEvents.instantMs(timing.get("start"), false, path + ".timing.start");
    Long end = LogEvents.instantMs(timing.get("end"), false, path + ".timing.end");
    if (start == null || end == null) {
      throw new InvalidPayload(path + ".timing: both \"start\" and \"end\" are required");
    }
    if (end < start) {
      throw new InvalidPayload(path + ".timing: \"end\" is before \"start\"");
    }
    Long firstToken = LogEvents.instantMs(timing.get("first_token"), false, path + ".timing.first_token");

    GatehouseEvent.Builder event = GatehouseEvent.builder().source(GatehouseEvent.Sources.LOG_API);
    boolean stream = request.path("stream").asBoolean(false);
    LogEvents.timings(event, start, end, firstToken, stream);
    event.endpoint(log.hasNonNull("endpoint") ? LogEvents.text(log.get("endpoint"))
        : anthropic ? MessagesHandler.ENDPOINT : ChatCompletionsHandler.ENDPOINT);
    event.modelRequested(model.asText()).model(model.asText()).provider(LogEvents.text(log.get("provider")))
        .stream(stream);
    event.params(LogEvents.paramsOf(request, anthropic ? ANTHROPIC_NOT_PARAMS : OPENAI_NOT_PARAMS));
    LogEvents.prompt(event, anthropic ? Prompts.anthropic(request) : request.get("messages"));

    // response
    JsonNode errorBody = response == null ? null : response.get("error");
    boolean failed = errorBody != null && !errorBody.isNull();
    int status;
    if (log.hasNonNull("status")) {
      if (!log.get("status").canConvertToInt() || log.get("status").asInt() < 100 || log.get("status").asInt() > 599) {
        throw new InvalidPayload(path + ".status: expected an HTTP status such as 200");
      }
      status = log.get("status").asInt();
    } else {
      status = failed ? 500 : 200;
    }
    event.status(status);
    if (response != null && !failed) {
      if (response.hasNonNull("model")) {
        event.model(LogEvents.text(response.get("model")));
      }
      Usage usage;
      if (anthropic) {
        event.finishReason(AnthropicResponses.finishReason(response.path("stop_reason").asText(null)))
            .completion(LogEvents.anthropicText(response));
        AnthropicUsage u = AnthropicUsage.of(response.get("usage"));
        usage = u == null ? null : u.toUsage();
      } else {
        event.finishReason(LogEvents.text(response.path("choices").path(0).get("finish_reason")))
            .completion(LogEvents.openAiText(response));
        usage = OpenAiChat.usage(response.get("usage"));
      }
      LogEvents.usage(event, usage);
    }
    if (status >= 400 || failed) {
      String type = failed ? LogEvents.text(errorBody.get("type")) : null;
      String message = failed ? (errorBody.isTextual() ? errorBody.asText() : errorBody.path("message").asText(null))
          : null;
      JsonNode explicit = log.get("error");
      if (explicit != null && explicit.isObject()) {
        type = explicit.hasNonNull("class") ? LogEvents.text(explicit.get("class")) : type;
        message = explicit.hasNonNull("message") ? explicit.get("message").asText() : message;
      }
      event.errorClass(type == null ? OpenAiErrors.UPSTREAM : type).errorMessage(message);
    }

    attribution(event, log.get("attribution"), path + ".attribution", headers, request);
    String key = log.hasNonNull("id") ? "id:" + log.get("id").asText() : "log:" + log.toString();
    event.eventId(LogEvents.eventId(GatehouseEvent.Sources.LOG_API, key, start));
    return event.build();
  }

  private static boolean anthropic(JsonNode log, JsonNode request, JsonNode response, String path)
      throws InvalidPayload {
    JsonNode format = log.get("format");
    if (format != null && !format.isNull()) {
      String f = format.asText();
      if (f.equals("anthropic")) {
        return true;
      }
      if (f.equals("openai")) {
        return false;
      }
      throw new InvalidPayload(path + ".format: expected \"openai\" or \"anthropic\", got \"" + LogEvents.bound(f) + "\"");
    }
    if (response != null && ("message".equals(response.path("type").asText()) || response.has("stop_reason"))) {
      return true;
    }
    if (response != null && response.has("choices")) {
      return false;
    }
    return request.has("system");
  }

  /** Header attribution (as on the proxy), overridden field by field by the log's own. */
  private static void attribution(GatehouseEvent.Builder event, JsonNode a, String path,
      io.undertow.util.HeaderMap headers, JsonNode request) throws InvalidPayload {
    Attribution fromHeaders = Attribution.from(headers, request);
    fromHeaders.applyTo(event);
    // a traceparent on the POST is the logger's own trace, not the logged call's
    event.traceId(null).spanId(null);
    if (a == null || a.isNull()) {
      return;
    }
    if (!a.isObject()) {
      throw new InvalidPayload(path + ": expected an object such as {\"user\": \"u-42\", \"team\": \"support\"}");
    }
    if (a.has("user")) {
      event.user(LogEvents.text(a.get("user")));
    }
    if (a.has("team")) {
      event.team(LogEvents.text(a.get("team")));
    }
    if (a.has("feature")) {
      event.feature(LogEvents.text(a.get("feature")));
    }
    if (a.has("environment")) {
      event.environment(LogEvents.text(a.get("environment")));
    }
    if (a.has("session_id")) {
      event.sessionId(LogEvents.text(a.get("session_id")));
    }
    if (a.has("trace_id")) {
      event.traceId(LogEvents.text(a.get("trace_id")));
    }
    if (a.has("span_id")) {
      event.spanId(LogEvents.text(a.get("span_id")));
    }
    if (a.has("prompt_id")) {
      event.promptId(LogEvents.text(a.get("prompt_id")));
    }
    if (a.has("prompt_version")) {
      event.promptVersion(LogEvents.text(a.get("prompt_version")));
    }
    if (a.has("tags")) {
      Map<String, String> tags = new LinkedHashMap<>(fromHeaders.tags());
      tags.putAll(LogEvents.tags(a.get("tags"), path + ".tags"));
      event.tags(tags);
    }
  }
}
