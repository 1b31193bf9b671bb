package io.gatehouse.testsupport.fake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.SameThreadExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.xnio.IoUtils;

/**
 * An OpenAI-speaking provider that misbehaves on command: the test sets a {@link #behaviour} that picks
 * a {@link Fault} for every request (by call number, key or anything in the request), and reads back
 * how many calls each key received. The faults are the ones production providers show: error statuses
 * with and without {@code Retry-After}, a dropped connection, no answer at all, a slow first token, a
 * stream cut or stalled mid-answer, a malformed chunk, a stream without {@code [DONE]}. A healthy
 * answer is {@code "Hello from <name>"} in OpenAI's exact JSON or SSE format, with usage. Thread-safe.
 */
public final class FaultyProvider implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What to do with one request. */
  public sealed interface Fault {}

  /** A healthy answer (JSON or SSE, as the request asks). */
  public record Ok() implements Fault {}

  /** An error answer: {@code status} with an OpenAI error body and extra headers (e.g. Retry-After). */
  public record Status(int status, String type, String code, String message, Map<String, String> headers)
      implements Fault {}

  /** The connection is closed at once, without a response. */
  public record Drop() implements Fault {}

  /** Nothing is ever sent back (the connection stays open). */
  public record Hang() implements Fault {}

  /** A stream whose headers come at once but whose first chunk comes after {@code millis}. */
  public record SlowFirstChunk(long millis) implements Fault {}

  /** A stream cut (connection closed) after {@code chunks} chunks. */
  public record CutAfter(int chunks) implements Fault {}

  /** A stream that goes silent (connection kept open) after {@code chunks} chunks. */
  public record StallAfter(int chunks) implements Fault {}

  /** A stream whose second chunk is not JSON. */
  public record MalformedChunk() implements Fault {}

  /** A complete-looking stream that ends without {@code finish_reason} and {@code [DONE]}. */
  public record NoDone() implements Fault {}

  /** One received request: its call number (from 1), the bearer key, whether it asked to stream. */
  public record Call(long number, String key, boolean stream, JsonNode body) {}

  private final String name;
  private final Undertow server;
  private final int port;
  private final AtomicLong calls = new AtomicLong();
  private final Map<String, AtomicLong> callsByKey = new ConcurrentHashMap<>();
  private volatile Function<Call, Fault> behaviour = c -> new Ok();

  private FaultyProvider(String name) {
    this.name = name;
    this.server = Undertow.builder().addHttpListener(0, "127.0.0.1").setIoThreads(2).setWorkerThreads(1)
        .setHandler(this::handle).build();
    server.start();
    this.port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
  }

  public static FaultyProvider start(String name) {
    return new FaultyProvider(name);
  }

  /** {@code http://127.0.0.1:PORT/v1}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + port + "/v1";
  }

  /** Sets what every following request gets. */
  public FaultyProvider behaviour(Function<Call, Fault> behaviour) {
    this.behaviour = behaviour;
    return this;
  }

  public long calls() {
    return calls.get();
  }

  public long callsWithKey(String key) {
    AtomicLong n = callsByKey.get(key);
    return n == null ? 0 : n.get();
  }

  /** Forgets the counts (the behaviour stays). */
  public void resetCounts() {
    calls.set(0);
    callsByKey.clear();
  }

  /** The text a healthy answer carries. */
  public String replyText() {
    return "Hello from " + name;
  }

  @Override
  public void close() {
    server.stop();
  }

  private void handle(HttpServerExchange exchange) {
    exchange.getRequestReceiver().receiveFullBytes(
        (ex, bytes) -> ex.dispatch(SameThreadExecutor.INSTANCE, () -> answer(ex, bytes)),
        (ex, e) -> IoUtils.safeClose(ex.getConnection()));
  }

  private void answer(HttpServerExchange exchange, byte[] bytes) {
    JsonNode body;
    try {
      body = JSON.readTree(bytes);
    } catch (IOException e) {
      body = JSON.createObjectNode();
    }
    String auth = exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
    String key = auth != null && auth.startsWith("Bearer ") ? auth.substring(7) : null;
    if (key != null) {
      callsByKey.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
    }
    Call call = new Call(calls.incrementAndGet(), key, body.path("stream").asBoolean(false), body);
    Fault fault = behaviour.apply(call);
    String model = body.path("model").asText("unknown");
    if (fault instanceof Status s) {
      s.headers().forEach((h, v) -> exchange.getResponseHeaders().put(HttpString.tryFromString(h), v));
      FakeExchanges.sendJson(exchange, s.status(), FakeOpenAiProvider.errorJson(s.message(), s.type(), null, s.code()));
    } else if (fault instanceof Drop) {
      IoUtils.safeClose(exchange.getConnection());
    } else if (fault instanceof Hang) {
      return; // the exchange stays dispatched and open
    } else if (fault instanceof Ok && !call.stream()) {
      FakeExchanges.sendJson(exchange, 200, completion(model));
    } else {
      stream(exchange, model, fault);
    }
  }

  private void stream(HttpServerExchange exchange, String model, Fault fault) {
    List<ByteBuffer> frames = new ArrayList<>();
    String[] words = replyText().split(" ");
    frames.add(frame(chunk(model, JSON.createObjectNode().put("role", "assistant").put("content", ""), null)));
    for (int i = 0; i < words.length; i++) {
      frames.add(frame(chunk(model, JSON.createObjectNode().put("content", (i == 0 ? "" : " ") + words[i]), null)));
    }
    ObjectNode usage = chunkObject(model);
    usage.putArray("choices");
    usage.set("usage", usage(words.length));
    exchange.setStatusCode(200);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/event-stream");
    int cut = -1;
    if (fault instanceof CutAfter c) {
      cut = c.chunks();
    } else if (fault instanceof StallAfter st) {
      frames = new ArrayList<>(frames.subList(0, st.chunks()));
    } else if (fault instanceof MalformedChunk) {
      frames.add(2, ByteBuffer.wrap(
          "data: {\"id\":\"chatcmpl-x\",\"choices\":[{\"delta\":{\"content\n\n".getBytes(StandardCharsets.UTF_8)));
    }
    if (!(fault instanceof NoDone) && !(fault instanceof StallAfter)) { // NoDone: the words only
      frames.add(frame(chunk(model, JSON.createObjectNode(), "stop")));
      frames.add(frame(usage));
      frames.add(ByteBuffer.wrap("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8)));
    }
    FakeExchanges.SseWriter writer =
        new FakeExchanges.SseWriter(exchange, frames, 0, cut, fault instanceof StallAfter, frames.size());
    long firstDelay = fault instanceof SlowFirstChunk s ? s.millis() : 0;
    writer.flushHeaders(); // headers out now: only the body is slow
    FakeExchanges.later(exchange, firstDelay, writer::next);
  }

  private static ObjectNode chunk(String model, ObjectNode delta, String finishReason) {
    ObjectNode c = chunkObject(model);
    ObjectNode choice = c.putArray("choices").addObject();
    choice.put("index", 0);
    choice.set("delta", delta);
    choice.putNull("logprobs");
    if (finishReason == null) {
      choice.putNull("finish_reason");
    } else {
      choice.put("finish_reason", finishReason);
    }
    return c;
  }

  private static ObjectNode chunkObject(String model) {
    ObjectNode c = JSON.createObjectNode();
    c.put("id", "chatcmpl-faulty").put("object", "chat.completion.chunk").put("created", 1764064800L)
        .put("model", model);
    return c;
  }

  private static ByteBuffer frame(JsonNode chunk) {
    return ByteBuffer.wrap(("data: " + chunk + "\n\n").getBytes(StandardCharsets.UTF_8));
  }

  private ObjectNode completion(String model) {
    ObjectNode c = JSON.createObjectNode();
    c.put("id", "chatcmpl-faulty").put("object", "chat.completion").put("created", 1764064800L).put("model", model);
    ObjectNode choice = c.putArray("choices").addObject();
    choice.put("index", 0);
    choice.putObject("message").put("role", "assistant").put("content", replyText()).putNull("refusal");
    choice.putNull("logprobs");
    choice.put("finish_reason", "stop");
    c.set("usage", usage(replyText().split(" ").length));
    return c;
  }

  private static ObjectNode usage(int completionTokens) {
    ObjectNode u = JSON.createObjectNode();
    u.put("prompt_tokens", 5).put("completion_tokens", completionTokens).put("total_tokens", 5 + completionTokens);
    return u;
  }
}
