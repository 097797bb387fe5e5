package io.csbs.catalog;

import java.time.Instant;
import java.util.Arrays;

/**
 * The rows in an intermediate state with the instant their progress last changed: an open-addressing
 * table from position to that instant, so that a search for stalled jobs reads one compact array
 * instead of following every running backup's progress object. Running jobs are a small part of a
 * catalog, so the table stays small.
 *
 * <p>A slot is two adjacent longs, {@code (position + 1) << 32 | nanos} and the epoch second, so that
 * a progress report (a lookup and a write) touches one cache line; 0 marks an empty slot.
 */
final class RunningJobs {
  private static final int EMPTY = 0;

  /** Two longs a slot; the number of slots is a power of two. */
  private long[] slots = new long[2 * 16];
  private int size;

  /** About the bytes the table takes on the heap. */
  long estimatedBytes() {
    return 32 + 16 + 8L * slots.length;
  }

  int size() {
    return size;
  }

  void put(int position, Instant changedAt) {
    int slot = find(position);
    if (slots[slot] == EMPTY) {
      if ((size + 1) * 4L > capacity() * 3L) {  // at most 3/4 full: short probe runs, little slack
        resize(capacity() * 2);
        slot = find(position);
      }
      size++;
    }
    slots[slot] = key(position) | changedAt.getNano();
    slots[slot + 1] = changedAt.getEpochSecond();
  }

  void remove(int position) {
    int slot = find(position);
    if (slots[slot] == EMPTY) {
      return;
    }
    slots[slot] = EMPTY;
    size--;
    int mask = slots.length - 1;
    for (int next = (slot + 2) & mask; slots[next] != EMPTY; next = (next + 2) & mask) {
      int home = home(positionIn(slots[next]), mask);
      // move the entry back into the hole unless its home lies cyclically in (slot, next]
      boolean homeBetween = slot <= next ? (home > slot && home <= next) : (home > slot || home <= next);
      if (!homeBetween) {
        slots[slot] = slots[next];
        slots[slot + 1] = slots[next + 1];
        slots[next] = EMPTY;
        slot = next;
      }
    }
  }

  void clear() {
    slots = new long[2 * 16];
    size = 0;
  }

  /** Whether the running job at {@code position} last changed before {@code cutoff}. */
  boolean changedBefore(int position, Instant cutoff) {
    int slot = find(position);
    return slots[slot] != EMPTY && before(slot, cutoff);
  }

  /** The positions of the running jobs whose progress last changed before {@code cutoff}. */
  MatchSet changedBefore(Instant cutoff) {
    int[] found = new int[size];
    int count = 0;
    for (int slot = 0; slot < slots.length; slot += 2) {
      if (slots[slot] != EMPTY && before(slot, cutoff)) {
        found[count++] = positionIn(slots[slot]);
      }
    }
    Arrays.sort(found, 0, count);
    return MatchSet.sparse(found, count);
  }

  private boolean before(int slot, Instant cutoff) {
    long seconds = slots[slot + 1];
    long cutoffSeconds = cutoff.getEpochSecond();
    return seconds < cutoffSeconds || (seconds == cutoffSeconds && (int) slots[slot] < cutoff.getNano());
  }

  /** The slot (an even index) holding {@code position}, or the empty slot where it would go. */
  private int find(int position) {
    int mask = slots.length - 1;
    long key = key(position);
    int slot = home(position, mask);
    while (slots[slot] != EMPTY && (slots[slot] & 0xFFFF_FFFF_0000_0000L) != key) {
      slot = (slot + 2) & mask;
    }
    return slot;
  }

  private int capacity() {
    return slots.length / 2;
  }

  private void resize(int capacity) {
    long[] old = slots;
    slots = new long[2 * capacity];
    for (int slot = 0; slot < old.length; slot += 2) {
      if (old[slot] != EMPTY) {
        int to = find(positionIn(old[slot]));
        slots[to] = old[slot];
        slots[to + 1] = old[slot + 1];
      }
    }
  }

  private static long key(int position) {
    return (long) (position + 1) << 32;
  }

  private static int positionIn(long first) {
    return (int) (first >>> 32) - 1;
  }

  /** The home slot of {@code position}: an even index below {@code mask}. */
  private static int home(int position, int mask) {
    return (position * 0x9E3779B1 >>> 7) << 1 & mask;
  }
}
