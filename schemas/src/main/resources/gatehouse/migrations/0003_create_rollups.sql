-- Hourly rollups that the dashboards read (overview, cost explorer, keys): one row per
-- hour × team × user × feature × model × provider × virtual key after merges, holding aggregate
-- states that the UI finishes with -Merge (countMerge, sumMerge, quantilesTDigestMerge).
--
-- Exactness under re-delivery: a materialized view fires on every INSERT into gatehouse.events, and
-- the ReplacingMergeTree below it only collapses duplicates later, on merge. An event inserted twice
-- would therefore be counted twice here. Ingest prevents that: it asks ClickHouse which event ids of a
-- batch it already holds and inserts only the others, so each event id reaches this view once. Anything
-- else that writes gatehouse.events must keep that rule (or the rollups over-count).
--
-- The view only sees rows inserted after it exists; events written before this migration are not
-- rolled up (a fresh install has none).
CREATE TABLE IF NOT EXISTS gatehouse.rollup_hourly
(
    hour                DateTime('UTC'),
    team                String,
    user                String,
    feature             String,
    model               String,
    provider            String,
    virtual_key_id      String,

    requests            AggregateFunction(count),
    errors              AggregateFunction(sum, UInt64),
    input_tokens        AggregateFunction(sum, UInt64),
    output_tokens       AggregateFunction(sum, UInt64),
    cached_input_tokens AggregateFunction(sum, UInt64),
    cache_write_tokens  AggregateFunction(sum, UInt64),
    reasoning_tokens    AggregateFunction(sum, UInt64),
    cost_usd            AggregateFunction(sum, Float64),
    cost_saved_usd      AggregateFunction(sum, Float64),
    cache_hits          AggregateFunction(sum, UInt64),
    latency_ms          AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), UInt32),
    ttft_ms             AggregateFunction(quantilesTDigestIf(0.5, 0.95, 0.99), UInt32, UInt8)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, team, user, feature, model, provider, virtual_key_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS gatehouse.rollup_hourly_mv TO gatehouse.rollup_hourly
AS SELECT
    toStartOfHour(ts) AS hour,
    team, user, feature, model, provider, virtual_key_id,
    countState() AS requests,
    sumState(toUInt64(status >= 400 OR error_class != '')) AS errors,
    sumState(toUInt64(ifNull(input_tokens, 0))) AS input_tokens,
    sumState(toUInt64(ifNull(output_tokens, 0))) AS output_tokens,
    sumState(toUInt64(ifNull(cached_input_tokens, 0))) AS cached_input_tokens,
    sumState(toUInt64(ifNull(cache_write_tokens, 0))) AS cache_write_tokens,
    sumState(toUInt64(ifNull(reasoning_tokens, 0))) AS reasoning_tokens,
    sumState(ifNull(cost_usd, 0.)) AS cost_usd,
    sumState(ifNull(cost_saved_usd, 0.)) AS cost_saved_usd,
    sumState(toUInt64(cache_result IN ('exact', 'semantic'))) AS cache_hits,
    quantilesTDigestState(0.5, 0.95, 0.99)(duration_ms) AS latency_ms,
    quantilesTDigestIfState(0.5, 0.95, 0.99)(ifNull(ttft_ms, toUInt32(0)), toUInt8(isNotNull(ttft_ms))) AS ttft_ms
FROM gatehouse.events
GROUP BY hour, team, user, feature, model, provider, virtual_key_id;
