package io.gatehouse.ui.requests;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PageWindowTest {
  private static final Instant T0 = Instant.parse("2026-11-25T00:00:00Z");
  // four hourly buckets, oldest first: 10, 0, 5, 20 rows; the filter starts and ends inside the outer ones
  private static final List<VolumeBucket> VOLUME = List.of(
      new VolumeBucket(T0, 10, 0),
      new VolumeBucket(T0.plusSeconds(3600), 0, 0),
      new VolumeBucket(T0.plusSeconds(7200), 5, 1),
      new VolumeBucket(T0.plusSeconds(10800), 20, 2));
  private static final RequestFilter FILTER =
      new RequestFilter(T0.plusSeconds(600), T0.plusSeconds(14000), "", new RequestCriteria("gpt-4o", "", "", "", "", "", null, null, null, "", "refund"));

  private static PageWindow window(boolean newestFirst, int offset, int limit) {
    return PageWindow.of(FILTER, VOLUME, BucketSize.HOUR, newestFirst, offset, limit).orElseThrow();
  }

  @Test
  void theFirstNewestPageReadsOnlyTheNewestBucketWhenItHoldsEnoughRows() {
    PageWindow w = window(true, 0, 20);
    assertThat(w.filter().from()).isEqualTo(T0.plusSeconds(10800));
    assertThat(w.filter().to()).isEqualTo(FILTER.to());
    assertThat(w.offset()).isZero();
    assertThat(w.filter().criteria()).isEqualTo(FILTER.criteria());
  }

  @Test
  void aPageAcrossBucketsSpansThemAndItsOffsetCountsFromTheFirstOne() {
    PageWindow w = window(true, 18, 5); // rows 18..22: 2 in the newest bucket, 3 in the one before
    assertThat(w.filter().from()).isEqualTo(T0.plusSeconds(7200));
    assertThat(w.filter().to()).isEqualTo(FILTER.to());
    assertThat(w.offset()).isEqualTo(18);

    PageWindow older = window(true, 22, 10); // rows 22..31: 3 in the 02:00 bucket, the rest in the oldest
    assertThat(older.filter().from()).isEqualTo(FILTER.from()); // never before the filter's own start
    assertThat(older.filter().to()).isEqualTo(T0.plusSeconds(10800));
    assertThat(older.offset()).isEqualTo(2);
  }

  @Test
  void oldestFirstWalksTheBucketsTheOtherWay() {
    PageWindow w = window(false, 10, 3); // skips the 10 oldest rows and the empty bucket
    assertThat(w.filter().from()).isEqualTo(T0.plusSeconds(7200));
    assertThat(w.filter().to()).isEqualTo(T0.plusSeconds(10800));
    assertThat(w.offset()).isZero();
  }

  @Test
  void aPageThatRunsPastTheLastRowReadsToTheEndAndOnePastItReadsNothing() {
    PageWindow tail = window(true, 30, 50);
    assertThat(tail.filter().from()).isEqualTo(FILTER.from());
    assertThat(tail.offset()).isEqualTo(5);

    assertThat(PageWindow.of(FILTER, VOLUME, BucketSize.HOUR, true, 35, 50)).isEqualTo(Optional.empty());
  }
}
