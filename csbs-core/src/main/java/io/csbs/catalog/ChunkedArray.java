package io.csbs.catalog;

import java.util.Arrays;

/**
 * An array of references that grows by adding chunks of {@value #CHUNK} rather than by copying, like
 * {@link RowArray} (whose rows it leaves typed, for the hot paths): {@link TextIndex} keeps its
 * entries in them, a few million when names are mostly distinct, where doubling four flat arrays
 * would copy tens of megabytes under the write lock. The first chunk starts small and doubles; the
 * others are allocated when first written, so that an array set only here and there (the text
 * index's lower-case copies, for the few texts that have upper case) costs only the chunks it uses,
 * read with {@link #peek}.
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

  /** The element at {@code index}, or null if it was never set (its chunk not allocated yet). */
  @SuppressWarnings("unchecked")
  T peek(int index) {
    if (index >= capacity) {
      return null;
    }
    Object[] chunk = chunks[index >>> CHUNK_BITS];
    return chunk == null ? null : (T) chunk[index & MASK];
  }

  /** Sets {@code index}, growing by a chunk (or the first chunk's doubling) when it is the next one. */
  void set(int index, T value) {
    if (index >= capacity) {
      grow(index + 1);
    }
    Object[] chunk = chunks[index >>> CHUNK_BITS];
    if (chunk == null) {
      chunk = new Object[CHUNK];
      chunks[index >>> CHUNK_BITS] = chunk;
    }
    chunk[index & MASK] = value;
  }

  /** About the bytes the array takes on the heap: its directory and the chunks allocated. */
  long estimatedBytes() {
    long bytes = 16 + 16 + 4L * chunks.length;
    for (Object[] chunk : chunks) {
      bytes += chunk == null ? 0 : 16 + 4L * chunk.length;
    }
    return bytes;
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
      capacity += CHUNK;  // its chunk is allocated by the first set into it
    }
  }
}
