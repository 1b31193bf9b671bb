package io.gatehouse.proxy.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** Token counts follow OpenAI's encodings and its chat counting recipe. */
class TokenEstimatorTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void picksTheEncodingByModelFamily() {
    assertThat(TokenEstimator.usesO200k("gpt-4o-mini")).isTrue();
    assertThat(TokenEstimator.usesO200k("openai/gpt-4.1-nano")).isTrue();
    assertThat(TokenEstimator.usesO200k("o3-mini")).isTrue();
    assertThat(TokenEstimator.usesO200k("gpt-5")).isTrue();
    assertThat(TokenEstimator.usesO200k("gpt-4-turbo")).isFalse();
    assertThat(TokenEstimator.usesO200k("claude-sonnet-4-5")).isFalse();
    assertThat(TokenEstimator.usesO200k("omni-llama")).isFalse();
  }

  @Test
  void countsTextWithTheModelsEncoding() {
    assertThat(TokenEstimator.text("gpt-4o", "hello world")).isEqualTo(2);
    assertThat(TokenEstimator.text("gpt-4", "hello world")).isEqualTo(2);
    assertThat(TokenEstimator.text("gpt-4o", "")).isZero();
    assertThat(TokenEstimator.text("gpt-4o", null)).isZero();
  }

  @Test
  void countsChatMessagesWithFramingNamesToolCallsAndAnthropicBlocks() throws Exception {
    JsonNode one = JSON.readTree("[{\"role\":\"user\",\"content\":\"hello world\"}]");
    int base = TokenEstimator.prompt("gpt-4o", one);
    assertThat(base).isEqualTo(TokenEstimator.text("gpt-4o", "user\nhello world\n") + 3 + 3);

    JsonNode named = JSON.readTree("[{\"role\":\"user\",\"name\":\"ann\",\"content\":\"hello world\"}]");
    assertThat(TokenEstimator.prompt("gpt-4o", named)).isEqualTo(base + 1 + TokenEstimator.text("gpt-4o", "ann"));

    JsonNode toolCall = JSON.readTree("[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\","
        + "\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Oslo\\\"}\"}}]}]");
    assertThat(TokenEstimator.prompt("gpt-4o", toolCall))
        .isEqualTo(6 + TokenEstimator.text("gpt-4o", "assistant\nget_weather\n{\"city\":\"Oslo\"}\n"));

    JsonNode anthropic = JSON.readTree("[{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t1\","
        + "\"name\":\"get_weather\",\"input\":{\"city\":\"Oslo\"}}]},{\"role\":\"user\",\"content\":[{\"type\":"
        + "\"tool_result\",\"tool_use_id\":\"t1\",\"content\":[{\"type\":\"text\",\"text\":\"12 C\"}]}]}]");
    assertThat(TokenEstimator.prompt("claude-sonnet-4-5", anthropic)).isEqualTo(3 + 3 + 3
        + TokenEstimator.text("claude", "assistant\n{\"city\":\"Oslo\"}\n")
        + TokenEstimator.text("claude", "user\n12 C\n"));
  }

  @Test
  void imagesAreNotCountedAndNonArraysCountAsText() throws Exception {
    JsonNode image = JSON.readTree("[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
        + "\"image_url\":{\"url\":\"data:image/png;base64,AAAA\"}}]}]");
    assertThat(TokenEstimator.prompt("gpt-4o", image)).isEqualTo(6 + TokenEstimator.text("gpt-4o", "user\n"));
    assertThat(TokenEstimator.prompt("gpt-4o", JSON.readTree("\"hello world\""))).isEqualTo(2);
    assertThat(TokenEstimator.prompt("gpt-4o", null)).isZero();
  }
}
