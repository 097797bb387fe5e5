package io.csbs.catalog;

import io.csbs.backup.Backup;
import java.util.Arrays;
import java.util.function.IntFunction;
import java.util.function.Predicate;

/**
 * The live rows of a shard's out-of-order tail (positions {@code [sortedCount, size)}), listed in row
 * order (created at, then id), so that a query walks them in order beside the sorted rows instead of
 * sorting them. The list is cut into blocks of at most {@value #BLOCK} positions: an insertion moves
 * at most a block and the block table, whatever the length of the tail, so that a late backup costs
 * microseconds even in a tail of a hundred thousand rows while a reorganisation runs.
 *
 * <p>A cursor into the list is a {@code long}: the block in the high half, the index in it in the low
 * half; {@link #END} stands for none.
 *
 * <pre>{@code
 * TailOrder tail = new TailOrder();
 * tail.insert(position, backup, rows::get);
 * for (long c = tail.last(); c != TailOrder.END; c = tail.previous(c)) {
 *   int newest = tail.at(c);   // positions from the newest row of the tail to the oldest
 * }
 * }</pre>
 */
final class TailOrder {
  /** No entry: past either end. */
  static final long END = -1L;
  private static final int BLOCK = 512;

  private int[][] blocks = new int[4][];
  private int[] lengths = new int[4];
  private int blockCount;
  private int size;

  /** About the bytes the list takes on the heap. */
  long estimatedBytes() {
    long bytes = 48 + 16 + 4L * blocks.length + 16 + 4L * lengths.length;
    for (int b = 0; b < blockCount; b++) {
      bytes += 16 + 4L * blocks[b].length;
    }
    return bytes;
  }

  int size() {
    return size;
  }

  void clear() {
    blocks = new int[4][];
    lengths = new int[4];
    blockCount = 0;
    size = 0;
  }

  /** Adds {@code position}, whose row is {@code row}; {@code rowAt} reads the rows of the others. */
  void insert(int position, Backup row, IntFunction<Backup> rowAt) {
    if (blockCount == 0) {
      blocks[0] = new int[16];
      lengths[0] = 0;
      blockCount = 1;
    }
    long at = firstNotBefore(other -> ProjectShard.compareRows(other, row) < 0, rowAt);
    int b;
    int i;
    if (at == END) {
      b = blockCount - 1;
      i = lengths[b];
    } else {
      b = (int) (at >>> 32);
      i = (int) at;
    }
    insertAt(b, i, position);
  }

  /** Removes {@code position}, whose row is {@code row}. */
  void remove(int position, Backup row, IntFunction<Backup> rowAt) {
    long at = locate(position, row, rowAt);
    int b = (int) (at >>> 32);
    int i = (int) at;
    int[] block = blocks[b];
    System.arraycopy(block, i + 1, block, i, lengths[b] - i - 1);
    lengths[b]--;
    size--;
    if (lengths[b] == 0) {
      System.arraycopy(blocks, b + 1, blocks, b, blockCount - b - 1);
      System.arraycopy(lengths, b + 1, lengths, b, blockCount - b - 1);
      blockCount--;
      blocks[blockCount] = null;
    }
  }

  /** Records that {@code row} moved from {@code from} to {@code to}: its place in the order is the same. */
  void move(int from, int to, Backup row, IntFunction<Backup> rowAt) {
    long at = locate(from, row, rowAt);
    blocks[(int) (at >>> 32)][(int) at] = to;
  }

  private long locate(int position, Backup row, IntFunction<Backup> rowAt) {
    long at = firstNotBefore(other -> ProjectShard.compareRows(other, row) < 0, rowAt);
    for (; at != END; at = next(at)) {
      if (at(at) == position) {
        return at;
      }
    }
    throw new IllegalStateException("position " + position + " is not in the tail order");
  }

  /**
   * The first entry whose row {@code before} rejects, the rows it accepts being a prefix of the
   * order; {@link #END} if it accepts them all.
   */
  long firstNotBefore(Predicate<Backup> before, IntFunction<Backup> rowAt) {
    // the last block whose first row is before: the answer is in it or starts the next one
    int low = 0;
    int high = blockCount;
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (before.test(rowAt.apply(blocks[mid][0]))) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    if (low == 0) {
      return blockCount == 0 ? END : 0L;
    }
    int b = low - 1;
    int[] block = blocks[b];
    int from = 1;
    int to = lengths[b];
    while (from < to) {
      int mid = (from + to) >>> 1;
      if (before.test(rowAt.apply(block[mid]))) {
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

  long first() {
    return size == 0 ? END : 0L;
  }

  long last() {
    return size == 0 ? END : cursor(blockCount - 1, lengths[blockCount - 1] - 1);
  }

  long next(long cursor) {
    int b = (int) (cursor >>> 32);
    int i = (int) cursor + 1;
    if (i < lengths[b]) {
      return cursor(b, i);
    }
    return b + 1 < blockCount ? cursor(b + 1, 0) : END;
  }

  long previous(long cursor) {
    int b = (int) (cursor >>> 32);
    int i = (int) cursor - 1;
    if (i >= 0) {
      return cursor(b, i);
    }
    return b > 0 ? cursor(b - 1, lengths[b - 1] - 1) : END;
  }

  /** The position at {@code cursor}. */
  int at(long cursor) {
    return blocks[(int) (cursor >>> 32)][(int) cursor];
  }

  private static long cursor(int block, int index) {
    return ((long) block << 32) | index;
  }

  private void insertAt(int b, int i, int position) {
    int[] block = blocks[b];
    int length = lengths[b];
    if (length == BLOCK) {
      // split in halves, then insert into the half that holds index i
      int half = BLOCK / 2;
      int[] upper = Arrays.copyOfRange(block, half, BLOCK + BLOCK / 4);
      if (blockCount == blocks.length) {
        blocks = Arrays.copyOf(blocks, blockCount * 2);
        lengths = Arrays.copyOf(lengths, blockCount * 2);
      }
      System.arraycopy(blocks, b + 1, blocks, b + 2, blockCount - b - 1);
      System.arraycopy(lengths, b + 1, lengths, b + 2, blockCount - b - 1);
      blocks[b + 1] = upper;
      lengths[b + 1] = BLOCK - half;
      lengths[b] = half;
      blockCount++;
      if (i > half) {
        insertAt(b + 1, i - half, position);
      } else {
        insertAt(b, i, position);
      }
      return;
    }
    if (length == block.length) {
      block = Arrays.copyOf(block, Math.min(BLOCK, length * 2));
      blocks[b] = block;
    }
    System.arraycopy(block, i, block, i + 1, length - i);
    block[i] = position;
    lengths[b] = length + 1;
    size++;
  }
}
