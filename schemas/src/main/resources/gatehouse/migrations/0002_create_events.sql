-- Raw events, one row per request (event v1). Written only by ingest.
--
-- ReplacingMergeTree keyed on (ts, event_id): a re-delivered event carries the same event_id and the
-- same ts, so duplicates collapse on merge; queries that must not double count read with FINAL or
-- group by event_id. Monthly partitions: old data is dropped a partition at a time (no TTL on 18.16).
-- Types are the ones ClickHouse 18.16 has: epoch-ms UInt64 instead of DateTime64, Nested instead of Map.
CREATE TABLE IF NOT EXISTS gatehouse.events
(
    event_id            UUID,
    schema_version      UInt16,
    source              String,
    ts                  DateTime('UTC'),
    ts_start_ms         UInt64,
    ts_first_token_ms   Nullable(UInt64),
    ts_end_ms           UInt64,
    ttft_ms             Nullable(UInt32),
    duration_ms         UInt32,
    upstream_ms         Nullable(UInt32),
    overhead_us         Nullable(UInt32),

    endpoint            String,
    model_requested     String,
    model               String,
    provider            String,
    deployment          String,
    stream              UInt8,
    params              String,
    prompt              String,
    prompt_hash         String,

    status              UInt16,
    finish_reason       String,
    completion          String,
    error_class         String,
    error_message       String,

    input_tokens        Nullable(UInt32),
    output_tokens       Nullable(UInt32),
    cached_input_tokens Nullable(UInt32),
    cache_write_tokens  Nullable(UInt32),
    reasoning_tokens    Nullable(UInt32),
    cost_usd            Nullable(Float64),
    cost_saved_usd      Nullable(Float64),
    price_version       String,

    virtual_key_id      String,
    team                String,
    user                String,
    feature             String,
    environment         String,
    tags                Nested(key String, value String),
    trace_id            String,
    span_id             String,
    session_id          String,

    route               String,
    attempts            Nested(provider String, deployment String, model String, status UInt16,
                               failure_class String, duration_ms UInt32),
    fallback_used       UInt8,
    cache_result        String,
    experiment          String,
    variant             String,
    prompt_id           String,
    prompt_version      String,

    ingested_at         DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(ts)
ORDER BY (ts, event_id);
