package io.gatehouse.proxy.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.gatehouse.proxy.routing.TargetPolicies;
import io.gatehouse.schemas.Topics;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 *   <li>Environment wins over the file: {@code GATEHOUSE_PORT}, {@code GATEHOUSE_KAFKA_BOOTSTRAP}.
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

  private static final Set<String> TOP_KEYS = ordered("server", "providers", "models", "routing", "experiments", "events");
  private static final Set<String> SERVER_KEYS = ordered("port", "host");
  private static final Set<String> PROVIDER_KEYS = ordered("type", "base_url", "keys", "headers", "api_version");
  private static final Set<String> MODEL_KEYS = ordered("targets", "strategy");
  private static final Set<String> TARGET_KEYS = ordered("model", "weight");
  private static final Set<String> ROUTING_KEYS = ordered("rules");
  private static final Set<String> RULE_KEYS = ordered("when", "model");
  private static final Set<String> WHEN_KEYS = ordered("model", "feature", "team", "user", "tags", "header",
      "prompt_tokens_over", "has_tools", "has_images");
  private static final Set<String> EXPERIMENT_KEYS = ordered("model", "split", "sticky_by");
  private static final Set<String> VARIANT_KEYS = ordered("weight", "model");
  private static final Set<String> EVENTS_KEYS = ordered("kafka");
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
    if (top.hasNonNull("server")) {
      ObjectNode server = r.object(top.get("server"), "server");
      r.keys(server, "server", SERVER_KEYS);
      if (server.hasNonNull("port")) {
        port = r.port(server.get("port"), "server.port");
      }
      if (server.hasNonNull("host")) {
        host = r.string(server.get("host"), "server.host");
      }
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
    if (top.hasNonNull("models")) {
      ObjectNode ms = r.object(top.get("models"), "models");
      for (Iterator<Map.Entry<String, JsonNode>> it = ms.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        models.put(e.getKey(), r.alias(e.getKey(), e.getValue(), "models." + e.getKey(), providers));
      }
    }
    List<RoutingRule> rules = top.hasNonNull("routing") ? r.routing(top.get("routing"), models, providers) : List.of();
    Map<String, Experiment> experiments =
        top.hasNonNull("experiments") ? r.experiments(top.get("experiments"), models, providers) : Map.of();

    // events
    String bootstrap = DEFAULT_KAFKA_BOOTSTRAP;
    String topic = Topics.EVENTS_V1;
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
    }
    if (blankToNull(env.get("GATEHOUSE_KAFKA_BOOTSTRAP")) != null) {
      bootstrap = env.get("GATEHOUSE_KAFKA_BOOTSTRAP").strip();
    }

    return new GatehouseConfig(host, port, Collections.unmodifiableMap(providers),
        Collections.unmodifiableMap(models), List.copyOf(rules), Collections.unmodifiableMap(experiments),
        new GatehouseConfig.KafkaSettings(bootstrap, topic), file);
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
    return Collections.unmodifiableSet(new java.util.LinkedHashSet<>(List.of(names)));
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
