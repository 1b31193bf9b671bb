package io.gatehouse.proxy.cache;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A bounded in-memory vector index: unit vectors by exact cache key, partitioned by the exact part of a
 * request (model, system prompt, parameters, tools…), so a lookup only compares questions that would be
 * answered under identical conditions. Search is exhaustive cosine similarity (a dot product of unit
 * vectors) over one partition's vectors, stored contiguously; 100k vectors of 384 floats take a few ms.
 * At {@code maxEntries} the oldest vector is evicted (insertion order).
 *
 * <p>Thread-safe: a read-write lock per partition, one lock for the eviction order. Lookups should run
 * off the IO threads (the cache stage runs them on its embedding executor).
 */
public final class SemanticIndex {
  /** The best match of a lookup. */
  public record Match(String key, double similarity) {}

  private final int dimensions;
  private final int maxEntries;
  private final Map<String, Partition> partitions = new ConcurrentHashMap<>();
  private final ArrayDeque<Object[]> order = new ArrayDeque<>(); // {partition id, key}, oldest first

  public SemanticIndex(int dimensions, int maxEntries) {
    this.dimensions = dimensions;
    this.maxEntries = maxEntries;
  }

  /** Adds {@code vector} (any length; it is normalised) for {@code key} unless the key is already there. */
  public void add(String partition, String key, float[] vector) {
    float[] unit = unit(vector);
    Partition p = partitions.computeIfAbsent(partition, id -> new Partition(dimensions));
    if (!p.add(key, unit)) {
      return;
    }
    Object[] evict = null;
    synchronized (order) {
      order.addLast(new Object[] {partition, key});
      if (order.size() > maxEntries) {
        evict = order.pollFirst();
      }
    }
    if (evict != null) {
      Partition old = partitions.get((String) evict[0]);
      if (old != null) {
        old.remove((String) evict[1]);
      }
    }
  }

  /** The most similar vector in {@code partition}, or null when it is empty. */
  public Match nearest(String partition, float[] vector) {
    Partition p = partitions.get(partition);
    return p == null ? null : p.nearest(unit(vector));
  }

  public int size() {
    synchronized (order) {
      return order.size();
    }
  }

  private float[] unit(float[] v) {
    if (v.length != dimensions) {
      throw new IllegalArgumentException("expected " + dimensions + " dimensions, got " + v.length);
    }
    double norm = 0;
    for (float x : v) {
      norm += x * x;
    }
    float inv = norm == 0 ? 0f : (float) (1 / Math.sqrt(norm));
    float[] u = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      u[i] = v[i] * inv;
    }
    return u;
  }

  private static final class Partition {
    private final int dim;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Map<String, Integer> slotOf = new HashMap<>();
    private float[] vectors;
    private String[] keys;
    private int count;

    Partition(int dim) {
      this.dim = dim;
      this.vectors = new float[dim * 16];
      this.keys = new String[16];
    }

    boolean add(String key, float[] unit) {
      lock.writeLock().lock();
      try {
        if (slotOf.containsKey(key)) {
          return false;
        }
        if (count == keys.length) {
          keys = Arrays.copyOf(keys, count * 2);
          vectors = Arrays.copyOf(vectors, count * 2 * dim);
        }
        System.arraycopy(unit, 0, vectors, count * dim, dim);
        keys[count] = key;
        slotOf.put(key, count);
        count++;
        return true;
      } finally {
        lock.writeLock().unlock();
      }
    }

    void remove(String key) {
      lock.writeLock().lock();
      try {
        Integer slot = slotOf.remove(key);
        if (slot == null) {
          return;
        }
        int last = count - 1;
        if (slot != last) { // the last vector moves into the hole
          System.arraycopy(vectors, last * dim, vectors, slot * dim, dim);
          keys[slot] = keys[last];
          slotOf.put(keys[slot], slot);
        }
        keys[last] = null;
        count--;
      } finally {
        lock.writeLock().unlock();
      }
    }

    Match nearest(float[] q) {
      lock.readLock().lock();
      try {
        int best = -1;
        float bestSim = Float.NEGATIVE_INFINITY;
        float[] v = vectors;
        for (int i = 0, off = 0; i < count; i++, off += dim) {
          float s = dot(q, v, off, dim);
          if (s > bestSim) {
            bestSim = s;
            best = i;
          }
        }
        return best < 0 ? null : new Match(keys[best], bestSim);
      } finally {
        lock.readLock().unlock();
      }
    }

    /** Four independent sums: the CPU overlaps them (a single running sum is one long dependency chain). */
    private static float dot(float[] q, float[] v, int off, int dim) {
      float s0 = 0;
      float s1 = 0;
      float s2 = 0;
      float s3 = 0;
      int i = 0;
      for (; i + 3 < dim; i += 4) {
        s0 += q[i] * v[off + i];
        s1 += q[i + 1] * v[off + i + 1];
        s2 += q[i + 2] * v[off + i + 2];
        s3 += q[i + 3] * v[off + i + 3];
      }
      for (; i < dim; i++) {
        s0 += q[i] * v[off + i];
      }
      return (s0 + s1) + (s2 + s3);
    }
  }
}
