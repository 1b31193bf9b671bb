package io.gatehouse.proxy.provider.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What the tap reads from a forwarded Messages stream, fed in pieces that split events and lines. */
class MessagesTapTest {
  private static MessagesTap tapOf(String stream, int pieceSize) {
    MessagesTap tap = new MessagesTap();
    byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i += pieceSize) {
      ByteBuffer piece = ByteBuffer.wrap(bytes, i, Math.min(pieceSize, bytes.length - i));
      tap.observe(piece);
      assertThat(piece.remaining()).as("the piece itself is not consumed").isPositive();
    }
    return tap;
  }

  private static String event(String name, String data) {
    return "event: " + name + "\ndata: " + data + "\n\n";
  }

  private static String delta(String deltaJson) {
    return event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":" + deltaJson + "}");
  }

  @Test
  void readsTheAnswerUsageAndStopFromAStream() {
    String stream = event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
            + "\"role\":\"assistant\",\"model\":\"claude-3-5-haiku-20241022\",\"content\":[],\"stop_reason\":null,"
            + "\"usage\":{\"input_tokens\":25,\"cache_read_input_tokens\":5,\"output_tokens\":1}}}")
        + event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}")
        + event("ping", "{\"type\":\"ping\"}")
        + delta("{\"type\":\"text_delta\",\"text\":\"Hello \\\"wörld\\\"\\n\"}")
        + delta("{\"text\":\"again\",\"type\":\"text_delta\",\"extra\":{\"a\":[1,2]}}") // any field order
        + event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
        + event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
            + "\"usage\":{\"output_tokens\":12}}")
        + event("message_stop", "{\"type\":\"message_stop\"}");
    for (int pieceSize : new int[] {1, 7, 64, stream.length()}) {
      MessagesTap tap = tapOf(stream, pieceSize);
      assertThat(tap.text()).isEqualTo("Hello \"wörld\"\nagain");
      assertThat(tap.model()).isEqualTo("claude-3-5-haiku-20241022");
      assertThat(tap.stopReason()).isEqualTo("end_turn");
      assertThat(tap.stopped()).isTrue();
      assertThat(tap.usage().inputTokens()).as("input plus cache reads").isEqualTo(30L);
      assertThat(tap.usage().cachedInputTokens()).isEqualTo(5L);
      assertThat(tap.usage().outputTokens()).isEqualTo(12L);
    }
  }

  @Test
  void keepsOnlyTextDeltasAsATreeWould() {
    String stream = delta("{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\":\"}")
        + delta("{\"type\":\"thinking_delta\",\"thinking\":\"hmm\",\"text\":\"not this\"}")
        + delta("{\"type\":\"text_delta\",\"text\":null}")                           // nothing to add
        + delta("{\"type\":\"text_delta\",\"text\":\"a\"},\"delta\":{\"type\":\"text_delta\",\"text\":\"b\"}") // last wins
        + delta("{\"type\":\"text_delta\",\"text\":\"c\"},\"delta\":{\"type\":\"x\"}")
        + delta("\"text_delta\"")
        + delta("{\"type\":\"text_delta\",\"text\":\"cut") // not JSON: ignored
        + event("content_block_delta", "[1,2]")
        + event("content_block_delta", "")
        + delta("{\"type\":\"text_delta\",\"text\":\"d\",\"type\":\"text_delta\"}");
    MessagesTap tap = tapOf(stream, 5);
    assertThat(tap.text()).isEqualTo("bd");
    assertThat(tap.stopped()).isFalse();
  }
}
