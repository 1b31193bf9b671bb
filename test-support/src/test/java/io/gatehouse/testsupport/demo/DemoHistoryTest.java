package io.gatehouse.testsupport.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.schemas.pricing.PriceCatalog;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DemoHistoryTest {
  private static final PriceCatalog.Tokens MILLION_EACH = new PriceCatalog.Tokens(1_000_000L, 1_000_000L, null, null, null);

  @Test
  void theHistoryIsPricedWithTheDemoConfigsPricesLikeLiveTraffic() {
    PriceCatalog prices = DemoHistory.prices(Path.of("demo/gatehouse-demo.yaml"));
    // demo/gpt-4o-mini: 0.15 in + 0.60 out per 1M; demo/llama-3.1-8b: 0.05 + 0.08
    assertThat(prices.cost("demo", "openai", "gpt-4o-mini", MILLION_EACH)).isEqualByComparingTo("0.75");
    assertThat(prices.cost("demo", "openai", "llama-3.1-8b", MILLION_EACH)).isEqualByComparingTo("0.13");
    assertThat(prices.version()).endsWith("+custom");
    // without the config only the built-in catalog applies: the self-hosted model is unknown (null, not 0)
    assertThat(DemoHistory.prices(null).cost("demo", "openai", "llama-3.1-8b", MILLION_EACH)).isNull();
  }
}
