package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.csbs.testing.Seeds;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;

/**
 * {@link Positions#disjointUnion} answers like the sorted set of all its sets' positions: walks
 * down and up (as pages newest and oldest first read), jumps either way, skips, counts and lookups
 * in any order, each position from a point on (a set alone in ascending order), over a few sets
 * (states) or hundreds (tag sets), sparse or dense. Replay with
 * {@code -Dcsbs.seed=N}.
 */
class DisjointUnionTest {

  @RepeatedTest(40)
  void answersLikeTheSortedUnion() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      int bound = 1 + random.nextInt(random.nextBoolean() ? 200 : 20_000);
      int setCount = random.nextInt(4) == 0 ? 1 + random.nextInt(5) : 1 + random.nextInt(600);
      Postings[] postings = new Postings[setCount];
      for (int i = 0; i < setCount; i++) {
        postings[i] = new Postings();
      }
      // each position joins at most one set (the sets are disjoint); some sets stay empty
      int[] all = new int[bound];
      int count = 0;
      int share = 1 + random.nextInt(4);
      for (int position = 0; position < bound; position++) {
        if (random.nextInt(share) == 0) {
          // a skewed choice of set, so that a few are dense and most sparse
          int set = random.nextBoolean() ? random.nextInt(Math.min(setCount, 3)) : random.nextInt(setCount);
          postings[set].add(position, bound);
          all[count++] = position;
        }
      }
      MatchSet[] sets = new MatchSet[setCount];
      for (int i = 0; i < setCount; i++) {
        sets[i] = MatchSet.of(postings[i]);
      }
      MatchSet expected = MatchSet.sparse(Arrays.copyOf(all, count), count);
      // a membership test given beside the sets (the tag sets' test of a row's tags) answers as they
      // do, and decides when cheaper; here the sorted union's own, at a random cost
      Positions union = random.nextBoolean() ? Positions.disjointUnion(sets, count)
          : Positions.disjointUnion(sets, count, expected::contains, random.nextInt(3) == 0 ? 1e9 : random.nextInt(4));
      assertEquals(count, union.cardinality());
      int at = random.nextBoolean() ? Integer.MAX_VALUE - 1 : random.nextInt(bound + 2) - 1;
      boolean down = random.nextBoolean();
      for (int step = 0; step < 400; step++) {
        String where = "seed " + seed + " step " + step + " at " + at;
        int choice = random.nextInt(21);
        if (choice == 0) {
          at = random.nextInt(bound + 2) - 1;  // a jump either way
        } else if (choice == 1) {
          down = !down;
        } else if (choice == 2) {
          int a = random.nextInt(bound + 1);
          int b = random.nextInt(bound + 1);
          assertEquals(expected.countIn(Math.min(a, b), Math.max(a, b)), union.countIn(Math.min(a, b), Math.max(a, b)), where);
        } else if (choice == 3) {
          int probe = random.nextInt(bound + 1);
          assertEquals(expected.contains(probe), union.contains(probe), where);
        } else if (choice == 4) {
          int from = random.nextInt(bound + 3) - 1;
          java.util.List<Integer> got = new java.util.ArrayList<>();
          union.forEachFrom(from, got::add);
          got.sort(null);
          assertEquals(walkUp(expected, from), got, where + " forEachFrom " + from);
          // one set on its own, in a window that may leave out its first words: ascending, as next gives them
          int i = random.nextInt(setCount);
          MatchSet window = MatchSet.of(postings[i], random.nextInt(Math.max(1, bound >>> 6) + 1));
          java.util.List<Integer> ofOne = new java.util.ArrayList<>();
          window.forEachFrom(from, ofOne::add);
          assertEquals(walkUp(window, from), ofOne, where + " set " + i + " forEachFrom " + from);
        } else if (choice == 5) {
          long skip = random.nextInt(10);
          int got = down ? union.previousSkipping(at, skip) : union.nextSkipping(at, skip);
          int want = down ? expected.previousSkipping(at, skip) : expected.nextSkipping(at, skip);
          assertEquals(want, got, where + " skip " + skip + (down ? " down" : " up"));
          at = got < 0 ? random.nextInt(bound + 1) : got;
        } else {
          int got = down ? union.previous(at) : union.next(at);
          int want = down ? expected.previous(at) : expected.next(at);
          assertEquals(want, got, where + (down ? " down" : " up"));
          // the next step from one past it, as a page walks, or from it again
          at = got < 0 ? random.nextInt(bound + 1) : random.nextInt(4) == 0 ? got : down ? got - 1 : got + 1;
        }
      }
    });
  }

  /** The positions of {@code set} at or above {@code from}, by {@link MatchSet#next}. */
  private static java.util.List<Integer> walkUp(MatchSet set, int from) {
    java.util.List<Integer> positions = new java.util.ArrayList<>();
    for (int position = set.next(from); position >= 0; position = set.next(position + 1)) {
      positions.add(position);
    }
    return positions;
  }
}
