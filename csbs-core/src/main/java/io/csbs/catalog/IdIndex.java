package io.csbs.catalog;

import java.util.function.IntFunction;

/**
 * Backup id to row position, as an open-addressing hash table (linear probing) of one {@code int} per
 * slot, filled up to 3/4: about 6 bytes a backup after a bulk load, against about 60 for a {@code
 * HashMap<String, Integer>}. The table need not be a power of two long: a hash picks its slot by
 * scaling (the high bits of {@code hash * capacity}), so a bulk load sizes it for its rows.
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

  private IntFunction<String> idAt;
  private int[] table = new int[16];
  private int size;
  /**
   * A slot holds {@code fingerprint << positionBits | position + 1}, 0 for an empty slot. The
   * fingerprint is the hash's low bits, the slot comes from its high bits, so the two are apart.
   */
  private int positionBits = MIN_POSITION_BITS;

  IdIndex(IntFunction<String> idAt) {
    this.idAt = idAt;
  }

  /** Reads ids through {@code idAt} from now on: the shard that adopts this index reads its own rows. */
  void rebind(IntFunction<String> idAt) {
    this.idAt = idAt;
  }

  /** Whether {@code more} ids would make the table grow (a rehash that reads every row's id). */
  boolean growsWithin(int more) {
    return (size + more) * 4L > table.length * 3L;
  }

  /** About the bytes the table takes on the heap. */
  long estimatedBytes() {
    return 32 + 16 + 4L * table.length;
  }

  /** The position of {@code id}, or -1. */
  int get(String id) {
    int hash = spread(id.hashCode());
    int fingerprint = fingerprint(hash);
    for (int slot = home(hash); ; slot = nextSlot(slot)) {
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
    if ((size + 1) * 4L > table.length * 3L) {
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
    if (expected * 4L > table.length * 3L) {
      resize((int) Math.min(Integer.MAX_VALUE - 8, expected * 10L / 7));  // 70% full once loaded
    }
  }

  /** Removes {@code id}, shifting back the entries of its probe run so that lookups stay correct. */
  void remove(String id) {
    int hash = spread(id.hashCode());
    int fingerprint = fingerprint(hash);
    int slot = home(hash);
    while (true) {
      int entry = table[slot];
      if (entry == EMPTY) {
        return;
      }
      if (entry >>> positionBits == fingerprint && idAt.apply(positionOf(entry)).equals(id)) {
        break;
      }
      slot = nextSlot(slot);
    }
    table[slot] = EMPTY;
    size--;
    for (int next = nextSlot(slot); table[next] != EMPTY; next = nextSlot(next)) {
      int entry = table[next];
      int home = home(spread(idAt.apply(positionOf(entry)).hashCode()));
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
    int slot = home(hash);
    while (table[slot] != EMPTY) {
      slot = nextSlot(slot);
    }
    table[slot] = fingerprint(hash) << positionBits | (position + 1);
  }

  /** The slot a hash starts probing at: its high bits scaled to the table, no power of two needed. */
  private int home(int hash) {
    return (int) (((hash & 0xFFFF_FFFFL) * table.length) >>> 32);
  }

  private int nextSlot(int slot) {
    return slot + 1 == table.length ? 0 : slot + 1;
  }

  private int fingerprint(int hash) {
    return hash & (-1 >>> positionBits);
  }

  /**
   * Widens the position field when {@code position + 1} no longer fits. The fingerprints lose their
   * highest bits, which keeps them the low bits of each hash, so no id is read to re-encode them.
   */
  private void ensurePositionFits(int position) {
    int needed = Math.max(MIN_POSITION_BITS, 32 - Integer.numberOfLeadingZeros(position + 1));
    if (needed <= positionBits) {
      return;
    }
    int oldBits = positionBits;
    int oldMask = (1 << oldBits) - 1;
    int fingerprintMask = -1 >>> needed;
    for (int slot = 0; slot < table.length; slot++) {
      int entry = table[slot];
      if (entry != EMPTY) {
        int fingerprint = (entry >>> oldBits) & fingerprintMask;
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
