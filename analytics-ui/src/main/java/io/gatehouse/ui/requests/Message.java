package io.gatehouse.ui.requests;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;

/** One turn of a conversation as the detail page shows it: a role and its text. */
public record Message(String role, String text) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The messages of an event's {@code prompt} (the request's JSON messages array: OpenAI style, where
   * content is a string or an array of parts) followed by the completion as the assistant's answer.
   * Parts that are not text (images, audio) show as "[image_url]". A prompt that is not a messages
   * array shows as one "prompt" message with its raw text.
   */
  public static List<Message> conversation(String prompt, String completion) {
    List<Message> out = new ArrayList<>();
    if (prompt != null && !prompt.isBlank()) {
      try {
        JsonNode root = JSON.readTree(prompt);
        if (root.isArray()) {
          for (JsonNode m : root) {
            out.add(new Message(m.path("role").asText("message"), content(m)));
          }
        } else {
          out.add(new Message("prompt", root.isTextual() ? root.asText() : root.toPrettyString()));
        }
      } catch (JsonProcessingException e) {
        out.add(new Message("prompt", prompt));
      }
    }
    if (completion != null && !completion.isEmpty()) {
      out.add(new Message("assistant", completion));
    }
    return out;
  }

  private static String content(JsonNode message) {
    JsonNode content = message.path("content");
    StringBuilder text = new StringBuilder();
    if (content.isTextual()) {
      text.append(content.asText());
    } else if (content.isArray()) {
      for (JsonNode part : content) {
        if (text.length() > 0) {
          text.append('\n');
        }
        String type = part.path("type").asText("");
        text.append(part.has("text") ? part.path("text").asText() : "[" + (type.isEmpty() ? "part" : type) + "]");
      }
    }
    JsonNode calls = message.path("tool_calls");
    if (calls.isArray()) {
      for (JsonNode call : calls) {
        if (text.length() > 0) {
          text.append('\n');
        }
        text.append("→ ").append(call.path("function").path("name").asText("tool")).append('(')
            .append(call.path("function").path("arguments").asText("")).append(')');
      }
    }
    return text.toString();
  }
}
