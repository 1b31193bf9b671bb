package io.gatehouse.proxy.failover;

import static io.gatehouse.proxy.failover.FailureClassifier.Decision.NEXT_KEY;
import static io.gatehouse.proxy.failover.FailureClassifier.Decision.NEXT_TARGET;
import static io.gatehouse.proxy.failover.FailureClassifier.Decision.RETRY;
import static io.gatehouse.proxy.failover.FailureClassifier.Decision.STOP;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import org.junit.jupiter.api.Test;

/** Real providers' error answers → one class → one decision. */
class FailureClassifierTest {
  private static String classify(int status, String type, String code, String message) {
    return FailureClassifier.classify(status, type, code, message);
  }

  @Test
  void classesFromStatusTypeCodeAndMessage() {
    assertThat(classify(200, null, null, null)).isNull();
    assertThat(classify(429, "requests", "rate_limit_exceeded", "Rate limit reached")).isEqualTo("rate_limit");
    assertThat(classify(429, "insufficient_quota", "insufficient_quota",
        "You exceeded your current quota, please check your plan and billing details.")).isEqualTo("quota");
    assertThat(classify(400, "invalid_request_error", "context_length_exceeded", "maximum context length"))
        .isEqualTo("context_too_long");
    assertThat(classify(400, "invalid_request_error", null, "prompt is too long: 210000 tokens > 200000 maximum"))
        .as("Anthropic's wording").isEqualTo("context_too_long");
    assertThat(classify(400, null, "content_filter", "The response was filtered")).isEqualTo("content_filter");
    assertThat(classify(401, "invalid_request_error", "invalid_api_key", "Incorrect API key")).isEqualTo("credential");
    assertThat(classify(403, "permission_error", null, "not allowed")).isEqualTo("credential");
    assertThat(classify(404, "invalid_request_error", "model_not_found", "The model does not exist")).isEqualTo("model_gone");
    assertThat(classify(400, "invalid_request_error", null, "Invalid value for 'temperature'")).isEqualTo("caller_fault");
    assertThat(classify(529, "overloaded_error", null, "Overloaded")).isEqualTo("transient");
    assertThat(classify(503, null, null, null)).isEqualTo("transient");
    assertThat(FailureClassifier.ofThrowable(new ConnectException("refused"))).isEqualTo("unreachable");
    assertThat(FailureClassifier.ofThrowable(new HttpTimeoutException("slow"))).isEqualTo("timeout");
    assertThat(FailureClassifier.ofThrowable(new java.io.IOException("reset"))).isEqualTo("transient");
  }

  @Test
  void decisions() {
    assertThat(FailureClassifier.decide("rate_limit")).isEqualTo(RETRY);
    assertThat(FailureClassifier.decide("transient")).isEqualTo(RETRY);
    assertThat(FailureClassifier.decide("quota")).isEqualTo(NEXT_KEY);
    assertThat(FailureClassifier.decide("credential")).isEqualTo(NEXT_KEY);
    assertThat(FailureClassifier.decide("timeout")).isEqualTo(NEXT_TARGET);
    assertThat(FailureClassifier.decide("unreachable")).isEqualTo(NEXT_TARGET);
    assertThat(FailureClassifier.decide("model_gone")).isEqualTo(NEXT_TARGET);
    assertThat(FailureClassifier.decide("context_too_long")).isEqualTo(STOP);
    assertThat(FailureClassifier.decide("content_filter")).isEqualTo(STOP);
    assertThat(FailureClassifier.decide("caller_fault")).isEqualTo(STOP);
    assertThat(FailureClassifier.decide(null)).isEqualTo(STOP);
  }
}
