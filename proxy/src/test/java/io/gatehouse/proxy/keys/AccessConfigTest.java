package io.gatehouse.proxy.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.proxy.config.ConfigException;
import io.gatehouse.proxy.config.ConfigLoader;
import io.gatehouse.proxy.limits.Budget;
import io.gatehouse.proxy.limits.Period;
import io.gatehouse.proxy.limits.RateLimit;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AccessConfigTest {

  @Test
  void defaultsAreOpenModeWithTheAdminApiOff() {
    AccessConfig access = ConfigLoader.parse("", null, Map.of()).access();
    assertThat(access.adminToken()).isNull();
    assertThat(access.keysRequired()).isFalse();
    assertThat(access.keysTopic()).isEqualTo("gatehouse.keys.v1");
    assertThat(access.spendTopic()).isEqualTo("gatehouse.spend.v1");
    assertThat(access.hasConfiguredLimits()).isFalse();
  }

  @Test
  void sectionsAndEnvironmentAreRead() {
    AccessConfig access = ConfigLoader.parse(String.join("\n",
        "admin: { token: \"${ADMIN}\" }",
        "keys: { required: true, topic: k }",
        "budgets: { teams: { search: { usd: 50 } }, users: { ana: { usd: 1.5, period: day } } }",
        "limits: { teams: { search: { rpm: 600 } }, default_max_tokens: 1000, decision_timeout: 500ms, hold_ttl: 5m }",
        ""), "x.yaml", Map.of("ADMIN", "t0ken", "GATEHOUSE_KEYS_REQUIRED", "0")).access();
    assertThat(access.adminToken()).isEqualTo("t0ken");
    assertThat(access.keysRequired()).as("the environment wins").isFalse();
    assertThat(access.keysTopic()).isEqualTo("k");
    assertThat(access.teamBudgets()).containsEntry("search", new Budget(50, Period.MONTH));
    assertThat(access.userBudgets()).containsEntry("ana", new Budget(1.5, Period.DAY));
    assertThat(access.teamLimits()).containsEntry("search", new RateLimit(600, null));
    assertThat(access.defaultMaxTokens()).isEqualTo(1000);
    assertThat(access.decisionTimeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(access.holdTtl()).isEqualTo(Duration.ofMinutes(5));
    assertThat(access.toString()).doesNotContain("t0ken");
  }

  @Test
  void errorsNameThePath() {
    assertThatThrownBy(() -> ConfigLoader.parse("budgets: { teams: { search: { usd: 5, period: week } } }", null,
        Map.of())).isInstanceOf(ConfigException.class).hasMessage("budgets.teams.search.period: expected day or month, "
        + "got 'week'");
    assertThatThrownBy(() -> ConfigLoader.parse("limits: { teams: { search: { rpm: -1 } } }", null, Map.of()))
        .hasMessage("limits.teams.search.rpm: expected a whole number > 0");
    assertThatThrownBy(() -> ConfigLoader.parse("keys: { requird: true }", null, Map.of()))
        .hasMessage("keys.requird: unknown key; allowed here: required, topic");
    assertThatThrownBy(() -> ConfigLoader.parse("budgets: { teams: { a: { usd: lots } } }", null, Map.of()))
        .hasMessageStartingWith("budgets.teams.a.usd: expected a number of USD");
    assertThatThrownBy(() -> ConfigLoader.parse("", null, Map.of("GATEHOUSE_KEYS_REQUIRED", "maybe")))
        .hasMessage("GATEHOUSE_KEYS_REQUIRED: expected true or false, got 'maybe'");
  }
}
