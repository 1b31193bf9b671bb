package io.gatehouse.proxy.limits;

import io.gatehouse.proxy.keys.AccessConfig;
import io.gatehouse.proxy.keys.KeySecrets;
import io.gatehouse.proxy.keys.KeyStore;
import io.gatehouse.proxy.keys.VirtualKey;
import io.gatehouse.proxy.pipeline.Attribution;
import io.gatehouse.proxy.pipeline.CallRecord;
import io.gatehouse.proxy.routing.RouteTable;
import io.gatehouse.schemas.GatehouseEvent;
import io.gatehouse.schemas.pricing.PriceCatalog;
import io.undertow.util.HeaderMap;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.XnioIoThread;

/**
 * Admission of proxied requests: the virtual key (401), its allowed models (403), then budgets and rate
 * limits (429) through the {@link SpendLog}. Answers are values ({@link Denied}); the handlers render
 * them in their API's error shape.
 *
 * <p>{@link #authenticate} is one hash and one map lookup. {@link #admit} never blocks: when a limit
 * applies it appends a reservation and continues on the request's IO thread once the log decided (or
 * after {@code limits.decision_timeout}, admitting without the log, loudly). Thread-safe.
 */
public final class Gate {
  private static final Logger LOG = LoggerFactory.getLogger(Gate.class);
  private static final String INVALID = "invalid_request_error";
  /** What callers divide a prompt's characters (bytes) by to estimate its tokens. */
  private static final long CHARS_PER_ESTIMATED_TOKEN = 4;

  /** The outcome of a check. */
  public sealed interface Check permits Pass, Denied {}

  /** Admitted so far; {@code key} is null in open mode (no key presented, none required). */
  public record Pass(VirtualKey key) implements Check {
    /** The request's attribution with the key's team and user, which win over headers. */
    public Attribution attribution(Attribution a) {
      if (key == null || (key.team() == null && key.user() == null)) {
        return a;
      }
      return new Attribution(key.user() != null ? key.user() : a.user(), key.team() != null ? key.team() : a.team(),
          a.feature(), a.sessionId(), a.tags(), a.traceId(), a.spanId());
    }

    public void applyTo(GatehouseEvent.Builder event) {
      if (key != null) {
        event.virtualKeyId(key.id());
      }
    }
  }

  /**
   * A refusal.
   *
   * @param openAiType the OpenAI error {@code type}: {@code invalid_request_error} (401, 403),
   *     {@code insufficient_quota} (budget), {@code requests} / {@code tokens} (RPM / TPM), as OpenAI sends them
   * @param anthropicType the Anthropic error type for {@code /v1/messages}
   * @param retryAfterSeconds for the {@code Retry-After} header of rate limits, or null
   */
  public record Denied(int status, String openAiType, String anthropicType, String code, String message,
      Long retryAfterSeconds) implements Check {}

  private final KeyStore keys;
  private final SpendLog log;
  private final AccessConfig config;
  private final LongSupplier clock;
  private final AtomicLong failedOpen = new AtomicLong();
  private final AtomicLong unpriced = new AtomicLong();
  private final AtomicLong decisions = new AtomicLong();
  private final AtomicLong decisionNanos = new AtomicLong();
  private final AtomicLong decisionMaxNanos = new AtomicLong();
  private volatile long lastOpenWarningMs;
  /** {@link SpendLog#folded()} when a decision last timed out, or -1: while unchanged, requests do not wait. */
  private volatile long logDownAt = -1;

  /**
   * @param keys null when no key store runs (then every {@code sk-gh-} key is unknown)
   * @param log null when no spend log runs (then no budget or limit is enforced)
   * @param clock epoch milliseconds
   */
  public Gate(KeyStore keys, SpendLog log, AccessConfig config, LongSupplier clock) {
    this.keys = keys;
    this.log = log;
    this.config = config;
    this.clock = clock;
  }

  /**
   * Reads the client's key from {@code Authorization: Bearer …} or {@code x-api-key}. A key that looks
   * like a virtual key is always checked; any other (or none) passes in open mode and is refused when
   * {@code keys.required}.
   */
  public Check authenticate(HeaderMap headers, String model) {
    String secret = presented(headers);
    if (secret == null || !secret.startsWith(KeySecrets.PREFIX)) {
      if (!config.keysRequired()) {
        return new Pass(null);
      }
      return new Denied(401, INVALID, "authentication_error", "invalid_api_key", secret == null
          ? "Missing virtual key: this Gatehouse requires one. Send it as 'Authorization: Bearer sk-gh-…' "
              + "(or 'x-api-key' on /v1/messages); an admin creates keys with POST /admin/keys."
          : "Incorrect API key provided: this Gatehouse accepts only its virtual keys (sk-gh-…).", null);
    }
    VirtualKey key = keys == null ? null : keys.byHash(KeySecrets.sha256Hex(secret));
    if (key == null) {
      return new Denied(401, INVALID, "authentication_error", "invalid_api_key",
          "Incorrect API key provided: this virtual key is unknown (it may have been rotated).", null);
    }
    if (key.revokedAt() != null) {
      return new Denied(401, INVALID, "authentication_error", "invalid_api_key", "The virtual key " + key.id() + " was revoked at "
          + Instant.ofEpochMilli(key.revokedAt()) + ".", null);
    }
    long now = clock.getAsLong();
    if (key.expired(now)) {
      return new Denied(401, INVALID, "authentication_error", "invalid_api_key", "The virtual key " + key.id() + " expired at "
          + Instant.ofEpochMilli(key.expiresAt()) + ".", null);
    }
    if (!key.allows(model)) {
      return new Denied(403, INVALID, "permission_error", "model_not_allowed", "The virtual key " + key.id() + " may not use model '"
          + model + "'; it may use: " + String.join(", ", key.models()) + ".", null);
    }
    return new Pass(key);
  }

  /**
   * Reserves the request's worst-case cost and tokens against every budget and rate limit that applies,
   * then calls {@code next} on {@code ioThread} with null (admitted) or the refusal. With no limit
   * applying, {@code next} runs at once on the calling thread. An admitted request settles with its real
   * cost when {@code record} finishes.
   *
   * @param attribution as returned by {@link Pass#attribution}
   * @param targets the route's targets; the dearest known price is reserved, at its highest rates that could
   *     apply ({@link #worstCase(PriceCatalog.Price, long, long)})
   * @param maxOutputTokens the request's max output tokens, or null for {@code limits.default_max_tokens}
   */
  public void admit(Pass pass, Attribution attribution, List<RouteTable.Target> targets, long promptTokens,
      Integer maxOutputTokens, CallRecord record, XnioIoThread ioThread, Consumer<Denied> next) {
    long now = clock.getAsLong();
    List<Ledger.BudgetClaim> budgets = new ArrayList<>(3);
    List<Ledger.RateClaim> rates = new ArrayList<>(2);
    VirtualKey key = pass.key();
    if (key != null) {
      budget(budgets, "key:" + key.id(), key.budget(), now);
      rate(rates, "key:" + key.id(), key.limits());
    }
    if (attribution.team() != null) {
      budget(budgets, "team:" + attribution.team(), config.teamBudgets().get(attribution.team()), now);
      rate(rates, "team:" + attribution.team(), config.teamLimits().get(attribution.team()));
    }
    if (attribution.user() != null) {
      budget(budgets, "user:" + attribution.user(), config.userBudgets().get(attribution.user()), now);
    }
    if (log == null || (budgets.isEmpty() && rates.isEmpty())) {
      next.accept(null);
      return;
    }
    long outputTokens = maxOutputTokens != null ? maxOutputTokens : config.defaultMaxTokens();
    Ledger.Reserve reserve = new Ledger.Reserve(record.eventId(), now, worstCase(targets, promptTokens, outputTokens),
        promptTokens + outputTokens, budgets, rates);
    long asked = System.nanoTime();
    Executor io = ioThread;
    log.reserve(reserve, decision -> io.execute(() -> decided(reserve, decision, record, asked, next)));
    long foldedWhenDown = logDownAt;
    if (foldedWhenDown >= 0 && log.folded() == foldedWhenDown && log.abandon(reserve.id())) {
      // the log gave no decision since it last timed out: do not make every request wait for it again
      failOpen(reserve, record, next);
      return;
    }
    ioThread.executeAfter(() -> {
      if (log.abandon(reserve.id())) {
        logDownAt = log.folded();
        failOpen(reserve, record, next);
      }
    }, config.decisionTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Decisions the spend log delivered, their mean and their largest delay (append → folded → back on the IO thread). */
  public String decisionStats() {
    long n = decisions.get();
    return n + " decisions, mean " + (n == 0 ? 0 : decisionNanos.get() / n / 1000) + " us, max "
        + decisionMaxNanos.get() / 1000 + " us";
  }

  /** Decisions the spend log delivered (granted or denied). */
  public long decisions() {
    return decisions.get();
  }

  /** Total seconds requests waited for those decisions. */
  public double decisionSeconds() {
    return decisionNanos.get() / 1e9;
  }

  /** Requests admitted without the spend log because it did not decide in time. */
  public long failedOpen() {
    return failedOpen.get();
  }

  private void decided(Ledger.Reserve reserve, Ledger.Decision d, CallRecord record, long askedNanos,
      Consumer<Denied> next) {
    logDownAt = -1;
    long took = System.nanoTime() - askedNanos;
    decisions.incrementAndGet();
    decisionNanos.addAndGet(took);
    decisionMaxNanos.accumulateAndGet(took, Math::max);
    if (d.granted()) {
      settleOnFinish(reserve, record);
      next.accept(null);
      return;
    }
    next.accept(denied(d, reserve.ts()));
  }

  private void settleOnFinish(Ledger.Reserve reserve, CallRecord record) {
    record.onFinish(event -> {
      Double cost = event.costUsd();
      long tokens = (event.inputTokens() == null ? 0 : event.inputTokens())
          + (event.outputTokens() == null ? 0 : event.outputTokens());
      long nanos;
      if (cost != null) {
        nanos = Ledger.nanos(cost);
      } else if (event.inputTokens() == null && event.completion() != null && !event.completion().isEmpty()) {
        // an answer cut off before its usage arrived (stream broke, client left): the provider bills what
        // it generated, which the reservation bounds; settling at 0 would let such requests overspend
        nanos = reserve.cost();
        tokens = reserve.tokens();
      } else {
        nanos = 0; // failed before an answer, or a model without a price
      }
      log.settle(new Ledger.Settle(reserve.id(), nanos, tokens));
    });
  }

  static Denied denied(Ledger.Decision d, long now) {
    String resets = Instant.ofEpochMilli(d.resetsAt()).toString();
    // clamped to the 60 s window: the decision's "now" can lag the time of the record that decided it
    // (another replica's clock, or time spent waiting for the log), which would round up to 61
    long retryAfter = Math.min(60, Math.max(1, (d.resetsAt() - now + 999) / 1000));
    return switch (d.limit()) {
      case "budget" -> new Denied(429, "insufficient_quota", "rate_limit_error", "budget_exceeded", "Budget exceeded for " + d.scope() + ": spent "
          + usd(d.used()) + " of " + usd(d.max()) + " USD this period (including requests in flight); it resets at "
          + resets + ".", null);
      case "rpm" -> new Denied(429, "requests", "rate_limit_error", "rate_limit_exceeded", "Rate limit reached for " + d.scope()
          + ": " + d.used() + " of " + d.max() + " requests per minute used; retry after " + resets + ".", retryAfter);
      default -> new Denied(429, "tokens", "rate_limit_error", "rate_limit_exceeded", "Rate limit reached for " + d.scope()
          + ": " + d.used() + " of " + d.max() + " tokens per minute used (prompt estimate + max_tokens); retry "
          + "after " + resets + ".", retryAfter);
    };
  }

  private static String usd(long nanos) {
    return BigDecimal.valueOf(nanos, 9).stripTrailingZeros().toPlainString();
  }

  private void budget(List<Ledger.BudgetClaim> out, String scope, Budget b, long now) {
    if (b != null) {
      out.add(new Ledger.BudgetClaim(scope, b.period().window(now), b.nanos(), b.period().resetsAt(now)));
    }
  }

  private static void rate(List<Ledger.RateClaim> out, String scope, RateLimit limit) {
    if (limit != null && !limit.none()) {
      out.add(new Ledger.RateClaim(scope, limit.rpm(), limit.tpm()));
    }
  }

  /** nano-USD of {@link #worstCase(PriceCatalog.Price, long, long)} at the dearest target with a known price. */
  private long worstCase(List<RouteTable.Target> targets, long promptTokens, long outputTokens) {
    BigDecimal worst = null;
    for (RouteTable.Target t : targets) {
      PriceCatalog.Price p = t.provider().prices().price(t.provider().name(), t.provider().type().priceFamily(),
          t.upstreamModel());
      if (p == null) {
        if (unpriced.getAndIncrement() == 0) {
          LOG.warn("No price for {}/{}: its requests reserve nothing against budgets (they are admitted and "
              + "counted at their reported cost, if any). Add it under prices: to budget it.", t.provider().name(),
              t.upstreamModel());
        }
        continue;
      }
      BigDecimal c = worstCase(p, promptTokens, outputTokens);
      worst = worst == null || c.compareTo(worst) > 0 ? c : worst;
    }
    return worst == null ? 0 : Ledger.nanos(worst.doubleValue());
  }

  /**
   * USD: the most a request can cost at {@code p} when the provider counts at most {@code promptTokens}
   * and it answers at most {@code outputTokens}, whatever part of its prompt is a cache write and of its
   * output reasoning, at the long-context tier's rates whenever the prompt could cross the tier's
   * threshold. The estimate callers pass is a quarter of the prompt's characters (bytes on
   * {@code /v1/messages} and {@code /v1/embeddings}), and tokenizers make at most about one token per
   * character of text, so the tier is reserved as soon as 4 × the estimate exceeds its threshold: a prompt
   * the estimate undercounts (by up to 4×) is still not billed at a tier it did not reserve.
   */
  static BigDecimal worstCase(PriceCatalog.Price p, long promptTokens, long outputTokens) {
    return p.ceiling(promptTokens, outputTokens, promptTokens * CHARS_PER_ESTIMATED_TOKEN > p.longContextThreshold());
  }

  private void failOpen(Ledger.Reserve reserve, CallRecord record, Consumer<Denied> next) {
    failedOpen.incrementAndGet();
    settleOnFinish(reserve, record);
    warnOpen(reserve);
    next.accept(null);
  }

  private void warnOpen(Ledger.Reserve reserve) {
    long now = clock.getAsLong();
    if (now - lastOpenWarningMs > 10_000) {
      lastOpenWarningMs = now;
      LOG.warn("Spend log gave no decision within {} ms: request {} admitted WITHOUT budget/rate-limit "
          + "enforcement (fail open; {} so far). Check Kafka.", config.decisionTimeout().toMillis(), reserve.id(),
          failedOpen.get());
    }
  }

  private static String presented(HeaderMap headers) {
    String auth = headers.getFirst("Authorization");
    if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
      String v = auth.substring(7).strip();
      if (!v.isEmpty()) {
        return v;
      }
    }
    String apiKey = headers.getFirst("x-api-key");
    return apiKey == null || apiKey.isBlank() ? null : apiKey.strip();
  }
}
