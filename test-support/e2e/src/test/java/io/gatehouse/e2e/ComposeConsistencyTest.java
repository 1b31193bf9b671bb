package io.gatehouse.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.gatehouse.ingest.IngestConfig;
import io.gatehouse.ingest.health.HealthEndpoint;
import io.gatehouse.proxy.config.ConfigLoader;
import io.gatehouse.proxy.config.GatehouseConfig;
import io.gatehouse.proxy.http.OpsHandler;
import io.gatehouse.schemas.Topics;
import io.gatehouse.ui.server.VaadinUndertow;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * No Docker engine runs in CI, so docker-compose.yml and the Dockerfiles are checked against the
 * services' own configuration code instead: every environment variable the file sets is one the
 * service reads, ports agree from compose to Dockerfile to the port the service binds, the topics the
 * init job creates are the ones proxy and ingest use, every Dockerfile copies the jar the build makes,
 * each service's health check asks its own readiness endpoint on its own port, and the log format asked
 * for is one each service's logging configuration has.
 */
class ComposeConsistencyTest {
  private static final Path ROOT = Path.of(System.getProperty("gatehouse.root", "../.."));
  private static final Pattern DEFAULTED = Pattern.compile("\\$\\{([A-Z0-9_]+):-([^}]*)}");
  private static final String LOG_FORMAT = "GATEHOUSE_LOG_FORMAT";
  private static final String LOG_APPENDERS = "gatehouse/logback-appenders.xml";
  private static JsonNode services;

  @BeforeAll
  static void read() throws Exception {
    services = new YAMLMapper().readTree(ROOT.resolve("docker-compose.yml").toFile()).get("services");
  }

  @Test
  void everyServiceTheTopologyNeedsIsThere() {
    assertThat(names(services)).contains("kafka", "kafka-init", "clickhouse", "proxy", "ingest", "analytics-ui");
  }

  @Test
  void proxyReadsEveryVariableItIsGivenAndListensWhereComposeAndTheDockerfileSay() throws Exception {
    Map<String, String> env = env("proxy");
    Recording recording = new Recording(env);
    GatehouseConfig config = ConfigLoader.load(recording);
    assertThat(recording.read).as("variables the proxy reads").containsAll(env.keySet());
    assertThat(containerPorts("proxy")).containsExactly(config.port());
    assertThat(exposed("proxy")).isEqualTo(config.port());
    assertThat(config.kafka().bootstrap()).isEqualTo(advertisedKafka());
    assertThat(config.kafka().topic()).isEqualTo(Topics.EVENTS_V1);
    assertThat(config.events().spool().dir().toString()).isEqualTo(volumeTarget("proxy", "proxy-spool"))
        .isEqualTo(dockerEnv("proxy", "GATEHOUSE_SPOOL_DIR"));
    assertReadinessCheck("proxy", config.port(), OpsHandler.READY);
    Duration grace = Duration.parse("PT" + services.at("/proxy/stop_grace_period").asText().toUpperCase());
    assertThat(grace).as("docker waits longer than the proxy drains").isGreaterThan(config.drainTimeout());
  }

  @Test
  void ingestReadsEveryVariableItIsGivenAndUsesTheTopicsTheInitJobCreates() throws Exception {
    Map<String, String> env = env("ingest");
    Recording recording = new Recording(env);
    IngestConfig config = IngestConfig.fromEnv(recording);
    assertThat(recording.read).as("variables ingest reads").containsAll(env.keySet());
    assertThat(config.kafkaBootstrap()).isEqualTo(advertisedKafka());
    GatehouseConfig proxy = ConfigLoader.load(env("proxy"));
    assertThat(config.topic()).as("ingest consumes what the proxy produces").isEqualTo(proxy.kafka().topic())
        .isEqualTo(Topics.EVENTS_V1);
    assertThat(exposed("ingest")).isEqualTo(config.port());
    assertReadinessCheck("ingest", config.port(), HealthEndpoint.READY);
    assertClickHouse(config.clickHouseUrl());

    String init = services.at("/kafka-init/command/0").asText();
    Set<String> created = new HashSet<>();
    Matcher m = Pattern.compile("--topic (\\S+)").matcher(init);
    while (m.find()) {
      created.add(m.group(1));
    }
    GatehouseConfig proxyConfig = ConfigLoader.load(env("proxy"));
    assertThat(created).containsExactlyInAnyOrder(config.topic(), config.dlqTopic(), Topics.FEEDBACK_V1,
        proxyConfig.access().keysTopic(), proxyConfig.access().spendTopic());
    assertThat(init).contains("--topic " + config.topic() + " --partitions 6")
        .contains("--topic " + proxyConfig.access().keysTopic() + " --partitions 1 --replication-factor 1 --config "
            + "cleanup.policy=compact")
        .contains("--topic " + proxyConfig.access().spendTopic() + " --partitions 1");
  }

  @Test
  void theUiTalksToTheSameClickHouseOnItsDocumentedPort() throws Exception {
    Map<String, String> env = env("analytics-ui");
    assertClickHouse(URI.create(env.get("GATEHOUSE_CLICKHOUSE_URL")));
    int port = Integer.parseInt(env.get("GATEHOUSE_UI_PORT"));
    assertThat(containerPorts("analytics-ui")).containsExactly(port);
    assertThat(exposed("analytics-ui")).isEqualTo(port);
    assertThat(env.get("GATEHOUSE_UI_HOST")).as("reachable from outside the container").isEqualTo("0.0.0.0");
    assertReadinessCheck("analytics-ui", port, VaadinUndertow.READY);
  }

  @Test
  void everyServiceLogsJsonWithTheSharedAppenders() throws Exception {
    String appenders = Files.readString(ROOT.resolve("schemas/src/main/resources/" + LOG_APPENDERS));
    for (String service : new String[] {"proxy", "ingest", "analytics-ui"}) {
      String format = services.at("/" + service + "/environment/" + LOG_FORMAT).asText();
      assertThat(format).as(service + " " + LOG_FORMAT).isEqualTo("json");
      assertThat(appenders).contains("<appender name=\"" + format + "\"");
      Path logback = ROOT.resolve(module(service)).resolve("src/main/resources/logback.xml");
      assertThat(Files.readString(logback)).as(logback.toString())
          .contains("<include resource=\"" + LOG_APPENDERS + "\"/>")
          .contains("<appender-ref ref=\"${" + LOG_FORMAT + ":-text}\"/>");
    }
  }

  @Test
  void everyDockerfileBuildsItsModuleAndCopiesTheJarTheBuildMakes() throws Exception {
    for (String service : new String[] {"proxy", "ingest", "analytics-ui"}) {
      assertThat(services.at("/" + service + "/build/context").asText()).isEqualTo(".");
      Path dockerfile = ROOT.resolve(services.at("/" + service + "/build/dockerfile").asText());
      String module = module(service);
      assertThat(ROOT.resolve(module).resolve("pom.xml")).as("module of " + dockerfile).isRegularFile();
      Matcher copy = Pattern.compile("COPY --from=build /src/(\\S+\\.jar) ").matcher(Files.readString(dockerfile));
      assertThat(copy.find()).as(dockerfile + " copies a jar").isTrue();
      assertThat(ROOT.resolve(copy.group(1))).as("the jar `mvn package` makes for " + service).isRegularFile();
      assertThat(copy.group(1)).startsWith(module + "/target/");
    }
  }

  // ------------------------------------------------------------------------------------------ helpers

  /**
   * The service's environment with compose's {@code ${VAR:-default}} resolved to the default (or a
   * placeholder); without {@link #LOG_FORMAT}, which logback reads, not the service's configuration code.
   */
  private static Map<String, String> env(String service) {
    Map<String, String> env = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = services.at("/" + service + "/environment").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals(LOG_FORMAT)) {
        continue;
      }
      Matcher m = DEFAULTED.matcher(e.getValue().asText());
      String value = m.matches() ? (m.group(2).isEmpty() && !e.getKey().equals("GATEHOUSE_CONFIG")
          ? "placeholder-" + e.getKey().toLowerCase() : m.group(2)) : e.getValue().asText();
      env.put(e.getKey(), value);
    }
    return env;
  }

  /**
   * The health check runs bash (the JRE image's sh is dash, which has no /dev/tcp; there is no curl)
   * and asks {@code path} on the port the service binds, expecting a 200.
   */
  private static void assertReadinessCheck(String service, int port, String path) {
    JsonNode test = services.at("/" + service + "/healthcheck/test");
    assertThat(test.get(0).asText() + " " + test.get(1).asText() + " " + test.get(2).asText())
        .as(service + " health check").isEqualTo("CMD bash -c");
    assertThat(test.get(3).asText()).as(service + " health check")
        .contains("/dev/tcp/127.0.0.1/" + port + " ").contains("'GET " + path + " HTTP/1.0")
        .endsWith("grep -q ' 200 ' <&3");
  }

  /** The Maven module the service's Dockerfile builds. */
  private static String module(String service) throws Exception {
    Matcher build = Pattern.compile("mvn -B -q -pl (\\S+) -am package").matcher(dockerfile(service));
    assertThat(build.find()).as(service + " Dockerfile builds a module").isTrue();
    return build.group(1);
  }

  private static Set<String> names(JsonNode object) {
    Set<String> names = new HashSet<>();
    object.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static Set<Integer> containerPorts(String service) {
    Set<Integer> ports = new HashSet<>();
    services.at("/" + service + "/ports").forEach(p -> ports.add(Integer.parseInt(p.asText().replaceAll(".*:", ""))));
    return ports;
  }

  private static int exposed(String service) throws Exception {
    Matcher m = Pattern.compile("(?m)^EXPOSE (\\d+)$").matcher(dockerfile(service));
    assertThat(m.find()).as(service + " Dockerfile exposes a port").isTrue();
    return Integer.parseInt(m.group(1));
  }

  private static String dockerEnv(String service, String name) throws Exception {
    Matcher m = Pattern.compile("(?m)^ENV " + name + "=(\\S+)$").matcher(dockerfile(service));
    assertThat(m.find()).as(service + " Dockerfile sets " + name).isTrue();
    return m.group(1);
  }

  private static String dockerfile(String service) throws Exception {
    return Files.readString(ROOT.resolve(services.at("/" + service + "/build/dockerfile").asText()));
  }

  private static String volumeTarget(String service, String volume) {
    for (JsonNode v : services.at("/" + service + "/volumes")) {
      String[] parts = v.asText().split(":");
      if (parts[0].equals(volume)) {
        return parts[1];
      }
    }
    throw new AssertionError(service + " mounts no volume " + volume);
  }

  private static String advertisedKafka() {
    String listeners = services.at("/kafka/environment/KAFKA_ADVERTISED_LISTENERS").asText();
    String address = listeners.replaceAll(".*PLAINTEXT://([^,]+).*", "$1");
    assertThat(address).startsWith("kafka:");
    return address;
  }

  private static void assertClickHouse(URI url) {
    assertThat(url.getHost()).isEqualTo("clickhouse");
    assertThat(url.getPort()).as("ClickHouse's HTTP interface").isEqualTo(8123);
    assertThat(url.getPath()).as("the services choose the database (gatehouse) themselves").isIn("", "/");
  }

  /** An environment that remembers which variables were asked for. */
  private static final class Recording extends AbstractMap<String, String> {
    final Set<String> read = new HashSet<>();
    private final Map<String, String> values;

    Recording(Map<String, String> values) {
      this.values = new HashMap<>(values);
    }

    @Override
    public String get(Object key) {
      read.add((String) key);
      return values.get(key);
    }

    @Override
    public String getOrDefault(Object key, String fallback) {
      read.add((String) key);
      return values.getOrDefault(key, fallback);
    }

    @Override
    public boolean containsKey(Object key) {
      read.add((String) key);
      return values.containsKey(key);
    }

    @Override
    public Set<Entry<String, String>> entrySet() {
      return values.entrySet();
    }
  }
}
