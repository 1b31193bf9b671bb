package io.gatehouse.proxy.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.proxy.config.ConfigException;
import io.gatehouse.proxy.config.ConfigLoader;
import io.gatehouse.proxy.config.GatehouseConfig;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CacheSettingsTest {
  private static final String PROVIDERS = "providers:\n  p: { type: openai-compatible, base_url: \"http://127.0.0.1:1/v1\" }\n";

  private static CacheSettings parse(String yaml, Map<String, String> env) {
    GatehouseConfig config = ConfigLoader.parse(PROVIDERS + yaml, "test.yaml", env);
    return config.cache();
  }

  @Test
  void cachingIsOffUnlessEnabled() {
    CacheSettings s = parse("", Map.of());
    assertThat(s.enabled()).isFalse();
    assertThat(CacheStage.create(s, Map.of(), null).enabled()).isFalse();
  }

  @Test
  void everySettingIsRead() {
    CacheSettings s = parse("""
        models:
          faq: { targets: [p/m], cache: { semantic: true } }
          raw: { targets: [p/m], cache: { enabled: false } }
          plain: { targets: [p/m] }
        cache:
          enabled: ${CACHE_ON:-false}
          ttl: 10m
          max_bytes: 64MB
          scope: team
          semantic: { threshold: 0.93, max_turns: 2, max_entries: 5000, embedder: local, timeout: 80ms }
        """, Map.of("CACHE_ON", "true"));
    assertThat(s.enabled()).isTrue();
    assertThat(s.ttl()).isEqualTo(Duration.ofMinutes(10));
    assertThat(s.maxBytes()).isEqualTo(64L << 20);
    assertThat(s.scope()).isEqualTo(CacheSettings.Scope.TEAM);
    assertThat(s.semantic()).isEqualTo(new CacheSettings.Semantic(0.93, 2, 5000, "local", Duration.ofMillis(80)));
    assertThat(s.semanticRoutes()).isEqualTo(Set.of("faq"));
    assertThat(s.excludedRoutes()).isEqualTo(Set.of("raw"));
  }

  @Test
  void aProvidersEmbeddingsEndpointMayEmbed() {
    assertThat(parse("cache: { semantic: { embedder: p/text-embedding-3-small } }\n", Map.of()).semantic().embedder())
        .isEqualTo("p/text-embedding-3-small");
  }

  @Test
  void errorsNameThePath() {
    assertError("cache: { enabled: true, tll: 1h }\n", "cache.tll", "unknown key");
    assertError("cache: { scope: tenant }\n", "cache.scope", "global, team, key");
    assertError("cache: { ttl: soon }\n", "cache.ttl", "duration");
    assertError("cache: { max_bytes: lots }\n", "cache.max_bytes", "size");
    assertError("cache: { semantic: { threshold: 1.5 } }\n", "cache.semantic.threshold", "(0, 1]");
    assertError("cache: { semantic: { max_turns: 0 } }\n", "cache.semantic.max_turns", "whole number");
    assertError("cache: { semantic: { embedder: openai/text-embedding-3-small } }\n", "cache.semantic.embedder",
        "expected 'local' (all-MiniLM-L6-v2, in process) or <provider>/<model>");
    assertError("models:\n  faq: { targets: [p/m], cache: { semantic: maybe } }\n", "models.faq.cache.semantic",
        "true or false");
    assertError("models:\n  faq: { targets: [p/m], cache: { exact: true } }\n", "models.faq.cache.exact",
        "unknown key");
  }

  private static void assertError(String yaml, String path, String text) {
    assertThatThrownBy(() -> parse(yaml, Map.of())).isInstanceOfSatisfying(ConfigException.class, e -> {
      assertThat(e.path()).isEqualTo(path);
      assertThat(e.getMessage()).contains(text);
    });
  }
}
