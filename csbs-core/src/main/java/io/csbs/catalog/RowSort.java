package io.csbs.catalog;

import io.csbs.backup.Backup;
import java.time.Instant;
import java.util.Arrays;

/**
 * Sorts backups into row order (created at, then id) for bulk loads and rebuilds. A comparison sort
 * of a million backups chases two objects per comparison and takes about a second; this one reads
 * each creation time once into a {@code long}, radix-sorts the keys with the positions alongside,
 * and compares ids only among equal creation times.
 */
final class RowSort {
  private static final int SMALL = 4096;
  /** Seconds whose nanosecond count fits in a long (about 285 years either side of 1970). */
  private static final long MAX_SECONDS = 9_000_000_000L;
  private static final int DIGIT_BITS = 16;
  private static final int DIGITS = 1 << DIGIT_BITS;

  private RowSort() {}

  static void sort(Backup[] rows, int from, int to) {
    int n = to - from;
    if (n < SMALL) {
      Arrays.sort(rows, from, to, ProjectShard.ROW_ORDER);
      return;
    }
    long[] keys = new long[n];
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (int i = 0; i < n; i++) {
      Instant created = rows[from + i].createdAt();
      long seconds = created.getEpochSecond();
      if (seconds > MAX_SECONDS || seconds < -MAX_SECONDS) {
        Arrays.sort(rows, from, to, ProjectShard.ROW_ORDER);
        return;
      }
      long key = seconds * 1_000_000_000L + created.getNano();
      keys[i] = key;
      min = Math.min(min, key);
      max = Math.max(max, key);
    }
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
      keys[i] -= min;
    }
    radixSort(keys, order, 64 - Long.numberOfLeadingZeros(max - min));

    Backup[] sorted = new Backup[n];
    for (int i = 0; i < n; i++) {
      sorted[i] = rows[from + order[i]];
    }
    // equal creation times are ordered by id
    for (int start = 0; start < n; ) {
      int end = start + 1;
      while (end < n && keys[end] == keys[start]) {
        end++;
      }
      if (end - start > 1) {
        Arrays.sort(sorted, start, end, ProjectShard.ROW_ORDER);
      }
      start = end;
    }
    System.arraycopy(sorted, 0, rows, from, n);
  }

  /** LSD radix sort of non-negative {@code keys} of {@code bits} bits, moving {@code order} alongside. */
  private static void radixSort(long[] keys, int[] order, int bits) {
    int n = keys.length;
    long[] keyBuffer = new long[n];
    int[] orderBuffer = new int[n];
    int[] counts = new int[DIGITS + 1];
    for (int shift = 0; shift < bits; shift += DIGIT_BITS) {
      Arrays.fill(counts, 0);
      for (long key : keys) {
        counts[(int) ((key >>> shift) & (DIGITS - 1)) + 1]++;
      }
      for (int d = 0; d < DIGITS; d++) {
        counts[d + 1] += counts[d];
      }
      for (int i = 0; i < n; i++) {
        int digit = (int) ((keys[i] >>> shift) & (DIGITS - 1));
        int at = counts[digit]++;
        keyBuffer[at] = keys[i];
        orderBuffer[at] = order[i];
      }
      System.arraycopy(keyBuffer, 0, keys, 0, n);
      System.arraycopy(orderBuffer, 0, order, 0, n);
    }
  }
}
