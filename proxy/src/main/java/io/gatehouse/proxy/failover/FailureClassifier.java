package io.gatehouse.proxy.failover;

import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.util.Locale;

/**
 * The one place that judges provider failures, and the one place that decides what to do about them.
 * Every attempt records its class; {@link #decide} alone says whether to retry the same target, move
 * on, or stop and return the error.
 *
 * <table>
 *   <caption>classes and decisions</caption>
 *   <tr><th>class</th><th>from</th><th>decision</th></tr>
 *   <tr><td>{@code rate_limit}</td><td>429</td><td>retry (another key first), honouring Retry-After</td></tr>
 *   <tr><td>{@code quota}</td><td>429 {@code insufficient_quota}, billing errors</td><td>next key / target</td></tr>
 *   <tr><td>{@code credential}</td><td>401, 403</td><td>next key / target; never retried as is</td></tr>
 *   <tr><td>{@code model_gone}</td><td>404 from the provider</td><td>next target</td></tr>
 *   <tr><td>{@code context_too_long}</td><td>400 naming the context window</td><td>stop: no target can do better by retrying</td></tr>
 *   <tr><td>{@code content_filter}</td><td>400 content policy</td><td>stop</td></tr>
 *   <tr><td>{@code caller_fault}</td><td>other 4xx</td><td>stop</td></tr>
 *   <tr><td>{@code transient}</td><td>5xx, 529, resets, cut or malformed streams</td><td>retry, then next target</td></tr>
 *   <tr><td>{@code unreachable}</td><td>refused, DNS, connect timeout</td><td>next target</td></tr>
 *   <tr><td>{@code timeout}</td><td>no response, slow first token, stalled stream</td><td>next target</td></tr>
 * </table>
 *
 * Stateless; thread-safe.
 */
public final class FailureClassifier {
  public static final String RATE_LIMIT = "rate_limit";
  public static final String QUOTA = "quota";
  public static final String CREDENTIAL = "credential";
  public static final String MODEL_GONE = "model_gone";
  public static final String CONTEXT_TOO_LONG = "context_too_long";
  public static final String CONTENT_FILTER = "content_filter";
  public static final String CALLER_FAULT = "caller_fault";
  public static final String TRANSIENT = "transient";
  public static final String UNREACHABLE = "unreachable";
  public static final String TIMEOUT = "timeout";

  /** What to do after a failed attempt. */
  public enum Decision {
    /** Try the same target again (another of its keys when it has several) after a backoff. */
    RETRY,
    /** Try another key of the same provider, else the next target; no backoff. */
    NEXT_KEY,
    /** Skip to the next target at once. */
    NEXT_TARGET,
    /** Return this error to the client: no other attempt can turn it into a success. */
    STOP
  }

  private FailureClassifier() {}

  /** The class of an upstream HTTP status alone, or null for success (2xx/3xx). */
  public static String ofStatus(int status) {
    return classify(status, null, null, null);
  }

  /**
   * The class of an upstream error answer, or null for success.
   *
   * @param type the error's {@code type} as the provider (or adapter) reported it, or null
   * @param code the error's {@code code}, or null
   * @param message the error's message, or null
   */
  public static String classify(int status, String type, String code, String message) {
    if (status < 400) {
      return null;
    }
    String t = lower(type) + " " + lower(code);
    String m = lower(message);
    if (t.contains("insufficient_quota") || t.contains("billing") || m.contains("exceeded your current quota")
        || m.contains("credit balance is too low")) {
      return QUOTA;
    }
    if (t.contains("context_length") || m.contains("context length") || m.contains("context window")
        || m.contains("prompt is too long") || m.contains("too many tokens") || m.contains("input token count")
        && m.contains("exceeds")) {
      return CONTEXT_TOO_LONG;
    }
    if (t.contains("content_filter") || t.contains("content_policy") || m.contains("content management policy")
        || m.contains("content policy")) {
      return CONTENT_FILTER;
    }
    return switch (status) {
      case 429 -> RATE_LIMIT;
      case 401, 403 -> CREDENTIAL;
      case 402 -> QUOTA;
      case 404 -> MODEL_GONE;
      case 408 -> TIMEOUT;
      default -> status >= 500 ? TRANSIENT : CALLER_FAULT;
    };
  }

  /** The class of a transport failure (no usable HTTP response). */
  public static String ofThrowable(Throwable t) {
    Throwable c = t;
    while (c != null) {
      if (c instanceof HttpConnectTimeoutException || c instanceof ConnectException
          || c instanceof UnresolvedAddressException) {
        return UNREACHABLE;
      }
      if (c instanceof HttpTimeoutException) {
        return TIMEOUT;
      }
      c = c.getCause();
    }
    return TRANSIENT;
  }

  /** What to do after an attempt failed with {@code failureClass}. */
  public static Decision decide(String failureClass) {
    if (failureClass == null) {
      return Decision.STOP;
    }
    return switch (failureClass) {
      case RATE_LIMIT, TRANSIENT -> Decision.RETRY;
      case QUOTA, CREDENTIAL -> Decision.NEXT_KEY;
      case MODEL_GONE, UNREACHABLE, TIMEOUT -> Decision.NEXT_TARGET;
      default -> Decision.STOP;
    };
  }

  /** Whether a failure of this class counts against a deployment's circuit breaker. */
  public static boolean tripsBreaker(String failureClass) {
    return TRANSIENT.equals(failureClass) || UNREACHABLE.equals(failureClass) || TIMEOUT.equals(failureClass)
        || CREDENTIAL.equals(failureClass) || QUOTA.equals(failureClass) || MODEL_GONE.equals(failureClass);
  }

  private static String lower(String s) {
    return s == null ? "" : s.toLowerCase(Locale.ROOT);
  }
}
