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
}
