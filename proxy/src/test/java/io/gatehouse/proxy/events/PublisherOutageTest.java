package io.gatehouse.proxy.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.proxy.config.GatehouseConfig.Fsync;
import io.gatehouse.schemas.EventIds;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.testsupport.kafka.KafkaBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The publisher against a real broker that dies while the producer already knows the topic: records
 * in the producer's hands fail after the delivery timeout and must reach the spool, not be lost.
 */
class PublisherOutageTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  /** Short producer timeouts so that a dead broker shows within seconds. */
  private static final KafkaEventPublisher.Tuning FAST =
      new KafkaEventPublisher.Tuning(Duration.ofSeconds(3), Duration.ofSeconds(1), 1 << 20, 100);

  @TempDir Path dir;

  private static List<String> publish(KafkaEventPublisher pub, int n) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      GatehouseEvent e = GatehouseEvent.builder().eventId(EventIds.next()).endpoint("/v1/chat/completions")
          .status(200).build();
      assertThat(pub.publish(e)).isTrue();
      ids.add(e.eventId());
    }
    return ids;
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(20); // polling interval of a deadline loop
    }
  }

  @Test
  void sendsThatFailWhenTheBrokerDiesAreSpooledAndDeliveredWhenItIsBack() throws Exception {
    try (KafkaBroker kafka = KafkaBroker.start()) {
      kafka.createTopic("events", 1);
      Spool spool = Spool.open(dir, 1 << 20, Fsync.INTERVAL);
      KafkaEventPublisher pub = new KafkaEventPublisher(kafka.bootstrapServers(), "events", 1_000, spool,
          EventEncoder.plain(), FAST);
      try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), "events")) {
        // the first events may wait in the spool for a moment until the topic's metadata arrives
        List<String> before = publish(pub, 5);
        await(() -> pub.published() == 5 && pub.spoolBytes() == 0, "5 events delivered, spool empty");
        long spooledBefore = pub.spooled();

        kafka.stopBroker();
        List<String> during = publish(pub, 20); // sent directly: the producer knows the topic
        await(() -> pub.spooled() == spooledBefore + 20, "20 failed sends spooled");
        assertThat(SpoolFiles.keys(dir)).containsExactlyInAnyOrderElementsOf(during);

        kafka.startBroker();
        List<String> all = new ArrayList<>(before);
        all.addAll(during);
        reader.awaitAll(all, WAIT);
        await(() -> pub.spoolBytes() == 0 && SpoolFilesEmpty.of(dir), "spool emptied");
        assertThat(pub.dropped()).isZero();
      } finally {
        pub.close(Duration.ofSeconds(5));
      }
    }
  }

  @Test
  void gracefulShutdownWithTheBrokerGoneSpoolsWhatTheProducerStillHeld() throws Exception {
    try (KafkaBroker kafka = KafkaBroker.start()) {
      kafka.createTopic("events", 1);
      Spool spool = Spool.open(dir, 1 << 20, Fsync.INTERVAL);
      KafkaEventPublisher pub = new KafkaEventPublisher(kafka.bootstrapServers(), "events", 1_000, spool,
          EventEncoder.plain(), KafkaEventPublisher.Tuning.DEFAULT);
      publish(pub, 1);
      await(() -> pub.published() == 1, "the topic's metadata known and one event delivered");
      kafka.stopBroker();
      List<String> ids = publish(pub, 50); // handed to the producer (metadata known), or still queued
      long t0 = System.nanoTime();
      pub.close(Duration.ofSeconds(3));
      assertThat((System.nanoTime() - t0) / 1_000_000).as("close is bounded").isLessThan(3_000 + 2_500);
      assertThat(pub.dropped()).isZero();
      List<String> spooled = SpoolFiles.keys(dir);
      assertThat(spooled).as("nothing lost: all in the spool").containsAll(ids).doesNotHaveDuplicates();
    }
  }

  /** Whether a spool directory has no segment file. */
  private static final class SpoolFilesEmpty {
    static boolean of(Path dir) {
      try {
        return SpoolFiles.segments(dir).isEmpty();
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }
  }
}
