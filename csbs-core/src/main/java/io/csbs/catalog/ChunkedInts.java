package io.csbs.catalog;

import java.util.Arrays;

/**
 * An {@code int} array that grows by adding chunks of {@value #CHUNK} rather than by copying, like
 * {@link ChunkedArray} but unboxed: {@link TextIndex} keeps the row of each entry that has one row
 * in it, four bytes an entry where a {@link Postings} would take fifty, and with mostly distinct
 * names there are millions of entries. The first chunk starts small and doubles.
 */
final class ChunkedInts {
  private static final int CHUNK_BITS = 14;
  static final int CHUNK = 1 << CHUNK_BITS;
  private static final int MASK = CHUNK - 1;

  private int[][] chunks = {new int[16]};
  private int capacity = 16;

  int get(int index) {
    return chunks[index >>> CHUNK_BITS][index & MASK];
  }

  /** Sets {@code index}, growing by a chunk (or the first chunk's doubling) when it is the next one. */
  void set(int index, int value) {
    if (index >= capacity) {
      grow(index + 1);
    }
    chunks[index >>> CHUNK_BITS][index & MASK] = value;
  }

  /** About the bytes the array takes on the heap. */
  long estimatedBytes() {
    long bytes = 16 + 16 + 4L * chunks.length;
    for (int[] chunk : chunks) {
      bytes += chunk == null ? 0 : 16 + 4L * chunk.length;
    }
    return bytes;
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
      chunks[chunk] = new int[CHUNK];
      capacity += CHUNK;
    }
  }
}
