package io.gatehouse.ingest.consume;

import io.gatehouse.ingest.clickhouse.EventsInserter;
import io.gatehouse.ingest.clickhouse.EventsInserter.InsertFailedException;
import io.gatehouse.schemas.EventJson;
import io.gatehouse.schemas.GatehouseEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * The consumer loop: poll, turn events into rows, insert a batch, then commit its offsets.
 *
 * <p><b>Delivery contract.</b> Offsets are committed only after ClickHouse acknowledged the batch
 * that contains them, so every event is inserted at least once. Re-deliveries (a crash between
 * insert and commit, a retried batch) carry the same {@code event_id} and {@code ts} and collapse
 * in the ReplacingMergeTree; readers use {@code FINAL} or {@code uniqExact(event_id)}.
 *
 * <p><b>Failures.</b> ClickHouse unreachable: the batch stays in memory, every assigned partition is
 * paused (the consumer keeps polling, so it stays in the group) and the same bytes are retried with
 * exponential backoff until they are in. ClickHouse answering with errors several times in a row:
 * the batch is split in halves until the rows it refuses are found; those go to the dead-letter
 * topic. A record that is not event JSON, or holds values the table cannot store, never blocks its
 * partition: it is counted, logged, sent to the dead-letter topic (when configured) and committed.
 *
 * <p><b>Threading.</b> {@link #run()} owns the Kafka consumer and runs on one thread; {@link #stop()}
 * may be called from any thread and returns at once: the loop then inserts and commits the batch in
 * hand (one attempt) and closes the consumer.
 */
public final class IngestLoop implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(IngestLoop.class);
  /** Longest single poll, so that {@link #stop()} is noticed quickly. */
  private static final long MAX_POLL_MS = 200;
  private static final long FIRST_BACKOFF_MS = 250;
  private static final long MAX_BACKOFF_MS = 10_000;
  /** Rejections of the same batch before it is split to find the rows ClickHouse refuses. */
  private static final int REJECTIONS_BEFORE_SPLIT = 3;

  private final Consumer<byte[], byte[]> consumer;
  private final Producer<byte[], byte[]> deadLetters;
  private final String deadLetterTopic;
  private final EventsInserter inserter;
  private final IngestStats stats;
  private final int batchMax;
  private final long flushNanos;
  private final Batch batch = new Batch();

  private volatile boolean running = true;
  private boolean deadLettersSent;
  /** 0 when healthy; else System.nanoTime() at which the failed batch is tried again. */
  private long retryAtNanos;
  private long backoffMs = FIRST_BACKOFF_MS;
  private int rejections;

  /**
   * @param deadLetters producer for {@code deadLetterTopic}, or null to only log and count poison
   */
  public IngestLoop(Consumer<byte[], byte[]> consumer, String topic, Producer<byte[], byte[]> deadLetters,
      String deadLetterTopic, EventsInserter inserter, IngestStats stats, int batchMax,
      Duration flushInterval) {
    this.consumer = consumer;
    this.deadLetters = deadLetters;
    this.deadLetterTopic = deadLetterTopic;
    this.inserter = inserter;
    this.stats = stats;
    this.batchMax = batchMax;
    this.flushNanos = flushInterval.toNanos();
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
        if (retryAtNanos != 0) {
          long waitMs = (retryAtNanos - System.nanoTime()) / 1_000_000;
          if (waitMs > 0) {
            // partitions are paused: this returns nothing but keeps the group membership alive
            consumer.poll(Duration.ofMillis(Math.min(waitMs, MAX_POLL_MS)));
            continue;
          }
          flush();
          continue;
        }
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(pollMs()));
        for (ConsumerRecord<byte[], byte[]> r : records) {
          take(r);
        }
        stats.consumed(records.count());
        stats.pendingRows(batch.rows());
        if (!batch.isEmpty()
            && (batch.rows() >= batchMax || batch.ageNanos(System.nanoTime()) >= flushNanos)) {
          flush();
        }
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
   * Inserts the batch (splitting it when ClickHouse keeps refusing it), then commits. On a failure
   * to reach ClickHouse, leaves the batch in place, pauses the partitions and schedules a retry.
   */
  private void flush() {
    if (batch.rows() > 0) {
      try {
        insertRows(0, batch.rows());
      } catch (InsertFailedException e) {
        stats.insertFailed(e.getMessage());
        if (e.rejected() && ++rejections >= REJECTIONS_BEFORE_SPLIT) {
          try {
            log.warn("ClickHouse refused a batch of {} rows {} times; splitting it to find the rows "
                + "it refuses", batch.rows(), rejections);
            split(0, batch.rows());
          } catch (InsertFailedException again) {
            stats.insertFailed(again.getMessage());
            failed(again);
            return;
          }
        } else {
          failed(e);
          return;
        }
      }
    }
    if (deadLettersSent) {
      // dead letters must be durable before the offsets that skip their records are committed
      deadLetters.flush();
      deadLettersSent = false;
    }
    commit();
    batch.clear();
    stats.pendingRows(0);
    if (retryAtNanos != 0) {
      log.info("ClickHouse accepts inserts again; resuming consumption");
      consumer.resume(consumer.assignment());
      retryAtNanos = 0;
      stats.insertFailing(false);
    }
    backoffMs = FIRST_BACKOFF_MS;
    rejections = 0;
  }

  private void insertRows(int fromRow, int toRow) throws InsertFailedException {
    int start = batch.rowStart(fromRow);
    inserter.insert(batch.bytes(), start, batch.rowEnd(toRow - 1) - start);
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

  private void failed(InsertFailedException e) {
    if (retryAtNanos == 0) {
      log.warn("Insert of {} rows into ClickHouse failed; pausing consumption and retrying the same "
          + "batch (offsets not committed): {}", batch.rows(), e.getMessage());
      consumer.pause(consumer.assignment());
      stats.insertFailing(true);
    } else {
      log.warn("Insert retry failed (next in {} ms): {}", backoffMs, e.getMessage());
    }
    retryAtNanos = System.nanoTime() + backoffMs * 1_000_000;
    backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
  }

  private void commit() {
    Map<TopicPartition, OffsetAndMetadata> offsets = batch.nextOffsets();
    if (offsets.isEmpty()) {
      return;
    }
    try {
      consumer.commitSync(offsets);
      stats.committed();
    } catch (KafkaException e) {
      // The rows are in ClickHouse: losing this commit only means re-delivery, which collapses.
      stats.commitFailed("offset commit failed: " + e);
      log.warn("Offset commit failed after a successful insert; the records will be re-delivered "
          + "and de-duplicated by ClickHouse: {}", e.toString());
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
   * it again) and partitions this member keeps are rewound to the batch's first offsets.
   */
  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (!batch.isEmpty()) {
        flush();
      }
      dropBatch(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      dropBatch(partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      if (retryAtNanos != 0) {
        consumer.pause(partitions);
      }
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
      if (retryAtNanos != 0) {
        consumer.resume(consumer.assignment());
        retryAtNanos = 0;
        stats.insertFailing(false);
      }
    }
  }
}
