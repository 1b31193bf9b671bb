package io.gatehouse.proxy.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class SemanticIndexTest {
  @Test
  void theNearestVectorOfThePartitionWinsByCosine() {
    SemanticIndex index = new SemanticIndex(3, 10);
    index.add("p", "a", new float[] {1, 0, 0});
    index.add("p", "b", new float[] {0, 2, 0});
    index.add("q", "c", new float[] {0, 0, 1});
    SemanticIndex.Match m = index.nearest("p", new float[] {0.1f, 5, 0});
    assertThat(m.key()).isEqualTo("b");
    assertThat(m.similarity()).isCloseTo(5 / Math.sqrt(25.01), within(1e-5));
    assertThat(index.nearest("p", new float[] {0, 0, 1}).similarity()).isCloseTo(0, within(1e-6));
    assertThat(index.nearest("none", new float[] {1, 0, 0})).isNull();
  }

  @Test
  void theOldestEntriesAreEvictedAtTheBound() {
    SemanticIndex index = new SemanticIndex(2, 3);
    index.add("p", "a", new float[] {1, 0});
    index.add("p", "b", new float[] {0, 1});
    index.add("q", "c", new float[] {1, 1});
    index.add("p", "d", new float[] {1, 0.1f});
    assertThat(index.size()).isEqualTo(3);
    assertThat(index.nearest("p", new float[] {1, 0}).key()).isEqualTo("d"); // "a" is gone
    index.add("p", "d", new float[] {1, 0}); // a key already there is not added twice
    assertThat(index.size()).isEqualTo(3);
  }

  /** The SimHash prefilter must not lose a close match among many unrelated vectors. */
  @Test
  void aCloseMatchIsFoundAmongTenThousandOthers() {
    int dim = 384;
    java.util.Random random = new java.util.Random(7);
    SemanticIndex index = new SemanticIndex(dim, 20_000);
    float[][] stored = new float[10_000][];
    for (int i = 0; i < stored.length; i++) {
      stored[i] = gaussian(random, dim, 1);
      index.add("p", "k" + i, stored[i]);
    }
    int found = 0;
    for (int q = 0; q < 300; q++) {
      int target = random.nextInt(stored.length);
      float[] noise = gaussian(random, dim, 0.45f); // cosine about 0.91 with the stored vector
      float[] query = new float[dim];
      for (int i = 0; i < dim; i++) {
        query[i] = stored[target][i] + noise[i];
      }
      SemanticIndex.Match m = index.nearest("p", query);
      assertThat(m.similarity()).isGreaterThan(0.85);
      found += m.key().equals("k" + target) ? 1 : 0;
    }
    assertThat(found).isEqualTo(300);
  }

  private static float[] gaussian(java.util.Random random, int dim, float scale) {
    float[] v = new float[dim];
    for (int i = 0; i < dim; i++) {
      v[i] = (float) random.nextGaussian() * scale;
    }
    return v;
  }
}
