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
  /** What every consumer loop of the service adds to: one instance, shared by the service's stats and its members. */
  private static final class Counters {
    final AtomicLong consumed = new AtomicLong();
    final AtomicLong insertedRows = new AtomicLong();
    final AtomicLong insertBatches = new AtomicLong();
    final AtomicLong insertFailures = new AtomicLong();
    final AtomicLong poison = new AtomicLong();
    final AtomicLong deadLettered = new AtomicLong();
    final AtomicLong commits = new AtomicLong();
    final AtomicLong commitFailures = new AtomicLong();
    final AtomicLong lastInsertEpochMs = new AtomicLong();
    final AtomicLong alreadyStored = new AtomicLong();
    final AtomicLong backoffs = new AtomicLong();
    final AtomicReference<String> lastError = new AtomicReference<>("");
    volatile InsertObserver inserts = (rows, nanos) -> { };
  }

  private final Counters c;
  /** True for a member of a service's stats, false for the service's own. */
  private final boolean member;
  private final List<IngestStats> members = new CopyOnWriteArrayList<>();
  private final AtomicLong pendingRows = new AtomicLong();
  private volatile Map<String, Long> lag = Map.of();
  private volatile int assignedPartitions;
  private volatile boolean insertFailing;

  public IngestStats() {
    this(new Counters(), false);
  }

  private IngestStats(Counters counters, boolean member) {
    this.c = counters;
    this.member = member;
  }

  /**
   * The stats one more consumer loop writes to: the counters are this service's, the per-loop state
   * is its own and shows in this object's combined getters. Call on the service's stats only.
   */
  public IngestStats member() {
    if (member) {
      throw new IllegalStateException("members are made from the service's stats");
    }
    IngestStats m = new IngestStats(c, true);
    members.add(m);
    return m;
  }

  /** Records read from Kafka, poison included. */
  public long consumed() { return c.consumed.get(); }
  /** Rows ClickHouse acknowledged (re-inserts after a retry count again). */
  public long insertedRows() { return c.insertedRows.get(); }
  public long insertBatches() { return c.insertBatches.get(); }
  /** Insert requests that failed (each retry that fails counts). */
  public long insertFailures() { return c.insertFailures.get(); }
  /** Records that could not become rows (not event JSON, or values ClickHouse would reject). */
  public long poison() { return c.poison.get(); }
  /** Records handed to the dead-letter topic. */
  public long deadLettered() { return c.deadLettered.get(); }
  public long commits() { return c.commits.get(); }
  public long commitFailures() { return c.commitFailures.get(); }
  /** Rows waiting in the current batch (of every member). */
  public long pendingRows() {
    return members.isEmpty() ? pendingRows.get() : members.stream().mapToLong(IngestStats::pendingRows).sum();
  }
  /** Epoch ms of the last successful insert, 0 before the first. */
  public long lastInsertEpochMs() { return c.lastInsertEpochMs.get(); }
  /** True while the current batch cannot be inserted (partitions paused, retrying). */
  public boolean insertFailing() {
    return members.isEmpty() ? insertFailing : members.stream().anyMatch(IngestStats::insertFailing);
  }
  /**
   * Records read from Kafka that were not inserted because ClickHouse already held their event id
   * (inserted before a crash or a lost acknowledgement and never committed, or the same event
   * published twice), or an earlier record of the same batch had it: each one a duplicate avoided.
   */
  public long alreadyStored() { return c.alreadyStored.get(); }
  /**
   * Failed ClickHouse attempts (an insert, or a query about what it holds) after which the loop
   * waited; bounded by the backoff, so it counts slowly during an outage.
   */
  public long clickHouseBackoffs() { return c.backoffs.get(); }
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
  public String lastError() { return c.lastError.get(); }

  void consumed(int n) { c.consumed.addAndGet(n); }
  void pendingRows(int n) { pendingRows.set(n); }
  void countPoison() { c.poison.incrementAndGet(); }
  void countDeadLettered() { c.deadLettered.incrementAndGet(); }
  void committed() { c.commits.incrementAndGet(); }

  void commitFailed(String error) {
    c.commitFailures.incrementAndGet();
    c.lastError.set(error);
  }

  void inserted(int rows, long epochMs, long insertNanos) {
    c.insertedRows.addAndGet(rows);
    c.insertBatches.incrementAndGet();
    c.lastInsertEpochMs.set(epochMs);
    c.inserts.inserted(rows, insertNanos);
  }

  /** Sees every successful insert: its rows and how long ClickHouse took (for metrics). */
  public interface InsertObserver {
    void inserted(int rows, long nanos);
  }

  /** Sets who sees each insert (one observer; the default sees nothing). */
  public void observeInserts(InsertObserver observer) {
    c.inserts = observer;
  }

  void insertFailed(String error) {
    c.insertFailures.incrementAndGet();
    c.lastError.set(error);
  }

  void alreadyStored(long n) { c.alreadyStored.addAndGet(n); }

  void backedOff(String error) {
    c.backoffs.incrementAndGet();
    c.lastError.set(error);
  }

  void lag(Map<String, Long> perPartition) { lag = Map.copyOf(perPartition); }

  void assignedPartitions(int n) { assignedPartitions = n; }

  void loopFailed(String error) {
    c.lastError.set(error);
  }

  void insertFailing(boolean failing) { insertFailing = failing; }
}
