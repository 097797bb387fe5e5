package io.csbs.catalog;

import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * Backup id to row position, as an open-addressing hash table of positions (linear probing): 8 bytes a
 * backup at most, against about 60 for a {@code HashMap<String, Integer>}. Keys are not stored; a
 * probe compares the id of the row at the stored position.
 */
final class IdIndex {
  private static final int EMPTY = -1;

  private final IntFunction<String> idAt;
  private int[] table = newTable(16);
  private int size;

  IdIndex(IntFunction<String> idAt) {
    this.idAt = idAt;
  }

  /** The position of {@code id}, or -1. */
  int get(String id) {
    int mask = table.length - 1;
    for (int slot = spread(id.hashCode()) & mask; ; slot = (slot + 1) & mask) {
      int position = table[slot];
      if (position == EMPTY) {
        return -1;
      }
      if (idAt.apply(position).equals(id)) {
        return position;
      }
    }
  }

  /** Maps {@code id} (absent) to {@code position}. */
  void put(String id, int position) {
    if ((size + 1) * 2 > table.length) {
      resize(table.length * 2);
    }
    insert(id, position);
    size++;
  }

  /** Makes room for {@code expected} ids in all, so that a bulk load does not rehash on the way. */
  void ensureCapacity(int expected) {
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
    int mask = table.length - 1;
    int slot = spread(id.hashCode()) & mask;
    while (true) {
      int position = table[slot];
      if (position == EMPTY) {
        return;
      }
      if (idAt.apply(position).equals(id)) {
        break;
      }
      slot = (slot + 1) & mask;
    }
    table[slot] = EMPTY;
    size--;
    for (int next = (slot + 1) & mask; table[next] != EMPTY; next = (next + 1) & mask) {
      int position = table[next];
      int home = spread(idAt.apply(position).hashCode()) & mask;
      // move the entry back into the hole unless its home lies cyclically in (slot, next]
      boolean homeBetween = slot <= next ? (home > slot && home <= next) : (home > slot || home <= next);
      if (!homeBetween) {
        table[slot] = position;
        table[next] = EMPTY;
        slot = next;
      }
    }
  }

  void clear() {
    table = newTable(16);
    size = 0;
  }

  private void insert(String id, int position) {
    int mask = table.length - 1;
    int slot = spread(id.hashCode()) & mask;
    while (table[slot] != EMPTY) {
      slot = (slot + 1) & mask;
    }
    table[slot] = position;
  }

  private void resize(int capacity) {
    int[] old = table;
    table = newTable(capacity);
    for (int position : old) {
      if (position != EMPTY) {
        insert(idAt.apply(position), position);
      }
    }
  }

  private static int[] newTable(int capacity) {
    int[] table = new int[capacity];
    Arrays.fill(table, EMPTY);
    return table;
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
