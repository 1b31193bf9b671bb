package io.gatehouse.proxy.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.proxy.config.ConfigLoader;
import io.gatehouse.proxy.config.GatehouseConfig;
import io.gatehouse.proxy.provider.ProviderRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouteTableTest {
  private static RouteTable table(String yaml, Map<String, String> env) {
    GatehouseConfig config = ConfigLoader.parse(yaml, "test.yaml", env);
    return new RouteTable(config, new ProviderRegistry(config));
  }

  @Test
  void bareModelNameGoesToZeroConfigOpenAi() {
    RouteTable routes = table("", Map.of("OPENAI_API_KEY", "sk-test"));
    RouteTable.Route route = (RouteTable.Route) routes.resolve("gpt-4o-mini");
    assertThat(route.provider().name()).isEqualTo("openai");
    assertThat(route.upstreamModel()).isEqualTo("gpt-4o-mini");
    assertThat(route.route()).isEqualTo("openai/gpt-4o-mini");
  }

  @Test
  void bareModelNameGoesToTheOnlyProvider() {
    RouteTable routes = table("providers:\n  local: { type: openai-compatible, base_url: \"http://127.0.0.1:1/v1\" }\n", Map.of());
    assertThat(((RouteTable.Route) routes.resolve("llama3")).provider().name()).isEqualTo("local");
  }

  @Test
  void bareModelNameIsAnErrorWhenTheDefaultIsAmbiguous() {
    RouteTable routes = table(
        "providers:\n  a: { type: openai-compatible, base_url: \"http://127.0.0.1:1/v1\" }\n"
            + "  b: { type: openai-compatible, base_url: \"http://127.0.0.1:2/v1\" }\n", Map.of());
    RouteTable.RouteError error = (RouteTable.RouteError) routes.resolve("llama3");
    assertThat(error.status()).isEqualTo(404);
    assertThat(error.message()).contains("provider/model").contains("a, b");
  }

  @Test
  void unknownPrefixIsNeverSentToTheDefaultProvider() {
    RouteTable routes = table("", Map.of("OPENAI_API_KEY", "sk-test"));
    RouteTable.RouteError error = (RouteTable.RouteError) routes.resolve("opnai/gpt-4o");
    assertThat(error.message()).contains("Unknown provider 'opnai'");
  }

  @Test
  void anthropicEndpointRoutesOnlyToAnthropicProviders() {
    RouteTable routes = table("models:\n  smart: { targets: [\"anthropic/claude-x\"] }\n"
        + "  cheap: { targets: [\"openai/gpt-4o-mini\"] }\n",
        Map.of("OPENAI_API_KEY", "sk-test", "ANTHROPIC_API_KEY", "sk-ant"));
    RouteTable.Route bare = (RouteTable.Route) routes.resolveAnthropic("claude-3-5-haiku-latest");
    assertThat(bare.provider().name()).isEqualTo("anthropic");
    assertThat(bare.upstreamModel()).isEqualTo("claude-3-5-haiku-latest");
    assertThat(((RouteTable.Route) routes.resolveAnthropic("anthropic/claude-y")).upstreamModel()).isEqualTo("claude-y");
    RouteTable.Route alias = (RouteTable.Route) routes.resolveAnthropic("smart");
    assertThat(alias.upstreamModel()).isEqualTo("claude-x");
    assertThat(alias.route()).isEqualTo("smart");

    RouteTable.RouteError openAi = (RouteTable.RouteError) routes.resolveAnthropic("openai/gpt-4o");
    assertThat(openAi.status()).isEqualTo(400);
    assertThat(openAi.code()).isEqualTo("invalid_request_error");
    assertThat(openAi.message()).contains("openai").contains("Anthropic providers configured: anthropic");
    assertThat(((RouteTable.RouteError) routes.resolveAnthropic("cheap")).status()).isEqualTo(400);
    RouteTable.RouteError unknown = (RouteTable.RouteError) routes.resolveAnthropic("nope/claude");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.code()).isEqualTo("not_found_error");
    assertThat(((RouteTable.RouteError) routes.resolveAnthropic(null)).status()).isEqualTo(400);
  }

  @Test
  void anthropicEndpointTakesNoBareNamesWithoutAnAnthropicProvider() {
    RouteTable routes = table("", Map.of("OPENAI_API_KEY", "sk-test"));
    RouteTable.RouteError error = (RouteTable.RouteError) routes.resolveAnthropic("claude-x");
    assertThat(error.status()).isEqualTo(404);
    assertThat(error.message()).contains("Anthropic providers configured: none").contains("ANTHROPIC_API_KEY");
  }
}
