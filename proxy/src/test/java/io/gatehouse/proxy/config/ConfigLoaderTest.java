package io.gatehouse.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  private static final String FULL = String.join("\n",
      "server: { port: \"${PORT:-9000}\" }",
      "providers:",
      "  openai: { type: openai, base_url: \"${OPENAI_BASE_URL:-https://api.openai.com/v1}\", keys: [\"${OPENAI_API_KEY}\", \"${KEY2:-}\"] }",
      "  local:",
      "    type: openai-compatible",
      "    base_url: http://vllm:8000/v1/",
      "    headers: { X-Team: \"${TEAM:-core}\" }",
      "models:",
      "  chat-default: { targets: [openai/gpt-4o-mini, local/llama-3.1-8b] }",
      "  smart: { strategy: weighted, targets: [{model: openai/gpt-4o, weight: 80}, {model: local/big, weight: 20}] }",
      "events: { kafka: { bootstrap: \"kafka:9092\", topic: my.events } }",
      "");

  @Test
  void parsesTheDocumentedShapeWithInterpolation() {
    GatehouseConfig c = ConfigLoader.parse(FULL, "g.yaml", Map.of("OPENAI_API_KEY", "sk-1", "TEAM", "blue"));
    assertThat(c.port()).isEqualTo(9000);
    assertThat(c.providers()).containsOnlyKeys("openai", "local");
    ProviderConfig openai = c.providers().get("openai");
    assertThat(openai.type()).isEqualTo(ProviderType.OPENAI);
    assertThat(openai.baseUrl()).isEqualTo("https://api.openai.com/v1");
    assertThat(openai.keys()).containsExactly("sk-1"); // ${KEY2:-} is empty: skipped
    assertThat(openai.toString()).doesNotContain("sk-1");
    ProviderConfig local = c.providers().get("local");
    assertThat(local.baseUrl()).isEqualTo("http://vllm:8000/v1");
    assertThat(local.keys()).isEmpty();
    assertThat(local.headers()).containsEntry("X-Team", "blue");
    assertThat(c.models().get("chat-default").targets().get(0).id()).isEqualTo("openai/gpt-4o-mini");
    assertThat(c.models().get("smart").targets()).extracting(ModelAlias.Target::weight).containsExactly(80, 20);
    assertThat(c.models().keySet()).containsExactly("chat-default", "smart");
    assertThat(c.kafka()).isEqualTo(new GatehouseConfig.KafkaSettings("kafka:9092", "my.events"));
    assertThat(c.configFile()).isEqualTo("g.yaml");
  }

  @Test
  void environmentOverridesTheFile() {
    GatehouseConfig c = ConfigLoader.parse(FULL, null, Map.of("OPENAI_API_KEY", "sk-1", "PORT", "7000",
        "GATEHOUSE_KAFKA_BOOTSTRAP", "127.0.0.1:19092", "GATEHOUSE_PORT", "0", "OPENAI_BASE_URL", "http://x/v1"));
    assertThat(c.port()).isZero();
    assertThat(c.kafka().bootstrap()).isEqualTo("127.0.0.1:19092");
    assertThat(c.providers().get("openai").baseUrl()).isEqualTo("http://x/v1");
  }

  @Test
  void zeroConfigFromEnvironmentOnly() {
    GatehouseConfig c = ConfigLoader.load(Map.of("OPENAI_API_KEY", "sk-z"));
    assertThat(c.providers()).containsOnlyKeys("openai");
    assertThat(c.providers().get("openai").baseUrl()).isEqualTo("https://api.openai.com/v1");
    assertThat(c.providers().get("openai").origin()).isEqualTo("environment");
    assertThat(c.port()).isEqualTo(8080);
    assertThat(c.kafka().bootstrap()).isEqualTo("localhost:9092");
    assertThat(c.kafka().topic()).isEqualTo("gatehouse.events.v1");

    assertThat(ConfigLoader.load(Map.of()).providers()).isEmpty();
    GatehouseConfig keyless = ConfigLoader.load(Map.of("OPENAI_BASE_URL", "http://localhost:11434/v1/"));
    assertThat(keyless.providers().get("openai").type()).isEqualTo(ProviderType.OPENAI_COMPATIBLE);
    assertThat(keyless.providers().get("openai").baseUrl()).isEqualTo("http://localhost:11434/v1");
  }

  @Test
  void anthropicProvidersFromTheFileAndFromTheEnvironment() {
    GatehouseConfig file = ConfigLoader.parse(String.join("\n",
        "providers:",
        "  claude: { type: anthropic, keys: [\"${K1}\", \"${K2:-}\"], headers: { anthropic-beta: x } }",
        "  proxied: { type: anthropic, base_url: \"http://gw:8080/\", keys: [k] }",
        "models: { m: { targets: [claude/claude-sonnet-4] } }"), null, Map.of("K1", "sk-ant-1"));
    ProviderConfig claude = file.providers().get("claude");
    assertThat(claude.type()).isEqualTo(ProviderType.ANTHROPIC);
    assertThat(claude.baseUrl()).isEqualTo("https://api.anthropic.com");
    assertThat(claude.keys()).containsExactly("sk-ant-1");
    assertThat(claude.headers()).containsEntry("anthropic-beta", "x");
    assertThat(claude.toString()).doesNotContain("sk-ant-1");
    assertThat(file.providers().get("proxied").baseUrl()).isEqualTo("http://gw:8080");

    GatehouseConfig env = ConfigLoader.load(Map.of("ANTHROPIC_API_KEY", "sk-ant-z"));
    assertThat(env.providers()).containsOnlyKeys("anthropic");
    ProviderConfig a = env.providers().get("anthropic");
    assertThat(a.type()).isEqualTo(ProviderType.ANTHROPIC);
    assertThat(a.baseUrl()).isEqualTo("https://api.anthropic.com");
    assertThat(a.keys()).containsExactly("sk-ant-z");
    assertThat(a.origin()).isEqualTo("environment");
    GatehouseConfig both = ConfigLoader.load(Map.of("ANTHROPIC_API_KEY", "a", "ANTHROPIC_BASE_URL", "http://fake:9/",
        "OPENAI_API_KEY", "o"));
    assertThat(both.providers()).containsOnlyKeys("openai", "anthropic");
    assertThat(both.providers().get("anthropic").baseUrl()).isEqualTo("http://fake:9");
    // a base URL alone names no account: Anthropic has no keyless servers
    assertThat(ConfigLoader.load(Map.of("ANTHROPIC_BASE_URL", "http://fake:9")).providers()).isEmpty();
    // the file's provider of that name wins over the environment
    GatehouseConfig shadowed = ConfigLoader.parse("providers: { anthropic: { type: anthropic, keys: [f] } }", null,
        Map.of("ANTHROPIC_API_KEY", "e"));
    assertThat(shadowed.providers().get("anthropic").keys()).containsExactly("f");
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("ANTHROPIC_API_KEY", "a", "ANTHROPIC_BASE_URL", "nope")))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("ANTHROPIC_BASE_URL: ");
  }

  @Test
  void zeroConfigProviderCanBeTargetedByAliases() {
    GatehouseConfig c = ConfigLoader.parse("models: { m: { targets: [openai/gpt-4o] } }", null,
        Map.of("OPENAI_API_KEY", "k"));
    assertThat(c.models().get("m").targets().get(0).provider()).isEqualTo("openai");
  }

  private static void fails(String yaml, Map<String, String> env, String message) {
    assertThatThrownBy(() -> ConfigLoader.parse(yaml, null, env))
        .isInstanceOf(ConfigException.class)
        .hasMessage(message);
  }

  @Test
  void strictErrorsNameThePath() {
    String providers = "providers: { openai: { type: openai, keys: [k] }, local: { type: openai-compatible, base_url: \"http://l/v1\" } }\n";
    fails(providers + "models: { smart: { targets: [openai/gpt-4o, opnai/gpt-4o] } }", Map.of(),
        "models.smart.targets[1]: unknown provider 'opnai' (configured providers: openai, local)");
    fails(providers + "models: { smart: { targets: [{model: gpt-4o}] } }", Map.of(),
        "models.smart.targets[0]: expected 'provider/model', got 'gpt-4o'");
    fails(providers + "models: { smart: { targets: [] } }", Map.of(),
        "models.smart.targets: expected a non-empty list of provider/model targets");
    fails(providers + "models: { smart: { target: [openai/x] } }", Map.of(),
        "models.smart.target: unknown key; allowed here: targets, strategy, log_bodies, cache");
    fails(providers + "models: { smart: { strategy: random, targets: [openai/x] } }", Map.of(),
        "models.smart.strategy: unknown strategy 'random'; one of: priority, weighted");
    fails("providers: { local: { type: openai-compatible, base_ur: \"http://l\" } }", Map.of(),
        "providers.local.base_ur: unknown key; allowed here: type, base_url, keys, headers, api_version");
    fails("providers: { local: { base_url: \"http://l\" } }", Map.of(),
        "providers.local.type: missing; one of: openai, openai-compatible, anthropic, azure-openai, gemini");
    fails("providers: { local: { type: anthropc } }", Map.of(),
        "providers.local.type: unknown provider type 'anthropc'; one of: openai, openai-compatible, anthropic, azure-openai, gemini");
    fails("providers: { claude: { type: anthropic } }", Map.of(),
        "providers.claude.keys: a provider of type anthropic needs at least one key, e.g. keys: [\"${ANTHROPIC_API_KEY}\"]");
    fails("providers: { claude: { type: anthropic, keys: [k], base_url: \"api.anthropic.com\" } }", Map.of(),
        "providers.claude.base_url: expected an http(s) URL such as http://localhost:8000/v1, got 'api.anthropic.com'");
    fails("providers: { local: { type: openai-compatible } }", Map.of(),
        "providers.local.base_url: missing; an openai-compatible provider needs the URL of its API, e.g. http://localhost:8000/v1");
    fails("providers: { local: { type: openai-compatible, base_url: \"vllm:8000\" } }", Map.of(),
        "providers.local.base_url: expected an http(s) URL such as http://localhost:8000/v1, got 'vllm:8000'");
    fails("providers: { openai: { type: openai, keys: [\"${NOPE}\"] } }", Map.of(),
        "providers.openai.keys[0]: environment variable NOPE is not set (set it, or write ${NOPE:-default} to give a default)");
    fails("providers: { openai: { type: openai, keys: [\"${NOPE:-}\"] } }", Map.of(),
        "providers.openai.keys: a provider of type openai needs at least one key, e.g. keys: [\"${OPENAI_API_KEY}\"]");
    fails("providers: { openai: { type: openai, keys: k } }", Map.of(),
        "providers.openai.keys: expected a list of keys, got 'k'");
    fails("providers: { l: { type: openai-compatible, base_url: \"http://l\", headers: { Host: x } } }", Map.of(),
        "providers.l.headers.Host: this header is managed by the HTTP client and cannot be set");
    fails("retires: { max_attempts: 3 }", Map.of(),
        "retires: unknown key; allowed here: server, providers, models, routing, experiments, events, retries, timeouts, breaker, prices, receivers, tracing, admin, keys, budgets, limits, cache");
    fails("server: { port: 99999 }", Map.of(),
        "server.port: expected a port number 0-65535 (0 = any free port), got '99999'");
    fails("events: { kafka: { bootstrap: \"\" } }", Map.of(), "events.kafka.bootstrap: must not be empty");
    fails("events: { kafka: [a] }", Map.of(), "events.kafka: expected a mapping (key: value), got a list");
    fails("models: { a/b: { targets: [x/y] } }", Map.of(),
        "models.a/b: an alias name cannot contain '/' (that form means provider/model)");
    fails("providers: [openai]", Map.of(), "providers: expected a mapping (key: value), got a list");
  }

  @Test
  void invalidYamlAndMissingFileAreReported(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> ConfigLoader.parse("providers: {", null, Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("not valid YAML at line");
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("GATEHOUSE_CONFIG", dir.resolve("nope.yaml").toString())))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("GATEHOUSE_CONFIG: file not found:");
    Path ok = dir.resolve("ok.yaml");
    Files.writeString(ok, "server: { port: 1234 }\n");
    assertThat(ConfigLoader.load(Map.of("GATEHOUSE_CONFIG", ok.toString())).port()).isEqualTo(1234);
  }

  @Test
  void interpolationRules() {
    Map<String, String> env = Map.of("A", "x", "EMPTY", "");
    assertThat(ConfigLoader.interpolate("${A}-${B:-d}-${EMPTY:-e}-${EMPTY}", "p", env)).isEqualTo("x-d-e-");
    assertThat(ConfigLoader.interpolate("no vars $A {A}", "p", env)).isEqualTo("no vars $A {A}");
    assertThat(ConfigLoader.interpolate("${B:-http://h:1/v1}", "p", env)).isEqualTo("http://h:1/v1");
    assertThat(ConfigLoader.interpolate("${A}$", "p", Map.of("A", "a$1\\"))).isEqualTo("a$1\\$");
  }

  @Test
  void theShippedExampleIsValid() throws Exception {
    String example;
    try (var in = ConfigLoaderTest.class.getResourceAsStream("/gatehouse.example.yaml")) {
      example = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    GatehouseConfig c = ConfigLoader.parse(example, "example",
        Map.of("OPENAI_API_KEY", "sk-x", "ANTHROPIC_API_KEY", "sk-ant-x"));
    assertThat(c.providers()).containsKeys("openai", "anthropic", "local");
    assertThat(c.providers().get("anthropic").type()).isEqualTo(ProviderType.ANTHROPIC);
    assertThat(c.providers().get("anthropic").keys()).containsExactly("sk-ant-x");
    assertThat(c.models()).containsKeys("chat-default", "smart");
    assertThat(c.models().get("smart").strategy()).isEqualTo("weighted");
    assertThat(c.rules()).isNotEmpty();
    assertThat(c.experiments()).isNotEmpty();
  }

  private static GatehouseConfig load(String yaml) {
    return ConfigLoader.parse(yaml, "g.yaml", Map.of());
  }

  @Test
  void azureOpenAiNeedsAnEndpointAndAKeyAndDefaultsItsApiVersion() {
    GatehouseConfig config = load("providers:\n  az:\n    type: azure-openai\n"
        + "    base_url: https://my-resource.openai.azure.com/\n    keys: [k1]\n");
    ProviderConfig az = config.providers().get("az");
    assertThat(az.baseUrl()).isEqualTo("https://my-resource.openai.azure.com");
    assertThat(az.apiVersion()).isEqualTo(ConfigLoader.AZURE_DEFAULT_API_VERSION);
    assertThat(az.toString()).doesNotContain("k1");

    assertThatThrownBy(() -> load("providers:\n  az:\n    type: azure-openai\n    keys: [k1]\n"))
        .hasMessageStartingWith("providers.az.base_url: missing; an azure-openai provider needs its resource endpoint");
    assertThatThrownBy(() -> load("providers:\n  az:\n    type: azure-openai\n    base_url: https://x.openai.azure.com\n"))
        .hasMessage("providers.az.keys: a provider of type azure-openai needs at least one key, "
            + "e.g. keys: [\"${AZURE_OPENAI_API_KEY}\"]");
    assertThatThrownBy(() -> load("providers:\n  az:\n    type: azure-openai\n    base_url: https://x.openai.azure.com\n"
        + "    keys: [k]\n    api_version: last-tuesday\n"))
        .hasMessageStartingWith("providers.az.api_version: expected a version such as 2024-10-21");
    assertThatThrownBy(() -> load("providers:\n  o:\n    type: openai\n    keys: [k]\n    api_version: 2024-10-21\n"))
        .hasMessage("providers.o.api_version: only an azure-openai provider takes an api_version");
  }

  @Test
  void azureOpenAiFromTheVariablesItsSdkReads() {
    GatehouseConfig config = ConfigLoader.load(Map.of("AZURE_OPENAI_API_KEY", "az-key",
        "AZURE_OPENAI_ENDPOINT", "https://my-resource.openai.azure.com", "OPENAI_API_VERSION", "2025-04-01-preview"));
    ProviderConfig az = config.providers().get("azure");
    assertThat(az.type()).isEqualTo(ProviderType.AZURE_OPENAI);
    assertThat(az.apiVersion()).isEqualTo("2025-04-01-preview");
    assertThat(az.keys()).containsExactly("az-key");
  }

  @Test
  void geminiProvidersFromTheFileAndFromTheEnvironment() {
    GatehouseConfig file = ConfigLoader.parse(String.join("\n",
        "providers:",
        "  google: { type: gemini, keys: [\"${GK}\"] }",
        "  proxied: { type: gemini, base_url: \"http://gw:8080/\", keys: [k] }",
        "models: { m: { targets: [google/gemini-2.5-flash] } }"), null, Map.of("GK", "AIza-1"));
    ProviderConfig google = file.providers().get("google");
    assertThat(google.type()).isEqualTo(ProviderType.GEMINI);
    assertThat(google.baseUrl()).isEqualTo("https://generativelanguage.googleapis.com");
    assertThat(google.keys()).containsExactly("AIza-1");
    assertThat(file.providers().get("proxied").baseUrl()).isEqualTo("http://gw:8080");

    GatehouseConfig env = ConfigLoader.load(Map.of("GEMINI_API_KEY", "AIza-z"));
    assertThat(env.providers()).containsOnlyKeys("gemini");
    ProviderConfig g = env.providers().get("gemini");
    assertThat(g.type()).isEqualTo(ProviderType.GEMINI);
    assertThat(g.baseUrl()).isEqualTo(ConfigLoader.GEMINI_DEFAULT_BASE_URL);
    assertThat(g.keys()).containsExactly("AIza-z");
    assertThat(g.origin()).isEqualTo("environment");
    // GOOGLE_API_KEY, which Google's SDKs also read, when GEMINI_API_KEY is unset; GEMINI_API_KEY wins
    assertThat(ConfigLoader.load(Map.of("GOOGLE_API_KEY", "g")).providers().get("gemini").keys()).containsExactly("g");
    assertThat(ConfigLoader.load(Map.of("GOOGLE_API_KEY", "g", "GEMINI_API_KEY", "m")).providers().get("gemini").keys())
        .containsExactly("m");
    assertThat(ConfigLoader.load(Map.of("GEMINI_API_KEY", "k", "GEMINI_BASE_URL", "http://fake:9/")).providers()
        .get("gemini").baseUrl()).isEqualTo("http://fake:9");
    assertThat(ConfigLoader.load(Map.of("GEMINI_BASE_URL", "http://fake:9")).providers()).isEmpty();
    GatehouseConfig shadowed = ConfigLoader.parse("providers: { gemini: { type: gemini, keys: [f] } }", null,
        Map.of("GEMINI_API_KEY", "e"));
    assertThat(shadowed.providers().get("gemini").keys()).containsExactly("f");
    fails("providers: { google: { type: gemini } }", Map.of(),
        "providers.google.keys: a provider of type gemini needs at least one key, e.g. keys: [\"${GEMINI_API_KEY}\"]");
  }

  @Test
  void eventsSpoolRedactionAndMetadataOnlyRoutes() {
    GatehouseConfig defaults = ConfigLoader.parse("", null, Map.of());
    assertThat(defaults.events().spool()).isEqualTo(new GatehouseConfig.SpoolSettings(
        Path.of(ConfigLoader.DEFAULT_SPOOL_DIR), ConfigLoader.DEFAULT_SPOOL_MAX_BYTES, GatehouseConfig.Fsync.INTERVAL));
    assertThat(defaults.events().redaction().builtins()).containsExactlyInAnyOrder(GatehouseConfig.BuiltinPattern.values());
    assertThat(defaults.events().metadataOnly("anything")).isFalse();

    String yaml = String.join("\n",
        "providers:",
        "  local: { type: openai-compatible, base_url: http://vllm:8000/v1 }",
        "models:",
        "  private: { targets: [local/m], log_bodies: false }",
        "  open: { targets: [local/m], log_bodies: true }",
        "events:",
        "  spool: { dir: /var/lib/gatehouse/spool, max_bytes: 512MB, fsync: batch }",
        "  redaction:",
        "    patterns: [api_keys, emails]",
        "    custom: [{ name: employee_id, regex: \"EMP-[0-9]{6}\" }]",
        "");
    GatehouseConfig c = ConfigLoader.parse(yaml, "g.yaml", Map.of());
    assertThat(c.events().spool()).isEqualTo(new GatehouseConfig.SpoolSettings(
        Path.of("/var/lib/gatehouse/spool"), 512L << 20, GatehouseConfig.Fsync.BATCH));
    assertThat(c.events().redaction().builtins())
        .containsExactlyInAnyOrder(GatehouseConfig.BuiltinPattern.API_KEYS, GatehouseConfig.BuiltinPattern.EMAILS);
    assertThat(c.events().redaction().custom()).singleElement()
        .satisfies(p -> assertThat(p.name()).isEqualTo("employee_id"));
    assertThat(c.events().metadataOnlyRoutes()).containsExactly("private");
    assertThat(c.events().metadataOnly("private")).isTrue();
    assertThat(c.events().metadataOnly("open")).isFalse();
    assertThat(c.events().metadataOnly(null)).isFalse();

    GatehouseConfig none = ConfigLoader.parse("events: { log_bodies: false, redaction: { patterns: [] } }", null, Map.of());
    assertThat(none.events().metadataOnly("open")).isTrue();
    assertThat(none.events().redaction().builtins()).isEmpty();

    GatehouseConfig env = ConfigLoader.parse("events: { spool: { dir: a } }", null, Map.of("GATEHOUSE_SPOOL_DIR", "/tmp/s"));
    assertThat(env.events().spool().dir()).isEqualTo(Path.of("/tmp/s"));
    assertThat(ConfigLoader.parse("events: { spool: { max_bytes: 65536 } }", null, Map.of()).events().spool().maxBytes())
        .isEqualTo(65536);
    assertThat(ConfigLoader.parse("events: { spool: { max_bytes: 2GiB } }", null, Map.of()).events().spool().maxBytes())
        .isEqualTo(2L << 30);
  }

  @Test
  void eventsErrorsNameThePath() {
    failsStartingWith("events: { spool: { size: 1GB } }", Map.of(), "events.spool.size: unknown key; allowed here: dir, max_bytes, fsync");
    failsStartingWith("events: { spool: { max_bytes: lots } }", Map.of(), "events.spool.max_bytes: expected a positive size");
    failsStartingWith("events: { spool: { max_bytes: 0 } }", Map.of(), "events.spool.max_bytes: expected a positive size");
    failsStartingWith("events: { spool: { fsync: sometimes } }", Map.of(),
        "events.spool.fsync: unknown fsync policy 'sometimes'; one of: batch, interval, never");
    failsStartingWith("events: { redaction: { patterns: [emails, ssn] } }", Map.of(),
        "events.redaction.patterns[1]: unknown pattern 'ssn'");
    failsStartingWith("events: { redaction: { custom: [{ name: x, regex: \"([a-z\" }] } }", Map.of(),
        "events.redaction.custom[0].regex: not a valid Java regular expression");
    failsStartingWith("events: { redaction: { custom: [{ name: x, regex: \"a*\" }] } }", Map.of(),
        "events.redaction.custom[0].regex: matches the empty string");
    failsStartingWith("events: { redaction: { custom: [{ regex: abc }] } }", Map.of(), "events.redaction.custom[0]: needs a name and a regex");
    failsStartingWith("events: { log_bodies: maybe }", Map.of(), "events.log_bodies: expected true or false");
    failsStartingWith(String.join("\n",
        "providers: { local: { type: openai-compatible, base_url: \"http://h/v1\" } }",
        "models: { m: { targets: [local/x], log_bodies: no-thanks } }"), Map.of(), "models.m.log_bodies: expected true or false");
  }

  private static void failsStartingWith(String yaml, Map<String, String> env, String prefix) {
    assertThatThrownBy(() -> ConfigLoader.parse(yaml, null, env))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(prefix);
  }

  private static final String ROUTING_BASE = String.join("\n",
      "providers: { openai: { type: openai, keys: [k] }, local: { type: openai-compatible, base_url: \"http://l/v1\" } }",
      "models:",
      "  chat-default: { targets: [openai/gpt-4o-mini, local/llama] }",
      "  smart: { strategy: weighted, targets: [{model: openai/gpt-4o, weight: 80}, {model: local/big, weight: 20}] }",
      "");

  @Test
  void parsesRoutingRulesAndExperiments() {
    GatehouseConfig c = ConfigLoader.parse(ROUTING_BASE + String.join("\n",
        "routing:",
        "  rules:",
        "    - { when: { feature: summarize }, model: chat-default }",
        "    - { when: { prompt_tokens_over: 20000 }, model: smart }",
        "    - when: { model: chat-default, team: \"${TEAM}\", user: u, tags: { env: prod }, header: { X-Tenant: acme },",
        "              has_tools: true, has_images: false }",
        "      model: local/llama-3.1-70b",
        "experiments:",
        "  support-prompt-v3:",
        "    model: chat-default",
        "    split: { control: 50, candidate: { weight: 50, model: smart } }",
        "  by-session: { model: openai/gpt-4o, sticky_by: session, split: { a: { weight: 0 }, b: 1 } }",
        ""), null, Map.of("TEAM", "research"));
    assertThat(c.rules()).hasSize(3);
    assertThat(c.rules().get(0)).isEqualTo(new RoutingRule(
        new RoutingRule.When(null, "summarize", null, null, null, null, null, null, null), "chat-default"));
    assertThat(c.rules().get(1).when().promptTokensOver()).isEqualTo(20000);
    RoutingRule.When full = c.rules().get(2).when();
    assertThat(full).isEqualTo(new RoutingRule.When("chat-default", null, "research", "u", Map.of("env", "prod"),
        Map.of("X-Tenant", "acme"), null, true, false));
    assertThat(c.rules().get(2).model()).isEqualTo("local/llama-3.1-70b");

    assertThat(c.experiments().keySet()).containsExactly("support-prompt-v3", "by-session");
    Experiment support = c.experiments().get("support-prompt-v3");
    assertThat(support.model()).isEqualTo("chat-default");
    assertThat(support.stickyBy()).isEqualTo(Experiment.StickyBy.USER); // the default
    assertThat(support.variants()).containsExactly(new Experiment.Variant("control", 50, null),
        new Experiment.Variant("candidate", 50, "smart"));
    Experiment bySession = c.experiments().get("by-session");
    assertThat(bySession.stickyBy()).isEqualTo(Experiment.StickyBy.SESSION);
    assertThat(bySession.variants()).extracting(Experiment.Variant::weight).containsExactly(0, 1);

    GatehouseConfig none = ConfigLoader.parse(ROUTING_BASE, null, Map.of());
    assertThat(none.rules()).isEmpty();
    assertThat(none.experiments()).isEmpty();
  }

  @Test
  void routingErrorsNameThePath() {
    String b = ROUTING_BASE;
    fails(b + "routing: { rules: [ { when: { feature: x }, model: smrt } ] }", Map.of(),
        "routing.rules[0].model: unknown model alias 'smrt'; expected an alias (chat-default, smart) or provider/model");
    fails(b + "routing: { rules: [ { when: { feature: x }, model: smart }, { when: { team: y }, model: opnai/gpt-4o } ] }",
        Map.of(), "routing.rules[1].model: unknown provider 'opnai' (configured providers: openai, local)");
    fails(b + "routing: { rules: [ { model: smart } ] }", Map.of(),
        "routing.rules[0].when: missing; the conditions for this rule, e.g. when: { feature: summarize }");
    fails(b + "routing: { rules: [ { when: {}, model: smart } ] }", Map.of(),
        "routing.rules[0].when: no conditions; use one or more of: model, feature, team, user, tags, header, "
            + "prompt_tokens_over, has_tools, has_images");
    fails(b + "routing: { rules: [ { when: { feature: x } } ] }", Map.of(),
        "routing.rules[0].model: missing; the model alias or provider/model matching requests go to");
    fails(b + "routing: { rules: [ { when: { featur: x }, model: smart } ] }", Map.of(),
        "routing.rules[0].when.featur: unknown key; allowed here: model, feature, team, user, tags, header, "
            + "prompt_tokens_over, has_tools, has_images");
    fails(b + "routing: { rules: [ { when: { prompt_tokens_over: -1 }, model: smart } ] }", Map.of(),
        "routing.rules[0].when.prompt_tokens_over: expected a whole number ≥ 0, got -1");
    fails(b + "routing: { rules: [ { when: { has_tools: yes please }, model: smart } ] }", Map.of(),
        "routing.rules[0].when.has_tools: expected true or false, got 'yes please'");
    fails(b + "routing: { rules: [ { when: { tags: env } , model: smart } ] }", Map.of(),
        "routing.rules[0].when.tags: expected a mapping (key: value), got 'env'");
    fails(b + "routing: { rules: { when: { team: x }, model: smart } }", Map.of(),
        "routing.rules: expected a list of rules like { when: { feature: x }, model: y }, got a mapping");
    fails(b + "routing: { rule: [] }", Map.of(), "routing.rule: unknown key; allowed here: rules");

    fails(b.replace("weight: 80", "weight: 0").replace("weight: 20", "weight: 0"), Map.of(),
        "models.smart.targets: the weights sum to 0; give at least one target a weight > 0");
    fails(b.replace("weight: 80", "weight: -5"), Map.of(),
        "models.smart.targets[0].weight: expected a whole number ≥ 0, got -5");

    fails(b + "experiments: { e: { split: { a: 1 } } }", Map.of(),
        "experiments.e.model: missing; the model alias (or provider/model) whose requests are split, e.g. model: chat-default");
    fails(b + "experiments: { e: { model: chat-default, split: { a: 0, b: { weight: 0, model: smart } } } }", Map.of(),
        "experiments.e.split: the weights sum to 0; give at least one variant a weight > 0");
    fails(b + "experiments: { e: { model: chat-default, split: {} } }", Map.of(),
        "experiments.e.split: expected variants with weights, e.g. split: { control: 50, candidate: { weight: 50, model: smart } }");
    fails(b + "experiments: { e: { model: chat-default, split: { a: 1 }, sticky_by: team } }", Map.of(),
        "experiments.e.sticky_by: unknown sticky_by 'team'; one of: user, session");
    fails(b + "experiments: { e: { model: chat-default, split: { a: 1, b: { weight: 1, model: gpt5 } } } }", Map.of(),
        "experiments.e.split.b.model: unknown model alias 'gpt5'; expected an alias (chat-default, smart) or provider/model");
    fails(b + "experiments: { e: { model: chat-default, split: { a: { weigth: 1 } } } }", Map.of(),
        "experiments.e.split.a.weigth: unknown key; allowed here: weight, model");
    fails(b + "experiments: { e: { model: chat-default, split: { a: { model: smart } } } }", Map.of(),
        "experiments.e.split.a.weight: missing; the variant's share, e.g. weight: 50");
    fails(b + "experiments: { e: { model: chat-default, split: { a: 1.5 } } }", Map.of(),
        "experiments.e.split.a: expected a whole number ≥ 0, got 1.5");
    fails(b + "experiments: { e: { model: chat-default, split: { a: 1 } }, f: { model: chat-default, split: { b: 1 } } }",
        Map.of(), "experiments.f.model: 'chat-default' is already split by experiments.e; one experiment per model");
  }

  @Test
  void priceOverridesAreCheckedAndKeyedByProviderOrFamily() {
    GatehouseConfig c = ConfigLoader.parse(String.join("\n",
        "prices:",
        "  local/llama-3.1-8b: { input: 0.05, output: 0.08 }",
        "  openai/gpt-4o-mini: { input: 0.10, cached_input: 0.05, output: 0.50,",
        "                        long_context: { threshold: 100000, input: 0.2, output: 1.0 } }",
        ""), null, Map.of());
    assertThat(c.prices()).containsOnlyKeys("local/llama-3.1-8b", "openai/gpt-4o-mini");
    assertThat(c.prices().get("openai/gpt-4o-mini").longContextThreshold()).isEqualTo(100_000);
    assertThat(ConfigLoader.parse("", null, Map.of()).prices()).isEmpty();

    failsStartingWith("prices: { llama: { input: 1, output: 2 } }", Map.of(), "prices.llama: name a model as provider/model");
    failsStartingWith("prices: { a/b: { input: 1 } }", Map.of(), "prices.a/b: needs numeric input and output");
    failsStartingWith("prices: { a/b: { input: 1, output: 2, cache_read: 1 } }", Map.of(),
        "prices.a/b.cache_read: unknown key; allowed here: input, output, cached_input, cache_write, reasoning, long_context");
  }

  @Test
  void tracingAndDrainSettings() {
    GatehouseConfig off = ConfigLoader.load(Map.of());
    assertThat(off.tracing().endpoint()).isNull();
    assertThat(off.drainTimeout()).isEqualTo(java.time.Duration.ofSeconds(30));
    GatehouseConfig env = ConfigLoader.load(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/",
        "OTEL_SERVICE_NAME", "edge-gw", "GATEHOUSE_KAFKA_TOPIC", "events.custom"));
    assertThat(env.tracing().endpoint()).isEqualTo("http://collector:4318/v1/traces");
    assertThat(env.tracing().serviceName()).isEqualTo("edge-gw");
    assertThat(env.kafka().topic()).isEqualTo("events.custom");
    assertThat(ConfigLoader.load(Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318/custom/path"))
        .tracing().endpoint()).isEqualTo("http://c:4318/custom/path");
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")))
        .hasMessageContaining("tracing.otlp_endpoint");
  }
}
