package io.csbs.catalog;

import java.util.Arrays;

/**
 * Positions given in no order (the stalled jobs, in the order their progress last changed), read
 * the way a first page reads them, from the largest down, without sorting them all: each {@link
 * #previous} is served from a batch of the next {@value #BATCH} largest positions, which one pass
 * over the positions selects. A page of 20 newest first costs one pass, tens of microseconds for
 * tens of thousands of positions, where sorting them cost hundreds. Anything else (a walk upwards,
 * a count of a range, a test, a deep page that needs more than {@value #PASSES} batches) sorts them
 * once and reads the sorted array.
 *
 * <pre>{@code
 * Positions stalled = new DescendingSelection(new int[] {40, 7, 99, 12});
 * stalled.previous(Integer.MAX_VALUE);   // 99
 * stalled.previous(98);                  // 40
 * }</pre>
 */
final class DescendingSelection extends Positions.Walked {
  static final int BATCH = 64;
  private static final int PASSES = 2;

  private final int[] values;
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

  /** Over {@code values}, distinct non-negative positions, which it keeps (and may reorder). */
  DescendingSelection(int[] values) {
    super(values.length);
    this.values = values;
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
    int size = 0;
    int smallest = Integer.MAX_VALUE;  // of the batch while full: a value must beat it to enter
    for (int value : values) {
      if (value >= bound || (size == BATCH && value <= smallest)) {
        continue;
      }
      // insert into the descending batch, dropping its smallest when full
      int at = size == BATCH ? BATCH - 1 : size++;
      while (at > 0 && batch[at - 1] < value) {
        batch[at] = batch[at - 1];
        at--;
      }
      batch[at] = value;
      if (size == BATCH) {
        smallest = batch[BATCH - 1];
      }
    }
    batchSize = size;
    batchIndex = 0;
    below = size < BATCH ? 0 : batch[BATCH - 1];
  }

  private MatchSet sorted() {
    if (sorted == null) {
      IntSort.sort(values);
      sorted = MatchSet.sparse(values, values.length);
    }
    return sorted;
  }

  @Override
  public boolean contains(int position) {
    return sorted().contains(position);
  }

  @Override
  public int countIn(int from, int to) {
    return sorted().countIn(from, to);
  }

  @Override
  public int next(int position) {
    return sorted().next(position);
  }
}
