package io.gatehouse.proxy.logs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.events.EventSink;
import io.gatehouse.proxy.http.GatewayHandler;
import io.gatehouse.proxy.http.OpenAiErrors;
import io.gatehouse.schemas.EventIds;
import io.gatehouse.schemas.GatehouseEvent;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.util.Headers;
import io.undertow.util.SameThreadExecutor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;

/**
 * What the three log receivers share: the ingest token, reading the body asynchronously (gzip
 * accepted, as OTLP exporters may send it), mapping it to events, and handing them to the same
 * {@link EventSink} the proxy uses — so redaction, the spool and Kafka are the same.
 *
 * <p><b>Accepted means handed to the publisher.</b> The answer (202, or 200 for OTLP) is sent after
 * every event of the payload was taken by {@link EventSink#publish}: queued in memory, from where the
 * publisher sends it to Kafka or appends it to the disk spool. Events still in the in-memory queue
 * when the process is killed hard are lost; a graceful stop spools them. When the queue is full the
 * answer is 503 with {@code Retry-After}: events before the first refused one were taken, and sending
 * the same payload again is safe because a log's event id is derived from its content (ingest stores
 * each id once).
 *
 * <p>A payload that cannot be mapped is answered 400 and publishes nothing (it is not an LLM call).
 *
 * <p>Runs on IO threads; mapping is CPU only, never blocks. Thread-safe.
 */
public abstract class ReceiverHandler implements HttpHandler {
  private static final Logger LOG = LoggerFactory.getLogger(ReceiverHandler.class);
  /** Bound on a gzip body once inflated, like {@link GatewayHandler#MAX_REQUEST_BYTES} for plain ones. */
  static final long MAX_INFLATED_BYTES = GatewayHandler.MAX_REQUEST_BYTES;
  static final String RETRY_AFTER_SECONDS = "1";

  private final EventSink events;
  private final IngestToken token;

  protected ReceiverHandler(EventSink events, IngestToken token) {
    this.events = events;
    this.token = token;
  }

  /** The events of one received body, all or none. */
  abstract List<GatehouseEvent> toEvents(byte[] body, HttpServerExchange exchange) throws InvalidPayload;

  /** The success answer; by default 202 with the number accepted and their ids. */
  void accepted(HttpServerExchange exchange, List<GatehouseEvent> accepted) {
    ObjectNode body = LogEvents.JSON.createObjectNode();
    body.put("accepted", accepted.size());
    accepted.forEach(e -> body.withArray("event_ids").add(e.eventId()));
    exchange.setStatusCode(202);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
    exchange.getResponseSender().send(ByteBuffer.wrap(body.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  /** An error answer; by default OpenAI-shaped. */
  void error(HttpServerExchange exchange, int status, String code, String message) {
    OpenAiErrors.send(exchange, status, message, status >= 500 ? "service_unavailable" : OpenAiErrors.INVALID_REQUEST,
        null, code);
  }

  @Override
  public final void handleRequest(HttpServerExchange exchange) {
    exchange.getResponseHeaders().put(GatewayHandler.REQUEST_ID, EventIds.next());
    if (!token.allows(exchange.getRequestHeaders())) {
      // the presented value is never logged or echoed
      exchange.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Bearer");
      error(exchange, 401, "invalid_ingest_token", "Missing or wrong ingest token. Send it as \"Authorization: Bearer "
          + "<token>\" or \"" + IngestToken.HEADER + ": <token>\" (receivers.ingest_token / GATEHOUSE_INGEST_TOKEN).");
      return;
    }
    exchange.getRequestReceiver().receiveFullBytes(
        (ex, body) -> ex.dispatch(SameThreadExecutor.INSTANCE, () -> {
          try {
            onBody(ex, body);
          } catch (RuntimeException e) {
            LOG.error("Receiving {} failed inside Gatehouse", ex.getRequestPath(), e);
            if (!ex.isResponseStarted()) {
              error(ex, 500, "internal_error", "Gatehouse failed while receiving these logs; nothing was accepted.");
            }
          }
        }),
        (ex, failure) -> {
          if (failure instanceof RequestTooBigException) {
            error(ex, 413, "request_too_large", "The body is larger than " + (GatewayHandler.MAX_REQUEST_BYTES >> 20)
                + " MB; send smaller batches.");
          } else {
            IoUtils.safeClose(ex.getConnection());
          }
        });
  }

  private void onBody(HttpServerExchange exchange, byte[] body) {
    List<GatehouseEvent> mapped;
    try {
      mapped = toEvents(inflate(exchange, body), exchange);
    } catch (InvalidPayload e) {
      error(exchange, 400, "invalid_payload", e.getMessage());
      return;
    }
    for (int i = 0; i < mapped.size(); i++) {
      if (!events.publish(mapped.get(i))) {
        exchange.getResponseHeaders().put(Headers.RETRY_AFTER, RETRY_AFTER_SECONDS);
        error(exchange, 503, "queue_full", "Gatehouse's event queue is full: " + i + " of " + mapped.size()
            + " events were accepted. Send the same payload again after " + RETRY_AFTER_SECONDS
            + " s: events already accepted are not stored twice.");
        return;
      }
    }
    accepted(exchange, mapped);
  }

  private static byte[] inflate(HttpServerExchange exchange, byte[] body) throws InvalidPayload {
    String encoding = exchange.getRequestHeaders().getFirst(Headers.CONTENT_ENCODING);
    if (encoding == null || encoding.isBlank() || encoding.equalsIgnoreCase("identity")) {
      return body;
    }
    if (!encoding.strip().equalsIgnoreCase("gzip")) {
      throw new InvalidPayload("Content-Encoding '" + encoding + "' is not supported; send gzip or no encoding.");
    }
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(body.length * 4);
      byte[] buf = new byte[16384];
      int n;
      while ((n = in.read(buf)) > 0) {
        if (out.size() + n > MAX_INFLATED_BYTES) {
          throw new InvalidPayload("The gzip body inflates to more than " + (MAX_INFLATED_BYTES >> 20)
              + " MB; send smaller batches.");
        }
        out.write(buf, 0, n);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new InvalidPayload("The body is not valid gzip (Content-Encoding: gzip): " + e.getMessage());
    }
  }
}
