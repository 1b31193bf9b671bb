package io.gatehouse.proxy.limits;

/**
 * A spend limit: {@code usd} per {@link Period}.
 *
 * @param usd the limit in USD (≥ 0)
 */
public record Budget(double usd, Period period) {
  /** The limit in nano-USD, the ledger's unit. */
  public long nanos() {
    return Ledger.nanos(usd);
  }
}
