package io.gatehouse.testsupport.fake;

import static io.gatehouse.testsupport.fake.FakeExchanges.later;
import static io.gatehouse.testsupport.fake.FakeExchanges.sendJson;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import io.undertow.util.SameThreadExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
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
 * A fake OpenAI-compatible provider speaking OpenAI's wire format for {@code POST /v1/chat/completions}
 * (JSON and SSE), {@code POST /v1/embeddings} and {@code GET /v1/models}. Used by tests, the demo and
 * the benchmark.
 *
 * <h2>Deterministic answers</h2>
 * The reply is {@link #replyFor(String)} of the text of the last {@code user} message, and usage is a
 * documented function of the request (see {@link #promptTokens(JsonNode)} and
 * {@link #completionTokens(String)}), so tests can compute the exact numbers a client must see.
 * Embeddings are {@link #embeddingFor(String, int)} of each input and their usage is
 * {@link #embeddingTokens(List)}.
 *
 * <h2>Failure injection</h2>
 * Per request, either a header {@code x-fake-fail: 500} (any 4xx/5xx; or {@code html-502} for a
 * non-JSON error page) or a model suffix: {@code gpt-4o-mini@fail-429}, {@code gpt-4o-mini@html-502},
 * and for streams {@code gpt-4o-mini@cut-2} (the connection is closed after two content chunks, without
 * a finish chunk or {@code [DONE]}). {@link Builder#failStatus(int)} makes every chat request fail.
 * Embeddings honour the header and the {@code @fail-N} / {@code @html-N} suffixes.
 * Errors have OpenAI's shape {@code {"error":{"message","type","param","code"}}}.
 *
 * <h2>Threading</h2>
 * Everything runs on Undertow's IO threads and never blocks them: delays are scheduled with
 * {@code executeAfter} on the exchange's IO thread and every SSE chunk is written and flushed
 * non-blockingly, so one instance serves thousands of requests per second.
 */
public final class FakeOpenAiProvider implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FakeOpenAiProvider.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Prefix of every reply. */
  public static final String REPLY_PREFIX = "Echo:";
  /** Tokens charged per message on top of its words (mirrors OpenAI's per-message overhead). */
  public static final int TOKENS_PER_MESSAGE = 4;
  /** Header that makes a single request fail, e.g. {@code x-fake-fail: 429} or {@code html-502}. */
  public static final String FAIL_HEADER = "x-fake-fail";

  /** Dimensions of an embedding when the request does not ask for {@code dimensions}. */
  public static final int DEFAULT_EMBEDDING_DIMENSIONS = 8;

  private static final Pattern MODEL_MAGIC = Pattern.compile("^(.*)@(fail|html|cut)-(\\d{1,3})$");
  private static final Pattern FAIL_VALUE = Pattern.compile("^(?:(html)-)?(\\d{3})$");
  private static final String SYSTEM_FINGERPRINT = "fp_fake0001";

  private final Builder config;
  private final Undertow server;
  private final int port;
  private final AtomicLong requestCount = new AtomicLong();
  private volatile RecordedRequest lastRequest;

  private FakeOpenAiProvider(Builder config) {
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

  /** {@code http://HOST:PORT/v1}: what an OpenAI client uses as base URL. */
  public String baseUrl() {
    return "http://" + config.host + ":" + port + "/v1";
  }

  /** The most recent request received (any path), or null before the first. */
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

  /** Number of whitespace-separated words in {@code text} (0 for null or blank). */
  public static int wordCount(String text) {
    if (text == null) {
      return 0;
    }
    String t = text.strip();
    return t.isEmpty() ? 0 : t.split("\\s+").length;
  }

  /**
   * The reply to a last user message: {@code "Echo: " + its words}, truncated to
   * {@link Builder#DEFAULT_MAX_REPLY_WORDS} words of the message (words joined by single spaces).
   */
  public static String replyFor(String lastUserText) {
    return replyFor(lastUserText, Builder.DEFAULT_MAX_REPLY_WORDS);
  }

  /** {@link #replyFor(String)} with an explicit bound on echoed words. */
  public static String replyFor(String lastUserText, int maxWords) {
    StringBuilder sb = new StringBuilder(REPLY_PREFIX);
    String t = lastUserText == null ? "" : lastUserText.strip();
    if (!t.isEmpty()) {
      String[] words = t.split("\\s+");
      for (int i = 0; i < Math.min(words.length, maxWords); i++) {
        sb.append(' ').append(words[i]);
      }
    }
    return sb.toString();
  }

  /** completion_tokens = words in the reply. */
  public static int completionTokens(String reply) {
    return wordCount(reply);
  }

  /**
   * prompt_tokens = for every message, the words of its text content plus
   * {@link #TOKENS_PER_MESSAGE}. Text content is a string, or the {@code text} of array parts.
   */
  public static int promptTokens(JsonNode messages) {
    List<String> texts = new ArrayList<>();
    if (messages != null && messages.isArray()) {
      for (JsonNode m : messages) {
        texts.add(textOf(m.get("content")));
      }
    }
    return promptTokens(texts);
  }

  /** prompt_tokens for messages whose text contents are given, one entry per message. */
  public static int promptTokens(List<String> messageContents) {
    int tokens = 0;
    for (String c : messageContents) {
      tokens += wordCount(c) + TOKENS_PER_MESSAGE;
    }
    return tokens;
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

  private static String textOf(JsonNode content) {
    if (content == null || content.isNull()) {
      return "";
    }
    if (content.isTextual()) {
      return content.asText();
    }
    if (content.isArray()) {
      StringBuilder sb = new StringBuilder();
      for (JsonNode part : content) {
        if (part.has("text")) {
          if (sb.length() > 0) {
            sb.append(' ');
          }
          sb.append(part.get("text").asText());
        }
      }
      return sb.toString();
    }
    return "";
  }

  /**
   * The embedding of {@code text}: {@code dimensions} float32 values in [-1, 1) derived from the
   * SHA-256 of its UTF-8 bytes (rehashed with a counter when more than 16 values are needed), then
   * scaled to unit length, as OpenAI's embeddings are. The same text always gets the same vector.
   */
  public static float[] embeddingFor(String text, int dimensions) {
    float[] v = new float[dimensions];
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    byte[] block = new byte[0];
    double norm = 0;
    for (int i = 0; i < dimensions; i++) {
      if (i % 16 == 0) {
        sha.update(bytes);
        sha.update(ByteBuffer.allocate(4).putInt(i / 16).array());
        block = sha.digest();
      }
      int raw = ((block[(i % 16) * 2] & 0xff) << 8) | (block[(i % 16) * 2 + 1] & 0xff);
      v[i] = (raw - 32768) / 32768f;
      norm += (double) v[i] * v[i];
    }
    if (norm > 0) {
      float scale = (float) (1 / Math.sqrt(norm));
      for (int i = 0; i < dimensions; i++) {
        v[i] *= scale;
      }
    }
    return v;
  }

  /** {@code encoding_format: "base64"}: the vector as little-endian float32, base64-encoded (as OpenAI sends it). */
  public static String base64Of(float[] embedding) {
    ByteBuffer buf = ByteBuffer.allocate(embedding.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : embedding) {
      buf.putFloat(f);
    }
    return Base64.getEncoder().encodeToString(buf.array());
  }

  /** usage.prompt_tokens (= total_tokens) of an embeddings request: the words of all its inputs. */
  public static int embeddingTokens(List<String> inputs) {
    int tokens = 0;
    for (String input : inputs) {
      tokens += wordCount(input);
    }
    return tokens;
  }

  // ---------------------------------------------------------------- HTTP

  private void handle(HttpServerExchange exchange) {
    requestCount.incrementAndGet();
    String path = exchange.getRequestPath();
    if (path.equals("/v1/chat/completions")) {
      if (!exchange.getRequestMethod().equals(Methods.POST)) {
        record(exchange, new byte[0]);
        sendError(exchange, 405, "Method " + exchange.getRequestMethod() + " not allowed; use POST.",
            "invalid_request_error", null);
        return;
      }
      exchange.getRequestReceiver().receiveFullBytes(
          (ex, body) -> ex.dispatch(SameThreadExecutor.INSTANCE, () -> chat(ex, body)),
          (ex, e) -> IoUtils.safeClose(ex.getConnection()));
    } else if (path.equals("/v1/embeddings") && exchange.getRequestMethod().equals(Methods.POST)) {
      exchange.getRequestReceiver().receiveFullBytes(
          (ex, body) -> ex.dispatch(SameThreadExecutor.INSTANCE, () -> embeddings(ex, body)),
          (ex, e) -> IoUtils.safeClose(ex.getConnection()));
    } else if (path.equals("/v1/models") && exchange.getRequestMethod().equals(Methods.GET)) {
      record(exchange, new byte[0]);
      sendJson(exchange, 200, modelsJson());
    } else {
      record(exchange, new byte[0]);
      sendError(exchange, 404, "Unknown request URL: " + exchange.getRequestMethod() + " " + path
          + ". The fake serves POST /v1/chat/completions, POST /v1/embeddings and GET /v1/models.",
          "invalid_request_error", "unknown_url");
    }
  }

  private void record(HttpServerExchange exchange, byte[] body) {
    Map<String, String> headers = new LinkedHashMap<>();
    for (HeaderValues values : exchange.getRequestHeaders()) {
      headers.put(values.getHeaderName().toString().toLowerCase(Locale.ROOT), values.getFirst());
    }
    lastRequest = new RecordedRequest(exchange.getRequestMethod().toString(), exchange.getRequestPath(),
        Map.copyOf(headers), body);
  }

  /** Runs on the IO thread, the exchange dispatched (kept open until we end it). */
  private void chat(HttpServerExchange exchange, byte[] body) {
    record(exchange, body);
    JsonNode request;
    try {
      request = JSON.readTree(body);
    } catch (IOException e) {
      later(exchange, config.latencyMs, () -> sendError(exchange, 400,
          "We could not parse the JSON body of your request. (fake)", "invalid_request_error", null));
      return;
    }
    if (request == null || !request.isObject() || !request.path("model").isTextual()) {
      later(exchange, config.latencyMs, () -> sendError(exchange, 400,
          "you must provide a model parameter", "invalid_request_error", null));
      return;
    }
    if (config.requiredApiKey != null) {
      String auth = exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
      if (!("Bearer " + config.requiredApiKey).equals(auth)) {
        later(exchange, config.latencyMs, () -> sendError(exchange, 401,
            "Incorrect API key provided. (fake)", "invalid_request_error", "invalid_api_key"));
        return;
      }
    }
    String model = request.get("model").asText();
    String failKind = null;
    int failStatus = config.failStatus;
    int cutAfter = -1;
    Matcher magic = MODEL_MAGIC.matcher(model);
    if (magic.matches()) {
      model = magic.group(1);
      int n = Integer.parseInt(magic.group(3));
      if (magic.group(2).equals("cut")) {
        cutAfter = n;
      } else {
        failKind = magic.group(2);
        failStatus = n;
      }
    }
    String failHeader = exchange.getRequestHeaders().getFirst(FAIL_HEADER);
    if (failHeader != null) {
      Matcher fm = FAIL_VALUE.matcher(failHeader.strip());
      if (fm.matches()) {
        failKind = fm.group(1) == null ? "fail" : "html";
        failStatus = Integer.parseInt(fm.group(2));
      }
    }
    if (config.strictModels && !config.models.contains(model)) {
      String unknown = model;
      // OpenAI's own answer to a model that does not exist
      later(exchange, config.latencyMs, () -> sendError(exchange, 404, "The model `" + unknown
          + "` does not exist or you do not have access to it.", "invalid_request_error", "model_not_found"));
      return;
    }
    if (failStatus >= 400) {
      sendFailure(exchange, failStatus, "html".equals(failKind));
      return;
    }

    JsonNode messages = request.get("messages");
    String reply = replyFor(lastUserText(messages), config.maxReplyWords);
    int promptTokens = promptTokens(messages);
    int completionTokens = completionTokens(reply);
    String id = "chatcmpl-fake" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    long created = System.currentTimeMillis() / 1000;
    ObjectNode usage = usageJson(promptTokens, completionTokens);
    if (request.path("stream").asBoolean(false)) {
      boolean includeUsage = request.path("stream_options").path("include_usage").asBoolean(false);
      List<ByteBuffer> events = streamEvents(id, created, model, reply, usage, includeUsage);
      int cut = cutAfter;
      later(exchange, config.latencyMs, () -> {
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-cache");
        // frame 0 is the role chunk: cutting after N content chunks means not writing frame N + 1
        // role, content and finish chunks are paced like generation; usage and [DONE] follow the finish at once
        int paced = events.size() - (includeUsage ? 2 : 1);
        new FakeExchanges.SseWriter(exchange, events, config.chunkDelayMs, cut < 0 ? -1 : cut + 1, false, paced).next();
      });
    } else {
      ObjectNode completion = JSON.createObjectNode();
      completion.put("id", id);
      completion.put("object", "chat.completion");
      completion.put("created", created);
      completion.put("model", model);
      ObjectNode choice = completion.putArray("choices").addObject();
      choice.put("index", 0);
      ObjectNode message = choice.putObject("message");
      message.put("role", "assistant");
      message.put("content", reply);
      message.putNull("refusal");
      message.putArray("annotations");
      choice.putNull("logprobs");
      choice.put("finish_reason", "stop");
      completion.set("usage", usage);
      completion.put("service_tier", "default");
      completion.put("system_fingerprint", SYSTEM_FINGERPRINT);
      later(exchange, config.latencyMs, () -> sendJson(exchange, 200, completion));
    }
  }

  /** Answers an injected failure: OpenAI's error body, or (html) a non-JSON error page. */
  private void sendFailure(HttpServerExchange exchange, int status, boolean html) {
    later(exchange, config.latencyMs, () -> {
      if (html) {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/html; charset=utf-8");
        exchange.getResponseSender().send("<html><head><title>" + status + "</title></head><body><h1>"
            + status + " Bad Gateway</h1><p>fake upstream error page</p></body></html>");
      } else {
        sendInjectedError(exchange, status);
      }
    });
  }

  /** {@code POST /v1/embeddings}. Runs on the IO thread, the exchange dispatched. */
  private void embeddings(HttpServerExchange exchange, byte[] body) {
    record(exchange, body);
    JsonNode request;
    try {
      request = JSON.readTree(body);
    } catch (IOException e) {
      request = null;
    }
    String invalid = null;
    if (request == null || !request.isObject()) {
      invalid = "We could not parse the JSON body of your request. (fake)";
    } else if (!request.path("model").isTextual()) {
      invalid = "you must provide a model parameter";
    }
    if (invalid == null && config.requiredApiKey != null
        && !("Bearer " + config.requiredApiKey).equals(exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION))) {
      later(exchange, config.latencyMs, () -> sendError(exchange, 401, "Incorrect API key provided. (fake)",
          "invalid_request_error", "invalid_api_key"));
      return;
    }
    List<String> inputs = new ArrayList<>();
    JsonNode input = invalid == null ? request.get("input") : null;
    if (invalid == null && input != null && input.isTextual()) {
      inputs.add(input.asText());
    } else if (invalid == null && input != null && input.isArray() && !input.isEmpty()) {
      for (JsonNode i : input) {
        if (!i.isTextual()) {
          // token arrays are valid for OpenAI; the fake does not tokenise, so it refuses them
          invalid = "'$.input' is invalid. The fake accepts a string or an array of strings, not tokens.";
          break;
        }
        inputs.add(i.asText());
      }
    } else if (invalid == null) {
      invalid = "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.";
    }
    int dimensions = DEFAULT_EMBEDDING_DIMENSIONS;
    String encoding = "float";
    if (invalid == null) {
      JsonNode dims = request.get("dimensions");
      if (dims != null && !dims.isNull()) {
        if (!dims.isIntegralNumber() || dims.asInt() < 1 || dims.asInt() > 3072) {
          invalid = "Invalid value for 'dimensions': expected an integer between 1 and 3072.";
        } else {
          dimensions = dims.asInt();
        }
      }
      JsonNode format = request.get("encoding_format");
      if (format != null && !format.isNull()) {
        encoding = format.asText();
        if (!encoding.equals("float") && !encoding.equals("base64")) {
          invalid = "Invalid value for 'encoding_format': expected 'float' or 'base64'.";
        }
      }
    }
    if (invalid != null) {
      String message = invalid;
      later(exchange, config.latencyMs, () -> sendError(exchange, 400, message, "invalid_request_error", null));
      return;
    }
    String model = request.get("model").asText();
    int failStatus = 0;
    boolean html = false;
    Matcher magic = MODEL_MAGIC.matcher(model);
    if (magic.matches() && !magic.group(2).equals("cut")) {
      model = magic.group(1);
      html = magic.group(2).equals("html");
      failStatus = Integer.parseInt(magic.group(3));
    }
    String failHeader = exchange.getRequestHeaders().getFirst(FAIL_HEADER);
    Matcher fm = failHeader == null ? null : FAIL_VALUE.matcher(failHeader.strip());
    if (fm != null && fm.matches()) {
      html = fm.group(1) != null;
      failStatus = Integer.parseInt(fm.group(2));
    }
    if (failStatus >= 400) {
      sendFailure(exchange, failStatus, html);
      return;
    }
    ObjectNode list = JSON.createObjectNode();
    list.put("object", "list");
    ArrayNode data = list.putArray("data");
    for (int i = 0; i < inputs.size(); i++) {
      float[] vector = embeddingFor(inputs.get(i), dimensions);
      ObjectNode item = data.addObject();
      item.put("object", "embedding");
      item.put("index", i);
      if (encoding.equals("base64")) {
        item.put("embedding", base64Of(vector));
      } else {
        ArrayNode values = item.putArray("embedding");
        for (float f : vector) {
          values.add(f);
        }
      }
    }
    list.put("model", model);
    int tokens = embeddingTokens(inputs);
    ObjectNode usage = list.putObject("usage");
    usage.put("prompt_tokens", tokens);
    usage.put("total_tokens", tokens);
    later(exchange, config.latencyMs, () -> sendJson(exchange, 200, list));
  }

  /**
   * The SSE events of a streamed answer: a role chunk, one chunk per word, a finish chunk, then (only
   * when include_usage) a usage chunk with {@code choices: []}, then {@code [DONE]}. With
   * include_usage, every chunk carries {@code "usage": null} except the last, as OpenAI does.
   */
  private static List<ByteBuffer> streamEvents(String id, long created, String model, String reply,
      ObjectNode usage, boolean includeUsage) {
    List<ByteBuffer> events = new ArrayList<>();
    ObjectNode first = chunk(id, created, model, includeUsage);
    ObjectNode firstDelta = choice(first).putObject("delta");
    firstDelta.put("role", "assistant");
    firstDelta.put("content", "");
    firstDelta.putNull("refusal");
    choice(first).putNull("finish_reason");
    events.add(sse(first));
    String[] words = reply.split(" ");
    for (int i = 0; i < words.length; i++) {
      ObjectNode c = chunk(id, created, model, includeUsage);
      choice(c).putObject("delta").put("content", i == 0 ? words[i] : " " + words[i]);
      choice(c).putNull("finish_reason");
      events.add(sse(c));
    }
    ObjectNode finish = chunk(id, created, model, includeUsage);
    choice(finish).putObject("delta");
    choice(finish).put("finish_reason", "stop");
    events.add(sse(finish));
    if (includeUsage) {
      ObjectNode u = chunk(id, created, model, false);
      u.putArray("choices");
      u.set("usage", usage);
      events.add(sse(u));
    }
    events.add(ByteBuffer.wrap("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8)));
    return events;
  }

  private static ObjectNode chunk(String id, long created, String model, boolean usageNull) {
    ObjectNode c = JSON.createObjectNode();
    c.put("id", id);
    c.put("object", "chat.completion.chunk");
    c.put("created", created);
    c.put("model", model);
    c.put("service_tier", "default");
    c.put("system_fingerprint", SYSTEM_FINGERPRINT);
    ObjectNode choice = c.putArray("choices").addObject();
    choice.put("index", 0);
    choice.putNull("logprobs");
    if (usageNull) {
      c.putNull("usage");
    }
    return c;
  }

  private static ObjectNode choice(ObjectNode chunk) {
    return (ObjectNode) chunk.get("choices").get(0);
  }

  private static ByteBuffer sse(JsonNode chunk) {
    try {
      byte[] json = JSON.writeValueAsBytes(chunk);
      ByteBuffer buf = ByteBuffer.allocate(json.length + 8);
      buf.put("data: ".getBytes(StandardCharsets.US_ASCII)).put(json).put((byte) '\n').put((byte) '\n');
      return buf.flip();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ObjectNode usageJson(int promptTokens, int completionTokens) {
    ObjectNode usage = JSON.createObjectNode();
    usage.put("prompt_tokens", promptTokens);
    usage.put("completion_tokens", completionTokens);
    usage.put("total_tokens", promptTokens + completionTokens);
    ObjectNode ptd = usage.putObject("prompt_tokens_details");
    ptd.put("cached_tokens", 0);
    ptd.put("audio_tokens", 0);
    ObjectNode ctd = usage.putObject("completion_tokens_details");
    ctd.put("reasoning_tokens", 0);
    ctd.put("audio_tokens", 0);
    ctd.put("accepted_prediction_tokens", 0);
    ctd.put("rejected_prediction_tokens", 0);
    return usage;
  }

  private ObjectNode modelsJson() {
    ObjectNode list = JSON.createObjectNode();
    list.put("object", "list");
    ArrayNode data = list.putArray("data");
    for (String m : config.models) {
      ObjectNode model = data.addObject();
      model.put("id", m);
      model.put("object", "model");
      model.put("created", 1_700_000_000L);
      model.put("owned_by", "fake");
    }
    return list;
  }

  /** OpenAI's error body for an injected failure status. */
  private static void sendInjectedError(HttpServerExchange exchange, int status) {
    switch (status) {
      case 429 -> sendError(exchange, status, "Rate limit reached for requests. (fake)", "requests",
          "rate_limit_exceeded");
      case 401 -> sendError(exchange, status, "Incorrect API key provided. (fake)", "invalid_request_error",
          "invalid_api_key");
      case 404 -> sendError(exchange, status, "The model does not exist or you do not have access to it. (fake)",
          "invalid_request_error", "model_not_found");
      case 503 -> sendError(exchange, status, "The engine is currently overloaded, please try again later. (fake)",
          "server_error", null);
      default -> sendError(exchange, status,
          status >= 500 ? "The server had an error while processing your request. (fake)"
              : "Injected client error " + status + ". (fake)",
          status >= 500 ? "server_error" : "invalid_request_error", null);
    }
  }

  /** Builds {@code {"error":{"message","type","param","code"}}}. */
  public static ObjectNode errorJson(String message, String type, String param, String code) {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode error = root.putObject("error");
    error.put("message", message);
    error.put("type", type);
    error.put("param", param);
    error.put("code", code);
    return root;
  }

  private static void sendError(HttpServerExchange exchange, int status, String message, String type,
      String code) {
    sendJson(exchange, status, errorJson(message, type, null, code));
  }

  /** A request as the fake saw it; header names are lower case. */
  public record RecordedRequest(String method, String path, Map<String, String> headers, byte[] body) {
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }

    public JsonNode bodyJson() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new IllegalStateException("request body is not JSON: " + bodyText(), e);
      }
    }
  }

  /** Options; every setter returns this. Not thread-safe. */
  public static final class Builder {
    public static final int DEFAULT_MAX_REPLY_WORDS = 48;

    private String host = "127.0.0.1";
    private int port = 0;
    private long latencyMs;
    private long chunkDelayMs;
    private int failStatus;
    private int maxReplyWords = DEFAULT_MAX_REPLY_WORDS;
    private int ioThreads = Math.max(2, Runtime.getRuntime().availableProcessors());
    private String requiredApiKey;
    private List<String> models = List.of("gpt-4o-mini", "gpt-4o", "gpt-4.1-nano");
    private boolean strictModels;

    private Builder() {}

    public Builder host(String v) { this.host = v; return this; }
    /** 0 (default) picks a free port. */
    public Builder port(int v) { this.port = v; return this; }
    /** Milliseconds before the first byte of every chat response. */
    public Builder latencyMs(long v) { this.latencyMs = v; return this; }
    /** Milliseconds between two SSE events of a stream. */
    public Builder chunkDelayMs(long v) { this.chunkDelayMs = v; return this; }
    /** When ≥ 400, every chat request fails with this status (OpenAI error JSON). */
    public Builder failStatus(int v) { this.failStatus = v; return this; }
    public Builder maxReplyWords(int v) { this.maxReplyWords = v; return this; }
    public Builder ioThreads(int v) { this.ioThreads = v; return this; }
    /** When set, chat requests without {@code Authorization: Bearer <key>} get a 401. */
    public Builder requiredApiKey(String v) { this.requiredApiKey = v; return this; }
    /**
     * Ids listed by {@code GET /v1/models}; once set, chat requests for any other model get OpenAI's
     * 404 {@code model_not_found} (by default every model is served).
     */
    public Builder models(List<String> v) { this.models = List.copyOf(v); this.strictModels = true; return this; }

    public FakeOpenAiProvider start() {
      return new FakeOpenAiProvider(this);
    }
  }

  // ---------------------------------------------------------------- CLI

  public static void main(String[] args) {
    System.exit(new CommandLine(new Cli()).execute(args));
  }

  @CommandLine.Command(name = "fake-openai", mixinStandardHelpOptions = true,
      description = "Fake OpenAI-compatible provider (chat completions JSON + SSE, models).")
  static final class Cli implements Callable<Integer> {
    @CommandLine.Option(names = "--port", defaultValue = "8090", description = "Port (0 = any free port).")
    int port;

    @CommandLine.Option(names = "--host", defaultValue = "127.0.0.1")
    String host;

    @CommandLine.Option(names = "--latency-ms", defaultValue = "0", description = "Delay before the first byte.")
    long latencyMs;

    @CommandLine.Option(names = "--chunk-delay-ms", defaultValue = "0", description = "Delay between SSE chunks.")
    long chunkDelayMs;

    @Override
    public Integer call() throws InterruptedException {
      FakeOpenAiProvider fake = builder().host(host).port(port).latencyMs(latencyMs)
          .chunkDelayMs(chunkDelayMs).start();
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        fake.close();
        stopped.countDown();
      }, "fake-openai-shutdown"));
      LOG.info("Fake OpenAI provider listening on {} (latency {} ms, chunk delay {} ms); "
          + "fail a request with header '{}: 500' or a model suffix like 'gpt-4o-mini@fail-429'",
          fake.baseUrl(), latencyMs, chunkDelayMs, FAIL_HEADER);
      stopped.await();
      return 0;
    }
  }
}
