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
}
