package io.gatehouse.proxy.keys;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.config.ConfigException;
import io.gatehouse.proxy.http.OpenAiErrors;
import io.gatehouse.proxy.limits.Budget;
import io.gatehouse.proxy.limits.RateLimit;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The admin API for virtual keys, on the proxy port, behind {@code Authorization: Bearer <admin token>}:
 *
 * <pre>
 * POST   /admin/keys               create: { name, team, user, models, budget: {usd, period}, rpm, tpm,
 *                                            expires_at (ISO-8601 or epoch ms), metadata } → 201 with the secret
 * GET    /admin/keys               list (never secrets or hashes)
 * GET    /admin/keys/{id}          one key
 * POST   /admin/keys/{id}/rotate   new secret (the old one stops working at once) → 200 with the secret
 * DELETE /admin/keys/{id}          revoke
 * </pre>
 *
 * The secret is in the create and rotate answers only. Blocking (waits for Kafka), so it runs on a
 * worker thread. Errors are OpenAI-shaped; the admin token is never logged.
 */
public final class AdminHandler implements HttpHandler {
  public static final String PREFIX = "/admin/keys";
  static final int MAX_BODY_BYTES = 64 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(10);
  private static final Set<String> CREATE_FIELDS =
      Set.of("name", "team", "user", "models", "budget", "rpm", "tpm", "expires_at", "metadata");

  private final KeyStore keys;
  private final byte[] adminToken;
  private final LongSupplier clock;

  /** @param adminToken null: the admin API answers 404 saying how to enable it */
  public AdminHandler(KeyStore keys, String adminToken, LongSupplier clock) {
    this.keys = keys;
    this.adminToken = adminToken == null ? null : adminToken.getBytes(StandardCharsets.UTF_8);
    this.clock = clock;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) {
    if (exchange.isInIoThread()) {
      exchange.dispatch(this);
      return;
    }
    try {
      handle(exchange);
    } catch (BadRequest e) {
      error(exchange, 400, e.getMessage(), e.param, "invalid_request");
    } catch (KeyStore.KeyStoreUnavailable e) {
      error(exchange, 503, "The key change could not be stored: " + e.getMessage() + ". Check Kafka and retry.",
          null, "key_store_unavailable");
    }
  }

  private void handle(HttpServerExchange exchange) {
    if (adminToken == null) {
      error(exchange, 404, "The admin API is off: set GATEHOUSE_ADMIN_TOKEN (or admin.token in the config) to manage "
          + "virtual keys.", null, "admin_api_disabled");
      return;
    }
    String auth = exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
    byte[] presented = auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)
        ? auth.substring(7).strip().getBytes(StandardCharsets.UTF_8) : new byte[0];
    if (!MessageDigest.isEqual(presented, adminToken)) {
      error(exchange, 401, "Send the admin token as 'Authorization: Bearer <token>' (the value of GATEHOUSE_ADMIN_TOKEN).",
          null, "invalid_admin_token");
      return;
    }
    String rest = exchange.getRequestPath().substring(PREFIX.length());
    HttpString method = exchange.getRequestMethod();
    if (rest.isEmpty() || rest.equals("/")) {
      if (method.equals(Methods.POST)) {
        create(exchange);
      } else if (method.equals(Methods.GET)) {
        ObjectNode list = JSON.createObjectNode().put("object", "list");
        ArrayNode data = list.putArray("data");
        keys.all().forEach(k -> data.add(view(k)));
        send(exchange, 200, list);
      } else {
        error(exchange, 405, "Use GET or POST for " + PREFIX + ".", null, "method_not_allowed");
      }
      return;
    }
    String[] parts = rest.substring(1).split("/", -1);
    VirtualKey key = keys.byId(parts[0]);
    if (key == null) {
      error(exchange, 404, "No virtual key with id '" + parts[0] + "'.", null, "key_not_found");
      return;
    }
    if (parts.length == 1 && method.equals(Methods.GET)) {
      send(exchange, 200, view(key));
    } else if (parts.length == 1 && method.equals(Methods.DELETE)) {
      VirtualKey revoked = key.revoked(clock.getAsLong());
      keys.write(revoked, WRITE_TIMEOUT);
      send(exchange, 200, view(revoked));
    } else if (parts.length == 2 && parts[1].equals("rotate") && method.equals(Methods.POST)) {
      if (key.revokedAt() != null) {
        error(exchange, 409, "The virtual key " + key.id() + " is revoked; create a new one.", null, "key_revoked");
        return;
      }
      String secret = KeySecrets.newSecret();
      VirtualKey rotated = key.rotated(KeySecrets.sha256Hex(secret), KeySecrets.hint(secret), clock.getAsLong());
      keys.write(rotated, WRITE_TIMEOUT);
      send(exchange, 200, view(rotated).put("key", secret));
    } else {
      error(exchange, 404, "Unknown admin request " + method + " " + exchange.getRequestPath() + ". Serves: POST/GET "
          + PREFIX + ", GET/DELETE " + PREFIX + "/{id}, POST " + PREFIX + "/{id}/rotate.", null, "unknown_url");
    }
  }

  private void create(HttpServerExchange exchange) {
    JsonNode body = body(exchange);
    for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!CREATE_FIELDS.contains(f)) {
        throw new BadRequest(f, "Unknown field '" + f + "'; allowed: " + String.join(", ",
            CREATE_FIELDS.stream().sorted().toList()) + ".");
      }
    }
    Budget budget = null;
    RateLimit limits = null;
    try {
      if (present(body.get("budget"))) {
        budget = AccessConfig.budget(body.get("budget"), "budget");
      }
      ObjectNode rate = JSON.createObjectNode();
      if (present(body.get("rpm"))) {
        rate.set("rpm", body.get("rpm"));
      }
      if (present(body.get("tpm"))) {
        rate.set("tpm", body.get("tpm"));
      }
      limits = rate.isEmpty() ? null : AccessConfig.rateLimit(rate, "");
    } catch (ConfigException e) {
      throw new BadRequest(null, e.getMessage());
    }
    long now = clock.getAsLong();
    String secret = KeySecrets.newSecret();
    VirtualKey key = new VirtualKey(KeySecrets.newId(), KeySecrets.sha256Hex(secret), KeySecrets.hint(secret),
        text(body, "name"), text(body, "team"), text(body, "user"), models(body.get("models")), budget, limits,
        expiresAt(body.get("expires_at")), metadata(body.get("metadata")), now, null, null);
    keys.write(key, WRITE_TIMEOUT);
    send(exchange, 201, view(key).put("key", secret));
  }

  private static JsonNode body(HttpServerExchange exchange) {
    exchange.startBlocking();
    byte[] bytes;
    try (InputStream in = exchange.getInputStream()) {
      bytes = in.readNBytes(MAX_BODY_BYTES + 1);
    } catch (IOException e) {
      throw new BadRequest(null, "Reading the request body failed: " + e.getMessage());
    }
    if (bytes.length > MAX_BODY_BYTES) {
      throw new BadRequest(null, "The request body is larger than " + MAX_BODY_BYTES + " bytes.");
    }
    if (bytes.length == 0) {
      return JSON.createObjectNode();
    }
    JsonNode n;
    try {
      n = JSON.readTree(bytes);
    } catch (IOException e) {
      throw new BadRequest(null, "The body is not valid JSON. Send e.g. {\"name\": \"search-prod\", \"team\": "
          + "\"search\", \"budget\": {\"usd\": 50, \"period\": \"month\"}, \"rpm\": 600}.");
    }
    if (!n.isObject()) {
      throw new BadRequest(null, "The body must be a JSON object.");
    }
    return n;
  }

  private static String text(JsonNode body, String field) {
    JsonNode n = body.get(field);
    if (!present(n)) {
      return null;
    }
    if (!n.isTextual() || n.asText().isBlank() || n.asText().length() > 256) {
      throw new BadRequest(field, "'" + field + "' must be a non-empty string of at most 256 characters.");
    }
    return n.asText().strip();
  }

  private static List<String> models(JsonNode n) {
    List<String> out = new ArrayList<>();
    if (!present(n)) {
      return out;
    }
    if (!n.isArray()) {
      throw new BadRequest("models", "'models' must be a list of model names, e.g. [\"chat-default\", "
          + "\"openai/gpt-4o-mini\"]; leave it out to allow every model.");
    }
    for (JsonNode m : n) {
      if (!m.isTextual() || m.asText().isBlank()) {
        throw new BadRequest("models", "'models' must contain only non-empty strings.");
      }
      out.add(m.asText().strip());
    }
    return out;
  }

  private static Long expiresAt(JsonNode n) {
    if (!present(n)) {
      return null;
    }
    if (n.isIntegralNumber()) {
      return n.asLong();
    }
    try {
      return Instant.parse(n.asText()).toEpochMilli();
    } catch (DateTimeParseException e) {
      throw new BadRequest("expires_at", "'expires_at' must be an ISO-8601 instant such as \"2026-12-31T23:59:59Z\" "
          + "or epoch milliseconds.");
    }
  }

  private static Map<String, String> metadata(JsonNode n) {
    Map<String, String> out = new LinkedHashMap<>();
    if (!present(n)) {
      return out;
    }
    if (!n.isObject() || n.size() > 32) {
      throw new BadRequest("metadata", "'metadata' must be an object of at most 32 string values.");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isValueNode() || e.getValue().asText().length() > 512) {
        throw new BadRequest("metadata", "'metadata." + e.getKey() + "' must be a string of at most 512 characters.");
      }
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  private static boolean present(JsonNode n) {
    return n != null && !n.isNull();
  }

  /** The key as the API shows it: everything but the hash. */
  private static ObjectNode view(VirtualKey key) {
    ObjectNode n = JSON.valueToTree(key);
    n.remove("hash");
    n.put("object", "virtual_key");
    n.put("status", key.revokedAt() != null ? "revoked" : "active");
    return n;
  }

  private static void send(HttpServerExchange exchange, int status, JsonNode body) {
    exchange.setStatusCode(status);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
    try {
      exchange.getResponseSender().send(JSON.writeValueAsString(body), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void error(HttpServerExchange exchange, int status, String message, String param, String code) {
    OpenAiErrors.send(exchange, status, message, status == 401 ? "authentication_error" : OpenAiErrors.INVALID_REQUEST,
        param, code);
  }

  private static final class BadRequest extends RuntimeException {
    final String param;

    BadRequest(String param, String message) {
      super(message, null, false, false);
      this.param = param;
    }
  }
}
