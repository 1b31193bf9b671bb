package io.gatehouse.ingest;

import io.gatehouse.schemas.clickhouse.ClickHouseHttp;
import io.gatehouse.schemas.clickhouse.ClickHouseUnavailableException;
import io.gatehouse.ingest.clickhouse.EventsInserter;
import io.gatehouse.ingest.clickhouse.Migrator;
import io.gatehouse.ingest.clickhouse.StoredEvents;
import io.gatehouse.ingest.consume.IngestLoop;
import io.gatehouse.ingest.consume.IngestStats;
import io.gatehouse.ingest.consume.LoopHooks;
import io.gatehouse.ingest.feedback.FeedbackLoop;
import io.gatehouse.schemas.Topics;
import io.gatehouse.ingest.health.HealthEndpoint;
import io.gatehouse.ingest.health.HealthEndpoint.State;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Composition root of the ingest service: configuration → ClickHouse migrations → Kafka consumer loops
 * ({@link IngestConfig#consumers()}, each a member of the consumer group) → health endpoint. Reads events
 * v1 from Kafka and inserts them, in batches, into {@code gatehouse.events}; see {@link IngestLoop} for the
 * delivery contract.
 *
 * <p>Lifecycle: {@link #start(Map)} returns once migrations are applied and the consumer is
 * subscribed (it waits, logging, while ClickHouse is unreachable); {@link #close()} stops polling,
 * inserts and commits the batch in hand, and releases everything. Thread-safe.
 */
public final class IngestService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(IngestService.class);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

  private final IngestConfig config;
  private final LoopHooks hooks;
  private final IngestStats stats = new IngestStats();
  private final HealthEndpoint health;
  private volatile boolean closed;
  private volatile State state = State.STARTING;
  private EventsInserter inserter;
  private Producer<byte[], byte[]> deadLetters;
  private List<IngestLoop> loops = List.of();
  private volatile FeedbackLoop feedback;
  private Thread feedbackThread;
  private volatile List<Thread> loopThreads = List.of();
  /** Counted down when any consumer loop ends: {@link #main} then exits so that a supervisor restarts ingest. */
  private final CountDownLatch loopEnded = new CountDownLatch(1);

  private IngestService(IngestConfig config, LoopHooks hooks) {
    this.config = config;
    this.hooks = hooks;
    this.health = new HealthEndpoint(config.port(), stats, this::state);
  }

  /**
   * Starts ingest with the given environment (see {@link IngestConfig} for the variables). Blocks
   * until ClickHouse is migrated and the consumer subscribed.
   *
   * @throws IllegalArgumentException for invalid configuration (the message names the variable)
   * @throws IllegalStateException when a migration fails (the server's message included)
   */
  public static IngestService start(Map<String, String> env) {
    return start(env, LoopHooks.NONE);
  }

  /** {@link #start(Map)} with fault-injection points in the consumer loop (tests). */
  static IngestService start(Map<String, String> env, LoopHooks hooks) {
    IngestService service = new IngestService(IngestConfig.fromEnv(env), hooks);
    try {
      service.boot();
      return service;
    } catch (RuntimeException e) {
      service.close();
      throw e;
    }
  }

  /**
   * Heap a consumer loop holds per event of its batch: the record (key, value of ≈ 1.5 KB, headers) until
   * the commit, and its row (≈ 1.9 KB) until the insert. Measured: 2 loops of 50,000 ran out of a 512 MB heap.
   */
  static final long BYTES_IN_HAND_PER_EVENT = 4 * 1024;

  private void boot() {
    log.info("Gatehouse ingest starting: {}", config);
    long inHand = (long) config.consumers() * config.batchMax() * BYTES_IN_HAND_PER_EVENT;
    long heap = Runtime.getRuntime().maxMemory();
    if (inHand > heap / 2) {
      log.warn("{} consumer loop(s) × batches of {} events hold ≈ {} MB of ≈ 1.5 KB events, more than half of the "
              + "{} MB heap: ingest may run out of memory. Give it more heap (-Xmx), or lower {} or {}",
          config.consumers(), config.batchMax(), inHand >> 20, heap >> 20, IngestConfig.BATCH_MAX,
          IngestConfig.CONSUMERS);
    }
    ClickHouseHttp clickHouse = new ClickHouseHttp(
        config.clickHouseUrl(), config.clickHouseUser(), config.clickHousePassword());
    if (config.applyMigrations()) {
      List<Integer> applied = new Migrator(clickHouse).awaitAndApply(() -> !closed);
      log.info(applied.isEmpty() ? "ClickHouse schema is current"
          : "Applied ClickHouse migrations " + applied);
    } else if (config.topology().isCluster()) {
      log.info("Not applying ClickHouse migrations: on {} the schema is the one `Migrations --cluster {}` "
          + "prints, applied once by the operator", config.topology(), config.topology().cluster());
    } else {
      log.info("Not applying ClickHouse migrations ({}=1): the schema is managed outside",
          IngestConfig.SKIP_MIGRATIONS);
    }
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("ingest was closed while starting");
      }
      inserter = new EventsInserter(config.clickHouseUrl(), config.clickHouseUser(), config.clickHousePassword(),
          config.topology().insertSettings());
      deadLetters = config.dlqTopic().isEmpty() ? null : new KafkaProducer<>(producerProps());
      StoredEvents storedEvents = new StoredEvents(clickHouse, config.topology().checkSettings());
      List<IngestLoop> newLoops = new ArrayList<>();
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < config.consumers(); i++) {
        Properties props = consumerProps();
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "gatehouse-ingest-" + i);
        IngestLoop loop = new IngestLoop(new KafkaConsumer<>(props), config.topic(), deadLetters,
            config.dlqTopic(), inserter, storedEvents, stats.member(), config.batchMax(), config.flushInterval(), hooks);
        newLoops.add(loop);
        threads.add(new Thread(() -> {
          try {
            loop.run();
          } finally {
            loopEnded.countDown();
          }
        }, "gatehouse-ingest-consumer-" + i));
      }
      loops = List.copyOf(newLoops);
      loopThreads = List.copyOf(threads);
      threads.forEach(Thread::start);
      Properties feedbackProps = consumerProps();
      feedbackProps.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId() + "-feedback");
      feedbackProps.put(ConsumerConfig.CLIENT_ID_CONFIG, "gatehouse-ingest-feedback");
      feedback = new FeedbackLoop(new KafkaConsumer<>(feedbackProps), Topics.FEEDBACK_V1, clickHouse);
      feedbackThread = new Thread(feedback, "gatehouse-ingest-feedback");
      feedbackThread.start();
      state = State.RUNNING;
    }
    log.info("Gatehouse ingest ready: Kafka {} topic {} (group {}) -> ClickHouse {}; health on "
            + "http://0.0.0.0:{}/health; {} consumer loop(s), batches of up to {} events or {} ms; dead letters: {}",
        config.kafkaBootstrap(), config.topic(), config.groupId(), config.clickHouseUrl(), port(),
        config.consumers(), config.batchMax(), config.flushInterval().toMillis(),
        config.dlqTopic().isEmpty() ? "off" : config.dlqTopic());
  }

  private Properties consumerProps() {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafkaBootstrap());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "gatehouse-ingest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // one poll never brings more than a batch, so a batch holds at most 2 * batchMax - 1 records
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(config.batchMax()));
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return p;
  }

  private Properties producerProps() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafkaBootstrap());
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "gatehouse-ingest-dlq");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    // the consumer thread sends; never let a missing broker stall it for the default 60 s
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return p;
  }

  /** Feedback rows inserted so far (0 before start completes). */
  public long feedbackInserted() {
    FeedbackLoop f = feedback;
    return f == null ? 0 : f.inserted();
  }

  /** The port of the health endpoint. */
  public int port() {
    return health.port();
  }

  /** Live counters (for tests and the health endpoint). */
  public IngestStats stats() {
    return stats;
  }

  private State state() {
    if (state == State.RUNNING && !closed && loopThreads.stream().anyMatch(t -> !t.isAlive())) {
      return State.DOWN;
    }
    return state;
  }

  /** Stops polling, inserts and commits the batch in hand, closes Kafka and ClickHouse clients. */
  @Override
  public void close() {
    closed = true;
    synchronized (this) {
      loops.forEach(IngestLoop::stop); // all at once: each inserts and commits its batch in hand
      long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
      for (Thread t : loopThreads) {
        try {
          t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
          log.warn("Consumer loop {} did not stop within {} s", t.getName(), STOP_TIMEOUT.toSeconds());
        }
      }
      loops = List.of();
      if (feedback != null) {
        feedback.close();
        try {
          feedbackThread.join(STOP_TIMEOUT.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        feedback = null;
      }
      if (deadLetters != null) {
        deadLetters.close(Duration.ofSeconds(5));
        deadLetters = null;
      }
      if (inserter != null) {
        inserter.close();
        inserter = null;
      }
      if (state != State.DOWN) {
        state = State.DOWN;
        health.close();
        log.info("Gatehouse ingest stopped");
      }
    }
  }

  public static void main(String[] args) {
    IngestService service;
    try {
      service = new IngestService(IngestConfig.fromEnv(System.getenv()), LoopHooks.NONE);
    } catch (RuntimeException e) {
      log.error("Gatehouse ingest cannot start: {}", e.getMessage());
      System.exit(2);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(service::close, "gatehouse-ingest-shutdown"));
    try {
      service.boot();
      service.loopEnded.await();
      if (!service.closed) {
        // the loop logged why; exit so that a supervisor restarts ingest instead of it idling
        System.exit(1);
      }
    } catch (ClickHouseUnavailableException e) {
      if (!service.closed) {
        log.error("Gatehouse ingest cannot start: {}", e.getMessage());
        System.exit(1);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.error("Gatehouse ingest cannot start: {}", e.getMessage(), e);
      System.exit(1);
    }
  }
}
