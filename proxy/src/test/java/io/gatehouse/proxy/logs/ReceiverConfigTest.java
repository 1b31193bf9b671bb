package io.gatehouse.proxy.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.proxy.config.ConfigException;
import io.gatehouse.proxy.config.ConfigLoader;
import io.gatehouse.proxy.config.GatehouseConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code receivers:} section and its environment overrides. */
class ReceiverConfigTest {
  @Test
  void defaultsAreProxyModeWithOpenReceivers() {
    assertThat(ConfigLoader.parse("", null, Map.of()).receivers()).isEqualTo(GatehouseConfig.ReceiverSettings.DEFAULT);
  }

  @Test
  void yamlAndEnvironment() {
    GatehouseConfig.ReceiverSettings fromFile = ConfigLoader.parse(
        "receivers: { log_only: true, ingest_token: \"${TOK}\" }", "g.yaml", Map.of("TOK", "s3cret")).receivers();
    assertThat(fromFile.logOnly()).isTrue();
    assertThat(fromFile.ingestToken()).isEqualTo("s3cret");
    assertThat(fromFile.toString()).doesNotContain("s3cret");
    GatehouseConfig.ReceiverSettings env = ConfigLoader.parse("receivers: { log_only: true, ingest_token: a }", "g.yaml",
        Map.of("GATEHOUSE_LOG_ONLY", "0", "GATEHOUSE_INGEST_TOKEN", "b")).receivers();
    assertThat(env).isEqualTo(new GatehouseConfig.ReceiverSettings(false, "b"));
    assertThat(ConfigLoader.parse("", null, Map.of("GATEHOUSE_LOG_ONLY", "1")).receivers().logOnly()).isTrue();
  }

  @Test
  void errorsNameThePath() {
    assertThatThrownBy(() -> ConfigLoader.parse("receivers: { log_ony: true }", "g.yaml", Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("receivers.log_ony: unknown key");
    assertThatThrownBy(() -> ConfigLoader.parse("", null, Map.of("GATEHOUSE_LOG_ONLY", "maybe")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("GATEHOUSE_LOG_ONLY");
  }
}
