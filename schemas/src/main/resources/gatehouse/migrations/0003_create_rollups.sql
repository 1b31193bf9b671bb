-- Rollups that the dashboards read (overview, cost explorer, keys), filled by materialized views on
-- every insert into gatehouse.events and finished by the UI with -Merge (countMerge, sumMerge,
-- quantilesTDigestMerge):
--   rollup_hourly      hour × team × feature × model × provider × virtual key (+ TTFT states), for
--                      hourly charts and ranges that do not start at midnight;
--   rollup_daily       the same per day, for day-aligned ranges (today, this month, N days): ~24× fewer
--                      rows to merge, which is what keeps month-long views fast at 10M+ requests;
--   rollup_daily_user  day × user × team: users are the one high-cardinality dimension, kept out of the
--                      other tables so that they stay small (measured by ./gatehouse bench ui).
--
-- Exactness under re-delivery: a materialized view fires on every INSERT into gatehouse.events, while
-- the ReplacingMergeTree below it only collapses duplicates later, on merge. An event inserted twice
-- would therefore be counted twice here. Ingest prevents that: it asks ClickHouse which event ids of a
-- batch it already holds and inserts only the others, so each event id reaches these views once.
-- Anything else that writes gatehouse.events must keep that rule (or the rollups over-count).
--
-- The views only see rows inserted after they exist; events written before this migration are not
-- rolled up (a fresh install has none).
CREATE TABLE IF NOT EXISTS gatehouse.rollup_hourly
(
    hour                DateTime('UTC'),
    team                String,
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
ORDER BY (hour, team, feature, model, provider, virtual_key_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS gatehouse.rollup_hourly_mv TO gatehouse.rollup_hourly
AS SELECT
    toStartOfHour(ts) AS hour,
    team, feature, model, provider, virtual_key_id,
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
GROUP BY hour, team, feature, model, provider, virtual_key_id;

CREATE TABLE IF NOT EXISTS gatehouse.rollup_daily
(
    day                 DateTime('UTC'),
    team                String,
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
PARTITION BY toYYYYMM(day)
ORDER BY (day, team, feature, model, provider, virtual_key_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS gatehouse.rollup_daily_mv TO gatehouse.rollup_daily
AS SELECT
    toDateTime(toStartOfDay(ts), 'UTC') AS day,
    team, feature, model, provider, virtual_key_id,
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
GROUP BY day, team, feature, model, provider, virtual_key_id;

CREATE TABLE IF NOT EXISTS gatehouse.rollup_daily_user
(
    day                 DateTime('UTC'),
    user                String,
    team                String,

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
    latency_ms          AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), UInt32)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (day, user, team);

CREATE MATERIALIZED VIEW IF NOT EXISTS gatehouse.rollup_daily_user_mv TO gatehouse.rollup_daily_user
AS SELECT
    toDateTime(toStartOfDay(ts), 'UTC') AS day,
    user, team,
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
    quantilesTDigestState(0.5, 0.95, 0.99)(duration_ms) AS latency_ms
FROM gatehouse.events
GROUP BY day, user, team;
