package io.gatehouse.proxy.cache;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import io.gatehouse.proxy.provider.Usage;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ExactCacheTest {
  private final AtomicLong nanos = new AtomicLong();
  private final Ticker ticker = nanos::get;

  static CachedAnswer answer(int bytes) {
    return new CachedAnswer(new byte[bytes], CacheKey.Form.JSON, "p", "m", "stop", "", new Usage(1L, 1L, 0L, 0L),
        0.001);
  }

  @Test
  void entriesExpireAfterTheTtl() {
    ExactCache cache = new ExactCache(1 << 20, Duration.ofMinutes(10), ticker);
    cache.put("k", answer(10));
    nanos.addAndGet(TimeUnit.MINUTES.toNanos(9));
    assertThat(cache.get("k")).isNotNull();
    nanos.addAndGet(TimeUnit.MINUTES.toNanos(1) + 1);
    assertThat(cache.get("k")).isNull();
  }

  @Test
  void theCacheStaysWithinItsBytes() {
    long max = 100_000;
    ExactCache cache = new ExactCache(max, Duration.ofHours(1), ticker);
    for (int i = 0; i < 200; i++) {
      assertThat(cache.put("k" + i, answer(5_000))).isTrue();
    }
    assertThat(cache.weightedSize()).isLessThanOrEqualTo(max).isGreaterThan(max / 2);
    assertThat(cache.size()).isLessThan(200).isGreaterThan(5);
  }

  @Test
  void anAnswerLargerThanAnEighthOfTheBoundIsNotStored() {
    ExactCache cache = new ExactCache(80_000, Duration.ofHours(1), ticker);
    assertThat(cache.put("big", answer(10_000))).isFalse();
    assertThat(cache.get("big")).isNull();
    assertThat(cache.put("small", answer(9_000))).isTrue();
  }
}
