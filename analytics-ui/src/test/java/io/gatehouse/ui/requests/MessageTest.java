package io.gatehouse.ui.requests;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MessageTest {
  @Test
  void rendersOpenAiMessagesPartsToolCallsAndTheCompletion() {
    String prompt = "[{\"role\":\"system\",\"content\":\"Be brief.\"},"
        + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is this?\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]},"
        + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"function\":{\"name\":\"lookup\",\"arguments\":\"{\\\"q\\\":1}\"}}]}]";

    assertThat(Message.conversation(prompt, "A cat.")).containsExactly(
        new Message("system", "Be brief."),
        new Message("user", "What is this?\n[image_url]"),
        new Message("assistant", "→ lookup({\"q\":1})"),
        new Message("assistant", "A cat."));
  }

  @Test
  void aPromptThatIsNotAMessagesArrayIsShownAsIs() {
    assertThat(Message.conversation("not json {", "")).containsExactly(new Message("prompt", "not json {"));
    assertThat(Message.conversation("\"just text\"", null)).containsExactly(new Message("prompt", "just text"));
    assertThat(Message.conversation("", "")).isEmpty();
  }
}
