package io.gatehouse.proxy.keys;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every virtual key, replicated through a compacted single-partition Kafka topic (key = key id, value =
 * the {@link VirtualKey} JSON: hash, never the secret). Every replica reads the topic from the
 * beginning and keeps two maps (hash → key, id → key), so checking a request's key is one map lookup
 * and never touches Kafka. A local snapshot file, rewritten after every change read, lets a restart
 * know the keys even while Kafka is unreachable.
 *
 * <p>{@link #write} blocks (admin API, worker thread) until the broker acknowledged the record and this
 * replica's reader applied it (read-your-writes). Lookups are lock-free and safe from any thread.
 */
public final class KeyStore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KeyStore.class);
  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final String topic;
  private final Path snapshot;
  private final Map<String, Object> producerConfig;
  private final Map<String, Object> consumerConfig;
  /** Built on the reader thread, so that start() never waits for the Kafka clients. */
  private final CompletableFuture<KafkaProducer<String, String>> producer = new CompletableFuture<>();
  private volatile KafkaConsumer<String, String> consumer;
  private final Thread reader;
  private final Map<String, VirtualKey> byHash = new ConcurrentHashMap<>();
  private final Map<String, VirtualKey> byId = new ConcurrentHashMap<>();
  private final Object appliedLock = new Object();
  private long appliedOffset = -1; // guarded by appliedLock
  private volatile boolean closed;

  /** @param snapshot file for the local copy of the keys, or null for none */
  public KeyStore(String bootstrap, String topic, Path snapshot) {
    this.topic = topic;
    this.snapshot = snapshot;
    loadSnapshot();
    this.producerConfig = Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.CLIENT_ID_CONFIG, "gatehouse-keys",
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000,
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000,
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    this.consumerConfig = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.CLIENT_ID_CONFIG, "gatehouse-keys-reader",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
    this.reader = new Thread(() -> run(bootstrap), "gatehouse-keys-reader");
    reader.setDaemon(true);
    reader.start();
  }

  /** The key whose secret hashes to {@code hash}, or null. */
  public VirtualKey byHash(String hash) {
    return byHash.get(hash);
  }

  public VirtualKey byId(String id) {
    return byId.get(id);
  }

  /** Every key, oldest first. */
  public List<VirtualKey> all() {
    List<VirtualKey> all = new ArrayList<>(byId.values());
    all.sort(Comparator.comparingLong(VirtualKey::createdAt).thenComparing(VirtualKey::id));
    return all;
  }

  public boolean isEmpty() {
    return byId.isEmpty();
  }

  /**
   * Publishes {@code key} and returns once this replica applied it. Blocking: call from a worker thread.
   *
   * @throws KeyStoreUnavailable when Kafka did not take the record, or the reader did not see it, in time
   */
  public void write(VirtualKey key, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    RecordMetadata md;
    try {
      md = producer.get(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .send(new ProducerRecord<>(topic, 0, key.id(), JSON.writeValueAsString(key)))
          .get(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException | IOException | RuntimeException e) {
      throw new KeyStoreUnavailable("Kafka did not accept the key change (" + e + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KeyStoreUnavailable("interrupted");
    }
    synchronized (appliedLock) {
      while (appliedOffset < md.offset()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new KeyStoreUnavailable("the change was stored in Kafka but not read back in time");
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(appliedLock, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new KeyStoreUnavailable("interrupted");
        }
      }
    }
  }

  /** A key change could not be made durable and visible. */
  public static final class KeyStoreUnavailable extends RuntimeException {
    KeyStoreUnavailable(String message) {
      super(message);
    }
  }

  private void apply(String id, String value) {
    if (value == null) {
      VirtualKey old = byId.remove(id);
      if (old != null) {
        byHash.remove(old.hash());
      }
      return;
    }
    VirtualKey key;
    try {
      key = JSON.readValue(value, VirtualKey.class);
    } catch (IOException e) {
      LOG.warn("Keys topic {}: skipping an unreadable record for {} ({})", topic, id, e.getMessage());
      return;
    }
    VirtualKey old = byId.put(key.id(), key);
    if (old != null && !old.hash().equals(key.hash())) {
      byHash.remove(old.hash());
    }
    byHash.put(key.hash(), key);
  }

  private void run(String bootstrap) {
    producer.complete(new KafkaProducer<>(producerConfig, new StringSerializer(), new StringSerializer()));
    KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new StringDeserializer());
    this.consumer = consumer;
    TopicPartition tp = new TopicPartition(topic, 0);
    try {
      KafkaTopics.ensure(bootstrap, topic, 1, Map.of("cleanup.policy", "compact"));
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      boolean fromSnapshot = !byId.isEmpty();
      while (!closed) {
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
        if (records.isEmpty()) {
          continue;
        }
        if (fromSnapshot) { // the topic is the truth: forget what only the snapshot knew
          byId.clear();
          byHash.clear();
          fromSnapshot = false;
        }
        long last = -1;
        for (ConsumerRecord<String, String> rec : records) {
          apply(rec.key(), rec.value());
          last = rec.offset();
        }
        synchronized (appliedLock) {
          appliedOffset = last;
          appliedLock.notifyAll();
        }
        saveSnapshot();
      }
    } catch (WakeupException | InterruptException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.error("Keys topic {}: the reader stopped; key changes no longer reach this replica", topic, e);
    } finally {
      consumer.close(Duration.ofSeconds(1));
    }
  }

  private void loadSnapshot() {
    if (snapshot == null || !Files.exists(snapshot)) {
      return;
    }
    try {
      List<VirtualKey> keys = JSON.readValue(snapshot.toFile(), new TypeReference<List<VirtualKey>>() {});
      for (VirtualKey k : keys) {
        byId.put(k.id(), k);
        byHash.put(k.hash(), k);
      }
      LOG.info("Virtual keys: {} loaded from the local snapshot {} (the keys topic replaces them once read)",
          keys.size(), snapshot);
    } catch (IOException e) {
      LOG.warn("Virtual keys: the snapshot {} is unreadable ({}); waiting for the keys topic", snapshot, e.toString());
    }
  }

  private void saveSnapshot() {
    if (snapshot == null) {
      return;
    }
    try {
      Files.createDirectories(snapshot.toAbsolutePath().getParent());
      Path tmp = snapshot.resolveSibling(snapshot.getFileName() + ".tmp");
      JSON.writeValue(tmp.toFile(), all());
      Files.move(tmp, snapshot, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      LOG.warn("Virtual keys: cannot write the snapshot {} ({})", snapshot, e.toString());
    }
  }

  @Override
  public void close() {
    closed = true;
    KafkaConsumer<String, String> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    try {
      reader.join(3000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    KafkaProducer<String, String> p = producer.getNow(null);
    if (p != null) {
      p.close(Duration.ofSeconds(2));
    }
  }
}
