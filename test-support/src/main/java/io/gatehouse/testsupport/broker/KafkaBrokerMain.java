package io.gatehouse.testsupport.broker;

import io.gatehouse.schemas.Topics;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A standalone single-node Kafka (KRaft, broker + controller in one process) for {@code ./gatehouse
 * demo} and {@code up}: writes {@code server.properties} under {@code --dir}, formats the storage once,
 * then runs the broker in this JVM until SIGTERM. Loopback only.
 */
@Command(
    name = "gatehouse-kafka",
    mixinStandardHelpOptions = true,
    description = "Runs a single-node Kafka broker (KRaft) on loopback for Gatehouse's demo.")
public final class KafkaBrokerMain implements Callable<Integer> {
  /** Fixed so that a restarted demo broker finds its formatted storage. */
  static final String CLUSTER_ID = "R2F0ZWhvdXNlRGVtbzAx";

  @Option(names = "--dir", required = true, description = "Data directory (created if missing).")
  Path dir;

  @Option(names = "--port", defaultValue = "9092", description = "Client port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--controller-port", defaultValue = "9093", description = "Controller port (default: ${DEFAULT-VALUE}).")
  int controllerPort;

  @Option(names = "--partitions", defaultValue = "3", description = "Partitions of the events topic, its dead-letter topic and auto-created topics.")
  int partitions;

  public static void main(String[] args) {
    int code = new CommandLine(new KafkaBrokerMain()).execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  @Override
  public Integer call() throws IOException {
    Files.createDirectories(dir.resolve("logs"));
    Path config = dir.resolve("server.properties");
    writeConfig(config);
    int formatted =
        kafka.tools.StorageTool.execute(
            new String[] {"format", "-t", CLUSTER_ID, "-c", config.toString(), "--ignore-formatted"}, System.out);
    if (formatted != 0) {
      System.err.println("Kafka storage format failed (exit " + formatted + "); data dir: " + dir);
      return formatted;
    }
    System.out.println("Kafka broker starting on 127.0.0.1:" + port + " (data " + dir + ")");
    Thread topics = new Thread(this::createTopics, "gatehouse-kafka-topics");
    topics.setDaemon(true);
    topics.start();
    kafka.Kafka.main(new String[] {config.toString()}); // returns when the broker shuts down
    return 0;
  }

  /**
   * Creates the events topic and its dead-letter topic once the broker answers, as {@code kafka-init}
   * does in docker compose, rather than leaving them to the first producer's send: a topic created
   * that way can lose that producer's first batch on Kafka 4.3 (see {@link KafkaBroker#createTopic}).
   */
  private void createTopics() {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + port,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 120_000))) {
      for (String topic : List.of(Topics.EVENTS_V1, Topics.EVENTS_V1 + ".dlq")) {
        KafkaBroker.createTopic(admin, topic, partitions);
      }
      System.out.println("Kafka topics ready: " + Topics.EVENTS_V1 + " and " + Topics.EVENTS_V1 + ".dlq ("
          + partitions + " partitions each)");
    } catch (RuntimeException e) {
      System.err.println("Could not create the Kafka topics (the first producer's send will): " + e);
    }
  }

  private void writeConfig(Path config) throws IOException {
    Properties p = new Properties();
    p.setProperty("process.roles", "broker,controller");
    p.setProperty("node.id", "1");
    p.setProperty("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    p.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
    p.setProperty("controller.listener.names", "CONTROLLER");
    p.setProperty("inter.broker.listener.name", "PLAINTEXT");
    p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.setProperty("log.dirs", dir.resolve("logs").toString());
    p.setProperty("num.partitions", Integer.toString(partitions));
    p.setProperty("offsets.topic.replication.factor", "1");
    p.setProperty("offsets.topic.num.partitions", "3");
    p.setProperty("transaction.state.log.replication.factor", "1");
    p.setProperty("transaction.state.log.min.isr", "1");
    p.setProperty("share.coordinator.state.topic.replication.factor", "1");
    p.setProperty("share.coordinator.state.topic.min.isr", "1");
    p.setProperty("group.initial.rebalance.delay.ms", "0");
    // fast restarts after a crash
    p.setProperty("broker.session.timeout.ms", "2000");
    p.setProperty("broker.heartbeat.interval.ms", "500");
    try (var out = Files.newBufferedWriter(config)) {
      p.store(out, "written by gatehouse-kafka; regenerated at every start");
    }
  }
}
