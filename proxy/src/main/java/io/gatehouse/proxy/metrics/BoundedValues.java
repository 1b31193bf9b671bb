package io.gatehouse.proxy.metrics;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps a tag's cardinality bounded: the first {@code limit} distinct values pass, later new ones
 * become {@link #OTHER}. Models come from clients and upstreams, so without this a client sending
 * random model names would grow the registry without end. Thread-safe; a value once admitted stays.
 */
final class BoundedValues {
  static final String OTHER = "other";
  static final String NONE = "none";

  private final int limit;
  private final Set<String> admitted = ConcurrentHashMap.newKeySet();

  BoundedValues(int limit) {
    this.limit = limit;
  }

  String of(String value) {
    if (value == null || value.isEmpty()) {
      return NONE;
    }
    if (admitted.contains(value)) {
      return value;
    }
    if (value.length() > 100 || admitted.size() >= limit) {
      return OTHER;
    }
    admitted.add(value); // a race may admit a few past the limit: bounded by the number of IO threads
    return value;
  }
}
