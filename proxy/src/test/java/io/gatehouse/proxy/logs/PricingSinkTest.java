package io.gatehouse.proxy.logs;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.schemas.pricing.PriceCatalog;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** Logged calls are priced like proxied ones, and only when nothing else says what they cost. */
class PricingSinkTest {
  private final List<GatehouseEvent> out = new ArrayList<>();
  private final PricingSink sink = new PricingSink(e -> out.add(e),
      PriceCatalog.builtIn().withOverrides(Map.of("vllm/llama-3.1-8b", PriceCatalog.Price.of(0.05, 0.08))));

  private static GatehouseEvent event(String provider, String model, Long in, Long out, Double cost) {
    return GatehouseEvent.builder().eventId("01900000-0000-7000-8000-000000000001").source("litellm")
        .provider(provider).model(model).inputTokens(in).outputTokens(out).costUsd(cost).build();
  }

  @Test
  void pricesKnownModelsByFamilyAndOverride() {
    sink.publish(event("openai", "gpt-4o-mini-2024-07-18", 1_000_000L, 1_000_000L, null));
    sink.publish(event("azure", "gpt-4o-mini", 1_000_000L, 0L, null));
    sink.publish(event("vertex_ai", "gemini-2.5-flash", 0L, 1_000_000L, null));
    sink.publish(event("vllm", "llama-3.1-8b", 1_000_000L, 1_000_000L, null));
    assertThat(out).extracting(GatehouseEvent::costUsd).satisfiesExactly(
        c -> assertThat(c).isCloseTo(0.75, Offset.offset(1e-9)),
        c -> assertThat(c).isCloseTo(0.15, Offset.offset(1e-9)),
        c -> assertThat(c).isCloseTo(2.50, Offset.offset(1e-9)),
        c -> assertThat(c).isCloseTo(0.13, Offset.offset(1e-9)));
    assertThat(out.get(3).priceVersion()).endsWith("+custom");
  }

  @Test
  void keepsReportedCostsAndLeavesTheUnknownUnpriced() {
    sink.publish(event("openai", "gpt-4o-mini", 10L, 10L, 0.5));
    sink.publish(event("openai", "gpt-9-ultra", 10L, 10L, null));
    sink.publish(event("openai", "gpt-4o-mini", null, null, null));
    assertThat(out).extracting(GatehouseEvent::costUsd).containsExactly(0.5, null, null);
    assertThat(out.get(0).priceVersion()).isNull();
  }

  @Test
  void countsTokensOfASuccessfulCallLoggedWithoutUsageAndPricesThem() throws Exception {
    com.fasterxml.jackson.databind.JsonNode prompt = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
        "[{\"role\":\"system\",\"content\":\"You are terse.\"},"
            + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Name three primes.\"}]}]");
    sink.publish(GatehouseEvent.builder().eventId("01900000-0000-7000-8000-000000000002").source("log_api")
        .provider("openai").model("gpt-4o-mini").status(200).prompt(prompt).completion("hello world")
        .tags(Map.of("team", "search")).build());
    GatehouseEvent e = out.get(0);
    // o200k_base: "system\nYou are terse.\n" = 6, "user\nName three primes.\n" = 6, plus 3 per message and 3
    // for the reply's priming; "hello world" = 2
    assertThat(e.inputTokens()).isEqualTo(21L);
    assertThat(e.outputTokens()).isEqualTo(2L);
    assertThat(e.tags()).containsEntry("gatehouse.tokens", "estimated").containsEntry("team", "search");
    assertThat(e.costUsd()).isCloseTo((21 * 0.15 + 2 * 0.60) / 1e6, Offset.offset(1e-12));
  }

  @Test
  void neverEstimatesFailuresReportedCountsOrCallsWithoutText() {
    sink.publish(GatehouseEvent.builder().eventId("01900000-0000-7000-8000-000000000003").source("log_api")
        .provider("openai").model("gpt-4o-mini").status(429).completion("rate limited").build());
    sink.publish(GatehouseEvent.builder().eventId("01900000-0000-7000-8000-000000000004").source("log_api")
        .provider("openai").model("gpt-4o-mini").status(200).build());
    sink.publish(GatehouseEvent.builder().eventId("01900000-0000-7000-8000-000000000005").source("log_api")
        .provider("openai").model("gpt-4o-mini").status(200).completion("a b c").outputTokens(99L).build());
    assertThat(out).extracting(GatehouseEvent::outputTokens).containsExactly(null, null, 99L);
    assertThat(out).allSatisfy(e -> assertThat(e.tags()).doesNotContainKey("gatehouse.tokens"));
  }
}
