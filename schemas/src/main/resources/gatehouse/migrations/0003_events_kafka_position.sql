-- Where each row came from in Kafka: the topic, partition and offset of the record ingest read it from
-- (filled by ingest from the consumer record, not from the event). Ingest reads them back (through the
-- ledger of migration 0004) when it is assigned a partition, and before it retries an insert whose outcome
-- it does not know, so that it never inserts a record ClickHouse already holds: a raw insert repeated
-- would be counted twice by every materialized rollup, which FINAL cannot undo. Rows that did not come
-- from Kafka keep the defaults.
--
-- ADD COLUMN has no IF NOT EXISTS on 18.16: the tracking table runs this once.
ALTER TABLE gatehouse.events
    ADD COLUMN kafka_topic String DEFAULT '',
    ADD COLUMN kafka_partition Int32 DEFAULT -1,
    ADD COLUMN kafka_offset Int64 DEFAULT -1;
