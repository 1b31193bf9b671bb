package io.gatehouse.proxy.http;

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
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * {@code GET /v1/models} in OpenAI's list shape: the configured aliases and every {@code provider/model}
 * they target. A non-standard {@code providers} field lists the providers (name, type, base URL, never
 * keys), since zero-config providers accept any model name. Computed once at start; thread-safe.
 */
public final class ModelsHandler implements HttpHandler {
  private final ByteBuffer body;

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
}
