package io.gatehouse.proxy.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class RestartableKafkaTest {
  @Test
  void brokerComesBackOnTheSamePort() throws Exception {
    try (RestartableKafka kafka = new RestartableKafka()) {
      kafka.createTopic("t", 1);
      String bootstrap = kafka.bootstrapServers();
      kafka.stopBroker();
      assertThat(connects(bootstrap)).isFalse();
      kafka.startBroker();
      assertThat(kafka.bootstrapServers()).isEqualTo(bootstrap);
      assertThat(connects(bootstrap)).isTrue();
      try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
          new StringSerializer(), new StringSerializer())) {
        p.send(new ProducerRecord<>("t", "k", "v")).get();
      }
    }
  }

  private static boolean connects(String bootstrap) {
    String[] hp = bootstrap.split(",")[0].split(":");
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), 1000);
      return true;
    } catch (Exception e) {
      return false;
    }
  }
}
