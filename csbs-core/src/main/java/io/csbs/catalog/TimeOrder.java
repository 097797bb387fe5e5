package io.csbs.catalog;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * Int values (row positions) kept in the order of an instant each (epoch second, then nano), then, in
 * an order {@linkplain #TimeOrder(boolean) with keys}, of an {@code int} key (unsigned), then of a
 * tie-break the caller gives, in blocks of at most {@value #BLOCK} entries, each three (four with
 * keys) parallel primitive arrays: an insertion or removal moves at most a block and the block
 * table, whatever the number of entries, and a search by instant reads only these arrays (no row,
 * no {@code Instant}).
 * The instant of each block's first entry is also kept in two arrays of the block table, so that a
 * search finds its block in them (a few kilobytes, in cache) rather than reading the first entry of
 * a block at each step of the search: with a tail of millions of late rows that read was a cache
 * miss a step, thirteen of them, and a sixth of the time of a late add.
 * {@link TailOrder} keeps the tail's rows in it by creation time, keyed by the first characters of
 * their ids (its tie reads a row's id, cache misses, only where those are equal); {@link
 * RunningJobs} the running jobs by the instant of their last progress, without keys (its tie compares
 * positions, which the order holds), so that the stalled ones are a prefix.
 *
 * <p>A cursor is a {@code long}: the block in the high half, the index in it in the low half;
 * {@link #END} stands for none.
 *
 * <pre>{@code
 * TimeOrder order = new TimeOrder();
 * order.insert(at.getEpochSecond(), at.getNano(), position, stored -> Integer.compare(stored, position));
 * int before = order.countBefore(cutoff.getEpochSecond(), cutoff.getNano());
 * for (long c = order.last(); c != TimeOrder.END; c = order.previous(c)) {
 *   int value = order.at(c);  // from the latest instant to the earliest
 * }
 * }</pre>
 */
final class TimeOrder {
  /** No entry: past either end. */
  static final long END = -1L;
  private static final int BLOCK = 512;
  /** Entries of one instant and key a removal looks through before it seeks with the tie. */
  private static final int LOCATE_WITHOUT_TIE = 8;

  /** Orders a stored value against the one searched for, when their instants (and keys) are equal. */
  @FunctionalInterface
  interface Tie {
    /** Negative, zero or positive as {@code stored} comes before, at or after the value searched for. */
    int compare(int stored);
  }

  private long[][] seconds = new long[4][];
  private int[][] nanos = new int[4][];
  private int[][] values = new int[4][];
  /** Each entry's key, in an order with keys; null in one without (four bytes an entry it does not need). */
  private int[][] keys;
  private int[] lengths = new int[4];
  /** The largest value of each block: a search for the largest values skips the blocks below them. */
  private int[] maxima = new int[4];
  /**
   * The instant of each block's first entry ({@code seconds[b][0]}, {@code nanos[b][0]}), for the
   * search among blocks; kept by every change to a block's first entry.
   */
  private long[] firstSeconds = new long[4];
  private int[] firstNanos = new int[4];
  /** The key of each block's first entry, in an order with keys. */
  private int[] firstKeys;
  private int blockCount;
  private int size;

  /** An order without keys: entries of one instant are ordered by the tie alone. */
  TimeOrder() {
    this(false);
  }

  /** An order with keys ({@code true}: entries of one instant are ordered by their key, then the tie), or without. */
  TimeOrder(boolean keyed) {
    if (keyed) {
      keys = new int[4][];
      firstKeys = new int[4];
    }
  }

  int size() {
    return size;
  }

  /** About the bytes the blocks take on the heap. */
  long estimatedBytes() {
    int arrays = keys == null ? 3 : 4;
    long bytes = 48 + (arrays + 3) * (16 + 4L * lengths.length) + 16 + 8L * lengths.length;
    for (int b = 0; b < blockCount; b++) {
      bytes += arrays * 16 + (4L * arrays + 4) * seconds[b].length;
    }
    return bytes;
  }

  /**
   * Packs the entries into full blocks of exact size: blocks filled by inserts in random order are
   * three quarters full and keep room for a quarter more (about 7 bytes an entry of 16). For an
   * order that will mostly not grow again (after a batch that built a whole shard); a later insert
   * splits a full block, a copy of half a block.
   */
  void trim() {
    if (size == 0) {
      clear();
      return;
    }
    int blocks = Math.max(1, (size + BLOCK - 1) / BLOCK);
    long[][] packedSeconds = new long[Math.max(4, blocks)][];
    int[][] packedNanos = new int[packedSeconds.length][];
    int[][] packedValues = new int[packedSeconds.length][];
    int[][] packedKeys = keys == null ? null : new int[packedSeconds.length][];
    int[] packedLengths = new int[packedSeconds.length];
    int to = 0;
    int at = 0;
    for (int b = 0; b < blockCount; b++) {
      for (int i = 0; i < lengths[b]; i++) {
        if (packedSeconds[to] == null) {
          int length = Math.max(16, Math.min(BLOCK, size - to * BLOCK));
          packedSeconds[to] = new long[length];
          packedNanos[to] = new int[length];
          packedValues[to] = new int[length];
          if (packedKeys != null) {
            packedKeys[to] = new int[length];
          }
        }
        packedSeconds[to][at] = seconds[b][i];
        packedNanos[to][at] = nanos[b][i];
        packedValues[to][at] = values[b][i];
        if (packedKeys != null) {
          packedKeys[to][at] = keys[b][i];
        }
        packedLengths[to] = ++at;
        if (at == BLOCK) {
          to++;
          at = 0;
        }
      }
    }
    seconds = packedSeconds;
    nanos = packedNanos;
    values = packedValues;
    keys = packedKeys;
    lengths = packedLengths;
    blockCount = blocks;
    maxima = new int[packedSeconds.length];
    firstSeconds = new long[packedSeconds.length];
    firstNanos = new int[packedSeconds.length];
    firstKeys = keys == null ? null : new int[packedSeconds.length];
    for (int b = 0; b < blockCount; b++) {
      maxima[b] = maximum(b);
      noteFirst(b);
    }
  }

  void clear() {
    seconds = new long[4][];
    nanos = new int[4][];
    values = new int[4][];
    lengths = new int[4];
    maxima = new int[4];
    firstSeconds = new long[4];
    firstNanos = new int[4];
    if (keys != null) {
      keys = new int[4][];
      firstKeys = new int[4];
    }
    blockCount = 0;
    size = 0;
  }

  /** Adds {@code value} at ({@code second}, {@code nano}), after the stored values {@code tie} puts before it; without keys. */
  void insert(long second, int nano, int value, Tie tie) {
    insert(second, nano, 0, value, tie);
  }

  /**
   * Adds {@code value} at ({@code second}, {@code nano}) with {@code key} (0 in an order without
   * keys), after the stored values of that instant whose key is lower (unsigned), and after those of
   * its key that {@code tie} puts before it.
   */
  void insert(long second, int nano, int key, int value, Tie tie) {
    insertAtCursor(seek(second, nano, key, tie), second, nano, key, value);
  }

  /**
   * {@link #insert(long, int, int, int, Tie)} at {@code at}, what {@link #seek(long, int, int, Tie)}
   * answered for that entry with no change to the order since (a change that read ahead).
   */
  void insertAtCursor(long at, long second, int nano, int key, int value) {
    if (blockCount == 0) {
      seconds[0] = new long[16];
      nanos[0] = new int[16];
      values[0] = new int[16];
      if (keys != null) {
        keys[0] = new int[16];
      }
      lengths[0] = 0;
      blockCount = 1;
    }
    if (at == END) {
      insertAt(blockCount - 1, lengths[blockCount - 1], second, nano, key, value);
    } else {
      insertAt(block(at), index(at), second, nano, key, value);
    }
  }

  /** {@link #remove(long, int, int, int, Tie)} without keys. */
  void remove(long second, int nano, int value, Tie tie) {
    remove(second, nano, 0, value, tie);
  }

  /**
   * Removes {@code value}, stored at ({@code second}, {@code nano}) with {@code key}; {@code tie}
   * finds the first stored value it might be among those of that instant and key.
   *
   * @throws IllegalStateException if it is not there
   */
  void remove(long second, int nano, int key, int value, Tie tie) {
    removeAt(locate(second, nano, key, value, tie), value);
  }

  /** Removes the entry at {@code at}, which holds {@code value} (as {@link #locate} found it). */
  void removeAt(long at, int value) {
    int b = block(at);
    int i = index(at);
    int length = lengths[b];
    System.arraycopy(seconds[b], i + 1, seconds[b], i, length - i - 1);
    System.arraycopy(nanos[b], i + 1, nanos[b], i, length - i - 1);
    System.arraycopy(values[b], i + 1, values[b], i, length - i - 1);
    if (keys != null) {
      System.arraycopy(keys[b], i + 1, keys[b], i, length - i - 1);
    }
    lengths[b] = length - 1;
    size--;
    if (i == 0 && length > 1) {
      noteFirst(b);
    }
    if (maxima[b] == value) {
      maxima[b] = maximum(b);
    }
    if (lengths[b] == 0 && blockCount > 1) {
      shiftBlocks(b + 1, -1);
      blockCount--;
      seconds[blockCount] = null;
      nanos[blockCount] = null;
      values[blockCount] = null;
      if (keys != null) {
        keys[blockCount] = null;
      }
    }
  }

  /**
   * Stores {@code to} in place of {@code from}, stored at ({@code second}, {@code nano}) with {@code
   * key}: the same place in the order.
   */
  void replace(long second, int nano, int key, int from, int to, Tie tie) {
    long at = locate(second, nano, key, from, tie);
    values[block(at)][index(at)] = to;
    maxima[block(at)] = maximum(block(at));
  }

  /**
   * The cursor of {@code value} at this instant in an order without keys, found as {@link #remove}
   * finds it (which reads the same entries).
   *
   * @throws IllegalStateException if it is not there
   */
  long locate(long second, int nano, int value, Tie tie) {
    return locate(second, nano, 0, value, tie);
  }

  /**
   * The entry of {@code value} at ({@code second}, {@code nano}, {@code key}): among the first few
   * entries of that instant and key (most often the only one, in an order with keys: no tie is
   * called, and the tail's tie reads a row even to find its own entry), else from where {@code tie}
   * seeks it.
   */
  long locate(long second, int nano, int key, int value, Tie tie) {
    long found = tie == null ? scan(seek(second, nano, key, null), second, nano, key, value, Integer.MAX_VALUE)
        : locateWithoutTie(second, nano, key, value);
    return found != END ? found : locateWithTie(second, nano, key, value, tie);
  }

  /**
   * The entry of {@code value} from where {@code tie} seeks it among the entries of its instant and
   * key, for a caller that did not find it among the first few ({@link #locateWithoutTie}).
   *
   * @throws IllegalStateException if it is not there
   */
  long locateWithTie(long second, int nano, int key, int value, Tie tie) {
    long found = tie == null ? END : scan(seek(second, nano, key, tie), second, nano, key, value, Integer.MAX_VALUE);
    if (found != END) {
      return found;
    }
    throw new IllegalStateException("no value " + value + " at " + second + "s " + nano + "ns, key " + key + " in the order");
  }

  /**
   * The cursor of {@code value} among the first few entries at ({@code second}, {@code nano}) with
   * {@code key}, or {@link #END} if not there (then only a tie finds it: see {@link #locate}).
   */
  long locateWithoutTie(long second, int nano, int key, int value) {
    return scan(seek(second, nano, key, null), second, nano, key, value, LOCATE_WITHOUT_TIE);
  }

  /**
   * The cursor of {@code value} among at most {@code most} entries from {@code at} on, all at
   * ({@code second}, {@code nano}) with {@code key}; {@link #END} if not there.
   */
  private long scan(long at, long second, int nano, int key, int value, int most) {
    for (int passed = 0; at != END && passed < most && at(at, second, nano, key); at = next(at), passed++) {
      if (values[block(at)][index(at)] == value) {
        return at;
      }
    }
    return END;
  }

  /** Whether the entry at {@code cursor} is at ({@code second}, {@code nano}) with {@code key}. */
  boolean at(long cursor, long second, int nano, int key) {
    int b = block(cursor);
    int i = index(cursor);
    return seconds[b][i] == second && nanos[b][i] == nano && (keys == null || keys[b][i] == key);
  }

  /**
   * The first entry not before ({@code second}, {@code nano}) and, at that instant, not before what
   * {@code tie} orders among the entries of key 0 (null: the instant's first entry); {@link #END} if none.
   */
  long seek(long second, int nano, Tie tie) {
    return seek(second, nano, 0, tie);
  }

  /**
   * The first entry not before ({@code second}, {@code nano}), then {@code key} (unsigned; ignored
   * without keys), and, among the entries of that instant and key, not before what {@code tie}
   * orders (null: the first of them); {@link #END} if none.
   */
  long seek(long second, int nano, int key, Tie tie) {
    return firstEntryNotBefore(b -> compareFirst(b, second, nano, key, tie) < 0,
        (b, i) -> compare(b, i, second, nano, key, tie) < 0);
  }

  /** The first entry whose value {@code before} rejects, the values it accepts being a prefix of the order. */
  long firstNotBefore(IntPredicate before) {
    return firstEntryNotBefore(b -> before.test(values[b][0]), (b, i) -> before.test(values[b][i]));
  }

  /** Whether the entry at index {@code i} of block {@code b} comes before what a search looks for. */
  @FunctionalInterface
  private interface EntryBefore {
    boolean test(int b, int i);
  }

  /**
   * The first entry {@code before} rejects; {@code firstBefore} tells the same of a block's first
   * entry, from the block table where it can.
   */
  private long firstEntryNotBefore(IntPredicate firstBefore, EntryBefore before) {
    // the last block whose first entry is before: the answer is in it or starts the next one
    int low = 0;
    int high = blockCount;
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (lengths[mid] > 0 && firstBefore.test(mid)) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    if (low == 0) {
      return blockCount == 0 || lengths[0] == 0 ? END : 0L;
    }
    int b = low - 1;
    int from = 1;
    int to = lengths[b];
    while (from < to) {
      int mid = (from + to) >>> 1;
      if (before.test(b, mid)) {
        from = mid + 1;
      } else {
        to = mid;
      }
    }
    if (from < lengths[b]) {
      return cursor(b, from);
    }
    return b + 1 < blockCount ? cursor(b + 1, 0) : END;
  }

  /** How many entries lie strictly before ({@code second}, {@code nano}). */
  int countBefore(long second, int nano) {
    long at = seek(second, nano, null);
    if (at == END) {
      return size;
    }
    int count = index(at);
    for (int b = 0; b < block(at); b++) {
      count += lengths[b];
    }
    return count;
  }

  /**
   * Gives {@code action} the values of the first {@code count} entries, block by block: an array, the
   * length used, and an upper bound of those values (the block's largest).
   */
  void forEachBlockOfFirst(int count, BlockAction action) {
    int left = count;
    for (int b = 0; b < blockCount && left > 0; b++) {
      int take = Math.min(lengths[b], left);
      action.accept(values[b], take, maxima[b]);
      left -= take;
    }
  }

  /** Reads the values {@code block[0, length)} of one block, all at most {@code max}; must not keep the array. */
  @FunctionalInterface
  interface BlockAction {
    void accept(int[] block, int length, int max);
  }

  /** The values of the first {@code count} entries, in order. */
  int[] firstValues(int count) {
    int[] found = new int[count];
    int[] n = {0};
    forEachBlockOfFirst(count, (block, length, max) -> {
      System.arraycopy(block, 0, found, n[0], length);
      n[0] += length;
    });
    return found;
  }

  /**
   * Sets the bit {@code value - base} in {@code words} for each entry from cursor {@code from} up to
   * cursor {@code to} (excluded; {@link #END}: to the last entry), a block's values at a time, with no
   * test of each entry's instant; returns how many. Nothing when {@code from} is {@link #END} or not
   * before {@code to}.
   */
  int setBits(long from, long to, long[] words, int base) {
    if (from == END || (to != END && to <= from)) {
      return 0;
    }
    int lastBlock = to == END ? blockCount - 1 : block(to);
    int count = 0;
    for (int b = block(from), i = index(from); b <= lastBlock; b++, i = 0) {
      int end = to != END && b == lastBlock ? index(to) : lengths[b];
      int[] block = values[b];
      count += Math.max(0, end - i);
      for (; i < end; i++) {
        Bits.set(words, block[i] - base);
      }
    }
    return count;
  }

  /** Whether the entry at {@code cursor} lies after ({@code second}, {@code nano}), or at it when {@code orAt}. */
  boolean isAfter(long cursor, long second, int nano, boolean orAt) {
    int b = block(cursor);
    int i = index(cursor);
    int order = seconds[b][i] != second ? Long.compare(seconds[b][i], second) : Integer.compare(nanos[b][i], nano);
    return order > 0 || (orAt && order == 0);
  }

  long first() {
    return size == 0 ? END : 0L;
  }

  long last() {
    return size == 0 ? END : cursor(blockCount - 1, lengths[blockCount - 1] - 1);
  }

  long next(long cursor) {
    int b = block(cursor);
    int i = index(cursor) + 1;
    if (i < lengths[b]) {
      return cursor(b, i);
    }
    return b + 1 < blockCount ? cursor(b + 1, 0) : END;
  }

  long previous(long cursor) {
    int b = block(cursor);
    int i = index(cursor) - 1;
    if (i >= 0) {
      return cursor(b, i);
    }
    return b > 0 ? cursor(b - 1, lengths[b - 1] - 1) : END;
  }

  /** The value at {@code cursor}. */
  int at(long cursor) {
    return values[block(cursor)][index(cursor)];
  }

  /** {@link #compare} of block {@code b}'s first entry, from the block table: the tie alone reads the block. */
  private int compareFirst(int b, long second, int nano, int key, Tie tie) {
    if (firstSeconds[b] != second) {
      return Long.compare(firstSeconds[b], second);
    }
    if (firstNanos[b] != nano) {
      return Integer.compare(firstNanos[b], nano);
    }
    if (keys != null && firstKeys[b] != key) {
      return Integer.compareUnsigned(firstKeys[b], key);
    }
    return tie == null ? 0 : tie.compare(values[b][0]);
  }

  /** Copies the instant (and key) of block {@code b}'s first entry into the block table. */
  private void noteFirst(int b) {
    firstSeconds[b] = seconds[b][0];
    firstNanos[b] = nanos[b][0];
    if (keys != null) {
      firstKeys[b] = keys[b][0];
    }
  }

  private int compare(int b, int i, long second, int nano, int key, Tie tie) {
    if (seconds[b][i] != second) {
      return Long.compare(seconds[b][i], second);
    }
    if (nanos[b][i] != nano) {
      return Integer.compare(nanos[b][i], nano);
    }
    if (keys != null && keys[b][i] != key) {
      return Integer.compareUnsigned(keys[b][i], key);
    }
    return tie == null ? 0 : tie.compare(values[b][i]);
  }

  private static int block(long cursor) {
    return (int) (cursor >>> 32);
  }

  private static int index(long cursor) {
    return (int) cursor;
  }

  private static long cursor(int block, int index) {
    return ((long) block << 32) | index;
  }

  private void insertAt(int b, int i, long second, int nano, int key, int value) {
    int length = lengths[b];
    if (length == BLOCK) {
      splitBlock(b);
      int half = lengths[b];
      if (i > half) {
        insertAt(b + 1, i - half, second, nano, key, value);
      } else {
        insertAt(b, i, second, nano, key, value);
      }
      return;
    }
    if (length == seconds[b].length) {
      int capacity = Math.min(BLOCK, length * 2);
      seconds[b] = Arrays.copyOf(seconds[b], capacity);
      nanos[b] = Arrays.copyOf(nanos[b], capacity);
      values[b] = Arrays.copyOf(values[b], capacity);
      if (keys != null) {
        keys[b] = Arrays.copyOf(keys[b], capacity);
      }
    }
    System.arraycopy(seconds[b], i, seconds[b], i + 1, length - i);
    System.arraycopy(nanos[b], i, nanos[b], i + 1, length - i);
    System.arraycopy(values[b], i, values[b], i + 1, length - i);
    if (keys != null) {
      System.arraycopy(keys[b], i, keys[b], i + 1, length - i);
      keys[b][i] = key;
    }
    seconds[b][i] = second;
    nanos[b][i] = nano;
    values[b][i] = value;
    lengths[b] = length + 1;
    maxima[b] = length == 0 ? value : Math.max(maxima[b], value);
    size++;
    if (i == 0) {
      noteFirst(b);
    }
  }

  /** Moves the upper half of full block {@code b} into a new block after it. */
  private void splitBlock(int b) {
    if (blockCount == lengths.length) {
      seconds = Arrays.copyOf(seconds, blockCount * 2);
      nanos = Arrays.copyOf(nanos, blockCount * 2);
      values = Arrays.copyOf(values, blockCount * 2);
      if (keys != null) {
        keys = Arrays.copyOf(keys, blockCount * 2);
        firstKeys = Arrays.copyOf(firstKeys, blockCount * 2);
      }
      lengths = Arrays.copyOf(lengths, blockCount * 2);
      maxima = Arrays.copyOf(maxima, blockCount * 2);
      firstSeconds = Arrays.copyOf(firstSeconds, blockCount * 2);
      firstNanos = Arrays.copyOf(firstNanos, blockCount * 2);
    }
    int half = BLOCK / 2;
    int capacity = BLOCK - half + BLOCK / 4;
    shiftBlocks(b + 1, 1);
    blockCount++;
    seconds[b + 1] = Arrays.copyOfRange(seconds[b], half, half + capacity);
    nanos[b + 1] = Arrays.copyOfRange(nanos[b], half, half + capacity);
    values[b + 1] = Arrays.copyOfRange(values[b], half, half + capacity);
    if (keys != null) {
      keys[b + 1] = Arrays.copyOfRange(keys[b], half, half + capacity);
    }
    lengths[b + 1] = BLOCK - half;
    lengths[b] = half;
    maxima[b] = maximum(b);
    maxima[b + 1] = maximum(b + 1);
    noteFirst(b + 1);
  }

  /** Moves blocks {@code [from, blockCount)} by {@code by} places in the block table. */
  private void shiftBlocks(int from, int by) {
    int count = blockCount - from;
    System.arraycopy(seconds, from, seconds, from + by, count);
    System.arraycopy(nanos, from, nanos, from + by, count);
    System.arraycopy(values, from, values, from + by, count);
    if (keys != null) {
      System.arraycopy(keys, from, keys, from + by, count);
      System.arraycopy(firstKeys, from, firstKeys, from + by, count);
    }
    System.arraycopy(lengths, from, lengths, from + by, count);
    System.arraycopy(maxima, from, maxima, from + by, count);
    System.arraycopy(firstSeconds, from, firstSeconds, from + by, count);
    System.arraycopy(firstNanos, from, firstNanos, from + by, count);
  }

  private int maximum(int b) {
    int max = Integer.MIN_VALUE;
    for (int i = 0; i < lengths[b]; i++) {
      max = Math.max(max, values[b][i]);
    }
    return max;
  }
}
