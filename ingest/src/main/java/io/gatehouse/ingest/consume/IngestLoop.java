package io.gatehouse.ingest.consume;

import io.gatehouse.ingest.clickhouse.EventsInserter;
import io.gatehouse.ingest.clickhouse.EventsInserter.InsertFailedException;
import io.gatehouse.ingest.clickhouse.StoredOffsets;
import io.gatehouse.ingest.clickhouse.StoredOffsets.Range;
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
import java.util.NavigableSet;
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
 * offsets. Every row carries the topic, partition and offset of its record, and the loop never
 * inserts a record ClickHouse already holds, so each record becomes exactly one row.
 *
 * <p><b>Why exactly once in effect.</b> Offsets are committed only after ClickHouse acknowledged the
 * rows, so nothing is lost. What could repeat an insert, window by window:
 * <ol>
 *   <li><i>Crash (or rebalance, or failed commit) after the insert, before the commit.</i> The next
 *       owner of the partition starts at the old committed offset. On assignment, before reading, it
 *       asks ClickHouse's offsets ledger which offsets from that position on it holds
 *       ({@link StoredOffsets}),
 *       seeks past the unbroken run of them and commits that, and skips any other stored offset when
 *       it reads it. So the raw insert is never repeated and no materialized rollup counts a record
 *       twice, even before any merge. When ClickHouse cannot answer, the partition stays paused.
 *   <li><i>An insert that failed without a clear answer</i> (timeout, connection reset: the server may
 *       have committed it). Before the retry the loop waits until the insert's {@code query_id} has
 *       left {@code system.processes}, then drops from the batch the rows ClickHouse holds. The same
 *       step makes a batch split in halves safe to retry after some halves went in.
 *   <li><i>Crash before the insert, or an insert that failed for sure.</i> Nothing is in ClickHouse;
 *       the records are read again from the committed offset and inserted once.
 *   <li><i>Crash after the commit.</i> Nothing is read again.
 * </ol>
 * Limits: the same event published twice (at two offsets) is two records and so two rows (they
 * collapse in the ReplacingMergeTree); dead letters are at least once (a poison record in a batch
 * whose commit was lost is dead-lettered again); a ClickHouse server dying inside one INSERT, between
 * the events part and the ledger part, could still cause one re-insert.
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
  private final StoredOffsets storedOffsets;
  private final IngestStats stats;
  private final int batchMax;
  private final long flushNanos;
  private final LoopHooks hooks;
  private final LongSupplier nanoTime = System::nanoTime;
  private final Backoff backoff = new Backoff(nanoTime);
  private final Batch batch = new Batch();

  /** Assigned partitions whose stored offsets are not known yet: paused until they are. */
  private final Set<TopicPartition> unverified = new HashSet<>();
  /** Per partition, offsets ahead of the position that ClickHouse already holds: skipped on read. */
  private final Map<TopicPartition, NavigableSet<Long>> alreadyStored = new HashMap<>();
  /** Per assigned partition, the next offset this loop knows is committed (for lag). */
  private final Map<TopicPartition, Long> committed = new HashMap<>();

  private volatile boolean running = true;
  private boolean deadLettersSent;
  /** The batch's last insert failed: it may be in ClickHouse, all partitions are paused. */
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
      String deadLetterTopic, EventsInserter inserter, StoredOffsets storedOffsets, IngestStats stats,
      int batchMax, Duration flushInterval, LoopHooks hooks) {
    this.consumer = consumer;
    this.topic = topic;
    this.deadLetters = deadLetters;
    this.deadLetterTopic = deadLetterTopic;
    this.inserter = inserter;
    this.storedOffsets = storedOffsets;
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
        if (backoff.due()) {
          if (!unverified.isEmpty()) {
            verify(List.copyOf(unverified));
          }
          if (insertFailed && backoff.due()) {
            flush();
          }
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
    if (backoff.failing() && (insertFailed || !unverified.isEmpty())) {
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
    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
    NavigableSet<Long> stored = alreadyStored.get(tp);
    if (stored != null) {
      stored.headSet(r.offset()).clear(); // offsets never delivered (e.g. transaction markers)
      boolean inClickHouse = stored.remove(r.offset());
      if (stored.isEmpty()) {
        alreadyStored.remove(tp);
      }
      if (inClickHouse) {
        stats.alreadyStored(1);
        batch.skip(r);
        return;
      }
    }
    byte[] value = r.value();
    if (value == null) {
      poison(r, "empty record value (tombstone)");
      return;
    }
    GatehouseEvent event;
    try {
      event = EventJson.fromBytes(value);
    } catch (RuntimeException e) {
      poison(r, e.getMessage());
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
   * Learns which records at or after the position of each partition ClickHouse already holds; seeks
   * past (and commits) the unbroken run of them, remembers the rest to skip. Partitions ClickHouse
   * cannot answer for stay paused in {@link #unverified}.
   */
  private void verify(Collection<TopicPartition> partitions) {
    Map<TopicPartition, Long> positions = new HashMap<>();
    List<Range> ranges = new ArrayList<>();
    Map<Integer, NavigableSet<Long>> stored;
    try {
      for (TopicPartition tp : partitions) {
        long position = consumer.position(tp);
        positions.put(tp, position);
        committed.putIfAbsent(tp, position);
        ranges.add(new Range(tp.partition(), position, Long.MAX_VALUE));
      }
      stored = storedOffsets.within(topic, ranges);
    } catch (ClickHouseException | KafkaException e) {
      unverified.addAll(partitions);
      backOff("Cannot learn which records of " + partitions + " ClickHouse already holds; keeping "
          + "them paused", (e instanceof ClickHouseException ? "ClickHouse " : "Kafka: ") + e.getMessage());
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> skipTo = new HashMap<>();
    for (TopicPartition tp : partitions) {
      long position = positions.get(tp);
      NavigableSet<Long> held = stored.get(tp.partition());
      long next = position;
      while (held != null && held.remove(next)) {
        next++;
      }
      if (next > position) {
        log.info("{}: ClickHouse already holds offsets {}..{} (inserted, never committed); seeking to {}",
            tp, position, next - 1, next);
        consumer.seek(tp, next);
        skipTo.put(tp, new OffsetAndMetadata(next));
        stats.alreadyStored(next - position);
      }
      if (held != null && !held.isEmpty()) {
        log.info("{}: ClickHouse also holds {} record(s) from offset {} on; they will be skipped",
            tp, held.size(), held.first());
        alreadyStored.put(tp, held);
      }
      unverified.remove(tp);
    }
    commit(skipTo);
    if (!insertFailed) {
      backoff.succeeded();
    }
    applyPauses();
  }

  /**
   * Inserts the batch (splitting it when ClickHouse keeps refusing it), then commits. On a failure,
   * keeps the batch, pauses the partitions and schedules a retry.
   */
  private void flush() {
    if (batch.rows() > 0) {
      if (insertFailed && !dropRowsAlreadyStored()) {
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
   * Before retrying a failed insert: waits for the failed request to be over on the server, then
   * removes from the batch the rows ClickHouse holds after all.
   *
   * @return false when ClickHouse could not tell (a retry is scheduled)
   */
  private boolean dropRowsAlreadyStored() {
    try {
      if (lastQueryId != null && storedOffsets.isRunning(lastQueryId)) {
        backOff("The failed insert is still running on ClickHouse", "query_id " + lastQueryId);
        return false;
      }
      List<Range> ranges = new ArrayList<>();
      Map<TopicPartition, OffsetAndMetadata> next = batch.nextOffsets();
      for (Map.Entry<TopicPartition, Long> first : batch.firstOffsets().entrySet()) {
        ranges.add(new Range(first.getKey().partition(), first.getValue(),
            next.get(first.getKey()).offset()));
      }
      Map<Integer, NavigableSet<Long>> stored = storedOffsets.within(topic, ranges);
      int dropped = batch.dropRows(r -> {
        NavigableSet<Long> held = stored.get(r.partition());
        return held != null && held.contains(r.offset());
      });
      if (dropped > 0) {
        if (batch.rows() == 0) {
          log.info("All {} row(s) of the failed insert reached ClickHouse after all; committing "
              + "without inserting them again", dropped);
        } else {
          log.info("{} row(s) of the failed insert reached ClickHouse after all; retrying only the "
              + "other {}", dropped, batch.rows());
        }
        stats.alreadyStored(dropped);
      }
      return true;
    } catch (ClickHouseException e) {
      stats.insertFailed("ClickHouse " + e.getMessage());
      backOff("Cannot learn whether the failed insert reached ClickHouse", "ClickHouse " + e.getMessage());
      return false;
    }
  }

  private void insertRows(int fromRow, int toRow) throws InsertFailedException {
    int start = batch.rowStart(fromRow);
    lastQueryId = "gatehouse-ingest-" + UUID.randomUUID();
    inserter.insert(batch.bytes(), start, batch.rowEnd(toRow - 1) - start, lastQueryId);
    stats.inserted(toRow - fromRow, System.currentTimeMillis());
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

  /** Pauses everything while the batch cannot be inserted, else only unverified partitions. */
  private void applyPauses() {
    Set<TopicPartition> assigned = consumer.assignment();
    Set<TopicPartition> paused = new HashSet<>(insertFailed ? assigned : unverified);
    paused.retainAll(assigned);
    Set<TopicPartition> active = new HashSet<>(assigned);
    active.removeAll(paused);
    consumer.pause(paused);
    consumer.resume(active);
    stats.insertFailing(backoff.failing());
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
      // The rows are in ClickHouse: the next owner finds them there and does not insert them again.
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
   * it again and skips what ClickHouse holds) and partitions this member keeps are rewound to the
   * batch's first offsets and verified again. New partitions are verified before they are read.
   */
  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (!batch.isEmpty()) {
        flush();
      }
      dropBatch(partitions);
      forget(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      dropBatch(partitions);
      forget(partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      nextLagNanos = nanoTime.getAsLong(); // report the new partitions' lag at once
      if (backoff.failing()) {
        // ClickHouse is known to be failing: do not read these until it can say what it holds
        unverified.addAll(partitions);
        applyPauses();
      } else {
        verify(partitions);
      }
    }

    private void forget(Collection<TopicPartition> partitions) {
      unverified.removeAll(partitions);
      partitions.forEach(alreadyStored::remove);
      partitions.forEach(committed::remove);
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
          // a failed insert of this batch may have landed: learn what is there before reading again
          unverified.add(first.getKey());
          alreadyStored.remove(first.getKey());
        }
      }
      log.info("Rebalance: dropped {} uncommitted record(s); they will be read again",
          batch.records());
      batch.clear();
      stats.pendingRows(0);
      insertFailed = false;
      applyPauses();
    }
  }
}
