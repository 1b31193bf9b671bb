package io.gatehouse.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.schemas.Feedback;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What {@code POST /v1/feedback} accepts, and the message it gives for what it does not. */
class FeedbackHandlerTest {
  private static final String ID = "01900000-0000-7000-8000-0000000000AA";

  private static List<Feedback> parse(String body) {
    return FeedbackHandler.parse(body.getBytes(StandardCharsets.UTF_8), 1_764_000_000_000L);
  }

  @Test
  void oneObjectOrABatchBecomesFeedbackWithItsOwnIds() {
    List<Feedback> one = parse("{\"request_id\":\"" + ID + "\",\"score\":1,\"label\":\"thumbs_up\",\"user\":\"ana\"}");
    assertThat(one).singleElement().satisfies(f -> {
      assertThat(f.eventId()).isEqualTo(ID.toLowerCase());
      assertThat(f.score()).isEqualTo(1.0);
      assertThat(f.label()).isEqualTo("thumbs_up");
      assertThat(f.comment()).isEmpty();
      assertThat(f.user()).isEqualTo("ana");
      assertThat(f.tsMs()).isEqualTo(1_764_000_000_000L);
      assertThat(f.feedbackId()).matches("[0-9a-f-]{36}");
    });
    List<Feedback> batch = parse("[{\"request_id\":\"" + ID + "\",\"comment\":\"too long\"},"
        + "{\"request_id\":\"" + ID + "\",\"score\":4.5}]");
    assertThat(batch).hasSize(2);
    assertThat(batch.get(0).score()).isNull();
    assertThat(batch.get(0).feedbackId()).isNotEqualTo(batch.get(1).feedbackId());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      not json                                               | not valid JSON
      42                                                     | feedback object or an array
      []                                                     | between 1 and 100
      {"score": 1}                                           | request_id: required
      {"request_id": "abc", "score": 1}                      | request_id: required
      {"request_id": "%s"}                                   | at least one of score, label or comment
      {"request_id": "%s", "score": "good"}                  | score: must be a number
      {"request_id": "%s", "label": 5}                       | label: must be a string
      {"request_id": "%s", "score": 1, "rating": 5}          | rating: unknown field
      [{"request_id": "%s", "score": 1}, {"score": 2}]       | [1].request_id: required
      """)
  void badBodiesAreRefusedWithAMessageNamingTheField(String body, String message) {
    assertThatThrownBy(() -> parse(body.replace("%s", ID))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }
}
