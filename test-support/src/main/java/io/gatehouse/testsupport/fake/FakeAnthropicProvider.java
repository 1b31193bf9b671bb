package io.gatehouse.testsupport.fake;

import static io.gatehouse.testsupport.fake.FakeExchanges.later;
import static io.gatehouse.testsupport.fake.FakeExchanges.sendJson;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.testsupport.fake.FakeOpenAiProvider.RecordedRequest;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import io.undertow.util.SameThreadExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;
import picocli.CommandLine;

/**
 * A fake Anthropic provider speaking the Messages API wire format: {@code POST /v1/messages} (JSON and
 * SSE) and {@code POST /v1/messages/count_tokens}. Used by tests, the demo and the benchmark.
 *
 * <h2>Deterministic answers</h2>
 * The reply text is {@link FakeOpenAiProvider#replyFor(String, int)} of the text of the last {@code user}
 * message (string content, or its {@code text} blocks joined by a space). Usage is a documented function:
 * {@link #inputTokens(JsonNode)} = words of {@code system} + for every message, the words of its text +
 * {@link #TOKENS_PER_MESSAGE}; {@link #outputTokens(String)} = words of the reply. Cache token counts are 0.
 * When the request has {@code tools} and the last user text contains the word "weather", the answer is a
 * single {@code tool_use} block calling the first tool with {@link #TOOL_INPUT_JSON} and stop_reason
 * {@code tool_use}; its output tokens are {@link #toolUseOutputTokens(String)}.
 *
 * <h2>Streaming</h2>
 * {@code "stream": true} yields {@code event: <type>\ndata: <json>\n\n} frames in the real order:
 * message_start, content_block_start, ping, content_block_delta (one text_delta per word, or
 * input_json_delta pieces), content_block_stop, message_delta, message_stop; each frame is flushed
 * on its own, {@link Builder#chunkDelayMs(long)} apart. As in the real API, message_start's usage already
 * carries the final input_tokens with output_tokens 1; message_delta's usage has the final output_tokens.
 *
 * <h2>Failure injection</h2>
 * Header {@code x-fake-fail: 429} (any 4xx/5xx, or {@code html-502} for a non-JSON page), or a model
 * suffix {@code claude-x@fail-529}, {@code claude-x@html-502}, and for streams {@code claude-x@cut-2}
 * (the connection is closed after two content_block_delta frames, without message_stop). Errors have
 * Anthropic's shape {@code {"type":"error","error":{"type","message"},"request_id"}}.
 *
 * <h2>Threading</h2>
 * Like {@link FakeOpenAiProvider}: everything runs on Undertow's IO threads and never blocks them.
 */
public final class FakeAnthropicProvider implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FakeAnthropicProvider.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Tokens charged per message on top of its words. */
  public static final int TOKENS_PER_MESSAGE = 4;
  /** Header that makes a single request fail, e.g. {@code x-fake-fail: 529} or {@code html-502}. */
  public static final String FAIL_HEADER = FakeOpenAiProvider.FAIL_HEADER;
  /** The input of every fake tool call. */
  public static final String TOOL_INPUT_JSON = "{\"location\":\"Lisbon\"}";
  /** Size of the partial_json pieces a streamed tool input is cut into. */
  public static final int PARTIAL_JSON_PIECE = 8;

  private static final HttpString REQUEST_ID = new HttpString("request-id");
  private static final HttpString RETRY_AFTER = new HttpString("retry-after");
  private static final HttpString API_KEY = new HttpString("x-api-key");
  private static final Pattern MODEL_MAGIC = Pattern.compile("^(.*)@(fail|html|cut)-(\\d{1,3})$");
  private static final Pattern FAIL_VALUE = Pattern.compile("^(?:(html)-)?(\\d{3})$");
  private static final Pattern WEATHER = Pattern.compile("\\bweather\\b", Pattern.CASE_INSENSITIVE);

  private final Builder config;
  private final Undertow server;
  private final int port;
  private final AtomicLong requestCount = new AtomicLong();
  private volatile RecordedRequest lastRequest;

  private FakeAnthropicProvider(Builder config) {
    this.config = config;
    this.server =
        Undertow.builder()
            .addHttpListener(config.port, config.host)
            .setIoThreads(config.ioThreads)
            .setWorkerThreads(1) // nothing is ever dispatched to a worker
            .setServerOption(UndertowOptions.ALWAYS_SET_KEEP_ALIVE, true)
            .setHandler(this::handle)
            .build();
    server.start();
    this.port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The port it listens on (the real one when built with port 0). */
  public int port() {
    return port;
  }

  /** {@code http://HOST:PORT} (no {@code /v1}): Anthropic SDKs append {@code /v1/messages} themselves. */
  public String baseUrl() {
    return "http://" + config.host + ":" + port;
  }

  /** The most recent request received (any path), or null before the first. Header names are lower case. */
  public RecordedRequest lastRequest() {
    return lastRequest;
  }

  /** How many requests were received (any path). */
  public long requestCount() {
    return requestCount.get();
  }

  @Override
  public void close() {
    server.stop();
  }

  // ---------------------------------------------------------------- deterministic text and usage

  /**
   * input_tokens = words of {@code system} (a string or text blocks) + for every message, the words of
   * its text content (string, or the {@code text} of its blocks) + {@link #TOKENS_PER_MESSAGE}. Tools,
   * images and tool results are not counted.
   */
  public static int inputTokens(JsonNode request) {
    int tokens = FakeOpenAiProvider.wordCount(textOf(request.get("system")));
    JsonNode messages = request.get("messages");
    if (messages != null && messages.isArray()) {
      for (JsonNode m : messages) {
        tokens += FakeOpenAiProvider.wordCount(textOf(m.get("content"))) + TOKENS_PER_MESSAGE;
      }
    }
    return tokens;
  }

  /** output_tokens of a text answer = words of the reply. */
  public static int outputTokens(String reply) {
    return FakeOpenAiProvider.wordCount(reply);
  }

  /** output_tokens of a tool_use answer = 1 + words of the tool name (at least 1): 2 for any real tool name. */
  public static int toolUseOutputTokens(String toolName) {
    return 1 + Math.max(1, FakeOpenAiProvider.wordCount(toolName));
  }

  /** The text of the last message with role {@code user}, or "" when there is none. */
  public static String lastUserText(JsonNode messages) {
    String last = "";
    if (messages != null && messages.isArray()) {
      for (JsonNode m : messages) {
        if ("user".equals(m.path("role").asText())) {
          last = textOf(m.get("content"));
        }
      }
    }
    return last;
  }

  /** Whether a request gets a tool_use answer: it has tools and the last user text says "weather". */
  public static boolean wantsToolUse(JsonNode request) {
    JsonNode tools = request.get("tools");
    return tools != null && tools.isArray() && tools.size() > 0
        && WEATHER.matcher(lastUserText(request.get("messages"))).find();
  }

  /** {@link #TOOL_INPUT_JSON} cut into the partial_json pieces of a stream (concatenated they give it back). */
  public static List<String> partialJsonPieces() {
    List<String> pieces = new ArrayList<>();
    for (int i = 0; i < TOOL_INPUT_JSON.length(); i += PARTIAL_JSON_PIECE) {
      pieces.add(TOOL_INPUT_JSON.substring(i, Math.min(TOOL_INPUT_JSON.length(), i + PARTIAL_JSON_PIECE)));
    }
    return pieces;
  }

  private static String textOf(JsonNode content) {
    if (content == null || content.isNull()) {
      return "";
    }
    if (content.isTextual()) {
      return content.asText();
    }
    if (content.isArray()) {
      StringBuilder sb = new StringBuilder();
      for (JsonNode block : content) {
        if (block.path("text").isTextual() && (!block.has("type") || "text".equals(block.path("type").asText()))) {
          if (sb.length() > 0) {
            sb.append(' ');
          }
          sb.append(block.get("text").asText());
        }
      }
      return sb.toString();
    }
    return "";
  }

  // ---------------------------------------------------------------- HTTP

  private void handle(HttpServerExchange exchange) {
    requestCount.incrementAndGet();
    exchange.getResponseHeaders().put(REQUEST_ID, newId("req_fake"));
    String path = exchange.getRequestPath();
    boolean messages = path.equals("/v1/messages");
    boolean count = path.equals("/v1/messages/count_tokens");
    if (!messages && !count) {
      record(exchange, new byte[0]);
      sendError(exchange, 404, "not_found_error", "Not Found");
      return;
    }
    if (!exchange.getRequestMethod().equals(Methods.POST)) {
      record(exchange, new byte[0]);
      sendError(exchange, 405, "invalid_request_error",
          "Method " + exchange.getRequestMethod() + " not allowed; use POST. (fake)");
      return;
    }
    exchange.getRequestReceiver().receiveFullBytes(
        (ex, body) -> ex.dispatch(SameThreadExecutor.INSTANCE, () -> {
          record(ex, body);
          if (count) {
            countTokens(ex, body);
          } else {
            messages(ex, body);
          }
        }),
        (ex, e) -> IoUtils.safeClose(ex.getConnection()));
  }

  private void record(HttpServerExchange exchange, byte[] body) {
    Map<String, String> headers = new LinkedHashMap<>();
    for (HeaderValues values : exchange.getRequestHeaders()) {
      headers.put(values.getHeaderName().toString().toLowerCase(Locale.ROOT), values.getFirst());
    }
    lastRequest = new RecordedRequest(exchange.getRequestMethod().toString(), exchange.getRequestPath(),
        Map.copyOf(headers), body);
  }

  /** Auth and JSON parsing common to both endpoints; null (after answering) when the request is rejected. */
  private JsonNode parse(HttpServerExchange exchange, byte[] body) {
    if (config.requiredApiKey != null
        && !config.requiredApiKey.equals(exchange.getRequestHeaders().getFirst(API_KEY))) {
      later(exchange, config.latencyMs,
          () -> sendError(exchange, 401, "authentication_error", "invalid x-api-key"));
      return null;
    }
    JsonNode request;
    try {
      request = JSON.readTree(body);
    } catch (IOException e) {
      request = null;
    }
    if (request == null || !request.isObject()) {
      later(exchange, config.latencyMs, () -> sendError(exchange, 400, "invalid_request_error",
          "There was an issue with the request body: it is not valid JSON. (fake)"));
      return null;
    }
    String missing = !request.path("model").isTextual() ? "model"
        : !request.path("messages").isArray() ? "messages" : null;
    if (missing != null) {
      later(exchange, config.latencyMs,
          () -> sendError(exchange, 400, "invalid_request_error", missing + ": Field required"));
      return null;
    }
    return request;
  }

  private void countTokens(HttpServerExchange exchange, byte[] body) {
    JsonNode request = parse(exchange, body);
    if (request == null) {
      return;
    }
    ObjectNode answer = JSON.createObjectNode();
    answer.put("input_tokens", inputTokens(request));
    later(exchange, config.latencyMs, () -> sendJson(exchange, 200, answer));
  }

  private void messages(HttpServerExchange exchange, byte[] body) {
    JsonNode request = parse(exchange, body);
    if (request == null) {
      return;
    }
    if (!request.path("max_tokens").canConvertToInt() || !request.path("max_tokens").isIntegralNumber()) {
      later(exchange, config.latencyMs,
          () -> sendError(exchange, 400, "invalid_request_error", "max_tokens: Field required"));
      return;
    }
    String model = request.get("model").asText();
    boolean html = false;
    int failStatus = config.failStatus;
    int cutAfter = -1;
    Matcher magic = MODEL_MAGIC.matcher(model);
    if (magic.matches()) {
      model = magic.group(1);
      int n = Integer.parseInt(magic.group(3));
      if (magic.group(2).equals("cut")) {
        cutAfter = n;
      } else {
        html = magic.group(2).equals("html");
        failStatus = n;
      }
    }
    String failHeader = exchange.getRequestHeaders().getFirst(FAIL_HEADER);
    if (failHeader != null) {
      Matcher fm = FAIL_VALUE.matcher(failHeader.strip());
      if (fm.matches()) {
        html = fm.group(1) != null;
        failStatus = Integer.parseInt(fm.group(2));
      }
    }
    if (failStatus >= 400) {
      int status = failStatus;
      boolean htmlPage = html;
      later(exchange, config.latencyMs, () -> {
        if (htmlPage) {
          exchange.setStatusCode(status);
          exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/html; charset=utf-8");
          exchange.getResponseSender().send("<html><head><title>" + status + "</title></head><body><h1>"
              + status + " Bad Gateway</h1><p>fake upstream error page</p></body></html>");
        } else {
          sendInjectedError(exchange, status);
        }
      });
      return;
    }

    int inputTokens = inputTokens(request);
    boolean toolUse = wantsToolUse(request);
    String toolName = toolUse ? request.get("tools").get(0).path("name").asText("tool") : null;
    String reply = toolUse ? null
        : FakeOpenAiProvider.replyFor(lastUserText(request.get("messages")), config.maxReplyWords);
    int outputTokens = toolUse ? toolUseOutputTokens(toolName) : outputTokens(reply);
    String id = newId("msg_fake");
    String toolId = toolUse ? newId("toolu_fake") : null;
    String stopReason = toolUse ? "tool_use" : "end_turn";

    if (request.path("stream").asBoolean(false)) {
      List<ByteBuffer> frames = new ArrayList<>();
      ObjectNode start = event("message_start");
      ObjectNode message = messageJson(id, model, null, inputTokens, 1);
      start.set("message", message);
      frames.add(sse(start));
      ObjectNode blockStart = event("content_block_start");
      blockStart.put("index", 0);
      blockStart.set("content_block", toolUse ? toolUseBlock(toolId, toolName, JSON.createObjectNode())
          : textBlock(""));
      frames.add(sse(blockStart));
      frames.add(sse(event("ping")));
      int firstDelta = frames.size();
      List<String> pieces = new ArrayList<>();
      if (toolUse) {
        pieces.add(""); // the real API opens a tool input with an empty piece
        pieces.addAll(partialJsonPieces());
      } else {
        String[] words = reply.split(" ");
        for (int i = 0; i < words.length; i++) {
          pieces.add(i == 0 ? words[i] : " " + words[i]);
        }
      }
      for (String piece : pieces) {
        ObjectNode delta = event("content_block_delta");
        delta.put("index", 0);
        ObjectNode d = delta.putObject("delta");
        if (toolUse) {
          d.put("type", "input_json_delta");
          d.put("partial_json", piece);
        } else {
          d.put("type", "text_delta");
          d.put("text", piece);
        }
        frames.add(sse(delta));
      }
      ObjectNode blockStop = event("content_block_stop");
      blockStop.put("index", 0);
      frames.add(sse(blockStop));
      ObjectNode messageDelta = event("message_delta");
      ObjectNode md = messageDelta.putObject("delta");
      md.put("stop_reason", stopReason);
      md.putNull("stop_sequence");
      messageDelta.putObject("usage").put("output_tokens", outputTokens);
      frames.add(sse(messageDelta));
      frames.add(sse(event("message_stop")));
      int cutAt = cutAfter >= 0 ? Math.min(firstDelta + cutAfter, frames.size()) : -1;
      later(exchange, config.latencyMs, () -> {
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-cache");
        new FakeExchanges.SseWriter(exchange, frames, config.chunkDelayMs, cutAt).next();
      });
    } else {
      ObjectNode message = messageJson(id, model, stopReason, inputTokens, outputTokens);
      if (toolUse) {
        message.withArray("content").add(toolUseBlock(toolId, toolName, TOOL_INPUT));
      } else {
        message.withArray("content").add(textBlock(reply));
      }
      later(exchange, config.latencyMs, () -> sendJson(exchange, 200, message));
    }
  }

  private static final JsonNode TOOL_INPUT = readJson(TOOL_INPUT_JSON);

  private static JsonNode readJson(String s) {
    try {
      return JSON.readTree(s);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String newId(String prefix) {
    return prefix + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
  }

  /** A Message object; content empty (filled by the caller), stop_reason null when not given. */
  private static ObjectNode messageJson(String id, String model, String stopReason, int inputTokens,
      int outputTokens) {
    ObjectNode m = JSON.createObjectNode();
    m.put("id", id);
    m.put("type", "message");
    m.put("role", "assistant");
    m.put("model", model);
    m.putArray("content");
    m.put("stop_reason", stopReason);
    m.putNull("stop_sequence");
    ObjectNode usage = m.putObject("usage");
    usage.put("input_tokens", inputTokens);
    usage.put("cache_creation_input_tokens", 0);
    usage.put("cache_read_input_tokens", 0);
    usage.put("output_tokens", outputTokens);
    return m;
  }

  private static ObjectNode textBlock(String text) {
    ObjectNode b = JSON.createObjectNode();
    b.put("type", "text");
    b.put("text", text);
    return b;
  }

  private static ObjectNode toolUseBlock(String id, String name, JsonNode input) {
    ObjectNode b = JSON.createObjectNode();
    b.put("type", "tool_use");
    b.put("id", id);
    b.put("name", name);
    b.set("input", input.deepCopy());
    return b;
  }

  private static ObjectNode event(String type) {
    ObjectNode e = JSON.createObjectNode();
    e.put("type", type);
    return e;
  }

  /** {@code event: <type>\ndata: <json>\n\n}. */
  private static ByteBuffer sse(ObjectNode event) {
    try {
      String frame = "event: " + event.get("type").asText() + "\ndata: " + JSON.writeValueAsString(event) + "\n\n";
      return ByteBuffer.wrap(frame.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The Anthropic error type for an HTTP status. */
  public static String errorType(int status) {
    return switch (status) {
      case 400 -> "invalid_request_error";
      case 401 -> "authentication_error";
      case 402 -> "billing_error";
      case 403 -> "permission_error";
      case 404 -> "not_found_error";
      case 413 -> "request_too_large";
      case 429 -> "rate_limit_error";
      case 504 -> "timeout_error";
      case 529 -> "overloaded_error";
      default -> status >= 500 ? "api_error" : "invalid_request_error";
    };
  }

  private static void sendInjectedError(HttpServerExchange exchange, int status) {
    String message = switch (status) {
      case 429 -> "Number of request tokens has exceeded your per-minute rate limit. (fake)";
      case 529 -> "Overloaded";
      case 401 -> "invalid x-api-key";
      case 404 -> "model: not found (fake)";
      default -> status >= 500 ? "Internal server error" : "Injected client error " + status + ". (fake)";
    };
    if (status == 429) {
      exchange.getResponseHeaders().put(RETRY_AFTER, "1");
    }
    sendError(exchange, status, errorType(status), message);
  }

  /** Builds {@code {"type":"error","error":{"type","message"},"request_id"}}. */
  public static ObjectNode errorJson(String type, String message, String requestId) {
    ObjectNode root = JSON.createObjectNode();
    root.put("type", "error");
    ObjectNode error = root.putObject("error");
    error.put("type", type);
    error.put("message", message);
    root.put("request_id", requestId);
    return root;
  }

  private static void sendError(HttpServerExchange exchange, int status, String type, String message) {
    sendJson(exchange, status, errorJson(type, message, exchange.getResponseHeaders().getFirst(REQUEST_ID)));
  }

  /** Options; every setter returns this. Not thread-safe. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port = 0;
    private long latencyMs;
    private long chunkDelayMs;
    private int failStatus;
    private int maxReplyWords = FakeOpenAiProvider.Builder.DEFAULT_MAX_REPLY_WORDS;
    private int ioThreads = Math.max(2, Runtime.getRuntime().availableProcessors());
    private String requiredApiKey;

    private Builder() {}

    public Builder host(String v) { this.host = v; return this; }
    /** 0 (default) picks a free port. */
    public Builder port(int v) { this.port = v; return this; }
    /** Milliseconds before the first byte of every messages / count_tokens response. */
    public Builder latencyMs(long v) { this.latencyMs = v; return this; }
    /** Milliseconds between two SSE frames of a stream. */
    public Builder chunkDelayMs(long v) { this.chunkDelayMs = v; return this; }
    /** When ≥ 400, every messages request fails with this status (Anthropic error JSON). */
    public Builder failStatus(int v) { this.failStatus = v; return this; }
    public Builder maxReplyWords(int v) { this.maxReplyWords = v; return this; }
    public Builder ioThreads(int v) { this.ioThreads = v; return this; }
    /** When set, requests without {@code x-api-key: <key>} get a 401 authentication_error. */
    public Builder requiredApiKey(String v) { this.requiredApiKey = v; return this; }

    public FakeAnthropicProvider start() {
      return new FakeAnthropicProvider(this);
    }
  }

  // ---------------------------------------------------------------- CLI

  public static void main(String[] args) {
    System.exit(new CommandLine(new Cli()).execute(args));
  }

  @CommandLine.Command(name = "fake-anthropic", mixinStandardHelpOptions = true,
      description = "Fake Anthropic provider (Messages API JSON + SSE, count_tokens).")
  static final class Cli implements Callable<Integer> {
    @CommandLine.Option(names = "--port", defaultValue = "8091", description = "Port (0 = any free port).")
    int port;

    @CommandLine.Option(names = "--host", defaultValue = "127.0.0.1")
    String host;

    @CommandLine.Option(names = "--latency-ms", defaultValue = "0", description = "Delay before the first byte.")
    long latencyMs;

    @CommandLine.Option(names = "--chunk-delay-ms", defaultValue = "0", description = "Delay between SSE frames.")
    long chunkDelayMs;

    @CommandLine.Option(names = "--api-key", description = "When set, the required x-api-key.")
    String apiKey;

    @Override
    public Integer call() throws InterruptedException {
      FakeAnthropicProvider fake = builder().host(host).port(port).latencyMs(latencyMs)
          .chunkDelayMs(chunkDelayMs).requiredApiKey(apiKey).start();
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        fake.close();
        stopped.countDown();
      }, "fake-anthropic-shutdown"));
      LOG.info("Fake Anthropic provider listening on {} (latency {} ms, chunk delay {} ms); "
          + "fail a request with header '{}: 529' or a model suffix like 'claude-x@fail-529'",
          fake.baseUrl(), latencyMs, chunkDelayMs, FAIL_HEADER);
      stopped.await();
      return 0;
    }
  }
}
