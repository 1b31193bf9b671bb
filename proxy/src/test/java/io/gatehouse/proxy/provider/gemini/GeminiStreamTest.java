package io.gatehouse.proxy.provider.gemini;

import static io.gatehouse.proxy.provider.Fixtures.GEMINI;
import static org.assertj.core.api.Assertions.assertThat;

import com.openai.core.ObjectMappers;
import com.openai.models.chat.completions.ChatCompletionChunk;
import io.gatehouse.proxy.provider.Usage;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Gemini SSE bytes → OpenAI SSE bytes, for recorded-shape streams split at every byte. */
class GeminiStreamTest {
  private static final String ID = "chatcmpl-mG0maeyAJ8K7z7IP3q2EwQs";
  private static final String HEAD = "{\"id\":\"" + ID + "\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
      + "\"model\":\"gemini-2.5-flash\",\"choices\":[{\"index\":0,\"delta\":";

  private static GeminiStream stream(boolean clientWantsUsage) {
    return new GeminiStream(new GeminiStreamTranslator("gemini-x", clientWantsUsage, 1_700_000_000L));
  }

  /** Everything the client gets: each piece fed in order, then the remainder. */
  private static String run(GeminiStream s, byte[]... pieces) {
    StringBuilder out = new StringBuilder();
    for (byte[] p : pieces) {
      out.append(StandardCharsets.UTF_8.decode(s.feed(ByteBuffer.wrap(p))));
    }
    out.append(StandardCharsets.UTF_8.decode(s.remainder()));
    return out.toString();
  }

  /** The output of {@code all} split in two at every byte; asserts it is always the same and returns it. */
  private static String sameWhereverSplit(byte[] all, boolean clientWantsUsage) {
    String expected = run(stream(clientWantsUsage), all);
    for (int cut = 0; cut <= all.length; cut++) {
      GeminiStream s = stream(clientWantsUsage);
      assertThat(run(s, Arrays.copyOfRange(all, 0, cut), Arrays.copyOfRange(all, cut, all.length)))
          .as("split at %d", cut).isEqualTo(expected);
    }
    return expected;
  }

  /** Parses every chunk with the official OpenAI SDK, as a client would. */
  private static List<ChatCompletionChunk> openAiChunks(String sse) throws Exception {
    assertThat(sse).endsWith("data: [DONE]\n\n");
    List<ChatCompletionChunk> chunks = new ArrayList<>();
    for (String frame : sse.split("\n\n")) {
      assertThat(frame).startsWith("data: ");
      String data = frame.substring("data: ".length());
      if (!data.equals("[DONE]")) {
        chunks.add(ObjectMappers.jsonMapper().readValue(data, ChatCompletionChunk.class).validate());
      }
    }
    return chunks;
  }

  @Test
  void textStreamBecomesOpenAiChunksWhereverItIsSplit() {
    String out = sameWhereverSplit(GEMINI.bytes("text.sse"), true);
    assertThat(out).isEqualTo(
        "data: " + HEAD + "{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n"
        + "data: " + HEAD + "{\"content\":\"Hello\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n"
        + "data: " + HEAD + "{\"content\":\"!\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n"
        + "data: " + HEAD + "{\"content\":\" How can I help you today?\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n"
        + "data: " + HEAD + "{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}\n\n"
        + "data: {\"id\":\"" + ID + "\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
        + "\"model\":\"gemini-2.5-flash\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":9,"
        + "\"total_tokens\":21,\"prompt_tokens_details\":{\"cached_tokens\":0},"
        + "\"completion_tokens_details\":{\"reasoning_tokens\":0}}}\n\n"
        + "data: [DONE]\n\n");
    GeminiStream s = stream(true);
    run(s, GEMINI.bytes("text.sse"));
    assertThat(s.done()).isTrue();
    assertThat(s.finishReason()).isEqualTo("stop");
    assertThat(s.completion()).isEqualTo("Hello! How can I help you today?");
    assertThat(s.model()).isEqualTo("gemini-2.5-flash");
    assertThat(s.usage()).isEqualTo(new Usage(12L, 9L, null, null));
    assertThat(s.errorMessage()).isNull();
  }

  @Test
  void lineFeedFramingGivesTheSameOutputAsCrLf() {
    String crlf = new String(GEMINI.bytes("text.sse"), StandardCharsets.UTF_8);
    assertThat(crlf).contains("\r\n\r\n");
    byte[] lf = crlf.replace("\r\n", "\n").getBytes(StandardCharsets.UTF_8);
    assertThat(run(stream(false), lf)).isEqualTo(run(stream(false), GEMINI.bytes("text.sse")));
  }

  @Test
  void theUsageChunkIsSentOnlyWhenTheClientAskedForIt() throws Exception {
    String out = run(stream(false), GEMINI.bytes("text.sse"));
    assertThat(out).doesNotContain("\"usage\"").endsWith("data: [DONE]\n\n");
    StringBuilder text = new StringBuilder();
    for (ChatCompletionChunk chunk : openAiChunks(out)) {
      chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append));
    }
    assertThat(text.toString()).isEqualTo("Hello! How can I help you today?");
  }

  @Test
  void functionCallsBecomeWholeToolCallDeltas() throws Exception {
    String out = sameWhereverSplit(GEMINI.bytes("stream-tools.sse"), true);
    List<ChatCompletionChunk> chunks = openAiChunks(out);
    List<ChatCompletionChunk.Choice.Delta.ToolCall> calls = new ArrayList<>();
    chunks.forEach(c -> c.choices().forEach(choice -> choice.delta().toolCalls().ifPresent(calls::addAll)));
    assertThat(calls).hasSize(2);
    assertThat(calls.get(0).index()).isEqualTo(0);
    assertThat(calls.get(0).id()).hasValue("call_KW8maf2jE8eUz7IP5aT-8Qw_0~sig~CtIBAVSoXO5vYw2Jk0mQ8aX9pZt3Lr1uE4sHq2nF7bVcD0xGy6Wk+A==");
    assertThat(calls.get(0).function().get().name()).hasValue("get_weather");
    assertThat(calls.get(0).function().get().arguments()).hasValue("{\"location\":\"Paris\"}");
    assertThat(calls.get(1).index()).isEqualTo(1);
    assertThat(calls.get(1).id()).hasValue("call_KW8maf2jE8eUz7IP5aT-8Qw_1");
    assertThat(calls.get(1).function().get().arguments()).hasValue("{\"location\":\"Ürümqi\"}");
    ChatCompletionChunk finish = chunks.get(chunks.size() - 2);
    assertThat(finish.choices().get(0).finishReason()).hasValue(ChatCompletionChunk.Choice.FinishReason.TOOL_CALLS);
    assertThat(chunks.get(chunks.size() - 1).usage().get().completionTokens()).isEqualTo(81);
    GeminiStream s = stream(false);
    run(s, GEMINI.bytes("stream-tools.sse"));
    assertThat(s.finishReason()).isEqualTo("tool_calls");
    assertThat(s.usage()).isEqualTo(new Usage(80L, 81L, null, 54L));
  }

  @Test
  void aCutStreamIsNotDoneAndGetsNothingMore() {
    byte[] all = GEMINI.bytes("cut.sse");
    String out = sameWhereverSplit(all, true);
    assertThat(out).doesNotContain("[DONE]").doesNotContain("finish_reason\":\"");
    GeminiStream s = stream(true);
    run(s, all);
    assertThat(s.done()).isFalse();
    assertThat(s.finishReason()).isNull();
    assertThat(s.errorMessage()).isNull();
    assertThat(s.completion()).isEqualTo("Hello!");
    assertThat(s.usage().inputTokens()).isEqualTo(12L);
  }

  @Test
  void anErrorEventBecomesOneOpenAiErrorLineAndEndsTheStream() {
    String out = sameWhereverSplit(GEMINI.bytes("stream-error.sse"), true);
    assertThat(out).doesNotContain("[DONE]").doesNotContain("ignored").endsWith(
        "data: {\"error\":{\"message\":\"The model is overloaded. Please try again later.\",\"type\":\"api_error\","
        + "\"param\":null,\"code\":\"UNAVAILABLE\"}}\n\n");
    GeminiStream s = stream(true);
    run(s, GEMINI.bytes("stream-error.sse"));
    assertThat(s.errorMessage()).isEqualTo("The model is overloaded. Please try again later.");
    assertThat(s.errorType()).isEqualTo("api_error");
    assertThat(s.done()).isFalse();
    assertThat(s.completion()).isEqualTo("The first");
  }

  @Test
  void anEventThatIsNotJsonIsAnError() {
    GeminiStream s = stream(false);
    String out = run(s, "data: <html>\r\n\r\n".getBytes(StandardCharsets.UTF_8));
    assertThat(out).startsWith("data: {\"error\":{").doesNotContain("[DONE]");
    assertThat(s.errorMessage()).contains("not a JSON object");
    assertThat(s.done()).isFalse();
  }

  @Test
  void aBlockedPromptEndsWithContentFilter() {
    GeminiStream s = stream(false);
    String out = run(s, ("data: {\"promptFeedback\": {\"blockReason\": \"SAFETY\"},\"usageMetadata\": "
        + "{\"promptTokenCount\": 9,\"totalTokenCount\": 9},\"modelVersion\": \"gemini-2.5-flash\"}\r\n\r\n")
        .getBytes(StandardCharsets.UTF_8));
    assertThat(out).contains("\"role\":\"assistant\"").contains("\"finish_reason\":\"content_filter\"")
        .endsWith("data: [DONE]\n\n");
    assertThat(s.done()).isTrue();
    assertThat(s.finishReason()).isEqualTo("content_filter");
  }

  @Test
  void nothingIsHeldBackOnceAnEventIsComplete() {
    GeminiStream s = stream(false);
    byte[] all = GEMINI.bytes("text.sse");
    String text = new String(all, StandardCharsets.UTF_8);
    int firstEnd = text.indexOf("\r\n\r\n") + 4;
    assertThat(StandardCharsets.UTF_8.decode(s.feed(ByteBuffer.wrap(all, 0, firstEnd - 2))).toString()).isEmpty();
    assertThat(StandardCharsets.UTF_8.decode(s.feed(ByteBuffer.wrap(all, firstEnd - 2, 2))).toString())
        .contains("\"role\":\"assistant\"").contains("\"content\":\"Hello\"");
  }
}
