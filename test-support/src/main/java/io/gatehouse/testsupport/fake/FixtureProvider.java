package io.gatehouse.testsupport.fake;

import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.SameThreadExecutor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.xnio.IoUtils;

/**
 * A provider that answers with recorded payloads: JSON bodies and SSE transcripts stored as files
 * under {@code fixtures/<dialect>/} on the classpath, in the provider's exact wire format, replayed
 * byte for byte. It knows nothing of any provider's API; the fixture is chosen by a model name of the
 * form {@code fx-<name>} found in the request path (Gemini, Azure deployments) or body (OpenAI,
 * Anthropic):
 *
 * <ul>
 *   <li>a streamed request (body {@code "stream": true} or a {@code :streamGenerateContent} path) gets
 *       {@code <name>.sse}, any other {@code <name>.json}, falling back to {@code <name>.html}; files
 *       missing from the dialect's directory are looked up in {@code fixtures/common/} (an HTML error
 *       page from a load balancer looks the same in front of any provider);
 *   <li>{@code error-NNN} answers HTTP NNN, anything else 200;
 *   <li>{@code cut*} transcripts end with the connection dropped, not a clean end of body, as when a
 *       provider dies mid-answer.
 * </ul>
 *
 * SSE transcripts are written one event per flush, so a proxy that holds events back is caught.
 * Thread-safe.
 */
public final class FixtureProvider implements AutoCloseable {
  private static final Pattern FIXTURE_MODEL = Pattern.compile("fx-([a-z0-9][a-z0-9-]*[a-z0-9])");
  private static final Pattern ERROR_STATUS = Pattern.compile("error-(\\d{3})");
  private static final Pattern STREAM_FLAG = Pattern.compile("\"stream\"\\s*:\\s*true");
  /** The end of one SSE event: a blank line, LF or CRLF. */
  private static final Pattern EVENT_END = Pattern.compile("\r?\n\r?\n");

  private final String dialect;
  private final Undertow server;
  private final int port;
  private final AtomicLong requestCount = new AtomicLong();
  private volatile Recorded lastRequest;

  private FixtureProvider(String dialect) {
    this.dialect = dialect;
    this.server = Undertow.builder()
        .addHttpListener(0, "127.0.0.1")
        .setIoThreads(1)
        .setWorkerThreads(1) // nothing is dispatched to a worker
        .setHandler(this::handle)
        .build();
    server.start();
    this.port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
  }

  /** Starts a server replaying {@code fixtures/<dialect>/*} (e.g. {@code openai}, {@code gemini}). */
  public static FixtureProvider start(String dialect) {
    return new FixtureProvider(dialect);
  }

  /** {@code http://127.0.0.1:PORT}, without any API path: tests append what their provider type needs. */
  public String origin() {
    return "http://127.0.0.1:" + port;
  }

  /** The most recent request, or null before the first. */
  public Recorded lastRequest() {
    return lastRequest;
  }

  public long requestCount() {
    return requestCount.get();
  }

  /** The text of fixture {@code fixtures/<dialect>/<file>}. */
  public static String text(String dialect, String file) {
    byte[] bytes = bytes(dialect, file);
    if (bytes == null) {
      throw new IllegalArgumentException("no fixture fixtures/" + dialect + "/" + file + " on the classpath");
    }
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static byte[] bytes(String dialect, String file) {
    try (InputStream in = FixtureProvider.class.getClassLoader()
        .getResourceAsStream("fixtures/" + dialect + "/" + file)) {
      return in == null ? null : in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    server.stop();
  }

  private void handle(HttpServerExchange exchange) {
    requestCount.incrementAndGet();
    exchange.getRequestReceiver().receiveFullBytes(
        (ex, body) -> ex.dispatch(SameThreadExecutor.INSTANCE, () -> answer(ex, body)),
        (ex, e) -> IoUtils.safeClose(ex.getConnection()));
  }

  private void answer(HttpServerExchange exchange, byte[] body) {
    String bodyText = new String(body, StandardCharsets.UTF_8);
    lastRequest = record(exchange, body);
    String path = exchange.getRequestPath();
    Matcher m = FIXTURE_MODEL.matcher(path);
    if (!m.find()) {
      m = FIXTURE_MODEL.matcher(bodyText);
      if (!m.find()) {
        plain(exchange, 404, "no fx-<fixture> model in " + path + " or the body");
        return;
      }
    }
    String name = m.group(1);
    boolean stream = STREAM_FLAG.matcher(bodyText).find() || path.contains(":streamGenerateContent");
    List<String> candidates = stream ? List.of(name + ".sse", name + ".json", name + ".html")
        : List.of(name + ".json", name + ".html");
    for (String file : candidates) {
      byte[] fixture = bytes(dialect, file);
      if (fixture == null) {
        fixture = bytes("common", file);
      }
      if (fixture != null) {
        Matcher error = ERROR_STATUS.matcher(name);
        exchange.setStatusCode(error.matches() ? Integer.parseInt(error.group(1)) : 200);
        if (file.endsWith(".sse")) {
          exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/event-stream");
          List<ByteBuffer> events = events(fixture);
          new FakeExchanges.SseWriter(exchange, events, 0, name.startsWith("cut") ? events.size() : -1).next();
        } else {
          exchange.getResponseHeaders().put(Headers.CONTENT_TYPE,
              file.endsWith(".json") ? "application/json" : "text/html; charset=utf-8");
          exchange.getResponseSender().send(ByteBuffer.wrap(fixture));
        }
        return;
      }
    }
    plain(exchange, 404, "no fixture among fixtures/" + dialect + "/" + candidates);
  }

  /** The transcript split after each event's blank line, separators kept: the bytes are unchanged. */
  static List<ByteBuffer> events(byte[] transcript) {
    String text = new String(transcript, StandardCharsets.UTF_8);
    List<ByteBuffer> events = new ArrayList<>();
    Matcher m = EVENT_END.matcher(text);
    int start = 0;
    while (m.find()) {
      events.add(ByteBuffer.wrap(text.substring(start, m.end()).getBytes(StandardCharsets.UTF_8)));
      start = m.end();
    }
    if (start < text.length()) {
      events.add(ByteBuffer.wrap(text.substring(start).getBytes(StandardCharsets.UTF_8)));
    }
    return events;
  }

  private static void plain(HttpServerExchange exchange, int status, String message) {
    exchange.setStatusCode(status);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
    exchange.getResponseSender().send("fixture provider: " + message);
  }

  private static Recorded record(HttpServerExchange exchange, byte[] body) {
    Map<String, String> headers = new LinkedHashMap<>();
    for (HeaderValues values : exchange.getRequestHeaders()) {
      headers.put(values.getHeaderName().toString().toLowerCase(Locale.ROOT), values.getFirst());
    }
    return new Recorded(exchange.getRequestMethod().toString(), exchange.getRequestPath(),
        exchange.getQueryString(), Map.copyOf(headers), body);
  }

  /** A request as received; header names are lower case, {@code query} without {@code ?}. */
  public record Recorded(String method, String path, String query, Map<String, String> headers, byte[] body) {
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }
}
