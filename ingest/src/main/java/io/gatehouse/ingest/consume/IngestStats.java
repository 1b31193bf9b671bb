package io.gatehouse.ingest.consume;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Counters of the consumer loops of one ingest service, read by any thread (the health endpoint,
 * metrics, tests); every value is individually up to date, not a consistent snapshot.
 *
 * <p>Each consumer loop writes through its own {@link #member()}: the counters are shared (they add
 * up), while what describes one loop's state (its batch, its partitions, their lag, whether its
 * insert is failing) is kept per member and combined here: sums, the union of the lag maps (members
 * own disjoint partitions), and "any member failing".
 */
public final class IngestStats {
  private final IngestStats root;
  private final List<IngestStats> members = new CopyOnWriteArrayList<>();
  private final AtomicLong consumed;
  private final AtomicLong insertedRows;
  private final AtomicLong insertBatches;
  private final AtomicLong insertFailures;
  private final AtomicLong poison;
  private final AtomicLong deadLettered;
  private final AtomicLong commits;
  private final AtomicLong commitFailures;
  private final AtomicLong lastInsertEpochMs;
  private final AtomicLong alreadyStored;
  private final AtomicLong backoffs;
  private final AtomicReference<String> lastError;
  private final AtomicLong pendingRows = new AtomicLong();
  private volatile Map<String, Long> lag = Map.of();
  private volatile int assignedPartitions;
  private volatile boolean insertFailing;
  private volatile InsertObserver inserts = (rows, nanos) -> { };

  public IngestStats() {
    root = this;
    consumed = new AtomicLong();
    insertedRows = new AtomicLong();
    insertBatches = new AtomicLong();
    insertFailures = new AtomicLong();
    poison = new AtomicLong();
    deadLettered = new AtomicLong();
    commits = new AtomicLong();
    commitFailures = new AtomicLong();
    lastInsertEpochMs = new AtomicLong();
    alreadyStored = new AtomicLong();
    backoffs = new AtomicLong();
    lastError = new AtomicReference<>("");
  }

  private IngestStats(IngestStats root) {
    this.root = root;
    consumed = root.consumed;
    insertedRows = root.insertedRows;
    insertBatches = root.insertBatches;
    insertFailures = root.insertFailures;
    poison = root.poison;
    deadLettered = root.deadLettered;
    commits = root.commits;
    commitFailures = root.commitFailures;
    lastInsertEpochMs = root.lastInsertEpochMs;
    alreadyStored = root.alreadyStored;
    backoffs = root.backoffs;
    lastError = root.lastError;
  }

  /**
   * The stats one more consumer loop writes to: the counters are this service's, the per-loop state
   * is its own and shows in this object's combined getters. Call on the service's stats only.
   */
  public IngestStats member() {
    if (root != this) {
      throw new IllegalStateException("members are made from the service's stats");
    }
    IngestStats member = new IngestStats(this);
    members.add(member);
    return member;
  }

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
  /** Rows waiting in the current batch (of every member). */
  public long pendingRows() {
    return members.isEmpty() ? pendingRows.get() : members.stream().mapToLong(IngestStats::pendingRows).sum();
  }
  /** Epoch ms of the last successful insert, 0 before the first. */
  public long lastInsertEpochMs() { return lastInsertEpochMs.get(); }
  /** True while the current batch cannot be inserted (partitions paused, retrying). */
  public boolean insertFailing() {
    return members.isEmpty() ? insertFailing : members.stream().anyMatch(IngestStats::insertFailing);
  }
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
  public Map<String, Long> lag() {
    if (members.isEmpty()) {
      return lag;
    }
    Map<String, Long> all = new HashMap<>();
    members.forEach(m -> all.putAll(m.lag()));
    return Map.copyOf(all);
  }
  /** Partitions this member owns right now (0 before the group assigned any, and after it left). */
  public int assignedPartitions() {
    return members.isEmpty() ? assignedPartitions : members.stream().mapToInt(IngestStats::assignedPartitions).sum();
  }
  /** Sum of {@link #lag()}. */
  public long lagTotal() { return lag().values().stream().mapToLong(Long::longValue).sum(); }
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
    root.inserts.inserted(rows, insertNanos);
  }

  /** Sees every successful insert: its rows and how long ClickHouse took (for metrics). */
  public interface InsertObserver {
    void inserted(int rows, long nanos);
  }

  /** Sets who sees each insert (one observer; the default sees nothing). */
  public void observeInserts(InsertObserver observer) {
    root.inserts = observer;
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
