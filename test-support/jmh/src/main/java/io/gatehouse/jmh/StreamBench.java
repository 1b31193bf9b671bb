package io.gatehouse.jmh;

import io.gatehouse.proxy.provider.ChatAdapter;
import io.gatehouse.proxy.provider.ChatStream;
import io.gatehouse.proxy.provider.anthropic.AnthropicAdapter;
import io.gatehouse.proxy.provider.anthropic.MessagesTap;
import io.gatehouse.proxy.provider.openai.OpenAiAdapter;
import io.gatehouse.testsupport.fake.FixtureChunks;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The stream path's per-chunk work, one whole recorded answer per operation ({@code fixtures/<dialect>/text.sse},
 * one piece per SSE event as the fake provider sends it; divide by {@link #OPENAI_CHUNKS} or
 * {@link #ANTHROPIC_CHUNKS} for the cost of one chunk). Each operation starts with the fresh per-stream
 * object the forwarder makes, as a request does:
 * <ul>
 *   <li>{@code openAiTap}: an OpenAI stream passing through ({@link OpenAiAdapter#stream}: the tap that
 *       frames events and reads model, text, finish_reason and usage, returning the bytes to forward);
 *   <li>{@code anthropicToOpenAi}: an Anthropic stream translated into OpenAI chunks ({@link AnthropicAdapter#stream});
 *   <li>{@code anthropicMessagesTap}: an Anthropic stream forwarded as is on {@code /v1/messages}, read for
 *       the event ({@link MessagesTap}).
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class StreamBench {
  /** SSE events in {@code fixtures/openai/text.sse}. */
  public static final int OPENAI_CHUNKS = 13;
  /** SSE events in {@code fixtures/anthropic/text.sse}. */
  public static final int ANTHROPIC_CHUNKS = 9;

  final List<ByteBuffer> openAi = FixtureChunks.of("openai", "text.sse");
  final List<ByteBuffer> anthropic = FixtureChunks.of("anthropic", "text.sse");
  // the base URLs are never called: adapters do no I/O
  private final ChatAdapter openAiAdapter = new OpenAiAdapter("http://127.0.0.1:9/v1", Map.of());
  private final ChatAdapter anthropicAdapter = new AnthropicAdapter("http://127.0.0.1:9", Map.of());

  @Benchmark
  public ChatStream openAiTap(Blackhole bh) {
    return feed(openAiAdapter.stream("gpt-4o-mini", false), openAi, bh);
  }

  @Benchmark
  public ChatStream anthropicToOpenAi(Blackhole bh) {
    return feed(anthropicAdapter.stream("claude-sonnet-4-5", false), anthropic, bh);
  }

  @Benchmark
  public MessagesTap anthropicMessagesTap() {
    MessagesTap tap = new MessagesTap();
    for (ByteBuffer chunk : anthropic) {
      tap.observe(chunk.duplicate());
    }
    return tap;
  }

  private static ChatStream feed(ChatStream stream, List<ByteBuffer> chunks, Blackhole bh) {
    for (ByteBuffer chunk : chunks) {
      bh.consume(stream.feed(chunk.duplicate())); // what the forwarder writes to the client
    }
    bh.consume(stream.remainder());
    return stream;
  }
}
