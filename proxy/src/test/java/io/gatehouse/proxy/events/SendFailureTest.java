package io.gatehouse.proxy.events;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnknownProducerIdException;
import org.junit.jupiter.api.Test;

/** Which failed sends the publisher spools to send again, and which it counts as refused for good. */
class SendFailureTest {
  @Test
  void producerStateAndTransientFailuresAreSpooledBadEventsAreNot() {
    // a batch Kafka 4.3 failed on a just-created partition (KAFKA-15591): the events are fine, send them again
    assertThat(KafkaEventPublisher.retriable(new OutOfOrderSequenceException("seq 0, expected 127"))).isTrue();
    assertThat(KafkaEventPublisher.retriable(new UnknownProducerIdException("producer state gone"))).isTrue();
    assertThat(KafkaEventPublisher.retriable(new TimeoutException("expired after delivery.timeout.ms"))).isTrue();
    assertThat(KafkaEventPublisher.retriable(new NotLeaderOrFollowerException("moving"))).isTrue();
    assertThat(KafkaEventPublisher.retriable(new IllegalStateException("not a Kafka answer"))).isTrue();
    // the event itself is refused: sending it again cannot help
    assertThat(KafkaEventPublisher.retriable(new RecordTooLargeException("2 MB"))).isFalse();
    assertThat(KafkaEventPublisher.retriable(new InvalidRecordException("bad"))).isFalse();
  }
}
