package io.csbs.catalog;

import java.util.function.IntFunction;

/**
 * Backup id to row position, as an open-addressing hash table (linear probing) of one {@code int} per
 * slot, filled up to 7/8: about 5 bytes a backup after a bulk load, against about 60 for a {@code
 * HashMap<String, Integer>}. The table need not be a power of two long: a hash picks its slot by
 * scaling (the high bits of {@code hash * capacity}), so a bulk load sizes it for its rows.
 *
 * <p>Keys are not stored; a probe compares the id of the row at the stored position. That comparison
 * costs several cache misses on a large catalog (the row, the backup, its id and the id's bytes), so
 * each slot also keeps, in the bits the position does not need, its distance from its home slot (up
 * to 15) and a fingerprint (bits of the id's hash). A probe compares only the entries whose distance
 * says they share its home (about one in eight of the slots it passes at 7/8 full) and whose
 * fingerprint is its own: at a million rows (7 bits of fingerprint), about one row read in a
 * thousand slots passed. A removal shifts the rest of its probe run back, and the distances tell
 * which entries may move without reading their ids (it read every one before: 19% of an
 * add-and-remove's time at a million rows).
 *
 * <p>The table grows (and widens its position field) incrementally, so that no single change pays
 * for rehashing every id: a rehash must read each row's id, cache misses each, about 2 s at 5M rows
 * under the shard's write lock. Growing starts a new, larger table beside the old one; new ids go to
 * the new table, and every later put or remove moves the next {@value #MIGRATE_SLOTS} slots of the
 * old table into it, so the old one is drained long before the new one fills (it has half the
 * slots of the new one, which fills after 7/16 of its slots more puts). Moving an id needs its
 * new home and fingerprint, which follow from its old ones for a table of twice the slots (see
 * {@link Table#grown}): the drain reads the ids of only the few entries too far from their home to
 * tell where that is. Lookups read the new table, then the old. The old table is never written
 * but for tombstones: its slots below the migration cursor count as moved (a probe passes them,
 * since they still link its probe runs), and an id removed before it moved leaves a tombstone
 * there, so that no probe run of the old table is ever cut.
 */
final class IdIndex {
  private static final int EMPTY = 0;
  private static final int MIN_POSITION_BITS = 4;
  /** Old slots moved into the new table by each put or remove while a table grows. */
  static final int MIGRATE_SLOTS = 8;

  private IntFunction<String> idAt;
  /** The group of the key at a position, for keys that are (group, text) pairs; null for plain ids. */
  private final IntFunction<String> groupAt;
  /** Where ids are put: the only table, or the new one while the old drains. */
  private Table current = new Table(16, MIN_POSITION_BITS);
  /** The table being drained into {@link #current}, or null. */
  private Table old;
  /** Slots of {@link #old} below this have moved. */
  private int migrated;
  /** Ids in {@link #old} at or above {@link #migrated}, tombstones excluded. */
  private int oldLive;
  /** Whether {@link #current}'s slots follow from {@link #old}'s (see {@link Table#grown}). */
  private boolean drainDerives;

  IdIndex(IntFunction<String> idAt) {
    this(idAt, null);
  }

  /**
   * An index of keys that are (group, text) pairs: {@code keyAt} gives the text at a position,
   * {@code groupAt} its group (null for none). {@link TextIndex} finds its entries with it.
   */
  IdIndex(IntFunction<String> keyAt, IntFunction<String> groupAt) {
    this.idAt = keyAt;
    this.groupAt = groupAt;
  }

  /** Reads ids through {@code idAt} from now on: the shard that adopts this index reads its own rows. */
  void rebind(IntFunction<String> idAt) {
    this.idAt = idAt;
  }

  /** How many ids the index holds. */
  int size() {
    return current.size + oldLive;
  }

  /** Whether a table is being drained into a larger one. */
  boolean migrating() {
    return old != null;
  }

  /** About the bytes the tables take on the heap. */
  long estimatedBytes() {
    return 48 + current.estimatedBytes() + (old == null ? 0 : old.estimatedBytes());
  }

  /** The position of {@code id}, or -1. */
  int get(String id) {
    return get(null, id);
  }

  /** The position of the key ({@code group}, {@code id}), or -1; {@code group} null for plain ids. */
  int get(String group, String id) {
    int hash = hash(group, id);
    int slot = current.find(hash, group, id, this, 0);
    if (slot >= 0) {
      return current.positionOf(current.get(slot));
    }
    if (old != null) {
      slot = old.find(hash, group, id, this, migrated);
      if (slot >= 0) {
        return old.positionOf(old.get(slot));
      }
    }
    return -1;
  }

  /** Maps {@code id} (absent) to {@code position}. */
  void put(String id, int position) {
    put(null, id, position);
  }

  /** Maps the key ({@code group}, {@code id}) (absent) to {@code position}. */
  void put(String group, String id, int position) {
    migrateSome();
    int needed = positionBitsFor(position);
    if (needed > current.positionBits) {
      // as many slots if the drain leaves room (it moves the ids while the new table takes an eighth
      // of its slots more: a table as full as the old one would fill during the drain, and growing
      // then would have to finish the drain at once), else twice as many
      grow(roomyDuringDrain(size() + 1, current.capacity) ? current.capacity : doubled(current.capacity), needed);
    }
    if (!fits(current.size + 1, current.capacity)) {
      grow(doubled(current.capacity), current.positionBits);
    }
    current.insert(hash(group, id), position);
    current.size++;
  }

  /**
   * Maps {@code id} to {@code position} unless the index holds it: returns its position then, with
   * nothing changed, or -1 once put. A shard's add checks for a duplicate id and puts it in one probe
   * of the current table rather than a lookup and a put (two probes, and the lookup's run was about a
   * tenth of a late add's time at a million rows): the probe that finds no id ends at the empty slot
   * the id goes to. While a table drains (or the put makes one grow), the put moves old slots first,
   * as {@link #put} does, and probes again for its slot; the check of the old table is a lookup there
   * either way.
   *
   * <p>Nothing reads the key at {@code position} here, so the caller may store the row at {@code
   * position} just after: before any other call of this index.
   */
  int putIfAbsent(String id, int position) {
    int hash = hash(null, id);
    int slot = current.probe(hash, null, id, this);
    if (slot >= 0) {
      return current.positionOf(current.get(slot));
    }
    if (old != null) {
      int oldSlot = old.find(hash, null, id, this, migrated);
      if (oldSlot >= 0) {
        return old.positionOf(old.get(oldSlot));
      }
    }
    if (old == null && positionBitsFor(position) <= current.positionBits
        && fits(current.size + 1, current.capacity)) {
      current.putAt(-2 - slot, hash, position);
      current.size++;
    } else {
      put(null, id, position);  // moves old slots or grows: the empty slot found may not be the id's any more
    }
    return -1;
  }

  /**
   * Makes room for {@code expected} ids at positions below {@code expected} at once, when that is
   * much more than the index holds (a bulk load, sized so that it neither rehashes nor widens on the
   * way); a few more ids than it holds grow the table incrementally instead, as single puts do.
   */
  void ensureCapacity(int expected) {
    if (expected <= 2L * size() + 64) {
      return;
    }
    finishMigration();
    int bits = Math.max(current.positionBits, positionBitsFor(expected));
    if (!fits(expected, current.capacity) || bits > current.positionBits) {
      int capacity = Math.max(current.capacity,
          (int) Math.min(Integer.MAX_VALUE - 8, expected * 6L / 5));  // 5/6 full once loaded
      Table grown = new Table(capacity, bits);
      current.moveAllInto(grown, this, 0);
      current = grown;
    }
  }

  /**
   * Lets go of the slots a table grown by single puts keeps spare: 7/16 to 7/8 of them are in use
   * between two growths, about a byte and a half an id on average. Refills the keys into a table
   * 5/6 full, as a bulk load sizes it, unless that saves less than an eighth of the slots. Reads every key (a
   * rehash, about 0.3 s for a million distinct backup names, read through their rows): for a batch
   * that built a whole shard, whose index grew entry by entry (the entries of a {@link TextIndex} are
   * not known ahead), not for a change under the write lock.
   */
  void compact() {
    finishMigration();
    int capacity = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(16, current.size * 6L / 5));
    if (capacity * 8L > current.capacity * 7L) {
      return;
    }
    Table compacted = new Table(capacity, current.positionBits);
    current.moveAllInto(compacted, this, 0);
    current = compacted;
  }

  /** Removes {@code id}, if present. */
  void remove(String id) {
    remove(null, id);
  }

  /** Removes the key ({@code group}, {@code id}), if present; {@code group} null for plain ids. */
  void remove(String group, String id) {
    migrateSome();
    int hash = hash(group, id);
    int slot = current.find(hash, group, id, this, 0);
    if (slot >= 0) {
      current.removeAt(slot, this);
      return;
    }
    if (old != null) {
      slot = old.find(hash, group, id, this, migrated);
      if (slot >= 0) {
        old.set(slot, old.tombstone());
        oldLive--;
      }
    }
  }

  /**
   * Starts draining the current table into a new one of {@code capacity} slots and {@code bits} of
   * position; a drain still running is finished first (only when ids or positions grow far faster
   * than the puts that drain it, as in a test's sparse positions).
   */
  private void grow(int capacity, int bits) {
    finishMigration();
    old = current;
    oldLive = old.size;
    migrated = 0;
    current = old.grown(Math.max(capacity, 16), bits);
    drainDerives = current.derivedFrom(old);
    if (oldLive == 0) {
      old = null;
    }
  }

  /** Moves the next {@value #MIGRATE_SLOTS} slots of the old table, if one drains. */
  private void migrateSome() {
    if (old == null) {
      return;
    }
    int end = Math.min(old.capacity, migrated + MIGRATE_SLOTS);
    migrate(end);
  }

  private void finishMigration() {
    if (old != null) {
      migrate(old.capacity);
    }
  }

  private void migrate(int end) {
    for (int slot = migrated; slot < end; slot++) {
      int entry = old.get(slot);
      if (entry != EMPTY && !old.isTombstone(entry)) {
        int position = old.positionOf(entry);
        if (!drainDerives || !current.insertDerived(old, slot, entry)) {
          current.insert(hashAt(position), position);
        }
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

  /**
   * Whether {@code ids} ids fit a table of {@code capacity} slots: at most 7/8 full. The fingerprints
   * make a long probe run cheap (a mismatching slot is skipped without reading its row, and 16
   * slots share a cache line), so the table can be fuller than linear probing usually allows: a
   * bulk load fills it to 5/6 (4.8 bytes an id, 5.7 at 70%), where a missing id's run is about
   * 18 slots, two cache lines, and a present id's about 3.5.
   */
  private static boolean fits(long ids, int capacity) {
    return ids * 8 <= capacity * 7L;
  }

  /**
   * Whether a new table of {@code capacity} slots that holds no id yet stays within {@link #fits}
   * while a table of as many slots holding {@code ids} drains into it: at most 5/8 full, since the
   * drain moves them over {@code capacity / }{@value #MIGRATE_SLOTS} puts.
   */
  private static boolean roomyDuringDrain(long ids, int capacity) {
    return ids * 8 <= capacity * 5L;
  }

  /**
   * Twice the slots: a grown table is then 7/16 full, and each id's slot in it follows from its slot
   * and fingerprint in the old one (see {@link Table#insertDerived}), without reading its key.
   */
  private static int doubled(int capacity) {
    return (int) Math.min(Integer.MAX_VALUE - 8, 2L * capacity);
  }

  private static int positionBitsFor(int position) {
    return Math.max(MIN_POSITION_BITS, 32 - Integer.numberOfLeadingZeros(position + 1));
  }

  /**
   * One table: slots of {@code fingerprint, distance, position + 1} (from the high bits to the low,
   * with unused zero bits between the first two when the fingerprint is narrower than the room the
   * others leave), 0 for an empty slot, in
   * pages of {@value #PAGE} slots that a large table allocates as they are first written: a new
   * table of 5M ids' slots, zeroed at once, would cost milliseconds (57 MB) under the write lock,
   * a page costs microseconds, and a table being filled by a drain allocates its pages over many
   * changes. A page never written reads as empty slots.
   */
  private static final class Table {
    static final int PAGE_BITS = 14;
    static final int PAGE = 1 << PAGE_BITS;

    /**
     * The narrowest fingerprint a table grown without reading keys takes; one that would be
     * narrower reads every key instead (tables of very wide positions, whose room for a
     * fingerprint is narrower than this anyway, always do).
     */
    static final int MIN_DERIVED_FINGERPRINT_BITS = 4;

    final int[][] pages;
    final int capacity;
    /** The position field is at least as wide as the largest position stored. */
    final int positionBits;
    /**
     * The largest distance from its home an entry records exactly; a farther one records this. Half
     * the bits the position leaves, at most 4 (15 slots): at 7/8 full most entries lie within 15
     * slots of their home.
     */
    private final int farDistance;
    /**
     * How wide the fingerprint is: the bits the position and the distance leave, or fewer in a
     * table grown without reading keys (see {@link #grown}).
     */
    private final int fingerprintBits;
    /** Where the fingerprint starts: it takes the top {@link #fingerprintBits} bits. */
    private final int fingerprintShift;
    int size;

    Table(int capacity, int positionBits) {
      this(capacity, positionBits, Integer.MAX_VALUE);
    }

    private Table(int capacity, int positionBits, int fingerprintBitsAtMost) {
      this.capacity = capacity;
      this.positionBits = positionBits;
      int distanceBits = distanceBits(positionBits);
      this.farDistance = (1 << distanceBits) - 1;
      // at least one bit: positions take 31 bits at most
      this.fingerprintBits = Math.min(fingerprintBitsAtMost, 32 - positionBits - distanceBits);
      this.fingerprintShift = 32 - fingerprintBits;
      this.pages = new int[(capacity + PAGE - 1) >>> PAGE_BITS][];
      if (capacity < PAGE) {
        pages[0] = new int[capacity];
      }
    }

    /**
     * A new, empty table of {@code capacity} slots and {@code positionBits} of position for this
     * one's ids to drain into. A key's home slot and fingerprint are the bits of {@code hash *
     * capacity} at and below bit 32 (see {@link #home}), so with as many slots, or twice as many,
     * they follow from the old slot's: the same home and fingerprint, or twice the home plus the
     * fingerprint's top bit, and the fingerprint's other bits. Such a table takes a fingerprint no
     * wider than the old one leaves it (one bit narrower after a doubling), so that the drain reads
     * no key but those of entries {@link #farDistance} or farther from their home, whose home the
     * entry does not tell: a few percent of them at 7/8 full. Reading every key costs three cache
     * misses an id on a large shard (the row, the backup, the id), the better part of a table's
     * growth. A table of any other size, or whose fingerprint would be narrower than {@value
     * #MIN_DERIVED_FINGERPRINT_BITS} bits, takes the full fingerprint and reads every key.
     */
    Table grown(int capacity, int positionBits) {
      int derivable = capacity == this.capacity ? fingerprintBits
          : capacity == 2L * this.capacity ? fingerprintBits - 1 : 0;
      int room = 32 - positionBits - distanceBits(positionBits);
      // the old fingerprint leaves at least the room this table has, or enough of it
      return derivable >= Math.min(room, MIN_DERIVED_FINGERPRINT_BITS)
          ? new Table(capacity, positionBits, derivable)
          : new Table(capacity, positionBits);
    }

    /** Half the bits the position leaves, at most 4 (see {@link #farDistance}). */
    private static int distanceBits(int positionBits) {
      return Math.min(4, (32 - positionBits) / 2);
    }

    /** Whether this table's keys' homes and fingerprints follow from their slots in {@code old}. */
    boolean derivedFrom(Table old) {
      return (capacity == old.capacity && fingerprintBits <= old.fingerprintBits)
          || (capacity == 2L * old.capacity && fingerprintBits <= old.fingerprintBits - 1);
    }

    /**
     * Inserts the id of {@code entry}, at {@code slot} of {@code old}, from what the entry records
     * (see {@link #grown}); false, inserting nothing, if the entry is too far from its home to tell
     * where that is.
     */
    boolean insertDerived(Table old, int slot, int entry) {
      int recorded = old.distanceOf(entry);
      if (recorded == old.farDistance) {
        return false;
      }
      int oldHome = slot - recorded < 0 ? slot - recorded + old.capacity : slot - recorded;
      int oldFingerprint = entry >>> old.fingerprintShift;
      int home;
      int below;  // the old fingerprint's bits that are the new one's top bits, and how many
      int belowBits;
      if (capacity == old.capacity) {
        home = oldHome;
        below = oldFingerprint;
        belowBits = old.fingerprintBits;
      } else {
        belowBits = old.fingerprintBits - 1;
        home = 2 * oldHome + (oldFingerprint >>> belowBits);
        below = oldFingerprint & ((1 << belowBits) - 1);
      }
      insertAt(home, below >>> (belowBits - fingerprintBits), old.positionOf(entry));
      return true;
    }

    int get(int slot) {
      int[] page = pages[slot >>> PAGE_BITS];
      return page == null ? EMPTY : page[slot & (PAGE - 1)];
    }

    void set(int slot, int entry) {
      int[] page = pages[slot >>> PAGE_BITS];
      if (page == null) {
        page = new int[PAGE];
        pages[slot >>> PAGE_BITS] = page;
      }
      page[slot & (PAGE - 1)] = entry;
    }

    long estimatedBytes() {
      long bytes = 48 + 16 + 4L * pages.length;
      for (int[] page : pages) {
        bytes += page == null ? 0 : 16 + 4L * page.length;
      }
      return bytes;
    }

    /**
     * The slot of {@code id}, or -1; slots below {@code movedBelow} count as moved, not found. A table
     * is never full, so the probe ends at an empty slot; it also ends after every slot, for a read
     * without the lock, which may see the table while a change shifts its entries.
     */
    int find(int hash, String group, String id, IdIndex keys, int movedBelow) {
      int fingerprint = fingerprint(hash);
      int distance = 0;
      for (int slot = home(hash); ; slot = nextSlot(slot), distance++) {
        int entry = get(slot);
        if (entry == EMPTY || distance == capacity) {
          return -1;
        }
        if (sameHomeAndFingerprint(entry, distance, fingerprint) && slot >= movedBelow && !isTombstone(entry)
            && keys.matches(positionOf(entry), group, id)) {
          return slot;
        }
      }
    }

    /**
     * The slot of {@code id}, or {@code -2 - s} for the empty slot {@code s} that ends its probe run
     * (where it would be inserted), for a table without tombstones (the current one).
     */
    int probe(int hash, String group, String id, IdIndex keys) {
      int fingerprint = fingerprint(hash);
      int distance = 0;
      for (int slot = home(hash); ; slot = nextSlot(slot), distance++) {
        int entry = get(slot);
        if (entry == EMPTY) {
          return -2 - slot;
        }
        if (sameHomeAndFingerprint(entry, distance, fingerprint) && keys.matches(positionOf(entry), group, id)) {
          return slot;
        }
      }
    }

    /**
     * Whether the entry found {@code distance} slots past a key's home may be that key: its recorded
     * distance says it has the same home (a distance past {@link #farDistance} is recorded as that,
     * so such an entry may be any key that far or farther) and its fingerprint is the key's.
     */
    private boolean sameHomeAndFingerprint(int entry, int distance, int fingerprint) {
      return distanceOf(entry) == Math.min(distance, farDistance) && entry >>> fingerprintShift == fingerprint;
    }

    void insert(int hash, int position) {
      insertAt(home(hash), fingerprint(hash), position);
    }

    private void insertAt(int home, int fingerprint, int position) {
      int slot = home;
      while (get(slot) != EMPTY) {
        slot = nextSlot(slot);
      }
      set(slot, entry(fingerprint, distance(home, slot), position));
    }

    /** Stores the key of {@code hash} at {@code position} in the empty {@code slot} of its probe run. */
    void putAt(int slot, int hash, int position) {
      set(slot, entry(fingerprint(hash), distance(home(hash), slot), position));
    }

    /**
     * Empties {@code slot}, shifting back the entries of its probe run so that lookups stay correct.
     * An entry moves back into the hole unless its home lies after the hole; its recorded distance
     * from its home says where that is without reading its key (three cache misses a key in a large
     * shard: the row, the backup, the id), but for an entry recorded as {@link #farDistance} or
     * farther, whose home is worked out from its key.
     */
    void removeAt(int slot, IdIndex keys) {
      set(slot, EMPTY);
      size--;
      for (int next = nextSlot(slot); get(next) != EMPTY; next = nextSlot(next)) {
        int entry = get(next);
        int recorded = distanceOf(entry);
        int fromHome = recorded < farDistance ? recorded : distance(home(keys.hashAt(positionOf(entry))), next);
        int gap = distance(slot, next);
        if (fromHome >= gap) {  // its home is at or before the hole: it moves back into it
          set(slot, withDistance(entry, fromHome - gap));
          set(next, EMPTY);
          slot = next;
        }
      }
    }

    /** Inserts every id at or above slot {@code from} into {@code into}. */
    void moveAllInto(Table into, IdIndex keys, int from) {
      for (int slot = from; slot < capacity; slot++) {
        int entry = get(slot);
        if (entry != EMPTY && !isTombstone(entry)) {
          int position = positionOf(entry);
          into.insert(keys.hashAt(position), position);
          into.size++;
        }
      }
    }

    int positionOf(int entry) {
      return (entry & ((1 << positionBits) - 1)) - 1;
    }

    private int entry(int fingerprint, int distance, int position) {
      return fingerprint << fingerprintShift | Math.min(distance, farDistance) << positionBits | (position + 1);
    }

    private int distanceOf(int entry) {
      return (entry >>> positionBits) & farDistance;
    }

    private int withDistance(int entry, int distance) {
      return entry & ~(farDistance << positionBits) | Math.min(distance, farDistance) << positionBits;
    }

    /** Slots from {@code from} forward, cyclically, to {@code to}. */
    private int distance(int from, int to) {
      return to >= from ? to - from : to + capacity - from;
    }

    /** A removed id of a draining table: not empty (probe runs go on), but no position. */
    int tombstone() {
      return -1 << positionBits;
    }

    boolean isTombstone(int entry) {
      return (entry & ((1 << positionBits) - 1)) == 0;
    }

    /**
     * The slot a hash starts probing at: its high bits scaled to the table, no power of two needed:
     * the integer part of {@code hash * capacity / 2^32}.
     */
    int home(int hash) {
      return (int) (((hash & 0xFFFF_FFFFL) * capacity) >>> 32);
    }

    int nextSlot(int slot) {
      return slot + 1 == capacity ? 0 : slot + 1;
    }

    /**
     * The top bits of the fraction that {@link #home} drops: independent of the home among the keys
     * of one home, and the next bit of the home in a table of twice the slots (see {@link #grown}).
     */
    int fingerprint(int hash) {
      return (int) ((hash & 0xFFFF_FFFFL) * capacity) >>> fingerprintShift;
    }
  }

  /** Whether the key at {@code position} is ({@code group}, {@code id}). */
  private boolean matches(int position, String group, String id) {
    if (!idAt.apply(position).equals(id)) {
      return false;
    }
    return groupAt == null || java.util.Objects.equals(groupAt.apply(position), group);
  }

  private int hashAt(int position) {
    return hash(groupAt == null ? null : groupAt.apply(position), idAt.apply(position));
  }

  private static int hash(String group, String id) {
    return spread(group == null ? id.hashCode() : id.hashCode() * 31 + group.hashCode());
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
