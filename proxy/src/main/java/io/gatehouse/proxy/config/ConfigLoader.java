package io.gatehouse.proxy.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.gatehouse.proxy.routing.TargetPolicies;
import io.gatehouse.schemas.Topics;
import io.gatehouse.schemas.pricing.PriceCatalog;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import io.gatehouse.proxy.tracing.TracingSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Builds the {@link GatehouseConfig} from the environment and the optional YAML file named by
 * {@code GATEHOUSE_CONFIG}.
 *
 * <ul>
 *   <li>Strict: unknown keys, wrong types, unknown providers in model targets are errors whose message
 *       starts with the YAML path, e.g. {@code models.smart.targets[1]: unknown provider 'opnai'}.
 *   <li>String values are interpolated: {@code ${VAR}} (an error if VAR is unset) and
 *       {@code ${VAR:-default}} (default when VAR is unset or empty). Keys are not interpolated.
 *   <li>Zero-config: {@code OPENAI_API_KEY} / {@code OPENAI_BASE_URL} define provider {@code openai},
 *       {@code ANTHROPIC_API_KEY} / {@code ANTHROPIC_BASE_URL} provider {@code anthropic},
 *       {@code AZURE_OPENAI_API_KEY} + {@code AZURE_OPENAI_ENDPOINT} (+
 *       {@code OPENAI_API_VERSION}) provider {@code azure}, {@code GEMINI_API_KEY} (or
 *       {@code GOOGLE_API_KEY}) / {@code GEMINI_BASE_URL} provider {@code gemini} — the variables the
 *       providers' own SDKs read — unless the file defines a provider of that name.
 *   <li>Environment wins over the file: {@code GATEHOUSE_PORT}, {@code GATEHOUSE_KAFKA_BOOTSTRAP}, {@code GATEHOUSE_KAFKA_TOPIC},
 *       {@code GATEHOUSE_SPOOL_DIR}, {@code GATEHOUSE_LOG_ONLY}, {@code GATEHOUSE_INGEST_TOKEN}.
 * </ul>
 *
 * Stateless and thread-safe.
 */
public final class ConfigLoader {
  public static final String OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";
  /** Without {@code /v1}: the Messages path is {@code /v1/messages}, as in Anthropic's own SDKs. */
  public static final String ANTHROPIC_DEFAULT_BASE_URL = "https://api.anthropic.com";
  /** Without {@code /v1beta}: the adapter adds the API version, as Google's own SDKs do. */
  public static final String GEMINI_DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com";
  /** The newest GA data-plane version of Azure OpenAI's API when this was written. */
  public static final String AZURE_DEFAULT_API_VERSION = "2024-10-21";
  public static final int DEFAULT_PORT = 8080;
  public static final String DEFAULT_KAFKA_BOOTSTRAP = "localhost:9092";
  /** Relative to the working directory, like the launcher's state directory. */
  public static final String DEFAULT_SPOOL_DIR = ".gatehouse/spool";
  public static final long DEFAULT_SPOOL_MAX_BYTES = 2L << 30;

  private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}");
  private static final Pattern PROVIDER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");
  private static final Pattern API_VERSION = Pattern.compile("\\d{4}-\\d{2}-\\d{2}(-preview)?|v1|latest|preview");
  /** The environment variable a type's key usually lives in, for messages. */
  private static final Map<ProviderType, String> KEY_VARIABLES = Map.of(ProviderType.OPENAI, "OPENAI_API_KEY",
      ProviderType.OPENAI_COMPATIBLE, "API_KEY", ProviderType.ANTHROPIC, "ANTHROPIC_API_KEY",
ProviderType.AZURE_OPENAI, "AZURE_OPENAI_API_KEY", ProviderType.GEMINI, "GEMINI_API_KEY");
  /** Headers the JDK HTTP client sets itself and refuses to take from us. */
  private static final Set<String> RESTRICTED_HEADERS =
      Set.of("connection", "content-length", "expect", "host", "upgrade", "transfer-encoding");

  private static final Set<String> TOP_KEYS =
      ordered("server", "providers", "models", "routing", "experiments", "events", "retries", "timeouts",
          "breaker", "prices", "receivers", "tracing", "admin", "keys",
          "budgets", "limits", "cache");
  private static final Set<String> TRACING_KEYS = ordered("otlp_endpoint", "service_name", "sample_ratio");
  private static final Set<String> RECEIVERS_KEYS = ordered("log_only", "ingest_token");
  private static final Set<String> RETRIES_KEYS = ordered("max_attempts", "backoff", "max_backoff", "max_retry_after");
  private static final Set<String> TIMEOUTS_KEYS = ordered("connect", "first_token", "idle_between_chunks", "total");
  private static final Set<String> BREAKER_KEYS = ordered("failures", "cooldown", "max_cooldown");
  private static final Set<String> PRICE_KEYS =
      ordered("input", "output", "cached_input", "cache_write", "reasoning", "long_context");
  private static final Set<String> LONG_CONTEXT_KEYS =
      ordered("threshold", "input", "output", "cached_input", "cache_write", "reasoning");
  /** How long a shutdown waits for in-flight requests (streams included) before it cuts them. */
  static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);
  private static final Set<String> SERVER_KEYS = ordered("port", "host", "drain_timeout");
  private static final Set<String> PROVIDER_KEYS = ordered("type", "base_url", "keys", "headers", "api_version");
  private static final Set<String> MODEL_KEYS = ordered("targets", "strategy", "log_bodies", "cache");
  private static final Set<String> TARGET_KEYS = ordered("model", "weight");
  private static final Set<String> EVENTS_KEYS = ordered("kafka", "spool", "redaction", "log_bodies");
  private static final Set<String> SPOOL_KEYS = ordered("dir", "max_bytes", "fsync");
  private static final Set<String> REDACTION_KEYS = ordered("patterns", "custom");
  private static final Set<String> CUSTOM_PATTERN_KEYS = ordered("name", "regex");
  private static final Pattern REDACTION_NAME = Pattern.compile("[A-Za-z0-9_.-]+");
  private static final Set<String> ROUTING_KEYS = ordered("rules");
  private static final Set<String> RULE_KEYS = ordered("when", "model");
  private static final Set<String> WHEN_KEYS = ordered("model", "feature", "team", "user", "tags", "header",
      "prompt_tokens_over", "has_tools", "has_images");
  private static final Set<String> EXPERIMENT_KEYS = ordered("model", "split", "sticky_by");
  private static final Set<String> VARIANT_KEYS = ordered("weight", "model");
  private static final Set<String> KAFKA_KEYS = ordered("bootstrap", "topic");

  private ConfigLoader() {}

  /** Reads {@code GATEHOUSE_CONFIG} (if set) and the environment. */
  public static GatehouseConfig load(Map<String, String> env) {
    String file = blankToNull(env.get("GATEHOUSE_CONFIG"));
    if (file == null) {
      return parse("", null, env);
    }
    String yaml;
    try {
      yaml = Files.readString(Path.of(file));
    } catch (NoSuchFileException e) {
      throw new ConfigException("GATEHOUSE_CONFIG", "file not found: " + file
          + " (unset GATEHOUSE_CONFIG to run from environment variables only)");
    } catch (IOException e) {
      throw new ConfigException("GATEHOUSE_CONFIG", "cannot read " + file + ": " + e.getMessage());
    }
    return parse(yaml, file, env);
  }

  /**
   * Parses YAML text (may be empty) merged with the environment.
   *
   * @param file the file name for messages and the summary, or null
   */
  public static GatehouseConfig parse(String yaml, String file, Map<String, String> env) {
    JsonNode root;
    try {
      root = yaml.isBlank() ? null : new YAMLMapper().readTree(yaml);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? ""
          : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      throw new ConfigException("", "not valid YAML" + where + ": " + e.getOriginalMessage());
    }
    Reader r = new Reader(env);
    ObjectNode top = root == null || root.isMissingNode() || root.isNull()
        ? new YAMLMapper().createObjectNode() : r.object(root, "");
    r.keys(top, "", TOP_KEYS);

    // server
    String host = "0.0.0.0";
    int port = DEFAULT_PORT;
    Duration drainTimeout = DEFAULT_DRAIN_TIMEOUT;
    if (top.hasNonNull("server")) {
      ObjectNode server = r.object(top.get("server"), "server");
      r.keys(server, "server", SERVER_KEYS);
      if (server.hasNonNull("port")) {
        port = r.port(server.get("port"), "server.port");
      }
      if (server.hasNonNull("host")) {
        host = r.string(server.get("host"), "server.host");
      }
      drainTimeout = r.duration(server, "drain_timeout", "server.drain_timeout", drainTimeout);
    }
    if (blankToNull(env.get("GATEHOUSE_PORT")) != null) {
      port = r.port(new com.fasterxml.jackson.databind.node.TextNode(env.get("GATEHOUSE_PORT")), "GATEHOUSE_PORT");
    }
    if (blankToNull(env.get("GATEHOUSE_HOST")) != null) {
      host = env.get("GATEHOUSE_HOST").strip();
    }

    // providers: the file's, then zero-config ones it does not shadow
    Map<String, ProviderConfig> providers = new LinkedHashMap<>();
    if (top.hasNonNull("providers")) {
      ObjectNode ps = r.object(top.get("providers"), "providers");
      for (Iterator<Map.Entry<String, JsonNode>> it = ps.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        providers.put(e.getKey(), r.provider(e.getKey(), e.getValue(), "providers." + e.getKey()));
      }
    }
    String openAiKey = blankToNull(env.get("OPENAI_API_KEY"));
    String openAiBase = blankToNull(env.get("OPENAI_BASE_URL"));
    if (!providers.containsKey("openai") && (openAiKey != null || openAiBase != null)) {
      String base = r.baseUrl(openAiBase == null ? OPENAI_DEFAULT_BASE_URL : openAiBase, "OPENAI_BASE_URL");
      providers.put("openai", new ProviderConfig("openai",
          openAiKey == null ? ProviderType.OPENAI_COMPATIBLE : ProviderType.OPENAI, base,
          openAiKey == null ? List.of() : List.of(openAiKey), Map.of(), "environment"));
    }
    String anthropicKey = blankToNull(env.get("ANTHROPIC_API_KEY"));
    if (!providers.containsKey("anthropic") && anthropicKey != null) {
      String anthropicBase = blankToNull(env.get("ANTHROPIC_BASE_URL"));
      String base = r.baseUrl(anthropicBase == null ? ANTHROPIC_DEFAULT_BASE_URL : anthropicBase, "ANTHROPIC_BASE_URL");
      providers.put("anthropic", new ProviderConfig("anthropic", ProviderType.ANTHROPIC, base, List.of(anthropicKey),
          Map.of(), "environment"));
    }
    String geminiKey = blankToNull(env.get("GEMINI_API_KEY"));
    if (geminiKey == null) {
      geminiKey = blankToNull(env.get("GOOGLE_API_KEY"));
    }
    if (!providers.containsKey("gemini") && geminiKey != null) {
      String geminiBase = blankToNull(env.get("GEMINI_BASE_URL"));
      String base = r.baseUrl(geminiBase == null ? GEMINI_DEFAULT_BASE_URL : geminiBase, "GEMINI_BASE_URL");
      providers.put("gemini", new ProviderConfig("gemini", ProviderType.GEMINI, base, List.of(geminiKey), Map.of(),
          "environment"));
    }
    String azureKey = blankToNull(env.get("AZURE_OPENAI_API_KEY"));
    String azureEndpoint = blankToNull(env.get("AZURE_OPENAI_ENDPOINT"));
    if (!providers.containsKey("azure") && azureKey != null && azureEndpoint != null) {
      String version = blankToNull(env.get("OPENAI_API_VERSION"));
      providers.put("azure", new ProviderConfig("azure", ProviderType.AZURE_OPENAI,
          r.baseUrl(azureEndpoint, "AZURE_OPENAI_ENDPOINT"), List.of(azureKey), Map.of(), "environment",
          version == null ? AZURE_DEFAULT_API_VERSION : version.strip()));
    }

    // models
    Map<String, ModelAlias> models = new LinkedHashMap<>();
    Set<String> metadataOnlyRoutes = new LinkedHashSet<>();
    if (top.hasNonNull("models")) {
      ObjectNode ms = r.object(top.get("models"), "models");
      for (Iterator<Map.Entry<String, JsonNode>> it = ms.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        models.put(e.getKey(), r.alias(e.getKey(), e.getValue(), "models." + e.getKey(), providers));
        JsonNode logBodies = e.getValue().get("log_bodies");
        if (logBodies != null && !logBodies.isNull()
            && !r.bool(logBodies, "models." + e.getKey() + ".log_bodies")) {
          metadataOnlyRoutes.add(e.getKey());
        }
      }
    }
    List<RoutingRule> rules = top.hasNonNull("routing") ? r.routing(top.get("routing"), models, providers) : List.of();
    Map<String, Experiment> experiments =
        top.hasNonNull("experiments") ? r.experiments(top.get("experiments"), models, providers) : Map.of();

    // events
    String bootstrap = DEFAULT_KAFKA_BOOTSTRAP;
    String topic = Topics.EVENTS_V1;
    String spoolDir = DEFAULT_SPOOL_DIR;
    long spoolMaxBytes = DEFAULT_SPOOL_MAX_BYTES;
    GatehouseConfig.Fsync fsync = GatehouseConfig.Fsync.INTERVAL;
    GatehouseConfig.RedactionSettings redaction = new GatehouseConfig.RedactionSettings(
        EnumSet.allOf(GatehouseConfig.BuiltinPattern.class), List.of());
    boolean logBodies = true;
    if (top.hasNonNull("events")) {
      ObjectNode events = r.object(top.get("events"), "events");
      r.keys(events, "events", EVENTS_KEYS);
      if (events.hasNonNull("kafka")) {
        ObjectNode kafka = r.object(events.get("kafka"), "events.kafka");
        r.keys(kafka, "events.kafka", KAFKA_KEYS);
        if (kafka.hasNonNull("bootstrap")) {
          bootstrap = r.nonBlank(kafka.get("bootstrap"), "events.kafka.bootstrap");
        }
        if (kafka.hasNonNull("topic")) {
          topic = r.nonBlank(kafka.get("topic"), "events.kafka.topic");
        }
      }
      if (events.hasNonNull("spool")) {
        ObjectNode spool = r.object(events.get("spool"), "events.spool");
        r.keys(spool, "events.spool", SPOOL_KEYS);
        if (spool.hasNonNull("dir")) {
          spoolDir = r.nonBlank(spool.get("dir"), "events.spool.dir");
        }
        if (spool.hasNonNull("max_bytes")) {
          spoolMaxBytes = r.byteSize(spool.get("max_bytes"), "events.spool.max_bytes");
        }
        if (spool.hasNonNull("fsync")) {
          fsync = r.fsync(spool.get("fsync"), "events.spool.fsync");
        }
      }
      if (events.hasNonNull("redaction")) {
        redaction = r.redaction(events.get("redaction"), "events.redaction");
      }
      if (events.hasNonNull("log_bodies")) {
        logBodies = r.bool(events.get("log_bodies"), "events.log_bodies");
      }
    }
    if (blankToNull(env.get("GATEHOUSE_KAFKA_BOOTSTRAP")) != null) {
      bootstrap = env.get("GATEHOUSE_KAFKA_BOOTSTRAP").strip();
    }
    if (blankToNull(env.get("GATEHOUSE_KAFKA_TOPIC")) != null) {
      topic = env.get("GATEHOUSE_KAFKA_TOPIC").strip(); // the same variable ingest reads
    }
    if (blankToNull(env.get("GATEHOUSE_SPOOL_DIR")) != null) {
      spoolDir = env.get("GATEHOUSE_SPOOL_DIR").strip();
    }
    Path spoolPath;
    try {
      spoolPath = Path.of(spoolDir);
    } catch (InvalidPathException e) {
      throw new ConfigException("events.spool.dir", "not a valid path: " + e.getMessage());
    }
    GatehouseConfig.EventsSettings eventsSettings = new GatehouseConfig.EventsSettings(
        new GatehouseConfig.SpoolSettings(spoolPath, spoolMaxBytes, fsync), redaction, logBodies, metadataOnlyRoutes);

    return new GatehouseConfig(host, port, drainTimeout, Collections.unmodifiableMap(providers),
        Collections.unmodifiableMap(models), List.copyOf(rules), Collections.unmodifiableMap(experiments),
        new GatehouseConfig.KafkaSettings(bootstrap, topic), eventsSettings, file, r.resilience(top),
        r.prices(top), receivers(top, r, env), tracing(top, r, env), io.gatehouse.proxy.keys.AccessConfig.parse(
            top.get("admin"), top.get("keys"), top.get("budgets"), top.get("limits"), env,
            (v, path) -> interpolate(v, path, env)), cache(top, env, providers));
  }

  /** {@code cache:} and {@code models.<alias>.cache:}, validated by the cache package (issue 7). */
  private static io.gatehouse.proxy.cache.CacheSettings cache(ObjectNode top, Map<String, String> env,
      Map<String, ProviderConfig> providers) {
    Map<String, JsonNode> aliases = new LinkedHashMap<>();
    if (top.get("models") instanceof ObjectNode ms) {
      ms.fields().forEachRemaining(e -> {
        if (e.getValue().hasNonNull("cache")) {
          aliases.put(e.getKey(), e.getValue().get("cache"));
        }
      });
    }
    return io.gatehouse.proxy.cache.CacheSettings.parse(top.get("cache"), aliases, providers,
        (v, p) -> interpolate(v, p, env));
  }


  /**
   * {@code tracing:}; the standard OpenTelemetry variables win: {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}
   * (the full URL), else {@code OTEL_EXPORTER_OTLP_ENDPOINT} + {@code /v1/traces}, and {@code OTEL_SERVICE_NAME}.
   */
  private static TracingSettings tracing(ObjectNode top, Reader r, Map<String, String> env) {
    String endpoint = null;
    String service = TracingSettings.OFF.serviceName();
    double ratio = 1.0;
    if (top.hasNonNull("tracing")) {
      ObjectNode t = r.object(top.get("tracing"), "tracing");
      r.keys(t, "tracing", TRACING_KEYS);
      if (t.hasNonNull("otlp_endpoint")) {
        endpoint = r.nonBlank(t.get("otlp_endpoint"), "tracing.otlp_endpoint");
      }
      if (t.hasNonNull("service_name")) {
        service = r.nonBlank(t.get("service_name"), "tracing.service_name");
      }
      if (t.hasNonNull("sample_ratio")) {
        JsonNode v = t.get("sample_ratio");
        if (!v.isNumber() || v.asDouble() < 0 || v.asDouble() > 1) {
          throw new ConfigException("tracing.sample_ratio", "expected a number from 0 to 1, got " + v);
        }
        ratio = v.asDouble();
      }
    }
    if (blankToNull(env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) != null) {
      endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").strip();
    } else if (blankToNull(env.get("OTEL_EXPORTER_OTLP_ENDPOINT")) != null) {
      endpoint = env.get("OTEL_EXPORTER_OTLP_ENDPOINT").strip().replaceAll("/+$", "") + "/v1/traces";
    }
    if (blankToNull(env.get("OTEL_SERVICE_NAME")) != null) {
      service = env.get("OTEL_SERVICE_NAME").strip();
    }
    if (endpoint != null) {
      try {
        java.net.URI u = java.net.URI.create(endpoint);
        if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
          throw new IllegalArgumentException("not http(s)");
        }
      } catch (IllegalArgumentException e) {
        throw new ConfigException("tracing.otlp_endpoint", "expected an http(s) URL such as "
            + "http://collector:4318/v1/traces, got '" + endpoint + "'");
      }
    }
    return new TracingSettings(endpoint, service, ratio);
  }

  private static GatehouseConfig.ReceiverSettings receivers(ObjectNode top, Reader r, Map<String, String> env) {
    boolean logOnly = false;
    String token = null;
    if (top.hasNonNull("receivers")) {
      ObjectNode receivers = r.object(top.get("receivers"), "receivers");
      r.keys(receivers, "receivers", RECEIVERS_KEYS);
      if (receivers.hasNonNull("log_only")) {
        logOnly = r.bool(receivers.get("log_only"), "receivers.log_only");
      }
      if (receivers.hasNonNull("ingest_token")) {
        token = blankToNull(r.string(receivers.get("ingest_token"), "receivers.ingest_token"));
      }
    }
    String logOnlyEnv = blankToNull(env.get("GATEHOUSE_LOG_ONLY"));
    if (logOnlyEnv != null) {
      switch (logOnlyEnv.strip().toLowerCase(Locale.ROOT)) {
        case "1", "true", "yes", "on" -> logOnly = true;
        case "0", "false", "no", "off" -> logOnly = false;
        default -> throw new ConfigException("GATEHOUSE_LOG_ONLY", "expected 1 or 0 (true/false), got '"
            + logOnlyEnv + "'");
      }
    }
    if (blankToNull(env.get("GATEHOUSE_INGEST_TOKEN")) != null) {
      token = env.get("GATEHOUSE_INGEST_TOKEN").strip();
    }
    return new GatehouseConfig.ReceiverSettings(logOnly, token == null ? null : token.strip());
  }

  /** Replaces {@code ${VAR}} and {@code ${VAR:-default}} in {@code value}. */
  static String interpolate(String value, String path, Map<String, String> env) {
    if (value.indexOf("${") < 0) {
      return value;
    }
    Matcher m = VARIABLE.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = m.group(1);
      String v = env.get(name);
      if (m.group(2) != null) {
        if (v == null || v.isEmpty()) {
          v = m.group(3);
        }
      } else if (v == null) {
        throw new ConfigException(path, "environment variable " + name + " is not set (set it, or write ${"
            + name + ":-default} to give a default)");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(v));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  private static Set<String> ordered(String... names) {
    return Collections.unmodifiableSet(new LinkedHashSet<>(List.of(names)));
  }

  /** Typed, path-aware reads of the YAML tree. */
  private static final class Reader {
    private final Map<String, String> env;

    Reader(Map<String, String> env) {
      this.env = env;
    }

    ObjectNode object(JsonNode n, String path) {
      if (!n.isObject()) {
        throw new ConfigException(path, "expected a mapping (key: value), got " + kind(n));
      }
      return (ObjectNode) n;
    }

    void keys(ObjectNode n, String path, Set<String> allowed) {
      for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
        String key = it.next();
        if (!allowed.contains(key)) {
          throw new ConfigException(path.isEmpty() ? key : path + "." + key,
              "unknown key; allowed here: " + String.join(", ", allowed));
        }
      }
    }

    String string(JsonNode n, String path) {
      if (!n.isValueNode() || n.isNull()) {
        throw new ConfigException(path, "expected a string, got " + kind(n));
      }
      return interpolate(n.asText(), path, env);
    }

    String nonBlank(JsonNode n, String path) {
      String s = string(n, path).strip();
      if (s.isEmpty()) {
        throw new ConfigException(path, "must not be empty");
      }
      return s;
    }

    /**
     * {@code prices:}: {@code "provider-or-family/model": { input, output, cached_input, cache_write,
     * reasoning, long_context: { threshold, … } }}, USD per million tokens.
     */
    Map<String, PriceCatalog.Price> prices(ObjectNode top) {
      if (!top.hasNonNull("prices")) {
        return Map.of();
      }
      ObjectNode ps = object(top.get("prices"), "prices");
      Map<String, PriceCatalog.Price> out = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = ps.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String path = "prices." + e.getKey();
        int slash = e.getKey().indexOf('/');
        if (slash <= 0 || slash == e.getKey().length() - 1) {
          throw new ConfigException(path, "name a model as provider/model (a provider from providers:, or the "
              + "family openai, anthropic or gemini), e.g. \"local/llama-3.1-8b\"");
        }
        ObjectNode price = object(e.getValue(), path);
        keys(price, path, PRICE_KEYS);
        if (price.hasNonNull("long_context")) {
          keys(object(price.get("long_context"), path + ".long_context"), path + ".long_context", LONG_CONTEXT_KEYS);
        }
        try {
          out.put(e.getKey(), PriceCatalog.parse(price, path));
        } catch (IllegalArgumentException x) {
          throw new ConfigException(path, "needs numeric input and output, USD per 1M tokens, e.g. "
              + "{ input: 0.15, output: 0.60 }");
        }
      }
      return Collections.unmodifiableMap(out);
    }

    /** {@code retries:}, {@code timeouts:} and {@code breaker:}, each key defaulting on its own. */
    Resilience resilience(ObjectNode top) {
      Resilience d = Resilience.DEFAULTS;
      ObjectNode retries = section(top, "retries", RETRIES_KEYS);
      ObjectNode timeouts = section(top, "timeouts", TIMEOUTS_KEYS);
      ObjectNode breaker = section(top, "breaker", BREAKER_KEYS);
      Resilience r = new Resilience(
          count(retries, "max_attempts", "retries.max_attempts", d.maxAttempts()),
          duration(retries, "backoff", "retries.backoff", d.backoff()),
          duration(retries, "max_backoff", "retries.max_backoff", d.maxBackoff()),
          duration(retries, "max_retry_after", "retries.max_retry_after", d.maxRetryAfter()),
          duration(timeouts, "connect", "timeouts.connect", d.connect()),
          duration(timeouts, "first_token", "timeouts.first_token", d.firstToken()),
          duration(timeouts, "idle_between_chunks", "timeouts.idle_between_chunks", d.idleBetweenChunks()),
          duration(timeouts, "total", "timeouts.total", d.total()),
          count(breaker, "failures", "breaker.failures", d.breakerFailures()),
          duration(breaker, "cooldown", "breaker.cooldown", d.breakerCooldown()),
          duration(breaker, "max_cooldown", "breaker.max_cooldown", d.breakerMaxCooldown()));
      if (r.total().compareTo(r.firstToken()) < 0) {
        throw new ConfigException("timeouts.total", "must be at least timeouts.first_token (" + r.firstToken()
            .toMillis() + " ms)");
      }
      return r;
    }

    private ObjectNode section(ObjectNode top, String name, Set<String> allowed) {
      if (!top.hasNonNull(name)) {
        return new YAMLMapper().createObjectNode();
      }
      ObjectNode n = object(top.get(name), name);
      keys(n, name, allowed);
      return n;
    }

    private int count(ObjectNode n, String key, String path, int fallback) {
      if (!n.hasNonNull(key)) {
        return fallback;
      }
      JsonNode v = n.get(key);
      String text = v.isTextual() ? v.asText().strip() : v.toString();
      try {
        int i = Integer.parseInt(text);
        if (i >= 1) {
          return i;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new ConfigException(path, "expected a whole number of at least 1, got " + text);
    }

    /** {@code 250ms}, {@code 2s}, {@code 5m}, {@code 1h}. */
    private Duration duration(ObjectNode n, String key, String path, Duration fallback) {
      if (!n.hasNonNull(key)) {
        return fallback;
      }
      String text = n.get(key).isTextual() ? n.get(key).asText().strip() : n.get(key).toString();
      Duration d = ConfigValues.duration(text);
      if (d == null) {
        throw new ConfigException(path, "expected a duration such as 250ms, 2s, 5m or 1h, got '" + text + "'");
      }
      return d;
    }

    boolean bool(JsonNode n, String path) {
      if (n.isBoolean()) {
        return n.booleanValue();
      }
      String s = n.isValueNode() ? interpolate(n.asText(), path, env).strip() : "";
      if (s.equals("true") || s.equals("false")) {
        return Boolean.parseBoolean(s);
      }
      throw new ConfigException(path, "expected true or false, got " + kind(n));
    }

    /** {@code 2GB}, {@code 512MiB}, {@code 65536} (bytes); K/M/G/T are powers of 1024 either way. */
    long byteSize(JsonNode n, String path) {
      String s = string(n, path).strip();
      Long bytes = ConfigValues.byteSize(s);
      if (bytes != null) {
        return bytes;
      }
      throw new ConfigException(path, "expected a positive size such as 2GB, 512MB or 65536 (bytes), got '" + s + "'");
    }

    GatehouseConfig.Fsync fsync(JsonNode n, String path) {
      String s = string(n, path).strip();
      for (GatehouseConfig.Fsync f : GatehouseConfig.Fsync.values()) {
        if (f.yamlName().equals(s)) {
          return f;
        }
      }
      throw new ConfigException(path, "unknown fsync policy '" + s + "'; one of: batch, interval, never");
    }

    GatehouseConfig.RedactionSettings redaction(JsonNode node, String path) {
      ObjectNode red = object(node, path);
      keys(red, path, REDACTION_KEYS);
      EnumSet<GatehouseConfig.BuiltinPattern> builtins =
          EnumSet.allOf(GatehouseConfig.BuiltinPattern.class);
      List<String> names = new ArrayList<>();
      for (GatehouseConfig.BuiltinPattern b : GatehouseConfig.BuiltinPattern.values()) {
        names.add(b.yamlName());
      }
      if (red.hasNonNull("patterns")) {
        JsonNode ps = red.get("patterns");
        if (!ps.isArray()) {
          throw new ConfigException(path + ".patterns", "expected a list of pattern names (" + String.join(", ", names)
              + "), got " + kind(ps));
        }
        builtins = EnumSet.noneOf(GatehouseConfig.BuiltinPattern.class);
        for (int i = 0; i < ps.size(); i++) {
          String name = string(ps.get(i), path + ".patterns[" + i + "]").strip();
          GatehouseConfig.BuiltinPattern found = null;
          for (GatehouseConfig.BuiltinPattern b : GatehouseConfig.BuiltinPattern.values()) {
            if (b.yamlName().equals(name)) {
              found = b;
            }
          }
          if (found == null) {
            throw new ConfigException(path + ".patterns[" + i + "]", "unknown pattern '" + name + "'; one of: "
                + String.join(", ", names) + " (write your own under " + path + ".custom)");
          }
          builtins.add(found);
        }
      }
      List<GatehouseConfig.CustomPattern> custom = new ArrayList<>();
      if (red.hasNonNull("custom")) {
        JsonNode cs = red.get("custom");
        if (!cs.isArray()) {
          throw new ConfigException(path + ".custom", "expected a list of {name, regex}, got " + kind(cs));
        }
        for (int i = 0; i < cs.size(); i++) {
          String cPath = path + ".custom[" + i + "]";
          ObjectNode c = object(cs.get(i), cPath);
          keys(c, cPath, CUSTOM_PATTERN_KEYS);
          if (!c.hasNonNull("name") || !c.hasNonNull("regex")) {
            throw new ConfigException(cPath, "needs a name and a regex, e.g. { name: employee_id, regex: \"EMP-[0-9]{6}\" }");
          }
          String name = nonBlank(c.get("name"), cPath + ".name");
          if (!REDACTION_NAME.matcher(name).matches()) {
            throw new ConfigException(cPath + ".name", "use letters, digits, '_', '-', '.' (it becomes [REDACTED:name])");
          }
          String regex = nonBlank(c.get("regex"), cPath + ".regex");
          try {
            Pattern p = Pattern.compile(regex);
            if (p.matcher("").matches()) {
              throw new ConfigException(cPath + ".regex", "matches the empty string; it would redact nothing useful");
            }
            custom.add(new GatehouseConfig.CustomPattern(name, p));
          } catch (PatternSyntaxException e) {
            throw new ConfigException(cPath + ".regex", "not a valid Java regular expression: "
                + e.getDescription() + " near index " + e.getIndex());
          }
        }
      }
      return new GatehouseConfig.RedactionSettings(builtins, custom);
    }

    int port(JsonNode n, String path) {
      String s = string(n, path).strip();
      try {
        int p = Integer.parseInt(s);
        if (p >= 0 && p <= 65535) {
          return p;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new ConfigException(path, "expected a port number 0-65535 (0 = any free port), got '" + s + "'");
    }

    String baseUrl(String s, String path) {
      String url = s.strip();
      while (url.endsWith("/")) {
        url = url.substring(0, url.length() - 1);
      }
      try {
        URI uri = new URI(url);
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
          return url;
        }
      } catch (URISyntaxException e) {
        // reported below
      }
      throw new ConfigException(path, "expected an http(s) URL such as http://localhost:8000/v1, got '" + s + "'");
    }

    ProviderConfig provider(String name, JsonNode node, String path) {
      if (!PROVIDER_NAME.matcher(name).matches()) {
        throw new ConfigException(path, "a provider name uses letters, digits, '_', '-', '.' and no '/'");
      }
      ObjectNode p = object(node, path);
      keys(p, path, PROVIDER_KEYS);
      if (!p.hasNonNull("type")) {
        throw new ConfigException(path + ".type", "missing; one of: " + typeNames());
      }
      String typeName = string(p.get("type"), path + ".type");
      ProviderType type = ProviderType.fromYaml(typeName).orElseThrow(() -> new ConfigException(path + ".type",
          "unknown provider type '" + typeName + "'; one of: " + typeNames()));
      String baseUrl;
      if (p.hasNonNull("base_url")) {
        baseUrl = baseUrl(string(p.get("base_url"), path + ".base_url"), path + ".base_url");
      } else if (type == ProviderType.OPENAI) {
        baseUrl = OPENAI_DEFAULT_BASE_URL;
      } else if (type == ProviderType.ANTHROPIC) {
        baseUrl = ANTHROPIC_DEFAULT_BASE_URL;
      } else if (type == ProviderType.GEMINI) {
        baseUrl = GEMINI_DEFAULT_BASE_URL;
      } else if (type == ProviderType.AZURE_OPENAI) {
        throw new ConfigException(path + ".base_url", "missing; an azure-openai provider needs its resource "
            + "endpoint, e.g. https://my-resource.openai.azure.com");
      } else {
        throw new ConfigException(path + ".base_url", "missing; an " + type.yamlName()
            + " provider needs the URL of its API, e.g. http://localhost:8000/v1");
      }
      List<String> keys = new ArrayList<>();
      if (p.hasNonNull("keys")) {
        JsonNode ks = p.get("keys");
        if (!ks.isArray()) {
          throw new ConfigException(path + ".keys", "expected a list of keys, got " + kind(ks));
        }
        for (int i = 0; i < ks.size(); i++) {
          String key = string(ks.get(i), path + ".keys[" + i + "]").strip();
          if (!key.isEmpty()) { // ${OPTIONAL_KEY:-} leaves an empty entry: skipped
            keys.add(key);
          }
        }
      }
      if (type.needsKey() && keys.isEmpty()) {
        throw new ConfigException(path + ".keys", "a provider of type " + type.yamlName()
            + " needs at least one key, e.g. keys: [\"${" + KEY_VARIABLES.get(type) + "}\"]");
      }
      String apiVersion = null;
      if (p.hasNonNull("api_version")) {
        if (type != ProviderType.AZURE_OPENAI) {
          throw new ConfigException(path + ".api_version", "only an azure-openai provider takes an api_version");
        }
        apiVersion = string(p.get("api_version"), path + ".api_version").strip();
        if (!API_VERSION.matcher(apiVersion).matches()) {
          throw new ConfigException(path + ".api_version", "expected a version such as "
              + AZURE_DEFAULT_API_VERSION + " or 2025-04-01-preview, got '" + apiVersion + "'");
        }
      } else if (type == ProviderType.AZURE_OPENAI) {
        apiVersion = AZURE_DEFAULT_API_VERSION;
      }
      Map<String, String> headers = new LinkedHashMap<>();
      if (p.hasNonNull("headers")) {
        ObjectNode hs = object(p.get("headers"), path + ".headers");
        for (Iterator<Map.Entry<String, JsonNode>> it = hs.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> h = it.next();
          String hPath = path + ".headers." + h.getKey();
          if (RESTRICTED_HEADERS.contains(h.getKey().toLowerCase(Locale.ROOT))) {
            throw new ConfigException(hPath, "this header is managed by the HTTP client and cannot be set");
          }
          headers.put(h.getKey(), string(h.getValue(), hPath));
        }
      }
      return new ProviderConfig(name, type, baseUrl, keys, headers, "GATEHOUSE_CONFIG", apiVersion);
    }

    ModelAlias alias(String name, JsonNode node, String path, Map<String, ProviderConfig> providers) {
      if (name.contains("/")) {
        throw new ConfigException(path, "an alias name cannot contain '/' (that form means provider/model)");
      }
      ObjectNode m = object(node, path);
      keys(m, path, MODEL_KEYS);
      String strategy = TargetPolicies.DEFAULT;
      if (m.hasNonNull("strategy")) {
        strategy = string(m.get("strategy"), path + ".strategy");
        if (!TargetPolicies.names().contains(strategy)) {
          throw new ConfigException(path + ".strategy", "unknown strategy '" + strategy + "'; one of: "
              + String.join(", ", TargetPolicies.names()));
        }
      }
      JsonNode ts = m.get("targets");
      if (ts == null || !ts.isArray() || ts.isEmpty()) {
        throw new ConfigException(path + ".targets", "expected a non-empty list of provider/model targets");
      }
      List<ModelAlias.Target> targets = new ArrayList<>();
      for (int i = 0; i < ts.size(); i++) {
        String tPath = path + ".targets[" + i + "]";
        JsonNode t = ts.get(i);
        String id;
        int weight = 1;
        if (t.isObject()) {
          keys((ObjectNode) t, tPath, TARGET_KEYS);
          if (!t.hasNonNull("model")) {
            throw new ConfigException(tPath + ".model", "missing; expected provider/model");
          }
          id = string(t.get("model"), tPath + ".model");
          if (t.hasNonNull("weight")) {
            weight = wholeNumber(t.get("weight"), tPath + ".weight");
          }
        } else {
          id = string(t, tPath);
        }
        String provider = provider(id, tPath, providers);
        targets.add(new ModelAlias.Target(provider, id.substring(provider.length() + 1), weight));
      }
      if (strategy.equals("weighted") && targets.stream().mapToLong(ModelAlias.Target::weight).sum() == 0) {
        throw new ConfigException(path + ".targets", "the weights sum to 0; give at least one target a weight > 0");
      }
      return new ModelAlias(name, strategy, targets);
    }

    /** The provider of a {@code provider/model} id, which must be configured. */
    private static String provider(String id, String path, Map<String, ProviderConfig> providers) {
      int slash = id.indexOf('/');
      if (slash <= 0 || slash == id.length() - 1) {
        throw new ConfigException(path, "expected 'provider/model', got '" + id + "'");
      }
      String provider = id.substring(0, slash);
      if (!providers.containsKey(provider)) {
        throw new ConfigException(path, "unknown provider '" + provider + "' (configured providers: "
            + (providers.isEmpty() ? "none" : String.join(", ", providers.keySet())) + ")");
      }
      return provider;
    }

    /** A model a rule or experiment sends requests to: a configured alias or {@code provider/model}. */
    private String model(JsonNode n, String path, Map<String, ModelAlias> models, Map<String, ProviderConfig> providers) {
      String name = nonBlank(n, path);
      if (!models.containsKey(name) && name.indexOf('/') < 0) {
        throw new ConfigException(path, "unknown model alias '" + name + "'; expected an alias ("
            + (models.isEmpty() ? "none configured" : String.join(", ", models.keySet())) + ") or provider/model");
      }
      if (!models.containsKey(name)) {
        provider(name, path, providers);
      }
      return name;
    }

    private static int wholeNumber(JsonNode n, String path) {
      if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 0) {
        throw new ConfigException(path, "expected a whole number ≥ 0, got " + n);
      }
      return n.asInt();
    }

    private static Boolean bool(ObjectNode n, String key, String path) {
      if (!n.hasNonNull(key)) {
        return null;
      }
      if (!n.get(key).isBoolean()) {
        throw new ConfigException(path + "." + key, "expected true or false, got " + kind(n.get(key)));
      }
      return n.get(key).booleanValue();
    }

    private String optional(ObjectNode n, String key, String path) {
      return n.hasNonNull(key) ? nonBlank(n.get(key), path + "." + key) : null;
    }

    private Map<String, String> stringMap(ObjectNode n, String key, String path) {
      if (!n.hasNonNull(key)) {
        return Map.of();
      }
      ObjectNode m = object(n.get(key), path + "." + key);
      Map<String, String> out = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        out.put(e.getKey(), nonBlank(e.getValue(), path + "." + key + "." + e.getKey()));
      }
      return out;
    }

    List<RoutingRule> routing(JsonNode node, Map<String, ModelAlias> models, Map<String, ProviderConfig> providers) {
      ObjectNode routing = object(node, "routing");
      keys(routing, "routing", ROUTING_KEYS);
      List<RoutingRule> rules = new ArrayList<>();
      if (!routing.hasNonNull("rules")) {
        return rules;
      }
      JsonNode rs = routing.get("rules");
      if (!rs.isArray()) {
        throw new ConfigException("routing.rules", "expected a list of rules like { when: { feature: x }, model: y }, "
            + "got " + kind(rs));
      }
      for (int i = 0; i < rs.size(); i++) {
        String path = "routing.rules[" + i + "]";
        ObjectNode rule = object(rs.get(i), path);
        keys(rule, path, RULE_KEYS);
        if (!rule.hasNonNull("when")) {
          throw new ConfigException(path + ".when", "missing; the conditions for this rule, e.g. when: { feature: summarize }");
        }
        ObjectNode w = object(rule.get("when"), path + ".when");
        String wPath = path + ".when";
        keys(w, wPath, WHEN_KEYS);
        RoutingRule.When when = new RoutingRule.When(optional(w, "model", wPath), optional(w, "feature", wPath),
            optional(w, "team", wPath), optional(w, "user", wPath), stringMap(w, "tags", wPath),
            stringMap(w, "header", wPath),
            w.hasNonNull("prompt_tokens_over") ? wholeNumber(w.get("prompt_tokens_over"), wPath + ".prompt_tokens_over") : null,
            bool(w, "has_tools", wPath), bool(w, "has_images", wPath));
        if (when.isEmpty()) {
          throw new ConfigException(wPath, "no conditions; use one or more of: " + String.join(", ", WHEN_KEYS));
        }
        if (!rule.hasNonNull("model")) {
          throw new ConfigException(path + ".model", "missing; the model alias or provider/model matching requests go to");
        }
        rules.add(new RoutingRule(when, model(rule.get("model"), path + ".model", models, providers)));
      }
      return rules;
    }

    Map<String, Experiment> experiments(JsonNode node, Map<String, ModelAlias> models,
        Map<String, ProviderConfig> providers) {
      ObjectNode es = object(node, "experiments");
      Map<String, Experiment> experiments = new LinkedHashMap<>();
      Map<String, String> byModel = new HashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = es.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String path = "experiments." + e.getKey();
        ObjectNode x = object(e.getValue(), path);
        keys(x, path, EXPERIMENT_KEYS);
        if (!x.hasNonNull("model")) {
          throw new ConfigException(path + ".model", "missing; the model alias (or provider/model) whose requests "
              + "are split, e.g. model: chat-default");
        }
        String model = model(x.get("model"), path + ".model", models, providers);
        String other = byModel.putIfAbsent(model, e.getKey());
        if (other != null) {
          throw new ConfigException(path + ".model", "'" + model + "' is already split by experiments." + other
              + "; one experiment per model");
        }
        if (!x.hasNonNull("split") || !x.get("split").isObject() || x.get("split").isEmpty()) {
          throw new ConfigException(path + ".split", "expected variants with weights, e.g. "
              + "split: { control: 50, candidate: { weight: 50, model: smart } }");
        }
        List<Experiment.Variant> variants = new ArrayList<>();
        long total = 0;
        for (Iterator<Map.Entry<String, JsonNode>> vs = x.get("split").fields(); vs.hasNext(); ) {
          Map.Entry<String, JsonNode> v = vs.next();
          String vPath = path + ".split." + v.getKey();
          int weight;
          String variantModel = null;
          if (v.getValue().isObject()) {
            ObjectNode vo = (ObjectNode) v.getValue();
            keys(vo, vPath, VARIANT_KEYS);
            if (!vo.hasNonNull("weight")) {
              throw new ConfigException(vPath + ".weight", "missing; the variant's share, e.g. weight: 50");
            }
            weight = wholeNumber(vo.get("weight"), vPath + ".weight");
            if (vo.hasNonNull("model")) {
              variantModel = model(vo.get("model"), vPath + ".model", models, providers);
            }
          } else {
            weight = wholeNumber(v.getValue(), vPath);
          }
          total += weight;
          variants.add(new Experiment.Variant(v.getKey(), weight, variantModel));
        }
        if (total == 0) {
          throw new ConfigException(path + ".split", "the weights sum to 0; give at least one variant a weight > 0");
        }
        Experiment.StickyBy stickyBy = Experiment.StickyBy.USER;
        if (x.hasNonNull("sticky_by")) {
          String s = string(x.get("sticky_by"), path + ".sticky_by").strip();
          stickyBy = Arrays.stream(Experiment.StickyBy.values()).filter(b -> b.yamlName().equals(s))
              .findFirst().orElseThrow(() -> new ConfigException(path + ".sticky_by", "unknown sticky_by '" + s
                  + "'; one of: user, session"));
        }
        experiments.put(e.getKey(), new Experiment(e.getKey(), model, variants, stickyBy));
      }
      return experiments;
    }

    private static String typeNames() {
      List<String> names = new ArrayList<>();
      for (ProviderType t : ProviderType.values()) {
        names.add(t.yamlName());
      }
      return String.join(", ", names);
    }

    private static String kind(JsonNode n) {
      if (n.isArray()) {
        return "a list";
      }
      if (n.isObject()) {
        return "a mapping";
      }
      if (n.isNull()) {
        return "nothing";
      }
      return "'" + n.asText() + "'";
    }
  }
}
