package io.gatehouse.ingest.consume;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Counters of the consumer loop. Written by the one consumer thread, read by any thread (the health
 * endpoint, tests); every value is individually up to date, not a consistent snapshot.
 */
public final class IngestStats {
  private final AtomicLong consumed = new AtomicLong();
  private final AtomicLong insertedRows = new AtomicLong();
  private final AtomicLong insertBatches = new AtomicLong();
  private final AtomicLong insertFailures = new AtomicLong();
  private final AtomicLong poison = new AtomicLong();
  private final AtomicLong deadLettered = new AtomicLong();
  private final AtomicLong commits = new AtomicLong();
  private final AtomicLong commitFailures = new AtomicLong();
  private final AtomicLong pendingRows = new AtomicLong();
  private final AtomicLong lastInsertEpochMs = new AtomicLong();
  private final AtomicLong alreadyStored = new AtomicLong();
  private final AtomicLong backoffs = new AtomicLong();
  private final AtomicReference<String> lastError = new AtomicReference<>("");
  private volatile Map<String, Long> lag = Map.of();
  private volatile int assignedPartitions;
  private volatile boolean insertFailing;
  private volatile InsertObserver inserts = (rows, nanos) -> { };

  /** Records read from Kafka, poison included. */
  public long consumed() { return consumed.get(); }
  /** Rows ClickHouse acknowledged (re-inserts after a retry count again). */
  public long insertedRows() { return insertedRows.get(); }
  public long insertBatches() { return insertBatches.get(); }
  /** Insert requests that failed (each retry that fails counts). */
  public long insertFailures() { return insertFailures.get(); }
  /** Records that could not become rows (not event JSON, or values ClickHouse would reject). */
  public long poison() { return poison.get(); }
  /** Records handed to the dead-letter topic. */
  public long deadLettered() { return deadLettered.get(); }
  public long commits() { return commits.get(); }
  public long commitFailures() { return commitFailures.get(); }
  /** Rows waiting in the current batch. */
  public long pendingRows() { return pendingRows.get(); }
  /** Epoch ms of the last successful insert, 0 before the first. */
  public long lastInsertEpochMs() { return lastInsertEpochMs.get(); }
  /** True while the current batch cannot be inserted (partitions paused, retrying). */
  public boolean insertFailing() { return insertFailing; }
  /**
   * Records read from Kafka that were not inserted because ClickHouse already held their event id
   * (inserted before a crash or a lost acknowledgement and never committed, or the same event
   * published twice), or an earlier record of the same batch had it: each one a duplicate avoided.
   */
  public long alreadyStored() { return alreadyStored.get(); }
  /**
   * Failed ClickHouse attempts (an insert, or a query about what it holds) after which the loop
   * waited; bounded by the backoff, so it counts slowly during an outage.
   */
  public long clickHouseBackoffs() { return backoffs.get(); }
  /**
   * Per partition ({@code topic-partition}), records on Kafka that are not yet committed, i.e. not
   * yet known to be in ClickHouse; refreshed every couple of seconds. Empty before assignment.
   */
  public Map<String, Long> lag() { return lag; }
  /** Partitions this member owns right now (0 before the group assigned any, and after it left). */
  public int assignedPartitions() { return assignedPartitions; }
  /** Sum of {@link #lag()}. */
  public long lagTotal() { return lag.values().stream().mapToLong(Long::longValue).sum(); }
  /** The last insert or commit error, "" when none yet. */
  public String lastError() { return lastError.get(); }

  void consumed(int n) { consumed.addAndGet(n); }
  void pendingRows(int n) { pendingRows.set(n); }
  void countPoison() { poison.incrementAndGet(); }
  void countDeadLettered() { deadLettered.incrementAndGet(); }
  void committed() { commits.incrementAndGet(); }

  void commitFailed(String error) {
    commitFailures.incrementAndGet();
    lastError.set(error);
  }

  void inserted(int rows, long epochMs, long insertNanos) {
    insertedRows.addAndGet(rows);
    insertBatches.incrementAndGet();
    lastInsertEpochMs.set(epochMs);
    inserts.inserted(rows, insertNanos);
  }

  /** Sees every successful insert: its rows and how long ClickHouse took (for metrics). */
  public interface InsertObserver {
    void inserted(int rows, long nanos);
  }

  /** Sets who sees each insert (one observer; the default sees nothing). */
  public void observeInserts(InsertObserver observer) {
    inserts = observer;
  }

  void insertFailed(String error) {
    insertFailures.incrementAndGet();
    lastError.set(error);
  }

  void alreadyStored(long n) { alreadyStored.addAndGet(n); }

  void backedOff(String error) {
    backoffs.incrementAndGet();
    lastError.set(error);
  }

  void lag(Map<String, Long> perPartition) { lag = Map.copyOf(perPartition); }

  void assignedPartitions(int n) { assignedPartitions = n; }

  void loopFailed(String error) {
    lastError.set(error);
  }

  void insertFailing(boolean failing) { insertFailing = failing; }
}
