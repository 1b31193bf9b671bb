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
 * answered under identical conditions. At {@code maxEntries} the oldest vector is evicted (insertion order).
 *
 * <p>Search: every vector also has a 256-bit SimHash (the signs of its projections on fixed random
 * hyperplanes; two vectors at angle θ differ in a fraction θ/π of the bits). A lookup scans a partition's
 * SimHashes (XOR + popcount, about 1 ms for 100k) for the {@link #CANDIDATES} nearest and reranks those by
 * exact cosine similarity. Cosine 0.9 means about 14 % of the bits differ, unrelated questions 30–50 %:
 * a vector above a useful threshold is missed only when {@value #CANDIDATES} others are closer still, i.e.
 * when close matches abound anyway. A plain exhaustive cosine scan of 100k × 384 floats took 8–40 ms.
 *
 * <p>Thread-safe: a read-write lock per partition, one lock for the eviction order. Lookups should run
 * off the IO threads (the cache stage runs them on its embedding executor).
 */
public final class SemanticIndex {
  /** The best match of a lookup. */
  public record Match(String key, double similarity) {}

  static final int CANDIDATES = 32;
  private static final int HASH_WORDS = 4; // 256 bits

  private volatile int dimensions; // 0 until the first vector when the embedder does not say
  private volatile float[][] planes;
  private final int maxEntries;
  private final Map<String, Partition> partitions = new ConcurrentHashMap<>();
  private final ArrayDeque<Object[]> order = new ArrayDeque<>(); // {partition id, key}, oldest first

  /** @param dimensions the vectors' length, or 0 to take it from the first vector */
  public SemanticIndex(int dimensions, int maxEntries) {
    this.maxEntries = maxEntries;
    if (dimensions > 0) {
      fix(dimensions);
    }
  }

  private synchronized void fix(int dimensions) {
    if (this.dimensions != 0) {
      return;
    }
    java.util.Random random = new java.util.Random(0x6a7e4005eL); // fixed: hashes never need to be comparable across runs
    float[][] planes = new float[HASH_WORDS * 64][dimensions];
    for (float[] plane : planes) {
      for (int i = 0; i < dimensions; i++) {
        plane[i] = (float) random.nextGaussian();
      }
    }
    this.planes = planes;
    this.dimensions = dimensions;
  }

  private long[] simHash(float[] unit) {
    long[] bits = new long[HASH_WORDS];
    for (int b = 0; b < planes.length; b++) {
      float[] plane = planes[b];
      float dot = 0;
      for (int i = 0; i < unit.length; i++) {
        dot += plane[i] * unit[i];
      }
      if (dot >= 0) {
        bits[b >>> 6] |= 1L << (b & 63);
      }
    }
    return bits;
  }

  /** Adds {@code vector} (any length; it is normalised) for {@code key} unless the key is already there. */
  public void add(String partition, String key, float[] vector) {
    float[] unit = unit(vector);
    Partition p = partitions.computeIfAbsent(partition, id -> new Partition(unit.length));
    if (!p.add(key, unit, simHash(unit))) {
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
    float[] unit = unit(vector);
    return p == null ? null : p.nearest(unit, simHash(unit));
  }

  public int size() {
    synchronized (order) {
      return order.size();
    }
  }

  private float[] unit(float[] v) {
    if (dimensions == 0 && v.length > 0) {
      fix(v.length);
    }
    if (v.length != dimensions) {
      throw new IllegalArgumentException("expected " + dimensions + " dimensions, got " + v.length);
    }
    return normalized(v);
  }

  /** {@code v} scaled to length 1 (a zero vector stays zero), so a dot product is the cosine. */
  static float[] normalized(float[] v) {
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
    private long[] hashes;
    private String[] keys;
    private int count;

    Partition(int dim) {
      this.dim = dim;
      this.vectors = new float[dim * 16];
      this.hashes = new long[HASH_WORDS * 16];
      this.keys = new String[16];
    }

    boolean add(String key, float[] unit, long[] hash) {
      lock.writeLock().lock();
      try {
        if (slotOf.containsKey(key)) {
          return false;
        }
        if (count == keys.length) {
          keys = Arrays.copyOf(keys, count * 2);
          vectors = Arrays.copyOf(vectors, count * 2 * dim);
          hashes = Arrays.copyOf(hashes, count * 2 * HASH_WORDS);
        }
        System.arraycopy(unit, 0, vectors, count * dim, dim);
        System.arraycopy(hash, 0, hashes, count * HASH_WORDS, HASH_WORDS);
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
          System.arraycopy(hashes, last * HASH_WORDS, hashes, slot * HASH_WORDS, HASH_WORDS);
          keys[slot] = keys[last];
          slotOf.put(keys[slot], slot);
        }
        keys[last] = null;
        count--;
      } finally {
        lock.writeLock().unlock();
      }
    }

    Match nearest(float[] q, long[] qHash) {
      lock.readLock().lock();
      try {
        // the CANDIDATES smallest Hamming distances (unordered), then exact cosine on those
        int k = Math.min(CANDIDATES, count);
        int[] candidate = new int[k];
        int[] distance = new int[k];
        int filled = 0;
        int worst = 0; // index in candidate[] of the largest distance once full
        long[] h = hashes;
        long q0 = qHash[0];
        long q1 = qHash[1];
        long q2 = qHash[2];
        long q3 = qHash[3];
        for (int i = 0, off = 0; i < count; i++, off += HASH_WORDS) {
          int d = Long.bitCount(h[off] ^ q0) + Long.bitCount(h[off + 1] ^ q1) + Long.bitCount(h[off + 2] ^ q2)
              + Long.bitCount(h[off + 3] ^ q3);
          if (filled < k) {
            candidate[filled] = i;
            distance[filled] = d;
            if (d > distance[worst]) {
              worst = filled;
            }
            filled++;
          } else if (d < distance[worst]) {
            candidate[worst] = i;
            distance[worst] = d;
            for (int j = 0; j < k; j++) {
              if (distance[j] > distance[worst]) {
                worst = j;
              }
            }
          }
        }
        int best = -1;
        float bestSim = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < filled; j++) {
          float s = dot(q, vectors, candidate[j] * dim, dim);
          if (s > bestSim) {
            bestSim = s;
            best = candidate[j];
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
