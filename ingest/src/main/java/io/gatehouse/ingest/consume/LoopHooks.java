package io.gatehouse.ingest.consume;

import io.gatehouse.ingest.clickhouse.EventsInserter.InsertFailedException;

/**
 * Fault-injection points of {@link IngestLoop}, so that tests can stop the loop in the one window
 * that matters for exactly-once: after ClickHouse has the rows, before Kafka has the offsets.
 * Production uses {@link #NONE}.
 */
@FunctionalInterface
public interface LoopHooks {
  LoopHooks NONE = () -> {};

  /**
   * Called on the consumer thread after ClickHouse acknowledged a batch and before its offsets are
   * committed. Throwing a {@link RuntimeException} kills the loop without a commit (a crash);
   * throwing {@link InsertFailedException} makes the loop treat the insert as failed although it
   * happened (an acknowledgement lost to a timeout or a reset connection).
   */
  void afterInsert() throws InsertFailedException;
}
