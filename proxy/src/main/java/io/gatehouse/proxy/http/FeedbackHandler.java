package io.gatehouse.proxy.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.events.FeedbackPublisher;
import io.gatehouse.proxy.limits.Gate;
import io.gatehouse.schemas.EventIds;
import io.gatehouse.schemas.EventJson;
import io.gatehouse.schemas.Feedback;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/feedback}: a user's rating of one request, for prompt A/B analysis. Body: one object
 * or an array of up to {@link #MAX_ITEMS}:
 * <pre>{"request_id": "…", "score": 1, "label": "thumbs_up", "comment": "…", "user": "…"}</pre>
 * {@code request_id} is the {@code x-gatehouse-request-id} of the request rated; at least one of
 * score, label or comment. Answers 202 {@code {"accepted": n, "feedback_ids": […]}} once Kafka has the
 * feedback, 400 naming the field when the body is wrong, 503 with {@code Retry-After} when Kafka cannot
 * take it now. Authenticated like the proxy's own endpoints: a virtual key when keys are required.
 *
 * <p>The body is read on the IO thread; publishing runs on a worker thread (it may wait for Kafka's
 * metadata). Thread-safe.
 */
public final class FeedbackHandler implements HttpHandler {
  public static final String ENDPOINT = "/v1/feedback";
  static final int MAX_ITEMS = 100;
  private static final Logger LOG = LoggerFactory.getLogger(FeedbackHandler.class);
  private static final Pattern UUID = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final Set<String> FIELDS = Set.of("request_id", "score", "label", "comment", "user");

  private final FeedbackPublisher publisher;
  private final Gate gate;

  public FeedbackHandler(FeedbackPublisher publisher, Gate gate) {
    this.publisher = publisher;
    this.gate = gate;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) {
    if (!exchange.getRequestMethod().equals(Methods.POST)) {
      exchange.getResponseHeaders().put(Headers.ALLOW, "POST");
      OpenAiErrors.send(exchange, 405, "Use POST for " + ENDPOINT + ".", OpenAiErrors.INVALID_REQUEST, null,
          "method_not_allowed");
      return;
    }
    if (gate != null && gate.authenticate(exchange.getRequestHeaders(), null) instanceof Gate.Denied denied
        && denied.status() == 401) {
      OpenAiErrors.send(exchange, 401, denied.message(), OpenAiErrors.INVALID_REQUEST, null, denied.code());
      return;
    }
    exchange.getRequestReceiver().receiveFullBytes(this::onBody,
        (ex, e) -> OpenAiErrors.send(ex, 400, "Could not read the request body: " + e.getMessage(),
            OpenAiErrors.INVALID_REQUEST, null, "invalid_body"));
  }

  private void onBody(HttpServerExchange exchange, byte[] body) {
    List<Feedback> feedback;
    try {
      feedback = parse(body, System.currentTimeMillis());
    } catch (IllegalArgumentException e) {
      OpenAiErrors.send(exchange, 400, e.getMessage(), OpenAiErrors.INVALID_REQUEST, null, "invalid_feedback");
      return;
    }
    exchange.dispatch(exchange.getConnection().getWorker(), () -> publisher.send(feedback).whenComplete((ok, error) ->
        exchange.getIoThread().execute(() -> {
          if (error != null) {
            LOG.warn("Feedback not accepted: Kafka did not take it ({}); the client was told to retry", error.toString());
            exchange.getResponseHeaders().put(Headers.RETRY_AFTER, "2");
            OpenAiErrors.send(exchange, 503, "Gatehouse cannot store feedback right now (Kafka unavailable); send it "
                + "again in a few seconds.", OpenAiErrors.INTERNAL, null, "feedback_unavailable");
            return;
          }
          ObjectNode answer = JsonNodeFactory.instance.objectNode();
          answer.put("accepted", feedback.size());
          ArrayNode ids = answer.putArray("feedback_ids");
          feedback.forEach(f -> ids.add(f.feedbackId()));
          exchange.setStatusCode(202);
          exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
          exchange.getResponseSender().send(answer.toString(), StandardCharsets.UTF_8);
        })));
  }

  /** The feedback in {@code body}; throws with a message naming the problem. */
  static List<Feedback> parse(byte[] body, long nowMs) {
    JsonNode root;
    try {
      root = EventJson.mapper().readTree(body);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("The body is not valid JSON. Send {\"request_id\": \"<x-gatehouse-request-id>\", "
          + "\"score\": 1}.");
    }
    List<JsonNode> items = new ArrayList<>();
    if (root != null && root.isArray()) {
      root.forEach(items::add);
      if (items.isEmpty() || items.size() > MAX_ITEMS) {
        throw new IllegalArgumentException("Send between 1 and " + MAX_ITEMS + " feedback objects, got " + items.size() + ".");
      }
    } else if (root != null && root.isObject()) {
      items.add(root);
    } else {
      throw new IllegalArgumentException("The body must be a feedback object or an array of them.");
    }
    List<Feedback> out = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      String at = items.size() == 1 && root.isObject() ? "" : "[" + i + "].";
      JsonNode item = items.get(i);
      if (!item.isObject()) {
        throw new IllegalArgumentException(at + "feedback must be an object.");
      }
      for (Iterator<String> it = item.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!FIELDS.contains(f)) {
          throw new IllegalArgumentException(at + f + ": unknown field; allowed: request_id, score, label, comment, user.");
        }
      }
      JsonNode id = item.get("request_id");
      if (id == null || !id.isTextual() || !UUID.matcher(id.asText()).matches()) {
        throw new IllegalArgumentException(at + "request_id: required, the x-gatehouse-request-id of the request rated "
            + "(a UUID).");
      }
      JsonNode score = item.get("score");
      if (score != null && !score.isNull() && (!score.isNumber() || !Double.isFinite(score.asDouble()))) {
        throw new IllegalArgumentException(at + "score: must be a number, e.g. 1 or 0, or 1 to 5.");
      }
      String label = text(item, "label", at, 100);
      String comment = text(item, "comment", at, 10_000);
      String user = text(item, "user", at, 200);
      boolean hasScore = score != null && !score.isNull();
      if (!hasScore && label.isEmpty() && comment.isEmpty()) {
        throw new IllegalArgumentException(at + "give at least one of score, label or comment.");
      }
      out.add(new Feedback(EventIds.next(), id.asText().toLowerCase(java.util.Locale.ROOT), nowMs,
          hasScore ? score.asDouble() : null, label, comment, user));
    }
    return out;
  }

  private static String text(JsonNode item, String field, String at, int max) {
    JsonNode v = item.get(field);
    if (v == null || v.isNull()) {
      return "";
    }
    if (!v.isTextual()) {
      throw new IllegalArgumentException(at + field + ": must be a string.");
    }
    if (v.asText().length() > max) {
      throw new IllegalArgumentException(at + field + ": at most " + max + " characters.");
    }
    return v.asText();
  }
}
