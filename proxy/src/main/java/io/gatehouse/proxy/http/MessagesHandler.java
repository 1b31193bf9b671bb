package io.gatehouse.proxy.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.events.EventSink;
import io.gatehouse.proxy.events.PromptHash;
import io.gatehouse.proxy.limits.Gate;
import io.gatehouse.proxy.pipeline.Attribution;
import io.gatehouse.proxy.pipeline.CallRecord;
import io.gatehouse.proxy.pipeline.Prompts;
import io.gatehouse.proxy.provider.ModelPatch;
import io.gatehouse.proxy.provider.Provider;
import io.gatehouse.proxy.provider.anthropic.AnthropicAdapter;
import io.gatehouse.proxy.routing.RouteTable;
import io.gatehouse.proxy.tracing.Tracing;
import io.gatehouse.proxy.transport.UpstreamClient;
import io.gatehouse.proxy.transport.UpstreamRequest;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.util.HeaderValues;
import io.undertow.util.SameThreadExecutor;
import java.io.IOException;
import java.net.URI;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;

/**
 * {@code POST /v1/messages} and {@code POST /v1/messages/count_tokens}: the Anthropic Messages API as
 * a passthrough to a provider of type {@code anthropic}. The body is parsed only to route, attribute
 * and record it; what goes upstream is the client's bytes with {@code model} replaced by the upstream
 * model name ({@link ModelPatch}). The client's key ({@code x-api-key} or {@code Authorization}) is
 * never forwarded: the provider's key is. {@code anthropic-version} (default
 * {@value AnthropicAdapter#API_VERSION}) and {@code anthropic-beta} are. Every outcome publishes
 * exactly one event; every error the client sees is Anthropic-shaped.
 *
 * <p>Runs on IO threads and never blocks. Stateless apart from final collaborators; thread-safe.
 */
public final class MessagesHandler implements HttpHandler {
  public static final String ENDPOINT = "/v1/messages";
  public static final String COUNT_TOKENS = "/v1/messages/count_tokens";
  private static final Logger LOG = LoggerFactory.getLogger(MessagesHandler.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RouteTable routes;
  private final UpstreamClient upstream;
  private final EventSink events;
  private final Tracing tracing;
  private final Gate gate;

  public MessagesHandler(RouteTable routes, UpstreamClient upstream, EventSink events, Tracing tracing, Gate gate) {
    this.tracing = tracing;
    this.gate = gate;
    this.routes = routes;
    this.upstream = upstream;
    this.events = events;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) {
    String endpoint = exchange.getRequestPath().equals(COUNT_TOKENS) ? COUNT_TOKENS : ENDPOINT;
    CallRecord record = new CallRecord(events, endpoint);
    record.trace(tracing.start(endpoint, exchange.getRequestHeaders()));
    GatewayHandler.tagRequestId(exchange, record.eventId());
    exchange.getRequestReceiver().receiveFullBytes(
        (ex, body) -> ex.dispatch(SameThreadExecutor.INSTANCE, () -> {
          try {
            onBody(ex, record, endpoint, body);
          } catch (RuntimeException e) {
            internalError(ex, record, e);
          }
        }),
        (ex, error) -> {
          if (error instanceof RequestTooBigException) {
            reject(ex, record, 413, "request_too_large", "The request body is larger than "
                + (GatewayHandler.MAX_REQUEST_BYTES >> 20) + " MB.");
          } else {
            record.event().stream(false);
            record.error(400, "client_error", "Reading the request body failed: " + error.getMessage());
            record.finish(400, null);
            IoUtils.safeClose(ex.getConnection());
          }
        });
  }

  private void onBody(HttpServerExchange exchange, CallRecord record, String endpoint, byte[] body) {
    // headers only: Anthropic's body has no OpenAI-style "user" field
    Attribution attribution = Attribution.from(exchange.getRequestHeaders(), null);
    attribution.applyTo(record.event());
    JsonNode parsed;
    try {
      parsed = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr();
      reject(exchange, record, 400, AnthropicApiErrors.INVALID_REQUEST, "The request body is not valid JSON" + where
          + ": " + e.getOriginalMessage() + ".");
      return;
    } catch (IOException e) {
      reject(exchange, record, 400, AnthropicApiErrors.INVALID_REQUEST, "The request body could not be read as JSON.");
      return;
    }
    if (parsed == null || !parsed.isObject()) {
      reject(exchange, record, 400, AnthropicApiErrors.INVALID_REQUEST,
          "The request body must be a JSON object with \"model\", \"messages\" and \"max_tokens\".");
      return;
    }
    ObjectNode request = (ObjectNode) parsed;
    boolean stream = endpoint.equals(ENDPOINT) && request.path("stream").asBoolean(false);
    JsonNode prompt = Prompts.anthropic(request);
    record.event().stream(stream).params(paramsOf(request)).prompt(prompt);
    try {
      record.event().promptHash(PromptHash.sha256Hex(JSON.writeValueAsBytes(prompt)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a parsed tree must serialise", e);
    }
    JsonNode model = request.get("model");
    if (model != null && !model.isNull() && !model.isTextual()) {
      reject(exchange, record, 400, AnthropicApiErrors.INVALID_REQUEST,
          "model: must be a string such as \"claude-3-5-haiku-latest\".");
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
    Attribution attributed = pass.attribution(attribution);
    attributed.applyTo(record.event());
    RouteTable.Resolution resolution = routes.resolveAnthropic(modelName);
    if (resolution instanceof RouteTable.RouteError error) {
      reject(exchange, record, error.status(), error.code(), error.message());
      return;
    }
    RouteTable.Route route = (RouteTable.Route) resolution;
    if (endpoint.equals(COUNT_TOKENS)) { // free: authenticated, never budgeted
      forward(exchange, record, endpoint, body, modelName, stream, route);
      return;
    }
    JsonNode maxTokens = request.get("max_tokens");
    // the body's length / 4 bounds the prompt's tokens from above, which is what a reservation needs
    gate.admit(pass, attributed, route.targets(), (body.length + 3) / 4,
        maxTokens != null && maxTokens.isIntegralNumber() && maxTokens.asInt() > 0 ? maxTokens.asInt() : null,
        record, exchange.getIoThread(), denied -> {
          if (denied != null) {
            deny(exchange, record, denied);
            return;
          }
          try {
            forward(exchange, record, endpoint, body, modelName, stream, route);
          } catch (RuntimeException e) {
            internalError(exchange, record, e);
          }
        });
  }

  private void forward(HttpServerExchange exchange, CallRecord record, String endpoint, byte[] body, String modelName,
      boolean stream, RouteTable.Route route) {
    Provider provider = route.provider();
    Provider.Credential credential = provider.nextCredential();
    String deployment = provider.deployment(credential.index(), route.upstreamModel());
    record.event().provider(provider.name()).deployment(deployment).route(route.route());
    byte[] forwarded = route.upstreamModel().equals(modelName) ? body : ModelPatch.replace(body, route.upstreamModel());
    UpstreamRequest upstreamRequest = new UpstreamRequest(URI.create(provider.baseUrl() + endpoint),
        headers(exchange, provider, credential, stream), forwarded);
    new MessagesForwarder(exchange, record, provider, deployment, route.upstreamModel(), stream,
        endpoint.equals(COUNT_TOKENS)).start(upstream, upstreamRequest);
  }

  /** The provider's configured headers, its key, and the client's Anthropic protocol headers. */
  private static Map<String, String> headers(HttpServerExchange exchange, Provider provider,
      Provider.Credential credential, boolean stream) {
    Map<String, String> h = new LinkedHashMap<>(provider.headers());
    h.put("Accept", stream ? "text/event-stream" : "application/json");
    h.put("User-Agent", "gatehouse-proxy");
    String version = exchange.getRequestHeaders().getFirst("anthropic-version");
    h.put("anthropic-version", version == null || version.isBlank() ? AnthropicAdapter.API_VERSION : version.strip());
    HeaderValues beta = exchange.getRequestHeaders().get("anthropic-beta");
    if (beta != null && !beta.isEmpty()) {
      h.put("anthropic-beta", String.join(",", beta));
    }
    if (credential.key() != null) {
      h.put("x-api-key", credential.key());
    }
    return h;
  }

  /** The request without messages and system: what the event keeps as parameters. Shares nodes. */
  private static ObjectNode paramsOf(ObjectNode request) {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = request.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      if (!f.getKey().equals("messages") && !f.getKey().equals("system")) {
        params.set(f.getKey(), f.getValue());
      }
    }
    return params;
  }

  private static void deny(HttpServerExchange exchange, CallRecord record, Gate.Denied denied) {
    if (denied.retryAfterSeconds() != null) {
      exchange.getResponseHeaders().put(io.undertow.util.Headers.RETRY_AFTER, denied.retryAfterSeconds());
    }
    reject(exchange, record, denied.status(), denied.anthropicType(), denied.message());
  }

  private static void reject(HttpServerExchange exchange, CallRecord record, int status, String type,
      String message) {
    AnthropicApiErrors.send(exchange, status, type, message);
    record.error(status, type, message);
    record.finish(status, null);
  }

  private static void internalError(HttpServerExchange exchange, CallRecord record, RuntimeException e) {
    LOG.error("Request {} failed inside the proxy", record.eventId(), e);
    String message = "Gatehouse failed while handling this request (request id " + record.eventId() + ").";
    if (!exchange.isResponseStarted()) {
      AnthropicApiErrors.send(exchange, 500, AnthropicApiErrors.API_ERROR, message);
    }
    record.error(500, OpenAiErrors.INTERNAL, message + " " + e);
    record.finish(500, null);
  }
}
