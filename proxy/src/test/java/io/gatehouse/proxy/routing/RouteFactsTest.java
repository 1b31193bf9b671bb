package io.gatehouse.proxy.routing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.undertow.util.HeaderMap;
import io.undertow.util.HttpString;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouteFactsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static RouteFacts facts(Map<String, String> headers, String body) {
    HeaderMap map = new HeaderMap();
    headers.forEach((k, v) -> map.put(HttpString.tryFromString(k), v));
    try {
      return RouteFacts.of(map, (ObjectNode) JSON.readTree(body));
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  @Test
  void readsAttributionAsTheEventDoes() {
    RouteFacts f = facts(Map.of("X-Gatehouse-Team", " research ", "x-gatehouse-feature", "summarize",
        "x-gatehouse-tags", "env=prod, tier = gold", "x-gatehouse-session", "s-1", "X-Tenant", "acme"),
        "{\"model\":\"m\",\"user\":\"body-user\",\"messages\":[]}");
    assertThat(f.user()).isEqualTo("body-user");
    assertThat(f.team()).isEqualTo("research");
    assertThat(f.feature()).isEqualTo("summarize");
    assertThat(f.session()).isEqualTo("s-1");
    assertThat(f.tags()).containsOnly(Map.entry("env", "prod"), Map.entry("tier", "gold"));
    assertThat(f.header().apply("x-tenant")).isEqualTo("acme");
    assertThat(f.header().apply("x-absent")).isNull();
    // the header wins over the body field, as in Attribution
    assertThat(facts(Map.of("x-gatehouse-user", "u-h"), "{\"user\":\"u-b\"}").user()).isEqualTo("u-h");
  }

  @Test
  void estimatesPromptTokensFromTheTextOnly() {
    String image = "data:image/png;base64," + "A".repeat(4000);
    RouteFacts f = facts(Map.of(), "{\"messages\":["
        + "{\"role\":\"system\",\"content\":\"" + "s".repeat(40) + "\"},"
        + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"" + "t".repeat(39) + "\"},"
        + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + image + "\"}}]},"
        + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\","
        + "\"function\":{\"name\":\"abcd\",\"arguments\":\"{\\\"q\\\":1}\"}}]}]}");
    // 40 + 39 + 4 + 7 = 90 chars → ceil(90 / 4) = 23; the base64 image is not counted
    assertThat(f.estimatedPromptTokens()).isEqualTo(23);
    assertThat(f.hasImages()).isTrue();
    assertThat(f.hasTools()).isFalse();
  }

  @Test
  void toolsAndImagesAreDetected() {
    assertThat(facts(Map.of(), "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
        + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}").hasTools()).isTrue();
    assertThat(facts(Map.of(), "{\"functions\":[{\"name\":\"f\"}]}").hasTools()).isTrue();
    assertThat(facts(Map.of(), "{\"tools\":[]}").hasTools()).isFalse();
    RouteFacts plain = facts(Map.of(), "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(plain.hasImages()).isFalse();
    assertThat(plain.estimatedPromptTokens()).isEqualTo(1);
    // malformed shapes give empty facts, not exceptions (the request check rejects them later)
    RouteFacts odd = facts(Map.of(), "{\"messages\":\"nope\",\"tools\":{}}");
    assertThat(odd.estimatedPromptTokens()).isZero();
    assertThat(odd.hasImages()).isFalse();
    assertThat(odd.hasTools()).isFalse();
  }
}
