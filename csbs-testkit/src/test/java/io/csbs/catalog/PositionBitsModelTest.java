package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.testing.Seeds;
import java.util.BitSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * {@link PositionBits} against a {@link BitSet}, the way a shard uses it: positions set at or above
 * the first live word, which only moves up (the bits below it cleared first: the dead prefix), and
 * set mostly near the end (appended rows), sometimes anywhere above the first live word (late rows
 * in the tail). Every get, next set bit, window and trim answers as the model does, and a growth
 * lets go of the words below the first live word. Replay with {@code -Dcsbs.seed=N}.
 */
class PositionBitsModelTest {

  @RepeatedTest(30)
  void answersLikeABitSetWhileItsPrefixDies() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      PositionBits bits = new PositionBits();
      BitSet model = new BitSet();
      int keepFromWord = 0;
      int end = 0;  // positions in use: [keepFromWord * 64, end)
      for (int step = 0; step < 4000; step++) {
        String at = "step " + step + ", keeping from word " + keepFromWord + ", end " + end;
        int op = random.nextInt(100);
        if (op < 45) {
          int position = random.nextInt(4) == 0 && end > keepFromWord << 6
              ? (keepFromWord << 6) + random.nextInt(end - (keepFromWord << 6))
              : end + random.nextInt(200);
          end = Math.max(end, position + 1);
          int lengthBefore = bits.words().length;
          int baseBefore = bits.base();
          bits.set(position, keepFromWord);
          model.set(position);
          if (bits.words().length != lengthBefore || bits.base() != baseBefore) {
            assertEquals(Math.max(baseBefore, keepFromWord), bits.base(), at + ": the base after a growth to " + position);
          }
        } else if (op < 65) {
          int position = random.nextInt(end + 100);
          bits.clear(position);
          model.clear(position);
        } else if (op < 72) {
          // the oldest rows die: their bits are cleared, then the first live word moves past them
          int newKeep = Math.min(end >>> 6, keepFromWord + random.nextInt(40));
          model.clear(0, newKeep << 6);
          for (int position = keepFromWord << 6; position < newKeep << 6; position++) {
            bits.clear(position);
          }
          keepFromWord = newKeep;
        } else if (op < 74) {
          bits.trim(end, keepFromWord);
          assertTrue(bits.base() <= keepFromWord, at + ": trimmed past the first live word");
          assertTrue(bits.base() + bits.words().length <= Math.max(Bits.wordsFor(end), bits.base() + 1), at + ": trimmed length");
        } else if (op < 90) {
          int position = random.nextInt(end + 100);
          assertEquals(model.get(position), bits.get(position), at + ": get " + position);
        } else if (op < 95) {
          int from = random.nextInt(end + 100);
          int toWord = random.nextInt(Bits.wordsFor(end) + 3);
          int expected = model.nextSetBit(from);
          if (expected >= toWord << 6) {
            expected = -1;
          }
          assertEquals(expected, bits.nextSetBit(from, toWord), at + ": next set bit from " + from + " below word " + toWord);
        } else {
          int fromWord = keepFromWord + random.nextInt(Math.max(1, Bits.wordsFor(end) - keepFromWord + 1));
          int toWord = fromWord + random.nextInt(Bits.wordsFor(end) - fromWord + 3);
          BitSet expected = model.get(fromWord << 6, toWord << 6);
          MatchSet set = bits.window(fromWord, toWord, expected.cardinality());
          BitSet actual = new BitSet();
          for (int position = set.next(0); position >= 0; position = set.next(position + 1)) {
            actual.set(position - (fromWord << 6));
          }
          assertEquals(expected, actual, at + ": window [" + fromWord + ", " + toWord + ")");
        }
        assertTrue(model.nextSetBit(0) < 0 || model.nextSetBit(0) >>> 6 >= bits.base(), at + ": a set bit below the base " + bits.base());
      }
    });
  }

  /** Grown at the end, the array starts at the first live word: a dead prefix of any length costs no words. */
  @Test
  void aLongDeadPrefixCostsNoWords() {
    PositionBits bits = new PositionBits();
    int live = 10_000;
    for (int position = 0; position < 100 * live; position++) {
      int firstLive = Math.max(0, position - live);
      bits.clear(firstLive - 1);
      bits.set(position, firstLive >>> 6);
    }
    assertTrue(bits.words().length <= 2 * Bits.wordsFor(live) + 32, "words: " + bits.words().length);
    assertEquals(99 * live - 1, bits.nextSetBit(0, Integer.MAX_VALUE));
  }
}
