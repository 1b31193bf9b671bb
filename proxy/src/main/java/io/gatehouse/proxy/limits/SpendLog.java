package io.gatehouse.proxy.limits;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.proxy.keys.KafkaTopics;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ordered spend log: one single-partition Kafka topic to which every replica appends reservations
 * and settlements, and which every replica folds from the beginning with the same {@link Ledger}. A
 * reservation's decision is the one the fold reaches when the reservation's own record comes back, so
 * replicas never disagree and concurrent requests cannot overspend.
 *
 * <p>Threads: {@link #reserve} and {@link #settle} never block (a sender thread talks to the producer);
 * decisions are delivered on the consumer thread, which alone owns the ledger.
 */
public final class SpendLog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SpendLog.class);
  private static final ObjectMapper JSON = new ObjectMapper().setSerializationInclusion(JsonInclude.Include.NON_NULL);
  /** Budgets run by the month: keep a little more than a month of records. */
  static final long RETENTION_MS = Duration.ofDays(40).toMillis();

  /** One record of the log: exactly one of the two is set. */
  record LogRecord(Ledger.Reserve reserve, Ledger.Settle settle) {}

  private final String topic;
  private final Map<String, Object> producerConfig;
  private final Map<String, Object> consumerConfig;
  private KafkaProducer<byte[], byte[]> producer; // created and used on the sender thread only
  private volatile KafkaConsumer<byte[], byte[]> consumer; // created and polled on the reader thread
  private final ThreadPoolExecutor sender;
  private final Thread reader;
  private final Ledger ledger;
  private final Map<String, Consumer<Ledger.Decision>> pending = new ConcurrentHashMap<>();
  private final AtomicLong folded = new AtomicLong();
  private volatile boolean closed;

  public SpendLog(String bootstrap, String topic, long holdTtlMs, Duration sendTimeout) {
    this.topic = topic;
    this.ledger = new Ledger(holdTtlMs);
    this.producerConfig = Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.CLIENT_ID_CONFIG, "gatehouse-spend",
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.LINGER_MS_CONFIG, 0,
        ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) sendTimeout.toMillis(),
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.max(sendTimeout.toMillis(), 1000) + 30_000,
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000);
    this.consumerConfig = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.CLIENT_ID_CONFIG, "gatehouse-spend-reader",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
    this.sender = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(50_000),
        r -> {
          Thread t = new Thread(r, "gatehouse-spend-sender");
          t.setDaemon(true);
          return t;
        }, new ThreadPoolExecutor.DiscardPolicy()); // a dropped reservation times out and fails open
    // Kafka clients are built on their own threads: start() never waits for them (class loading included)
    sender.execute(() -> producer = new KafkaProducer<>(producerConfig, new ByteArraySerializer(),
        new ByteArraySerializer()));
    this.reader = new Thread(() -> run(bootstrap), "gatehouse-spend-reader");
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Appends a reservation; {@code onDecision} is called once, on the consumer thread, with the fold's
   * decision, unless {@link #abandon} claimed it first (the caller's timeout).
   */
  public void reserve(Ledger.Reserve r, Consumer<Ledger.Decision> onDecision) {
    pending.put(r.id(), onDecision);
    send(new LogRecord(r, null));
  }

  /** Gives up waiting for a reservation's decision; true when it was still pending (the caller decides). */
  public boolean abandon(String id) {
    return pending.remove(id) != null;
  }

  public void settle(Ledger.Settle s) {
    send(new LogRecord(null, s));
  }

  /** Records folded since start. */
  public long folded() {
    return folded.get();
  }

  private void send(LogRecord record) {
    byte[] value;
    try {
      value = JSON.writeValueAsBytes(record);
    } catch (IOException e) {
      throw new IllegalStateException("a ledger record must serialise", e);
    }
    sender.execute(() -> {
      try {
        producer.send(new ProducerRecord<>(topic, 0, null, value), (md, e) -> {
          if (e != null) {
            LOG.warn("Spend log {}: a record could not be appended ({}); its request is admitted without "
                + "the shared ledger when its decision times out", topic, e.toString());
          }
        });
      } catch (RuntimeException e) {
        LOG.warn("Spend log {}: cannot append ({})", topic, e.toString());
      }
    });
  }

  private void run(String bootstrap) {
    KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.consumer = consumer;
    TopicPartition tp = new TopicPartition(topic, 0);
    try {
      KafkaTopics.ensure(bootstrap, topic, 1, Map.of("retention.ms", Long.toString(RETENTION_MS)));
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      while (!closed) {
        for (ConsumerRecord<byte[], byte[]> rec : consumer.poll(Duration.ofMillis(200))) {
          fold(rec.value());
        }
      }
    } catch (WakeupException | InterruptException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.error("Spend log {}: the reader stopped; budgets and rate limits fail open from now on", topic, e);
    } finally {
      consumer.close(Duration.ofSeconds(1));
    }
  }

  private void fold(byte[] value) {
    LogRecord record;
    try {
      record = JSON.readValue(value, LogRecord.class);
    } catch (IOException e) {
      LOG.warn("Spend log {}: skipping an unreadable record ({})", topic, e.getMessage());
      return;
    }
    folded.incrementAndGet();
    if (record.reserve() != null) {
      Ledger.Decision d = ledger.reserve(record.reserve());
      Consumer<Ledger.Decision> waiting = pending.remove(record.reserve().id());
      if (waiting != null) {
        try {
          waiting.accept(d);
        } catch (RuntimeException e) {
          LOG.error("Spend log: a decision callback failed", e);
        }
      }
    } else if (record.settle() != null) {
      ledger.settle(record.settle());
    }
  }

  @Override
  public void close() {
    closed = true;
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    sender.execute(() -> {
      if (producer != null) {
        producer.close(Duration.ofSeconds(2));
      }
    });
    sender.shutdown();
    try {
      sender.awaitTermination(4, TimeUnit.SECONDS);
      reader.join(3000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
