package io.gatehouse.proxy.http;

import io.gatehouse.proxy.events.EventSink;
import io.gatehouse.proxy.logs.ReceiverHandler;
import io.gatehouse.proxy.logs.Receivers;
import io.gatehouse.proxy.pipeline.CallRecord;
import io.gatehouse.schemas.EventIds;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The root handler: dispatches by path and method, and answers everything else with an OpenAI-shaped
 * 404/405 (Anthropic-shaped under {@code /v1/messages}; recorded as an event). {@code GET /health} and {@code GET /v1/models} are not LLM traffic and
 * publish no event. Every response carries {@code x-gatehouse-request-id}. The log receivers
 * ({@link Receivers}) are always served; in log-only mode the proxy endpoints answer 404 without an event.
 *
 * <p>Runs on IO threads; never blocks. Thread-safe.
 */
public final class GatewayHandler implements HttpHandler {
  public static final HttpString REQUEST_ID = HttpString.tryFromString("x-gatehouse-request-id");
  /** Largest accepted request body (Undertow's MAX_ENTITY_SIZE is set to this). */
  public static final long MAX_REQUEST_BYTES = 32L << 20;
  private static final Logger LOG = LoggerFactory.getLogger(GatewayHandler.class);
  private static final String SERVED = "Gatehouse serves POST /v1/chat/completions, POST /v1/embeddings, POST /v1/messages, "
      + "POST /v1/messages/count_tokens, GET /v1/models, GET /v1/models/{model} and GET /health; logs at "
      + Receivers.SERVED + ".";
  private static final ByteBuffer HEALTH_OK =
      ByteBuffer.wrap("{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8)).asReadOnlyBuffer();

  private final ChatCompletionsHandler chat;
  private final EmbeddingsHandler embeddings;
  private final MessagesHandler messages;
  private final ModelsHandler models;
  private final EventSink events;
  private final Receivers receivers;

  public GatewayHandler(ChatCompletionsHandler chat, EmbeddingsHandler embeddings, MessagesHandler messages,
      ModelsHandler models, EventSink events, Receivers receivers) {
    this.receivers = receivers;
    this.chat = chat;
    this.embeddings = embeddings;
    this.messages = messages;
    this.models = models;
    this.events = events;
  }

  static void tagRequestId(HttpServerExchange exchange, String id) {
    exchange.getResponseHeaders().put(REQUEST_ID, id);
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) {
    String path = exchange.getRequestPath();
    HttpString method = exchange.getRequestMethod();
    try {
      ReceiverHandler receiver = receivers.forPath(path);
      if (receiver != null) {
        receivers.handle(receiver, exchange);
        return;
      }
      if (receivers.logOnly() && !path.equals("/health")) {
        tagRequestId(exchange, EventIds.next());
        OpenAiErrors.send(exchange, 404, "This Gatehouse runs in log-only mode: it does not proxy " + method + " " + path
            + ". It receives logs at " + Receivers.SERVED + " (unset GATEHOUSE_LOG_ONLY / receivers.log_only to proxy).",
            OpenAiErrors.INVALID_REQUEST, null, "log_only_mode");
        return;
      }
      switch (path) {
        case ChatCompletionsHandler.ENDPOINT -> {
          if (method.equals(Methods.POST)) {
            chat.handleRequest(exchange);
          } else {
            reject(exchange, 405, "method_not_allowed", "Use POST for " + path + ", not " + method + ".");
          }
        }
        case EmbeddingsHandler.ENDPOINT -> {
          if (method.equals(Methods.POST)) {
            embeddings.handleRequest(exchange);
          } else {
            reject(exchange, 405, "method_not_allowed", "Use POST for " + path + ", not " + method + ".");
          }
        }
        case MessagesHandler.ENDPOINT, MessagesHandler.COUNT_TOKENS -> {
          if (method.equals(Methods.POST)) {
            messages.handleRequest(exchange);
          } else {
            reject(exchange, 405, "method_not_allowed", "Use POST for " + path + ", not " + method + ".");
          }
        }
        case "/v1/models" -> {
          if (method.equals(Methods.GET)) {
            tagRequestId(exchange, EventIds.next());
            models.handleRequest(exchange);
          } else {
            reject(exchange, 405, "method_not_allowed", "Use GET for " + path + ", not " + method + ".");
          }
        }
        case "/health" -> {
          tagRequestId(exchange, EventIds.next());
          exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
          exchange.getResponseSender().send(HEALTH_OK.duplicate());
        }
        default -> {
          if (path.startsWith(ModelsHandler.ONE_MODEL) && method.equals(Methods.GET)) {
            tagRequestId(exchange, EventIds.next());
            models.retrieve(exchange, path.substring(ModelsHandler.ONE_MODEL.length()));
          } else {
            reject(exchange, 404, "unknown_url", "Unknown request URL: " + method + " " + path + ". " + SERVED);
          }
        }
      }
    } catch (RuntimeException e) {
      LOG.error("Unexpected failure handling {} {}", method, path, e);
      if (!exchange.isResponseStarted()) {
        OpenAiErrors.send(exchange, 500, "Gatehouse failed while handling this request.", OpenAiErrors.INTERNAL,
            null, "internal_error");
      }
    }
  }

  private void reject(HttpServerExchange exchange, int status, String code, String message) {
    String path = exchange.getRequestPath();
    CallRecord record = new CallRecord(events, path.length() > 200 ? path.substring(0, 200) : path);
    tagRequestId(exchange, record.eventId());
    exchange.getResponseHeaders().put(Headers.ALLOW,
        path.equals("/v1/models") || path.equals("/health") ? "GET" : "POST");
    if (path.startsWith(MessagesHandler.ENDPOINT)) {
      // clients of the Anthropic-native endpoints expect Anthropic-shaped errors
      AnthropicApiErrors.send(exchange, status, AnthropicApiErrors.INVALID_REQUEST, message);
    } else {
      OpenAiErrors.send(exchange, status, message, OpenAiErrors.INVALID_REQUEST, null, code);
    }
    record.error(status, OpenAiErrors.INVALID_REQUEST, message);
    record.finish(status, null);
  }
}
