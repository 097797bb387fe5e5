package io.csbs.catalog;

import java.time.Instant;

/**
 * The rows in an intermediate state with the instant their progress last changed: an open-addressing
 * table from position to that instant, so that testing a row for a stall reads one compact array
 * instead of following the backup's progress object, and the same jobs in two {@link TimeOrder}s (the
 * sorted rows' and the tail's), in the order of that instant, so that the stalled ones are counted
 * and listed without reading the others. Running jobs are a small part of a catalog, so both stay
 * small.
 *
 * <p>A slot is two adjacent longs, {@code (position + 1) << 32 | late << 31 | nanos} and the epoch
 * second, so that a progress report (a lookup and a write) touches one cache line; 0 marks an empty slot.
 *
 * <p>Like {@link IdIndex}, the table grows without a pause: a larger table is started beside the old
 * one, in pages allocated as first written, and every later put or remove moves the next {@value
 * #MIGRATE_SLOTS} slots of the old one into it. (A catalog of 5M backups with a few percent running
 * holds a few hundred thousand jobs: rehashing them at once, into a table zeroed at once, held the
 * write lock for milliseconds.) Lookups read the new table, then the old one's slots not yet moved;
 * a job removed before it moved leaves a tombstone, so that no probe run of the old table is cut.
 */
final class RunningJobs {
  private static final long EMPTY = 0;
  /** A removed job of a draining table: not empty, and no position (position + 1 never reaches it). */
  private static final long TOMBSTONE = 0xFFFF_FFFF_0000_0000L;
  /** Old slots moved into the new table by each put or remove while a table grows. */
  static final int MIGRATE_SLOTS = 8;

  private Table current = new Table(16);
  /** The table being drained into {@link #current}, or null. */
  private Table old;
  /** Slots of {@link #old} below this have moved. */
  private int migrated;
  /** Jobs in {@link #old} at or above {@link #migrated}. */
  private int oldLive;
  /**
   * The jobs of the sorted rows in the order of their change, then position: the stalled ones are a
   * prefix; the tail's jobs in {@link #lateTimes}.
   */
  private final TimeOrder times = new TimeOrder();
  /**
   * The jobs of the shard's tail rows (late backups, at positions past the sorted rows), apart: a
   * first page walks the sorted rows' stalled jobs from the largest position down, skipping the
   * blocks of this order whose largest position can no longer enter, and a late job in every block
   * (a retention job that adds the oldest back, late) left it none to skip. A live row stays in the
   * tail or in the sorted rows for as long as it lives, so a job never moves between the two.
   */
  private final TimeOrder lateTimes = new TimeOrder();
  /** In a slot's first long, beside the nanoseconds (below 2^30): the job is in {@link #lateTimes}. */
  private static final long LATE = 1L << 31;
  private static final long NANOS = 0x7FFF_FFFFL;

  /** About the bytes the tables take on the heap. */
  long estimatedBytes() {
    return 48 + current.estimatedBytes() + (old == null ? 0 : old.estimatedBytes()) + times.estimatedBytes()
        + lateTimes.estimatedBytes();
  }

  int size() {
    return current.size + oldLive;
  }

  /** Records that the job at {@code position}, a tail row's when {@code late}, changed at {@code changedAt}. */
  void put(int position, Instant changedAt, boolean late) {
    migrateSome();
    int slot = current.find(position);
    if (current.key(slot) == EMPTY) {
      removeFromOld(position);
      if ((current.size + 1) * 4L > current.capacity * 3L) {  // at most 3/4 full: short probe runs
        grow();
        slot = current.find(position);
      }
      current.size++;
    } else {
      orderOf(current.key(slot)).remove(current.seconds(slot), current.nanos(slot), position, byPosition(position));
    }
    current.set(slot, keyOf(position) | (late ? LATE : 0) | changedAt.getNano(), changedAt.getEpochSecond());
    (late ? lateTimes : times).insert(changedAt.getEpochSecond(), changedAt.getNano(), position, byPosition(position));
  }

  /**
   * Reads what {@link #put put(position, changedAt, late)} will search for, changing nothing: a
   * transition calls it under the shard's read lock, beside the readers, so that the put under the
   * write lock finds the job's slot and its old and new places in the order in the cache. Those
   * searches were cache misses, about three quarters of a transition's hold of the write lock, and
   * the readers waited for them. The answer means nothing: it is returned so that the reads are not
   * optimised away.
   */
  long readAheadOfPut(int position, Instant changedAt, boolean late) {
    return readAheadOfRemove(position)
        + (late ? lateTimes : times).seek(changedAt.getEpochSecond(), changedAt.getNano(), byPosition(position));
  }

  /** Reads what {@link #remove remove(position)} will search for, changing nothing: see {@link #readAheadOfPut}. */
  long readAheadOfRemove(int position) {
    int slot = current.find(position);
    long key = current.key(slot);
    if (key == EMPTY && old != null) {
      Table table = old;
      slot = table.findUnmoved(position, migrated);
      return slot < 0 ? 0 : table.key(slot) + locate(table, slot, position);
    }
    return key == EMPTY ? slot : key + locate(current, slot, position);
  }

  /** Where the job in {@code slot} of {@code table} lies in its order. */
  private long locate(Table table, int slot, int position) {
    return orderOf(table.key(slot)).locate(table.seconds(slot), table.nanos(slot), position, byPosition(position));
  }

  /** The order that holds the job of the slot whose first long is {@code key}. */
  private TimeOrder orderOf(long key) {
    return (key & LATE) != 0 ? lateTimes : times;
  }

  void remove(int position) {
    migrateSome();
    int slot = current.find(position);
    if (current.key(slot) != EMPTY) {
      orderOf(current.key(slot)).remove(current.seconds(slot), current.nanos(slot), position, byPosition(position));
      current.removeAt(slot);
    } else {
      removeFromOld(position);
    }
  }

  /** Packs the order of the jobs' instants ({@link TimeOrder#trim()}), after a batch that built a whole shard. */
  void trim() {
    times.trim();
    lateTimes.trim();
  }

  void clear() {
    current = new Table(16);
    old = null;
    migrated = 0;
    oldLive = 0;
    times.clear();
    lateTimes.clear();
  }

  /** Whether the running job at {@code position} last changed before {@code cutoff}. */
  boolean changedBefore(int position, Instant cutoff) {
    int slot = current.find(position);
    if (current.key(slot) != EMPTY) {
      return current.before(slot, cutoff);
    }
    if (old != null) {
      slot = old.findUnmoved(position, migrated);
      return slot >= 0 && old.before(slot, cutoff);
    }
    return false;
  }

  /** The positions of the running jobs whose progress last changed before {@code cutoff}. */
  MatchSet changedBefore(Instant cutoff) {
    return firstOfBoth(countBefore(times, cutoff), countBefore(lateTimes, cutoff));
  }

  /** The first {@code inOrder} positions of {@link #times} and {@code lateCount} of {@link #lateTimes}, sorted. */
  private MatchSet firstOfBoth(int inOrder, int lateCount) {
    int[] sorted = times.firstValues(inOrder);
    int[] late = lateTimes.firstValues(lateCount);
    int[] found = java.util.Arrays.copyOf(sorted, sorted.length + late.length);
    System.arraycopy(late, 0, found, sorted.length, late.length);
    IntSort.sort(found);
    return MatchSet.sparse(found, found.length);
  }

  /**
   * The positions of the running jobs whose progress last changed before {@code cutoff}, for a page
   * newest first: read where they are, sorted only if the page needs more than a few (valid while
   * the caller holds the lock it holds now). {@code lateFrom}: the shard's first tail position, where
   * the late jobs' positions start.
   */
  Positions positionsChangedBefore(Instant cutoff, int lateFrom) {
    int inOrder = countBefore(times, cutoff);
    int late = countBefore(lateTimes, cutoff);
    if (inOrder + late < DescendingSelection.BATCH) {
      return firstOfBoth(inOrder, late);
    }
    return DescendingSelection.firstOf(times, inOrder, lateTimes, late, lateFrom, position -> changedBefore(position, cutoff));
  }

  /** How many running jobs last changed before {@code cutoff}: binary searches, not a read of them all. */
  int countChangedBefore(Instant cutoff) {
    return countBefore(times, cutoff) + countBefore(lateTimes, cutoff);
  }

  private static int countBefore(TimeOrder order, Instant cutoff) {
    return order.countBefore(cutoff.getEpochSecond(), cutoff.getNano());
  }

  /** Among jobs that changed at the same instant, the order of positions. */
  private static TimeOrder.Tie byPosition(int position) {
    return stored -> Integer.compare(stored, position);
  }

  private void removeFromOld(int position) {
    if (old != null) {
      int slot = old.findUnmoved(position, migrated);
      if (slot >= 0) {
        orderOf(old.key(slot)).remove(old.seconds(slot), old.nanos(slot), position, byPosition(position));
        old.set(slot, TOMBSTONE, 0);
        oldLive--;
      }
    }
  }

  /** Starts draining the current table into one twice its size; a drain still running ends first. */
  private void grow() {
    finishMigration();
    old = current;
    oldLive = old.size;
    migrated = 0;
    current = new Table(old.capacity * 2);
  }

  private void migrateSome() {
    if (old != null) {
      migrate(Math.min(old.capacity, migrated + MIGRATE_SLOTS));
    }
  }

  private void finishMigration() {
    if (old != null) {
      migrate(old.capacity);
    }
  }

  private void migrate(int end) {
    for (int slot = migrated; slot < end; slot++) {
      long key = old.key(slot);
      if (key != EMPTY && key != TOMBSTONE) {
        int to = current.find(positionIn(key));
        current.set(to, key, old.seconds(slot));
        current.size++;
        oldLive--;
      }
    }
    migrated = end;
    if (end == old.capacity) {
      old = null;
      oldLive = 0;
      migrated = 0;
    }
  }

  private static long keyOf(int position) {
    return (long) (position + 1) << 32;
  }

  private static int positionIn(long first) {
    return (int) (first >>> 32) - 1;
  }

  /**
   * One table of a power of two slots, two longs each, in pages of {@value #PAGE} slots that a large
   * table allocates as they are first written; a page never written reads as empty slots.
   */
  private static final class Table {
    static final int PAGE_BITS = 13;
    static final int PAGE = 1 << PAGE_BITS;

    final long[][] pages;
    final int capacity;
    int size;

    Table(int capacity) {
      this.capacity = capacity;
      this.pages = new long[Math.max(1, capacity >>> PAGE_BITS)][];
      if (capacity < PAGE) {
        pages[0] = new long[2 * capacity];
      }
    }

    long estimatedBytes() {
      long bytes = 32 + 16 + 4L * pages.length;
      for (long[] page : pages) {
        bytes += page == null ? 0 : 16 + 8L * page.length;
      }
      return bytes;
    }

    long key(int slot) {
      long[] page = pages[slot >>> PAGE_BITS];
      return page == null ? EMPTY : page[(slot & (PAGE - 1)) << 1];
    }

    int nanos(int slot) {
      return (int) (key(slot) & NANOS);  // the low half of the first long, but its late flag
    }

    long seconds(int slot) {
      return pages[slot >>> PAGE_BITS][((slot & (PAGE - 1)) << 1) + 1];
    }

    void set(int slot, long key, long seconds) {
      long[] page = pages[slot >>> PAGE_BITS];
      if (page == null) {
        page = new long[2 * PAGE];
        pages[slot >>> PAGE_BITS] = page;
      }
      int at = (slot & (PAGE - 1)) << 1;
      page[at] = key;
      page[at + 1] = seconds;
    }

    /** The slot holding {@code position}, or the empty slot where it would go (tombstones are passed). */
    int find(int position) {
      long key = keyOf(position);
      int slot = home(position);
      for (long stored = key(slot); stored != EMPTY && (stored & 0xFFFF_FFFF_0000_0000L) != key;
          stored = key(slot)) {
        slot = (slot + 1) & (capacity - 1);
      }
      return slot;
    }

    /** The slot at or above {@code movedBelow} holding {@code position}, or -1. */
    int findUnmoved(int position, int movedBelow) {
      int slot = find(position);
      return key(slot) != EMPTY && slot >= movedBelow ? slot : -1;
    }

    /** Empties {@code slot}, shifting back the entries of its probe run so that lookups stay correct. */
    void removeAt(int slot) {
      set(slot, EMPTY, 0);
      size--;
      int mask = capacity - 1;
      for (int next = (slot + 1) & mask; key(next) != EMPTY; next = (next + 1) & mask) {
        int home = home(positionIn(key(next)));
        // move the entry back into the hole unless its home lies cyclically in (slot, next]
        boolean homeBetween = slot <= next ? (home > slot && home <= next) : (home > slot || home <= next);
        if (!homeBetween) {
          set(slot, key(next), seconds(next));
          set(next, EMPTY, 0);
          slot = next;
        }
      }
    }

    boolean before(int slot, Instant cutoff) {
      long seconds = seconds(slot);
      long cutoffSeconds = cutoff.getEpochSecond();
      return seconds < cutoffSeconds || (seconds == cutoffSeconds && nanos(slot) < cutoff.getNano());
    }

    /** The home slot of {@code position}. */
    int home(int position) {
      return (position * 0x9E3779B1 >>> 7) & (capacity - 1);
    }
  }
}
