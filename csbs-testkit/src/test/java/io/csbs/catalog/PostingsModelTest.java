package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.testing.Seeds;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.RepeatedTest;

/**
 * {@link Postings} against a {@code TreeSet}: adds and removals at random positions, sparse and
 * dense, emptied and filled again (a value whose backups a retention job removed, then a new
 * backup with it). Every count, membership and set of positions is the model's, and an emptied list
 * holds no array. Replay with {@code -Dcsbs.seed=N}.
 */
class PostingsModelTest {

  @RepeatedTest(20)
  void postingsAnswerLikeASortedSetThroughEmptyingAndRefilling() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      Postings postings = new Postings();
      TreeSet<Integer> model = new TreeSet<>();
      int rows = 64 + random.nextInt(4096);
      for (int round = 0; round < 6; round++) {
        // fill: sparse while rare, dense once past a thirty-second of the rows
        int adds = random.nextInt(rows / 4 + 1);
        for (int i = 0; i < adds; i++) {
          int position = random.nextInt(rows);
          postings.add(position, rows);
          model.add(position);
        }
        check(postings, model, rows, "round " + round + " filled");
        // empty it, or most of it, in a random order, oldest first (a retention job) or newest first
        // (backups removed soon after their add): the first and the last skip the search
        boolean toEmpty = random.nextBoolean();
        Integer[] present = model.toArray(new Integer[0]);
        int order = random.nextInt(3);
        if (order == 1) {
          java.util.Collections.reverse(java.util.Arrays.asList(present));
        }
        for (int i = order == 2 ? present.length - 1 : 0; i > 0; i--) {
          int j = random.nextInt(i + 1);
          Integer swap = present[i];
          present[i] = present[j];
          present[j] = swap;
        }
        int removals = toEmpty ? present.length : random.nextInt(present.length + 1);
        for (int i = 0; i < removals; i++) {
          postings.remove(present[i]);
          model.remove(present[i]);
          postings.remove(present[i]);  // absent now: no change
        }
        check(postings, model, rows, "round " + round + " emptied " + toEmpty);
        if (model.isEmpty()) {
          assertFalse(postings.isDense(), "an empty list keeps a bitmap");
          assertEquals(0, postings.sparse().length, "an empty list keeps an array");
        }
      }
    });
  }

  /**
   * A bitmap cleared from the front (the oldest backups retired) lets go of its leading words, and
   * takes rows below its first word again (a late backup).
   */
  @RepeatedTest(5)
  void aBitmapClearedFromTheFrontShrinksAndGrowsBackAtTheFront() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      Postings postings = new Postings();
      TreeSet<Integer> model = new TreeSet<>();
      int rows = 50_000 + random.nextInt(100_000);
      for (int position = 0; position < rows; position++) {
        if (random.nextInt(4) == 0) {
          postings.add(position, position + 1);
          model.add(position);
        }
      }
      assertTrue(postings.isDense(), "a quarter of the rows is dense");
      long full = postings.estimatedBytes();
      int retired = rows * 3 / 4 + random.nextInt(rows / 8);
      while (!model.isEmpty() && model.first() < retired) {
        postings.remove(model.pollFirst());
      }
      check(postings, model, rows, "retired below " + retired);
      // it keeps fewer than 64 zero words at its front, or fewer than an eighth of its words
      int leadingZeroWords = (model.first() >>> 6) - postings.denseBase();
      assertTrue(leadingZeroWords < 64 || leadingZeroWords * 8L < postings.dense().length,
          leadingZeroWords + " zero words kept at the front of " + postings.dense().length);
      assertTrue(postings.estimatedBytes() < full,
          "bitmap of " + postings.estimatedBytes() + " bytes after retiring three quarters of " + full);
      for (int i = 0; i < 200; i++) {
        int late = random.nextInt(rows);
        postings.add(late, rows);
        model.add(late);
      }
      check(postings, model, rows, "late rows added");
    });
  }

  private static void check(Postings postings, TreeSet<Integer> model, int rows, String at) {
    assertEquals(model.size(), postings.count(), at + ": count");
    MatchSet set = MatchSet.of(postings);
    TreeSet<Integer> found = new TreeSet<>();
    for (int position = set.next(0); position >= 0; position = set.next(position + 1)) {
      found.add(position);
    }
    assertEquals(model, found, at + ": positions");
    for (int position = 0; position < rows; position++) {
      assertEquals(model.contains(position), postings.contains(position), at + ": contains " + position);
    }
    assertTrue(postings.estimatedBytes() > 0, at);
  }
}
