package io.csbs.catalog;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * A set of row positions computed for one query: either a dense bitmap over a window of words, or a
 * sorted array of positions. A dense set keeps only the words of its window: word {@code w} is
 * {@code words[w - base]}, and bits outside {@code [fromWord, toWord)} are zero by definition, so that
 * operations on a narrow window (a time segment) cost the window, not the catalog. Dense sets may
 * share the words of an index (never written then); operations return new sets.
 */
final class MatchSet {
  private static final int[] NO_INTS = new int[0];
  static final MatchSet EMPTY = sparse(NO_INTS, 0);

  /** Dense: the words of the window; null when sparse. */
  private final long[] words;
  private final int base;
  final int fromWord;
  final int toWord;
  /** Sparse: sorted positions in {@code [0, length)}. */
  private final int[] ints;
  private final int length;
  private int cardinality = -1;

  private MatchSet(long[] words, int base, int fromWord, int toWord, int[] ints, int length) {
    this.words = words;
    this.base = base;
    this.fromWord = fromWord;
    this.toWord = toWord;
    this.ints = ints;
    this.length = length;
  }

  /** A dense set over an index's bitmap (word 0 at index 0), limited to {@code [fromWord, toWord)}. */
  static MatchSet shared(long[] words, int fromWord, int toWord) {
    int to = Math.min(toWord, words.length);
    int from = Math.min(fromWord, to);
    return new MatchSet(words, 0, from, to, null, 0);
  }

  /** A dense set owning {@code words}, whose index 0 is word {@code fromWord}. */
  static MatchSet window(long[] words, int fromWord) {
    return new MatchSet(words, fromWord, fromWord, fromWord + words.length, null, 0);
  }

  static MatchSet sparse(int[] ints, int length) {
    MatchSet set = new MatchSet(null, 0, 0, 0, ints, length);
    set.cardinality = length;
    return set;
  }

  /** The positions of {@code postings}, shared. */
  static MatchSet of(Postings postings) {
    if (postings == null || postings.count() == 0) {
      return EMPTY;
    }
    if (postings.isDense()) {
      MatchSet set = shared(postings.dense(), 0, postings.dense().length);
      set.cardinality = postings.count();
      return set;
    }
    return sparse(postings.sparse(), postings.count());
  }

  boolean isDense() {
    return words != null;
  }

  int cardinality() {
    if (cardinality < 0) {
      int count = 0;
      for (int w = fromWord; w < toWord; w++) {
        count += Long.bitCount(words[w - base]);
      }
      cardinality = count;
    }
    return cardinality;
  }

  boolean isEmpty() {
    return isDense() ? cardinality() == 0 : length == 0;
  }

  private long word(int w) {
    return w >= fromWord && w < toWord ? words[w - base] : 0L;
  }

  boolean contains(int position) {
    if (isDense()) {
      return (word(position >>> 6) & (1L << position)) != 0;
    }
    return Arrays.binarySearch(ints, 0, length, position) >= 0;
  }

  /** The largest position at or below {@code position}, or -1. */
  int previous(int position) {
    if (position < 0) {
      return -1;
    }
    if (!isDense()) {
      int at = Arrays.binarySearch(ints, 0, length, position);
      int index = at >= 0 ? at : -at - 2;
      return index >= 0 ? ints[index] : -1;
    }
    int w = position >>> 6;
    long bits;
    if (w >= toWord) {
      w = toWord - 1;
      bits = word(w);
    } else {
      bits = word(w) & (-1L >>> (63 - (position & 63)));
    }
    while (w >= fromWord) {
      if (bits != 0) {
        return (w << 6) + 63 - Long.numberOfLeadingZeros(bits);
      }
      w--;
      bits = word(w);
    }
    return -1;
  }

  /** The smallest position at or above {@code position}, or -1. */
  int next(int position) {
    if (!isDense()) {
      int at = Arrays.binarySearch(ints, 0, length, Math.max(0, position));
      int index = at >= 0 ? at : -at - 1;
      return index < length ? ints[index] : -1;
    }
    int w = Math.max(0, position) >>> 6;
    long bits;
    if (w < fromWord) {
      w = fromWord;
      bits = word(w);
    } else {
      bits = word(w) & (-1L << position);
    }
    while (w < toWord) {
      if (bits != 0) {
        return (w << 6) + Long.numberOfTrailingZeros(bits);
      }
      w++;
      bits = word(w);
    }
    return -1;
  }

  /** The positions of this set that {@code keep} accepts, as a new sparse set. */
  MatchSet filter(IntPredicate keep) {
    if (!isDense()) {
      int[] kept = new int[length];
      int count = 0;
      for (int i = 0; i < length; i++) {
        if (keep.test(ints[i])) {
          kept[count++] = ints[i];
        }
      }
      return sparse(kept, count);
    }
    int[] kept = new int[Math.max(16, Math.min(cardinality(), 1 << 16))];
    int count = 0;
    for (int w = fromWord; w < toWord; w++) {
      long bits = words[w - base];
      while (bits != 0) {
        int position = (w << 6) + Long.numberOfTrailingZeros(bits);
        bits &= bits - 1;
        if (keep.test(position)) {
          if (count == kept.length) {
            kept = Arrays.copyOf(kept, count * 2);
          }
          kept[count++] = position;
        }
      }
    }
    return sparse(kept, count);
  }

  /** This set and {@code other}. */
  MatchSet and(MatchSet other) {
    if (!isDense()) {
      return filter(other::contains);
    }
    if (!other.isDense()) {
      return other.filter(this::contains);
    }
    int from = Math.max(fromWord, other.fromWord);
    int to = Math.min(toWord, other.toWord);
    if (from >= to) {
      return EMPTY;
    }
    long[] result = new long[to - from];
    for (int w = from; w < to; w++) {
      result[w - from] = words[w - base] & other.words[w - other.base];
    }
    return window(result, from);
  }

  /** This set or {@code other}. */
  MatchSet or(MatchSet other) {
    if (isEmpty()) {
      return other;
    }
    if (other.isEmpty()) {
      return this;
    }
    if (!isDense() && !other.isDense()) {
      return mergeSparse(other);
    }
    int from = Math.min(firstWord(), other.firstWord());
    int to = Math.max(endWord(), other.endWord());
    long[] result = new long[to - from];
    orInto(result, from);
    other.orInto(result, from);
    return window(result, from);
  }

  /** This set without the positions of {@code other}. */
  MatchSet andNot(MatchSet other) {
    if (!isDense() || !other.isDense()) {
      return filter(position -> !other.contains(position));
    }
    long[] result = new long[toWord - fromWord];
    for (int w = fromWord; w < toWord; w++) {
      result[w - fromWord] = words[w - base] & ~other.word(w);
    }
    return window(result, fromWord);
  }

  private int firstWord() {
    return isDense() ? fromWord : ints[0] >>> 6;
  }

  private int endWord() {
    return isDense() ? toWord : (ints[length - 1] >>> 6) + 1;
  }

  /** Sets this set's bits in {@code target}, whose index 0 is word {@code targetBase}. */
  private void orInto(long[] target, int targetBase) {
    if (isDense()) {
      for (int w = fromWord; w < toWord; w++) {
        target[w - targetBase] |= words[w - base];
      }
    } else {
      for (int i = 0; i < length; i++) {
        int position = ints[i];
        target[(position >>> 6) - targetBase] |= 1L << position;
      }
    }
  }

  private MatchSet mergeSparse(MatchSet other) {
    int[] merged = new int[length + other.length];
    int i = 0;
    int j = 0;
    int n = 0;
    while (i < length && j < other.length) {
      int a = ints[i];
      int b = other.ints[j];
      if (a <= b) {
        merged[n++] = a;
        i++;
        if (a == b) {
          j++;
        }
      } else {
        merged[n++] = b;
        j++;
      }
    }
    while (i < length) {
      merged[n++] = ints[i++];
    }
    while (j < other.length) {
      merged[n++] = other.ints[j++];
    }
    return sparse(merged, n);
  }
}
