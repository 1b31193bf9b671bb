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
  void theCeilingCoversEverySplitOfPromptIntoCacheReadsAndWritesAndOfOutputIntoReasoning() {
    PriceCatalog.Price thinker = new PriceCatalog.Price(BigDecimal.ONE, BigDecimal.valueOf(4), null, null,
        BigDecimal.valueOf(6), 0, null);
    Map<String, PriceCatalog.Price> prices = Map.of(
        "claude-sonnet-4-5 (cache write, long context)", catalog.price(null, "anthropic", "claude-sonnet-4-5"),
        "gemini-2.5-pro (long context without cache write)", catalog.price(null, "gemini", "gemini-2.5-pro"),
        "claude-opus-4-5 (cache write)", catalog.price(null, "anthropic", "claude-opus-4-5"),
        "a reasoning price above output", thinker);
    for (Map.Entry<String, PriceCatalog.Price> e : prices.entrySet()) {
      PriceCatalog.Price p = e.getValue();
      for (long in : new long[] {1_000, 200_000, 200_001, 500_000}) {
        long out = 4_000;
        BigDecimal ceiling = p.ceiling(in, out, in > p.longContextThreshold());
        for (long written : new long[] {0, in / 2, in}) {
          for (long read : new long[] {0, in - written}) {
            for (long reasoning : new long[] {0, out / 2, out}) {
              BigDecimal cost = p.cost(new Tokens(in, out, read, written, reasoning));
              assertThat(cost).as("%s: %d in (%d read, %d written), %d out (%d reasoning)", e.getKey(), in, read,
                  written, out, reasoning).isLessThanOrEqualTo(ceiling);
            }
          }
        }
      }
    }
    // the base input and output prices alone are not enough: a prompt written to the cache costs more
    PriceCatalog.Price sonnet = catalog.price(null, "anthropic", "claude-sonnet-4-5");
    assertThat(sonnet.cost(tokens(1_000, 1_000, 0, 1_000))).isEqualByComparingTo("0.01875") // 1,000 × 3.75 + 1,000 × 15
        .isGreaterThan(PriceCatalog.Price.of(3, 15).cost(tokens(1_000, 1_000, 0, 0)))
        .isEqualByComparingTo(sonnet.ceiling(1_000, 1_000, false));
    // nor above a long-context threshold; and without the tier a long prompt's ceiling is the base one
    assertThat(sonnet.ceiling(300_000, 1_000, true)).isEqualByComparingTo("2.2725"); // 0.3 M × 7.5 + 0.001 M × 22.5
    assertThat(sonnet.ceiling(300_000, 1_000, false)).isEqualByComparingTo("1.14"); // 0.3 M × 3.75 + 0.001 M × 15
    assertThat(thinker.ceiling(0, 1_000_000, false)).isEqualByComparingTo("6");
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
