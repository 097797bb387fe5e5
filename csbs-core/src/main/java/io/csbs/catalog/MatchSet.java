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
final class MatchSet implements Positions {
  private static final int[] NO_INTS = new int[0];
  /** Sorted arrays of about the same size beyond this many positions intersect through a bitmap. */
  private static final int MERGE_LIMIT = 2048;
  static final MatchSet EMPTY = sparse(NO_INTS, 0);

  /** Dense: the words of the window; null when sparse. */
  private final long[] words;
  private final int base;
  final int fromWord;
  final int toWord;
  /** Sparse: sorted positions in {@code [0, length)}. */
  private final int[] ints;
  private final int length;
  /** Whether {@link #words} were allocated for this set alone, so that an and may write into them. */
  private final boolean owned;
  private int cardinality = -1;

  private MatchSet(long[] words, int base, int fromWord, int toWord, int[] ints, int length, boolean owned) {
    this.words = words;
    this.base = base;
    this.fromWord = fromWord;
    this.toWord = toWord;
    this.ints = ints;
    this.length = length;
    this.owned = owned;
  }

  /** A dense set over an index's bitmap (word 0 at index 0), limited to {@code [fromWord, toWord)}. */
  static MatchSet shared(long[] words, int fromWord, int toWord) {
    return window(words, 0, fromWord, toWord);
  }

  /** Like {@link #shared(long[], int, int)}, whose number of positions the index counts already. */
  static MatchSet shared(long[] words, int fromWord, int toWord, int cardinality) {
    return sharedWindow(words, 0, fromWord, toWord, cardinality);
  }

  /**
   * A dense set over an index's bitmap whose index 0 is word {@code base}, limited to {@code
   * [fromWord, toWord)}, whose number of positions the index counts already.
   */
  static MatchSet sharedWindow(long[] words, int base, int fromWord, int toWord, int cardinality) {
    MatchSet set = window(words, base, fromWord, toWord);
    set.cardinality = cardinality;
    return set;
  }

  /** A dense set over {@code words}, whose index 0 is word {@code base}, limited to {@code [fromWord, toWord)} and the array. */
  private static MatchSet window(long[] words, int base, int fromWord, int toWord) {
    int to = Math.min(toWord, base + words.length);
    int from = Math.min(Math.max(fromWord, base), to);
    return new MatchSet(words, base, from, to, null, 0, false);
  }

  /** A dense set owning {@code words}, whose index 0 is word {@code fromWord}. */
  static MatchSet window(long[] words, int fromWord) {
    return new MatchSet(words, fromWord, fromWord, fromWord + words.length, null, 0, true);
  }

  static MatchSet sparse(int[] ints, int length) {
    MatchSet set = new MatchSet(null, 0, 0, 0, ints, length, false);
    set.cardinality = length;
    return set;
  }

  /** The positions of {@code postings}, shared. */
  static MatchSet of(Postings postings) {
    return of(postings, 0);
  }

  /**
   * The positions of {@code postings}, shared, none of them below word {@code fromWord} (a shard's
   * dead prefix): a dense list's words below it are left out of every scan.
   */
  static MatchSet of(Postings postings, int fromWord) {
    return postings == null ? EMPTY : postings.toSet(fromWord);
  }

  boolean isDense() {
    return words != null;
  }

  /** A bit's test in a bitmap; a binary search of the positions in a sorted array. */
  @Override
  public double containsCost() {
    return containsCost(isDense(), cardinality());
  }

  /** {@link #containsCost()} of a set of {@code count} positions, a bitmap when {@code dense}. */
  static double containsCost(boolean dense, int count) {
    return dense ? 1 : 2 + 32 - Integer.numberOfLeadingZeros(Math.max(1, count));
  }

  /** Whether this set reads {@code bits}' words, as the windows {@link PositionBits#window} makes do. */
  boolean windowOf(PositionBits bits) {
    return words != null && words == bits.words();
  }

  @Override
  public int cardinality() {
    if (cardinality < 0) {
      int count = 0;
      for (int w = fromWord; w < toWord; w++) {
        count += Long.bitCount(words[w - base]);
      }
      cardinality = count;
    }
    return cardinality;
  }

  @Override
  public boolean isEmpty() {
    if (!isDense()) {
      return length == 0;
    }
    if (cardinality >= 0) {
      return cardinality == 0;
    }
    for (int w = fromWord; w < toWord; w++) {
      if (words[w - base] != 0) {
        return false;
      }
    }
    cardinality = 0;
    return true;
  }

  private long word(int w) {
    return w >= fromWord && w < toWord ? words[w - base] : 0L;
  }

  /** {@link #word} {@code w} without its positions below {@code start} (a walk up starting there). */
  private long wordFrom(int w, int start) {
    long bits = word(w);
    return w == start >>> 6 ? bits & (-1L << start) : bits;
  }

  @Override
  public int countIn(int from, int to) {
    if (from >= to) {
      return 0;
    }
    if (!isDense()) {
      return lowerIndex(to) - lowerIndex(Math.max(0, from));
    }
    int first = Math.max(fromWord, from >>> 6);
    int last = Math.min(toWord - 1, (to - 1) >>> 6);
    int count = 0;
    for (int w = first; w <= last; w++) {
      long bits = words[w - base];
      if (w == from >>> 6) {
        bits &= -1L << from;
      }
      if (w == (to - 1) >>> 6) {
        bits &= -1L >>> (63 - ((to - 1) & 63));
      }
      count += Long.bitCount(bits);
    }
    return count;
  }

  @Override
  public boolean contains(int position) {
    if (isDense()) {
      return (word(position >>> 6) & (1L << position)) != 0;
    }
    return Arrays.binarySearch(ints, 0, length, position) >= 0;
  }

  /** The largest position at or below {@code position}, or -1. */
  @Override
  public int previous(int position) {
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
  @Override
  public int next(int position) {
    if (!isDense()) {
      int at = Arrays.binarySearch(ints, 0, length, Math.max(0, position));
      int index = at >= 0 ? at : -at - 1;
      return index < length ? ints[index] : -1;
    }
    int start = Math.max(0, position);
    int w = Math.max(fromWord, start >>> 6);
    long bits = wordFrom(w, start);
    while (w < toWord) {
      if (bits != 0) {
        return (w << 6) + Long.numberOfTrailingZeros(bits);
      }
      w++;
      bits = word(w);
    }
    return -1;
  }

  /**
   * Gives {@code action} each position at or above {@code from}, in ascending order: a sorted array
   * read on from one search, a bitmap a word at a time (not a search or a scan for each position, as
   * {@link #next} would be).
   */
  @Override
  public void forEachFrom(int from, java.util.function.IntConsumer action) {
    if (!isDense()) {
      for (int i = lowerIndex(Math.max(0, from)); i < length; i++) {
        action.accept(ints[i]);
      }
      return;
    }
    int start = Math.max(0, from);
    int w = Math.max(fromWord, start >>> 6);
    long bits = wordFrom(w, start);
    while (w < toWord) {
      while (bits != 0) {
        action.accept((w << 6) + Long.numberOfTrailingZeros(bits));
        bits &= bits - 1;
      }
      w++;
      bits = word(w);
    }
  }

  /** The positions of this set in {@code [from, to)}. */
  MatchSet restrict(int from, int to) {
    if (from >= to) {
      return EMPTY;
    }
    if (!isDense()) {
      int start = lowerIndex(from);
      int end = lowerIndex(to);
      if (start == 0 && end == length) {
        return this;
      }
      return sparse(Arrays.copyOfRange(ints, start, end), end - start);
    }
    int first = Math.max(fromWord, from >>> 6);
    int last = Math.min(toWord, Bits.wordsFor(to));
    if (first >= last) {
      return EMPTY;
    }
    long[] window = new long[last - first];
    for (int w = first; w < last; w++) {
      window[w - first] = words[w - base];
    }
    if ((from >>> 6) == first) {
      window[0] &= -1L << from;
    }
    if (Bits.wordsFor(to) == last && (to & 63) != 0) {
      window[last - 1 - first] &= -1L >>> -to;
    }
    return window(window, first);
  }

  /** The index of the first sparse position not below {@code position}. */
  private int lowerIndex(int position) {
    if (length == 0 || ints[length - 1] < position) {
      return length;  // past the last: the end of a shard's rows, or its tail's start for a set without late rows
    }
    int at = Arrays.binarySearch(ints, 0, length, position);
    return at >= 0 ? at : -at - 1;
  }

  /**
   * The match that comes {@code skip} matches after the largest match at or below {@code position},
   * walking down: the start of a page after skipping an offset, counted a word at a time. -1 if none.
   */
  @Override
  public int previousSkipping(int position, long skip) {
    if (position < 0) {
      return -1;
    }
    if (!isDense()) {
      int at = Arrays.binarySearch(ints, 0, length, position);
      long index = (at >= 0 ? at : -at - 2) - skip;
      return index >= 0 ? ints[(int) index] : -1;
    }
    int w = Math.min(position >>> 6, toWord - 1);
    long bits = w == position >>> 6 ? word(w) & (-1L >>> (63 - (position & 63))) : word(w);
    long remaining = skip;
    while (w >= fromWord) {
      int count = Long.bitCount(bits);
      if (remaining < count) {
        for (long i = 0; i < remaining; i++) {
          bits &= ~Long.highestOneBit(bits);
        }
        return (w << 6) + 63 - Long.numberOfLeadingZeros(bits);
      }
      remaining -= count;
      w--;
      bits = word(w);
    }
    return -1;
  }

  /** Like {@link #previousSkipping}, walking up from {@code position}. */
  @Override
  public int nextSkipping(int position, long skip) {
    if (!isDense()) {
      long index = lowerIndex(Math.max(0, position));
      return skip < length - index ? ints[(int) (index + skip)] : -1;  // no sum that can overflow: skip may be near Long.MAX_VALUE
    }
    int start = Math.max(0, position);
    int w = Math.max(start >>> 6, fromWord);
    long bits = w == start >>> 6 ? word(w) & (-1L << start) : word(w);
    long remaining = skip;
    while (w < toWord) {
      int count = Long.bitCount(bits);
      if (remaining < count) {
        for (long i = 0; i < remaining; i++) {
          bits &= bits - 1;
        }
        return (w << 6) + Long.numberOfTrailingZeros(bits);
      }
      remaining -= count;
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
    if (!isDense() && !other.isDense()) {
      return intersectSorted(this, other);
    }
    if (!isDense() || !other.isDense()) {
      MatchSet sparse = isDense() ? other : this;
      MatchSet dense = isDense() ? this : other;
      // a bit test a match, or a scatter and a word-wise and over the dense window: a bit test is
      // cheap, so the and only wins when the sparse side is several times the window
      if (sparse.length < 4L * (dense.toWord - dense.fromWord)) {
        return sparse.keepIn(dense);
      }
      return sparse.toDense().and(dense);
    }
    int from = Math.max(fromWord, other.fromWord);
    int to = Math.min(toWord, other.toWord);
    if (from >= to) {
      return EMPTY;
    }
    if (owned) {
      // this set is a plan's intermediate result: narrow it in place instead of allocating
      for (int w = fromWord; w < from; w++) {
        words[w - base] = 0;
      }
      int count = 0;
      for (int w = from; w < to; w++) {
        long word = words[w - base] & other.words[w - other.base];
        words[w - base] = word;
        count += Long.bitCount(word);
      }
      MatchSet narrowed = new MatchSet(words, base, from, to, null, 0, true);
      narrowed.cardinality = count;
      return narrowed;
    }
    long[] result = new long[to - from];
    int count = 0;
    for (int w = from; w < to; w++) {
      long word = words[w - base] & other.words[w - other.base];
      result[w - from] = word;
      count += Long.bitCount(word);
    }
    MatchSet intersection = window(result, from);
    intersection.cardinality = count;
    return intersection;
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
    if (owned && from >= base && to <= base + words.length) {
      // an intermediate result whose buffer spans both: or into it
      for (int w = toWord; w < to; w++) {
        words[w - base] = 0;
      }
      for (int w = from; w < fromWord; w++) {
        words[w - base] = 0;
      }
      MatchSet widened = new MatchSet(words, base, Math.min(from, fromWord), Math.max(to, toWord), null, 0, true);
      other.orInto(words, base);
      return widened;
    }
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

  /**
   * Two sorted position arrays intersected by a galloping merge: each side leaps over the other's
   * gaps, so the cost follows the smaller side and the gaps, not a binary search from scratch per
   * position. Tags of one server are correlated, and a conjunction of them keeps large sparse results
   * for several steps; this keeps each step linear.
   */
  private static MatchSet intersectSorted(MatchSet x, MatchSet y) {
    MatchSet small = x.length <= y.length ? x : y;
    MatchSet large = small == x ? y : x;
    if (small.length > MERGE_LIMIT && large.length < 8L * small.length) {
      // sizes alike and large: a merge mispredicts a branch nearly every step, while scattering
      // one side into a bitmap and testing the other runs straight through
      return small.keepIn(large.toDense());
    }
    int[] a = x.ints;
    int[] b = y.ints;
    int aLength = x.length;
    int bLength = y.length;
    int[] result = new int[Math.min(aLength, bLength)];
    int n = 0;
    int i = 0;
    int j = 0;
    while (i < aLength && j < bLength) {
      int av = a[i];
      int bv = b[j];
      if (av == bv) {
        result[n++] = av;
        i++;
        j++;
      } else if (av < bv) {
        i = gallop(a, i + 1, aLength, bv);
      } else {
        j = gallop(b, j + 1, bLength, av);
      }
    }
    return sparse(result, n);
  }

  /** The first index in {@code [from, to)} whose value is at least {@code target}, or {@code to}. */
  private static int gallop(int[] values, int from, int to, int target) {
    int step = 1;
    int low = from;
    int high = from;
    while (high < to && values[high] < target) {
      low = high + 1;
      high = from + step;
      step <<= 1;
    }
    high = Math.min(high, to);
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (values[mid] < target) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low;
  }

  /** The positions of this sparse set that the dense set {@code dense} holds: one bit test each. */
  private MatchSet keepIn(MatchSet dense) {
    int[] kept = new int[length];
    int count = 0;
    long[] bits = dense.words;
    int base = dense.base;
    int from = dense.fromWord;
    int to = dense.toWord;
    for (int i = 0; i < length; i++) {
      int position = ints[i];
      int w = position >>> 6;
      if (w >= from && w < to) {
        // no branch on the bit: a bitmap of common values makes it a coin toss the CPU mispredicts
        kept[count] = position;
        count += (int) ((bits[w - base] >>> position) & 1L);
      }
    }
    return sparse(kept, count);
  }

  /** This sparse set as an owned dense window. */
  private MatchSet toDense() {
    int from = firstWord();
    long[] window = new long[endWord() - from];
    orInto(window, from);
    return window(window, from);
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
