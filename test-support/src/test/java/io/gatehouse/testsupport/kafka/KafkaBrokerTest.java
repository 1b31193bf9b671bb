package io.gatehouse.testsupport.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class KafkaBrokerTest {
  @Test
  void aRecordProducedIsConsumed() throws Exception {
    KafkaBroker broker = KafkaBroker.shared();
    broker.createTopic("fixture-check", 1);
    broker.createTopic("fixture-check", 1); // existing topic is fine
    assertThat(broker.topics()).contains("fixture-check");
    try (var producer =
        new KafkaProducer<String, String>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
            new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>("fixture-check", "k", "hello")).get();
    }
    try (var consumer =
        new KafkaConsumer<String, String>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "fixture-check",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
            new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of("fixture-check"));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      String value = null;
      while (value == null && System.nanoTime() < deadline) {
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
        if (!records.isEmpty()) {
          value = records.iterator().next().value();
        }
      }
      assertThat(value).isEqualTo("hello");
    }
  }
}
