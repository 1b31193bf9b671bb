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
}
