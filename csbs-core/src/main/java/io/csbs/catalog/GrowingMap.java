package io.csbs.catalog;

import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A map from strings to values that grows a slice at a time, for the indexes keyed by a value that
 * may take hundreds of thousands of forms (server ids, tag values, policy ids): a {@code HashMap}
 * rehashes every entry under the write lock when it doubles (milliseconds at 100,000 servers). Keys
 * and values sit in {@link ChunkedArray}s at a slot number, found through an {@link IdIndex} of the
 * keys; a removed key's slot is taken again by the next new key.
 *
 * <p>A map made by {@link #pairs()} is keyed by pairs of strings (a tag's key and value), kept as
 * the two strings given: a lookup neither joins them into one string nor hashes such a string, which
 * a map keyed by {@code key + "=" + value} did on every add and removal of a row with tags.
 *
 * <pre>{@code
 * GrowingMap<Postings> byValue = new GrowingMap<>();
 * byValue.computeIfAbsent("az-1", v -> new Postings()).add(position, rows);
 * byValue.get("az-1");
 * GrowingMap<Postings> byTag = GrowingMap.pairs();
 * byTag.computeIfAbsent("env", "prod", Postings::new);
 * byTag.get("env", "prod");
 * }</pre>
 */
final class GrowingMap<V> {
  private final ChunkedArray<String> keys = new ChunkedArray<>();
  /** The first string of each key, for a map of pairs; null for a map of single strings. */
  private final ChunkedArray<String> groups;
  private final ChunkedArray<V> values = new ChunkedArray<>();
  private final IdIndex index;
  /** Slots of removed keys, to take again. */
  private int[] free = new int[4];
  private int freeCount;
  /** Slots in use or freed: {@code [0, used)}. */
  private int used;
  private int size;

  /** A map keyed by single strings. */
  GrowingMap() {
    groups = null;
    index = new IdIndex(keys.reader());
  }

  private GrowingMap(ChunkedArray<String> groups) {
    this.groups = groups;
    index = new IdIndex(keys.reader(), groups.reader());
  }

  /** A map keyed by pairs of strings: use the methods that take two. */
  static <V> GrowingMap<V> pairs() {
    return new GrowingMap<>(new ChunkedArray<>());
  }

  int size() {
    return size;
  }

  /** The value of {@code key}, or null. */
  V get(String key) {
    return get(null, key);
  }

  /** The value of the pair ({@code first}, {@code second}), or null. */
  V get(String first, String second) {
    int slot = index.get(first, second);
    return slot < 0 ? null : values.get(slot);
  }

  /**
   * The slot of {@code key}, or -1: a small number, the same for as long as the key stays in the map,
   * which a removed key's successor may take again.
   */
  int slot(String key) {
    return slot(null, key);
  }

  /** The slot of the pair ({@code first}, {@code second}), or -1: see {@link #slot(String)}. */
  int slot(String first, String second) {
    return index.get(first, second);
  }

  /** The value of {@code key}, made by {@code make} and put first if there is none. */
  V computeIfAbsent(String key, Function<String, V> make) {
    int slot = index.get(key);
    if (slot >= 0) {
      return values.get(slot);
    }
    V value = make.apply(key);
    add(null, key, value);
    return value;
  }

  /** The value of the pair ({@code first}, {@code second}), made by {@code make} and put first if there is none. */
  V computeIfAbsent(String first, String second, Supplier<V> make) {
    int slot = index.get(first, second);
    if (slot >= 0) {
      return values.get(slot);
    }
    V value = make.get();
    add(first, second, value);
    return value;
  }

  /** Puts {@code value} for {@code key}, replacing any. */
  void put(String key, V value) {
    int slot = index.get(key);
    if (slot >= 0) {
      values.set(slot, value);
    } else {
      add(null, key, value);
    }
  }

  /** Removes {@code key}; returns its value, or null. */
  V remove(String key) {
    return remove(null, key);
  }

  /** Removes the pair ({@code first}, {@code second}); returns its value, or null. */
  V remove(String first, String second) {
    int slot = index.get(first, second);
    if (slot < 0) {
      return null;
    }
    index.remove(first, second);  // reads the keys of its probe run, this one included: cleared after
    V value = values.get(slot);
    keys.set(slot, null);
    if (groups != null) {
      groups.set(slot, null);
    }
    values.set(slot, null);
    if (freeCount == free.length) {
      free = java.util.Arrays.copyOf(free, freeCount * 2);
    }
    free[freeCount++] = slot;
    size--;
    return value;
  }

  /**
   * Calls {@code action} with each key and value, in no particular order; for a map of pairs, the
   * second string of each.
   */
  void forEach(BiConsumer<String, ? super V> action) {
    for (int slot = 0; slot < used; slot++) {
      String key = keys.get(slot);
      if (key != null) {
        action.accept(key, values.get(slot));
      }
    }
  }

  /** About the bytes of the map itself (not its keys' strings or its values): chunks, the index. */
  long estimatedBytes() {
    return 64 + 8L * keys.capacity() + (groups == null ? 0 : 8L * groups.capacity()) + index.estimatedBytes()
        + 4L * free.length;
  }

  private void add(String first, String second, V value) {
    if (groups == null && first != null) {
      throw new IllegalArgumentException("a map of single strings takes no first string: " + first);
    }
    int slot = freeCount > 0 ? free[--freeCount] : used++;
    keys.set(slot, second);
    if (groups != null) {
      groups.set(slot, first);
    }
    values.set(slot, value);
    index.put(first, second, slot);
    size++;
  }
}
