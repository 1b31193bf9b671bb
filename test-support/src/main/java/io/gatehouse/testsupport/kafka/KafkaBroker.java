package io.gatehouse.testsupport.kafka;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real Kafka broker (combined KRaft broker + controller) inside the test JVM, from Kafka's own test
 * kit. Not a mock: producers and consumers talk to it over loopback sockets.
 *
 * <p>{@link #shared()} gives one broker per JVM (ready in about 2 s the first time), closed at JVM exit;
 * {@link #start()} gives a private one for tests that stop it.
 */
public final class KafkaBroker implements AutoCloseable {
  private static KafkaBroker shared;

  private final KafkaClusterTestKit cluster;
  private boolean closed;

  private KafkaBroker(KafkaClusterTestKit cluster) {
    this.cluster = cluster;
  }

  public static synchronized KafkaBroker shared() {
    if (shared == null) {
      shared = start();
      KafkaBroker broker = shared;
      // under JUnit, SharedFixtures closes it first, while the test run can still report
      Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "kafka-broker-stop"));
    }
    return shared;
  }

  /** Closes the shared broker if one was started; the next {@link #shared()} starts a new one. */
  public static synchronized void closeShared() {
    if (shared != null) {
      shared.close();
      shared = null;
    }
  }

  public static KafkaBroker start() {
    try {
      TestKitNodes nodes =
          new TestKitNodes.Builder()
              .setCombined(true)
              .setNumBrokerNodes(1)
              .setNumControllerNodes(1)
              // the default is an unstable metadata version
              .setBootstrapMetadataVersion(MetadataVersion.latestProduction())
              .build();
      KafkaClusterTestKit cluster =
          new KafkaClusterTestKit.Builder(nodes)
              // without these, consumer groups wait 30 s for an offsets topic that cannot be created
              .setConfigProp("offsets.topic.replication.factor", "1")
              .setConfigProp("offsets.topic.num.partitions", "3")
              .setConfigProp("transaction.state.log.replication.factor", "1")
              .setConfigProp("transaction.state.log.min.isr", "1")
              .setConfigProp("share.coordinator.state.topic.replication.factor", "1")
              .setConfigProp("share.coordinator.state.topic.min.isr", "1")
              .setConfigProp("group.initial.rebalance.delay.ms", "0")
              .setConfigProp("auto.create.topics.enable", "true")
              .setConfigProp("num.partitions", "3")
              .build();
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
      return new KafkaBroker(cluster);
    } catch (Exception e) {
      throw new IllegalStateException("could not start the in-JVM Kafka broker: " + e, e);
    }
  }

  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  /**
   * Creates a topic (an existing topic of that name is fine) and returns once every partition answers
   * on its leader, so that producers can write to it at once.
   *
   * <p>Why wait: Kafka 4.3 answers a produce to a partition the broker has not opened yet with a
   * retriable NOT_LEADER_OR_FOLLOWER. An idempotent producer with several requests in flight may then
   * see a later batch of the same partition accepted first, and the earlier batch fails every retry
   * with OUT_OF_ORDER_SEQUENCE_NUMBER until {@code delivery.timeout.ms} drops it (KAFKA-15591, fixed
   * in 4.5). Tests that produced right after creating a topic lost records that way now and then.
   */
  public void createTopic(String name, int partitions) {
    try (Admin admin = admin()) {
      createTopic(admin, name, partitions);
    }
  }

  /** {@link #createTopic(String, int)} on any cluster {@code admin} reaches (replication factor 1). */
  public static void createTopic(Admin admin, String name, int partitions) {
    try {
      try {
        admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw new IllegalStateException("could not create topic " + name + ": " + e.getCause(), e);
        }
      }
      awaitLeaders(admin, name);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Returns once the leader of every partition of {@code topic} serves it: ListOffsets, like Produce,
   * is answered by the leader's replica manager. Asks again while the answer is a retriable error
   * (the partition is not open yet), for up to 30 s.
   */
  private static void awaitLeaders(Admin admin, String topic) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
          latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        admin.listOffsets(latest).all().get();
        return;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof RetriableException) || System.nanoTime() > deadline) {
          throw new IllegalStateException("topic " + topic + " was created but its partitions do not answer: "
              + e.getCause(), e);
        }
        Thread.sleep(10); // the broker opens new partitions within milliseconds
      }
    }
  }

  public Set<String> topics() {
    try (Admin admin = admin()) {
      return admin.listTopics().names().get();
    } catch (ExecutionException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A new admin client; the caller closes it. */
  public Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
  }

  /**
   * Stops the broker half (its port closes; clients see an outage); the controller keeps running.
   * Only for a private broker from {@link #start()}.
   */
  public void stopBroker() {
    cluster.brokers().values().forEach(b -> b.shutdown());
  }

  /** Starts the broker again on the same port (the address does not change) and waits until it serves. */
  public void startBroker() {
    try {
      cluster.brokers().values().forEach(b -> b.startup());
      cluster.waitForReadyBrokers();
    } catch (ExecutionException | InterruptedException e) {
      throw new IllegalStateException("the broker did not come back: " + e, e);
    }
  }

  /** Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      cluster.close();
    } catch (Exception e) {
      throw new IllegalStateException("the Kafka test broker did not close cleanly", e);
    }
  }
}
