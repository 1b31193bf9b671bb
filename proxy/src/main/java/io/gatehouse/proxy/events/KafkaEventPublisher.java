package io.gatehouse.proxy.events;

import io.gatehouse.schemas.EventJson;
import io.gatehouse.schemas.GatehouseEvent;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes events to Kafka off the request path: {@link #publish} only offers to a bounded in-memory
 * queue; ONE publisher thread owns the {@link KafkaProducer}, serialises events to JSON and sends them
 * (key = event id). The producer is configured never to block (INFRA.md): {@code max.block.ms=0},
 * {@code metadata.recovery.strategy=none}.
 *
 * <p>With {@code max.block.ms=0} a send fails at once while the topic's metadata is unknown (at start,
 * or while Kafka is unreachable), so the publisher thread first asks for the metadata and leaves events
 * in the queue until it is known. Events are dropped, counted and logged (at most every
 * {@link #DROP_LOG_INTERVAL}) when the queue is full or the producer rejects them; a disk spool comes
 * in a later issue.
 *
 * <p>Thread-safe: {@link #publish} from any thread.
 */
public final class KafkaEventPublisher implements EventSink, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaEventPublisher.class);
  /** Queue bound in events; with prompts of a few KB this is tens of MB at most. */
  public static final int DEFAULT_CAPACITY = 10_000;
  static final Duration DROP_LOG_INTERVAL = Duration.ofSeconds(10);
  private static final long METADATA_BACKOFF_MIN_NS = TimeUnit.MILLISECONDS.toNanos(50);
  private static final long METADATA_BACKOFF_MAX_NS = TimeUnit.SECONDS.toNanos(2);

  private final String bootstrap;
  private final String topic;
  private final int capacity;
  private final BlockingQueue<GatehouseEvent> queue;
  private final Thread thread;
  private final AtomicLong published = new AtomicLong();
  private final AtomicLong droppedQueueFull = new AtomicLong();
  private final AtomicLong droppedByProducer = new AtomicLong();
  private final AtomicLong lastDropLogNanos = new AtomicLong(System.nanoTime() - DROP_LOG_INTERVAL.toNanos());
  private final AtomicLong droppedAtLastLog = new AtomicLong();
  private volatile boolean closing;
  private volatile long closeDeadlineNanos;
  private volatile String lastProducerError;

  public KafkaEventPublisher(String bootstrap, String topic, int capacity) {
    this.bootstrap = bootstrap;
    this.topic = topic;
    this.capacity = capacity;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.thread = new Thread(this::run, "events-publisher");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  @Override
  public boolean publish(GatehouseEvent event) {
    if (!closing && queue.offer(event)) {
      return true;
    }
    droppedQueueFull.incrementAndGet();
    reportDrops(closing ? "the publisher is closed" : "the in-memory queue (" + capacity + ") is full");
    return false;
  }

  /** Events acknowledged by Kafka. */
  public long published() {
    return published.get();
  }

  /** Events dropped so far (queue full, closed, or rejected by the producer). */
  public long dropped() {
    return droppedQueueFull.get() + droppedByProducer.get();
  }

  /** Events waiting in the queue. */
  public int queued() {
    return queue.size();
  }

  /**
   * Checks in the background whether Kafka answers and logs the result (a WARN when it does not); never
   * delays the caller.
   */
  public void checkReachabilityInBackground(Duration timeout) {
    Thread t = new Thread(() -> {
      Map<String, Object> cfg = Map.of(
          AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis(),
          AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis(),
          AdminClientConfig.CLIENT_ID_CONFIG, "gatehouse-proxy-probe");
      try (Admin admin = Admin.create(cfg)) {
        String clusterId = admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()))
            .clusterId().get(timeout.toMillis() + 500, TimeUnit.MILLISECONDS);
        LOG.info("Kafka at {} is reachable (cluster {}); events go to topic {}", bootstrap, clusterId, topic);
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        LOG.warn("Kafka at {} is not reachable ({}). The proxy serves requests anyway; events wait in memory "
            + "(up to {}) and are dropped beyond that until Kafka answers. Check GATEHOUSE_KAFKA_BOOTSTRAP / "
            + "events.kafka.bootstrap.", bootstrap, rootMessage(e), capacity);
      }
    }, "kafka-probe");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Stops accepting events, sends what is queued, and waits for Kafka's acknowledgements, all within
   * {@code timeout}; what is left after that is dropped (and logged).
   */
  @Override
  public void close() {
    close(Duration.ofSeconds(5));
  }

  public void close(Duration timeout) {
    closeDeadlineNanos = System.nanoTime() + timeout.toNanos();
    closing = true;
    LockSupport.unpark(thread);
    try {
      thread.join(Math.max(1, timeout.toMillis() + 1000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    int left = queue.size();
    if (left > 0) {
      droppedQueueFull.addAndGet(left);
      LOG.warn("{} events were not delivered to Kafka at {} before shutdown", left, bootstrap);
    }
    LOG.info("Event publisher closed: {} events delivered, {} dropped", published(), dropped());
  }

  private Producer<String, byte[]> createProducer() {
    Map<String, Object> cfg = Map.ofEntries(
        Map.entry(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
        Map.entry(ProducerConfig.CLIENT_ID_CONFIG, "gatehouse-proxy"),
        Map.entry(ProducerConfig.MAX_BLOCK_MS_CONFIG, 0),
        Map.entry(CommonClientConfigs.METADATA_RECOVERY_STRATEGY_CONFIG, "none"),
        Map.entry(ProducerConfig.ACKS_CONFIG, "all"),
        Map.entry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
        Map.entry(ProducerConfig.LINGER_MS_CONFIG, 10),
        Map.entry(ProducerConfig.BATCH_SIZE_CONFIG, 131_072),
        Map.entry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd"));
    return new KafkaProducer<>(cfg, new StringSerializer(), new ByteArraySerializer());
  }

  /** The publisher thread: the only user of the producer. */
  private void run() {
    Producer<String, byte[]> producer;
    try {
      producer = createProducer();
    } catch (RuntimeException e) {
      LOG.error("Cannot create the Kafka producer for {}: {}. Events will be dropped.", bootstrap, rootMessage(e));
      drainAndDrop();
      return;
    }
    boolean metadataKnown = false;
    long backoff = METADATA_BACKOFF_MIN_NS;
    long waitingSince = System.nanoTime();
    long lastWaitLog = waitingSince;
    try {
      while (!closing || (!queue.isEmpty() && System.nanoTime() < closeDeadlineNanos)) {
        if (!metadataKnown) {
          try {
            producer.partitionsFor(topic); // with max.block.ms=0: throws at once until metadata arrived
            metadataKnown = true;
            backoff = METADATA_BACKOFF_MIN_NS;
          } catch (RuntimeException e) {
            long now = System.nanoTime();
            if (now - lastWaitLog >= DROP_LOG_INTERVAL.toNanos()) {
              lastWaitLog = now;
              LOG.warn("No metadata for topic {} from Kafka at {} for {} s ({}); {} events are waiting. Is Kafka up, "
                  + "and does the topic exist (or is auto-creation enabled)?", topic, bootstrap,
                  TimeUnit.NANOSECONDS.toSeconds(now - waitingSince), rootMessage(e), queue.size());
            }
            LockSupport.parkNanos(this, backoff);
            backoff = Math.min(backoff * 2, METADATA_BACKOFF_MAX_NS);
            continue;
          }
        }
        GatehouseEvent event;
        try {
          event = queue.poll(100, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          break;
        }
        if (event == null) {
          continue;
        }
        byte[] json;
        try {
          json = EventJson.toBytes(event);
        } catch (RuntimeException e) {
          droppedByProducer.incrementAndGet();
          LOG.error("Event {} cannot be serialised; dropped: {}", event.eventId(), e.getMessage());
          continue;
        }
        producer.send(new ProducerRecord<>(topic, event.eventId(), json), (meta, error) -> {
          if (error == null) {
            published.incrementAndGet();
          } else {
            droppedByProducer.incrementAndGet();
            lastProducerError = rootMessage(error);
            reportDrops("Kafka producer: " + lastProducerError);
          }
        });
        if (lastProducerError != null && lastProducerError.contains("metadata")) {
          metadataKnown = false; // metadata lost: wait for it again instead of failing every send
          waitingSince = System.nanoTime();
          lastProducerError = null;
        }
      }
    } finally {
      long remaining = Math.max(0, closeDeadlineNanos - System.nanoTime());
      producer.close(Duration.ofNanos(closing ? remaining : 0));
    }
  }

  private void drainAndDrop() {
    while (!closing) {
      try {
        if (queue.poll(1, TimeUnit.SECONDS) != null) {
          droppedByProducer.incrementAndGet();
          reportDrops("no Kafka producer");
        }
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Logs drops at most once per interval, with the count since the last report. */
  private void reportDrops(String reason) {
    long now = System.nanoTime();
    long last = lastDropLogNanos.get();
    if (now - last >= DROP_LOG_INTERVAL.toNanos() && lastDropLogNanos.compareAndSet(last, now)) {
      long total = dropped();
      long since = total - droppedAtLastLog.getAndSet(total);
      LOG.warn("Dropped {} events ({} in total) bound for Kafka at {}: {}", since, total, bootstrap, reason);
    }
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage());
  }
}
