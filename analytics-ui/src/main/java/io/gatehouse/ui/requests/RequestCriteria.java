package io.gatehouse.ui.requests;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The latency-search filters beyond the time range, all optional (empty string / null = any). They
 * round-trip through URL query parameters ({@link #fromParams}, {@link #toParams}) so that a view can be
 * shared. Every value is user input and reaches SQL only through {@code SqlLiteral}.
 *
 * @param status "ok", "error" or "" for any
 * @param failureClass the event's error class or any attempt's failure class
 * @param text case-insensitive substring of the prompt or the completion
 */
public record RequestCriteria(String model, String provider, String user, String feature, String status,
                              String failureClass, Long minLatencyMs, Long minTtftMs, Double minCostUsd,
                              String cacheResult, String text) {
  public static final RequestCriteria ANY = new RequestCriteria("", "", "", "", "", "", null, null, null, "", "");

  public RequestCriteria {
    model = clean(model);
    provider = clean(provider);
    user = clean(user);
    feature = clean(feature);
    status = clean(status);
    if (!status.isEmpty() && !status.equals("ok") && !status.equals("error")) {
      status = "";
    }
    failureClass = clean(failureClass);
    cacheResult = clean(cacheResult);
    text = clean(text);
  }

  public static RequestCriteria fromParams(Map<String, List<String>> params) {
    return new RequestCriteria(first(params, "model"), first(params, "provider"), first(params, "user"),
        first(params, "feature"), first(params, "status"), first(params, "failure"),
        number(first(params, "latency_ge")).map(Double::longValue).orElse(null),
        number(first(params, "ttft_ge")).map(Double::longValue).orElse(null),
        number(first(params, "cost_ge")).orElse(null), first(params, "cache"), first(params, "q"));
  }

  /** Only the filters that are set, in a stable order. */
  public Map<String, String> toParams() {
    Map<String, String> p = new LinkedHashMap<>();
    put(p, "model", model);
    put(p, "provider", provider);
    put(p, "user", user);
    put(p, "feature", feature);
    put(p, "status", status);
    put(p, "failure", failureClass);
    if (minLatencyMs != null) {
      p.put("latency_ge", Long.toString(minLatencyMs));
    }
    if (minTtftMs != null) {
      p.put("ttft_ge", Long.toString(minTtftMs));
    }
    if (minCostUsd != null) {
      p.put("cost_ge", Double.toString(minCostUsd));
    }
    put(p, "cache", cacheResult);
    put(p, "q", text);
    return p;
  }

  private static void put(Map<String, String> p, String name, String value) {
    if (!value.isEmpty()) {
      p.put(name, value);
    }
  }

  private static String clean(String s) {
    return s == null ? "" : s.strip();
  }

  private static String first(Map<String, List<String>> params, String name) {
    List<String> values = params.get(name);
    return values == null || values.isEmpty() ? "" : values.get(0);
  }

  private static Optional<Double> number(String s) {
    try {
      double d = Double.parseDouble(s);
      return Double.isFinite(d) && d >= 0 ? Optional.of(d) : Optional.empty();
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
