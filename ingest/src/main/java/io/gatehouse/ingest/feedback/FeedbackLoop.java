package io.gatehouse.ingest.feedback;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.gatehouse.schemas.EventJson;
import io.gatehouse.schemas.Feedback;
import io.gatehouse.schemas.clickhouse.ClickHouseHttp;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feedback from its topic into {@code gatehouse.feedback}: poll, insert the batch, then commit. A failed
 * insert rewinds to the batch's first offsets and waits (bounded backoff), so nothing is skipped; a
 * re-delivered record has the same {@code feedback_id} and collapses on merge (readers use {@code FINAL}).
 * A record that is not feedback JSON is logged and skipped. Runs on its own thread; {@link #close} from any.
 */
public final class FeedbackLoop implements Runnable, AutoCloseable {
  public static final String TABLE = "gatehouse.feedback";
  private static final Logger LOG = LoggerFactory.getLogger(FeedbackLoop.class);
  private static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);
  private static final JsonFactory JSON = new JsonFactory();

  private final Consumer<byte[], byte[]> consumer;
  private final String topic;
  private final ClickHouseHttp clickHouse;
  private final AtomicLong inserted = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();
  private volatile boolean closed;

  public FeedbackLoop(Consumer<byte[], byte[]> consumer, String topic, ClickHouseHttp clickHouse) {
    this.consumer = consumer;
    this.topic = topic;
    this.clickHouse = clickHouse;
  }

  /** Feedback rows ClickHouse acknowledged. */
  public long inserted() {
    return inserted.get();
  }

  /** Records that were not feedback (logged and skipped). */
  public long skipped() {
    return skipped.get();
  }

  @Override
  public void run() {
    long backoffMs = 100;
    try {
      consumer.subscribe(List.of(topic));
      while (!closed) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
        if (records.isEmpty()) {
          continue;
        }
        String rows = rows(records);
        try {
          if (!rows.isEmpty()) {
            clickHouse.query("INSERT INTO " + TABLE + " FORMAT JSONEachRow\n" + rows);
          }
          consumer.commitSync();
          inserted.addAndGet(rows.isEmpty() ? 0 : rows.split("\n").length);
          backoffMs = 100;
        } catch (RuntimeException e) {
          LOG.warn("Cannot insert {} feedback record(s) into ClickHouse ({}); retrying in {} ms", records.count(),
              e.getMessage(), backoffMs);
          rewind(records);
          Thread.sleep(backoffMs); // bounded backoff between retries of the same batch
          backoffMs = Math.min(backoffMs * 2, 5_000);
        }
      }
    } catch (WakeupException e) {
      if (!closed) {
        throw e;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private void rewind(ConsumerRecords<byte[], byte[]> records) {
    Map<TopicPartition, Long> first = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      first.merge(new TopicPartition(r.topic(), r.partition()), r.offset(), Math::min);
    }
    first.forEach(consumer::seek);
  }

  /** JSONEachRow lines for the valid feedback among {@code records}. */
  String rows(Iterable<ConsumerRecord<byte[], byte[]>> records) {
    StringBuilder out = new StringBuilder();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      Feedback f;
      try {
        f = EventJson.mapper().readValue(r.value(), Feedback.class);
      } catch (IOException e) {
        f = null;
      }
      if (f == null || f.feedbackId() == null || f.eventId() == null || !UUID.matcher(f.feedbackId()).matches()
          || !UUID.matcher(f.eventId()).matches()) {
        skipped.incrementAndGet();
        LOG.warn("Skipping a record on {} (partition {}, offset {}) that is not valid feedback", r.topic(), r.partition(),
            r.offset());
        continue;
      }
      out.append(row(f)).append('\n');
    }
    return out.length() == 0 ? "" : out.substring(0, out.length() - 1);
  }

  static String row(Feedback f) {
    StringWriter w = new StringWriter();
    try (JsonGenerator g = JSON.createGenerator(w)) {
      g.writeStartObject();
      g.writeStringField("feedback_id", f.feedbackId());
      g.writeStringField("event_id", f.eventId());
      g.writeStringField("ts", TS.format(Instant.ofEpochMilli(f.tsMs())));
      if (f.score() == null) {
        g.writeNullField("score");
      } else {
        g.writeNumberField("score", f.score());
      }
      g.writeStringField("label", f.label() == null ? "" : f.label());
      g.writeStringField("comment", f.comment() == null ? "" : f.comment());
      g.writeStringField("user", f.user() == null ? "" : f.user());
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w.toString();
  }

  @Override
  public void close() {
    closed = true;
    consumer.wakeup();
  }
}
