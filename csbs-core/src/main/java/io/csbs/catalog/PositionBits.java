package io.csbs.catalog;

import java.util.Arrays;

/**
 * A bitmap of row positions that keeps words from a base on: index {@code i} of its array holds word
 * {@code base + i}, and the words below the base read as zero. A shard's live and status bitmaps
 * are these: a retention job removes the oldest backups, whose positions form a dead prefix that
 * stays dead until a reorganisation, and each time the array grows (rows are appended, so it grows
 * at the end) it starts again at the first word a live row may be in, so that the dead prefix costs
 * no words however long it grows. The growth copies the array anyway: dropping the prefix then is
 * free.
 *
 * <pre>{@code
 * PositionBits live = new PositionBits();
 * live.set(70_000, 0);               // grows to hold word 1093
 * live.set(140_000, 70_000 >>> 6);   // grows again, from word 1093: words 0 to 1092 let go of
 * live.get(12);                      // false: below the base, nothing
 * }</pre>
 */
final class PositionBits {
  private long[] words = new long[1];
  private int base;

  /** The word index 0 of {@link #words()} holds. */
  int base() {
    return base;
  }

  /** The words, index {@code i} holding word {@link #base()}{@code + i}; shared, not to be written. */
  long[] words() {
    return words;
  }

  boolean get(int position) {
    return Bits.get(words, position - (base << 6));  // below the base: a negative bit, past every word
  }

  /**
   * Sets {@code position}. If the array must grow to hold it, the copy starts at word {@code
   * keepFromWord} (no set bit may lie below it) when that is past the base: the words below are
   * let go of.
   */
  void set(int position, int keepFromWord) {
    int index = (position >>> 6) - base;
    if (index < 0 || index >= words.length) {
      grow(position >>> 6, keepFromWord);
    }
    Bits.set(words, position - (base << 6));
  }

  void clear(int position) {
    Bits.clear(words, position - (base << 6));
  }

  /** The lowest set position at or above {@code position} in words below {@code toWord}, or -1. */
  int nextSetBit(int position, int toWord) {
    int first = base << 6;
    int found = Bits.nextSetBit(words, Math.max(position, first) - first, Math.min(toWord - base, words.length));
    return found < 0 ? -1 : found + first;
  }

  /** These positions in words {@code [fromWord, toWord)}, which number {@code cardinality}, as a shared set. */
  MatchSet window(int fromWord, int toWord, int cardinality) {
    return MatchSet.sharedWindow(words, base, fromWord, toWord, cardinality);
  }

  /**
   * Lets go of the room kept to grow past the words of positions below {@code end} and, when {@code
   * keepFromWord} is past the base, of the words below it: after a batch that built a whole shard.
   */
  void trim(int end, int keepFromWord) {
    int from = Math.max(base, Math.min(keepFromWord, Bits.wordsFor(end)));
    int to = Math.max(from, Math.min(base + words.length, Bits.wordsFor(end)));
    if (from != base || to - from != words.length) {
      words = Arrays.copyOfRange(words, from - base, Math.max(to - base, from - base + 1));
      base = from;
    }
  }

  long estimatedBytes() {
    return 16 + 16 + 8L * words.length;
  }

  /**
   * Grows the array to hold {@code word}: at the end by half again (rows are appended), from {@code
   * keepFromWord} when that is past the base; or to exactly the word at the front (never for a
   * shard's rows, which are set at or above the first live row's word).
   */
  private void grow(int word, int keepFromWord) {
    int from = word < base ? word : Math.max(base, Math.min(keepFromWord, word));
    int oldEnd = base + words.length;
    int kept = Math.max(0, oldEnd - Math.max(from, base));
    int length = Math.max(word + 1, oldEnd) - from;
    if (word >= oldEnd) {
      length = Math.max(length, kept + (kept >>> 1) + 16);
    }
    long[] grown = new long[length];
    if (kept > 0) {
      int copyFrom = Math.max(from, base);
      System.arraycopy(words, copyFrom - base, grown, copyFrom - from, kept);
    }
    words = grown;
    base = from;
  }
}
