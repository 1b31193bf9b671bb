package io.gatehouse.ingest.consume;

import io.gatehouse.ingest.clickhouse.EventsInserter;
import io.gatehouse.ingest.clickhouse.EventsInserter.InsertFailedException;
import io.gatehouse.ingest.clickhouse.RowTranscoder;
import io.gatehouse.ingest.clickhouse.StoredEvents;
import io.gatehouse.schemas.EventJson;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.schemas.clickhouse.ClickHouseException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer loop: poll, turn events into rows, insert a batch (by size or age), then commit its
 * offsets. Before every insert it asks ClickHouse which of the batch's event ids it already holds
 * ({@link StoredEvents}) and leaves those rows out, so each event becomes exactly one row. A record
 * of the plain shape goes straight from its JSON to its row ({@link RowTranscoder}); any other goes
 * through {@link GatehouseEvent} and {@code EventRow}, which give the same row or refuse it.
 *
 * <p><b>Why exactly once in effect.</b> Offsets are committed only after ClickHouse acknowledged the
 * rows, so nothing is lost. What could repeat an insert, window by window:
 * <ol>
 *   <li><i>Crash (or rebalance, or failed commit) after the insert, before the commit.</i> The next
 *       owner of the partition reads the records again from the old committed offset; the check
 *       before the insert finds their event ids and drops them, then the offsets are committed. The
 *       raw insert is never repeated, so no materialized rollup counts an event twice, even before
 *       any merge.
 *   <li><i>An insert that failed without a clear answer</i> (timeout, connection reset: the server may
 *       have committed it, or part of it). Before the retry the loop waits until the insert's
 *       {@code query_id} has left {@code system.processes}, then checks again, so only the missing
 *       rows go in. The same holds for a batch split in halves after some halves went in.
 *   <li><i>Crash before the insert, or an insert that failed for sure.</i> Nothing is in ClickHouse;
 *       the records are read again from the committed offset and inserted once.
 *   <li><i>Crash after the commit.</i> Nothing is read again.
 * </ol>
 * The same check drops an event published twice (a spool replay, a client retry), in one batch or
 * in two. It relies on one thing: the check and the insert of an event id are never run by two
 * members at once. That holds because the proxy keys records by event id (one partition, one owner)
 * and a revoked member finishes its batch before the new owner reads. The one remaining window: an
 * insert that a member gave up on, still running on the server after a rebalance, while the new
 * owner checks. Dead letters are at least once (a poison record in a batch whose commit was lost is
 * dead-lettered again).
 *
 * <p><b>Failures.</b> ClickHouse unreachable: the batch stays in memory, every assigned partition is
 * paused (the consumer keeps polling, so it stays in the group) and the batch is retried with
 * exponential {@link Backoff}. ClickHouse answering with errors several times in a row: the batch
 * is split in halves until the rows it refuses are found; those go to the dead-letter topic. A
 * record that is not event JSON, or holds values the table cannot store, never blocks its
 * partition: it is counted, logged, sent to the dead-letter topic (when configured) and committed.
 *
 * <p><b>Lag.</b> Every {@link #LAG_REFRESH}, per assigned partition: end offset minus the offset
 * committed by this loop (records not yet safely in ClickHouse), published in {@link IngestStats}
 * and logged while it is not zero.
 *
 * <p><b>Threading.</b> {@link #run()} owns the Kafka consumer and runs on one thread; {@link #stop()}
 * may be called from any thread and returns at once: the loop then inserts and commits the batch in
 * hand (one attempt) and closes the consumer.
 */
public final class IngestLoop implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(IngestLoop.class);
  /** Longest single poll, so that {@link #stop()} is noticed quickly. */
  private static final long MAX_POLL_MS = 200;
  /** Rejections of the same batch before it is split to find the rows ClickHouse refuses. */
  private static final int REJECTIONS_BEFORE_SPLIT = 3;
  static final Duration LAG_REFRESH = Duration.ofSeconds(2);
  private static final Duration LAG_LOG_INTERVAL = Duration.ofSeconds(60);
  private static final Duration END_OFFSETS_TIMEOUT = Duration.ofSeconds(1);

  private final Consumer<byte[], byte[]> consumer;
  private final String topic;
  private final Producer<byte[], byte[]> deadLetters;
  private final String deadLetterTopic;
  private final EventsInserter inserter;
  private final StoredEvents storedEvents;
  private final IngestStats stats;
  private final int batchMax;
  private final long flushNanos;
  private final LoopHooks hooks;
  private final LongSupplier nanoTime = System::nanoTime;
  private final Backoff backoff = new Backoff(nanoTime);
  private final Batch batch = new Batch();
  private final RowTranscoder fast = new RowTranscoder();

  /** Per assigned partition, the next offset this loop knows is committed (for lag). */
  private final Map<TopicPartition, Long> committed = new HashMap<>();

  private volatile boolean running = true;
  private boolean deadLettersSent;
  /** The batch could not be inserted (it may be in part): all partitions are paused. */
  private boolean insertFailed;
  /** query_id of the last insert request, to learn whether it is still running. */
  private String lastQueryId;
  private int rejections;
  private long nextLagNanos;
  private long nextLagLogNanos;
  private long lastLoggedLag;

  /**
   * @param deadLetters producer for {@code deadLetterTopic}, or null to only log and count poison
   * @param hooks fault-injection points; {@link LoopHooks#NONE} in production
   */
  public IngestLoop(Consumer<byte[], byte[]> consumer, String topic, Producer<byte[], byte[]> deadLetters,
      String deadLetterTopic, EventsInserter inserter, StoredEvents storedEvents, IngestStats stats,
      int batchMax, Duration flushInterval, LoopHooks hooks) {
    this.consumer = consumer;
    this.topic = topic;
    this.deadLetters = deadLetters;
    this.deadLetterTopic = deadLetterTopic;
    this.inserter = inserter;
    this.storedEvents = storedEvents;
    this.stats = stats;
    this.batchMax = batchMax;
    this.flushNanos = flushInterval.toNanos();
    this.hooks = hooks;
    consumer.subscribe(List.of(topic), new Rebalance());
  }

  /** Asks the loop to finish; returns immediately (join the thread to wait). */
  public void stop() {
    running = false;
  }

  @Override
  public void run() {
    try {
      while (running) {
        if (insertFailed && backoff.due()) {
          flush();
        }
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(pollMs()));
        for (ConsumerRecord<byte[], byte[]> r : records) {
          take(r);
        }
        stats.consumed(records.count());
        stats.pendingRows(batch.rows());
        if (!insertFailed && !batch.isEmpty()
            && (batch.rows() >= batchMax || batch.ageNanos(System.nanoTime()) >= flushNanos)) {
          flush();
        }
        refreshLag();
      }
      if (!batch.isEmpty()) {
        log.info("Stopping: inserting the last {} row(s)", batch.rows());
        flush();
        if (!batch.isEmpty()) {
          log.warn("Stopping with {} record(s) not inserted; they are not committed and will be "
              + "read again from the last committed offsets", batch.records());
          batch.clear();
        }
      }
    } catch (RuntimeException e) {
      log.error("Ingest consumer loop failed; no more events will be ingested until restart", e);
      stats.loopFailed("consumer loop failed: " + e);
      throw e;
    } finally {
      // never commit from here: a crash must look like a crash (the batch is not in hand any more)
      batch.clear();
      stats.pendingRows(0);
      try {
        consumer.close(Duration.ofSeconds(10));
      } catch (RuntimeException e) {
        log.warn("Kafka consumer did not close cleanly: {}", e.toString());
      }
    }
  }

  private long pollMs() {
    if (insertFailed) {
      // waiting to try ClickHouse again: poll (keeping the group membership) until then
      return Math.min(backoff.remainingMs(), MAX_POLL_MS);
    }
    if (batch.isEmpty()) {
      return MAX_POLL_MS;
    }
    long left = (flushNanos - batch.ageNanos(System.nanoTime())) / 1_000_000;
    return Math.max(0, Math.min(left, MAX_POLL_MS));
  }

  private void take(ConsumerRecord<byte[], byte[]> r) {
    byte[] value = r.value();
    if (value == null) {
      poison(r, "empty record value (tombstone)");
      return;
    }
    if (fast.read(value)) {
      // the plain shape the proxy publishes (nearly every record): straight from JSON to row
      if (batch.hasEvent(fast.eventId())) {
        stats.alreadyStored(1);
        batch.skip(r);
      } else {
        batch.addRow(r, fast.eventId(), fast.tsStartMs(), fast::write);
      }
      return;
    }
    GatehouseEvent event;
    try {
      event = EventJson.fromBytes(value);
    } catch (RuntimeException e) {
      poison(r, e.getMessage());
      return;
    }
    if (event.eventId() != null && batch.hasEvent(event.eventId())) {
      stats.alreadyStored(1); // the same event twice in one batch: one row
      batch.skip(r);
      return;
    }
    try {
      batch.addRow(r, event);
    } catch (IllegalArgumentException e) {
      poison(r, "event cannot be stored: " + e.getMessage());
    }
  }

  private void poison(ConsumerRecord<byte[], byte[]> r, String why) {
    // parser messages quote the input; keep log lines and headers short
    String reason = why.length() <= 300 ? why : why.substring(0, 297) + "...";
    stats.countPoison();
    log.warn("Skipping record {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), reason);
    deadLetter(r, reason);
    batch.skip(r);
  }

  /**
   * Leaves out the rows ClickHouse already holds, inserts the rest (splitting them when ClickHouse
   * keeps refusing them), then commits. On a failure, keeps the batch, pauses the partitions and
   * schedules a retry.
   */
  private void flush() {
    if (batch.rows() > 0) {
      if (!dropRowsAlreadyStored()) {
        return;
      }
      try {
        if (batch.rows() > 0) {
          insertRows(0, batch.rows());
          hooks.afterInsert();
        }
      } catch (InsertFailedException e) {
        stats.insertFailed(e.getMessage());
        if (e.rejected() && ++rejections >= REJECTIONS_BEFORE_SPLIT) {
          try {
            log.warn("ClickHouse refused a batch of {} rows {} times; splitting it to find the rows "
                + "it refuses", batch.rows(), rejections);
            split(0, batch.rows());
          } catch (InsertFailedException again) {
            stats.insertFailed(again.getMessage());
            insertFailed(again);
            return;
          }
        } else {
          insertFailed(e);
          return;
        }
      }
    }
    if (deadLettersSent) {
      // dead letters must be durable before the offsets that skip their records are committed
      deadLetters.flush();
      deadLettersSent = false;
    }
    commit(batch.nextOffsets());
    batch.clear();
    stats.pendingRows(0);
    if (insertFailed) {
      log.info("ClickHouse accepts inserts again; resuming consumption");
      insertFailed = false;
    }
    backoff.succeeded();
    rejections = 0;
    applyPauses();
  }

  /**
   * Removes from the batch the rows whose event ids ClickHouse holds; after a failed insert, first
   * waits for that insert to be over on the server.
   *
   * @return false when ClickHouse could not tell (the batch is kept and a retry scheduled)
   */
  private boolean dropRowsAlreadyStored() {
    try {
      if (insertFailed && lastQueryId != null && storedEvents.isRunning(lastQueryId)) {
        backOff("The failed insert is still running on ClickHouse", "query_id " + lastQueryId);
        return false;
      }
      Set<String> stored = storedEvents.present(batch.eventIds(), batch.minTsSecond(),
          batch.maxTsSecond());
      if (stored.isEmpty()) {
        return true;
      }
      int dropped = batch.dropRows(stored::contains);
      stats.alreadyStored(dropped);
      if (batch.rows() == 0) {
        log.info("ClickHouse already holds all {} event(s) of this batch ({}); committing without "
            + "inserting them again", dropped, insertFailed ? "the failed insert went in after all"
            : "delivered again");
      } else if (insertFailed) {
        log.info("{} row(s) of the failed insert reached ClickHouse after all; retrying only the "
            + "other {}", dropped, batch.rows());
      } else {
        log.info("ClickHouse already holds {} of the {} event(s) of this batch (delivered again); "
            + "inserting only the other {}", dropped, dropped + batch.rows(), batch.rows());
      }
      return true;
    } catch (ClickHouseException e) {
      stats.insertFailed("ClickHouse " + e.getMessage());
      insertFailed = true;
      backOff("Cannot learn which events of the batch ClickHouse already holds; pausing "
          + "consumption and retrying (offsets not committed)", "ClickHouse " + e.getMessage());
      return false;
    }
  }

  private void insertRows(int fromRow, int toRow) throws InsertFailedException {
    int start = batch.rowStart(fromRow);
    lastQueryId = "gatehouse-ingest-" + UUID.randomUUID();
    long began = System.nanoTime();
    inserter.insert(batch.bytes(), start, batch.rowEnd(toRow - 1) - start, lastQueryId);
    stats.inserted(toRow - fromRow, System.currentTimeMillis(), System.nanoTime() - began);
  }

  /** Inserts rows [from, to) by halves; a single row ClickHouse refuses goes to the dead letters. */
  private void split(int from, int to) throws InsertFailedException {
    try {
      insertRows(from, to);
    } catch (InsertFailedException e) {
      if (!e.rejected()) {
        throw e;
      }
      stats.insertFailed(e.getMessage());
      if (to - from == 1) {
        ConsumerRecord<byte[], byte[]> r = batch.source(from);
        stats.countPoison();
        log.error("ClickHouse refuses the row of record {}-{}@{}; skipping it: {}",
            r.topic(), r.partition(), r.offset(), e.getMessage());
        deadLetter(r, "row refused by ClickHouse: " + e.getMessage());
        return;
      }
      int mid = (from + to) >>> 1;
      split(from, mid);
      split(mid, to);
    }
  }

  private void insertFailed(InsertFailedException e) {
    insertFailed = true;
    backOff("Insert of " + batch.rows() + " rows into ClickHouse failed; pausing consumption and "
        + "retrying the same batch (offsets not committed)", e.getMessage());
  }

  /** Records a failed ClickHouse attempt: schedules the next, pauses what must wait, logs. */
  private void backOff(String what, String error) {
    boolean first = !backoff.failing();
    Duration wait = backoff.failed();
    stats.backedOff(error);
    if (first) {
      log.warn("{}: {} (next attempt in {} ms)", what, error, wait.toMillis());
    } else {
      log.warn("{} (attempt {}): {} (next attempt in {} ms)", what, backoff.failures(), error,
          wait.toMillis());
    }
    applyPauses();
  }

  /** Pauses every assigned partition while the batch cannot be inserted, resumes them after. */
  private void applyPauses() {
    if (insertFailed) {
      consumer.pause(consumer.assignment());
    } else {
      consumer.resume(consumer.assignment());
    }
    stats.insertFailing(insertFailed);
  }

  private void commit(Map<TopicPartition, OffsetAndMetadata> offsets) {
    if (offsets.isEmpty()) {
      return;
    }
    try {
      consumer.commitSync(offsets);
      stats.committed();
      offsets.forEach((tp, o) -> committed.put(tp, o.offset()));
    } catch (KafkaException e) {
      // The rows are in ClickHouse: whoever reads them again finds them there and leaves them out.
      stats.commitFailed("offset commit failed: " + e);
      log.warn("Offset commit failed after a successful insert; the records will be re-delivered "
          + "and skipped, as ClickHouse holds them: {}", e.toString());
    }
  }

  /** Per assigned partition, end offset minus committed offset; published and logged. */
  private void refreshLag() {
    long now = nanoTime.getAsLong();
    if (now - nextLagNanos < 0) {
      return;
    }
    nextLagNanos = now + LAG_REFRESH.toNanos();
    Set<TopicPartition> assigned = consumer.assignment();
    Map<TopicPartition, Long> ends;
    try {
      ends = assigned.isEmpty() ? Map.of() : consumer.endOffsets(assigned, END_OFFSETS_TIMEOUT);
    } catch (KafkaException e) {
      log.debug("Cannot read end offsets for the lag: {}", e.toString());
      return;
    }
    Map<String, Long> lag = new TreeMap<>();
    long total = 0;
    for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
      Long done = committed.get(end.getKey());
      if (done != null && end.getValue() != null) {
        long behind = Math.max(0, end.getValue() - done);
        lag.put(end.getKey().toString(), behind);
        total += behind;
      }
    }
    stats.lag(lag);
    if (total > 0 && (now - nextLagLogNanos >= 0 || lastLoggedLag == 0)) {
      log.info("Consumer lag: {} record(s) not yet in ClickHouse {}", total, lag);
      nextLagLogNanos = now + LAG_LOG_INTERVAL.toNanos();
      lastLoggedLag = total;
    } else if (total == 0 && lastLoggedLag > 0) {
      log.info("Consumer lag: caught up");
      lastLoggedLag = 0;
    }
  }

  private void deadLetter(ConsumerRecord<byte[], byte[]> r, String reason) {
    if (deadLetters == null) {
      return;
    }
    ProducerRecord<byte[], byte[]> out =
        new ProducerRecord<>(deadLetterTopic, null, r.key(), r.value());
    out.headers()
        .add("gatehouse.error", reason.getBytes(StandardCharsets.UTF_8))
        .add("gatehouse.source", (r.topic() + "-" + r.partition() + "@" + r.offset())
            .getBytes(StandardCharsets.UTF_8));
    try {
      deadLetters.send(out, (meta, error) -> {
        if (error == null) {
          stats.countDeadLettered();
        } else {
          log.error("Could not write record {}-{}@{} to dead-letter topic {}: {}",
              r.topic(), r.partition(), r.offset(), deadLetterTopic, error.toString());
        }
      });
      deadLettersSent = true;
    } catch (KafkaException e) {
      log.error("Could not write record {}-{}@{} to dead-letter topic {}: {}",
          r.topic(), r.partition(), r.offset(), deadLetterTopic, e.toString());
    }
  }

  /**
   * Runs inside {@code poll()} on the loop thread. Before partitions go to another member, the batch
   * is inserted and committed if possible; otherwise it is dropped uncommitted (the new owner reads
   * it again and leaves out what ClickHouse holds) and partitions this member keeps are rewound to
   * the batch's first offsets.
   */
  private final class Rebalance implements ConsumerRebalanceListener {
    private final Set<TopicPartition> owned = new HashSet<>();

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (!partitions.isEmpty()) {
        log.info("Handing over partitions {}{}", partitions,
            batch.isEmpty() ? "" : " after inserting the batch in hand (" + batch.records() + " record(s))");
      }
      if (!batch.isEmpty()) {
        flush();
      }
      dropBatch(partitions);
      forget(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      log.warn("Rebalance: partitions {} were lost (this member was out of the group); their uncommitted "
          + "records will be read again by their new owner", partitions);
      dropBatch(partitions);
      forget(partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      for (TopicPartition tp : partitions) {
        try {
          // where reading starts: the committed offset (or the reset position when there is none)
          committed.put(tp, consumer.position(tp));
        } catch (KafkaException e) {
          log.debug("No position yet for {}: {}", tp, e.toString());
        }
      }
      nextLagNanos = nanoTime.getAsLong(); // report the new partitions' lag at once
      owned.addAll(partitions);
      if (!partitions.isEmpty()) {
        log.info("Now reading partitions {} (from offsets {})", owned, committed);
      }
      stats.assignedPartitions(owned.size());
      applyPauses();
    }

    private void forget(Collection<TopicPartition> partitions) {
      partitions.forEach(committed::remove);
      owned.removeAll(partitions);
      stats.assignedPartitions(owned.size());
      stats.lag(Map.of());
    }

    private void dropBatch(Collection<TopicPartition> gone) {
      if (batch.isEmpty()) {
        return;
      }
      Set<TopicPartition> kept = new HashSet<>(consumer.assignment());
      kept.removeAll(gone);
      for (Map.Entry<TopicPartition, Long> first : batch.firstOffsets().entrySet()) {
        if (kept.contains(first.getKey())) {
          consumer.seek(first.getKey(), first.getValue());
        }
      }
      log.info("Rebalance: dropped {} uncommitted record(s); they will be read again",
          batch.records());
      batch.clear();
      stats.pendingRows(0);
      if (insertFailed) {
        insertFailed = false;
        backoff.succeeded(); // the next batch starts a fresh run of attempts
        applyPauses();
      }
    }
  }
}
