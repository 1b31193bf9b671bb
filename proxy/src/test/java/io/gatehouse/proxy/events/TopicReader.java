package io.gatehouse.proxy.events;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads a topic from the beginning and keeps every record in arrival order, polling with a deadline. Test-only. */
final class TopicReader implements AutoCloseable {
  private final KafkaConsumer<String, byte[]> consumer;
  private final List<String> keys = new ArrayList<>();
  private final List<String> values = new ArrayList<>();

  TopicReader(String bootstrap, String topic) {
    consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
        new StringDeserializer(), new ByteArrayDeserializer());
    consumer.subscribe(List.of(topic));
  }

  /** Polls until {@code done} holds for the keys seen so far; fails after {@code timeout}. */
  TopicReader awaitKeys(Predicate<List<String>> done, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.test(keys)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not on the topic within " + timeout + ": " + what + "; seen " + keys.size()
            + " records");
      }
      poll(Duration.ofMillis(200));
    }
    return this;
  }

  /** Until every one of {@code ids} has arrived at least once. */
  TopicReader awaitAll(List<String> ids, Duration timeout) {
    return awaitKeys(k -> new LinkedHashSet<>(k).containsAll(ids), timeout, ids.size() + " events");
  }

  /** Keeps polling for {@code d} so that late duplicates, if any, show. */
  void drain(Duration d) {
    long deadline = System.nanoTime() + d.toNanos();
    while (System.nanoTime() < deadline) {
      poll(Duration.ofMillis(100));
    }
  }

  private void poll(Duration d) {
    for (ConsumerRecord<String, byte[]> r : consumer.poll(d)) {
      keys.add(r.key());
      values.add(new String(r.value(), StandardCharsets.UTF_8));
    }
  }

  /** Every key in arrival order, duplicates included. */
  List<String> keys() {
    return keys;
  }

  /** Distinct keys in order of first arrival. */
  List<String> firstArrivals() {
    return new ArrayList<>(new LinkedHashSet<>(keys));
  }

  /** The raw JSON of the first record with this key. */
  String value(String key) {
    return values.get(keys.indexOf(key));
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(2));
  }
}
