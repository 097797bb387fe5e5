package io.csbs.catalog;

import java.util.Arrays;

/**
 * An {@code int} array that grows by adding chunks of {@value #CHUNK} rather than by copying, like
 * {@link ChunkedArray} (which holds its chunks, chunk {@code k} at index {@code k}) but unboxed:
 * {@link TextIndex} keeps the row of each entry that has one row in it, four bytes an entry where a
 * {@link Postings} would take fifty, and with mostly distinct names there are millions of entries.
 * The first chunk starts small and doubles, so that the many small projects of a catalog do not each
 * pay for a full chunk.
 */
final class ChunkedInts {
  private static final int CHUNK_BITS = 14;
  static final int CHUNK = 1 << CHUNK_BITS;
  private static final int MASK = CHUNK - 1;

  private final ChunkedArray<int[]> chunks = new ChunkedArray<>();
  private int capacity;

  int get(int index) {
    return chunks.get(index >>> CHUNK_BITS)[index & MASK];
  }

  /** Sets {@code index}, growing by a chunk (or the first chunk's doubling) when it is the next one. */
  void set(int index, int value) {
    if (index >= capacity) {
      if (capacity < CHUNK) {
        int length = Math.min(CHUNK, Math.max(index + 1, Math.max(16, capacity * 2)));
        chunks.set(0, capacity == 0 ? new int[length] : Arrays.copyOf(chunks.get(0), length));
        capacity = length;
      }
      while (capacity <= index) {
        chunks.set(capacity >>> CHUNK_BITS, new int[CHUNK]);
        capacity += CHUNK;
      }
    }
    chunks.get(index >>> CHUNK_BITS)[index & MASK] = value;
  }

  /** About the bytes the array takes on the heap. */
  long estimatedBytes() {
    long bytes = 16 + chunks.estimatedBytes();
    for (int k = 0; k << CHUNK_BITS < capacity; k++) {
      bytes += 16 + 4L * chunks.get(k).length;
    }
    return bytes;
  }
}
