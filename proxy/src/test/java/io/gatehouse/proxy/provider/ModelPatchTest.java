package io.gatehouse.proxy.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ModelPatchTest {
  private static String patch(String body, String model) {
    return new String(ModelPatch.replace(body.getBytes(StandardCharsets.UTF_8), model), StandardCharsets.UTF_8);
  }

  @Test
  void onlyTheTopLevelModelValueChanges() {
    String body = "{ \"a\" : 1.50, \"model\" :\"anthropic/claude-\\u00e9\" ,\"metadata\":{\"model\":\"keep\"},"
        + " \"text\": \"caf\u00e9 \\\"q\\\"\" }";
    assertThat(patch(body, "claude-\"x\""))
        .isEqualTo("{ \"a\" : 1.50, \"model\" :\"claude-\\\"x\\\"\" ,\"metadata\":{\"model\":\"keep\"},"
            + " \"text\": \"caf\u00e9 \\\"q\\\"\" }");
  }

  @Test
  void modelAfterNestedValuesAndMultiByteTextIsFound() {
    String body = "{\"messages\":[{\"content\":\"\u00e9\u4e2d\"}],\"model\":\"a/b\"}";
    assertThat(patch(body, "b")).isEqualTo("{\"messages\":[{\"content\":\"\u00e9\u4e2d\"}],\"model\":\"b\"}");
  }

  @Test
  void bodyWithoutModelIsReturnedAsIs() {
    assertThat(patch("{\"x\":[1,2]}", "m")).isEqualTo("{\"x\":[1,2]}");
    assertThatThrownBy(() -> ModelPatch.replace("[1]".getBytes(StandardCharsets.UTF_8), "m"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
