package io.csbs.catalog;

import io.csbs.backup.Backup;
import java.util.Arrays;

/**
 * A shard's rows by position, in chunks of {@value #CHUNK} rows under a directory, so that the rows
 * grow by adding a chunk rather than copying every row: a flat array of 5M rows copied under the
 * write lock would hold it for milliseconds, a chunk is allocated in microseconds. The directory
 * itself is copied when it fills, one reference a chunk (a few hundred at 5M rows).
 *
 * <p>The first chunk starts small and doubles up to {@value #CHUNK} rows, so that the many small
 * projects of a catalog do not each pay for a full chunk. A row reads two arrays; the directory is
 * small enough to stay in cache.
 *
 * <pre>{@code
 * RowArray rows = new RowArray();
 * rows.ensureCapacity(1);
 * rows.set(0, backup);
 * rows.get(0); // backup
 * }</pre>
 */
final class RowArray {
  static final int CHUNK_BITS = 14;
  static final int CHUNK = 1 << CHUNK_BITS;
  private static final int MASK = CHUNK - 1;

  private Backup[][] chunks = {new Backup[16]};
  /** Rows that fit without growing: every chunk full but the first while it is the only one. */
  private int capacity = 16;
  /** The leading chunks let go of ({@link #releaseBelow}): reading a row of one fails. */
  private int released;

  Backup get(int position) {
    return chunks[position >>> CHUNK_BITS][position & MASK];
  }

  void set(int position, Backup backup) {
    chunks[position >>> CHUNK_BITS][position & MASK] = backup;
  }

  int capacity() {
    return capacity;
  }

  /** Makes positions {@code [0, rows)} writable; costs at most a chunk's allocation a new chunk. */
  void ensureCapacity(int rows) {
    if (rows <= capacity) {
      return;
    }
    if (capacity < CHUNK) {  // the first chunk, still growing: a small copy
      int length = Math.min(CHUNK, Math.max(rows, capacity * 2));
      chunks[0] = Arrays.copyOf(chunks[0], length);
      capacity = length;
    }
    while (capacity < rows) {
      int chunk = capacity >>> CHUNK_BITS;
      if (chunk == chunks.length) {
        chunks = Arrays.copyOf(chunks, chunks.length + (chunks.length >>> 1) + 4);
      }
      chunks[chunk] = new Backup[CHUNK];
      capacity += CHUNK;
    }
  }

  /**
   * Lets go of the full chunks whose rows all lie below {@code position}, and of the rows they hold:
   * for the removed oldest rows of a shard (a retention job), whose positions stay dead until a
   * reorganisation lays the rows out again. Reading a released row fails; callers read none below
   * {@code position} from then on.
   */
  void releaseBelow(int position) {
    int below = capacity < CHUNK ? 0 : Math.min(position >>> CHUNK_BITS, capacity >>> CHUNK_BITS);
    for (; released < below; released++) {
      chunks[released] = null;
    }
  }

  /** About the bytes the directory and chunks take on the heap (references of 4 bytes). */
  long estimatedBytes() {
    int held = Math.max(0, capacity - (released << CHUNK_BITS));
    return 16 + 16 + 4L * chunks.length + (long) ((held + CHUNK - 1) >>> CHUNK_BITS) * 16 + 4L * held;
  }

  /** Copies rows {@code [from, to)} into {@code into} from index 0. */
  void copyTo(int from, int to, Backup[] into) {
    for (int position = from; position < to; ) {
      int chunk = position >>> CHUNK_BITS;
      int offset = position & MASK;
      int length = Math.min(to - position, CHUNK - offset);
      System.arraycopy(chunks[chunk], offset, into, position - from, length);
      position += length;
    }
  }
}
