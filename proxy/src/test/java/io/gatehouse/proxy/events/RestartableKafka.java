package io.gatehouse.proxy.events;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A private, real Kafka broker (Kafka's own test kit, combined KRaft node) whose broker half can be
 * stopped and started again <em>on the same port</em>: the test kit remembers the port it bound first.
 * The shared {@code KafkaBroker} fixture cannot be stopped without losing its address, hence this one.
 * Test-only; one per test that needs an outage.
 */
final class RestartableKafka implements AutoCloseable {
  private final KafkaClusterTestKit cluster;
  private final String bootstrap;

  RestartableKafka() {
    try {
      TestKitNodes nodes = new TestKitNodes.Builder()
          .setCombined(true)
          .setNumBrokerNodes(1)
          .setNumControllerNodes(1)
          .setBootstrapMetadataVersion(MetadataVersion.latestProduction())
          .build();
      cluster = new KafkaClusterTestKit.Builder(nodes)
          .setConfigProp("offsets.topic.replication.factor", "1")
          .setConfigProp("offsets.topic.num.partitions", "1")
          .setConfigProp("transaction.state.log.replication.factor", "1")
          .setConfigProp("transaction.state.log.min.isr", "1")
          .setConfigProp("share.coordinator.state.topic.replication.factor", "1")
          .setConfigProp("share.coordinator.state.topic.min.isr", "1")
          .setConfigProp("group.initial.rebalance.delay.ms", "0")
          .setConfigProp("auto.create.topics.enable", "false")
          .build();
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
      bootstrap = cluster.bootstrapServers();
    } catch (Exception e) {
      throw new IllegalStateException("could not start a private Kafka broker: " + e, e);
    }
  }

  /** The broker's address; stays the same across {@link #stopBroker()} / {@link #startBroker()}. */
  String bootstrapServers() {
    return bootstrap;
  }

  void createTopic(String name, int partitions) {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get();
    } catch (ExecutionException | InterruptedException e) {
      throw new IllegalStateException("could not create topic " + name + ": " + e, e);
    }
  }

  /** Stops the broker (its port closes); the controller keeps running. */
  void stopBroker() {
    cluster.brokers().values().forEach(b -> b.shutdown());
  }

  /** Starts the broker again on the same port and waits until it serves. */
  void startBroker() {
    try {
      cluster.brokers().values().forEach(b -> b.startup());
      cluster.waitForReadyBrokers();
    } catch (ExecutionException | InterruptedException e) {
      throw new IllegalStateException("the broker did not come back: " + e, e);
    }
  }

  @Override
  public void close() throws Exception {
    cluster.close();
  }
}
