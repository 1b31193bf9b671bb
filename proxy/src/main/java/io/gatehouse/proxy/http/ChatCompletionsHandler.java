package io.gatehouse.proxy.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.cache.CacheStage;
import io.gatehouse.proxy.config.Resilience;
import io.gatehouse.proxy.events.EventSink;
import io.gatehouse.proxy.events.PromptHash;
import io.gatehouse.proxy.failover.Backoff;
import io.gatehouse.proxy.failover.Breakers;
import io.gatehouse.proxy.limits.Gate;
import io.gatehouse.proxy.pipeline.Attribution;
import io.gatehouse.proxy.pipeline.CallRecord;
import io.gatehouse.proxy.provider.openai.OpenAiChat;
import io.gatehouse.proxy.routing.RouteFacts;
import io.gatehouse.proxy.routing.RouteTable;
import io.gatehouse.proxy.tracing.Tracing;
import io.gatehouse.proxy.transport.UpstreamClient;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import java.util.Iterator;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/chat/completions}: the ordered stages of one request. Read the body asynchronously →
 * parse → attribution → route → forward ({@link ChatForwarder}). Every outcome, including bad input,
 * publishes exactly one event.
 *
 * <p>Runs on IO threads and never blocks. Stateless apart from final collaborators; thread-safe.
 */
public final class ChatCompletionsHandler implements HttpHandler {
  public static final String ENDPOINT = "/v1/chat/completions";
  private static final Logger LOG = LoggerFactory.getLogger(ChatCompletionsHandler.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RouteTable routes;
  private final UpstreamClient upstream;
  private final EventSink events;
  private final Resilience resilience;
  private final Breakers breakers;
  private final Backoff backoff;
  private final Tracing tracing;
  private final Gate gate;
  private final CacheStage cache; // cache (issue 7)

  public ChatCompletionsHandler(RouteTable routes, UpstreamClient upstream, EventSink events, Resilience resilience,
      Breakers breakers, Tracing tracing, Gate gate) {
    this(routes, upstream, events, resilience, breakers, tracing, gate, CacheStage.OFF);
  }

  public ChatCompletionsHandler(RouteTable routes, UpstreamClient upstream, EventSink events, Resilience resilience,
      Breakers breakers, Tracing tracing, Gate gate, CacheStage cache) {
    this.tracing = tracing;
    this.gate = gate;
    this.cache = cache;
    this.routes = routes;
    this.upstream = upstream;
    this.events = events;
    this.resilience = resilience;
    this.breakers = breakers;
    this.backoff = new Backoff(resilience.backoff(), resilience.maxBackoff(), resilience.maxRetryAfter(),
        () -> java.util.concurrent.ThreadLocalRandom.current().nextDouble());
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) {
    CallRecord record = new CallRecord(events, ENDPOINT);
    record.trace(tracing.start(ENDPOINT, exchange.getRequestHeaders()));
    GatewayHandler.tagRequestId(exchange, record.eventId());
    OpenAiRequestBody.receive(exchange, record, this::onBody);
  }

  private void onBody(HttpServerExchange exchange, CallRecord record, byte[] body) {
    ObjectNode request = OpenAiRequestBody.parseObject(exchange, record, body, " Send a JSON object such as "
        + "{\"model\": \"openai/gpt-4o-mini\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}.",
        "The request body must be a JSON object with \"model\" and \"messages\".");
    if (request == null) {
      return;
    }
    Attribution attribution = Attribution.from(exchange.getRequestHeaders(), request);
    attribution.applyTo(record.event());
    boolean stream = request.path("stream").asBoolean(false);
    JsonNode messages = request.get("messages");
    record.event().stream(stream).params(paramsOf(request)).prompt(messages);
    if (messages != null) {
      try {
        record.event().promptHash(PromptHash.sha256Hex(JSON.writeValueAsBytes(messages)));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("a parsed tree must serialise", e);
      }
    }
    JsonNode model = request.get("model");
    if (model != null && !model.isNull() && !model.isTextual()) {
      reject(exchange, record, 400, "model", "invalid_model", "\"model\" must be a string such as "
          + "\"openai/gpt-4o-mini\".");
      return;
    }
    String modelName = model == null || model.isNull() ? null : model.asText();
    record.event().modelRequested(modelName);
    Gate.Check check = gate.authenticate(exchange.getRequestHeaders(), modelName);
    if (check instanceof Gate.Denied denied) {
      deny(exchange, record, denied);
      return;
    }
    Gate.Pass pass = (Gate.Pass) check;
    pass.applyTo(record.event());
    attribution = pass.attribution(attribution);
    attribution.applyTo(record.event());
    ChatRequestCheck.Violation violation = ChatRequestCheck.check(request);
    if (violation != null) {
      reject(exchange, record, 400, violation.param(), violation.code(), violation.message());
      return;
    }
    RouteFacts facts = RouteFacts.of(attribution, exchange.getRequestHeaders(), request);
    RouteTable.Resolution resolution = routes.resolve(modelName, facts);
    if (resolution instanceof RouteTable.RouteError error) {
      reject(exchange, record, error.status(), "model", error.code(), error.message());
      return;
    }
    RouteTable.Route route = (RouteTable.Route) resolution;
    record.event().route(route.route()).experiment(route.experiment()).variant(route.variant());
    String team = attribution.team(); // cache (issue 7): the scope of cached answers
    gate.admit(pass, attribution, route.targets(), facts.estimatedPromptTokens(), maxTokens(request), record,
        exchange.getIoThread(), denied -> {
          if (denied != null) {
            deny(exchange, record, denied);
            return;
          }
          try {
            // cache (issue 7), after admission: answers from the cache, or forwards with a capture that
            // stores a complete answer
            boolean wantsUsage = OpenAiChat.clientWantsStreamUsage(request);
            cache.handle(exchange, record, request, stream, wantsUsage, route.route(), route.targets().get(0).id(),
                team, pass.key() == null ? null : pass.key().id(), () -> new ChatAttempts(exchange,
                    record, request, stream, wantsUsage, route, upstream, resilience, breakers, backoff).start(),
                e -> internalError(exchange, record, e));
          } catch (RuntimeException e) {
            internalError(exchange, record, e);
          }
        });
  }

  /** {@code max_completion_tokens}, else {@code max_tokens}, else null. */
  static Integer maxTokens(JsonNode request) {
    for (String field : new String[] {"max_completion_tokens", "max_tokens"}) {
      JsonNode n = request.get(field);
      if (n != null && n.canConvertToInt() && n.isIntegralNumber() && n.asInt() > 0) {
        return n.asInt();
      }
    }
    return null;
  }

  /** Answers a request the gate refused (401/403/429), OpenAI-shaped, and records it. */
  static void deny(HttpServerExchange exchange, CallRecord record, Gate.Denied denied) {
    if (denied.retryAfterSeconds() != null) {
      exchange.getResponseHeaders().put(io.undertow.util.Headers.RETRY_AFTER, denied.retryAfterSeconds());
    }
    OpenAiErrors.send(exchange, denied.status(), denied.message(), denied.openAiType(), null, denied.code());
    record.error(denied.status(), denied.openAiType(), denied.message());
    record.finish(denied.status(), null);
  }

  /** The request without its messages: what the event keeps as parameters. Shares nodes; never mutated. */
  private static ObjectNode paramsOf(ObjectNode request) {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = request.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      if (!f.getKey().equals("messages")) {
        params.set(f.getKey(), f.getValue());
      }
    }
    return params;
  }

  /** Answers a request that cannot be forwarded, and records it. */
  static void reject(HttpServerExchange exchange, CallRecord record, int status, String param, String code,
      String message) {
    OpenAiErrors.send(exchange, status, message, OpenAiErrors.INVALID_REQUEST, param, code);
    record.error(status, OpenAiErrors.INVALID_REQUEST, message);
    record.finish(status, null);
  }

  static void internalError(HttpServerExchange exchange, CallRecord record, RuntimeException e) {
    LOG.error("Request {} failed inside the proxy", record.eventId(), e);
    String message = "Gatehouse failed while handling this request (request id " + record.eventId() + ").";
    if (!exchange.isResponseStarted()) {
      OpenAiErrors.send(exchange, 500, message, OpenAiErrors.INTERNAL, null, "internal_error");
    }
    record.error(500, OpenAiErrors.INTERNAL, message + " " + e);
    record.finish(500, null);
  }
}
