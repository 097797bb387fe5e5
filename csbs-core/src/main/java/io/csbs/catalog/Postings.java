package io.csbs.catalog;

import java.util.Arrays;

/**
 * The row positions that carry one indexed value (a tag, a server, a zone, ...), adaptive like a
 * Roaring container: a sorted {@code int[]} while the value is rare, a dense bitmap once it covers
 * more than one row in {@value #DENSE_RATIO}, where the bitmap becomes the smaller of the two. Rows
 * are appended in position order, so adding is an append; removal is rare (a backup removed or
 * re-tagged) and may shift.
 */
final class Postings {
  /** A value on more than 1/32 of the rows is kept as a bitmap: 1 bit a row beats 32 bits a match. */
  static final int DENSE_RATIO = 32;
  private static final int[] NO_INTS = new int[0];

  private int[] sparse = NO_INTS;
  private long[] dense;
  private int count;

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
      long[] dense = dense();
      for (int w = 0; w < Math.min(dense.length, words.length); w++) {
        words[w] |= dense[w];
      }
    } else {
      int[] sparse = sparse();
      for (int i = 0; i < count(); i++) {
        Bits.set(words, sparse[i]);
      }
    }
  }

  /** The bitmap while {@link #isDense()}; may be longer than the rows. */
  long[] dense() {
    return dense;
  }

  /** About the bytes this list takes on the heap: its array and its object. */
  long estimatedBytes() {
    return 32 + (dense != null ? 16 + 8L * dense.length : 16 + 4L * sparse.length);
  }

  boolean contains(int position) {
    if (dense != null) {
      return Bits.get(dense, position);
    }
    return Arrays.binarySearch(sparse, 0, count, position) >= 0;
  }

  /** Adds {@code position}; {@code rows} is the number of positions in use, for the dense threshold. */
  void add(int position, int rows) {
    if (dense != null) {
      dense = Bits.ensure(dense, position);
      if (!Bits.get(dense, position)) {
        Bits.set(dense, position);
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
      if (Bits.get(dense, position)) {
        Bits.clear(dense, position);
        count--;
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

  private void toDense(int rows) {
    long[] words = new long[Bits.wordsFor(Math.max(rows, 64)) + 1];
    for (int i = 0; i < count; i++) {
      Bits.set(words, sparse[i]);
    }
    dense = words;
    sparse = NO_INTS;
  }

}
