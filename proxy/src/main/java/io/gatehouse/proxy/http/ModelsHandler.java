package io.gatehouse.proxy.http;

import com.fasterxml.jackson.databind.JsonNode;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.config.GatehouseConfig;
import io.gatehouse.proxy.config.ModelAlias;
import io.gatehouse.proxy.config.ProviderConfig;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /v1/models} in OpenAI's list shape: the configured aliases and every {@code provider/model}
 * they target. A non-standard {@code providers} field lists the providers (name, type, base URL, never
 * keys), since zero-config providers accept any model name. Computed once at start; thread-safe.
 */
public final class ModelsHandler implements HttpHandler {
  private final ByteBuffer body;

  /** The prefix of {@code GET /v1/models/{model}}; model ids contain '/', e.g. {@code openai/gpt-4o}. */
  public static final String ONE_MODEL = "/v1/models/";

  private final Map<String, ByteBuffer> byId = new HashMap<>();

  public ModelsHandler(GatehouseConfig config) {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("object", "list");
    ArrayNode data = root.putArray("data");
    long created = System.currentTimeMillis() / 1000;
    Set<String> targets = new LinkedHashSet<>();
    for (ModelAlias alias : config.models().values()) {
      model(data, alias.name(), "gatehouse", created);
      alias.targets().forEach(t -> targets.add(t.id()));
    }
    for (String t : targets) {
      model(data, t, t.substring(0, t.indexOf('/')), created);
    }
    ArrayNode providers = root.putArray("providers");
    for (ProviderConfig p : config.providers().values()) {
      ObjectNode n = providers.addObject();
      n.put("id", p.name());
      n.put("type", p.type().yamlName());
      n.put("base_url", p.baseUrl());
    }
    try {
      for (JsonNode m : data) {
        byId.put(m.path("id").asText(), ByteBuffer.wrap(json.writeValueAsBytes(m)).asReadOnlyBuffer());
      }
      this.body = ByteBuffer.wrap(json.writeValueAsBytes(root)).asReadOnlyBuffer();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void model(ArrayNode data, String id, String ownedBy, long created) {
    ObjectNode m = data.addObject();
    m.put("id", id);
    m.put("object", "model");
    m.put("created", created);
    m.put("owned_by", ownedBy);
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) {
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
    exchange.getResponseSender().send(body.duplicate());
  }

  /** {@code GET /v1/models/{id}}: the model object, or OpenAI's 404 {@code model_not_found}. */
  public void retrieve(HttpServerExchange exchange, String rawId) {
    // SDKs percent-encode the id as one path segment: openai/gpt-4o arrives as openai%2Fgpt-4o
    String id = java.net.URLDecoder.decode(rawId.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
    ByteBuffer model = byId.get(id);
    if (model == null) {
      OpenAiErrors.send(exchange, 404, "The model '" + id + "' is not configured in Gatehouse. GET /v1/models lists "
          + "the aliases and provider/model targets it serves.", OpenAiErrors.INVALID_REQUEST, "model", "model_not_found");
      return;
    }
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
    exchange.getResponseSender().send(model.duplicate());
  }
}
