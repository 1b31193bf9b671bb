package io.gatehouse.proxy.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import java.util.Locale;

/**
 * Counts tokens when a call reports none: a logged call without {@code usage}, or a request's
 * worst case before it is sent. Uses OpenAI's tiktoken encodings ({@code o200k_base} for the GPT-4o,
 * GPT-4.1, GPT-5 and o-series families, {@code cl100k_base} for everything else). For other vendors'
 * models the count is an estimate of the same order, not what they bill; events say so with the tag
 * {@link #TAG} = {@code estimated}.
 *
 * <p>Chat prompts follow OpenAI's counting recipe: every message costs its text plus 3 tokens of
 * framing, a {@code name} one more, and the reply is primed with 3. Text is what a model reads: string
 * contents, text parts, tool-call arguments and tool inputs; images and audio are not counted.
 *
 * <p>Thread-safe: the encodings are immutable and loaded once, on first use.
 */
public final class TokenEstimator {
  /** The tag an event carries when its token counts were estimated here. */
  public static final String TAG = "gatehouse.tokens";
  public static final String ESTIMATED = "estimated";

  private static final int PER_MESSAGE = 3;
  private static final int PER_NAME = 1;
  private static final int REPLY_PRIMING = 3;

  private TokenEstimator() {}

  /** Tokens of plain text under the model's encoding. */
  public static int text(String model, String text) {
    return text == null || text.isEmpty() ? 0 : encoding(model).countTokensOrdinary(text);
  }

  /**
   * Tokens of a chat prompt: an array of {@code {role, content, …}} messages in OpenAI or Anthropic
   * shape (an Anthropic {@code system} is a leading system message, see {@link Prompts#anthropic}).
   * Anything that is not an array counts as its text.
   */
  public static int prompt(String model, JsonNode messages) {
    if (messages == null || messages.isNull() || messages.isMissingNode()) {
      return 0;
    }
    Encoding encoding = encoding(model);
    if (!messages.isArray()) {
      return encoding.countTokensOrdinary(messages.isTextual() ? messages.asText() : messages.toString());
    }
    int tokens = REPLY_PRIMING;
    StringBuilder text = new StringBuilder();
    for (JsonNode message : messages) {
      tokens += PER_MESSAGE;
      if (message.hasNonNull("name")) {
        tokens += PER_NAME + encoding.countTokensOrdinary(message.get("name").asText());
      }
      text.setLength(0);
      appendText(message.get("role"), text);
      appendContent(message.get("content"), text);
      for (JsonNode call : message.path("tool_calls")) {
        appendText(call.path("function").get("name"), text);
        appendText(call.path("function").get("arguments"), text);
      }
      tokens += encoding.countTokensOrdinary(text.toString());
    }
    return tokens;
  }

  private static void appendContent(JsonNode content, StringBuilder out) {
    if (content == null || content.isNull()) {
      return;
    }
    if (content.isTextual()) {
      out.append(content.asText()).append('\n');
      return;
    }
    if (!content.isArray()) {
      return;
    }
    for (JsonNode part : content) {
      if (part.isTextual()) {
        out.append(part.asText()).append('\n');
      } else if (part.has("text")) {
        appendText(part.get("text"), out);
      } else if (part.has("input")) {
        out.append(part.get("input").toString()).append('\n');   // Anthropic tool_use
      } else if (part.has("content")) {
        appendContent(part.get("content"), out);                  // Anthropic tool_result
      }
    }
  }

  private static void appendText(JsonNode node, StringBuilder out) {
    if (node != null && node.isTextual()) {
      out.append(node.asText()).append('\n');
    }
  }

  static Encoding encoding(String model) {
    return usesO200k(model) ? Holder.O200K : Holder.CL100K;
  }

  static boolean usesO200k(String model) {
    if (model == null) {
      return false;
    }
    String m = model.toLowerCase(Locale.ROOT);
    int slash = m.lastIndexOf('/');
    if (slash >= 0) {
      m = m.substring(slash + 1);
    }
    return m.startsWith("gpt-4o") || m.startsWith("gpt-4.1") || m.startsWith("gpt-4.5") || m.startsWith("gpt-5")
        || m.startsWith("chatgpt-4o") || m.matches("o[1-9].*");
  }

  /** Lazy: loading the encodings takes a few hundred milliseconds, paid only by whoever counts first. */
  private static final class Holder {
    private static final EncodingRegistry REGISTRY = Encodings.newLazyEncodingRegistry();
    static final Encoding O200K = REGISTRY.getEncoding(EncodingType.O200K_BASE);
    static final Encoding CL100K = REGISTRY.getEncoding(EncodingType.CL100K_BASE);
  }
}
