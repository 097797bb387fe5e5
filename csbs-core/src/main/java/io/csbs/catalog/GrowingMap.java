package io.csbs.catalog;

import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * A map from strings to values that grows a slice at a time, for the indexes keyed by a value that
 * may take hundreds of thousands of forms (server ids, tag values, policy ids): a {@code HashMap}
 * rehashes every entry under the write lock when it doubles (milliseconds at 100,000 servers). Keys
 * and values sit in {@link ChunkedArray}s at a slot number, found through an {@link IdIndex} of the
 * keys; a removed key's slot is taken again by the next new key.
 *
 * <pre>{@code
 * GrowingMap<Postings> byValue = new GrowingMap<>();
 * byValue.computeIfAbsent("az-1", v -> new Postings()).add(position, rows);
 * byValue.get("az-1");
 * }</pre>
 */
final class GrowingMap<V> {
  private final ChunkedArray<String> keys = new ChunkedArray<>();
  private final ChunkedArray<V> values = new ChunkedArray<>();
  private final IdIndex index = new IdIndex(keys.reader());
  /** Slots of removed keys, to take again. */
  private int[] free = new int[4];
  private int freeCount;
  /** Slots in use or freed: {@code [0, used)}. */
  private int used;
  private int size;

  int size() {
    return size;
  }

  /** The value of {@code key}, or null. */
  V get(String key) {
    int slot = index.get(key);
    return slot < 0 ? null : values.get(slot);
  }

  /**
   * The slot of {@code key}, or -1: a small number, the same for as long as the key stays in the map,
   * which a removed key's successor may take again.
   */
  int slot(String key) {
    return index.get(key);
  }

  /** The value of {@code key}, made by {@code make} and put first if there is none. */
  V computeIfAbsent(String key, Function<String, V> make) {
    int slot = index.get(key);
    if (slot >= 0) {
      return values.get(slot);
    }
    V value = make.apply(key);
    add(key, value);
    return value;
  }

  /** Puts {@code value} for {@code key}, replacing any. */
  void put(String key, V value) {
    int slot = index.get(key);
    if (slot >= 0) {
      values.set(slot, value);
    } else {
      add(key, value);
    }
  }

  /** Removes {@code key}; returns its value, or null. */
  V remove(String key) {
    int slot = index.get(key);
    if (slot < 0) {
      return null;
    }
    index.remove(key);  // reads the keys of its probe run, this one included: cleared after
    V value = values.get(slot);
    keys.set(slot, null);
    values.set(slot, null);
    if (freeCount == free.length) {
      free = java.util.Arrays.copyOf(free, freeCount * 2);
    }
    free[freeCount++] = slot;
    size--;
    return value;
  }

  /** Calls {@code action} with each key and value, in no particular order. */
  void forEach(BiConsumer<String, ? super V> action) {
    for (int slot = 0; slot < used; slot++) {
      String key = keys.get(slot);
      if (key != null) {
        action.accept(key, values.get(slot));
      }
    }
  }

  /** About the bytes of the map itself (not its values): keys' and values' chunks, the index. */
  long estimatedBytes() {
    return 64 + 8L * keys.capacity() + index.estimatedBytes() + 4L * free.length;
  }

  private void add(String key, V value) {
    int slot = freeCount > 0 ? free[--freeCount] : used++;
    keys.set(slot, key);
    values.set(slot, value);
    index.put(key, slot);
    size++;
  }
}
