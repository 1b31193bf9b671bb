package io.gatehouse.proxy.limits;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.proxy.keys.AccessConfig;
import io.gatehouse.schemas.pricing.PriceCatalog;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GateTest {
  private static final AccessConfig REQUIRED = new AccessConfig(null, true, "k", "s", Map.of(), Map.of(), Map.of(),
      100, Duration.ofSeconds(1), Duration.ofMinutes(1));

  private static HeaderMap headers(String name, String value) {
    HeaderMap h = new HeaderMap();
    if (name != null) {
      h.put(HttpString.tryFromString(name), value);
    }
    return h;
  }

  @Test
  void openModeLetsRequestsWithoutAVirtualKeyPassButChecksOnesThatPresentOne() {
    Gate gate = new Gate(null, null, AccessConfig.DEFAULT, () -> 0L);
    assertThat(gate.authenticate(headers(null, null), "m")).isEqualTo(new Gate.Pass(null));
    assertThat(gate.authenticate(headers("Authorization", "Bearer sk-openai-1"), "m")).isEqualTo(new Gate.Pass(null));
    Gate.Check unknown = gate.authenticate(headers("x-api-key", "sk-gh-" + "a".repeat(40)), "m");
    assertThat(unknown).isInstanceOf(Gate.Denied.class);
    assertThat(((Gate.Denied) unknown).status()).isEqualTo(401);
  }

  @Test
  void requiredModeRefusesAMissingOrForeignKeyWithAMessageSayingWhatToSend() {
    Gate gate = new Gate(null, null, REQUIRED, () -> 0L);
    Gate.Denied missing = (Gate.Denied) gate.authenticate(headers(null, null), "m");
    assertThat(missing.status()).isEqualTo(401);
    assertThat(missing.code()).isEqualTo("invalid_api_key");
    assertThat(missing.message()).contains("Authorization: Bearer sk-gh-");
    Gate.Denied foreign = (Gate.Denied) gate.authenticate(headers(Headers.AUTHORIZATION_STRING, "Bearer sk-abc"), "m");
    assertThat(foreign.message()).contains("only its virtual keys").doesNotContain("sk-abc");
  }

  @Test
  void refusalsNameTheLimitTheSpendAndTheReset() {
    long now = java.time.Instant.parse("2026-11-25T12:00:00Z").toEpochMilli();
    Gate.Denied budget = Gate.denied(new Ledger.Decision(false, "budget", "team:search", 49_500_000_000L,
        50_000_000_000L, java.time.Instant.parse("2026-12-01T00:00:00Z").toEpochMilli()), now);
    assertThat(budget.message()).isEqualTo("Budget exceeded for team:search: spent 49.5 of 50 USD this period "
        + "(including requests in flight); it resets at 2026-12-01T00:00:00Z.");
    assertThat(budget.retryAfterSeconds()).isNull();
    Gate.Denied rpm = Gate.denied(new Ledger.Decision(false, "rpm", "key:vk_1", 10, 10, now + 12_300), now);
    assertThat(rpm.openAiType()).isEqualTo("requests");
    assertThat(rpm.retryAfterSeconds()).isEqualTo(13);
    Gate.Denied tpm = Gate.denied(new Ledger.Decision(false, "tpm", "key:vk_1", 900, 1000, now + 1), now);
    assertThat(tpm.openAiType()).isEqualTo("tokens");
    assertThat(tpm.message()).contains("900 of 1000 tokens per minute");
    // decided from a record stamped 400 ms after this replica's "now": still at most the 60 s window
    Gate.Denied late = Gate.denied(new Ledger.Decision(false, "rpm", "key:vk_1", 6, 6, now + 60_400), now);
    assertThat(late.retryAfterSeconds()).isEqualTo(60);
  }

  @Test
  void theWorstCaseReservesTheCacheWritePremiumAndTheLongContextTierAsSoonAsThePromptCouldCrossIt() {
    PriceCatalog.Price sonnet = PriceCatalog.builtIn().price(null, "anthropic", "claude-sonnet-4-5");
    // 1,000 estimated prompt tokens, all of which could be cache writes (3.75), 1,000 out at 15
    assertThat(Gate.worstCase(sonnet, 1_000, 1_000)).isEqualByComparingTo("0.01875");
    // 50,000 estimated = 200,000 characters: at most the 200,000-token threshold, the base rates
    assertThat(Gate.worstCase(sonnet, 50_000, 0)).isEqualByComparingTo("0.1875");
    // one more: the provider could count more than 200,000 tokens, so the tier's rates (7.50 cache write)
    assertThat(Gate.worstCase(sonnet, 50_001, 0)).isEqualByComparingTo("0.3750075");
    PriceCatalog.Price flat = PriceCatalog.builtIn().price(null, "openai", "gpt-4o-mini");
    assertThat(Gate.worstCase(flat, 1_000_000, 1_000_000)).isEqualByComparingTo("0.75"); // 0.15 + 0.60
  }
}
