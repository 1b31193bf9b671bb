package io.gatehouse.proxy.cache;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.proxy.config.ConfigException;
import io.gatehouse.proxy.config.ConfigValues;
import io.gatehouse.proxy.config.ProviderConfig;
import io.gatehouse.proxy.config.ProviderType;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BinaryOperator;

/**
 * The {@code cache:} section and the per-alias {@code models.<alias>.cache:} switches, validated at start.
 *
 * <pre>
 * cache:
 *   enabled: true          # default false: caching is opt-in
 *   ttl: 1h                # how long an answer may be served again
 *   max_bytes: 256MB       # bound of the exact cache (stored answers' bytes)
 *   scope: global          # global | team | key: who may be served whose answers
 *   semantic: { threshold: 0.9, max_turns: 1, max_entries: 100000, embedder: local, timeout: 150ms }
 * models:
 *   faq: { targets: [openai/gpt-4o-mini], cache: { semantic: true } }   # or { enabled: false }
 * </pre>
 *
 * @param semanticRoutes aliases whose last user turn may be answered by similarity
 * @param excludedRoutes aliases never cached ({@code cache: {enabled: false}})
 */
public record CacheSettings(boolean enabled, Duration ttl, long maxBytes, Scope scope, Semantic semantic,
    Set<String> semanticRoutes, Set<String> excludedRoutes) {

  public static final CacheSettings OFF = new CacheSettings(false, Duration.ofHours(1), 256L << 20, Scope.GLOBAL,
      Semantic.DEFAULTS, Set.of(), Set.of());

  /** Whose cached answers a request may receive. */
  public enum Scope {
    /** Everyone shares one cache. */
    GLOBAL,
    /** Per {@code x-gatehouse-team}. */
    TEAM,
    /** Per client API key (its SHA-256; the key itself is never kept). */
    KEY
  }

  /**
   * @param threshold cosine similarity at or above which the last user turn counts as the same question
   * @param maxTurns conversations with more user turns than this are never served semantically
   * @param maxEntries bound of the vector index (oldest evicted first)
   * @param embedder {@code local} (all-MiniLM-L6-v2, quantized, in process) or {@code <provider>/<model>}: a
   *     provider's OpenAI-style embeddings endpoint
   * @param timeout how long a request waits for its embedding before it is a miss
   */
  public record Semantic(double threshold, int maxTurns, int maxEntries, String embedder, Duration timeout) {
    public static final Semantic DEFAULTS = new Semantic(0.90, 1, 100_000, "local", Duration.ofMillis(150));
  }

  private static final Set<String> KEYS = Set.of("enabled", "ttl", "max_bytes", "scope", "semantic");
  private static final Set<String> SEMANTIC_KEYS = Set.of("threshold", "max_turns", "max_entries", "embedder", "timeout");
  private static final Set<String> ALIAS_KEYS = Set.of("semantic", "enabled");

  /**
   * @param cache the {@code cache:} node, or null
   * @param aliases each alias's {@code cache:} node by alias name (absent when the alias has none)
   * @param providers the configured providers (for {@code semantic.embedder: <provider>/<model>})
   * @param interpolate {@code (value, path) -> value with ${VAR} replaced}
   */
  public static CacheSettings parse(JsonNode cache, Map<String, JsonNode> aliases,
      Map<String, ProviderConfig> providers, BinaryOperator<String> interpolate) {
    Parser p = new Parser(interpolate);
    boolean enabled = false;
    Duration ttl = OFF.ttl();
    long maxBytes = OFF.maxBytes();
    Scope scope = Scope.GLOBAL;
    Semantic semantic = Semantic.DEFAULTS;
    if (cache != null && !cache.isNull()) {
      p.keys(cache, "cache", KEYS);
      enabled = p.bool(cache.get("enabled"), "cache.enabled", false);
      ttl = p.duration(cache.get("ttl"), "cache.ttl", ttl);
      maxBytes = p.bytes(cache.get("max_bytes"), "cache.max_bytes", maxBytes);
      JsonNode s = cache.get("scope");
      if (s != null && !s.isNull()) {
        String name = p.text(s, "cache.scope");
        try {
          scope = Scope.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw new ConfigException("cache.scope", "unknown scope '" + name + "'; one of: global, team, key");
        }
      }
      JsonNode sem = cache.get("semantic");
      if (sem != null && !sem.isNull()) {
        p.keys(sem, "cache.semantic", SEMANTIC_KEYS);
        Semantic d = Semantic.DEFAULTS;
        double threshold = p.number(sem.get("threshold"), "cache.semantic.threshold", d.threshold());
        if (threshold <= 0 || threshold > 1) {
          throw new ConfigException("cache.semantic.threshold", "expected a cosine similarity in (0, 1], e.g. 0.9");
        }
        String embedder = sem.hasNonNull("embedder") ? p.text(sem.get("embedder"), "cache.semantic.embedder") : "local";
        if (!embedder.equals("local")) {
          int slash = embedder.indexOf('/');
          ProviderConfig provider = slash <= 0 ? null : providers.get(embedder.substring(0, slash));
          if (provider == null || slash == embedder.length() - 1 || (provider.type() != ProviderType.OPENAI
              && provider.type() != ProviderType.OPENAI_COMPATIBLE)) {
            throw new ConfigException("cache.semantic.embedder", "expected 'local' (all-MiniLM-L6-v2, in process) "
                + "or <provider>/<model> with a provider of type openai or openai-compatible, got '" + embedder + "'");
          }
        }
        semantic = new Semantic(threshold,
            (int) p.count(sem.get("max_turns"), "cache.semantic.max_turns", d.maxTurns()),
            (int) p.count(sem.get("max_entries"), "cache.semantic.max_entries", d.maxEntries()), embedder,
            p.duration(sem.get("timeout"), "cache.semantic.timeout", d.timeout()));
      }
    }
    Set<String> semanticRoutes = new LinkedHashSet<>();
    Set<String> excluded = new LinkedHashSet<>();
    for (Map.Entry<String, JsonNode> e : aliases.entrySet()) {
      String path = "models." + e.getKey() + ".cache";
      p.keys(e.getValue(), path, ALIAS_KEYS);
      if (p.bool(e.getValue().get("semantic"), path + ".semantic", false)) {
        semanticRoutes.add(e.getKey());
      }
      if (!p.bool(e.getValue().get("enabled"), path + ".enabled", true)) {
        excluded.add(e.getKey());
      }
    }
    return new CacheSettings(enabled, ttl, maxBytes, scope, semantic, Set.copyOf(semanticRoutes), Set.copyOf(excluded));
  }

  private record Parser(BinaryOperator<String> interpolate) {
    void keys(JsonNode n, String path, Set<String> allowed) {
      if (!n.isObject()) {
        throw new ConfigException(path, "expected a mapping (key: value)");
      }
      for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
        String key = it.next();
        if (!allowed.contains(key)) {
          throw new ConfigException(path + "." + key, "unknown key; allowed here: "
              + String.join(", ", allowed.stream().sorted().toList()));
        }
      }
    }

    String text(JsonNode n, String path) {
      if (!n.isValueNode()) {
        throw new ConfigException(path, "expected a value, got a " + (n.isArray() ? "list" : "mapping"));
      }
      return interpolate.apply(n.asText(), path).strip();
    }

    boolean bool(JsonNode n, String path, boolean fallback) {
      if (n == null || n.isNull()) {
        return fallback;
      }
      String t = text(n, path).toLowerCase(Locale.ROOT);
      if (List.of("true", "yes", "on", "1").contains(t)) {
        return true;
      }
      if (List.of("false", "no", "off", "0").contains(t)) {
        return false;
      }
      throw new ConfigException(path, "expected true or false, got '" + t + "'");
    }

    double number(JsonNode n, String path, double fallback) {
      if (n == null || n.isNull()) {
        return fallback;
      }
      String t = text(n, path);
      try {
        return Double.parseDouble(t);
      } catch (NumberFormatException e) {
        throw new ConfigException(path, "expected a number, got '" + t + "'");
      }
    }

    long count(JsonNode n, String path, long fallback) {
      if (n == null || n.isNull()) {
        return fallback;
      }
      String t = text(n, path);
      try {
        long v = Long.parseLong(t);
        if (v >= 1 && v <= Integer.MAX_VALUE) {
          return v;
        }
      } catch (NumberFormatException e) {
        // falls through to the error
      }
      throw new ConfigException(path, "expected a whole number ≥ 1, got '" + t + "'");
    }

    Duration duration(JsonNode n, String path, Duration fallback) {
      if (n == null || n.isNull()) {
        return fallback;
      }
      String t = text(n, path);
      Duration d = ConfigValues.duration(t);
      if (d == null || d.isZero()) {
        throw new ConfigException(path, "expected a positive duration such as 250ms, 2s, 5m or 1h, got '" + t + "'");
      }
      return d;
    }

    long bytes(JsonNode n, String path, long fallback) {
      if (n == null || n.isNull()) {
        return fallback;
      }
      String t = text(n, path);
      Long v = ConfigValues.byteSize(t);
      if (v != null) {
        return v;
      }
      throw new ConfigException(path, "expected a size such as 64MB or 2GB, got '" + t + "'");
    }
  }
}
