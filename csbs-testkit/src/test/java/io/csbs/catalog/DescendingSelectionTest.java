package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.csbs.testing.Seeds;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.RepeatedTest;

/**
 * {@link DescendingSelection} answers like the sorted set of its positions: walks down by {@code
 * previous} (one or several batches, then the sorted fallback), skips, and any other call in between.
 * Replay with {@code -Dcsbs.seed=N}.
 */
class DescendingSelectionTest {

  @RepeatedTest(30)
  void answersLikeTheSortedSet() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      int n = random.nextInt(4) == 0 ? random.nextInt(70) : random.nextInt(5000);
      int bound = Math.max(1, n * (1 + random.nextInt(20)));
      int[] values = IntStream.generate(() -> random.nextInt(bound)).distinct().limit(Math.min(n, bound)).toArray();
      int[] sortedValues = values.clone();
      Arrays.sort(sortedValues);
      MatchSet expected = MatchSet.sparse(sortedValues, sortedValues.length);
      DescendingSelection selection;
      if (random.nextBoolean()) {
        selection = DescendingSelection.of(values.clone());
      } else {
        // from a change order's blocks, in the order of random instants, told apart by a set
        TimeOrder order = new TimeOrder();
        for (int value : values) {
          order.insert(random.nextInt(100), random.nextInt(3), value, stored -> Integer.compare(stored, value));
        }
        java.util.Set<Integer> members = new java.util.HashSet<>();
        for (int value : values) {
          members.add(value);
        }
        selection = DescendingSelection.firstOf(order, values.length, members::contains);
      }
      assertEquals(sortedValues.length, selection.cardinality());
      if (random.nextBoolean()) {
        // the positions from a bound, in any order, as the pager's heap of late rows collects them:
        // before any sort (a pass over the blocks), bound at a value half the time
        assertFromBound(expected, selection, sortedValues, bound, random, seed);
      }
      if (random.nextBoolean() && sortedValues.length > 0) {
        // counts of a range by a pass, as a page beside late rows asks, bounds at values
        for (int i = 0; i < 2; i++) {
          int a = sortedValues[random.nextInt(sortedValues.length)];
          int b = sortedValues[random.nextInt(sortedValues.length)];
          assertEquals(expected.countIn(Math.min(a, b), Math.max(a, b)), selection.countIn(Math.min(a, b), Math.max(a, b)));
        }
      }
      // a walk down, as a page newest first reads: from above every value, or from inside
      int at = random.nextBoolean() ? Integer.MAX_VALUE - 1 : random.nextInt(bound + 1);
      int steps = random.nextInt(4) == 0 ? 1000 : random.nextInt(200);
      for (int step = 0; step < steps && at >= 0; step++) {
        String where = "seed " + seed + " step " + step + " at " + at;
        int got;
        int want;
        if (random.nextInt(5) == 0) {
          long skip = random.nextInt(10);
          got = selection.previousSkipping(at, skip);
          want = expected.previousSkipping(at, skip);
        } else {
          got = selection.previous(at);
          want = expected.previous(at);
        }
        assertEquals(want, got, where);
        at = got - 1 - (random.nextInt(3) == 0 ? random.nextInt(50) : 0);
      }
      // then anything
      for (int step = 0; step < 50; step++) {
        // counts and tests first answer without sorting, then from the sorted array
        int position = random.nextInt(bound + 2) - 1;
        switch (random.nextInt(5)) {
          case 4 -> assertFromBound(expected, selection, sortedValues, bound, random, seed);
          case 0 -> assertEquals(expected.previous(position), selection.previous(position));
          case 1 -> assertEquals(expected.next(Math.max(0, position)), selection.next(Math.max(0, position)));
          case 2 -> assertEquals(expected.contains(Math.max(0, position)), selection.contains(Math.max(0, position)));
          default -> {
            int from = Math.max(0, position);
            // bounds at a value half the time: an off-by-one at either end shows
            int to = sortedValues.length > 0 && random.nextBoolean()
                ? sortedValues[random.nextInt(sortedValues.length)] : from + random.nextInt(bound + 1);
            from = sortedValues.length > 0 && random.nextBoolean()
                ? Math.min(to, sortedValues[random.nextInt(sortedValues.length)]) : from;
            assertEquals(expected.countIn(from, to), selection.countIn(from, to));
          }
        }
      }
    });
  }

  private static void assertFromBound(MatchSet expected, DescendingSelection selection, int[] sortedValues, int bound,
      SplittableRandom random, long seed) {
    int from = sortedValues.length > 0 && random.nextBoolean()
        ? sortedValues[random.nextInt(sortedValues.length)] : random.nextInt(bound + 1);
    java.util.List<Integer> want = new java.util.ArrayList<>();
    expected.forEachFrom(from, want::add);
    java.util.List<Integer> got = new java.util.ArrayList<>();
    selection.forEachFrom(from, got::add);
    got.sort(null);
    assertEquals(want, got, "seed " + seed + " from " + from);
  }
}
