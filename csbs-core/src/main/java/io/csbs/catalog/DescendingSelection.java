package io.csbs.catalog;

import java.util.ArrayList;
import java.util.List;

/**
 * Positions given in no order (the stalled jobs, in the order their progress last changed), read
 * the way a first page reads them, from the largest down, without sorting them all: each {@link
 * #previous} is served from a batch of the next {@value #BATCH} largest positions, which one pass
 * over the positions selects. A page of 20 newest first costs one pass, tens of microseconds for
 * tens of thousands of positions, where sorting them cost hundreds. A test of one position asks the
 * predicate that chose them, and a count of a range counts in a pass (a page beside a shard's late
 * rows asks both, for the late rows only); anything else (a walk upwards, a deep page that needs more
 * than {@value #PASSES} batches, more than {@value #PASSES} counts) sorts them once and reads the
 * sorted array.
 *
 * <p>The positions are read where they are (the blocks of a {@link TimeOrder}), not copied, until a
 * sort needs them in an array of their own.
 *
 * <pre>{@code
 * Positions stalled = DescendingSelection.of(new int[] {40, 7, 99, 12});
 * stalled.previous(Integer.MAX_VALUE);   // 99
 * stalled.previous(98);                  // 40
 * }</pre>
 */
final class DescendingSelection extends Positions.Walked {
  static final int BATCH = 64;
  private static final int PASSES = 2;

  /** Where the values are, in blocks: each pass reads them all. */
  private final java.util.function.Consumer<TimeOrder.BlockAction> blocks;
  /**
   * Where the values below {@link #lateFrom} are, in blocks: a pass for values below it reads these
   * only (the values from it on, a shard's tail rows', are in blocks of their own).
   */
  private final java.util.function.Consumer<TimeOrder.BlockAction> blocksBelowLate;
  private final int lateFrom;
  private final java.util.function.Supplier<int[]> copy;
  /** Whether a position is one of them, without the array; null to use the sorted array. */
  private final java.util.function.IntPredicate member;
  private int counts;
  /** All the values sorted, once anything but a descending walk is asked; null before. */
  private MatchSet sorted;
  /** The current batch, descending, and where the walk is in it. */
  private final int[] batch = new int[BATCH];
  private int batchSize;
  private int batchIndex;
  /** The next batch takes the largest values below this; every value is at or above it once exhausted. */
  private long below = Long.MAX_VALUE;
  private int passes;
  /** The last position {@link #previous} was asked for: a later call must ask for less. */
  private long lastAsked = Long.MAX_VALUE;

  // the batch being selected by a pass
  private int selected;
  private int smallest;

  private DescendingSelection(int count, java.util.function.Consumer<TimeOrder.BlockAction> blocks,
      java.util.function.Consumer<TimeOrder.BlockAction> blocksBelowLate, int lateFrom,
      java.util.function.Supplier<int[]> copy, java.util.function.IntPredicate member) {
    super(count);
    this.blocks = blocks;
    this.blocksBelowLate = blocksBelowLate;
    this.lateFrom = lateFrom;
    this.copy = copy;
    this.member = member;
  }

  /** Over {@code values}, distinct non-negative positions, which it keeps (and may reorder). */
  static DescendingSelection of(int[] values) {
    java.util.function.Consumer<TimeOrder.BlockAction> blocks = action -> action.accept(values, values.length, Integer.MAX_VALUE);
    return new DescendingSelection(values.length, blocks, blocks, Integer.MAX_VALUE, () -> values, null);
  }

  /**
   * Over the values of the first {@code count} entries of {@code order}, distinct non-negative
   * positions, which {@code member} tells apart from every other position.
   */
  static DescendingSelection firstOf(TimeOrder order, int count, java.util.function.IntPredicate member) {
    java.util.function.Consumer<TimeOrder.BlockAction> blocks = action -> order.forEachBlockOfFirst(count, action);
    return new DescendingSelection(count, blocks, blocks, Integer.MAX_VALUE, () -> order.firstValues(count), member);
  }

  /**
   * Over the values of the first {@code count} entries of {@code order}, all below {@code lateFrom},
   * and of the first {@code lateCount} entries of {@code late}, all at or above it (a shard's sorted
   * rows and its tail), distinct non-negative positions, which {@code member} tells apart from every
   * other position. A walk below {@code lateFrom} reads {@code order}'s blocks only.
   */
  static DescendingSelection firstOf(TimeOrder order, int count, TimeOrder late, int lateCount, int lateFrom,
      java.util.function.IntPredicate member) {
    return new DescendingSelection(count + lateCount, action -> {
      order.forEachBlockOfFirst(count, action);
      late.forEachBlockOfFirst(lateCount, action);
    }, action -> order.forEachBlockOfFirst(count, action), lateFrom, () -> {
      int[] values = java.util.Arrays.copyOf(order.firstValues(count), count + lateCount);
      System.arraycopy(late.firstValues(lateCount), 0, values, count, lateCount);
      return values;
    }, member);
  }

  @Override
  public int previous(int position) {
    if (sorted != null || position >= lastAsked) {
      return sorted().previous(position);
    }
    lastAsked = position;
    if (position < 0) {
      return -1;
    }
    while (true) {
      while (batchIndex < batchSize && batch[batchIndex] > position) {
        batchIndex++;
      }
      if (batchIndex < batchSize) {
        return batch[batchIndex];
      }
      if (below <= 0) {
        return -1;  // every value was in a batch
      }
      if (passes == PASSES) {
        return sorted().previous(position);
      }
      nextBatch(Math.min(below, (long) position + 1));
    }
  }

  /** Selects the {@value #BATCH} largest values below {@code bound}, descending, in one pass. */
  private void nextBatch(long bound) {
    passes++;
    selected = 0;
    smallest = Integer.MAX_VALUE;  // of the batch while full: a value must beat it to enter
    // the blocks with the largest values first: once the batch is full, a block whose largest value
    // does not beat its smallest is skipped, and with it every later one (positions of jobs that
    // changed at about the same time are close, so few blocks are read)
    List<int[]> arrays = new ArrayList<>();
    List<long[]> lengthAndMax = new ArrayList<>();
    (bound <= lateFrom ? blocksBelowLate : blocks).accept((block, length, max) -> {
      lengthAndMax.add(new long[] {(long) max << 32 | arrays.size(), length});
      arrays.add(block);
    });
    lengthAndMax.sort((a, b) -> Long.compare(b[0], a[0]));
    for (long[] entry : lengthAndMax) {
      int max = (int) (entry[0] >> 32);
      if (selected == BATCH && max <= smallest) {
        break;
      }
      offer(arrays.get((int) entry[0]), (int) entry[1], bound);
    }
    batchSize = selected;
    batchIndex = 0;
    below = selected < BATCH ? 0 : batch[BATCH - 1];
  }

  private void offer(int[] block, int length, long bound) {
    for (int i = 0; i < length; i++) {
      int value = block[i];
      if (value >= bound || (selected == BATCH && value <= smallest)) {
        continue;
      }
      // insert into the descending batch, dropping its smallest when full
      int at = selected == BATCH ? BATCH - 1 : selected++;
      while (at > 0 && batch[at - 1] < value) {
        batch[at] = batch[at - 1];
        at--;
      }
      batch[at] = value;
      if (selected == BATCH) {
        smallest = batch[BATCH - 1];
      }
    }
  }

  private MatchSet sorted() {
    if (sorted == null) {
      int[] values = copy.get();
      IntSort.sort(values);
      sorted = MatchSet.sparse(values, values.length);
    }
    return sorted;
  }

  @Override
  public boolean contains(int position) {
    return member != null && sorted == null ? member.test(position) : sorted().contains(position);
  }

  @Override
  public int countIn(int from, int to) {
    if (sorted != null || ++counts > PASSES) {
      return sorted().countIn(from, to);
    }
    int[] count = {0};
    blocks.accept((block, length, max) -> {
      if (max >= from) {
        for (int i = 0; i < length; i++) {
          int value = block[i];
          if (value >= from && value < to) {
            count[0]++;
          }
        }
      }
    });
    return count[0];
  }

  @Override
  public int next(int position) {
    return sorted().next(position);
  }

  /** In one pass over the values where they are, unless they were sorted already. */
  @Override
  public void forEachFrom(int from, java.util.function.IntConsumer action) {
    if (sorted != null) {
      sorted.forEachFrom(from, action);
      return;
    }
    blocks.accept((block, length, max) -> {
      if (max >= from) {
        for (int i = 0; i < length; i++) {
          if (block[i] >= from) {
            action.accept(block[i]);
          }
        }
      }
    });
  }
}
