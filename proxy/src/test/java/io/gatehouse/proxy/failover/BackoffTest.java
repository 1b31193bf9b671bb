package io.gatehouse.proxy.failover;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;

class BackoffTest {
  @Test
  void exponentialWithFullJitterAndACap() {
    Backoff top = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(5), () -> 0.999999);
    assertThat(top.delayMillis(1)).isEqualTo(99);
    assertThat(top.delayMillis(2)).isEqualTo(199);
    assertThat(top.delayMillis(3)).isEqualTo(399);
    assertThat(top.delayMillis(5)).as("capped").isEqualTo(999);
    assertThat(top.delayMillis(60)).as("no overflow").isEqualTo(999);
    Backoff bottom = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(5), () -> 0.0);
    assertThat(bottom.delayMillis(3)).isZero();
  }

  @Test
  void retryAfterInSecondsMillisecondsOrAnHttpDate() {
    long now = 1_764_064_800_000L;
    assertThat(Backoff.askedMillis(null, "2", now)).isEqualTo(2000);
    assertThat(Backoff.askedMillis(null, "0.5", now)).isEqualTo(500);
    assertThat(Backoff.askedMillis("250", "20", now)).as("retry-after-ms is more precise").isEqualTo(250);
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(
        ZonedDateTime.ofInstant(java.time.Instant.ofEpochMilli(now + 7000), ZoneOffset.UTC));
    assertThat(Backoff.askedMillis(null, date, now)).isEqualTo(7000);
    assertThat(Backoff.askedMillis(null, null, now)).isEqualTo(-1);
    assertThat(Backoff.askedMillis(null, "soon", now)).isEqualTo(-1);
    assertThat(Backoff.askedMillis(null, "-3", now)).isZero();
  }
}
