package io.gatehouse.schemas.pricing;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.schemas.pricing.PriceCatalog.Tokens;
import java.math.BigDecimal;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PriceCatalogTest {
  private final PriceCatalog catalog = PriceCatalog.builtIn();

  private static Tokens tokens(long in, long out, long cached, long written) {
    return new Tokens(in, out, cached, written, null);
  }

  @Test
  void datedAndLatestNamesFindTheirModel() {
    assertThat(catalog.version()).matches("\\d{4}-\\d{2}-\\d{2}");
    assertThat(catalog.price(null, "openai", "gpt-4o-mini-2024-07-18")).isEqualTo(catalog.price(null, "openai", "gpt-4o-mini"));
    assertThat(catalog.price(null, "anthropic", "claude-sonnet-4-5-20250929")).isNotNull();
    assertThat(catalog.price(null, "anthropic", "claude-3-5-haiku-latest")).isNotNull();
    assertThat(catalog.price(null, "gemini", "models/gemini-2.5-flash")).isNotNull();
  }

  @Test
  void unknownModelsHaveAnUnknownCostNotZero() {
    assertThat(catalog.cost(null, "openai", "gpt-9-ultra", tokens(10, 10, 0, 0))).isNull();
    assertThat(catalog.cost("local", null, "llama-3.1-8b", tokens(10, 10, 0, 0))).as("no family, no override").isNull();
    assertThat(catalog.cost(null, "openai", null, tokens(10, 10, 0, 0))).isNull();
  }

  @Test
  void cachedReadsAndWritesArePricedApart() {
    // gpt-4o-mini: 1,000,000 prompt tokens of which 400,000 cached, 100,000 out
    // = 0.6 M × 0.15 + 0.4 M × 0.075 + 0.1 M × 0.60 = 0.09 + 0.03 + 0.06
    assertThat(catalog.cost(null, "openai", "gpt-4o-mini", tokens(1_000_000, 100_000, 400_000, 0)))
        .isEqualByComparingTo("0.18");
    // claude-haiku-4-5: 10,000 prompt = 2,000 plain + 5,000 read + 3,000 written, 1,000 out
    // = (2,000 × 1 + 5,000 × 0.10 + 3,000 × 1.25 + 1,000 × 5) / 1M
    assertThat(catalog.cost(null, "anthropic", "claude-haiku-4-5-20251001", tokens(10_000, 1_000, 5_000, 3_000)))
        .isEqualByComparingTo("0.01125");
  }

  @Test
  void longContextPricesTheWholeRequest() {
    BigDecimal small = catalog.cost(null, "anthropic", "claude-sonnet-4-5", tokens(200_000, 1_000, 0, 0));
    BigDecimal large = catalog.cost(null, "anthropic", "claude-sonnet-4-5", tokens(200_001, 1_000, 0, 0));
    assertThat(small).isEqualByComparingTo("0.615"); // 0.2 M × 3 + 0.001 M × 15
    assertThat(large).isEqualByComparingTo("1.222506"); // 0.200001 M × 6 + 0.001 M × 22.5
  }

  @Test
  void overridesWinAndMarkTheVersion() {
    PriceCatalog custom = catalog.withOverrides(Map.of("local/llama-3.1-8b", PriceCatalog.Price.of(0.05, 0.10),
        "openai/gpt-4o-mini", PriceCatalog.Price.of(0.10, 0.50)));
    assertThat(custom.version()).isEqualTo(catalog.version() + "+custom");
    assertThat(custom.cost("local", null, "llama-3.1-8b", tokens(1_000_000, 1_000_000, 0, 0))).isEqualByComparingTo("0.15");
    assertThat(custom.cost("openai", "openai", "gpt-4o-mini", tokens(1_000_000, 0, 0, 0))).isEqualByComparingTo("0.10");
    assertThat(catalog.withOverrides(Map.of())).isSameAs(catalog);
  }
}
