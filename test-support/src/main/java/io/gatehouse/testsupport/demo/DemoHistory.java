package io.gatehouse.testsupport.demo;

import io.gatehouse.schemas.EventIds;
import io.gatehouse.schemas.EventJson;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.schemas.Topics;
import io.gatehouse.schemas.pricing.PriceCatalog;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Synthetic history for the demo, so that a fresh install's charts have a day to show rather than one
 * bar. Events are marked {@code environment = "demo-history"} and tagged {@code demo=history}; they never
 * touched a provider. Each past hour's events are generated from a seed derived from that hour, ids
 * included, so running the demo again republishes identical events, which ClickHouse's
 * ReplacingMergeTree collapses instead of doubling the history.
 */
final class DemoHistory {
  private static final int[] LATENCY_MEDIAN_MS = {450, 900};

  private DemoHistory() {}

  /** The built-in catalog with the {@code prices:} of the Gatehouse YAML at {@code config} (none when null). */
  static PriceCatalog prices(java.nio.file.Path config) {
    if (config == null) {
      return PriceCatalog.builtIn();
    }
    try {
      com.fasterxml.jackson.databind.JsonNode prices = new com.fasterxml.jackson.databind.ObjectMapper(
          new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()).readTree(config.toFile()).path("prices");
      Map<String, PriceCatalog.Price> overrides = new java.util.HashMap<>();
      prices.fields().forEachRemaining(e -> overrides.put(e.getKey(), PriceCatalog.parse(e.getValue(),
          "prices." + e.getKey())));
      return PriceCatalog.builtIn().withOverrides(overrides);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("could not read the prices of " + config, e);
    }
  }

  static int publish(String bootstrap, int hours, List<String> users, List<String> teams, List<String> features,
      List<String> models, PriceCatalog prices) {
    long hourMs = Duration.ofHours(1).toMillis();
    long currentHour = System.currentTimeMillis() / hourMs * hourMs;
    int sent = 0;
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ProducerConfig.LINGER_MS_CONFIG, 20,
            ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000),
            new StringSerializer(), new ByteArraySerializer())) {
      for (int h = hours; h >= 1; h--) {
        long hourStart = currentHour - h * hourMs;
        Random random = new Random(hourStart);
        int hourOfDay = (int) (hourStart / hourMs % 24);
        // busier in the (UTC) working day, never empty
        int count = 20 + (int) (60 * Math.max(0, Math.sin((hourOfDay - 6) / 24.0 * 2 * Math.PI))) + random.nextInt(10);
        for (int i = 0; i < count; i++) {
          GatehouseEvent event = synthesize(random, hourStart + random.nextInt((int) hourMs), users, teams, features,
              models, prices);
          producer.send(new ProducerRecord<>(Topics.EVENTS_V1, event.eventId(), EventJson.toBytes(event)));
          sent++;
        }
      }
      producer.flush();
    }
    return sent;
  }

  private static GatehouseEvent synthesize(Random random, long start, List<String> users, List<String> teams,
      List<String> features, List<String> models, PriceCatalog prices) {
    String user = users.get(random.nextInt(users.size()));
    String model = models.get(random.nextInt(models.size()));
    String upstreamModel = model.contains("/") ? model.substring(model.indexOf('/') + 1) : "gpt-4o-mini";
    boolean stream = random.nextInt(3) == 0;
    int dice = random.nextInt(100);
    int status = dice < 2 ? 503 : dice < 3 ? 429 : 200;
    long duration = (long) (LATENCY_MEDIAN_MS[random.nextInt(2)] * Math.exp(random.nextGaussian() * 0.5));
    long inputTokens = 20 + (long) (Math.abs(random.nextGaussian()) * 600);
    long outputTokens = 10 + (long) (Math.abs(random.nextGaussian()) * 300);
    GatehouseEvent.Builder b =
        GatehouseEvent.builder()
            .eventId(EventIds.of(start, random.nextLong(), random.nextLong()).toString())
            .tsStartMs(start)
            .tsEndMs(start + duration)
            .durationMs(duration)
            .upstreamMs(Math.max(0, duration - 1))
            .overheadUs(300L + random.nextInt(400))
            .endpoint("/v1/chat/completions")
            .modelRequested(model)
            .model(upstreamModel)
            .provider("demo")
            .deployment("demo#0/" + upstreamModel)
            .stream(stream)
            .status(status)
            .user(user)
            .team(teams.get(Math.abs(user.hashCode()) % teams.size()))
            .feature(features.get(random.nextInt(features.size())))
            .environment("demo-history")
            .tags(Map.of("demo", "history"))
            .route(model)
            .attempts(List.of(new GatehouseEvent.Attempt("demo", "demo#0/" + upstreamModel, upstreamModel, status,
                status == 200 ? null : status == 429 ? "rate_limit" : "transient", Math.max(0, duration - 1))))
            .cacheResult("miss");
    if (status == 200) {
      b.inputTokens(inputTokens).outputTokens(outputTokens).finishReason("stop");
      java.math.BigDecimal cost = prices.cost("demo", "openai", upstreamModel,
          new PriceCatalog.Tokens(inputTokens, outputTokens, null, null, null));
      if (cost != null) { // priced as the proxy prices live traffic; an unknown model stays unpriced
        b.costUsd(cost.doubleValue()).priceVersion(prices.version());
      }
      if (stream) {
        long ttft = Math.min(duration, 120 + random.nextInt(250));
        b.ttftMs(ttft).tsFirstTokenMs(start + ttft);
      }
    } else {
      b.errorClass(status == 429 ? "rate_limit_error" : "server_error")
          .errorMessage(status == 429 ? "Rate limit reached (demo history)" : "Upstream unavailable (demo history)");
    }
    return b.build();
  }
}
