package io.gatehouse.proxy.limits;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The deterministic fold of the spend log: every replica applies the same records in the same (log)
 * order with these rules, so every replica reaches the same decisions without talking to the others.
 *
 * <ul>
 *   <li>A {@link Reserve} is granted iff, when it is folded, every budget it names still has room for its
 *       worst-case cost ({@code spent + reserved + cost ≤ limit}, and {@code spent + reserved < limit}) and
 *       every rate window it names has room for one more request and its estimated tokens. Granted
 *       reservations hold their cost and tokens; denied ones change nothing.
 *   <li>A {@link Settle} replaces the held cost by the real one (0 for a failure) and corrects the tokens.
 *   <li>A reservation never settled (its replica died) is released {@link #holdTtlMs} after its timestamp,
 *       measured in record time; a later settle of it is ignored.
 * </ul>
 *
 * <p>Rate windows are sliding 60 s windows in record time (the admitting replica's clock). Money is in
 * nano-USD. Not thread-safe: confined to the log's consumer thread (and to tests).
 */
public final class Ledger {
  static final long WINDOW_MS = 60_000;
  /** Every this many reservations, past budget periods and idle rate windows are forgotten. */
  static final int SWEEP_EVERY = 10_000;

  /**
   * One request's claim.
   *
   * @param ts the admitting replica's clock (epoch ms)
   * @param cost worst-case cost, nano-USD (0 when the price is unknown)
   * @param tokens estimated prompt tokens + max output tokens
   */
  public record Reserve(String id, long ts, long cost, long tokens, List<BudgetClaim> budgets, List<RateClaim> rates) {
    public Reserve {
      budgets = List.copyOf(budgets);
      rates = List.copyOf(rates);
    }
  }

  /** A budget the request counts against, with the limit the admitting replica knew. */
  public record BudgetClaim(String scope, String window, long limit, long resetsAt) {}

  /** A rate limit the request counts against. */
  public record RateClaim(String scope, Integer rpm, Integer tpm) {}

  /** The real cost (nano-USD; 0 when failed or unpriced) and tokens of a finished request. */
  public record Settle(String id, long cost, long tokens) {}

  /**
   * The outcome of a reservation. When denied: which limit ({@code budget}, {@code rpm}, {@code tpm}),
   * of which scope ({@code key:vk_…}, {@code team:…}, {@code user:…}), what was used of how much
   * (nano-USD, requests or tokens) and when it resets (epoch ms).
   */
  public record Decision(boolean granted, String limit, String scope, long used, long max, long resetsAt) {
    public static final Decision GRANTED = new Decision(true, null, null, 0, 0, 0);
  }

  private static final class Spend {
    final long resetsAt;
    long spent;
    long reserved;

    Spend(long resetsAt) {
      this.resetsAt = resetsAt;
    }
  }

  private static final class Entry {
    final long ts;
    long tokens;
    boolean evicted;

    Entry(long ts, long tokens) {
      this.ts = ts;
      this.tokens = tokens;
    }
  }

  private static final class Window {
    final ArrayDeque<Entry> entries = new ArrayDeque<>();
    long tokens;

    void evict(long now) {
      while (!entries.isEmpty() && entries.peekFirst().ts <= now - WINDOW_MS) {
        Entry e = entries.pollFirst();
        e.evicted = true;
        tokens -= e.tokens;
      }
    }

    long resetsAt(long now) {
      return entries.isEmpty() ? now : entries.peekFirst().ts + WINDOW_MS;
    }
  }

  private record Held(long ts, long cost, List<Spend> spends, List<Map.Entry<Window, Entry>> entries) {}

  private final long holdTtlMs;
  private final Map<String, Spend> spends = new HashMap<>();
  private final Map<String, Window> windows = new HashMap<>();
  private final LinkedHashMap<String, Held> held = new LinkedHashMap<>();
  private long folds;

  public Ledger(long holdTtlMs) {
    this.holdTtlMs = holdTtlMs;
  }

  public Decision reserve(Reserve r) {
    expire(r.ts());
    if (++folds % SWEEP_EVERY == 0) {
      sweep(r.ts());
    }
    List<Spend> claimed = new ArrayList<>(r.budgets().size());
    for (BudgetClaim b : r.budgets()) {
      Spend s = spends.computeIfAbsent(b.scope() + "@" + b.window(), k -> new Spend(b.resetsAt()));
      long used = s.spent + s.reserved;
      if (used >= b.limit() || used + r.cost() > b.limit()) {
        return new Decision(false, "budget", b.scope(), used, b.limit(), b.resetsAt());
      }
      claimed.add(s);
    }
    List<Window> ws = new ArrayList<>(r.rates().size());
    for (RateClaim c : r.rates()) {
      Window w = windows.computeIfAbsent(c.scope(), k -> new Window());
      w.evict(r.ts());
      if (c.rpm() != null && w.entries.size() + 1 > c.rpm()) {
        return new Decision(false, "rpm", c.scope(), w.entries.size(), c.rpm(), w.resetsAt(r.ts()));
      }
      if (c.tpm() != null && w.tokens + r.tokens() > c.tpm()) {
        return new Decision(false, "tpm", c.scope(), w.tokens, c.tpm(), w.resetsAt(r.ts()));
      }
      ws.add(w);
    }
    for (Spend s : claimed) {
      s.reserved += r.cost();
    }
    List<Map.Entry<Window, Entry>> entries = new ArrayList<>(ws.size());
    for (Window w : ws) {
      Entry e = new Entry(r.ts(), r.tokens());
      w.entries.addLast(e);
      w.tokens += r.tokens();
      entries.add(Map.entry(w, e));
    }
    held.put(r.id(), new Held(r.ts(), r.cost(), claimed, entries));
    return Decision.GRANTED;
  }

  public void settle(Settle s) {
    Held h = held.remove(s.id());
    if (h == null) {
      return; // denied, expired, or reserved before the part of the log this replica read
    }
    for (Spend spend : h.spends()) {
      spend.reserved -= h.cost();
      spend.spent += s.cost();
    }
    for (Map.Entry<Window, Entry> e : h.entries()) {
      Entry entry = e.getValue();
      if (!entry.evicted) {
        e.getKey().tokens += s.tokens() - entry.tokens;
        entry.tokens = s.tokens();
      }
    }
  }

  /** Forgets budget periods that ended (nothing of them is held) and rate windows with nothing in them. */
  private void sweep(long now) {
    spends.values().removeIf(s -> s.resetsAt <= now && s.reserved == 0);
    windows.values().removeIf(w -> {
      w.evict(now);
      return w.entries.isEmpty();
    });
  }

  /** Budget periods and rate windows the ledger remembers (bounded by the sweep). */
  public int tracked() {
    return spends.size() + windows.size();
  }

  /** Spent (settled) nano-USD of a scope in a window; for tests and the admin view. */
  public long spent(String scope, String window) {
    Spend s = spends.get(scope + "@" + window);
    return s == null ? 0 : s.spent;
  }

  /** Reservations granted and not yet settled or expired. */
  public int held() {
    return held.size();
  }

  private void expire(long now) {
    for (Iterator<Held> it = held.values().iterator(); it.hasNext(); ) {
      Held h = it.next();
      if (h.ts() > now - holdTtlMs) {
        break;
      }
      it.remove();
      for (Spend s : h.spends()) {
        s.reserved -= h.cost();
      }
    }
  }

  /** USD → nano-USD, rounded up (a reservation never undercounts). */
  public static long nanos(double usd) {
    return (long) Math.ceil(usd * 1e9);
  }
}
