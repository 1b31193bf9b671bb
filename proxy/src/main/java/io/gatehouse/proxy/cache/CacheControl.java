package io.gatehouse.proxy.cache;

import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import java.util.Locale;

/**
 * What a request allows the cache to do, from {@code x-gatehouse-cache} and {@code Cache-Control}:
 *
 * <ul>
 *   <li>{@code no-cache} (either header; also {@code Cache-Control: max-age=0}): do not answer from the
 *       cache; the fresh answer is stored.
 *   <li>{@code refresh}: the same, said plainly: fetch a fresh answer and replace the stored one.
 *   <li>{@code no-store} (either header): never store this request's answer (a stored answer may still be
 *       served, as HTTP caches do).
 * </ul>
 *
 * Unknown {@code x-gatehouse-cache} values are an error (a typo must not silently cache); unknown
 * {@code Cache-Control} directives are ignored, as HTTP requires.
 *
 * @param error a message for a 400, or null
 */
public record CacheControl(boolean read, boolean store, String error) {
  static final String HEADER = "x-gatehouse-cache";

  public static CacheControl of(HeaderMap headers) {
    boolean read = true;
    boolean store = true;
    HeaderValues ours = headers.get(HEADER);
    if (ours != null) {
      for (String value : ours) {
        for (String token : value.split(",")) {
          switch (token.strip().toLowerCase(Locale.ROOT)) {
            case "no-cache", "refresh" -> read = false;
            case "no-store" -> store = false;
            case "" -> { }
            default -> {
              return new CacheControl(false, false, "Unknown x-gatehouse-cache value '" + token.strip()
                  + "'; use no-cache, no-store or refresh (comma-separated).");
            }
          }
        }
      }
    }
    HeaderValues cc = headers.get(Headers.CACHE_CONTROL);
    if (cc != null) {
      for (String value : cc) {
        for (String token : value.split(",")) {
          String t = token.strip().toLowerCase(Locale.ROOT).replace(" ", "");
          if (t.equals("no-cache") || t.equals("max-age=0")) {
            read = false;
          } else if (t.equals("no-store")) {
            store = false;
          }
        }
      }
    }
    return new CacheControl(read, store, null);
  }
}
