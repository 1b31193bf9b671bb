package io.gatehouse.proxy.provider.openai;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * Reads what an event needs from an OpenAI embeddings response ({@code model} and
 * {@code usage.prompt_tokens}) without building a tree of the vectors: {@code data} is skipped token
 * by token, since the body is relayed as is and only its usage matters. Stateless; thread-safe.
 */
public final class OpenAiEmbeddings {
  private static final JsonFactory JSON = new JsonFactory();

  private OpenAiEmbeddings() {}

  /** @param promptTokens {@code usage.prompt_tokens}, or null when absent */
  public record Summary(String model, Long promptTokens) {}

  /** The summary of a response body, or null when it is not a JSON object. */
  public static Summary summarize(byte[] body) {
    String model = null;
    Long promptTokens = null;
    try (JsonParser p = JSON.createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (field.equals("model") && value == JsonToken.VALUE_STRING) {
          model = p.getText();
        } else if (field.equals("usage") && value == JsonToken.START_OBJECT) {
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            if (p.nextToken() == JsonToken.VALUE_NUMBER_INT && name.equals("prompt_tokens")) {
              promptTokens = p.getLongValue();
            }
            p.skipChildren();
          }
        } else {
          p.skipChildren();
        }
      }
      return p.currentToken() == JsonToken.END_OBJECT ? new Summary(model, promptTokens) : null;
    } catch (IOException e) {
      return null;
    }
  }
}
