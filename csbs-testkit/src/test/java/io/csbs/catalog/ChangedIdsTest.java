package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.testing.Seeds;
import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * The log of ids a reorganisation catches up ({@link ChangedIds}), against a set and a {@link
 * BitSet}: every id noted comes back once, whatever the repeats, past the chunks of its array; the
 * count is at least the distinct ids and skips only an id noted again right after itself; positions
 * are marked only in a log made for the copy. Replay with {@code -Dcsbs.seed=N}.
 */
class ChangedIdsTest {
  @RepeatedTest(10)
  void everyIdComesBackOnceAndEveryPlacedPositionIsMarked() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      ChangedIds log = ChangedIds.whileCopying();
      TreeSet<String> ids = new TreeSet<>();
      BitSet placed = new BitSet();
      String[] pool = new String[1 + random.nextInt(50_000)];
      for (int i = 0; i < pool.length; i++) {
        pool[i] = "b-" + i;
      }
      int changes = random.nextInt(3 * ChunkedArray.CHUNK);
      int expectedCount = 0;
      String last = null;
      for (int i = 0; i < changes; i++) {
        String id = random.nextInt(4) == 0 && last != null ? last : pool[random.nextInt(pool.length)];
        log.add(id);
        expectedCount += id == last ? 0 : 1;
        last = id;
        ids.add(id);
        if (random.nextBoolean()) {
          int position = random.nextInt(1 << 20);
          log.placedAt(position);
          placed.set(position);
        }
      }
      assertEquals(expectedCount, log.count(), "changes noted");
      assertTrue(log.count() >= ids.size());
      String[] distinct = log.distinct();
      Arrays.sort(distinct);
      assertArrayEquals(ids.toArray(new String[0]), distinct);
      for (int i = 0; i < 2000; i++) {
        int position = random.nextInt(1 << 20);
        assertEquals(placed.get(position), log.placed(position), "position " + position);
      }
      for (int position = placed.nextSetBit(0); position >= 0; position = placed.nextSetBit(position + 1)) {
        assertTrue(log.placed(position), "position " + position);
      }
    });
  }

  @Test
  void aRoundsLogMarksNoPosition() {
    ChangedIds log = ChangedIds.afterCopying();
    log.placedAt(7);
    log.add("b-1");
    assertFalse(log.placed(7));
    assertEquals(1, log.count());
    assertArrayEquals(new String[] {"b-1"}, log.distinct());
  }
}
