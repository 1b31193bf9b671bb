package io.gatehouse.proxy.events;

import io.gatehouse.proxy.keys.KafkaTopics;
import io.gatehouse.schemas.EventJson;
import io.gatehouse.schemas.Feedback;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes feedback ({@code POST /v1/feedback}) to its topic and says when Kafka has it. Unlike
 * request events, feedback is not spooled: the caller is told the truth (accepted only once Kafka
 * acknowledged; otherwise an error to retry), since a user's rating is not on any request's path.
 *
 * <p>{@link #send} may block up to {@link #MAX_BLOCK_MS} when Kafka's metadata is unknown: call it from a
 * worker thread, never an IO thread. Thread-safe.
 */
public final class FeedbackPublisher implements AutoCloseable {
  static final int MAX_BLOCK_MS = 5_000;

  private final Producer<String, byte[]> producer;
  private final String topic;

  public FeedbackPublisher(String bootstrap, String topic) {
    this.topic = topic;
    this.producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.CLIENT_ID_CONFIG, "gatehouse-feedback",
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.MAX_BLOCK_MS_CONFIG, MAX_BLOCK_MS,
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000,
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
        ProducerConfig.LINGER_MS_CONFIG, 5),
        new StringSerializer(), new ByteArraySerializer());
    Thread t = new Thread(() -> KafkaTopics.ensure(bootstrap, topic, 3, Map.of()), "gatehouse-feedback-topic");
    t.setDaemon(true);
    t.start();
  }

  /** Completes when Kafka has acknowledged every one of {@code feedback}, or exceptionally. */
  public CompletableFuture<Void> send(List<Feedback> feedback) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    AtomicInteger left = new AtomicInteger(feedback.size());
    try {
      for (Feedback f : feedback) {
        producer.send(new ProducerRecord<>(topic, f.feedbackId(), EventJson.mapper().writeValueAsBytes(f)),
            (metadata, error) -> {
              if (error != null) {
                done.completeExceptionally(error);
              } else if (left.decrementAndGet() == 0) {
                done.complete(null);
              }
            });
      }
    } catch (Exception e) { // metadata not available in time, serialisation
      done.completeExceptionally(e);
    }
    return done;
  }

  @Override
  public void close() {
    producer.close(java.time.Duration.ofSeconds(2));
  }
}
