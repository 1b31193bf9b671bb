package io.gatehouse.proxy.logs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import io.gatehouse.proxy.http.ChatCompletionsHandler;
import io.gatehouse.proxy.http.EmbeddingsHandler;
import io.gatehouse.proxy.http.MessagesHandler;
import io.gatehouse.proxy.http.OpenAiErrors;
import io.gatehouse.proxy.provider.anthropic.AnthropicResponses;
import io.gatehouse.schemas.GatehouseEvent;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LiteLLM's {@code generic_api} callback → events with {@code source = litellm}. The callback posts
 * LiteLLM's {@code StandardLoggingPayload} objects as a JSON array (its default {@code log_format:
 * json_array}), one per line ({@code ndjson}) or one per request ({@code single}); all three are read.
 *
 * <p>Field by field: {@code id} keys the event id (re-sent payloads are stored once);
 * {@code call_type} → endpoint; {@code model_group} (the public name) → requested model and route,
 * {@code response.model} (else {@code model}) → model; {@code custom_llm_provider} → provider;
 * {@code model_id} → deployment; {@code model_parameters} → params; {@code messages} → prompt;
 * {@code response} → completion and finish reason; {@code prompt_tokens}, {@code completion_tokens} and
 * the response's usage details → tokens; {@code startTime}, {@code endTime}, {@code completionStartTime}
 * (epoch seconds) → timings, ttft for streams; {@code status}, {@code error_information},
 * {@code error_str} → status and error; {@code end_user} (else the key's user) → user; the key's team
 * alias (else team id) → team; the key's alias → virtual key id; {@code request_tags} → tags
 * ({@code k=v} or {@code k:v}; a {@code feature} or {@code environment} tag also fills that field);
 * {@code trace_id} → trace id; {@code cache_hit} → cache result ({@code exact}/{@code miss}: LiteLLM
 * does not say which kind of cache answered).
 *
 * <p>Not taken: {@code response_cost} (Gatehouse prices every call from its own catalog, in
 * {@link PricingSink}), the key's hash, {@code api_base}, {@code requester_ip_address}. A failed call's
 * token counts, which LiteLLM reports as 0, are recorded as unknown (null).
 *
 * <p>Stateless and thread-safe.
 */
final class LiteLlmMapper {
  static final int MAX_PAYLOADS = 1_000;

  private LiteLlmMapper() {}

  static List<GatehouseEvent> map(byte[] body) throws InvalidPayload {
    List<JsonNode> payloads = new ArrayList<>();
    try (MappingIterator<JsonNode> values = LogEvents.JSON.readerFor(JsonNode.class).readValues(body)) {
      while (values.hasNextValue()) {
        JsonNode v = values.nextValue();
        if (v.isArray()) {
          v.forEach(payloads::add);
        } else {
          payloads.add(v);
        }
        if (payloads.size() > MAX_PAYLOADS) {
          throw new InvalidPayload("At most " + MAX_PAYLOADS + " payloads per request; lower the callback's batch_size.");
        }
      }
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr();
      throw new InvalidPayload("The body is not valid JSON (a JSON array, NDJSON or one object)" + where + ": "
          + e.getOriginalMessage());
    } catch (IOException e) {
      throw new InvalidPayload("The body could not be read as JSON.");
    }
    if (payloads.isEmpty()) {
      throw new InvalidPayload("The body holds no StandardLoggingPayload.");
    }
    List<GatehouseEvent> events = new ArrayList<>(payloads.size());
    for (int i = 0; i < payloads.size(); i++) {
      events.add(one(payloads.get(i), "[" + i + "]"));
    }
    return events;
  }

  private static GatehouseEvent one(JsonNode p, String path) throws InvalidPayload {
    if (!p.isObject()) {
      throw new InvalidPayload(path + ": expected a StandardLoggingPayload object, got " + LogEvents.kind(p));
    }
    JsonNode modelNode = p.get("model");
    if (modelNode == null || !modelNode.isTextual() || modelNode.asText().isBlank()) {
      throw new InvalidPayload(path + ".model: required, a string (is this a LiteLLM StandardLoggingPayload?)");
    }
    Long start = LogEvents.instantMs(p.get("startTime"), true, path + ".startTime");
    Long end = LogEvents.instantMs(p.get("endTime"), true, path + ".endTime");
    if (start == null || end == null) {
      throw new InvalidPayload(path + ": \"startTime\" and \"endTime\" are required (epoch seconds)");
    }
    if (end < start) {
      throw new InvalidPayload(path + ": \"endTime\" is before \"startTime\"");
    }
    Long firstToken = LogEvents.instantMs(p.get("completionStartTime"), true, path + ".completionStartTime");
    String model = modelNode.asText();
    String group = LogEvents.text(p.get("model_group"));
    boolean stream = p.path("stream").asBoolean(false);
    String callType = p.path("call_type").asText("");

    GatehouseEvent.Builder event = GatehouseEvent.builder().source(GatehouseEvent.Sources.LITELLM);
    LogEvents.timings(event, start, end, firstToken, stream);
    event.endpoint(endpoint(callType)).modelRequested(group != null ? group : model).model(model).route(group)
        .provider(LogEvents.text(p.get("custom_llm_provider"))).deployment(LogEvents.text(p.get("model_id")))
        .stream(stream);
    JsonNode params = p.get("model_parameters");
    if (params != null && params.isObject() && params.size() > 0) {
      event.params(params);
    }
    LogEvents.prompt(event, p.get("messages"));

    boolean failed = "failure".equals(p.path("status").asText());
    JsonNode response = p.get("response");
    if (!failed) {
      event.status(200);
      if (response != null && response.isObject()) {
        if (response.hasNonNull("model")) {
          event.model(LogEvents.text(response.get("model")));
        }
        if (response.has("choices")) {
          event.completion(LogEvents.openAiText(response))
              .finishReason(LogEvents.text(response.path("choices").path(0).get("finish_reason")));
        } else if (response.has("stop_reason")) {
          event.completion(LogEvents.anthropicText(response))
              .finishReason(AnthropicResponses.finishReason(response.path("stop_reason").asText(null)));
        }
      } else if (response != null && response.isTextual()) {
        event.completion(response.asText());
      }
      JsonNode usage = response == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance()
          : response.path("usage");
      event.inputTokens(LogEvents.longOrNull(p.get("prompt_tokens")))
          .outputTokens(LogEvents.longOrNull(p.get("completion_tokens")))
          .cachedInputTokens(LogEvents.longOrNull(usage.path("prompt_tokens_details").get("cached_tokens")))
          .reasoningTokens(LogEvents.longOrNull(usage.path("completion_tokens_details").get("reasoning_tokens")))
          .cacheWriteTokens(LogEvents.longOrNull(usage.get("cache_creation_input_tokens")));
    } else {
      JsonNode info = p.path("error_information");
      Long code = LogEvents.longOrNull(info.get("error_code"));
      int status = code != null && code >= 400 && code <= 599 ? code.intValue() : 500;
      String message = LogEvents.text(p.get("error_str")) != null ? p.get("error_str").asText()
          : info.path("error_message").asText(null);
      String errorClass = LogEvents.text(info.get("error_class"));
      event.status(status).errorClass(errorClass == null ? OpenAiErrors.UPSTREAM : errorClass).errorMessage(message);
    }

    attribution(event, p, path);
    JsonNode cacheHit = p.get("cache_hit");
    if (cacheHit != null && cacheHit.isBoolean()) {
      event.cacheResult(cacheHit.asBoolean() ? "exact" : "miss");
    }
    String id = LogEvents.text(p.get("id"));
    event.eventId(LogEvents.eventId(GatehouseEvent.Sources.LITELLM, id != null ? "id:" + id : "payload:" + p, start));
    return event.build();
  }

  private static void attribution(GatehouseEvent.Builder event, JsonNode p, String path) throws InvalidPayload {
    JsonNode meta = p.path("metadata");
    String user = LogEvents.text(p.get("end_user"));
    if (user == null) {
      user = LogEvents.text(meta.get("user_api_key_end_user_id"));
    }
    if (user == null) {
      user = LogEvents.text(meta.get("user_api_key_user_id"));
    }
    String team = LogEvents.text(meta.get("user_api_key_team_alias"));
    if (team == null) {
      team = LogEvents.text(meta.get("user_api_key_team_id"));
    }
    event.user(user).team(team).virtualKeyId(LogEvents.text(meta.get("user_api_key_alias")))
        .traceId(LogEvents.text(p.get("trace_id")));
    JsonNode requestTags = p.get("request_tags");
    Map<String, String> tags = new LinkedHashMap<>();
    if (requestTags != null && requestTags.isArray()) {
      for (JsonNode t : requestTags) {
        String s = t.asText("");
        int sep = s.indexOf('=') > 0 ? s.indexOf('=') : s.indexOf(':');
        if (sep > 0) {
          LogEvents.tag(tags, s.substring(0, sep), s.substring(sep + 1));
        } else {
          LogEvents.tag(tags, s, "");
        }
      }
    } else if (requestTags != null && !requestTags.isNull()) {
      throw new InvalidPayload(path + ".request_tags: expected a list of strings");
    }
    event.tags(tags).feature(LogEvents.bound(tags.get("feature"))).environment(LogEvents.bound(tags.get("environment")));
  }

  /** LiteLLM's call types → the endpoint the same call has on Gatehouse. */
  static String endpoint(String callType) {
    return switch (callType) {
      case "completion", "acompletion" -> ChatCompletionsHandler.ENDPOINT;
      case "embedding", "aembedding" -> EmbeddingsHandler.ENDPOINT;
      case "anthropic_messages" -> MessagesHandler.ENDPOINT;
      case "text_completion", "atext_completion" -> "/v1/completions";
      case "responses", "aresponses" -> "/v1/responses";
      case "" -> ChatCompletionsHandler.ENDPOINT;
      default -> "litellm:" + LogEvents.bound(callType);
    };
  }
}
