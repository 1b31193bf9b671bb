package io.gatehouse.proxy.events;

import io.gatehouse.schemas.GatehouseEvent;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes events to Kafka off the request path, with a disk {@link Spool} for when Kafka is slow or
 * down.
 *
 * <p><b>Threads.</b> {@link #publish} only offers to a bounded in-memory queue (never blocks, never
 * touches disk). ONE publisher thread owns the {@link KafkaProducer} and the spool: it encodes each
 * event ({@link EventEncoder}: redaction, metadata-only routes) and either sends it or appends it to
 * the spool. Producer callbacks (Kafka's I/O thread) only flip flags and queue failed records for the
 * publisher thread. The producer is configured never to block (INFRA.md): {@code max.block.ms=0},
 * {@code metadata.recovery.strategy=none}.
 *
 * <p><b>Direct or spooled.</b> An event goes straight to Kafka only while the spool is empty, the
 * topic's metadata is known, no failure is being backed off from, and less than
 * {@link Tuning#maxInFlightBytes} are unacknowledged (a slow Kafka fills that window). Otherwise it is
 * appended to the spool — and so is everything after it until the spool is empty again, which keeps
 * the order. A direct send that fails (after the producer's own retries, {@link Tuning#deliveryTimeout})
 * is appended to the spool too; such events may land after events spooled meanwhile.
 *
 * <p><b>Replay.</b> While Kafka is usable the publisher reads the spool in order and sends, with a
 * bounded window; after a failure it pauses (exponential backoff up to 5 s), then probes with one
 * record until one is acknowledged. A failed replayed record rewinds the reader to it: delivery is at
 * least once (consumers dedup by {@code event_id}). Segments whose records are all acknowledged are
 * deleted. Records Kafka rejects for good (too large, invalid) are dropped and counted.
 *
 * <p><b>Losses</b> are counted and logged (at most every {@link #DROP_LOG_INTERVAL}, with totals and
 * what to do): the in-memory queue full, the spool at its byte bound, a disk write failing, an event
 * that cannot be serialised, or a record Kafka rejects for good.
 *
 * <p><b>Shutdown</b> ({@link #close(Duration)}): stops taking events, sends or spools what is queued,
 * gives the producer the rest of the time to deliver, then spools whatever it could not deliver.
 *
 * <p>Thread-safe: {@link #publish} and the counters from any thread.
 */
public final class KafkaEventPublisher implements EventSink, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaEventPublisher.class);
  /** Queue bound in events; with prompts of a few KB this is tens of MB at most. */
  public static final int DEFAULT_CAPACITY = 10_000;
  static final Duration DROP_LOG_INTERVAL = Duration.ofSeconds(10);
  /** Spooling shorter than this (e.g. the first events after a start, before metadata arrives) is not worth a WARN. */
  static final long SPOOLING_WARN_AFTER_NS = TimeUnit.SECONDS.toNanos(5);
  private static final int BATCH = 512;
  /** How long the publisher naps between drains while events keep coming (they wait at most this long). */
  private static final long NAP_NS = TimeUnit.MILLISECONDS.toNanos(1);
  /** Without an event for this long, the publisher sleeps until {@link #publish} wakes it. */
  private static final long BUSY_WINDOW_NS = TimeUnit.MILLISECONDS.toNanos(20);
  private static final long BACKOFF_MIN_NS = TimeUnit.MILLISECONDS.toNanos(50);
  private static final long BACKOFF_MAX_NS = TimeUnit.SECONDS.toNanos(5);
  /** Time kept at shutdown, after the producer's share, to spool what it could not deliver. */
  private static final long SHUTDOWN_SPOOL_RESERVE_NS = TimeUnit.MILLISECONDS.toNanos(500);

  /**
   * Producer timing and windows.
   *
   * @param deliveryTimeout how long the producer retries a record before it fails (and is spooled)
   * @param requestTimeout one request to the broker
   * @param maxInFlightBytes unacknowledged bytes allowed in the producer (direct and replayed)
   * @param replayWindow unacknowledged replayed records allowed
   */
  public record Tuning(Duration deliveryTimeout, Duration requestTimeout, long maxInFlightBytes, int replayWindow) {
    public static final Tuning DEFAULT = new Tuning(Duration.ofSeconds(30), Duration.ofSeconds(10), 8L << 20, 2_000);
  }

  /** A replayed record waiting for Kafka's answer. */
  private static final class InFlight {
    static final int PENDING = 0;
    static final int DONE = 1;
    static final int FAILED = 2;
    final Spool.Position position;
    volatile int state = PENDING;

    InFlight(Spool.Position position) {
      this.position = position;
    }
  }

  /** A direct send that failed and must be spooled. */
  private record Failed(String key, byte[] value) {}

  private final String bootstrap;
  private final String topic;
  private final int capacity;
  private final Spool spool;
  private final EventEncoder encoder;
  private final Tuning tuning;
  private final BlockingQueue<GatehouseEvent> queue;
  private final Queue<Failed> failedDirect = new ConcurrentLinkedQueue<>();
  private final ArrayDeque<InFlight> replaying = new ArrayDeque<>();
  private final Thread thread;

  private final AtomicLong published = new AtomicLong();
  private final AtomicLong replayed = new AtomicLong();
  private final AtomicLong spooled = new AtomicLong();
  private final AtomicLong droppedQueueFull = new AtomicLong();
  private final AtomicLong droppedSpoolFull = new AtomicLong();
  private final AtomicLong droppedSpoolError = new AtomicLong();
  private final AtomicLong droppedRejected = new AtomicLong();
  private final AtomicLong inFlightBytes = new AtomicLong();
  private final AtomicLong sendFailures = new AtomicLong();
  private final AtomicLong lastDropLogNanos = new AtomicLong(System.nanoTime() - DROP_LOG_INTERVAL.toNanos());
  private final AtomicLong droppedAtLastLog = new AtomicLong();
  private volatile boolean sawAck;
  private volatile String lastSendError;
  private volatile long spoolBytes;
  private volatile boolean closing;
  /** The publisher thread is (about to be) parked until woken: {@link #publish} unparks it. */
  private volatile boolean asleep;
  private volatile long closeDeadlineNanos;
  private volatile boolean threadDone;

  // publisher-thread state
  private Producer<String, byte[]> producer;
  /** When the publisher last took an event from the queue. */
  private long lastEventNanos = System.nanoTime() - BUSY_WINDOW_NS;
  // System.nanoTime() may be negative: deadlines start at "now" and are compared by subtraction
  private long nextProducerAttemptNanos = System.nanoTime();
  private boolean metadataKnown;
  private long pausedUntilNanos = System.nanoTime();
  private long backoffNanos = BACKOFF_MIN_NS;
  private boolean probing;
  private long failuresSeen;
  private long spoolingSinceNanos;
  private String spoolingReason;
  private boolean spoolingWarned;
  private long replayedAtSpoolStart;
  private long lastMetadataLogNanos = System.nanoTime(); // the first complaint after one interval, not at start

  /**
   * Starts the publisher thread. The spool becomes owned by the publisher (closed by {@link #close}).
   */
  public KafkaEventPublisher(String bootstrap, String topic, int capacity, Spool spool, EventEncoder encoder) {
    this(bootstrap, topic, capacity, spool, encoder, Tuning.DEFAULT);
  }

  public KafkaEventPublisher(String bootstrap, String topic, int capacity, Spool spool, EventEncoder encoder,
      Tuning tuning) {
    this.bootstrap = bootstrap;
    this.topic = topic;
    this.capacity = capacity;
    this.spool = spool;
    this.encoder = encoder;
    this.tuning = tuning;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.spoolBytes = spool.bytes();
    this.thread = new Thread(this::run, "events-publisher");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  @Override
  public boolean publish(GatehouseEvent event) {
    if (!closing && queue.offer(event)) {
      if (asleep) {
        // only an idle publisher is woken: under load it naps and drains on its own, so the IO thread
        // makes no wake-up call (and is not preempted by the thread it woke)
        LockSupport.unpark(thread);
      }
      return true;
    }
    droppedQueueFull.incrementAndGet();
    reportDrops(closing ? "the publisher is closed" : "the in-memory queue (" + capacity + " events) is full; "
        + "the publisher thread cannot keep up");
    return false;
  }

  /** Events acknowledged by Kafka (sent directly or replayed from the spool). */
  public long published() {
    return published.get();
  }

  /** Of {@link #published()}, those replayed from the spool. */
  public long replayed() {
    return replayed.get();
  }

  /** Events appended to the spool since start. */
  public long spooled() {
    return spooled.get();
  }

  /** Bytes in the spool's files (updated by the publisher thread). */
  public long spoolBytes() {
    return spoolBytes;
  }

  /** Events lost because the spool was at its byte bound. */
  public long droppedSpoolFull() {
    return droppedSpoolFull.get();
  }

  /** Events lost so far, for every reason (queue full or closed, spool full, disk errors, rejected by Kafka). */
  public long dropped() {
    return droppedQueueFull.get() + droppedSpoolFull.get() + droppedSpoolError.get() + droppedRejected.get();
  }

  /** Events waiting in the in-memory queue. */
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
        LOG.warn("Kafka at {} is not reachable ({}). The proxy serves requests anyway; events wait in the spool {} "
            + "(up to {} bytes) and are sent when Kafka answers. Check GATEHOUSE_KAFKA_BOOTSTRAP / "
            + "events.kafka.bootstrap.", bootstrap, rootMessage(e), spool.dir().toAbsolutePath(), spool.maxBytes());
      }
    }, "kafka-probe");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(5));
  }

  /**
   * Stops accepting events; sends what is queued if Kafka is usable, otherwise spools it; gives the
   * producer until {@code timeout} to deliver, then spools what is left. The spool is closed (forced to
   * disk); its records are replayed at the next start.
   */
  public void close(Duration timeout) {
    closeDeadlineNanos = System.nanoTime() + timeout.toNanos();
    closing = true;
    LockSupport.unpark(thread);
    try {
      thread.join(Math.max(1, timeout.toMillis() + 2000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (threadDone) {
      // the publisher thread is gone: this thread owns the spool now; catch events offered during the race
      GatehouseEvent late;
      while ((late = queue.poll()) != null) {
        spoolOrDrop(late);
      }
      spoolBytes = spool.bytes();
      spool.close();
    } else {
      int left = queue.size();
      droppedQueueFull.addAndGet(left);
      LOG.error("The event publisher did not stop in time; {} queued events are lost", left);
    }
    LOG.info("Event publisher closed: {} events delivered to Kafka ({} from the spool), {} spooled, {} dropped; "
        + "spool {} holds {} bytes", published(), replayed(), spooled(), dropped(), spool.dir().toAbsolutePath(),
        spoolBytes);
  }

  private Producer<String, byte[]> createProducer() {
    int deliveryMs = (int) tuning.deliveryTimeout().toMillis();
    int requestMs = (int) tuning.requestTimeout().toMillis();
    Map<String, Object> cfg = Map.ofEntries(
        Map.entry(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
        Map.entry(ProducerConfig.CLIENT_ID_CONFIG, "gatehouse-proxy"),
        Map.entry(ProducerConfig.MAX_BLOCK_MS_CONFIG, 0),
        Map.entry(CommonClientConfigs.METADATA_RECOVERY_STRATEGY_CONFIG, "none"),
        Map.entry(ProducerConfig.ACKS_CONFIG, "all"),
        Map.entry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
        Map.entry(ProducerConfig.LINGER_MS_CONFIG, 10),
        Map.entry(ProducerConfig.BATCH_SIZE_CONFIG, 131_072),
        Map.entry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd"),
        // seconds of events at thousands per second; past it (a broker outage) events go to the disk
        // spool, so a larger buffer would only crowd the proxy's small heap
        Map.entry(ProducerConfig.BUFFER_MEMORY_CONFIG, 16L << 20),
        Map.entry(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, requestMs),
        // must be at least linger + request timeout (the producer checks)
        Map.entry(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Math.max(deliveryMs, requestMs + 10)));
    return new KafkaProducer<>(cfg, new StringSerializer(), new ByteArraySerializer());
  }

  /** The publisher thread: the only user of the producer and (until it ends) of the spool. */
  private void run() {
    tryCreateProducer(System.nanoTime());
    if (!spool.isEmpty()) {
      startedSpooling("events from an earlier run are waiting");
    }
    try {
      while (!closing) {
        loopOnce();
      }
      shutdown();
    } catch (RuntimeException | Error e) {
      LOG.error("The event publisher failed; events are no longer delivered", e);
      throw e;
    } finally {
      threadDone = true;
    }
  }

  /**
   * The producer cannot be created while no bootstrap host resolves (e.g. a container not up yet):
   * events are spooled meanwhile and creation is retried every {@link #DROP_LOG_INTERVAL}.
   */
  private void tryCreateProducer(long now) {
    if (producer != null || now - nextProducerAttemptNanos < 0) {
      return;
    }
    try {
      producer = createProducer();
    } catch (RuntimeException e) {
      nextProducerAttemptNanos = now + DROP_LOG_INTERVAL.toNanos();
      LOG.error("Cannot create the Kafka producer for {}: {}. Events are spooled to {} meanwhile; retrying in {} s. "
          + "Check events.kafka.bootstrap / GATEHOUSE_KAFKA_BOOTSTRAP.", bootstrap, rootMessage(e),
          spool.dir().toAbsolutePath(), DROP_LOG_INTERVAL.toSeconds());
    }
  }

  private void loopOnce() {
    long now = System.nanoTime();
    tryCreateProducer(now);
    warnIfSpoolingLong(now);
    noticeKafkaSignals(now);
    refreshMetadata(now);
    spoolFailedDirectSends();
    settleReplayed();
    replay(now);
    long waitMs = replaying.isEmpty() ? 100 : 5; // with records in flight, look at their answers soon
    GatehouseEvent first = queue.poll();
    if (first == null) {
      awaitEvents(now, waitMs);
      if (Thread.interrupted()) {
        closing = true;
        return;
      }
      first = queue.poll();
    }
    if (first != null) {
      lastEventNanos = System.nanoTime();
      handle(first);
      for (int i = 1; i < BATCH; i++) {
        GatehouseEvent e = queue.poll();
        if (e == null) {
          break;
        }
        handle(e);
      }
    }
    spool.syncIfDue();
    spoolBytes = spool.bytes();
  }

  /**
   * Waits for events without asking {@link #publish} to wake it while events keep coming: within
   * {@link #BUSY_WINDOW_NS} of the last event it naps {@link #NAP_NS} and drains whatever arrived
   * meanwhile. At 2,000 events/s the old per-event wake-up cost each request a futex call on its IO
   * thread, and ~1,800 context switches per second of the publisher preempted the IO threads. Idle, it
   * sleeps up to {@code waitMs} and is woken by the next event.
   */
  private void awaitEvents(long now, long waitMs) {
    if (now - lastEventNanos < BUSY_WINDOW_NS) {
      LockSupport.parkNanos(NAP_NS);
      return;
    }
    asleep = true;
    if (queue.isEmpty() && !closing) { // checked after announcing the sleep: an event offered since wakes us
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(waitMs));
    }
    asleep = false;
  }

  /** Reacts to what producer callbacks reported since the last look. */
  private void noticeKafkaSignals(long now) {
    long failures = sendFailures.get();
    if (failures != failuresSeen) {
      failuresSeen = failures;
      pausedUntilNanos = now + backoffNanos;
      backoffNanos = Math.min(backoffNanos * 2, BACKOFF_MAX_NS);
      probing = true;
      metadataKnown = false;
    } else if (sawAck) {
      sawAck = false;
      probing = false;
      backoffNanos = BACKOFF_MIN_NS;
    }
  }

  /** With {@code max.block.ms=0} a send fails at once while the topic's metadata is unknown: ask first. */
  private void refreshMetadata(long now) {
    if (metadataKnown || producer == null || now - pausedUntilNanos < 0) {
      return;
    }
    try {
      producer.partitionsFor(topic);
      metadataKnown = true;
    } catch (RuntimeException e) {
      pausedUntilNanos = now + backoffNanos;
      backoffNanos = Math.min(backoffNanos * 2, BACKOFF_MAX_NS);
      if (spool.isEmpty() && queue.isEmpty()) {
        return; // nothing is waiting: no reason to complain yet
      }
      if (now - lastMetadataLogNanos >= DROP_LOG_INTERVAL.toNanos()) {
        lastMetadataLogNanos = now;
        LOG.warn("No metadata for topic {} from Kafka at {} ({}); events are spooled to {} ({} bytes so far). Is Kafka "
            + "up, and does the topic exist (or is auto-creation enabled)?", topic, bootstrap, rootMessage(e),
            spool.dir().toAbsolutePath(), spool.bytes());
      }
    }
  }

  private boolean kafkaUsable(long now) {
    return producer != null && metadataKnown && now - pausedUntilNanos >= 0;
  }

  /** Sends one new event straight to Kafka when nothing is ahead of it and Kafka keeps up; else spools it. */
  private void handle(GatehouseEvent event) {
    byte[] value = encode(event);
    if (value == null) {
      return;
    }
    if (spool.isEmpty() && failedDirect.isEmpty() && !probing && kafkaUsable(System.nanoTime())
        && inFlightBytes.get() + value.length <= tuning.maxInFlightBytes()) {
      sendDirect(event.eventId(), value);
    } else {
      toSpool(event.eventId(), value, "Kafka is unavailable or behind");
    }
  }

  private byte[] encode(GatehouseEvent event) {
    try {
      return encoder.encode(event);
    } catch (RuntimeException e) {
      droppedRejected.incrementAndGet();
      LOG.error("Event {} cannot be serialised; dropped: {}", event.eventId(), e.getMessage());
      return null;
    }
  }

  private void sendDirect(String key, byte[] value) {
    inFlightBytes.addAndGet(value.length);
    Callback cb = (meta, error) -> {
      inFlightBytes.addAndGet(-value.length);
      if (error == null) {
        published.incrementAndGet();
        sawAck = true;
      } else if (retriable(error)) {
        failedDirect.add(new Failed(key, value));
        lastSendError = rootMessage(error);
        sendFailures.incrementAndGet();
      } else {
        droppedRejected.incrementAndGet();
        reportDrops("Kafka rejected an event for good: " + rootMessage(error));
      }
    };
    try {
      producer.send(new ProducerRecord<>(topic, key, value), cb);
    } catch (RuntimeException e) {
      cb.onCompletion(null, e);
    }
  }

  private void spoolFailedDirectSends() {
    Failed f;
    while ((f = failedDirect.poll()) != null) {
      toSpool(f.key(), f.value(), "its send to Kafka failed");
    }
  }

  private void toSpool(String key, byte[] value, String why) {
    if (spool.isEmpty()) {
      startedSpooling(why);
    }
    try {
      if (spool.append(key, value)) {
        spooled.incrementAndGet();
      } else {
        droppedSpoolFull.incrementAndGet();
        reportDrops("the spool " + spool.dir().toAbsolutePath() + " is full (" + spool.bytes() + " of "
            + spool.maxBytes() + " bytes); raise events.spool.max_bytes or bring Kafka at " + bootstrap + " back");
      }
    } catch (IOException e) {
      droppedSpoolError.incrementAndGet();
      reportDrops("writing to the spool " + spool.dir().toAbsolutePath() + " failed (" + e.getMessage()
          + "); check the disk");
    }
  }

  private void spoolOrDrop(GatehouseEvent event) {
    byte[] value = encode(event);
    if (value != null) {
      toSpool(event.eventId(), value, "the publisher is shutting down");
    }
  }

  private void startedSpooling(String why) {
    spoolingSinceNanos = System.nanoTime();
    spoolingReason = why;
    spoolingWarned = false;
    replayedAtSpoolStart = replayed.get();
    LOG.debug("Events go to the disk spool {} ({})", spool.dir().toAbsolutePath(), why);
  }

  private void warnIfSpoolingLong(long now) {
    if (!spoolingWarned && !spool.isEmpty() && now - spoolingSinceNanos >= SPOOLING_WARN_AFTER_NS) {
      spoolingWarned = true;
      LOG.warn("Events have gone to the disk spool {} for {} s ({}; last Kafka error: {}); {} bytes are waiting, up to "
          + "{}. They are replayed to Kafka at {} in order once it answers. Requests are not affected.",
          spool.dir().toAbsolutePath(), TimeUnit.NANOSECONDS.toSeconds(now - spoolingSinceNanos), spoolingReason,
          lastSendError == null ? "none" : lastSendError, spool.bytes(), spool.maxBytes(), bootstrap);
    }
  }

  /** Takes acknowledged replayed records off the window, rewinds after a failure, deletes delivered segments. */
  private void settleReplayed() {
    InFlight head;
    while ((head = replaying.peekFirst()) != null && head.state != InFlight.PENDING) {
      if (head.state == InFlight.FAILED) {
        spool.rewind(head.position);
        replaying.clear(); // later answers of the abandoned window are ignored; those records are read again
        break;
      }
      replaying.pollFirst();
    }
    Spool.Position firstNeeded = replaying.isEmpty() ? spool.readPosition() : replaying.peekFirst().position;
    if (firstNeeded == null) {
      return;
    }
    boolean wasSpooling = !spool.isEmpty();
    try {
      spool.release(firstNeeded);
    } catch (IOException e) {
      LOG.warn("Could not delete a delivered spool segment in {}: {}", spool.dir().toAbsolutePath(), e.getMessage());
    }
    if (wasSpooling && spool.isEmpty()) {
      LOG.info("Spool {} drained: {} events replayed to Kafka at {} in {} s; events go straight to Kafka again.",
          spool.dir().toAbsolutePath(), replayed.get() - replayedAtSpoolStart, bootstrap,
          TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - spoolingSinceNanos));
    }
  }

  /** Sends spooled records in order while Kafka is usable and the window allows. */
  private void replay(long now) {
    if (!kafkaUsable(now) || spool.isEmpty()) {
      return;
    }
    int window = probing ? 1 : tuning.replayWindow();
    while (replaying.size() < window && inFlightBytes.get() < tuning.maxInFlightBytes()) {
      Spool.Record r;
      try {
        r = spool.next();
      } catch (IOException e) {
        LOG.warn("Cannot read the spool {}: {}; retrying", spool.dir().toAbsolutePath(), e.getMessage());
        pausedUntilNanos = now + BACKOFF_MAX_NS;
        return;
      }
      if (r == null) {
        return;
      }
      sendReplayed(r);
    }
  }

  private void sendReplayed(Spool.Record r) {
    InFlight entry = new InFlight(r.position());
    replaying.addLast(entry);
    int size = r.value().length;
    inFlightBytes.addAndGet(size);
    Callback cb = (meta, error) -> {
      inFlightBytes.addAndGet(-size);
      if (error == null) {
        entry.state = InFlight.DONE; // first: whoever sees the counters move sees the window settled too
        published.incrementAndGet();
        replayed.incrementAndGet();
        sawAck = true;
      } else if (retriable(error)) {
        lastSendError = rootMessage(error);
        sendFailures.incrementAndGet();
        entry.state = InFlight.FAILED;
      } else {
        droppedRejected.incrementAndGet();
        reportDrops("Kafka rejected a spooled event for good: " + rootMessage(error));
        entry.state = InFlight.DONE;
      }
    };
    try {
      producer.send(new ProducerRecord<>(topic, r.key(), r.value()), cb);
    } catch (RuntimeException e) {
      cb.onCompletion(null, e);
    }
  }

  /**
   * Whether a failed send is worth spooling and sending again: waiting cannot fix a record that is too
   * large or invalid, everything else may pass later. An out-of-order sequence is about the producer's state, not the event:
   * Kafka 4.3 can fail a batch that way on a partition that was just created (KAFKA-15591).
   */
  static boolean retriable(Exception error) {
    return error instanceof RetriableException || error instanceof AuthorizationException
        || error instanceof AuthenticationException || error instanceof OutOfOrderSequenceException
        || !(error instanceof ApiException);
  }

  /** Graceful end, on the publisher thread: queue → Kafka or spool; producer gets the time left; failures → spool. */
  private void shutdown() {
    long now = System.nanoTime();
    noticeKafkaSignals(now);
    spoolFailedDirectSends();
    GatehouseEvent e;
    int drained = 0;
    while ((e = queue.poll()) != null) {
      handle(e);
      drained++;
    }
    if (producer != null) {
      long producerNanos = Math.max(0, closeDeadlineNanos - System.nanoTime() - SHUTDOWN_SPOOL_RESERVE_NS);
      producer.close(Duration.ofNanos(producerNanos)); // after it returns, every callback has run
    }
    spoolFailedDirectSends();
    settleReplayed();
    spoolBytes = spool.bytes();
    if (drained > 0 || !spool.isEmpty()) {
      LOG.info("Shutdown: {} queued events handed to Kafka or the spool; the spool {} keeps {} bytes for the next "
          + "start", drained, spool.dir().toAbsolutePath(), spool.bytes());
    }
  }

  /** Logs drops at most once per interval, with the count since the last report and the total. */
  private void reportDrops(String reason) {
    long now = System.nanoTime();
    long last = lastDropLogNanos.get();
    if (now - last >= DROP_LOG_INTERVAL.toNanos() && lastDropLogNanos.compareAndSet(last, now)) {
      long total = dropped();
      long since = total - droppedAtLastLog.getAndSet(total);
      LOG.error("LOST {} events ({} in total since start) bound for Kafka at {}: {}", since, total, bootstrap, reason);
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
