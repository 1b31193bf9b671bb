-- Feedback on a request (POST /v1/feedback): a score and/or a label and a comment, linked to the
-- request by its event id. Several feedback rows per request are allowed (a user may change their
-- mind); readers take the latest per event_id. feedback_id is the idempotency key of one submission:
-- a re-delivered submission collapses on merge (readers use FINAL).
CREATE TABLE IF NOT EXISTS gatehouse.feedback
(
    feedback_id   UUID,
    event_id      UUID,
    ts            DateTime('UTC'),
    score         Nullable(Float64),
    label         String,
    comment       String,
    user          String,
    ingested_at   DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(ts)
ORDER BY (event_id, feedback_id);
