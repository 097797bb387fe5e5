package io.csbs.catalog;

import java.util.function.IntFunction;

/**
 * Backup id to row position, as an open-addressing hash table (linear probing) of one {@code int} per
 * slot: 8 bytes a backup at most, against about 60 for a {@code HashMap<String, Integer>}.
 *
 * <p>Keys are not stored; a probe compares the id of the row at the stored position. That comparison
 * costs several cache misses on a large catalog (the row, the backup, its id and the id's bytes), so
 * each slot also keeps a fingerprint: the high bits of the id's hash, in the bits the position does
 * not need. A probe whose fingerprint differs skips the row at once, which leaves about one row read
 * per lookup in 2,000 mismatching slots at a million rows, and fewer the smaller the catalog.
 */
final class IdIndex {
  private static final int EMPTY = 0;
  private static final int MIN_POSITION_BITS = 4;

  private final IntFunction<String> idAt;
  private int[] table = new int[16];
  private int size;
  /** A slot holds {@code fingerprint << positionBits | position + 1}; 0 is an empty slot. */
  private int positionBits = MIN_POSITION_BITS;

  IdIndex(IntFunction<String> idAt) {
    this.idAt = idAt;
  }

  /** The position of {@code id}, or -1. */
  int get(String id) {
    int hash = spread(id.hashCode());
    int fingerprint = hash >>> positionBits;
    int mask = table.length - 1;
    for (int slot = hash & mask; ; slot = (slot + 1) & mask) {
      int entry = table[slot];
      if (entry == EMPTY) {
        return -1;
      }
      if (entry >>> positionBits == fingerprint) {
        int position = positionOf(entry);
        if (idAt.apply(position).equals(id)) {
          return position;
        }
      }
    }
  }

  /** Maps {@code id} (absent) to {@code position}. */
  void put(String id, int position) {
    ensurePositionFits(position);
    if ((size + 1) * 2 > table.length) {
      resize(table.length * 2);
    }
    insert(spread(id.hashCode()), position);
    size++;
  }

  /**
   * Makes room for {@code expected} ids at positions below {@code expected}, so that a bulk load
   * neither rehashes nor widens the positions on the way.
   */
  void ensureCapacity(int expected) {
    ensurePositionFits(expected);
    int capacity = table.length;
    while (expected * 2L > capacity) {
      capacity *= 2;
    }
    if (capacity > table.length) {
      resize(capacity);
    }
  }

  /** Removes {@code id}, shifting back the entries of its probe run so that lookups stay correct. */
  void remove(String id) {
    int hash = spread(id.hashCode());
    int fingerprint = hash >>> positionBits;
    int mask = table.length - 1;
    int slot = hash & mask;
    while (true) {
      int entry = table[slot];
      if (entry == EMPTY) {
        return;
      }
      if (entry >>> positionBits == fingerprint && idAt.apply(positionOf(entry)).equals(id)) {
        break;
      }
      slot = (slot + 1) & mask;
    }
    table[slot] = EMPTY;
    size--;
    for (int next = (slot + 1) & mask; table[next] != EMPTY; next = (next + 1) & mask) {
      int entry = table[next];
      int home = spread(idAt.apply(positionOf(entry)).hashCode()) & mask;
      // move the entry back into the hole unless its home lies cyclically in (slot, next]
      boolean homeBetween = slot <= next ? (home > slot && home <= next) : (home > slot || home <= next);
      if (!homeBetween) {
        table[slot] = entry;
        table[next] = EMPTY;
        slot = next;
      }
    }
  }

  void clear() {
    table = new int[16];
    size = 0;
    positionBits = MIN_POSITION_BITS;
  }

  private int positionOf(int entry) {
    return (entry & ((1 << positionBits) - 1)) - 1;
  }

  private void insert(int hash, int position) {
    int mask = table.length - 1;
    int slot = hash & mask;
    while (table[slot] != EMPTY) {
      slot = (slot + 1) & mask;
    }
    table[slot] = (hash >>> positionBits) << positionBits | (position + 1);
  }

  /**
   * Widens the position field when {@code position + 1} no longer fits. The fingerprints lose their
   * lowest bits, which keeps them the high bits of each hash, so no id is read to re-encode them.
   */
  private void ensurePositionFits(int position) {
    int needed = Math.max(MIN_POSITION_BITS, 32 - Integer.numberOfLeadingZeros(position + 1));
    if (needed <= positionBits) {
      return;
    }
    int oldBits = positionBits;
    int oldMask = (1 << oldBits) - 1;
    int widen = needed - oldBits;
    for (int slot = 0; slot < table.length; slot++) {
      int entry = table[slot];
      if (entry != EMPTY) {
        int fingerprint = (entry >>> oldBits) >>> widen;
        table[slot] = fingerprint << needed | (entry & oldMask);
      }
    }
    positionBits = needed;
  }

  private void resize(int capacity) {
    int[] old = table;
    table = new int[capacity];
    for (int entry : old) {
      if (entry != EMPTY) {
        int position = positionOf(entry);
        insert(spread(idAt.apply(position).hashCode()), position);
      }
    }
  }

  /** Mixes all bits of the hash into the low ones that pick the slot (Murmur3's finalizer). */
  private static int spread(int hash) {
    int h = hash ^ (hash >>> 16);
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    return h ^ (h >>> 16);
  }
}
