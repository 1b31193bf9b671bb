-- The ledger of Kafka records gatehouse.events holds: one narrow row per inserted row, filled by ClickHouse
-- itself in the same INSERT (a materialized view), ordered so that "which offsets of this partition from
-- X on are here?" reads a few granules instead of scanning the events.
--
-- Why not read gatehouse.events directly: it is a ReplacingMergeTree on (ts, event_id), so when the same
-- event reaches Kafka twice (a spool replay, a client retry) a merge keeps one of its two rows and the
-- other record's offset disappears from the table; ingest would then insert that record again after a
-- crash. The ledger never loses an offset to a merge.
--
-- Monthly partitions like gatehouse.events: drop a month here when it is dropped there.
CREATE MATERIALIZED VIEW IF NOT EXISTS gatehouse.events_kafka_offsets
ENGINE = MergeTree()
PARTITION BY toYYYYMM(ts)
ORDER BY (kafka_topic, kafka_partition, kafka_offset)
AS SELECT kafka_topic, kafka_partition, kafka_offset, ts
FROM gatehouse.events
WHERE kafka_offset >= 0;
