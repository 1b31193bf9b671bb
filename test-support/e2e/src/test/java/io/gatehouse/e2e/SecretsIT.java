package io.gatehouse.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.proxy.GatehouseProxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * No provider key, virtual key or admin token in any log line or any ClickHouse row: real proxy (with
 * virtual keys), real Kafka, ingest and ClickHouse. Every log line of this JVM (proxy, ingest, Kafka
 * clients, at DEBUG for Gatehouse) is captured while keys are created, used, rotated and revoked, bad keys
 * are tried, and a user pastes a key into a prompt; then all of it and every row ClickHouse holds are scanned.
 */
class SecretsIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final String PROVIDER_KEY = "sk-proj-e2eProviderSecret9x8y7z";
  private static final String ADMIN_TOKEN = "admin-e2e-token-3c9d1b";

  @Test
  void noKeyOrTokenReachesALogLineOrAClickHouseRow() throws Exception {
    GatehouseStack stack = GatehouseStack.get();
    List<String> lines = new CopyOnWriteArrayList<>();
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    AppenderBase<ILoggingEvent> capture = new AppenderBase<>() {
      @Override
      protected void append(ILoggingEvent e) {
        lines.add(e.getLoggerName() + " " + e.getFormattedMessage()
            + (e.getThrowableProxy() == null ? "" : " " + ThrowableProxyUtil.asString(e.getThrowableProxy())));
      }
    };
    capture.setContext(context);
    capture.start();
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Logger gatehouse = context.getLogger("io.gatehouse");
    ch.qos.logback.classic.Level before = gatehouse.getLevel();
    root.addAppender(capture);
    gatehouse.setLevel(ch.qos.logback.classic.Level.DEBUG);

    String feature = "secrets-" + UUID.randomUUID();
    Path config = Files.createTempFile("gatehouse-secrets", ".yaml");
    Files.writeString(config, "providers:\n  fake: { type: openai-compatible, base_url: \"" + stack.fake.baseUrl()
        + "\", keys: [\"" + PROVIDER_KEY + "\"] }\nadmin: { token: \"" + ADMIN_TOKEN + "\" }\n");
    Map<String, String> env = new HashMap<>();
    env.put("GATEHOUSE_KAFKA_BOOTSTRAP", stack.kafka.bootstrapServers());
    env.put("GATEHOUSE_PORT", "0");
    env.put("GATEHOUSE_CONFIG", config.toString());
    env.put("GATEHOUSE_SPOOL_DIR", Files.createTempDirectory("gatehouse-secrets-spool").toString());
    List<String> secrets = new java.util.ArrayList<>(List.of(PROVIDER_KEY, ADMIN_TOKEN));
    int requests = 0;
    try (GatehouseProxy proxy = GatehouseProxy.start(env)) {
      String base = "http://127.0.0.1:" + proxy.port();
      JsonNode created = JSON.readTree(admin(base, "POST", "/admin/keys",
          "{\"name\":\"e2e\",\"team\":\"secrets\",\"budget\":{\"usd\":100,\"period\":\"month\"},\"rpm\":1000}"));
      String key = created.get("key").asText();
      String id = created.get("id").asText();
      secrets.add(key);
      for (int i = 0; i < 5; i++) {
        assertThat(chat(base, key, feature, "question " + i)).isEqualTo(200);
        requests++;
      }
      // a user pastes the key into the prompt: redaction must mask it before it is published
      assertThat(chat(base, key, feature, "my key is " + key + " and the provider's is " + PROVIDER_KEY)).isEqualTo(200);
      requests++;
      String wrong = key.substring(0, key.length() - 3) + "zzz"; // a typo of a real key is as secret as the key
      secrets.add(wrong);
      assertThat(chat(base, wrong, feature, "wrong key")).isEqualTo(401);
      requests++;
      String rotated = JSON.readTree(admin(base, "POST", "/admin/keys/" + id + "/rotate", null)).get("key").asText();
      secrets.add(rotated);
      assertThat(chat(base, key, feature, "old key after rotation")).isEqualTo(401);
      requests++;
      assertThat(chat(base, rotated, feature, "new key")).isEqualTo(200);
      requests++;
      admin(base, "DELETE", "/admin/keys/" + id, null);
      assertThat(chat(base, rotated, feature, "revoked key")).isEqualTo(401);
      requests++;
      // logs stay captured until ingest has written the rows: its insert path logs too
      String where = " FROM gatehouse.events WHERE feature = '" + feature + "'";
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (Long.parseLong(stack.clickhouse.query("SELECT count()" + where).strip()) < requests) {
        assertThat(System.nanoTime()).as("%d rows for %s in ClickHouse", requests, feature).isLessThan(deadline);
        Thread.sleep(100); // poll interval, bounded by the deadline above
      }
      String rows = stack.clickhouse.query("SELECT *" + where + " FORMAT TabSeparated");
      assertThat(rows.split("\n")).hasSize(requests);
      assertThat(rows).as("the pasted key was masked, the prompt kept").contains("my key is ");
    } finally {
      root.detachAppender(capture);
      gatehouse.setLevel(before);
    }

    // every row of every table Gatehouse keeps: events, rollups, feedback, migrations
    StringBuilder all = new StringBuilder();
    List<String> tables = List.of(stack.clickhouse.query("SELECT name FROM system.tables WHERE database = 'gatehouse' "
        + "AND engine NOT LIKE '%View' FORMAT TabSeparated").strip().split("\n"));
    assertThat(tables).as("tables scanned").contains("events", "rollup_hourly", "rollup_daily_user");
    for (String table : tables) {
      all.append(stack.clickhouse.query("SELECT * FROM gatehouse." + table + " FORMAT TabSeparated")).append('\n');
    }
    String everything = all.toString();
    assertThat(lines).as("log lines captured").isNotEmpty();
    String logs = String.join("\n", lines);
    for (String secret : secrets) {
      assertThat(everything).as("ClickHouse rows").doesNotContain(secret);
      assertThat(logs).as("log lines").doesNotContain(secret);
      // a key's distinctive tail would show a partial leak too
      assertThat(everything + logs).doesNotContain(secret.substring(secret.length() - 12));
    }
    System.out.printf("secrets: %d requests, %d rows of %d tables scanned, %d log lines scanned, %d secrets absent%n",
        requests, everything.split("\n").length, tables.size(), lines.size(), secrets.size());
  }

  private static String admin(String base, String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + ADMIN_TOKEN)
        .header("content-type", "application/json");
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isBetween(200, 299);
    return r.body();
  }

  private static int chat(String base, String key, String feature, String text) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
        .header("content-type", "application/json").header("Authorization", "Bearer " + key)
        .header("x-gatehouse-feature", feature)
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"fake/gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
            + "\"content\":" + JSON.writeValueAsString(text) + "}]}")).build(), HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }
}
