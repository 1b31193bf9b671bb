package io.gatehouse.schemas;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * Event v1: one per request through the proxy (or per log received in log-only mode).
 *
 * <p>This record is the contract between every producer (proxy, log receivers) and the ingest
 * service. Its JSON form is described by {@code gatehouse/event-v1.schema.json}; golden examples live
 * in {@code gatehouse/examples/}. Field names in JSON are snake_case and equal the ClickHouse column
 * names of {@code gatehouse.events} (Nested columns flatten {@code tags} and {@code attempts}).
 *
 * <p>Units: times are epoch milliseconds (UTC); durations are milliseconds except
 * {@code overhead_us} (microseconds, the gateway's own share of the request). Token counts and cost
 * are {@code null} when unknown, which is different from zero.
 *
 * <p>Secrets never enter an event: no provider key and no virtual key, only the virtual key's id.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record GatehouseEvent(
    // identity and time
    @JsonProperty("event_id") String eventId,
    @JsonProperty("schema_version") int schemaVersion,
    @JsonProperty("source") String source,
    @JsonProperty("ts_start_ms") long tsStartMs,
    @JsonProperty("ts_first_token_ms") Long tsFirstTokenMs,
    @JsonProperty("ts_end_ms") long tsEndMs,
    @JsonProperty("ttft_ms") Long ttftMs,
    @JsonProperty("duration_ms") long durationMs,
    @JsonProperty("upstream_ms") Long upstreamMs,
    @JsonProperty("overhead_us") Long overheadUs,
    // request
    @JsonProperty("endpoint") String endpoint,
    @JsonProperty("model_requested") String modelRequested,
    @JsonProperty("model") String model,
    @JsonProperty("provider") String provider,
    @JsonProperty("deployment") String deployment,
    @JsonProperty("stream") boolean stream,
    @JsonProperty("params") JsonNode params,
    @JsonProperty("prompt") JsonNode prompt,
    @JsonProperty("prompt_hash") String promptHash,
    // response
    @JsonProperty("status") int status,
    @JsonProperty("finish_reason") String finishReason,
    @JsonProperty("completion") String completion,
    @JsonProperty("error_class") String errorClass,
    @JsonProperty("error_message") String errorMessage,
    // usage and cost
    @JsonProperty("input_tokens") Long inputTokens,
    @JsonProperty("output_tokens") Long outputTokens,
    @JsonProperty("cached_input_tokens") Long cachedInputTokens,
    @JsonProperty("cache_write_tokens") Long cacheWriteTokens,
    @JsonProperty("reasoning_tokens") Long reasoningTokens,
    @JsonProperty("cost_usd") Double costUsd,
    @JsonProperty("cost_saved_usd") Double costSavedUsd,
    @JsonProperty("price_version") String priceVersion,
    // attribution
    @JsonProperty("virtual_key_id") String virtualKeyId,
    @JsonProperty("team") String team,
    @JsonProperty("user") String user,
    @JsonProperty("feature") String feature,
    @JsonProperty("environment") String environment,
    @JsonProperty("tags") Map<String, String> tags,
    @JsonProperty("trace_id") String traceId,
    @JsonProperty("span_id") String spanId,
    @JsonProperty("session_id") String sessionId,
    // behaviour
    @JsonProperty("route") String route,
    @JsonProperty("attempts") List<Attempt> attempts,
    @JsonProperty("fallback_used") boolean fallbackUsed,
    @JsonProperty("cache_result") String cacheResult,
    @JsonProperty("experiment") String experiment,
    @JsonProperty("variant") String variant,
    @JsonProperty("prompt_id") String promptId,
    @JsonProperty("prompt_version") String promptVersion) {

  public static final int SCHEMA_VERSION = 1;

  /** Where an event came from. */
  public static final class Sources {
    public static final String PROXY = "proxy";
    public static final String LOG_API = "log_api";
    public static final String OTLP = "otlp";
    public static final String LITELLM = "litellm";

    private Sources() {}
  }

  /** One try against one upstream target. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Attempt(
      @JsonProperty("provider") String provider,
      @JsonProperty("deployment") String deployment,
      @JsonProperty("model") String model,
      @JsonProperty("status") int status,
      @JsonProperty("failure_class") String failureClass,
      @JsonProperty("duration_ms") long durationMs) {}

  public static Builder builder() {
    return new Builder();
  }

  /** This event with its cost set (e.g. priced after it was built, for events that arrive as logs). */
  public GatehouseEvent withCost(Double costUsd, String priceVersion) {
    return new GatehouseEvent(eventId, schemaVersion, source, tsStartMs, tsFirstTokenMs, tsEndMs, ttftMs, durationMs,
        upstreamMs, overheadUs, endpoint, modelRequested, model, provider, deployment, stream, params, prompt,
        promptHash, status, finishReason, completion, errorClass, errorMessage, inputTokens, outputTokens,
        cachedInputTokens, cacheWriteTokens, reasoningTokens, costUsd, costSavedUsd, priceVersion, virtualKeyId,
        team, user, feature, environment, tags, traceId, spanId, sessionId, route, attempts, fallbackUsed,
        cacheResult, experiment, variant, promptId, promptVersion);
  }

  /** This event with other content: the request's params and prompt, the completion and the error message. */
  public GatehouseEvent withContent(JsonNode params, JsonNode prompt, String completion, String errorMessage) {
    return new GatehouseEvent(eventId, schemaVersion, source, tsStartMs, tsFirstTokenMs, tsEndMs, ttftMs, durationMs,
        upstreamMs, overheadUs, endpoint, modelRequested, model, provider, deployment, stream, params, prompt,
        promptHash, status, finishReason, completion, errorClass, errorMessage, inputTokens, outputTokens,
        cachedInputTokens, cacheWriteTokens, reasoningTokens, costUsd, costSavedUsd, priceVersion, virtualKeyId,
        team, user, feature, environment, tags, traceId, spanId, sessionId, route, attempts, fallbackUsed,
        cacheResult, experiment, variant, promptId, promptVersion);
  }

  /** This event with token counts set (e.g. estimated by a receiver) and these tags instead of its own. */
  public GatehouseEvent withTokens(Long inputTokens, Long outputTokens, Map<String, String> tags) {
    return new GatehouseEvent(eventId, schemaVersion, source, tsStartMs, tsFirstTokenMs, tsEndMs, ttftMs, durationMs,
        upstreamMs, overheadUs, endpoint, modelRequested, model, provider, deployment, stream, params, prompt,
        promptHash, status, finishReason, completion, errorClass, errorMessage, inputTokens, outputTokens,
        cachedInputTokens, cacheWriteTokens, reasoningTokens, costUsd, costSavedUsd, priceVersion, virtualKeyId,
        team, user, feature, environment, Map.copyOf(tags), traceId, spanId, sessionId, route, attempts,
        fallbackUsed, cacheResult, experiment, variant, promptId, promptVersion);
  }

  /**
   * Mutable builder: the proxy fills it while a request is in flight and calls {@link #build()} once
   * at the end. Not thread-safe; one builder belongs to one request.
   */
  public static final class Builder {
    private String eventId;
    private String source = Sources.PROXY;
    private long tsStartMs;
    private Long tsFirstTokenMs;
    private long tsEndMs;
    private Long ttftMs;
    private long durationMs;
    private Long upstreamMs;
    private Long overheadUs;
    private String endpoint;
    private String modelRequested;
    private String model;
    private String provider;
    private String deployment;
    private boolean stream;
    private JsonNode params;
    private JsonNode prompt;
    private String promptHash;
    private int status;
    private String finishReason;
    private String completion;
    private String errorClass;
    private String errorMessage;
    private Long inputTokens;
    private Long outputTokens;
    private Long cachedInputTokens;
    private Long cacheWriteTokens;
    private Long reasoningTokens;
    private Double costUsd;
    private Double costSavedUsd;
    private String priceVersion;
    private String virtualKeyId;
    private String team;
    private String user;
    private String feature;
    private String environment;
    private Map<String, String> tags;
    private String traceId;
    private String spanId;
    private String sessionId;
    private String route;
    private List<Attempt> attempts;
    private boolean fallbackUsed;
    private String cacheResult;
    private String experiment;
    private String variant;
    private String promptId;
    private String promptVersion;

    private Builder() {}

    public Builder eventId(String v) { this.eventId = v; return this; }
    public Builder source(String v) { this.source = v; return this; }
    public Builder tsStartMs(long v) { this.tsStartMs = v; return this; }
    public Builder tsFirstTokenMs(Long v) { this.tsFirstTokenMs = v; return this; }
    public Builder tsEndMs(long v) { this.tsEndMs = v; return this; }
    public Builder ttftMs(Long v) { this.ttftMs = v; return this; }
    public Builder durationMs(long v) { this.durationMs = v; return this; }
    public Builder upstreamMs(Long v) { this.upstreamMs = v; return this; }
    public Builder overheadUs(Long v) { this.overheadUs = v; return this; }
    public Builder endpoint(String v) { this.endpoint = v; return this; }
    public Builder modelRequested(String v) { this.modelRequested = v; return this; }
    public Builder model(String v) { this.model = v; return this; }

    /** The model set so far (the one that answered, once known), or null. */
    public String model() { return model; }

    /** The cost set so far, or null. */
    public Double costUsd() { return costUsd; }
    public Builder provider(String v) { this.provider = v; return this; }
    public Builder deployment(String v) { this.deployment = v; return this; }
    public Builder stream(boolean v) { this.stream = v; return this; }
    public Builder params(JsonNode v) { this.params = v; return this; }
    public Builder prompt(JsonNode v) { this.prompt = v; return this; }
    public Builder promptHash(String v) { this.promptHash = v; return this; }
    public Builder status(int v) { this.status = v; return this; }
    public Builder finishReason(String v) { this.finishReason = v; return this; }
    public Builder completion(String v) { this.completion = v; return this; }
    public Builder errorClass(String v) { this.errorClass = v; return this; }
    public Builder errorMessage(String v) { this.errorMessage = v; return this; }
    public Builder inputTokens(Long v) { this.inputTokens = v; return this; }
    public Builder outputTokens(Long v) { this.outputTokens = v; return this; }
    public Builder cachedInputTokens(Long v) { this.cachedInputTokens = v; return this; }
    public Builder cacheWriteTokens(Long v) { this.cacheWriteTokens = v; return this; }
    public Builder reasoningTokens(Long v) { this.reasoningTokens = v; return this; }
    public Builder costUsd(Double v) { this.costUsd = v; return this; }
    public Builder costSavedUsd(Double v) { this.costSavedUsd = v; return this; }
    public Builder priceVersion(String v) { this.priceVersion = v; return this; }
    public Builder virtualKeyId(String v) { this.virtualKeyId = v; return this; }
    public Builder team(String v) { this.team = v; return this; }
    public Builder user(String v) { this.user = v; return this; }
    public Builder feature(String v) { this.feature = v; return this; }
    public Builder environment(String v) { this.environment = v; return this; }
    public Builder tags(Map<String, String> v) { this.tags = v; return this; }
    public Builder traceId(String v) { this.traceId = v; return this; }
    public Builder spanId(String v) { this.spanId = v; return this; }
    public Builder sessionId(String v) { this.sessionId = v; return this; }
    public Builder route(String v) { this.route = v; return this; }
    public Builder attempts(List<Attempt> v) { this.attempts = v; return this; }
    public Builder fallbackUsed(boolean v) { this.fallbackUsed = v; return this; }
    public Builder cacheResult(String v) { this.cacheResult = v; return this; }
    public Builder experiment(String v) { this.experiment = v; return this; }
    public Builder variant(String v) { this.variant = v; return this; }
    public Builder promptId(String v) { this.promptId = v; return this; }
    public Builder promptVersion(String v) { this.promptVersion = v; return this; }

    public long tsStartMs() { return tsStartMs; }

    public GatehouseEvent build() {
      if (eventId == null) {
        eventId = EventIds.next();
      }
      return new GatehouseEvent(
          eventId, SCHEMA_VERSION, source, tsStartMs, tsFirstTokenMs, tsEndMs, ttftMs, durationMs,
          upstreamMs, overheadUs, endpoint, modelRequested, model, provider, deployment, stream,
          params, prompt, promptHash, status, finishReason, completion, errorClass, errorMessage,
          inputTokens, outputTokens, cachedInputTokens, cacheWriteTokens, reasoningTokens, costUsd,
          costSavedUsd, priceVersion, virtualKeyId, team, user, feature, environment,
          tags == null ? Map.of() : Map.copyOf(tags), traceId, spanId, sessionId, route,
          attempts == null ? List.of() : List.copyOf(attempts), fallbackUsed, cacheResult,
          experiment, variant, promptId, promptVersion);
    }
  }
}
