package io.gatehouse.proxy.keys;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the proxy's own state topics (keys, spend log) when they do not exist yet. */
public final class KafkaTopics {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaTopics.class);

  private KafkaTopics() {}

  /**
   * Creates {@code topic} with the broker's replication factor; an existing topic is kept as it is.
   * Blocks up to ~10 s; call from a background thread. Failure is logged (the consumer then waits).
   */
  public static void ensure(String bootstrap, String topic, int partitions, Map<String, String> configs) {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000))) {
      admin.createTopics(List.of(new NewTopic(topic, Optional.of(partitions), Optional.empty()).configs(configs)))
          .all().get(10, TimeUnit.SECONDS);
      LOG.info("Created Kafka topic {} ({} partition{}, {})", topic, partitions, partitions == 1 ? "" : "s", configs);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        LOG.warn("Cannot create Kafka topic {} ({}); create it by hand with {} partition(s) and {}", topic,
            e.getCause().toString(), partitions, configs);
      }
    } catch (TimeoutException e) {
      LOG.warn("Cannot create Kafka topic {}: Kafka did not answer in 10 s", topic);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
