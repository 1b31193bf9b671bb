package io.gatehouse.proxy.config;

import java.nio.file.Path;
import io.gatehouse.schemas.pricing.PriceCatalog;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The validated, immutable configuration the proxy runs with: the YAML file (if any) merged with
 * zero-config providers and environment overrides. Built once at start by {@link ConfigLoader}.
 *
 * @param host interface the HTTP server binds to
 * @param port HTTP port; 0 picks a free one
 * @param drainTimeout at shutdown, how long in-flight requests (streams included) may take to finish
 * @param providers by name, in definition order (YAML first, then zero-config ones)
 * @param models aliases by name, in definition order
 * @param rules {@code routing.rules}, in order (the first match wins)
 * @param experiments by name, in definition order; at most one per model
 * @param events the disk spool, redaction and which routes keep bodies
 * @param configFile the YAML path, or null when running from the environment only
 * @param resilience retries, timeouts and circuit breakers
 * @param prices price overrides by {@code provider-or-family/model}, over the built-in catalog
 * @param receivers the log receivers (log-only mode, ingest token)
 * @param tracing OpenTelemetry export ({@code tracing:}, {@code OTEL_EXPORTER_OTLP_*})
 * @param access admin token, virtual key mode, team/user budgets and rate limits
 * @param cache the exact and semantic response cache ({@code cache:}, per alias {@code cache:})
 */
public record GatehouseConfig(
    String host,
    int port,
    java.time.Duration drainTimeout,
    Map<String, ProviderConfig> providers,
    Map<String, ModelAlias> models,
    List<RoutingRule> rules,
    Map<String, Experiment> experiments,
    KafkaSettings kafka,
    EventsSettings events,
    String configFile,
    Resilience resilience,
    Map<String, PriceCatalog.Price> prices,
    ReceiverSettings receivers,
    io.gatehouse.proxy.tracing.TracingSettings tracing,
    io.gatehouse.proxy.keys.AccessConfig access,
    io.gatehouse.proxy.cache.CacheSettings cache) {

  /**
   * The log receivers ({@code POST /v1/logs}, {@code /v1/traces}, {@code /v1/litellm}), always served.
   *
   * @param logOnly true: Gatehouse only receives logs; the proxy endpoints answer 404 and no provider
   *     is needed ({@code receivers.log_only}, {@code GATEHOUSE_LOG_ONLY=1})
   * @param ingestToken the token senders must present, or null for open receivers
   *     ({@code receivers.ingest_token}, {@code GATEHOUSE_INGEST_TOKEN}); never printed
   */
  public record ReceiverSettings(boolean logOnly, String ingestToken) {
    public static final ReceiverSettings DEFAULT = new ReceiverSettings(false, null);

    @Override
    public String toString() {
      return "ReceiverSettings[logOnly=" + logOnly + ", ingestToken=" + (ingestToken == null ? "none" : "***") + "]";
    }
  }

  /** Where events go. */
  public record KafkaSettings(String bootstrap, String topic) {}

  /**
   * What happens to events besides Kafka.
   *
   * @param spool where events wait while Kafka is slow or down
   * @param redaction what is masked in prompts, completions and error messages before publishing
   * @param logBodies false: no route keeps prompts or completions (metadata only everywhere)
   * @param metadataOnlyRoutes routes (model alias names) configured with {@code log_bodies: false}
   */
  public record EventsSettings(SpoolSettings spool, RedactionSettings redaction, boolean logBodies,
      Set<String> metadataOnlyRoutes) {
    public EventsSettings {
      metadataOnlyRoutes = Set.copyOf(metadataOnlyRoutes);
    }

    /** Whether events of this route (the event's {@code route}, may be null) carry no bodies. */
    public boolean metadataOnly(String route) {
      return !logBodies || (route != null && metadataOnlyRoutes.contains(route));
    }
  }

  /**
   * The disk spool.
   *
   * @param dir directory of segment files, owned by one proxy (locked)
   * @param maxBytes bound on all segment files together; beyond it events are dropped and counted
   */
  public record SpoolSettings(Path dir, long maxBytes, Fsync fsync) {}

  /** When spooled bytes are forced to the disk (see {@code Spool} for what a power cut can lose). */
  public enum Fsync {
    /** After every batch the publisher writes. */
    BATCH,
    /** At most once per second (and at segment ends and shutdown). The default. */
    INTERVAL,
    /** Never explicitly; the operating system writes back when it likes (tens of seconds on Linux). */
    NEVER;

    public String yamlName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * @param builtins the built-in patterns that are on
   * @param custom extra regular expressions, each replaced by {@code [REDACTED:<name>]}
   */
  public record RedactionSettings(Set<BuiltinPattern> builtins, List<CustomPattern> custom) {
    public RedactionSettings {
      builtins = Set.copyOf(builtins);
      custom = List.copyOf(custom);
    }
  }

  /** A configured regular expression; {@code name} labels the replacement. */
  public record CustomPattern(String name, Pattern regex) {}

  /** The patterns Gatehouse knows; names as written in YAML. */
  public enum BuiltinPattern {
    /** Provider and cloud API keys: {@code sk-…}, {@code sk-ant-…}, {@code AIza…}, {@code AKIA…}, {@code ghp_…}, {@code xox?-…}. */
    API_KEYS("api_keys"),
    /** The token after {@code Bearer }. */
    BEARER_TOKENS("bearer_tokens"),
    EMAILS("emails"),
    /** 9–15 digits with separators or a leading {@code +}. */
    PHONES("phones"),
    /** 13–19 digits that pass the Luhn check. */
    CARD_NUMBERS("card_numbers");

    private final String yamlName;

    BuiltinPattern(String yamlName) {
      this.yamlName = yamlName;
    }

    public String yamlName() {
      return yamlName;
    }
  }
}
