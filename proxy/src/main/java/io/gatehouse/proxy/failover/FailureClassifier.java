package io.gatehouse.proxy.failover;

import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;

/**
 * The one place that judges provider failures. A failure class is recorded on every attempt and will
 * drive retries, key rotation and cooldown (later issues). Classes:
 * <ul>
 *   <li>{@code rate_limit}: 429; retry later or with another key.
 *   <li>{@code credential}: 401/403; the key is wrong or lacks access; rotate keys, never retry as is.
 *   <li>{@code model_gone}: 404 from the provider; the model name does not exist there.
 *   <li>{@code caller_fault}: other 4xx; the request itself is wrong; retrying cannot help.
 *   <li>{@code transient}: 5xx and broken connections; worth a retry or a fallback.
 *   <li>{@code unreachable}: no connection could be made (refused, DNS).
 *   <li>{@code timeout}: no response in time.
 * </ul>
 * Stateless.
 */
public final class FailureClassifier {
  public static final String RATE_LIMIT = "rate_limit";
  public static final String CREDENTIAL = "credential";
  public static final String MODEL_GONE = "model_gone";
  public static final String CALLER_FAULT = "caller_fault";
  public static final String TRANSIENT = "transient";
  public static final String UNREACHABLE = "unreachable";
  public static final String TIMEOUT = "timeout";

  private FailureClassifier() {}

  /** The class of an upstream HTTP status, or null for success (2xx/3xx). */
  public static String ofStatus(int status) {
    if (status < 400) {
      return null;
    }
    return switch (status) {
      case 429 -> RATE_LIMIT;
      case 401, 403 -> CREDENTIAL;
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
}
