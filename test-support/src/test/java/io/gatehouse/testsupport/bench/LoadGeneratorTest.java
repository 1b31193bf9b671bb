package io.gatehouse.testsupport.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.testsupport.bench.LoadGenerator.PhaseResult;
import io.gatehouse.testsupport.bench.LoadGenerator.Target;
import io.gatehouse.testsupport.fake.FakeOpenAiProvider;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Against the real fake provider on a loopback port. */
class LoadGeneratorTest {
  private static Target chat(FakeOpenAiProvider fake, boolean stream, String words) {
    return new Target("direct", URI.create(fake.baseUrl() + "/chat/completions"), Map.of("authorization", "Bearer k"),
        "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"" + words + "\"}]"
            + (stream ? ",\"stream\":true" : "") + "}", stream);
  }

  @Test
  void latencyCountsFromTheIntendedSendTimeSoAQueueIsMeasuredNotHidden() throws Exception {
    // one connection and 50 ms per answer: at 100 req/s the 30th request waits ~1.2 s for its turn
    try (FakeOpenAiProvider fake = FakeOpenAiProvider.builder().latencyMs(50).start();
        LoadGenerator load = new LoadGenerator(1, 1)) {
      PhaseResult r = load.run(chat(fake, false, "hi"), 100, 0.3, 0);
      assertThat(r.errors()).isZero();
      assertThat(r.responses()).isEqualTo(30);
      assertThat(r.latency().getMinValue()).isGreaterThanOrEqualTo(50_000);
      // measured from the actual send, every request would take ~50 ms
      assertThat(r.latency().getMaxValue()).isGreaterThan(1_000_000);
    }
  }

  @Test
  void enoughConnectionsMeanASlowAnswerDoesNotDelayTheNext() throws Exception {
    try (FakeOpenAiProvider fake = FakeOpenAiProvider.builder().latencyMs(50).start();
        LoadGenerator load = new LoadGenerator(1, 100)) {
      load.run(chat(fake, false, "hi"), 100, 0.2, 0); // connections opened
      PhaseResult r = load.run(chat(fake, false, "hi"), 100, 0.3, 0);
      assertThat(r.responses()).isEqualTo(30);
      assertThat(r.latency().getMaxValue()).isLessThan(500_000);
    }
  }

  @Test
  void streamsAreCountedEventByEventWithTimeToFirstAndGaps() throws Exception {
    // "Echo: a b c" = 4 content chunks; with the role chunk, the finish chunk and [DONE]: 7 events, 20 ms apart
    try (FakeOpenAiProvider fake = FakeOpenAiProvider.builder().chunkDelayMs(20).start();
        LoadGenerator load = new LoadGenerator(1, 100)) {
      Target stream = chat(fake, true, "a b c");
      assertThat(load.countEvents(stream)).isEqualTo(7);
      PhaseResult r = load.run(stream, 50, 0.2, 7);
      assertThat(r.errors()).isZero();
      assertThat(r.responses()).isEqualTo(10);
      assertThat(r.eventsMin()).isEqualTo(7);
      assertThat(r.eventsMax()).isEqualTo(7);
      assertThat(r.wrongEventCount()).isZero();
      assertThat(r.firstEvent().getTotalCount()).isEqualTo(10);
      assertThat(r.eventGap().getTotalCount()).isEqualTo(60);
      assertThat(r.eventGap().getValueAtPercentile(50)).isGreaterThanOrEqualTo(18_000);
      assertThat(r.firstEvent().getValueAtPercentile(50)).isLessThan(r.latency().getValueAtPercentile(50) - 100_000);

      // an answer that is cut short has the wrong number of events
      PhaseResult cut = load.run(new Target("cut", stream.uri(), stream.headers(),
          stream.body().replace("gpt-4o-mini", "gpt-4o-mini@cut-2"), true), 50, 0.1, 7);
      assertThat(cut.wrongEventCount() + cut.errors()).isEqualTo(5);
    }
  }

  @Test
  void errorsAreCountedNotMeasured() throws Exception {
    try (FakeOpenAiProvider fake = FakeOpenAiProvider.builder().failStatus(503).start();
        LoadGenerator load = new LoadGenerator(1, 10)) {
      PhaseResult r = load.run(chat(fake, false, "hi"), 100, 0.1, 0);
      assertThat(r.errors()).isEqualTo(10);
      assertThat(r.latency().getTotalCount()).isZero();
      assertThat(r.firstError()).isEqualTo("HTTP 503");
    }
  }
}
