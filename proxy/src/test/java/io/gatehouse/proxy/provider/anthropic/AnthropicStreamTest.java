package io.gatehouse.proxy.provider.anthropic;

import static io.gatehouse.proxy.provider.Fixtures.ANTHROPIC;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The upstream SSE bytes → OpenAI SSE bytes, for real recorded streams split at every byte. */
class AnthropicStreamTest {

  private static AnthropicStream stream() {
    return new AnthropicStream(new AnthropicStreamTranslator("claude-x", true, 1700000000L));
  }

  private static String feed(AnthropicStream s, byte[]... pieces) {
    StringBuilder out = new StringBuilder();
    for (byte[] p : pieces) {
      ByteBuffer b = s.feed(ByteBuffer.wrap(p));
      out.append(StandardCharsets.UTF_8.decode(b));
    }
    return out.toString();
  }

  @Test
  void textStreamGivesTheSameOpenAiBytesWhereverItIsSplit() {
    byte[] all = ANTHROPIC.text("stream-text.sse").getBytes(StandardCharsets.UTF_8);
    AnthropicStream whole = stream();
    String expected = feed(whole, all);
    assertThat(expected).startsWith("data: {").endsWith("data: [DONE]\n\n").doesNotContain("event:");
    assertThat(expected.split("\n\n")).allMatch(frame -> frame.startsWith("data: "));
    assertThat(whole.done()).isTrue();
    assertThat(whole.finishReason()).isNotNull();
    assertThat(whole.usage().outputTokens()).isNotNull();
    assertThat(whole.errorMessage()).isNull();
    for (int cut = 0; cut <= all.length; cut++) {
      AnthropicStream s = stream();
      assertThat(feed(s, Arrays.copyOfRange(all, 0, cut), Arrays.copyOfRange(all, cut, all.length)))
          .as("split at %d", cut).isEqualTo(expected);
      assertThat(s.completion()).isEqualTo(whole.completion());
    }
  }

  @Test
  void anErrorEventBecomesOneOpenAiErrorLineAndNoDone() {
    byte[] all = ANTHROPIC.text("stream-error.sse").getBytes(StandardCharsets.UTF_8);
    for (int cut = 0; cut <= all.length; cut++) {
      AnthropicStream s = stream();
      String out = feed(s, Arrays.copyOfRange(all, 0, cut), Arrays.copyOfRange(all, cut, all.length));
      assertThat(out).as("split at %d", cut).doesNotContain("[DONE]").contains("data: {\"error\":{")
          .contains("Overloaded");
      assertThat(s.errorMessage()).isEqualTo("Overloaded");
      assertThat(s.errorType()).isNotNull();
      assertThat(s.done()).isFalse();
      assertThat(s.usage().inputTokens()).isEqualTo(10L);
    }
  }

  @Test
  void nothingIsHeldBackOnceAnEventIsComplete() {
    AnthropicStream s = stream();
    assertThat(feed(s, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\","
        .getBytes(StandardCharsets.UTF_8))).isEmpty();
    assertThat(feed(s, "\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n".getBytes(StandardCharsets.UTF_8)))
        .startsWith("data: {").contains("\"role\":\"assistant\"");
    assertThat(s.remainder().hasRemaining()).isFalse();
  }
}
