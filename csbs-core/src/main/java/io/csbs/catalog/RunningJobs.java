package io.csbs.catalog;

import java.time.Instant;
import java.util.Arrays;

/**
 * The rows in an intermediate state with the instant their progress last changed: an open-addressing
 * table from position to that instant, so that a search for stalled jobs reads a few compact arrays
 * instead of following every running backup's progress object. Running jobs are a small part of a
 * catalog, so the table stays small.
 */
final class RunningJobs {
  private static final int EMPTY = -1;

  private int[] positions = emptyTable(16);
  private long[] seconds = new long[16];
  private int[] nanos = new int[16];
  private int size;

  int size() {
    return size;
  }

  void put(int position, Instant changedAt) {
    int slot = find(position);
    if (positions[slot] == EMPTY) {
      if ((size + 1) * 2 > positions.length) {
        resize(positions.length * 2);
        slot = find(position);
      }
      positions[slot] = position;
      size++;
    }
    seconds[slot] = changedAt.getEpochSecond();
    nanos[slot] = changedAt.getNano();
  }

  void remove(int position) {
    int slot = find(position);
    if (positions[slot] == EMPTY) {
      return;
    }
    positions[slot] = EMPTY;
    size--;
    int mask = positions.length - 1;
    for (int next = (slot + 1) & mask; positions[next] != EMPTY; next = (next + 1) & mask) {
      int home = home(positions[next], mask);
      boolean homeBetween = slot <= next ? (home > slot && home <= next) : (home > slot || home <= next);
      if (!homeBetween) {
        positions[slot] = positions[next];
        seconds[slot] = seconds[next];
        nanos[slot] = nanos[next];
        positions[next] = EMPTY;
        slot = next;
      }
    }
  }

  void clear() {
    positions = emptyTable(16);
    seconds = new long[16];
    nanos = new int[16];
    size = 0;
  }

  /** Whether the running job at {@code position} last changed before {@code cutoff}. */
  boolean changedBefore(int position, Instant cutoff) {
    int slot = find(position);
    return positions[slot] != EMPTY && before(slot, cutoff);
  }

  /** The positions of the running jobs whose progress last changed before {@code cutoff}. */
  MatchSet changedBefore(Instant cutoff) {
    int[] found = new int[size];
    int count = 0;
    for (int slot = 0; slot < positions.length; slot++) {
      if (positions[slot] != EMPTY && before(slot, cutoff)) {
        found[count++] = positions[slot];
      }
    }
    Arrays.sort(found, 0, count);
    return MatchSet.sparse(found, count);
  }

  private boolean before(int slot, Instant cutoff) {
    long cutoffSeconds = cutoff.getEpochSecond();
    return seconds[slot] < cutoffSeconds || (seconds[slot] == cutoffSeconds && nanos[slot] < cutoff.getNano());
  }

  private int find(int position) {
    int mask = positions.length - 1;
    int slot = home(position, mask);
    while (positions[slot] != EMPTY && positions[slot] != position) {
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  private void resize(int capacity) {
    int[] oldPositions = positions;
    long[] oldSeconds = seconds;
    int[] oldNanos = nanos;
    positions = emptyTable(capacity);
    seconds = new long[capacity];
    nanos = new int[capacity];
    for (int slot = 0; slot < oldPositions.length; slot++) {
      if (oldPositions[slot] != EMPTY) {
        int to = find(oldPositions[slot]);
        positions[to] = oldPositions[slot];
        seconds[to] = oldSeconds[slot];
        nanos[to] = oldNanos[slot];
      }
    }
  }

  private static int home(int position, int mask) {
    return (position * 0x9E3779B1 >>> 7) & mask;
  }

  private static int[] emptyTable(int capacity) {
    int[] table = new int[capacity];
    Arrays.fill(table, EMPTY);
    return table;
  }
}
