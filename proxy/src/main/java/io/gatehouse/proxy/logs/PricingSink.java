package io.gatehouse.proxy.logs;

import io.gatehouse.proxy.events.EventSink;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.schemas.pricing.PriceCatalog;
import io.gatehouse.proxy.pipeline.TokenEstimator;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.Map;
import java.util.Locale;

/**
 * Prices logged calls the way the proxy prices its own: an event that arrives without a cost but with
 * a model and token counts gets {@code cost_usd} and {@code price_version} from the catalog (overrides
 * under the event's provider name first, then the provider's family). A cost the sender reported is
 * kept; an unknown model stays unpriced (null).
 *
 * <p>A successful call logged without any token counts gets them counted from its prompt and
 * completion ({@link TokenEstimator}), tagged {@code gatehouse.tokens=estimated}, and is then priced
 * from them; a call logged without its text stays without tokens. Thread-safe.
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

  GatehouseEvent priced(GatehouseEvent event) {
    GatehouseEvent e = withTokens(event);
    if (e.costUsd() != null || e.model() == null || (e.inputTokens() == null && e.outputTokens() == null)) {
      return e;
    }
    BigDecimal cost = prices.cost(e.provider(), family(e.provider()), e.model(), new PriceCatalog.Tokens(
        e.inputTokens(), e.outputTokens(), e.cachedInputTokens(), e.cacheWriteTokens(), e.reasoningTokens()));
    return cost == null ? e : e.withCost(cost.doubleValue(), prices.version());
  }

  /** The event with estimated token counts when it has none but carries the text to count. */
  static GatehouseEvent withTokens(GatehouseEvent e) {
    if (e.inputTokens() != null || e.outputTokens() != null || e.status() >= 400
        || (e.prompt() == null && e.completion() == null)) {
      return e;
    }
    Long input = e.prompt() == null ? null : (long) TokenEstimator.prompt(e.model(), e.prompt());
    Long output = e.completion() == null ? null : (long) TokenEstimator.text(e.model(), e.completion());
    Map<String, String> tags = new HashMap<>(e.tags());
    tags.put(TokenEstimator.TAG, TokenEstimator.ESTIMATED);
    return e.withTokens(input, output, tags);
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
