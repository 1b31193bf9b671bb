package io.gatehouse.ui.requests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TimeRangeTest {

  @Test
  void rangesUpToAnHourUseFiveMinuteBucketsLongerOnesHourly() {
    assertThat(TimeRange.LAST_15_MINUTES.bucketSize()).isEqualTo(BucketSize.FIVE_MINUTES);
    assertThat(TimeRange.LAST_HOUR.bucketSize()).isEqualTo(BucketSize.FIVE_MINUTES);
    assertThat(TimeRange.LAST_24_HOURS.bucketSize()).isEqualTo(BucketSize.HOUR);
    assertThat(TimeRange.LAST_30_DAYS.bucketSize()).isEqualTo(BucketSize.HOUR);
    assertThat(TimeRange.DEFAULT).isEqualTo(TimeRange.LAST_24_HOURS);
  }

  @Test
  void bucketsFloorToTheirStartInUtc() {
    Instant t = Instant.parse("2025-03-04T10:37:59.900Z");
    assertThat(BucketSize.HOUR.floor(t)).isEqualTo(Instant.parse("2025-03-04T10:00:00Z"));
    assertThat(BucketSize.FIVE_MINUTES.floor(t)).isEqualTo(Instant.parse("2025-03-04T10:35:00Z"));
  }

  @Test
  void lastRangeEndsJustAfterNowAndSpansTheRange() {
    Instant now = Instant.parse("2025-03-04T10:37:59Z");
    RequestFilter f = RequestFilter.last(TimeRange.LAST_7_DAYS, now, "  alice ");
    assertThat(f.to()).isAfter(now);
    assertThat(Duration.between(f.from(), f.to())).isEqualTo(Duration.ofDays(7));
    assertThat(f.search()).isEqualTo("alice");
  }

  @Test
  void rejectsAnEmptyWindow() {
    Instant now = Instant.now();
    assertThatThrownBy(() -> new RequestFilter(now, now, "")).isInstanceOf(IllegalArgumentException.class);
  }
}
