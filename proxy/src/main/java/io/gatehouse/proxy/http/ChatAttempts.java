package io.gatehouse.proxy.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.config.Resilience;
import io.gatehouse.proxy.failover.Backoff;
import io.gatehouse.proxy.failover.Breakers;
import io.gatehouse.proxy.failover.CircuitBreaker;
import io.gatehouse.proxy.failover.FailureClassifier;
import io.gatehouse.proxy.pipeline.CallRecord;
import io.gatehouse.proxy.provider.ChatAdapter;
import io.gatehouse.proxy.provider.Provider;
import io.gatehouse.proxy.routing.RouteTable;
import io.gatehouse.proxy.transport.UpstreamClient;
import io.undertow.server.HttpServerExchange;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The attempts of one chat completion: the route's targets in order, each deployment (provider + key +
 * model) guarded by its circuit breaker, every failure judged by {@link FailureClassifier#decide}:
 *
 * <ul>
 *   <li>{@code RETRY}: the same target once more (another key first when it has several), after an
 *       exponential backoff with jitter or the {@code Retry-After} the provider asked for — unless that
 *       is longer than {@code retries.max_retry_after}, or the target was already retried and a fallback
 *       exists, in which case the next target goes at once;
 *   <li>{@code NEXT_KEY}: another key of the same provider (the bad key's breaker opens at once), else
 *       the next target;
 *   <li>{@code NEXT_TARGET}: the next target at once;
 *   <li>{@code STOP}: the error goes to the client.
 * </ul>
 *
 * Attempts stop at {@code retries.max_attempts} or when the next one could not finish within
 * {@code timeouts.total}; the last failure is then what the client sees. Deployments whose breaker is
 * open are skipped; when every one is open, the one closest to its probe is tried anyway rather than
 * failing without a call. Failover happens only while the client has received nothing: once a stream's
 * first byte is out, a failure ends it with an in-band error.
 *
 * <p>Confined to the exchange's IO thread (backoffs are timers on it, never sleeps).
 */
final class ChatAttempts implements UpstreamExchange.AttemptOwner {
  private final HttpServerExchange exchange;
  private final CallRecord record;
  private final ObjectNode request;
  private final boolean stream;
  private final boolean clientWantsUsage;
  private final List<RouteTable.Target> targets;
  private final UpstreamClient upstream;
  private final Resilience resilience;
  private final Breakers breakers;
  private final Backoff backoff;
  private final long deadlineNanos;
  /** Deployments (provider#key/model) that failed for a key-specific reason in this request. */
  private final Set<String> badDeployments = new HashSet<>();

  private int attempts;
  private int targetIndex;
  private int triesOnTarget;
  private CircuitBreaker current;
  private String currentDeployment;

  ChatAttempts(HttpServerExchange exchange, CallRecord record, ObjectNode request, boolean stream,
      boolean clientWantsUsage, RouteTable.Route route, UpstreamClient upstream, Resilience resilience,
      Breakers breakers, Backoff backoff) {
    this.exchange = exchange;
    this.record = record;
    this.request = request;
    this.stream = stream;
    this.clientWantsUsage = clientWantsUsage;
    this.targets = route.targets();
    this.upstream = upstream;
    this.resilience = resilience;
    this.breakers = breakers;
    this.backoff = backoff;
    this.deadlineNanos = System.nanoTime() + resilience.total().toNanos();
  }

  /** Sends the first attempt. */
  void start() {
    targetIndex = firstUsableTarget(0);
    attempt();
  }

  /** The first target from {@code from} with a usable deployment; else the one nearest its probe. */
  private int firstUsableTarget(int from) {
    for (int i = from; i < targets.size(); i++) {
      if (usableKey(targets.get(i)) >= 0) {
        return i;
      }
    }
    int best = from;
    long bestWait = Long.MAX_VALUE;
    for (int i = from; i < targets.size(); i++) {
      RouteTable.Target t = targets.get(i);
      long wait = breakers.of(t.provider().deployment(0, t.upstreamModel())).nanosUntilProbe();
      if (wait < bestWait) {
        best = i;
        bestWait = wait;
      }
    }
    return best;
  }

  /** A key index of {@code target} whose deployment may take a request now, or -1. */
  private int usableKey(RouteTable.Target target) {
    for (int k = 0; k < Math.max(1, target.provider().keyCount()); k++) {
      String d = target.provider().deployment(k, target.upstreamModel());
      if (!badDeployments.contains(d) && breakers.of(d).allowsRequest()) {
        return k;
      }
    }
    return -1;
  }

  private void attempt() {
    RouteTable.Target target = targets.get(targetIndex);
    Provider provider = target.provider();
    Provider.Credential credential = pickCredential(provider, target.upstreamModel());
    String deployment = provider.deployment(credential.index(), target.upstreamModel());
    CircuitBreaker breaker = breakers.of(deployment);
    if (!breaker.tryAcquire() && targetIndex + 1 < targets.size()) {
      // another request took the probe (or it is open): the next target rather than a doomed call
      int next = firstUsableTarget(targetIndex + 1);
      if (usableKey(targets.get(next)) >= 0) {
        targetIndex = next;
        triesOnTarget = 0;
        attempt();
        return;
      }
    }
    current = breaker;
    currentDeployment = deployment;
    attempts++;
    triesOnTarget++;
    record.event().provider(provider.name()).deployment(deployment).fallbackUsed(targetIndex > 0);
    ChatAdapter.Prepared prepared = provider.adapter().prepare(request, target.upstreamModel(), stream,
        credential.key());
    if (prepared instanceof ChatAdapter.Refused refused) {
      current = null; // nothing was sent: the deployment's health is unknown
      if (targetIndex + 1 < targets.size()) {
        targetIndex++; // a fallback of another type may be able to take it
        triesOnTarget = 0;
        attempt();
      } else {
        ChatCompletionsHandler.reject(exchange, record, 400, refused.param(), "unsupported_for_provider",
            "Provider '" + provider.name() + "' (" + provider.type().yamlName() + ") cannot take this request: "
                + refused.message());
      }
      return;
    }
    ChatForwarder forwarder = new ChatForwarder(exchange, record, provider, deployment, target.upstreamModel(),
        stream, clientWantsUsage, resilience.firstToken(), resilience.idleBetweenChunks());
    forwarder.owner(this);
    long left = deadlineNanos - System.nanoTime();
    // the first byte of the answer: a stream's headers, or a whole non-streamed answer
    Duration headers = Duration.ofNanos(Math.max(1_000_000, Math.min(left, resilience.firstToken().toNanos())));
    forwarder.start(upstream, ((ChatAdapter.Ready) prepared).request().withResponseTimeout(headers));
  }

  /** The provider's next key whose deployment is usable, else simply its next key. */
  private Provider.Credential pickCredential(Provider provider, String model) {
    Provider.Credential c = provider.nextCredential();
    for (int i = 1; i < provider.keyCount(); i++) {
      String d = provider.deployment(c.index(), model);
      if (!badDeployments.contains(d) && breakers.of(d).allowsRequest()) {
        return c;
      }
      c = provider.nextCredential();
    }
    return c;
  }

  @Override
  public boolean failedBeforeAnswer(String failureClass, int upstreamStatus, long retryAfterMs) {
    report(failureClass);
    FailureClassifier.Decision decision = FailureClassifier.decide(failureClass);
    if (decision == FailureClassifier.Decision.STOP || attempts >= resilience.maxAttempts()) {
      return false;
    }
    boolean hasNextTarget = targetIndex + 1 < targets.size();
    RouteTable.Target target = targets.get(targetIndex);
    long delayMs = 0;
    switch (decision) {
      case RETRY -> {
        boolean retryAfterTooLong = retryAfterMs > resilience.maxRetryAfter().toMillis();
        if (hasNextTarget && (triesOnTarget >= 2 || retryAfterTooLong)) {
          return nextTarget();
        }
        if (retryAfterTooLong) {
          return false; // the provider asked for a pause longer than we may wait, and nobody else can answer
        }
        delayMs = retryAfterMs >= 0 ? retryAfterMs : backoff.delayMillis(triesOnTarget);
      }
      case NEXT_KEY -> {
        if (target.provider().keyCount() <= 1 || usableKey(target) < 0) {
          return hasNextTarget && nextTarget();
        }
      }
      default -> {
        return hasNextTarget && nextTarget();
      }
    }
    if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMs) >= deadlineNanos) {
      return false;
    }
    if (delayMs <= 0) {
      attempt();
    } else {
      exchange.getIoThread().executeAfter(this::attemptGuarded, delayMs, TimeUnit.MILLISECONDS);
    }
    return true;
  }

  private boolean nextTarget() {
    if (System.nanoTime() >= deadlineNanos) {
      return false;
    }
    targetIndex = firstUsableTarget(targetIndex + 1);
    triesOnTarget = 0;
    attempt();
    return true;
  }

  private void attemptGuarded() {
    try {
      attempt();
    } catch (RuntimeException e) {
      ChatCompletionsHandler.internalError(exchange, record, e);
    }
  }

  @Override
  public void answered(String failureClass) {
    report(failureClass);
  }

  /** Tells the current deployment's breaker how the attempt went. */
  private void report(String failureClass) {
    if (current == null) {
      return;
    }
    if (failureClass == null) {
      current.success();
    } else if (FailureClassifier.CREDENTIAL.equals(failureClass) || FailureClassifier.QUOTA.equals(failureClass)) {
      badDeployments.add(currentDeployment);
      current.trip();
    } else if (FailureClassifier.tripsBreaker(failureClass)) {
      current.failure();
    }
  }
}
