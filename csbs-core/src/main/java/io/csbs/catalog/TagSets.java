package io.csbs.catalog;

import io.csbs.backup.Tag;
import java.util.Arrays;
import java.util.List;

/**
 * The distinct tag sets of a shard's live rows, for conjunctions of tag=value criteria. Backups share
 * whole tag sets (a server's tags are set on each of its backups), so a shard of a million rows has a
 * few thousand distinct sets: each gets an id and the {@link Postings} of its rows, and each tag
 * key=value keeps the {@link Postings} of the ids of the sets that contain it. The sets with every
 * tag of a conjunction are the intersection of those short lists; their rows, disjoint since a row
 * has one tag set, are the exact answer, however common each tag is on its own.
 *
 * <p>Only sets of two tags or more are kept: a conjunction of two distinct tag=value pairs or more
 * never matches a row with fewer, and rows with one tag or none would cost their 4 bytes for nothing.
 * Set ids of sets that lost their last row are taken again, so that the id lists stay as short as
 * the sets live now. Maps that may grow large are {@link GrowingMap}s and {@link ChunkedArray}s: a
 * catalog whose tag sets are mostly distinct grows them a slice at a time under the write lock.
 *
 * <p>Where tag sets are mostly distinct (a tag whose value is unique to each backup), the sets would
 * cost a canonical key, a set and id-list entries a row, about 150 to 200 bytes, to answer no faster
 * than the tags' own rows: once there are more than {@value #MIN_SETS} sets and fewer than {@value
 * #ROWS_PER_SET} rows a set on average, the index {@linkplain #enabled() turns itself off},
 * drops what it holds, and the planner intersects the tags' rows as it did before it existed. A batch
 * (a bulk load, a reorganisation's build) decides on all its rows, at its end. A reorganised shard
 * starts from the decision of the one it replaces, unless the shard has grown to twice the rows it
 * had then: backups added one by one look distinct while each server has few of them.
 */
final class TagSets {
  /** One distinct tag set: its id and its live rows. */
  static final class TagSet {
    final int id;
    final Postings rows = new Postings();

    TagSet(int id) {
      this.id = id;
    }
  }

  /** A set's key (see {@link #key}) to the set. */
  private GrowingMap<TagSet> byTags = new GrowingMap<>();
  private ChunkedArray<TagSet> byId = new ChunkedArray<>();
  /** A tag's (key, value) to the ids of the sets that contain it. */
  private GrowingMap<Postings> setsWithTag = GrowingMap.pairs();
  private int[] freeIds = new int[4];
  private int freeCount;
  /** Ids in use or freed: {@code [0, idLimit)}. */
  private int idLimit;
  /**
   * The set of the last tags list added, and that list: a bulk load adds the backups of a server
   * one after the other, so that most adds find their set without building its key.
   */
  private List<Tag> lastTags;
  private TagSet lastSet;
  /** Rows of two tags or more in the sets. */
  private long rowsInSets;
  private boolean enabled = true;
  /** The rows the shard had when the index turned itself off; 0 while it is on. */
  private long disabledAtRows;
  /**
   * Room for a key's slots and chars, kept from one {@link #key} to the next (two arrays an add
   * otherwise): the index changes on one thread at a time, the writer under the shard's write lock
   * or making its updates behind it, or the one building a shard.
   */
  private int[] slots = new int[16];
  private char[] keyChars = new char[32];
  /**
   * While a batch of rows is added (a bulk load, a reorganisation's build), the index decides whether
   * to turn itself off at the end ({@link #endBatch}), on every row of the batch, not on a prefix:
   * a bulk load in creation order starts with one backup of each server after another, whose sets
   * look distinct until the servers' later backups join them (at 5M backups of 100,000 servers the
   * guard turned the index off on the way, and a five-tag search went from microseconds to 330).
   */
  private boolean inBatch;

  /** Past this many sets, the index may turn itself off. */
  static final int MIN_SETS = 4096;
  /** Fewer rows than this a set, on average, past {@link #MIN_SETS} sets, turn the index off. */
  static final int ROWS_PER_SET = 32;

  /** Whether the index answers: false once its sets proved mostly distinct (see the class comment). */
  boolean enabled() {
    return enabled;
  }

  /**
   * The rows the shard had when the index turned itself off, 0 while it is on: a reorganisation of a
   * shard that has since grown to twice that tries the sets again (see {@link ProjectShard#reorganise()}).
   */
  long disabledAtRows() {
    return disabledAtRows;
  }

  /** Defers the decision to turn the index off to {@link #endBatch}. */
  void startBatch() {
    inBatch = true;
  }

  /** Ends a batch: turns the index off if its sets proved mostly distinct; {@code rows}: the shard's rows in use. */
  void endBatch(int rows) {
    inBatch = false;
    if (enabled && mostlyDistinct()) {
      disable(rows);
    }
  }

  private boolean mostlyDistinct() {
    return byTags.size() > MIN_SETS && byTags.size() * (long) ROWS_PER_SET > rowsInSets;
  }

  /** Turns this shard's index off and lets go of what it holds; {@code rows}: the shard's rows in use. */
  void disable(long rows) {
    enabled = false;
    disabledAtRows = Math.max(1, rows);
    byTags = new GrowingMap<>();
    byId = new ChunkedArray<>();
    setsWithTag = GrowingMap.pairs();
    freeIds = new int[0];
    freeCount = 0;
    idLimit = 0;
    lastTags = null;
    lastSet = null;
    rowsInSets = 0;
  }

  /** How many distinct sets (of two tags or more) the live rows have. */
  int size() {
    return byTags.size();
  }

  /** Ids of sets are below this. */
  int idLimit() {
    return idLimit;
  }

  /** The set with id {@code id}. */
  TagSet set(int id) {
    return byId.get(id);
  }

  /** The ids of the sets that contain {@code key=value}, or null if none does. */
  Postings setsWith(String key, String value) {
    return setsWithTag.get(key, value);
  }

  /** Adds the row at {@code position} with {@code tags}; {@code rows} is the shard's rows in use. */
  void add(int position, List<Tag> tags, int rows) {
    if (!enabled || tags.size() < 2) {
      return;
    }
    TagSet set;
    if (lastSet != null && sameTags(tags, lastTags)) {
      set = lastSet;
    } else {
      String key = key(tags);
      set = key == null ? null : byTags.get(key);
      if (set == null) {
        set = newSet(tags, key);
      }
      lastTags = tags;
      lastSet = set;
    }
    set.rows.add(position, rows);
    rowsInSets++;
    if (!inBatch && mostlyDistinct()) {
      disable(rows);
    }
  }

  /** Removes the row at {@code position}, whose tags are {@code tags}. */
  void remove(int position, List<Tag> tags) {
    if (!enabled || tags.size() < 2) {
      return;
    }
    TagSet set;
    String key = null;
    if (lastSet != null && sameTags(tags, lastTags)) {
      set = lastSet;
    } else {
      key = key(tags);  // null: a tag no set has
      set = key == null ? null : byTags.get(key);
    }
    if (set == null) {
      return;
    }
    set.rows.remove(position);
    rowsInSets--;
    if (set.rows.count() == 0) {
      // a set without rows leaves every list (its key first, made of its tags' slots), and its id is taken again
      byTags.remove(key != null ? key : key(tags));
      byId.set(set.id, null);
      for (Tag tag : tags) {
        Postings ids = setsWithTag.get(tag.key(), tag.value());
        ids.remove(set.id);
        if (ids.count() == 0) {
          setsWithTag.remove(tag.key(), tag.value());
        }
      }
      if (freeCount == freeIds.length) {
        freeIds = Arrays.copyOf(freeIds, freeCount * 2);
      }
      freeIds[freeCount++] = set.id;
      if (set == lastSet) {
        lastSet = null;
        lastTags = null;
      }
    }
  }

  /** Lets go of the room each list keeps to grow ({@link Postings#trim()}). */
  void trim() {
    byTags.forEach((key, set) -> set.rows.trim());
    setsWithTag.forEach((key, ids) -> ids.trim());
  }

  /** About the bytes of the sets, their rows and the id lists on the heap. */
  long estimatedBytes() {
    long[] bytes = {64 + byTags.estimatedBytes() + 8L * byId.capacity() + setsWithTag.estimatedBytes()
        + 16 + 4L * freeIds.length};
    byTags.forEach((key, set) -> bytes[0] += 24 + 40 + 2L * key.length() + set.rows.estimatedBytes());
    setsWithTag.forEach((value, ids) -> bytes[0] += ids.estimatedBytes());  // the strings are the rows' tags
    return bytes[0];
  }

  /**
   * A new set of {@code tags}, in every list; {@code key} is its key if every tag was in a set
   * already (its pairs' slots do not change), null if one was not (the key is made once they are in).
   */
  private TagSet newSet(List<Tag> tags, String key) {
    int id = freeCount > 0 ? freeIds[--freeCount] : idLimit++;
    TagSet set = new TagSet(id);
    byId.set(id, set);
    for (Tag tag : tags) {
      setsWithTag.computeIfAbsent(tag.key(), tag.value(), Postings::new).add(id, idLimit);
    }
    byTags.put(key != null ? key : key(tags), set);
    return set;
  }

  /**
   * The key of a set of tags, or null when one of them is in no set: the slots of its tags'
   * (key, value) pairs in {@link #setsWithTag}, sorted (so the order of the tags does not matter), two
   * chars each. A slot stays its pair's while a set has the pair, so a key names one set of tags; a
   * few bytes a tag where the tags spelt out ({@code k=v,k=v}) took a hundred bytes a set, 0.6 bytes a
   * backup at a million backups of 14,000 sets.
   */
  private String key(List<Tag> tags) {
    int count = tags.size();
    if (slots.length < count) {
      slots = new int[Math.max(count, 2 * slots.length)];
      keyChars = new char[2 * slots.length];
    }
    for (int i = 0; i < count; i++) {
      slots[i] = setsWithTag.slot(tags.get(i).key(), tags.get(i).value());
      if (slots[i] < 0) {
        return null;
      }
    }
    Arrays.sort(slots, 0, count);
    for (int i = 0; i < count; i++) {
      keyChars[2 * i] = (char) (slots[i] >>> 16);
      keyChars[2 * i + 1] = (char) slots[i];
    }
    return new String(keyChars, 0, 2 * count);
  }

  /** Whether {@code a} and {@code b} (null: none) hold equal tags in the same order; by index, as an iterator is an allocation. */
  private static boolean sameTags(List<Tag> a, List<Tag> b) {
    if (a == b) {
      return true;
    }
    if (b == null || a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (!a.get(i).equals(b.get(i))) {
        return false;
      }
    }
    return true;
  }
}
