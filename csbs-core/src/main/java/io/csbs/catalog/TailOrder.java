package io.csbs.catalog;

import io.csbs.backup.Backup;
import java.time.Instant;
import java.util.function.IntFunction;
import java.util.function.Predicate;

/**
 * The live rows of a shard's out-of-order tail (positions {@code [sortedCount, size)}), listed in row
 * order (created at, then id), so that a query walks them in order beside the sorted rows instead of
 * sorting them. The positions are kept in a {@link TimeOrder} with their creation times beside them:
 * an insertion moves at most a block and the block table, whatever the length of the tail, so that a
 * late backup costs microseconds even in a tail of a hundred thousand rows while a reorganisation
 * runs, and a time segment finds its stretch of the tail, and walks it, without reading a row (the
 * row's id is read only to order backups created at the same instant whose ids begin alike: see
 * {@link #idKey}).
 *
 * <p>A cursor into the list is a {@code long}: the block in the high half, the index in it in the low
 * half; {@link #END} stands for none.
 *
 * <pre>{@code
 * TailOrder tail = new TailOrder();
 * tail.insert(position, backup, rows::get);
 * for (long c = tail.last(); c != TailOrder.END; c = tail.previous(c)) {
 *   int newest = tail.at(c);   // positions from the newest row of the tail to the oldest
 * }
 * }</pre>
 */
final class TailOrder {
  /** No entry: past either end. */
  static final long END = TimeOrder.END;

  private final TimeOrder order = new TimeOrder(true);  // keyed by idKey

  /** About the bytes the list takes on the heap. */
  long estimatedBytes() {
    return 16 + order.estimatedBytes();
  }

  int size() {
    return order.size();
  }

  void clear() {
    order.clear();
  }

  /** Adds {@code position}, whose row is {@code row}; {@code rowAt} reads the rows of the others. */
  void insert(int position, Backup row, IntFunction<Backup> rowAt) {
    insertAt(readAhead(row, rowAt), position, row);
  }

  /**
   * Where {@code row} goes in the order, or is, as a cursor ({@link #END} past the last entry): reads
   * what {@link #insert} and {@link #remove} read to find its place, changing nothing (a change's
   * read-ahead, under the read lock).
   */
  long readAhead(Backup row, IntFunction<Backup> rowAt) {
    Instant created = row.createdAt();
    long second = created.getEpochSecond();
    int nano = created.getNano();
    int key = idKey(row.id());
    // the first entry of this instant and key, or the entry after where they would be: then the place
    // whatever the id, and the tie that orders ids (it reads rows, and is made for the call, an
    // allocation) is made and asked only when entries of this instant and key are there
    long at = order.seek(second, nano, key, null);
    return at == END || !order.at(at, second, nano, key) ? at : order.seek(second, nano, key, idTie(row, rowAt));
  }

  /**
   * {@link #insert}, at {@code place}: what {@link #readAhead} answered for {@code row} with no change
   * to the order since.
   */
  void insertAt(long place, int position, Backup row) {
    Instant created = row.createdAt();
    order.insertAtCursor(place, created.getEpochSecond(), created.getNano(), idKey(row.id()), position);
  }

  /** Removes {@code position}, whose row is {@code row}. */
  void remove(int position, Backup row, IntFunction<Backup> rowAt) {
    Instant created = row.createdAt();
    long second = created.getEpochSecond();
    int nano = created.getNano();
    int key = idKey(row.id());
    // among the first entries of its instant and key (most often the only one), without a tie, which
    // is made for the call; else where the tie finds it
    long at = order.locateWithoutTie(second, nano, key, position);
    order.removeAt(at != END ? at : order.locateWithTie(second, nano, key, position, idTie(row, rowAt)), position);
  }

  /**
   * Reads what {@link #remove} of {@code row} reads first, changing nothing: the first entry of its
   * instant and key (a removal's read-ahead, under the read lock; no tie, which {@link #readAhead}
   * would call with the row in the order).
   */
  long readAheadOfRemove(Backup row) {
    Instant created = row.createdAt();
    return order.seek(created.getEpochSecond(), created.getNano(), idKey(row.id()), null);
  }

  /** Records that {@code row} moved from {@code from} to {@code to}: its place in the order is the same. */
  void move(int from, int to, Backup row, IntFunction<Backup> rowAt) {
    Instant created = row.createdAt();
    order.replace(created.getEpochSecond(), created.getNano(), idKey(row.id()), from, to, idTie(row, rowAt));
  }

  /**
   * The order of ids in an {@code int}, as far as their first characters tell it: {@code idKey(a) <
   * idKey(b)} (unsigned) implies {@code a.compareTo(b) < 0}, so the tail's order compares ids (a row
   * read, several cache misses) only where the keys are equal. The first four characters, a byte
   * each, while they are below 255 (the key stops at the first that is not, as 255: two ids that
   * reach it there are as equal as the key can tell); a shorter id ends in zeros. Ids that differ
   * early (UUIDs) rarely tie; ids of a common prefix always do, and are compared as before.
   */
  static int idKey(String id) {
    int key = 0;
    for (int i = 0; i < 4; i++) {
      int c = i < id.length() ? Math.min(id.charAt(i), 255) : 0;
      key |= c << (24 - 8 * i);
      if (c == 255) {
        break;
      }
    }
    return key;
  }

  /** Among rows created at the same instant whose {@link #idKey}s are equal, the order of ids. */
  private static TimeOrder.Tie idTie(Backup row, IntFunction<Backup> rowAt) {
    String id = row.id();
    return stored -> rowAt.apply(stored).id().compareTo(id);
  }

  /**
   * The first entry whose row {@code before} rejects, the rows it accepts being a prefix of the
   * order; {@link #END} if it accepts them all.
   */
  long firstNotBefore(Predicate<Backup> before, IntFunction<Backup> rowAt) {
    return order.firstNotBefore(position -> before.test(rowAt.apply(position)));
  }

  /** The first entry created at {@code instant} or after it ({@code inclusive}), or only after it; or {@link #END}. */
  long firstFrom(Instant instant, boolean inclusive) {
    long second = instant.getEpochSecond();
    int nano = instant.getNano();
    if (!inclusive) {  // the first instant after it
      if (nano == 999_999_999) {
        second++;
        nano = 0;
      } else {
        nano++;
      }
    }
    return order.seek(second, nano, null);
  }

  /**
   * Sets the bit {@code position - base} in {@code words} for the position at each cursor from {@code
   * from} up to {@code to} (excluded; {@link #END}: to the last); returns how many (see {@link
   * TimeOrder#setBits}).
   */
  int setBits(long from, long to, long[] words, int base) {
    return order.setBits(from, to, words, base);
  }

  /** Whether the row at {@code cursor} was created after {@code instant}, or at it when {@code orAt}. */
  boolean createdAfter(long cursor, Instant instant, boolean orAt) {
    return order.isAfter(cursor, instant.getEpochSecond(), instant.getNano(), orAt);
  }

  long first() {
    return order.first();
  }

  long last() {
    return order.last();
  }

  long next(long cursor) {
    return order.next(cursor);
  }

  long previous(long cursor) {
    return order.previous(cursor);
  }

  /** The position at {@code cursor}. */
  int at(long cursor) {
    return order.at(cursor);
  }
}
