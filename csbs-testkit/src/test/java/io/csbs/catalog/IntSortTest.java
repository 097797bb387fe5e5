package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.csbs.testing.Seeds;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** {@link IntSort} sorts like {@code Arrays.sort} at every size and range of values. Replay with {@code -Dcsbs.seed=N}. */
class IntSortTest {

  @RepeatedTest(20)
  void sortsLikeArraysSort() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      int n = random.nextInt(4) == 0 ? random.nextInt(300) : random.nextInt(100_000);
      int bound = switch (random.nextInt(4)) {
        case 0 -> 1 + random.nextInt(2048);            // one pass
        case 1 -> 1 + random.nextInt(1 << 22);         // two passes
        case 2 -> Integer.MAX_VALUE;                   // three passes, the top bits set
        default -> 1 + random.nextInt(10);             // many duplicates
      };
      int[] values = new int[n];
      for (int i = 0; i < n; i++) {
        values[i] = random.nextInt(bound);
      }
      if (n > 0 && random.nextBoolean()) {
        values[random.nextInt(n)] = Integer.MAX_VALUE;
      }
      int[] expected = values.clone();
      Arrays.sort(expected);
      IntSort.sort(values);
      assertArrayEquals(expected, values, n + " values below " + bound);
    });
  }

  @Test
  void refusesNegativeValues() {
    int[] values = new int[1000];
    values[500] = -1;
    assertThrows(IllegalArgumentException.class, () -> IntSort.sort(values));
  }
}
