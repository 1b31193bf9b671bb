package io.gatehouse.proxy.routing;

import static io.gatehouse.proxy.routing.RouteFactsTest.facts;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.proxy.config.ConfigLoader;
import io.gatehouse.proxy.config.GatehouseConfig;
import io.gatehouse.proxy.provider.ProviderRegistry;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RouteRulesTest {
  static final String PROVIDERS = String.join("\n",
      "providers:",
      "  openai: { type: openai, keys: [k] }",
      "  anthropic: { type: anthropic, keys: [k] }",
      "  local: { type: openai-compatible, base_url: \"http://l/v1\" }",
      "models:",
      "  chat-default: { targets: [openai/gpt-4o-mini, anthropic/claude-3-5-haiku] }",
      "  smart: { targets: [openai/gpt-4o, anthropic/claude-sonnet-4] }",
      "  vision: { targets: [openai/gpt-4o] }",
      "");

  private static final String RULES = PROVIDERS + String.join("\n",
      "routing:",
      "  rules:",
      "    - { when: { feature: summarize }, model: chat-default }",
      "    - { when: { team: research }, model: smart }",
      "    - { when: { user: vip }, model: anthropic/claude-opus-4 }",
      "    - { when: { tags: { env: staging, tier: free } }, model: local/llama-3 }",
      "    - { when: { header: { X-Tenant: acme } }, model: smart }",
      "    - { when: { prompt_tokens_over: 100 }, model: anthropic/claude-long }",
      "    - { when: { has_tools: true }, model: openai/gpt-4.1 }",
      "    - { when: { has_images: true }, model: vision }",
      "    - { when: { model: cheap, feature: chat }, model: local/small }",
      "");

  static RouteTable table(String yaml) {
    GatehouseConfig config = ConfigLoader.parse(yaml, "test.yaml", Map.of());
    return new RouteTable(config, new ProviderRegistry(config), new Random(7));
  }

  private static final RouteTable ROUTES = table(RULES);
  private static final String PLAIN = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  private static RouteTable.Route route(String model, Map<String, String> headers, String body) {
    return (RouteTable.Route) ROUTES.resolve(model, facts(headers, body));
  }

  private static String firstTarget(String model, Map<String, String> headers, String body) {
    return route(model, headers, body).targets().get(0).id();
  }

  @Test
  void eachAttributeMatches() {
    RouteTable.Route summarize = route("openai/gpt-4o", Map.of("x-gatehouse-feature", "summarize"), PLAIN);
    assertThat(summarize.route()).isEqualTo("chat-default");
    assertThat(summarize.targets()).extracting(RouteTable.Target::id)
        .containsExactly("openai/gpt-4o-mini", "anthropic/claude-3-5-haiku");
    assertThat(route("openai/gpt-4o", Map.of("x-gatehouse-team", "research"), PLAIN).route()).isEqualTo("smart");
    assertThat(firstTarget("openai/gpt-4o", Map.of(), "{\"user\":\"vip\",\"messages\":[]}"))
        .isEqualTo("anthropic/claude-opus-4");
    assertThat(firstTarget("openai/gpt-4o", Map.of("x-gatehouse-tags", "tier=free,env=staging,x=y"), PLAIN))
        .isEqualTo("local/llama-3");
    assertThat(route("openai/gpt-4o", Map.of("x-tenant", " acme "), PLAIN).route()).isEqualTo("smart");
    assertThat(firstTarget("openai/gpt-4o", Map.of(), "{\"messages\":[{\"role\":\"user\",\"content\":\""
        + "x".repeat(404) + "\"}]}")).isEqualTo("anthropic/claude-long");
    assertThat(firstTarget("openai/gpt-4o", Map.of(), "{\"messages\":[],\"tools\":[{\"type\":\"function\"}]}"))
        .isEqualTo("openai/gpt-4.1");
    assertThat(route("openai/gpt-4o", Map.of(), "{\"messages\":[{\"role\":\"user\",\"content\":"
        + "[{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/a.png\"}}]}]}").route()).isEqualTo("vision");
    assertThat(firstTarget("cheap", Map.of("x-gatehouse-feature", "chat"), PLAIN)).isEqualTo("local/small");
  }

  @Test
  void nearMissesDoNotMatch() {
    // every condition of a rule must hold, values compare exactly
    assertThat(route("openai/gpt-4o", Map.of("x-gatehouse-feature", "Summarize"), PLAIN).route())
        .isEqualTo("openai/gpt-4o");
    assertThat(route("openai/gpt-4o", Map.of("x-gatehouse-tags", "env=staging"), PLAIN).route())
        .isEqualTo("openai/gpt-4o");
    assertThat(route("openai/gpt-4o", Map.of("x-tenant", "acme2"), PLAIN).route()).isEqualTo("openai/gpt-4o");
    // exactly 100 estimated tokens is not over 100
    assertThat(route("openai/gpt-4o", Map.of(), "{\"messages\":[{\"role\":\"user\",\"content\":\""
        + "x".repeat(400) + "\"}]}").route()).isEqualTo("openai/gpt-4o");
    // a rule scoped to a model leaves other models alone
    assertThat(route("openai/gpt-4o", Map.of("x-gatehouse-feature", "chat"), PLAIN).route()).isEqualTo("openai/gpt-4o");
    assertThat(route("cheap", Map.of("x-gatehouse-feature", "other"), PLAIN).route()).isEqualTo("openai/cheap");
  }

  @Test
  void theFirstMatchingRuleWins() {
    // matches the feature rule (1st) and the team rule (2nd): the first wins
    assertThat(route("openai/gpt-4o", Map.of("x-gatehouse-feature", "summarize", "x-gatehouse-team", "research"),
        PLAIN).route()).isEqualTo("chat-default");
    assertThat(route("openai/gpt-4o", Map.of("x-gatehouse-team", "research", "x-tenant", "acme"), PLAIN)
        .route()).isEqualTo("smart");
  }

  @Test
  void aRuleCanRescueANameNothingElseKnowsButNotAMissingModel() {
    RouteTable routes = table(PROVIDERS.replace("  openai: { type: openai, keys: [k] }\n", "")
        .replace("openai/", "anthropic/") + "routing: { rules: [ { when: { model: gpt-4 }, model: smart } ] }\n");
    assertThat(((RouteTable.Route) routes.resolve("gpt-4", RouteFacts.NONE)).route()).isEqualTo("smart");
    assertThat(routes.resolve("gpt-5", RouteFacts.NONE)).isInstanceOf(RouteTable.RouteError.class);
    RouteTable.RouteError missing = (RouteTable.RouteError) routes.resolve(null, RouteFacts.NONE);
    assertThat(missing.code()).isEqualTo("missing_model");
  }

  @Test
  void theOneArgumentResolveAppliesNoRules() {
    // resolve(model) is for requests without facts (embeddings): a has_tools: false rule would match them
    RouteTable routes = table(PROVIDERS + "routing: { rules: [ { when: { has_tools: false }, model: smart } ] }\n");
    assertThat(((RouteTable.Route) routes.resolve("openai/text-embedding-3-small")).route())
        .isEqualTo("openai/text-embedding-3-small");
    assertThat(((RouteTable.Route) routes.resolve("openai/gpt-4o", RouteFacts.NONE)).route()).isEqualTo("smart");
  }
}
