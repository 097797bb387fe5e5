package io.csbs.catalog;

import java.util.Arrays;

/**
 * The row positions that carry one indexed value (a tag, a server, a zone, ...), adaptive like a
 * Roaring container: a sorted {@code int[]} while the value is rare, a dense bitmap once it covers
 * more than one row in {@value #DENSE_RATIO}, where the bitmap becomes the smaller of the two. Rows
 * are appended in position order, so adding is an append; removal is rare (a backup removed or
 * re-tagged) and may shift.
 *
 * <p>A bitmap starts at the word of its first position ({@link #denseBase()}) and lets go of its
 * leading words once they are all zero and an eighth of it: a retention job that removes the oldest
 * backups clears the bitmaps from the front, and a value whose first backup came late needs no
 * words for the rows before it.
 */
final class Postings {
  /** A value on more than 1/32 of the rows is kept as a bitmap: 1 bit a row beats 32 bits a match. */
  static final int DENSE_RATIO = 32;
  /** Leading zero words a bitmap keeps rather than copy itself to drop them (and at most an eighth of it). */
  private static final int KEPT_ZERO_WORDS = 64;
  private static final int[] NO_INTS = new int[0];

  private int[] sparse = NO_INTS;
  /** The bitmap once dense: in an object of its own, so that the many sparse lists carry no field of it. */
  private Bitmap dense;
  private int count;

  /** A dense list's words. */
  private static final class Bitmap {
    long[] words;
    /** The word of row positions {@code words[0]} holds. */
    int base;
    /** How many of the first words are zero (none while it starts at its first position's word). */
    int zeroWords;

    Bitmap(long[] words, int base) {
      this.words = words;
      this.base = base;
    }
  }

  int count() {
    return count;
  }

  boolean isDense() {
    return dense != null;
  }

  /** The sorted positions; valid in {@code [0, count())} while {@link #isDense()} is false. */
  int[] sparse() {
    return sparse;
  }

  /** Sets the bits of these rows in {@code words}, which covers every row (a dense tail past it is left out). */
  void orInto(long[] words) {
    if (isDense()) {
      long[] own = dense.words;
      int base = dense.base;
      for (int i = 0; i < Math.min(own.length, words.length - base); i++) {
        words[base + i] |= own[i];
      }
    } else {
      for (int i = 0; i < count; i++) {
        Bits.set(words, sparse[i]);
      }
    }
  }

  /** Writes the positions in ascending order into {@code target} from index {@code at}; returns how many. */
  int copyTo(int[] target, int at) {
    if (!isDense()) {
      System.arraycopy(sparse, 0, target, at, count);
      return count;
    }
    long[] words = dense.words;
    int n = at;
    for (int i = 0; i < words.length; i++) {
      long bits = words[i];
      while (bits != 0) {
        target[n++] = ((dense.base + i) << 6) + Long.numberOfTrailingZeros(bits);
        bits &= bits - 1;
      }
    }
    return n - at;
  }

  /** The bitmap while {@link #isDense()}, whose index 0 is word {@link #denseBase()}; may be longer than the rows. */
  long[] dense() {
    return dense.words;
  }

  /** The word of row positions that {@link #dense()}{@code [0]} holds. */
  int denseBase() {
    return dense.base;
  }

  /** About the bytes this list takes on the heap: its array and its object(s). */
  long estimatedBytes() {
    return 32 + (dense != null ? 24 + 16 + 8L * dense.words.length : 16 + 4L * sparse.length);
  }

  boolean contains(int position) {
    if (dense != null) {
      int word = (position >>> 6) - dense.base;
      return word >= 0 && word < dense.words.length && (dense.words[word] & (1L << position)) != 0;
    }
    return Arrays.binarySearch(sparse, 0, count, position) >= 0;
  }

  /** Adds {@code position}; {@code rows} is the number of positions in use, for the dense threshold. */
  void add(int position, int rows) {
    if (dense != null) {
      int word = wordFor(position);
      long[] words = dense.words;
      if ((words[word] & (1L << position)) == 0) {
        words[word] |= 1L << position;
        dense.zeroWords = Math.min(dense.zeroWords, word);
        count++;
      }
      return;
    }
    int at = count == 0 || sparse[count - 1] < position ? count : Arrays.binarySearch(sparse, 0, count, position);
    if (at >= 0 && at < count) {
      return; // present already
    }
    int insertAt = at >= 0 ? at : -at - 1;
    if ((count + 1) * (long) DENSE_RATIO > rows && count + 1 >= 64) {
      toDense(rows);
      add(position, rows);
      return;
    }
    if (count == sparse.length) {
      // by a quarter: half the unused room of growing by half, for two copies more a position
      sparse = Arrays.copyOf(sparse, Math.max(4, count + (count >>> 2) + 1));
    }
    System.arraycopy(sparse, insertAt, sparse, insertAt + 1, count - insertAt);
    sparse[insertAt] = position;
    count++;
  }

  /**
   * Removes {@code position}. A list left empty lets go of its array: the values of backups a
   * retention job removed (a server, a tag, a policy that no live backup has any more) would
   * otherwise keep a bitmap over every position, or their longest list, until a reorganisation.
   */
  void remove(int position) {
    if (dense != null) {
      long[] words = dense.words;
      int word = (position >>> 6) - dense.base;
      if (word >= 0 && word < words.length && (words[word] & (1L << position)) != 0) {
        words[word] &= ~(1L << position);
        count--;
        if (word == dense.zeroWords && words[word] == 0 && count > 0) {
          dropLeadingZeroWords();
        }
      }
    } else {
      int at = Arrays.binarySearch(sparse, 0, count, position);
      if (at >= 0) {
        System.arraycopy(sparse, at + 1, sparse, at, count - at - 1);
        count--;
      }
    }
    if (count == 0) {
      dense = null;
      sparse = NO_INTS;
    }
  }

  /**
   * Lets go of the room a sparse list keeps to grow: called once a batch has built a whole shard,
   * whose lists then hold about an eighth more than their positions (a growth by a quarter).
   */
  void trim() {
    if (dense == null && sparse.length > count) {
      sparse = count == 0 ? NO_INTS : Arrays.copyOf(sparse, count);
    }
  }

  /**
   * The index in the bitmap of {@code position}'s word, grown to hold it: by half again at the end
   * (rows are appended), or to exactly the word at the front (a late row below the first word).
   */
  private int wordFor(int position) {
    long[] words = dense.words;
    int word = (position >>> 6) - dense.base;
    if (word < 0) {
      long[] grown = new long[words.length - word];
      System.arraycopy(words, 0, grown, -word, words.length);
      dense.words = grown;
      dense.base += word;
      dense.zeroWords -= word;
      return 0;
    }
    if (word >= words.length) {
      dense.words = Arrays.copyOf(words, Math.max(word + 1, words.length + (words.length >>> 1) + 16));
    }
    return word;
  }

  /** Counts the zero words the front of the bitmap grew by; lets go of them past an eighth of it. */
  private void dropLeadingZeroWords() {
    long[] words = dense.words;
    int zeroWords = dense.zeroWords;
    while (words[zeroWords] == 0) {
      zeroWords++;  // the list is not empty: a word ahead is not zero
    }
    if (zeroWords >= KEPT_ZERO_WORDS && zeroWords * 8L >= words.length) {
      dense.words = Arrays.copyOfRange(words, zeroWords, words.length);
      dense.base += zeroWords;
      zeroWords = 0;
    }
    dense.zeroWords = zeroWords;
  }

  private void toDense(int rows) {
    int first = sparse[0] >>> 6;
    long[] words = new long[Math.max(Bits.wordsFor(Math.max(rows, 64)) + 1 - first, (sparse[count - 1] >>> 6) + 1 - first)];
    for (int i = 0; i < count; i++) {
      words[(sparse[i] >>> 6) - first] |= 1L << sparse[i];
    }
    dense = new Bitmap(words, first);
    sparse = NO_INTS;
  }
}
