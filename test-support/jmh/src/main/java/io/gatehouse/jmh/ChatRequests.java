package io.gatehouse.jmh;

import java.nio.charset.StandardCharsets;

/**
 * Chat completion request bodies of three realistic sizes, shared by the benchmarks that work on a
 * request (parse, cache key, routing facts, the event's prompt):
 * <ul>
 *   <li>{@code short}: one user question, what an unchanged SDK sends (106 B);
 *   <li>{@code faq}: a ~0.6 KB system prompt, a question with an e-mail address, sampling parameters and a
 *       {@code user} (752 B);
 *   <li>{@code chat}: a conversation of 9 turns (5 user, 4 assistant) after the same system prompt, with a tool definition (2,225 B).
 * </ul>
 */
public final class ChatRequests {
  public static final String SHORT = "short";
  public static final String FAQ = "faq";
  public static final String CHAT = "chat";

  private static final String SYSTEM = "You are a helpful support assistant for ACME Cloud. Answer briefly, "
      + "cite the documentation page you used, never invent account details, and escalate billing disputes. "
      + "Customers write in English, German and French; answer in their language. ".repeat(4);

  private ChatRequests() {}

  /** The body of {@code shape} ({@link #SHORT}, {@link #FAQ} or {@link #CHAT}), UTF-8. */
  public static byte[] body(String shape) {
    return json(shape).getBytes(StandardCharsets.UTF_8);
  }

  public static String json(String shape) {
    return switch (shape) {
      case SHORT -> "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":"
          + "\"How do I reset my password?\"}],\"stream\":true}";
      case FAQ -> "{\"model\":\"chat-default\",\"temperature\":0.2,\"max_tokens\":300,\"user\":\"user-4711\","
          + "\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":["
          + message("system", SYSTEM) + "," + message("user", "Hi, I am jane.doe@example.com. How do I reset "
          + "my password? The reset mail never arrives.") + "]}";
      case CHAT -> {
        StringBuilder b = new StringBuilder("{\"model\":\"smart\",\"temperature\":0.7,\"max_completion_tokens\":800,"
            + "\"stream\":true,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"lookup_invoice\","
            + "\"description\":\"Finds an invoice by number\",\"parameters\":{\"type\":\"object\",\"properties\":"
            + "{\"number\":{\"type\":\"string\"}},\"required\":[\"number\"]}}}],\"messages\":[");
        b.append(message("system", SYSTEM));
        for (int turn = 1; turn <= 5; turn++) {
          b.append(',').append(message("user", "Question " + turn + ": my invoice INV-2026-00" + turn
              + " shows a charge I do not recognise for the storage tier; can you explain what it covers?"));
          if (turn == 5) {
            break; // the conversation ends with the user's turn, as every request does
          }
          b.append(',').append(message("assistant", "Invoice INV-2026-00" + turn + " lists the Standard storage "
              + "tier at 0.02 USD per GB-month for 1,240 GB, billed on the 1st. See docs/billing/storage."));
        }
        yield b.append("]}").toString();
      }
      default -> throw new IllegalArgumentException("unknown request shape '" + shape + "'");
    };
  }

  private static String message(String role, String content) {
    return "{\"role\":\"" + role + "\",\"content\":\"" + content + "\"}";
  }
}
