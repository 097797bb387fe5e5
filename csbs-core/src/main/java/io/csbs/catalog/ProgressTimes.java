package io.csbs.catalog;

import java.util.Arrays;

/**
 * The running jobs in the order of the instant their progress last changed (epoch second, nano, then
 * row position), so that the stalled jobs, those that changed before a cutoff, are a prefix: counted
 * by one binary search and a sum of block lengths, listed without reading the others. Without it a
 * stalled search read every running job (hundreds of thousands at 5M backups) to count a few
 * thousand.
 *
 * <p>Entries live in blocks of at most {@value #BLOCK}, each three parallel primitive arrays, so that
 * a progress report (a remove, then an insert near the end: progress moves to "now") moves at most a
 * block and the block table, whatever the number of jobs.
 *
 * <pre>{@code
 * ProgressTimes times = new ProgressTimes();
 * times.insert(changedAt.getEpochSecond(), changedAt.getNano(), position);
 * int stalled = times.countBefore(cutoff.getEpochSecond(), cutoff.getNano());
 * }</pre>
 */
final class ProgressTimes {
  private static final int BLOCK = 512;

  private long[][] seconds = new long[4][];
  private int[][] nanos = new int[4][];
  private int[][] positions = new int[4][];
  private int[] lengths = new int[4];
  private int blockCount;
  private int size;

  int size() {
    return size;
  }

  /** About the bytes the blocks take on the heap. */
  long estimatedBytes() {
    long bytes = 48 + 4 * (16 + 4L * lengths.length);
    for (int b = 0; b < blockCount; b++) {
      bytes += 3 * 16 + 16L * seconds[b].length;
    }
    return bytes;
  }

  /** Adds the job at {@code position}, which changed at ({@code second}, {@code nano}). */
  void insert(long second, int nano, int position) {
    if (blockCount == 0) {
      seconds[0] = new long[16];
      nanos[0] = new int[16];
      positions[0] = new int[16];
      lengths[0] = 0;
      blockCount = 1;
    }
    int b = blockFor(second, nano, position);
    insertAt(b, firstNotBefore(b, second, nano, position), second, nano, position);
  }

  /** Removes the job at {@code position}, which changed at ({@code second}, {@code nano}). */
  void remove(long second, int nano, int position) {
    int b = blockFor(second, nano, position);
    int i = firstNotBefore(b, second, nano, position);
    if (b >= blockCount || i >= lengths[b] || positions[b][i] != position || seconds[b][i] != second
        || nanos[b][i] != nano) {
      throw new IllegalStateException("no running job at position " + position + " changed at " + second + "s " + nano);
    }
    int length = lengths[b];
    System.arraycopy(seconds[b], i + 1, seconds[b], i, length - i - 1);
    System.arraycopy(nanos[b], i + 1, nanos[b], i, length - i - 1);
    System.arraycopy(positions[b], i + 1, positions[b], i, length - i - 1);
    lengths[b] = length - 1;
    size--;
    if (lengths[b] == 0 && blockCount > 1) {
      removeBlock(b);
    }
  }

  /** How many jobs changed strictly before ({@code second}, {@code nano}). */
  int countBefore(long second, int nano) {
    int b = blockFor(second, nano, Integer.MIN_VALUE);
    int count = 0;
    for (int i = 0; i < b; i++) {
      count += lengths[i];
    }
    return blockCount == 0 ? 0 : count + firstNotBefore(b, second, nano, Integer.MIN_VALUE);
  }

  /** The positions of the jobs that changed strictly before ({@code second}, {@code nano}), in no order. */
  int[] positionsBefore(long second, int nano) {
    int[] found = new int[countBefore(second, nano)];
    int n = 0;
    for (int b = 0; b < blockCount && n < found.length; b++) {
      int take = Math.min(lengths[b], found.length - n);
      System.arraycopy(positions[b], 0, found, n, take);
      n += take;
    }
    return found;
  }

  void clear() {
    seconds = new long[4][];
    nanos = new int[4][];
    positions = new int[4][];
    lengths = new int[4];
    blockCount = 0;
    size = 0;
  }

  /** Orders (second, nano, position) against the entry at index {@code i} of block {@code b}. */
  private int compareTo(int b, int i, long second, int nano, int position) {
    int order = Long.compare(seconds[b][i], second);
    if (order == 0) {
      order = Integer.compare(nanos[b][i], nano);
    }
    return order != 0 ? order : Integer.compare(positions[b][i], position);
  }

  /** The last block whose first entry is not after the key, or block 0: where the key is or goes. */
  private int blockFor(long second, int nano, int position) {
    int low = 1;
    int high = blockCount;
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (compareTo(mid, 0, second, nano, position) <= 0) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low - 1;
  }

  /** The index in block {@code b} of its first entry not before the key. */
  private int firstNotBefore(int b, long second, int nano, int position) {
    int low = 0;
    int high = lengths[b];
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (compareTo(b, mid, second, nano, position) < 0) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low;
  }

  private void insertAt(int b, int i, long second, int nano, int position) {
    int length = lengths[b];
    if (length == BLOCK) {
      splitBlock(b);
      int half = lengths[b];
      if (i > half) {
        insertAt(b + 1, i - half, second, nano, position);
      } else {
        insertAt(b, i, second, nano, position);
      }
      return;
    }
    if (length == seconds[b].length) {
      int capacity = Math.min(BLOCK, length * 2);
      seconds[b] = Arrays.copyOf(seconds[b], capacity);
      nanos[b] = Arrays.copyOf(nanos[b], capacity);
      positions[b] = Arrays.copyOf(positions[b], capacity);
    }
    System.arraycopy(seconds[b], i, seconds[b], i + 1, length - i);
    System.arraycopy(nanos[b], i, nanos[b], i + 1, length - i);
    System.arraycopy(positions[b], i, positions[b], i + 1, length - i);
    seconds[b][i] = second;
    nanos[b][i] = nano;
    positions[b][i] = position;
    lengths[b] = length + 1;
    size++;
  }

  /** Moves the upper half of full block {@code b} into a new block after it. */
  private void splitBlock(int b) {
    if (blockCount == lengths.length) {
      seconds = Arrays.copyOf(seconds, blockCount * 2);
      nanos = Arrays.copyOf(nanos, blockCount * 2);
      positions = Arrays.copyOf(positions, blockCount * 2);
      lengths = Arrays.copyOf(lengths, blockCount * 2);
    }
    int half = BLOCK / 2;
    int capacity = BLOCK - half + BLOCK / 4;
    shiftBlocks(b + 1, 1);
    seconds[b + 1] = Arrays.copyOfRange(seconds[b], half, half + capacity);
    nanos[b + 1] = Arrays.copyOfRange(nanos[b], half, half + capacity);
    positions[b + 1] = Arrays.copyOfRange(positions[b], half, half + capacity);
    lengths[b + 1] = BLOCK - half;
    lengths[b] = half;
    blockCount++;
  }

  private void removeBlock(int b) {
    shiftBlocks(b + 1, -1);
    blockCount--;
    seconds[blockCount] = null;
    nanos[blockCount] = null;
    positions[blockCount] = null;
  }

  /** Moves blocks {@code [from, blockCount)} by {@code by} places in the block table. */
  private void shiftBlocks(int from, int by) {
    int count = blockCount - from;
    System.arraycopy(seconds, from, seconds, from + by, count);
    System.arraycopy(nanos, from, nanos, from + by, count);
    System.arraycopy(positions, from, positions, from + by, count);
    System.arraycopy(lengths, from, lengths, from + by, count);
  }
}
