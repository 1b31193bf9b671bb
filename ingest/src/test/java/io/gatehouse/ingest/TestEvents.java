package io.gatehouse.ingest;

import io.gatehouse.schemas.EventIds;
import io.gatehouse.schemas.EventJson;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Test events, a producer, and reading committed offsets; each test uses its own topic and group. */
final class TestEvents {
  private TestEvents() {}

  static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /**
   * {@code n} distinct events of {@code feature}, with users of their own ({@code <feature>-u0..6}) and
   * costs that are multiples of 2^-10 USD, so that sums of them are exact in a double.
   */
  static List<GatehouseEvent> events(String feature, int n) {
    List<GatehouseEvent> out = new ArrayList<>();
    long now = System.currentTimeMillis();
    for (int i = 0; i < n; i++) {
      out.add(GatehouseEvent.builder().eventId(EventIds.next()).tsStartMs(now + i).tsEndMs(now + i + 40)
          .durationMs(40).endpoint("/v1/chat/completions").model("gpt-4o-mini").provider("openai")
          .status(200).inputTokens(10L + i).outputTokens(5L).feature(feature).user(feature + "-u" + (i % 7))
          .costUsd((i % 16) / 1024.0)
          .tags(Map.of("run", feature)).build());
    }
    return out;
  }

  /** Keyed by event id, as the proxy publishes: copies of one event land on one partition. */
  static void produce(KafkaBroker broker, String topic, List<GatehouseEvent> events) {
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    for (GatehouseEvent e : events) {
      keys.add(e.eventId().getBytes(StandardCharsets.UTF_8));
      values.add(EventJson.toBytes(e));
    }
    produce(broker, topic, keys, values);
  }

  /** Values that may not be events, each under a random key. */
  static void produceRaw(KafkaBroker broker, String topic, List<byte[]> values) {
    List<byte[]> keys = new ArrayList<>();
    values.forEach(v -> keys.add(UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8)));
    produce(broker, topic, keys, values);
  }

  /** Sends every record and returns once each is acknowledged; a record Kafka did not take fails the test. */
  private static void produce(KafkaBroker broker, String topic, List<byte[]> keys, List<byte[]> values) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    // one request in flight: a batch retried on a partition that was not open yet cannot be overtaken
    // by the next one (KAFKA-15591 drops it then; see KafkaBroker#createTopic)
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    List<Future<RecordMetadata>> acks = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < values.size(); i++) {
        acks.add(producer.send(new ProducerRecord<>(topic, keys.get(i), values.get(i))));
      }
      producer.flush();
      for (int i = 0; i < acks.size(); i++) {
        acks.get(i).get(0, TimeUnit.SECONDS); // done after flush(): fails at once if the record was not taken
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("Kafka did not take a test record on " + topic + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Sum of the group's committed offsets on {@code topic} (0 when nothing is committed). */
  static long committed(KafkaBroker broker, String group, String topic) {
    return committedByPartition(broker, group, topic).values().stream().mapToLong(Long::longValue).sum();
  }

  /** The group's committed offset per partition of {@code topic}, in partition order. */
  static Map<Integer, Long> committedByPartition(KafkaBroker broker, String group, String topic) {
    try (Admin admin = broker.admin()) {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(20, TimeUnit.SECONDS);
      Map<Integer, Long> out = new TreeMap<>();
      offsets.forEach((tp, o) -> {
        if (tp.topic().equals(topic) && o != null) {
          out.put(tp.partition(), o.offset());
        }
      });
      return out;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Map<String, String> env(KafkaBroker broker, String clickHouseUrl, String topic, String group) {
    Map<String, String> env = new HashMap<>();
    env.put(IngestConfig.KAFKA_BOOTSTRAP, broker.bootstrapServers());
    env.put(IngestConfig.KAFKA_TOPIC, topic);
    env.put(IngestConfig.GROUP_ID, group);
    env.put(IngestConfig.CLICKHOUSE_URL, clickHouseUrl);
    env.put(IngestConfig.PORT, "0");
    env.put(IngestConfig.BATCH_MAX, "100");
    env.put(IngestConfig.FLUSH_MS, "100");
    return env;
  }
}
