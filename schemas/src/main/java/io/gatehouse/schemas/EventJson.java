package io.gatehouse.schemas;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The one JSON mapping of {@link GatehouseEvent} used on Kafka. Readers ignore unknown fields so that
 * a newer producer (an added optional field) never breaks an older ingest.
 */
public final class EventJson {
  private static final ObjectMapper MAPPER =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private static final ObjectWriter WRITER = MAPPER.writerFor(GatehouseEvent.class);
  private static final ObjectReader READER = MAPPER.readerFor(GatehouseEvent.class);

  private EventJson() {}

  public static byte[] toBytes(GatehouseEvent event) {
    try {
      return WRITER.writeValueAsBytes(event);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("event cannot be serialised: " + e.getOriginalMessage(), e);
    }
  }

  public static GatehouseEvent fromBytes(byte[] json) {
    try {
      return READER.readValue(json);
    } catch (IOException e) {
      throw new UncheckedIOException("not a valid event v1: " + e.getMessage(), e);
    }
  }

  public static ObjectMapper mapper() {
    return MAPPER;
  }
}
