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
 * words for the rows before it. The bitmap's first long is a header that holds where it starts and
 * how many of its first words are zero, so that neither takes a field of the (mostly sparse) lists
 * nor an object of its own: the header shares the array's first cache line with its length, which
 * every access reads for the bounds check anyway.
 */
final class Postings {
  /** A value on more than 1/32 of the rows is kept as a bitmap: 1 bit a row beats 32 bits a match. */
  static final int DENSE_RATIO = 32;
  /** Leading zero words a bitmap keeps rather than copy itself to drop them (and at most an eighth of it). */
  private static final int KEPT_ZERO_WORDS = 64;
  private static final int[] NO_INTS = new int[0];

  private int[] sparse = NO_INTS;
  /**
   * Once dense: {@code dense[0]} is the header, the word of row positions {@code dense[1]} holds
   * ({@link #base}) in its high half and how many of the words from {@code dense[1]} on are zero in
   * its low half ({@link #zeroWords}; none while it starts at its first position's word); the words
   * follow.
   */
  private long[] dense;
  private int count;

  private static int base(long[] dense) {
    return (int) (dense[0] >>> 32);
  }

  private static int zeroWords(long[] dense) {
    return (int) dense[0];
  }

  private static void setHeader(long[] dense, int base, int zeroWords) {
    dense[0] = (long) base << 32 | zeroWords;
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

  /**
   * Sets the bits of these rows in {@code words}, whose index {@code i} holds word {@code wordsBase +
   * i} and which covers every row from that word on (rows below it, a shard's dead prefix, hold none
   * of these; a dense tail past the end is left out).
   */
  void orInto(long[] words, int wordsBase) {
    if (isDense()) {
      int base = base(dense);
      // index i of dense holds word base - 1 + i, that is words[base - 1 + i - wordsBase]
      int from = Math.max(1, wordsBase - base + 1);
      int to = Math.min(dense.length, words.length + wordsBase - base + 1);
      for (int i = from; i < to; i++) {
        words[base - 1 + i - wordsBase] |= dense[i];
      }
    } else {
      int first = wordsBase << 6;
      for (int i = 0; i < count; i++) {
        if (sparse[i] >= first) {
          Bits.set(words, sparse[i] - first);
        }
      }
    }
  }

  /** Writes the positions in ascending order into {@code target} from index {@code at}; returns how many. */
  int copyTo(int[] target, int at) {
    if (!isDense()) {
      System.arraycopy(sparse, 0, target, at, count);
      return count;
    }
    int first = (base(dense) - 1) << 6;  // the position of bit 0 of dense[0]
    int n = at;
    for (int i = 1; i < dense.length; i++) {
      long bits = dense[i];
      while (bits != 0) {
        target[n++] = first + (i << 6) + Long.numberOfTrailingZeros(bits);
        bits &= bits - 1;
      }
    }
    return n - at;
  }

  /**
   * These positions as a set sharing this list's array (not to be changed), none of them below word
   * {@code fromWord} (a shard's dead prefix): a bitmap's words below it are left out of every scan.
   */
  MatchSet toSet(int fromWord) {
    if (count == 0) {
      return MatchSet.EMPTY;
    }
    if (dense == null) {
      return MatchSet.sparse(sparse, count);
    }
    // index i of the array holds word base - 1 + i: the window leaves out index 0, the header
    int base = base(dense);
    return MatchSet.sharedWindow(dense, base - 1, Math.max(fromWord, base), base - 1 + dense.length, count);
  }

  /**
   * The bitmap while {@link #isDense()}: index {@code i >= 1} holds word {@code denseBase() - 1 + i}
   * of row positions (index 0 is a header, not bits); may be longer than the rows.
   */
  long[] dense() {
    return dense;
  }

  /** The word of row positions that {@link #dense()}{@code [1]} holds. */
  int denseBase() {
    return base(dense);
  }

  /** About the bytes this list takes on the heap: its array and its object. */
  long estimatedBytes() {
    return 32 + (dense != null ? 16 + 8L * dense.length : 16 + 4L * sparse.length);
  }

  /** The index in {@link #dense} of {@code position}'s word: below 1 or past the end when outside it. */
  private int indexOf(int position) {
    return (position >>> 6) - base(dense) + 1;
  }

  boolean contains(int position) {
    if (dense != null) {
      int index = indexOf(position);
      return index >= 1 && index < dense.length && (dense[index] & (1L << position)) != 0;
    }
    return Arrays.binarySearch(sparse, 0, count, position) >= 0;
  }

  /**
   * Adds {@code position}; {@code rows} is the number of positions in use, for the dense threshold: a
   * shard's positions past its dead prefix, whose words no bitmap keeps.
   */
  void add(int position, int rows) {
    if (dense != null) {
      int index = indexFor(position);
      if ((dense[index] & (1L << position)) == 0) {
        dense[index] |= 1L << position;
        if (index - 1 < zeroWords(dense)) {
          setHeader(dense, base(dense), index - 1);
        }
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
   * Returns whether this removal left the list empty (its owner counts the keys without rows).
   */
  boolean remove(int position) {
    int before = count;
    if (dense != null) {
      int index = indexOf(position);
      if (index >= 1 && index < dense.length && (dense[index] & (1L << position)) != 0) {
        dense[index] &= ~(1L << position);
        count--;
        if (dense[index] == 0 && index - 1 == zeroWords(dense) && count > 0) {
          dropLeadingZeroWords();
        }
      }
    } else {
      // a retention job removes the oldest rows, the first of every list that holds them, and a row
      // removed soon after its add is the last: both without the search's cache misses
      int at = count == 0 ? -1 : sparse[0] == position ? 0 : sparse[count - 1] == position ? count - 1
          : Arrays.binarySearch(sparse, 0, count, position);
      if (at >= 0) {
        System.arraycopy(sparse, at + 1, sparse, at, count - at - 1);
        count--;
      }
    }
    if (count == 0) {
      dense = null;
      sparse = NO_INTS;
    }
    return before > 0 && count == 0;
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
  private int indexFor(int position) {
    int index = indexOf(position);
    if (index < 1) {
      int grow = 1 - index;
      long[] grown = new long[dense.length + grow];
      System.arraycopy(dense, 1, grown, 1 + grow, dense.length - 1);
      setHeader(grown, base(dense) - grow, zeroWords(dense) + grow);
      dense = grown;
      return 1;
    }
    if (index >= dense.length) {
      dense = Arrays.copyOf(dense, Math.max(index + 1, dense.length + (dense.length >>> 1) + 16));
    }
    return index;
  }

  /** Counts the zero words the front of the bitmap grew by; lets go of them past an eighth of it. */
  private void dropLeadingZeroWords() {
    int zeroWords = zeroWords(dense);
    while (dense[1 + zeroWords] == 0) {
      zeroWords++;  // the list is not empty: a word ahead is not zero
    }
    int base = base(dense);
    if (zeroWords >= KEPT_ZERO_WORDS && zeroWords * 8L >= dense.length) {
      dense = Arrays.copyOfRange(dense, zeroWords, dense.length);  // the header's slot, then the words kept
      base += zeroWords;
      zeroWords = 0;
    }
    setHeader(dense, base, zeroWords);
  }

  private void toDense(int rows) {
    int first = sparse[0] >>> 6;
    long[] words = new long[1 + Math.max(Bits.wordsFor(Math.max(rows, 64)) + 1 - first, (sparse[count - 1] >>> 6) + 1 - first)];
    for (int i = 0; i < count; i++) {
      words[1 + (sparse[i] >>> 6) - first] |= 1L << sparse[i];
    }
    setHeader(words, first, 0);
    dense = words;
    sparse = NO_INTS;
  }
}
