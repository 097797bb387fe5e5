package io.csbs.catalog;

import java.util.Arrays;

/**
 * An array of references that grows by adding chunks of {@value #CHUNK} rather than by copying, like
 * {@link RowArray} (whose rows it leaves typed, for the hot paths): {@link TextIndex} keeps its
 * entries in them, a few million when names are mostly distinct, where doubling four flat arrays
 * would copy tens of megabytes under the write lock. The first chunk starts small and doubles.
 */
final class ChunkedArray<T> {
  private static final int CHUNK_BITS = 14;
  static final int CHUNK = 1 << CHUNK_BITS;
  private static final int MASK = CHUNK - 1;

  private Object[][] chunks = {new Object[16]};
  private int capacity = 16;

  @SuppressWarnings("unchecked")
  T get(int index) {
    return (T) chunks[index >>> CHUNK_BITS][index & MASK];
  }

  /** Sets {@code index}, growing by a chunk (or the first chunk's doubling) when it is the next one. */
  void set(int index, T value) {
    if (index >= capacity) {
      grow(index + 1);
    }
    chunks[index >>> CHUNK_BITS][index & MASK] = value;
  }

  /**
   * Reads this array by index. Every array hands out a function of one class, so that the call in
   * {@link IdIndex} that reads keys sees two classes (this and the shard's rows), not one a caller:
   * a call site that sees more is not inlined, which cost the id lookups of every change 10 to 15%.
   */
  java.util.function.IntFunction<T> reader() {
    return this::get;
  }

  int capacity() {
    return capacity;
  }

  private void grow(int needed) {
    if (capacity < CHUNK) {
      int length = Math.min(CHUNK, Math.max(needed, capacity * 2));
      chunks[0] = Arrays.copyOf(chunks[0], length);
      capacity = length;
    }
    while (capacity < needed) {
      int chunk = capacity >>> CHUNK_BITS;
      if (chunk == chunks.length) {
        chunks = Arrays.copyOf(chunks, chunks.length + (chunks.length >>> 1) + 4);
      }
      chunks[chunk] = new Object[CHUNK];
      capacity += CHUNK;
    }
  }
}
