package io.gatehouse.schemas.pricing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What tokens cost: a versioned catalog of list prices (USD per million tokens) per provider family and
 * model, shipped as {@code gatehouse/prices/catalog.json}, plus overrides (custom, fine-tuned or local
 * models, negotiated prices). A model is found by its exact name or by the name without a date or
 * {@code -latest} suffix ({@code gpt-4o-mini-2024-07-18} → {@code gpt-4o-mini},
 * {@code claude-sonnet-4-5-20250929} → {@code claude-sonnet-4-5}). A model it does not know has an
 * unknown cost (null), never a silent zero.
 *
 * <p>Token counts follow the event's convention: {@code inputTokens} is the whole prompt, cache reads and
 * writes included; {@code outputTokens} includes reasoning tokens. Immutable; thread-safe.
 */
public final class PriceCatalog {
  private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);
  private static final Pattern DATE_SUFFIX = Pattern.compile("-(\\d{4}-\\d{2}-\\d{2}|\\d{8}|latest)$");
  private static final PriceCatalog BUILT_IN = load();

  private final String version;
  private final Map<String, Price> prices;

  private PriceCatalog(String version, Map<String, Price> prices) {
    this.version = version;
    this.prices = Map.copyOf(prices);
  }

  /** The catalog shipped with this release. */
  public static PriceCatalog builtIn() {
    return BUILT_IN;
  }

  /** The catalog's version, recorded with every priced event ({@code price_version}). */
  public String version() {
    return version;
  }

  /**
   * This catalog with {@code overrides} (keys {@code family-or-provider/model}) taking precedence; the
   * version gains a {@code +custom} suffix so events show that local prices applied.
   */
  public PriceCatalog withOverrides(Map<String, Price> overrides) {
    if (overrides.isEmpty()) {
      return this;
    }
    Map<String, Price> merged = new HashMap<>(prices);
    overrides.forEach((k, v) -> merged.put(k.toLowerCase(Locale.ROOT), v));
    return new PriceCatalog(version + "+custom", merged);
  }

  /**
   * The price of {@code model}, looked up under the provider's own name first (a configured override
   * such as {@code local/llama-3.1-8b}), then under its family ({@code openai}, {@code anthropic},
   * {@code gemini}); null when unknown.
   */
  public Price price(String provider, String family, String model) {
    if (model == null || model.isBlank()) {
      return null;
    }
    String m = model.toLowerCase(Locale.ROOT).strip();
    if (m.startsWith("models/")) { // Gemini's resource names
      m = m.substring(7);
    }
    for (String owner : new String[] {provider, family}) {
      if (owner == null) {
        continue;
      }
      String o = owner.toLowerCase(Locale.ROOT);
      Price p = prices.get(o + "/" + m);
      if (p == null) {
        p = prices.get(o + "/" + DATE_SUFFIX.matcher(m).replaceFirst(""));
      }
      if (p != null) {
        return p;
      }
    }
    return null;
  }

  /** USD for one request's tokens (null counts as 0), or null when the model is unknown. */
  public BigDecimal cost(String provider, String family, String model, Tokens tokens) {
    Price p = price(provider, family, model);
    return p == null ? null : p.cost(tokens);
  }

  /** A request's token counts on the event's scale; null means not reported. */
  public record Tokens(Long input, Long output, Long cachedInput, Long cacheWrite, Long reasoning) {}

  /**
   * One model's prices, USD per million tokens. {@code cachedInput}/{@code cacheWrite}/{@code reasoning}
   * null: billed at the input (or output) price.
   *
   * @param longContext the prices for a request whose prompt exceeds {@code longContextThreshold}, or null
   */
  public record Price(BigDecimal input, BigDecimal output, BigDecimal cachedInput, BigDecimal cacheWrite,
      BigDecimal reasoning, long longContextThreshold, Price longContext) {

    /** Simple input/output pricing. */
    public static Price of(double input, double output) {
      return new Price(BigDecimal.valueOf(input), BigDecimal.valueOf(output), null, null, null, 0, null);
    }

    BigDecimal cost(Tokens t) {
      long in = n(t.input());
      if (longContext != null && in > longContextThreshold) {
        return longContext.cost(t);
      }
      long cached = n(t.cachedInput());
      long written = n(t.cacheWrite());
      long plainInput = Math.max(0, in - cached - written);
      long out = n(t.output());
      long reasoningTokens = reasoning == null ? 0 : Math.min(out, n(t.reasoning()));
      BigDecimal micro = input.multiply(BigDecimal.valueOf(plainInput))
          .add(or(cachedInput, input).multiply(BigDecimal.valueOf(cached)))
          .add(or(cacheWrite, input).multiply(BigDecimal.valueOf(written)))
          .add(output.multiply(BigDecimal.valueOf(out - reasoningTokens)))
          .add(or(reasoning, output).multiply(BigDecimal.valueOf(reasoningTokens)));
      return micro.divide(MILLION, MathContext.DECIMAL64);
    }

    /**
     * The most a request with {@code promptTokens} and {@code outputTokens} can cost, USD, however its
     * prompt splits into plain, cache-read and cache-written tokens and its output into reasoning: every
     * prompt token at the dearest input-side rate, every output token at the dearer of output and
     * reasoning. Never less than the {@link PriceCatalog#cost} of such a request below the long-context
     * threshold; with {@code longContext}, never less than its cost at all (the tier's rates count too).
     */
    public BigDecimal ceiling(long promptTokens, long outputTokens, boolean longContext) {
      BigDecimal in = input.max(or(cachedInput, input)).max(or(cacheWrite, input));
      BigDecimal out = output.max(or(reasoning, output));
      BigDecimal base = in.multiply(BigDecimal.valueOf(promptTokens))
          .add(out.multiply(BigDecimal.valueOf(outputTokens)))
          .divide(MILLION, MathContext.DECIMAL64);
      return longContext && this.longContext != null
          ? base.max(this.longContext.ceiling(promptTokens, outputTokens, false)) : base;
    }

    private static BigDecimal or(BigDecimal v, BigDecimal fallback) {
      return v == null ? fallback : v;
    }

    private static long n(Long v) {
      return v == null ? 0 : v;
    }
  }

  // ---------------------------------------------------------------- loading

  private static PriceCatalog load() {
    try (InputStream in = PriceCatalog.class.getResourceAsStream("/gatehouse/prices/catalog.json")) {
      if (in == null) {
        throw new IllegalStateException("gatehouse/prices/catalog.json is missing from the classpath");
      }
      JsonNode root = new ObjectMapper().readTree(in);
      Map<String, Price> prices = new HashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = root.path("models").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        prices.put(e.getKey().toLowerCase(Locale.ROOT), parse(e.getValue(), e.getKey()));
      }
      return new PriceCatalog(root.path("version").asText(), prices);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the built-in price catalog", e);
    }
  }

  /** A price object: {@code input}, {@code output} and optionally the others, per million tokens. */
  public static Price parse(JsonNode n, String where) {
    if (!n.path("input").isNumber() || !n.path("output").isNumber()) {
      throw new IllegalArgumentException(where + ": a price needs numeric input and output (USD per 1M tokens)");
    }
    JsonNode lc = n.get("long_context");
    return new Price(n.get("input").decimalValue(), n.get("output").decimalValue(), dec(n, "cached_input"),
        dec(n, "cache_write"), dec(n, "reasoning"), lc == null ? 0 : lc.path("threshold").asLong(),
        lc == null ? null : parse(lc, where + ".long_context"));
  }

  private static BigDecimal dec(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || !v.isNumber() ? null : v.decimalValue();
  }
}
