package io.gatehouse.proxy.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class LedgerTest {
  private static final long T0 = 1_764_000_000_000L;
  private static final long USD = 1_000_000_000L;

  private static Ledger.Reserve budgeted(String id, long ts, long cost, long limit) {
    return new Ledger.Reserve(id, ts, cost, 10, List.of(new Ledger.BudgetClaim("key:vk_1", "2026-11", limit, T0 + 1000)),
        List.of());
  }

  @Test
  void reservationsAreGrantedUntilTheWorstCasesFillTheBudgetThenDeniedNamingTheSpend() {
    Ledger ledger = new Ledger(60_000);
    for (int i = 0; i < 10; i++) {
      assertThat(ledger.reserve(budgeted("r" + i, T0, USD, 10 * USD)).granted()).isTrue();
    }
    Ledger.Decision d = ledger.reserve(budgeted("r10", T0, USD, 10 * USD));
    assertThat(d.granted()).isFalse();
    assertThat(d.limit()).isEqualTo("budget");
    assertThat(d.scope()).isEqualTo("key:vk_1");
    assertThat(d.used()).isEqualTo(10 * USD);
    assertThat(d.max()).isEqualTo(10 * USD);
    assertThat(d.resetsAt()).isEqualTo(T0 + 1000);
  }

  @Test
  void settlingBelowTheWorstCaseFreesTheDifferenceAndAFailureFreesAll() {
    Ledger ledger = new Ledger(60_000);
    assertThat(ledger.reserve(budgeted("a", T0, 6 * USD, 10 * USD)).granted()).isTrue();
    assertThat(ledger.reserve(budgeted("b", T0, 6 * USD, 10 * USD)).granted()).isFalse();
    ledger.settle(new Ledger.Settle("a", 2 * USD, 5));
    assertThat(ledger.spent("key:vk_1", "2026-11")).isEqualTo(2 * USD);
    assertThat(ledger.reserve(budgeted("c", T0, 6 * USD, 10 * USD)).granted()).isTrue();
    ledger.settle(new Ledger.Settle("c", 0, 0));
    assertThat(ledger.held()).isZero();
    assertThat(ledger.spent("key:vk_1", "2026-11")).isEqualTo(2 * USD);
    ledger.settle(new Ledger.Settle("b", 5 * USD, 5)); // denied: its settle counts nothing
    assertThat(ledger.spent("key:vk_1", "2026-11")).isEqualTo(2 * USD);
  }

  @Test
  void aDeniedReservationTakesNothingFromTheOtherScopes() {
    Ledger ledger = new Ledger(60_000);
    Ledger.Reserve both = new Ledger.Reserve("x", T0, USD, 10, List.of(
        new Ledger.BudgetClaim("team:search", "2026-11", 5 * USD, 0),
        new Ledger.BudgetClaim("key:vk_1", "2026-11", 0, 0)), List.of(new Ledger.RateClaim("key:vk_1", 1, null)));
    assertThat(ledger.reserve(both).scope()).isEqualTo("key:vk_1");
    assertThat(ledger.reserve(budgeted("y", T0, 5 * USD, 5 * USD)).granted()).isTrue();
    assertThat(ledger.held()).isEqualTo(1);
  }

  @Test
  void requestsPerMinuteSlideWithRecordTime() {
    Ledger ledger = new Ledger(600_000);
    List<Ledger.RateClaim> rpm2 = List.of(new Ledger.RateClaim("team:search", 2, null));
    assertThat(ledger.reserve(new Ledger.Reserve("1", T0, 0, 1, List.of(), rpm2)).granted()).isTrue();
    assertThat(ledger.reserve(new Ledger.Reserve("2", T0 + 10_000, 0, 1, List.of(), rpm2)).granted()).isTrue();
    Ledger.Decision d = ledger.reserve(new Ledger.Reserve("3", T0 + 20_000, 0, 1, List.of(), rpm2));
    assertThat(d.limit()).isEqualTo("rpm");
    assertThat(d.resetsAt()).isEqualTo(T0 + 60_000);
    assertThat(ledger.reserve(new Ledger.Reserve("4", T0 + 60_000, 0, 1, List.of(), rpm2)).granted()).isTrue();
    assertThat(ledger.reserve(new Ledger.Reserve("5", T0 + 60_001, 0, 1, List.of(), rpm2)).granted()).isFalse();
  }

  @Test
  void tokensPerMinuteAreCorrectedByTheSettlement() {
    Ledger ledger = new Ledger(600_000);
    List<Ledger.RateClaim> tpm = List.of(new Ledger.RateClaim("key:vk_1", null, 1000));
    assertThat(ledger.reserve(new Ledger.Reserve("a", T0, 0, 800, List.of(), tpm)).granted()).isTrue();
    Ledger.Decision d = ledger.reserve(new Ledger.Reserve("b", T0, 0, 800, List.of(), tpm));
    assertThat(d.limit()).isEqualTo("tpm");
    assertThat(d.used()).isEqualTo(800);
    ledger.settle(new Ledger.Settle("a", 0, 100));
    assertThat(ledger.reserve(new Ledger.Reserve("c", T0, 0, 800, List.of(), tpm)).granted()).isTrue();
  }

  @Test
  void aReservationNeverSettledIsReleasedAfterTheHoldTtl() {
    Ledger ledger = new Ledger(60_000);
    assertThat(ledger.reserve(budgeted("lost", T0, 10 * USD, 10 * USD)).granted()).isTrue();
    assertThat(ledger.reserve(budgeted("early", T0 + 59_999, USD, 10 * USD)).granted()).isFalse();
    assertThat(ledger.reserve(budgeted("late", T0 + 60_000, USD, 10 * USD)).granted()).isTrue();
    ledger.settle(new Ledger.Settle("lost", 10 * USD, 0)); // too late: ignored
    assertThat(ledger.spent("key:vk_1", "2026-11")).isZero();
  }

  @Test
  void endedPeriodsAndIdleWindowsAreForgotten() {
    Ledger ledger = new Ledger(1000);
    List<Ledger.RateClaim> rpm = List.of(new Ledger.RateClaim("key:vk_1", 1_000_000, null));
    for (int i = 0; i < Ledger.SWEEP_EVERY - 1; i++) {
      Ledger.Reserve r = new Ledger.Reserve("r" + i, T0, 0, 1, List.of(new Ledger.BudgetClaim("user:u" + i, "2026-11",
          USD, T0 + 10)), rpm);
      assertThat(ledger.reserve(r).granted()).isTrue();
      ledger.settle(new Ledger.Settle("r" + i, 1, 1));
    }
    assertThat(ledger.tracked()).isEqualTo(Ledger.SWEEP_EVERY);
    ledger.reserve(new Ledger.Reserve("late", T0 + 120_000, 0, 1, List.of(), List.of()));
    assertThat(ledger.tracked()).isZero();
  }

  @Test
  void periodsAreUtcDaysAndMonths() {
    long ts = java.time.Instant.parse("2026-11-30T23:59:59Z").toEpochMilli();
    assertThat(Period.DAY.window(ts)).isEqualTo("2026-11-30");
    assertThat(Period.MONTH.window(ts)).isEqualTo("2026-11");
    assertThat(Period.DAY.resetsAt(ts)).isEqualTo(java.time.Instant.parse("2026-12-01T00:00:00Z").toEpochMilli());
    assertThat(Period.MONTH.resetsAt(ts)).isEqualTo(java.time.Instant.parse("2026-12-01T00:00:00Z").toEpochMilli());
  }
}
