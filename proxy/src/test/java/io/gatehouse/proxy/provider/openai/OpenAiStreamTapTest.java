package io.gatehouse.proxy.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.provider.Usage;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class OpenAiStreamTapTest {
  private static final String ROLE =
      "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-2024\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}],\"usage\":null}\n\n";
  private static final String HELLO =
      "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-2024\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Héllo\"},\"finish_reason\":null}],\"usage\":null}\n\n";
  private static final String WORLD =
      "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-2024\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" world\"},\"finish_reason\":null}],\"usage\":null}\n\n";
  private static final String FINISH =
      "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-2024\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n";
  private static final String USAGE =
      "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-2024\",\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":2,\"total_tokens\":13,\"prompt_tokens_details\":{\"cached_tokens\":3},\"completion_tokens_details\":{\"reasoning_tokens\":1}}}\n\n";
  private static final String DONE = "data: [DONE]\n\n";
  private static final String ALL = ROLE + HELLO + WORLD + FINISH + USAGE + DONE;

  private static String feedAll(OpenAiStreamTap tap, byte[] bytes, int pieceSize) {
    StringBuilder out = new StringBuilder();
    java.io.ByteArrayOutputStream sent = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < bytes.length; i += pieceSize) {
      ByteBuffer piece = ByteBuffer.wrap(bytes, i, Math.min(pieceSize, bytes.length - i));
      ByteBuffer forward = tap.feed(piece);
      assertThat(piece.hasRemaining()).isFalse();
      sent.write(forward.array(), forward.arrayOffset() + forward.position(), forward.remaining());
    }
    ByteBuffer rest = tap.remainder();
    sent.write(rest.array(), rest.arrayOffset() + rest.position(), rest.remaining());
    out.append(sent.toString(StandardCharsets.UTF_8));
    return out.toString();
  }

  @Test
  void dropsTheUsageChunkWhenTheClientDidNotAskButRecordsItsUsage() {
    byte[] bytes = ALL.getBytes(StandardCharsets.UTF_8);
    for (int pieceSize : new int[] {1, 2, 3, 7, 64, bytes.length}) {
      OpenAiStreamTap tap = new OpenAiStreamTap(false);
      String forwarded = feedAll(tap, bytes, pieceSize);
      assertThat(forwarded).as("piece size %d", pieceSize).isEqualTo(ROLE + HELLO + WORLD + FINISH + DONE);
      assertThat(tap.usage()).isEqualTo(new Usage(11L, 2L, 3L, 1L));
      assertThat(tap.completion()).isEqualTo("Héllo world");
      assertThat(tap.finishReason()).isEqualTo("stop");
      assertThat(tap.model()).isEqualTo("gpt-4o-2024");
      assertThat(tap.done()).isTrue();
      assertThat(tap.events()).isEqualTo(6);
    }
  }

  @Test
  void forwardsEverythingUntouchedWhenTheClientAskedForUsage() {
    byte[] bytes = ALL.getBytes(StandardCharsets.UTF_8);
    for (int pieceSize : new int[] {1, 5, bytes.length}) {
      OpenAiStreamTap tap = new OpenAiStreamTap(true);
      assertThat(feedAll(tap, bytes, pieceSize)).isEqualTo(ALL);
      assertThat(tap.usage().inputTokens()).isEqualTo(11L);
    }
  }

  @Test
  void completeEventsAreReleasedByTheChunkThatCompletesThem() {
    OpenAiStreamTap tap = new OpenAiStreamTap(false);
    String half = HELLO.substring(0, 30);
    assertThat(tap.feed(utf8(ROLE + half)).remaining()).isEqualTo(ROLE.getBytes(StandardCharsets.UTF_8).length);
    ByteBuffer next = tap.feed(utf8(HELLO.substring(30)));
    assertThat(StandardCharsets.UTF_8.decode(next).toString()).isEqualTo(HELLO);
    assertThat(tap.feed(utf8(USAGE)).remaining()).isZero();
  }

  @Test
  void handlesCrlfFramingCommentsAndStreamErrors() {
    OpenAiStreamTap tap = new OpenAiStreamTap(false);
    String crlf = ": keep-alive\r\n\r\n" + HELLO.replace("\n\n", "\r\n\r\n") + USAGE.replace("\n\n", "\r\n\r\n")
        + "data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\r\n\r\n";
    String out = StandardCharsets.UTF_8.decode(tap.feed(utf8(crlf))).toString();
    assertThat(out).startsWith(": keep-alive\r\n\r\n").contains("Héllo").doesNotContain("prompt_tokens").contains("overloaded");
    assertThat(tap.usage().outputTokens()).isEqualTo(2L);
    assertThat(tap.errorMessage()).isEqualTo("overloaded");
    assertThat(tap.errorType()).isEqualTo("server_error");
    assertThat(tap.done()).isFalse();
  }

  @Test
  void readsAnEventWhoseJsonSpansSeveralDataLines() {
    OpenAiStreamTap tap = new OpenAiStreamTap(false);
    String split = "event: chunk\r\ndata:{\"model\":\"gpt-4o-2024\",\r\ndata: \"choices\":[{\"index\":0,\"delta\":"
        + "{\"content\":\"Héllo\"},\r\ndata:\"finish_reason\":\"stop\"}]}\r\n\r\n";
    assertThat(StandardCharsets.UTF_8.decode(tap.feed(utf8(split))).toString()).isEqualTo(split);
    assertThat(tap.completion()).isEqualTo("Héllo");
    assertThat(tap.finishReason()).isEqualTo("stop");
    assertThat(tap.model()).isEqualTo("gpt-4o-2024");
    assertThat(tap.errorMessage()).isNull();
  }

  @Test
  void incompleteTailIsReturnedAsRemainder() {
    OpenAiStreamTap tap = new OpenAiStreamTap(false);
    assertThat(tap.feed(utf8(HELLO + "data: {\"partial")).remaining()).isEqualTo(HELLO.getBytes(StandardCharsets.UTF_8).length);
    assertThat(StandardCharsets.UTF_8.decode(tap.remainder()).toString()).isEqualTo("data: {\"partial");
    assertThat(tap.finishReason()).isNull();
  }

  @Test
  void upstreamBodyPatchesModelAndAsksForUsageWithoutTouchingTheClientsOptions() throws Exception {
    ObjectMapper json = new ObjectMapper();
    ObjectNode request = (ObjectNode) json.readTree(
        "{\"model\":\"openai/gpt-4o\",\"stream\":true,\"stream_options\":{\"include_usage\":false},\"messages\":[]}");
    var clientOptions = request.get("stream_options");
    byte[] body = OpenAiChat.upstreamBody(request, "gpt-4o", true);
    var sent = json.readTree(body);
    assertThat(sent.path("model").asText()).isEqualTo("gpt-4o");
    assertThat(sent.path("stream_options").path("include_usage").asBoolean()).isTrue();
    assertThat(clientOptions.path("include_usage").asBoolean()).isFalse();
    ObjectNode plain = (ObjectNode) json.readTree("{\"model\":\"a/b\",\"messages\":[]}");
    assertThat(json.readTree(OpenAiChat.upstreamBody(plain, "b", false)).has("stream_options")).isFalse();
  }

  @Test
  void readsChunksWhateverTheOrderOfTheirFieldsAndOnlyChoiceZero() {
    OpenAiStreamTap tap = new OpenAiStreamTap(false);
    String reordered = "data: {\"choices\":[{\"delta\":{\"content\":\"other\"},\"index\":1},"
        + "{\"finish_reason\":null,\"delta\":{\"tool_calls\":[{\"index\":0}],\"content\":\"A\"},\"index\":0}],"
        + "\"usage\":null,\"model\":\"m-1\",\"extra\":{\"nested\":[1,{\"x\":\"y\"}]}}\n\n"
        + "data: {\"model\":\"m-2\",\"choices\":[{\"index\":0,\"delta\":{\"content\":null},\"finish_reason\":\"length\"}]}\n\n"
        + "data: {\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":1},\"choices\":[]}\n\n";
    String out = StandardCharsets.UTF_8.decode(tap.feed(utf8(reordered))).toString();
    assertThat(out).doesNotContain("prompt_tokens").contains("other");
    assertThat(tap.completion()).isEqualTo("A");
    assertThat(tap.model()).isEqualTo("m-1");
    assertThat(tap.finishReason()).isEqualTo("length");
    assertThat(tap.usage().inputTokens()).isEqualTo(4L);
    assertThat(tap.events()).isEqualTo(3);
  }

  @Test
  void aBrokenChunkChangesNothingButEndsTheStreamWithAnErrorEvent() {
    OpenAiStreamTap tap = new OpenAiStreamTap(false);
    String broken = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lost\"}}],\"model\":\"m\"\n\n";
    String out = StandardCharsets.UTF_8.decode(tap.feed(utf8(HELLO + broken + WORLD))).toString();
    assertThat(out).startsWith(HELLO).contains("malformed_chunk").doesNotContain("lost").doesNotContain(" world");
    assertThat(tap.completion()).isEqualTo("Héllo");
    assertThat(tap.errorType()).isEqualTo("upstream_error");
  }

  @Test
  void anErrorEventWinsOverTheRestOfItsChunkAndNonJsonDataIsForwarded() {
    OpenAiStreamTap tap = new OpenAiStreamTap(false);
    String events = "data: keep-alive\n\ndata: [1,2]\n\n"
        + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ignored\"}}],\"error\":{\"type\":\"server_error\",\"message\":\"boom\"}}\n\n";
    assertThat(StandardCharsets.UTF_8.decode(tap.feed(utf8(events))).toString()).isEqualTo(events);
    assertThat(tap.errorMessage()).isEqualTo("boom");
    assertThat(tap.errorType()).isEqualTo("server_error");
    assertThat(tap.completion()).isEmpty();
  }

  private static ByteBuffer utf8(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
  }
}
