package io.gatehouse.proxy.http;

import static io.gatehouse.proxy.http.ChatCompletionsHandler.internalError;
import static io.gatehouse.proxy.http.ChatCompletionsHandler.reject;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.events.EventSink;
import io.gatehouse.proxy.events.PromptHash;
import io.gatehouse.proxy.pipeline.Attribution;
import io.gatehouse.proxy.pipeline.CallRecord;
import io.gatehouse.proxy.provider.ModelPatch;
import io.gatehouse.proxy.provider.Provider;
import io.gatehouse.proxy.routing.RouteTable;
import io.gatehouse.proxy.tracing.Tracing;
import io.gatehouse.proxy.transport.UpstreamClient;
import io.gatehouse.proxy.transport.UpstreamRequest;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;

/**
 * {@code POST /v1/embeddings}: OpenAI's embeddings API as a passthrough to a provider of type
 * {@code openai} or {@code openai-compatible}, routed by {@code model} as chat is. The body is parsed
 * only to route and record it; what goes upstream is the client's bytes with {@code model} replaced by
 * the upstream model name ({@link ModelPatch}), so {@code encoding_format}, {@code dimensions} and
 * unknown fields reach the provider as sent, and the answer (base64 included) comes back untouched.
 * The provider's key is sent, never the client's. Every outcome publishes exactly one event; every
 * error the client sees is OpenAI-shaped.
 *
 * <p>Runs on IO threads and never blocks. Stateless apart from final collaborators; thread-safe.
 */
public final class EmbeddingsHandler implements HttpHandler {
  public static final String ENDPOINT = "/v1/embeddings";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String EXAMPLE = " Send e.g. {\"model\": \"openai/text-embedding-3-small\", \"input\": \"Hi\"}.";

  private final RouteTable routes;
  private final UpstreamClient upstream;
  private final EventSink events;
  private final Tracing tracing;
  private final io.gatehouse.proxy.limits.Gate gate;

  public EmbeddingsHandler(RouteTable routes, UpstreamClient upstream, EventSink events, Tracing tracing,
      io.gatehouse.proxy.limits.Gate gate) {
    this.tracing = tracing;
    this.gate = gate;
    this.routes = routes;
    this.upstream = upstream;
    this.events = events;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) {
    CallRecord record = new CallRecord(events, ENDPOINT);
    record.trace(tracing.start(ENDPOINT, exchange.getRequestHeaders()));
    GatewayHandler.tagRequestId(exchange, record.eventId());
    record.event().stream(false);
    OpenAiRequestBody.receive(exchange, record, this::onBody);
  }

  private void onBody(HttpServerExchange exchange, CallRecord record, byte[] body) {
    ObjectNode request = OpenAiRequestBody.parseObject(exchange, record, body, EXAMPLE,
        "The request body must be a JSON object with \"model\" and \"input\"." + EXAMPLE);
    if (request == null) {
      return;
    }
    Attribution attribution = Attribution.from(exchange.getRequestHeaders(), request);
    attribution.applyTo(record.event());
    JsonNode input = request.get("input");
    ObjectNode params = request.objectNode().setAll(request); // shallow: shares the nodes
    params.remove("input");
    record.event().params(params).prompt(input);
    if (input != null) {
      try {
        record.event().promptHash(PromptHash.sha256Hex(JSON.writeValueAsBytes(input)));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("a parsed tree must serialise", e);
      }
    }
    JsonNode model = request.get("model");
    if (model != null && !model.isNull() && !model.isTextual()) {
      reject(exchange, record, 400, "model", "invalid_model", "\"model\" must be a string such as "
          + "\"openai/text-embedding-3-small\".");
      return;
    }
    String modelName = model == null || model.isNull() ? null : model.asText();
    record.event().modelRequested(modelName);
    io.gatehouse.proxy.limits.Gate.Check check = gate.authenticate(exchange.getRequestHeaders(), modelName);
    if (check instanceof io.gatehouse.proxy.limits.Gate.Denied denied) {
      ChatCompletionsHandler.deny(exchange, record, denied);
      return;
    }
    io.gatehouse.proxy.limits.Gate.Pass pass = (io.gatehouse.proxy.limits.Gate.Pass) check;
    pass.applyTo(record.event());
    Attribution attributed = pass.attribution(attribution);
    attributed.applyTo(record.event());
    if (input == null || input.isNull()) {
      reject(exchange, record, 400, "input", "missing_input", "You must provide an input: a string or an array of "
          + "strings to embed." + EXAMPLE);
      return;
    }
    if (!input.isTextual() && !input.isArray()) {
      reject(exchange, record, 400, "input", "invalid_input", "\"input\" must be a string or an array of strings, "
          + "not " + input.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + "." + EXAMPLE);
      return;
    }
    RouteTable.Resolution resolution = routes.resolve(modelName);
    if (resolution instanceof RouteTable.RouteError error) {
      reject(exchange, record, error.status(), "model", error.code(), error.message());
      return;
    }
    RouteTable.Route route = (RouteTable.Route) resolution;
    Provider provider = route.provider();
    Provider.Credential credential = provider.nextCredential();
    byte[] forwarded = route.upstreamModel().equals(modelName) ? body : ModelPatch.replace(body, route.upstreamModel());
    UpstreamRequest upstreamRequest = provider.adapter().prepareEmbeddings(forwarded, route.upstreamModel(), credential.key());
    if (upstreamRequest == null) {
      record.event().provider(provider.name()).route(route.route());
      reject(exchange, record, 400, "model", "unsupported_for_provider", "The model '" + modelName + "' routes to "
          + "provider '" + provider.name() + "' of type " + provider.type().yamlName() + ", which has no "
          + "embeddings API behind /v1/embeddings. Embeddings go to providers of type openai, "
          + "openai-compatible or azure-openai.");
      return;
    }
    String deployment = provider.deployment(credential.index(), route.upstreamModel());
    record.event().provider(provider.name()).deployment(deployment).route(route.route());
    // the body's length / 4 bounds the input tokens from above; embeddings produce no output tokens
    gate.admit(pass, attributed, route.targets(), (body.length + 3) / 4, 0, record, exchange.getIoThread(), denied -> {
      if (denied != null) {
        ChatCompletionsHandler.deny(exchange, record, denied);
        return;
      }
      try {
        new EmbeddingsForwarder(exchange, record, provider, deployment, route.upstreamModel())
            .start(upstream, upstreamRequest);
      } catch (RuntimeException e) {
        ChatCompletionsHandler.internalError(exchange, record, e);
      }
    });
  }
}
