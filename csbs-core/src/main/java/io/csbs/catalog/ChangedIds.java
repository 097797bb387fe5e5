package io.csbs.catalog;

import java.util.HashSet;
import java.util.Set;

/**
 * The ids of the backups a reorganisation must catch up: those changed since it started copying
 * the rows, or since its last round. Writers append under the write lock, so an append must cost
 * the same however many came before: the ids go into chunks that are never copied ({@link
 * ChunkedArray}), repeats included (a hash set here grew by rehashing all it held, 5 to 10 ms under
 * the write lock once 400,000 ids had changed during a reorganisation of a million rows). The
 * reorganiser removes the repeats itself, outside the lock ({@link #distinct()}).
 *
 * <p>While the rows are copied, the log also marks each position a row was put at ({@link
 * #placed}): a row that moved, or a new one, may land at a position the copy has not reached, and
 * must not be copied there as well as caught up by id.
 *
 * <pre>{@code
 * ChangedIds changes = ChangedIds.whileCopying();
 * changes.add("b-1");                 // under the write lock, with the change
 * changes.placedAt(12);
 * changes.placed(12);                 // true: the copy skips position 12
 * changes.distinct();                 // ["b-1"]
 * }</pre>
 */
final class ChangedIds {
  private final ChunkedArray<String> ids = new ChunkedArray<>();
  private int count;
  /** The positions rows were put at, while the copy runs; null for the rounds after it. */
  private final PositionBits placed;

  private ChangedIds(PositionBits placed) {
    this.placed = placed;
  }

  /** A log for the copy of the rows: ids, and the positions rows are put at. */
  static ChangedIds whileCopying() {
    return new ChangedIds(new PositionBits());
  }

  /** A log for a round of catching up: ids only. */
  static ChangedIds afterCopying() {
    return new ChangedIds(null);
  }

  /** Notes a change of the backup {@code id}; the same id twice in a row is noted once. */
  void add(String id) {
    if (count > 0 && ids.get(count - 1) == id) {
      return;  // a job's progress reported again: its backup keeps the same id instance
    }
    ids.set(count++, id);
  }

  /** Notes that a row was put at {@code position} (only while the rows are copied). */
  void placedAt(int position) {
    if (placed != null) {
      placed.set(position, 0);
    }
  }

  /** Whether a row was put at {@code position} since the copy began: the copy leaves it to the catch-up. */
  boolean placed(int position) {
    return placed != null && placed.get(position);
  }

  /** How many changes were noted, repeats of an id counted unless in a row: at least the distinct ids. */
  int count() {
    return count;
  }

  /** The ids noted, each once, in no particular order. */
  String[] distinct() {
    Set<String> distinct = new HashSet<>(Math.max(16, count * 2));
    for (int i = 0; i < count; i++) {
      distinct.add(ids.get(i));
    }
    return distinct.toArray(new String[0]);
  }
}
