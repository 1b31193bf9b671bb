package io.gatehouse.proxy.keys;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.proxy.config.ConfigException;
import io.gatehouse.proxy.config.ConfigValues;
import io.gatehouse.proxy.limits.Budget;
import io.gatehouse.proxy.limits.Period;
import io.gatehouse.proxy.limits.RateLimit;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BinaryOperator;

/**
 * The {@code admin:}, {@code keys:}, {@code budgets:} and {@code limits:} sections: who may manage virtual
 * keys, whether requests need one, and the team/user budgets and rate limits.
 *
 * <pre>
 * admin:   { token: "${GATEHOUSE_ADMIN_TOKEN}" }
 * keys:    { required: false, topic: gatehouse.keys.v1 }
 * budgets: { teams: { search: { usd: 50, period: month } }, users: { alice: { usd: 5, period: day } } }
 * limits:  { teams: { search: { rpm: 600, tpm: 200000 } }, default_max_tokens: 4096,
 *            spend_topic: gatehouse.spend.v1, decision_timeout: 2s, hold_ttl: 15m }
 * </pre>
 *
 * @param adminToken bearer token of the admin API, or null (admin API off); never printed
 * @param keysRequired every proxied request needs a valid virtual key ({@code GATEHOUSE_KEYS_REQUIRED})
 * @param defaultMaxTokens output tokens assumed for a request that sets no {@code max_tokens}
 * @param decisionTimeout how long a request waits for the spend log before it is admitted without it
 * @param holdTtl a reservation never settled is released after this long
 */
public record AccessConfig(String adminToken, boolean keysRequired, String keysTopic, String spendTopic,
    Map<String, Budget> teamBudgets, Map<String, Budget> userBudgets, Map<String, RateLimit> teamLimits,
    int defaultMaxTokens, Duration decisionTimeout, Duration holdTtl) {

  public static final String KEYS_TOPIC = "gatehouse.keys.v1";
  public static final String SPEND_TOPIC = "gatehouse.spend.v1";
  public static final AccessConfig DEFAULT = new AccessConfig(null, false, KEYS_TOPIC, SPEND_TOPIC, Map.of(),
      Map.of(), Map.of(), 4096, Duration.ofSeconds(2), Duration.ofMinutes(15));

  public AccessConfig {
    teamBudgets = Map.copyOf(teamBudgets);
    userBudgets = Map.copyOf(userBudgets);
    teamLimits = Map.copyOf(teamLimits);
  }

  /** Whether any team or user budget or team limit is configured. */
  public boolean hasConfiguredLimits() {
    return !teamBudgets.isEmpty() || !userBudgets.isEmpty() || !teamLimits.isEmpty();
  }

  @Override
  public String toString() {
    return "AccessConfig[adminToken=" + (adminToken == null ? "none" : "***") + ", keysRequired=" + keysRequired
        + ", keysTopic=" + keysTopic + ", spendTopic=" + spendTopic + ", teamBudgets=" + teamBudgets
        + ", userBudgets=" + userBudgets + ", teamLimits=" + teamLimits + ", defaultMaxTokens=" + defaultMaxTokens
        + ", decisionTimeout=" + decisionTimeout + ", holdTtl=" + holdTtl + "]";
  }

  /**
   * Parses the four sections (each may be null) and the environment overrides.
   *
   * @param interpolate {@code (value, path) → value} with {@code ${VAR}} replaced
   */
  public static AccessConfig parse(JsonNode admin, JsonNode keys, JsonNode budgets, JsonNode limits,
      Map<String, String> env, BinaryOperator<String> interpolate) {
    String token = null;
    if (present(admin)) {
      object(admin, "admin", Set.of("token"));
      if (present(admin.get("token"))) {
        token = blankToNull(interpolate.apply(text(admin.get("token"), "admin.token"), "admin.token"));
      }
    }
    if (blankToNull(env.get("GATEHOUSE_ADMIN_TOKEN")) != null) {
      token = env.get("GATEHOUSE_ADMIN_TOKEN").strip();
    }
    boolean required = false;
    String keysTopic = KEYS_TOPIC;
    if (present(keys)) {
      object(keys, "keys", Set.of("required", "topic"));
      if (present(keys.get("required"))) {
        required = bool(interpolate.apply(text(keys.get("required"), "keys.required"), "keys.required"),
            "keys.required");
      }
      if (present(keys.get("topic"))) {
        keysTopic = nonBlank(keys.get("topic"), "keys.topic");
      }
    }
    if (blankToNull(env.get("GATEHOUSE_KEYS_REQUIRED")) != null) {
      required = bool(env.get("GATEHOUSE_KEYS_REQUIRED"), "GATEHOUSE_KEYS_REQUIRED");
    }
    Map<String, Budget> teams = new LinkedHashMap<>();
    Map<String, Budget> users = new LinkedHashMap<>();
    if (present(budgets)) {
      object(budgets, "budgets", Set.of("teams", "users"));
      budgetsOf(budgets.get("teams"), "budgets.teams", teams);
      budgetsOf(budgets.get("users"), "budgets.users", users);
    }
    Map<String, RateLimit> teamLimits = new LinkedHashMap<>();
    int defaultMaxTokens = DEFAULT.defaultMaxTokens;
    String spendTopic = SPEND_TOPIC;
    Duration decisionTimeout = DEFAULT.decisionTimeout;
    Duration holdTtl = DEFAULT.holdTtl;
    if (present(limits)) {
      object(limits, "limits", Set.of("teams", "default_max_tokens", "spend_topic", "decision_timeout", "hold_ttl"));
      if (present(limits.get("teams"))) {
        for (Iterator<Map.Entry<String, JsonNode>> it = object(limits.get("teams"), "limits.teams", null).fields();
            it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          teamLimits.put(e.getKey(), rateLimit(e.getValue(), "limits.teams." + e.getKey()));
        }
      }
      if (present(limits.get("default_max_tokens"))) {
        defaultMaxTokens = positive(limits.get("default_max_tokens"), "limits.default_max_tokens");
      }
      if (present(limits.get("spend_topic"))) {
        spendTopic = nonBlank(limits.get("spend_topic"), "limits.spend_topic");
      }
      if (present(limits.get("decision_timeout"))) {
        decisionTimeout = duration(limits.get("decision_timeout"), "limits.decision_timeout");
      }
      if (present(limits.get("hold_ttl"))) {
        holdTtl = duration(limits.get("hold_ttl"), "limits.hold_ttl");
      }
    }
    return new AccessConfig(token, required, keysTopic, spendTopic, teams, users, teamLimits, defaultMaxTokens,
        decisionTimeout, holdTtl);
  }

  /** {@code { rpm, tpm }}, both optional positive integers. */
  public static RateLimit rateLimit(JsonNode n, String path) {
    object(n, path, Set.of("rpm", "tpm"));
    Integer rpm = present(n.get("rpm")) ? positive(n.get("rpm"), path + ".rpm") : null;
    Integer tpm = present(n.get("tpm")) ? positive(n.get("tpm"), path + ".tpm") : null;
    return new RateLimit(rpm, tpm);
  }

  /** {@code { usd, period }}: usd ≥ 0, period {@code day} or {@code month} (default month). */
  public static Budget budget(JsonNode n, String path) {
    object(n, path, Set.of("usd", "period"));
    JsonNode usd = n.get("usd");
    if (usd == null || !usd.isNumber() || usd.asDouble() < 0) {
      throw new ConfigException(path + ".usd", "expected a number of USD ≥ 0, e.g. usd: 50");
    }
    Period period = Period.MONTH;
    if (present(n.get("period"))) {
      period = Period.parse(n.get("period").asText());
      if (period == null) {
        throw new ConfigException(path + ".period", "expected day or month, got '" + n.get("period").asText() + "'");
      }
    }
    return new Budget(usd.asDouble(), period);
  }

  private static void budgetsOf(JsonNode n, String path, Map<String, Budget> out) {
    if (!present(n)) {
      return;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = object(n, path, null).fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      out.put(e.getKey(), budget(e.getValue(), path + "." + e.getKey()));
    }
  }

  private static boolean present(JsonNode n) {
    return n != null && !n.isNull() && !n.isMissingNode();
  }

  private static JsonNode object(JsonNode n, String path, Set<String> allowed) {
    if (!n.isObject()) {
      throw new ConfigException(path, "expected a mapping (key: value)");
    }
    if (allowed != null) {
      for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        if (!allowed.contains(k)) {
          throw new ConfigException(path + "." + k, "unknown key; allowed here: "
              + String.join(", ", allowed.stream().sorted().toList()));
        }
      }
    }
    return n;
  }

  private static String text(JsonNode n, String path) {
    if (!n.isValueNode()) {
      throw new ConfigException(path, "expected a value");
    }
    return n.asText();
  }

  private static String nonBlank(JsonNode n, String path) {
    String s = blankToNull(text(n, path));
    if (s == null) {
      throw new ConfigException(path, "must not be empty");
    }
    return s.strip();
  }

  private static int positive(JsonNode n, String path) {
    if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() <= 0) {
      throw new ConfigException(path, "expected a whole number > 0");
    }
    return n.asInt();
  }

  private static boolean bool(String s, String path) {
    return switch (s.strip().toLowerCase(Locale.ROOT)) {
      case "1", "true", "yes", "on" -> true;
      case "0", "false", "no", "off" -> false;
      default -> throw new ConfigException(path, "expected true or false, got '" + s + "'");
    };
  }

  private static Duration duration(JsonNode n, String path) {
    Duration d = ConfigValues.duration(text(n, path).strip());
    if (d == null) {
      throw new ConfigException(path, "expected a duration such as 500ms, 2s, 15m or 1h");
    }
    return d;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
