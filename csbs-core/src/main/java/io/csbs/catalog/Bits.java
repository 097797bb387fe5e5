package io.csbs.catalog;

import java.util.Arrays;

/** Helpers on dense bitmaps of row positions held in {@code long[]} words, bit {@code p} of word {@code p >>> 6}. */
final class Bits {
  private Bits() {}

  static int wordsFor(int bits) {
    return (bits + 63) >>> 6;
  }

  static long[] ensure(long[] words, int bit) {
    int needed = (bit >>> 6) + 1;
    if (needed <= words.length) {
      return words;
    }
    return Arrays.copyOf(words, Math.max(needed, words.length + (words.length >>> 1) + 16));
  }

  /**
   * {@code words}, or a copy of its first {@link #wordsFor}{@code (bits)} words when it is longer:
   * lets go of the room {@link #ensure} keeps to grow (up to half again).
   */
  static long[] trim(long[] words, int bits) {
    int needed = wordsFor(bits);
    return words.length > needed ? Arrays.copyOf(words, needed) : words;
  }

  static boolean get(long[] words, int bit) {
    int word = bit >>> 6;
    return word < words.length && (words[word] & (1L << bit)) != 0;
  }

  static void set(long[] words, int bit) {
    words[bit >>> 6] |= 1L << bit;
  }

  static void clear(long[] words, int bit) {
    int word = bit >>> 6;
    if (word < words.length) {
      words[word] &= ~(1L << bit);
    }
  }

  /** Sets bits {@code [from, to)}. */
  static void setRange(long[] words, int from, int to) {
    if (from >= to) {
      return;
    }
    int firstWord = from >>> 6;
    int lastWord = (to - 1) >>> 6;
    long firstMask = -1L << from;
    long lastMask = -1L >>> -to;
    if (firstWord == lastWord) {
      words[firstWord] |= firstMask & lastMask;
      return;
    }
    words[firstWord] |= firstMask;
    for (int w = firstWord + 1; w < lastWord; w++) {
      words[w] = -1L;
    }
    words[lastWord] |= lastMask;
  }

  /** The lowest set bit at or above {@code bit} within words {@code [..., toWord)}, or -1. */
  static int nextSetBit(long[] words, int bit, int toWord) {
    int word = bit >>> 6;
    if (word >= toWord) {
      return -1;
    }
    long bits = words[word] & (-1L << bit);
    while (true) {
      if (bits != 0) {
        return (word << 6) + Long.numberOfTrailingZeros(bits);
      }
      if (++word >= toWord) {
        return -1;
      }
      bits = words[word];
    }
  }
}
