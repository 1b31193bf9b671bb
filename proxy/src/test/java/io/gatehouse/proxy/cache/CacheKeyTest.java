package io.gatehouse.proxy.cache;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class CacheKeyTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BASE = """
      {"model":"chat","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],
       "temperature":0.7,"max_tokens":100,"user":"alice","stream":true,"stream_options":{"include_usage":true},
       "metadata":{"feature":"faq"},"store":false}
      """;

  private static ObjectNode base() throws Exception {
    return (ObjectNode) JSON.readTree(BASE);
  }

  private static String key(ObjectNode request) {
    return CacheKey.of(request, "global", "chat", "openai/gpt-4o-mini", CacheKey.Form.JSON).exact();
  }

  /** Each of these, added to or changed in the request, must change the key. */
  @ParameterizedTest
  @ValueSource(strings = {
      "{\"temperature\":0.8}", "{\"top_p\":0.9}", "{\"max_tokens\":101}", "{\"max_completion_tokens\":5}",
      "{\"n\":2}", "{\"seed\":7}", "{\"stop\":[\"\\n\"]}", "{\"presence_penalty\":0.1}",
      "{\"frequency_penalty\":0.1}", "{\"logit_bias\":{\"50256\":-100}}", "{\"logprobs\":true}",
      "{\"top_logprobs\":2}", "{\"response_format\":{\"type\":\"json_object\"}}",
      "{\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}", "{\"tool_choice\":\"none\"}",
      "{\"parallel_tool_calls\":false}", "{\"reasoning_effort\":\"high\"}", "{\"service_tier\":\"flex\"}",
      "{\"modalities\":[\"text\"]}", "{\"top_k\":40}", "{\"some_future_param\":1}",
      "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief!\"},{\"role\":\"user\",\"content\":\"Hi\"}]}",
      "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hi \"}]}",
      "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"})
  void everyAnswerChangingParameterChangesTheKey(String change) throws Exception {
    ObjectNode changed = base();
    changed.setAll((ObjectNode) JSON.readTree(change));
    assertThat(key(changed)).isNotEqualTo(key(base()));
  }

  @Test
  void attributionAndFramingDoNotChangeTheKey() throws Exception {
    ObjectNode changed = base();
    changed.put("user", "bob").put("stream", false).put("store", true);
    changed.set("metadata", JSON.readTree("{\"feature\":\"other\"}"));
    changed.remove("stream_options");
    assertThat(key(changed)).isEqualTo(key(base()));
  }

  @Test
  void keyOrderAndNumberSpellingDoNotMatter() throws Exception {
    ObjectNode a = (ObjectNode) JSON.readTree("{\"temperature\":1,\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    ObjectNode b = (ObjectNode) JSON.readTree("{\"messages\":[{\"content\":\"x\",\"role\":\"user\"}],\"max_tokens\":1e2,\"temperature\":1.0}");
    assertThat(key(a)).isEqualTo(key(b));
  }

  @Test
  void aStringIsNotTheNumberItSpells() throws Exception {
    ObjectNode a = (ObjectNode) JSON.readTree("{\"seed\":1,\"messages\":[]}");
    ObjectNode b = (ObjectNode) JSON.readTree("{\"seed\":\"1\",\"messages\":[]}");
    assertThat(key(a)).isNotEqualTo(key(b));
  }

  @Test
  void scopeRouteTargetAndFormAreInTheKey() throws Exception {
    ObjectNode r = base();
    String k = key(r);
    assertThat(CacheKey.of(r, "team:a", "chat", "openai/gpt-4o-mini", CacheKey.Form.JSON).exact()).isNotEqualTo(k);
    assertThat(CacheKey.of(r, "global", "other", "openai/gpt-4o-mini", CacheKey.Form.JSON).exact()).isNotEqualTo(k);
    assertThat(CacheKey.of(r, "global", "chat", "openai/gpt-4o", CacheKey.Form.JSON).exact()).isNotEqualTo(k);
    assertThat(CacheKey.of(r, "global", "chat", "openai/gpt-4o-mini", CacheKey.Form.SSE).exact()).isNotEqualTo(k);
    assertThat(CacheKey.of(r, "global", "chat", "openai/gpt-4o-mini", CacheKey.Form.SSE_WITH_USAGE).exact())
        .isNotEqualTo(CacheKey.of(r, "global", "chat", "openai/gpt-4o-mini", CacheKey.Form.SSE).exact());
  }

  @Test
  void thePartitionIsEverythingButTheLastUserTurn() throws Exception {
    ObjectNode a = base();
    ObjectNode b = base();
    ((ObjectNode) b.get("messages").get(1)).put("content", "Hello there");
    CacheKey.Keys ka = CacheKey.of(a, "global", "chat", "t", CacheKey.Form.JSON);
    CacheKey.Keys kb = CacheKey.of(b, "global", "chat", "t", CacheKey.Form.JSON);
    assertThat(ka.exact()).isNotEqualTo(kb.exact());
    assertThat(ka.partition()).isEqualTo(kb.partition()).isNotNull();
    assertThat(kb.lastUserText()).isEqualTo("Hello there");
    assertThat(kb.userTurns()).isEqualTo(1);
    ((ObjectNode) b.get("messages").get(0)).put("content", "Be long.");
    assertThat(CacheKey.of(b, "global", "chat", "t", CacheKey.Form.JSON).partition()).isNotEqualTo(ka.partition());
    b.put("temperature", 0);
    assertThat(CacheKey.of(b, "global", "chat", "t", CacheKey.Form.JSON).partition()).isNotEqualTo(ka.partition());
  }

  @Test
  void aConversationNotEndingWithATextUserTurnHasNoPartition() throws Exception {
    ObjectNode r = (ObjectNode) JSON.readTree("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},"
        + "{\"role\":\"assistant\",\"content\":\"Hello\"}]}");
    assertThat(CacheKey.of(r, "global", "c", "t", CacheKey.Form.JSON).partition()).isNull();
    ObjectNode image = (ObjectNode) JSON.readTree("{\"messages\":[{\"role\":\"user\",\"content\":["
        + "{\"type\":\"text\",\"text\":\"What is this?\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]}");
    assertThat(CacheKey.of(image, "global", "c", "t", CacheKey.Form.JSON).partition()).isNull();
    assertThat(CacheKey.textOf(JSON.valueToTree(Map.of("a", 1)))).isNull();
  }
}
