package io.gatehouse.proxy.provider.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns the events of one Gemini {@code streamGenerateContent?alt=sse} stream into OpenAI
 * {@code chat.completion.chunk}s, event by event: every chunk is returned by the {@link #onEvent}
 * call whose event caused it. Each Gemini event is a whole {@code GenerateContentResponse} holding the
 * next piece of each candidate; Gemini sends no end marker, so the caller asks {@link #end()} for the
 * closing chunks when the body ends, and sends {@code data: [DONE]} after them when {@link #done()}.
 *
 * <p>Per candidate (an OpenAI choice): the first event → the role chunk; each answer text part → a
 * content chunk (thought parts are not the answer); each {@code functionCall} part → one tool_calls
 * chunk with index, id, type, name and the whole arguments (Gemini sends a call in one piece); a
 * {@code finishReason} → the finish_reason chunk. A blocked prompt ({@code promptFeedback.blockReason})
 * → a content_filter finish. {@code usageMetadata} is kept, the last one wins; {@link #end()} sends it
 * as the usage chunk ({@code choices: []}) when the client asked for
 * {@code stream_options.include_usage}. An {@code error} event → one OpenAI error body (not a chunk),
 * and {@link #error()} is set.
 *
 * <p>Not thread-safe: one translator per request, fed by one thread at a time.
 */
final class GeminiStreamTranslator {
  /** Bound on the completion text kept for the event (characters). */
  static final int MAX_COMPLETION_CHARS = 1 << 20;
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final String upstreamModel;
  private final boolean includeUsage;
  private final long created;

  /** Candidate index → what was sent for it. */
  private final Map<Integer, Choice> choices = new TreeMap<>();
  private final StringBuilder completion = new StringBuilder();
  private String id;
  private String responseId;
  private String model;
  private int calls;
  private GeminiUsage usage;
  private GeminiErrors.OpenAiError error;

  /** What was sent for one candidate. */
  private static final class Choice {
    int toolCalls;
    String finishReason;
  }

  /**
   * @param upstreamModel the model the request was sent for: {@code model} of the chunks when Gemini
   *     names no {@code modelVersion}
   * @param includeUsage whether the client asked for {@code stream_options.include_usage}
   * @param created the {@code created} field of every chunk, epoch seconds
   */
  GeminiStreamTranslator(String upstreamModel, boolean includeUsage, long created) {
    this.upstreamModel = upstreamModel;
    this.includeUsage = includeUsage;
    this.created = created;
  }

  /** Consumes one event's parsed {@code data:} and returns the JSON payloads to send now, in order. */
  List<String> onEvent(JsonNode response) {
    if (response.has("error")) {
      error = GeminiErrors.toOpenAi(0, response);
      if (error != null) {
        return List.of(error.body().toString());
      }
    }
    if (id == null) {
      responseId = GeminiResponses.responseId(response);
      id = GeminiResponses.completionId(responseId);
      model = response.path("modelVersion").asText(upstreamModel);
    }
    GeminiUsage reported = GeminiUsage.of(response.get("usageMetadata"));
    if (reported != null) {
      usage = reported;
    }
    List<String> out = new ArrayList<>();
    JsonNode candidates = response.path("candidates");
    for (int i = 0; i < candidates.size(); i++) {
      candidate(candidates.get(i), candidates.get(i).path("index").asInt(i), out);
    }
    if (candidates.isEmpty() && GeminiResponses.isBlocked(response)) {
      Choice choice = start(0, out);
      choice.finishReason = "content_filter";
      out.add(chunk(0, NODES.objectNode(), choice.finishReason));
    }
    return out;
  }

  private void candidate(JsonNode candidate, int index, List<String> out) {
    Choice choice = start(index, out);
    for (JsonNode part : candidate.path("content").path("parts")) {
      if (GeminiResponses.isAnswerText(part)) {
        String text = part.get("text").textValue();
        if (!text.isEmpty()) {
          if (index == 0) {
            keep(text);
          }
          out.add(chunk(index, NODES.objectNode().put("content", text), null));
        }
      } else if (part.has("functionCall")) {
        ObjectNode call = GeminiResponses.toolCall(part, GeminiToolCallIds.of(part, responseId, calls++));
        ObjectNode delta = NODES.objectNode();
        delta.putArray("tool_calls").addObject().put("index", choice.toolCalls++).setAll(call);
        out.add(chunk(index, delta, null));
      }
    }
    String finish = GeminiResponses.finishReason(candidate.path("finishReason").asText(null), choice.toolCalls > 0);
    if (finish != null && choice.finishReason == null) {
      choice.finishReason = finish;
      out.add(chunk(index, NODES.objectNode(), finish));
    }
  }

  /** The state of candidate {@code index}; its first sight sends the role chunk. */
  private Choice start(int index, List<String> out) {
    Choice choice = choices.get(index);
    if (choice == null) {
      choice = new Choice();
      choices.put(index, choice);
      out.add(chunk(index, NODES.objectNode().put("role", "assistant").put("content", ""), null));
    }
    return choice;
  }

  private void keep(String text) {
    if (completion.length() < MAX_COMPLETION_CHARS) {
      completion.append(text, 0, Math.min(text.length(), MAX_COMPLETION_CHARS - completion.length()));
    }
  }

  /**
   * The payloads owed once the upstream body ended: the usage chunk when the stream is {@link #done()}
   * and the client asked for usage; none otherwise.
   */
  List<String> end() {
    if (!done() || !includeUsage || usage == null) {
      return List.of();
    }
    ObjectNode chunk = header();
    chunk.putArray("choices");
    chunk.set("usage", usage.toOpenAi());
    return List.of(chunk.toString());
  }

  private String chunk(int index, ObjectNode delta, String finishReason) {
    ObjectNode chunk = header();
    ArrayNode choiceArray = chunk.putArray("choices");
    ObjectNode choice = choiceArray.addObject();
    choice.put("index", index);
    choice.set("delta", delta);
    choice.putNull("logprobs");
    choice.put("finish_reason", finishReason);
    return chunk.toString();
  }

  private ObjectNode header() {
    ObjectNode chunk = NODES.objectNode();
    chunk.put("id", id);
    chunk.put("object", "chat.completion.chunk");
    chunk.put("created", created);
    chunk.put("model", model);
    return chunk;
  }

  /** Whether every candidate seen has finished (and one was seen) without an error. */
  boolean done() {
    return error == null && !choices.isEmpty()
        && choices.values().stream().allMatch(c -> c.finishReason != null);
  }

  /** The OpenAI finish_reason of the first choice, null until Gemini says why it stopped. */
  String finishReason() {
    return choices.isEmpty() ? null : choices.values().iterator().next().finishReason;
  }

  /** The streamed text of the first choice so far, capped at {@value #MAX_COMPLETION_CHARS} characters. */
  String completionText() {
    return completion.toString();
  }

  /** The model Gemini says answered ({@code modelVersion}), or null before the first event. */
  String model() {
    return model;
  }

  /** The last usage Gemini reported, or null. */
  GeminiUsage usage() {
    return usage;
  }

  /** The error the stream ended with, or null; its body was already returned by {@link #onEvent}. */
  GeminiErrors.OpenAiError error() {
    return error;
  }
}
