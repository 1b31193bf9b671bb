package io.gatehouse.proxy;

import io.gatehouse.schemas.EventJson;
import io.gatehouse.schemas.GatehouseEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads a topic from the beginning and finds events by id, polling with a deadline. Test-only; one thread. */
public final class EventsTopic implements AutoCloseable {
  private final KafkaConsumer<String, byte[]> consumer;
  private final Map<String, GatehouseEvent> byId = new HashMap<>();
  private final Map<String, String> rawById = new HashMap<>();
  private final Map<String, Integer> countById = new HashMap<>();

  public EventsTopic(String bootstrap, String topic) {
    consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
        new StringDeserializer(), new ByteArrayDeserializer());
    consumer.subscribe(List.of(topic));
  }

  /** The event with this id; fails after {@code timeout}. */
  public GatehouseEvent await(String eventId, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!byId.containsKey(eventId)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("event " + eventId + " not on the topic within " + timeout + "; seen " + byId.keySet());
      }
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        GatehouseEvent e = EventJson.fromBytes(r.value());
        if (!e.eventId().equals(r.key())) {
          throw new AssertionError("record key " + r.key() + " is not the event id " + e.eventId());
        }
        byId.put(e.eventId(), e);
        rawById.put(e.eventId(), new String(r.value(), StandardCharsets.UTF_8));
        countById.merge(e.eventId(), 1, Integer::sum);
      }
    }
    return byId.get(eventId);
  }

  /** The JSON exactly as published. */
  public String raw(String eventId) {
    return rawById.get(eventId);
  }

  /** How many records carried this id so far. */
  public int count(String eventId) {
    return countById.getOrDefault(eventId, 0);
  }

  /** Keeps polling for {@code d} to let duplicates (if any) arrive. Bounded; used once per test. */
  public void drain(Duration d) {
    long deadline = System.nanoTime() + d.toNanos();
    while (System.nanoTime() < deadline) {
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
        GatehouseEvent e = EventJson.fromBytes(r.value());
        byId.put(e.eventId(), e);
        rawById.put(e.eventId(), new String(r.value(), StandardCharsets.UTF_8));
        countById.merge(e.eventId(), 1, Integer::sum);
      }
    }
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(2));
  }
}
