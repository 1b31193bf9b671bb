package io.gatehouse.proxy.logs;

import io.gatehouse.proxy.events.EventSink;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.schemas.pricing.PriceCatalog;
import java.math.BigDecimal;
import java.util.Locale;

/**
 * Prices logged calls the way the proxy prices its own: an event that arrives without a cost but with
 * a model and token counts gets {@code cost_usd} and {@code price_version} from the catalog (overrides
 * under the event's provider name first, then the provider's family). A cost the sender reported is
 * kept; an unknown model stays unpriced (null). Thread-safe.
 */
public final class PricingSink implements EventSink {
  private final EventSink next;
  private final PriceCatalog prices;

  public PricingSink(EventSink next, PriceCatalog prices) {
    this.next = next;
    this.prices = prices;
  }

  @Override
  public boolean publish(GatehouseEvent event) {
    return next.publish(priced(event));
  }

  GatehouseEvent priced(GatehouseEvent e) {
    if (e.costUsd() != null || e.model() == null || (e.inputTokens() == null && e.outputTokens() == null)) {
      return e;
    }
    BigDecimal cost = prices.cost(e.provider(), family(e.provider()), e.model(), new PriceCatalog.Tokens(
        e.inputTokens(), e.outputTokens(), e.cachedInputTokens(), e.cacheWriteTokens(), e.reasoningTokens()));
    return cost == null ? e : e.withCost(cost.doubleValue(), prices.version());
  }

  /** The catalog family of a provider as routers name it (LiteLLM's {@code custom_llm_provider}, OTel's system). */
  static String family(String provider) {
    if (provider == null) {
      return null;
    }
    String p = provider.toLowerCase(Locale.ROOT);
    if (p.equals("openai") || p.startsWith("azure")) {
      return "openai";
    }
    if (p.equals("anthropic")) {
      return "anthropic";
    }
    if (p.equals("gemini") || p.startsWith("vertex_ai") || p.equals("google") || p.equals("gcp.gemini")
        || p.equals("gcp.vertex_ai")) {
      return "gemini";
    }
    return null;
  }
}
