package io.csbs.catalog;

import io.csbs.backup.Backup;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Reads matches of one shard in a query's order. The creation-time orders (newest first, the
 * default, and oldest first) walk the row positions, which are in that order already, and stop as
 * soon as the page is full: the first page of any search never sorts the matches. A sort by name
 * walks the distinct names in order ({@link EntryOrder}) and sorts only each name's rows. Other
 * orders keep the best rows in a bounded heap, one pass over the matches.
 */
final class Pager {
  private Pager() {}

  /**
   * Where a page starts: strictly after {@code backup} in the query's order, or also at an equal
   * position when {@code tieIncluded} (a backup of a later project in the all-projects view).
   */
  record After(Backup backup, boolean tieIncluded) {}

  /**
   * Up to {@code limit} matches of {@code set} in {@code sort}'s order, after skipping {@code skip},
   * all strictly after {@code after} (null for none).
   */
  static List<Backup> read(ProjectShard shard, Positions set, Sort sort, After after, long skip, int limit) {
    if (limit <= 0 || set.isEmpty()) {
      return List.of();
    }
    if (set instanceof MatchSet && !((MatchSet) set).isDense() && set.cardinality() <= FEW) {
      return readFew(shard, set, sort.comparator(), after, skip, limit);
    }
    List<SortKey> keys = sort.keys();
    if (keys.size() == 1 && keys.get(0).field() == SortField.CREATED_AT) {
      return readInRowOrder(shard, set, !keys.get(0).ascending(), after, skip, limit);
    }
    if (keys.get(0).field() == SortField.NAME) {
      List<Backup> byName = readByName(shard, set, sort, after, skip, limit);
      if (byName != null) {
        return byName;
      }
    }
    return readWithHeap(shard, set, sort.comparator(), after, skip, limit);
  }

  /** A walk by name may visit at least this many names before it gives way to the heap. */
  private static final int NAME_WALK_MIN_BUDGET = 256;

  /**
   * A sort by name: walks the distinct names in order ({@link EntryOrder}) from the marker's, and
   * takes each name's matching rows in the sort's order, until the page is full; a name whose
   * matches all fall in the offset is skipped by their count. The shard's first sort by name sorts
   * its names ({@link TextIndex#orderForReaders()}), and the shard keeps the order from then on.
   * Returns null, for the heap to answer, when the walk has visited more names than half the
   * matches (matches few or bunched among the last names): then reading every match costs less, and
   * the walk gives way after costing at most half of that.
   */
  private static List<Backup> readByName(ProjectShard shard, Positions set, Sort sort, After after, long skip, int limit) {
    TextIndex names = shard.names();
    EntryOrder order = names.orderForReaders();
    shard.keepNameOrder();
    List<SortKey> keys = sort.keys();
    boolean ascending = keys.get(0).ascending();
    Comparator<Backup> full = sort.comparator();
    // (name, created at) in one direction, ties by id in the same: within a name, the row order
    boolean rowOrderWithinName = keys.size() == 2 && keys.get(1).field() == SortField.CREATED_AT
        && keys.get(1).ascending() == ascending;
    String markerName = after == null ? null : after.backup().name();
    long cursor;
    if (markerName == null) {
      cursor = ascending ? order.first() : order.last();
    } else {
      cursor = ascending ? order.ceiling(markerName, true) : order.floor(markerName, true);
    }
    long budget = Math.max(NAME_WALK_MIN_BUDGET, set.cardinality() / 2);
    List<Backup> page = new ArrayList<>(Math.min(limit, 1024));
    long toSkip = skip;
    for (boolean first = true; cursor != EntryOrder.END && page.size() < limit;
        cursor = ascending ? order.next(cursor) : order.previous(cursor), first = false) {
      if (--budget < 0) {
        return null;
      }
      int entry = order.at(cursor);
      // only the first name walked can be the marker's: the others are all past it
      After within = first && markerName != null && names.text(entry).equals(markerName) ? after : null;
      int only = names.onlyRow(entry);
      if (only >= 0) {  // most names, when names are mostly distinct: a test, no set
        if (set.contains(only)) {
          Backup backup = shard.row(only);
          if (within == null || eligible(full, backup, within)) {
            if (toSkip > 0) {
              toSkip--;
            } else {
              page.add(backup);
            }
          }
        }
        continue;
      }
      int held = names.count(entry);
      if (held == 0) {
        continue;
      }
      MatchSet group = names.rowsOf(entry);
      MatchSet matches = held <= 32 || !(set instanceof MatchSet) ? group.filter(set::contains) : group.and((MatchSet) set);
      int count = matches.cardinality();
      budget -= count / 4;  // reading a name's rows costs about what reading them into the heap would
      if (count == 0) {
        continue;
      }
      if (within == null && count <= toSkip) {
        toSkip -= count;
        continue;
      }
      int wanted = limit - page.size();
      if (rowOrderWithinName && count > FEW && (within == null || toSkip == 0)) {
        // the page needs more matches than the offset left, or starts after the marker: all of the
        // offset is skipped in this name
        page.addAll(readInRowOrder(shard, matches, !ascending, within, toSkip, wanted));
        toSkip = 0;
      } else {
        toSkip = addInOrder(shard, matches, full, within, toSkip, wanted, page);
      }
    }
    return page;
  }

  /**
   * Adds to {@code page} up to {@code wanted} of {@code set}'s matches after {@code after} (null for
   * all), in {@code order}, after skipping {@code skip} of them; returns the skip left (when the
   * matches after {@code after} are no more than {@code skip}).
   */
  private static long addInOrder(
      ProjectShard shard, Positions set, Comparator<Backup> order, After after, long skip, int wanted, List<Backup> page) {
    int capacity = (int) Math.min(Integer.MAX_VALUE - 1, plus(skip, wanted));
    PriorityQueue<Backup> worstFirst = new PriorityQueue<>(Math.min(capacity, 1024) + 1, order.reversed());
    long eligibleCount = 0;
    for (int position = set.next(0); position >= 0; position = set.next(position + 1)) {
      Backup backup = shard.row(position);
      if (!eligible(order, backup, after)) {
        continue;
      }
      eligibleCount++;
      if (worstFirst.size() < capacity) {
        worstFirst.add(backup);
      } else if (order.compare(backup, worstFirst.peek()) < 0) {
        worstFirst.poll();
        worstFirst.add(backup);
      }
    }
    if (eligibleCount <= skip) {
      return skip - eligibleCount;
    }
    List<Backup> best = new ArrayList<>(worstFirst);
    best.sort(order);
    page.addAll(best.subList((int) skip, Math.min(best.size(), (int) skip + wanted)));
    return 0;
  }

  /** {@code skip + wanted}, at most {@link Long#MAX_VALUE}: an offset may be as large as that. */
  static long plus(long skip, int wanted) {
    return skip > Long.MAX_VALUE - wanted ? Long.MAX_VALUE : skip + wanted;
  }

  /** Matches this few (an id, a rare name) are sorted outright: a walk or a heap costs more to set up. */
  private static final int FEW = 8;

  private static List<Backup> readFew(
      ProjectShard shard, Positions set, Comparator<Backup> order, After after, long skip, int limit) {
    if (set.cardinality() == 1) {  // a backup id: an immutable list of one, which Page keeps as it is
      Backup only = shard.row(set.next(0));
      return skip == 0 && eligible(order, only, after) ? List.of(only) : List.of();
    }
    List<Backup> found = new ArrayList<>(FEW);
    for (int position = set.next(0); position >= 0; position = set.next(position + 1)) {
      Backup backup = shard.row(position);
      if (eligible(order, backup, after)) {
        found.add(backup);
      }
    }
    found.sort(order);
    int from = (int) Math.min(skip, found.size());
    return found.subList(from, Math.min(found.size(), from + limit));
  }

  private static boolean eligible(Comparator<Backup> order, Backup backup, After after) {
    if (after == null) {
      return true;
    }
    int comparison = order.compare(backup, after.backup());
    return comparison > 0 || (comparison == 0 && after.tieIncluded());
  }

  private static List<Backup> readInRowOrder(
      ProjectShard shard, Positions set, boolean descending, After after, long skip, int limit) {
    Comparator<Backup> order = descending ? NEWEST_FIRST : OLDEST_FIRST;
    int sorted = shard.sortedCount();
    TailStream tail = TailStream.of(shard, set, descending, after, plus(skip, limit));

    // the first sorted position in the walk
    int cursor;
    if (after == null) {
      cursor = descending ? sorted - 1 : 0;
    } else {
      // one binary search, the bound the walk starts from: newest first it ends before the first row
      // not before the marker (after it, when the marker's ties are included); oldest first it starts
      // there (at the first row after it, when they are not). The all-projects view seeks every project.
      boolean fromNotBefore = descending != after.tieIncluded();
      int bound = fromNotBefore ? shard.firstSortedNotBefore(after.backup()) : shard.firstSortedAfter(after.backup());
      cursor = descending ? bound - 1 : bound;
    }
    int position;
    if (skip == 0) {
      position = nextInWalk(set, cursor, descending, sorted);
    } else if (tail.peek() == null) {
      position = skipSorted(set, cursor, skip, descending, sorted);
    } else {
      position = skipMerged(shard, set, tail, cursor, skip, descending, sorted);
    }
    List<Backup> page = new ArrayList<>(Math.min(limit, 1024));
    while (page.size() < limit) {
      Backup fromRows = position >= 0 ? shard.row(position) : null;
      Backup fromTail = tail.peek();
      if (fromRows == null && fromTail == null) {
        break;
      } else if (fromTail == null || (fromRows != null && order.compare(fromRows, fromTail) < 0)) {
        page.add(fromRows);
        position = nextInWalk(set, descending ? position - 1 : position + 1, descending, sorted);
      } else {
        page.add(fromTail);
        tail.advance();
      }
    }
    return page;
  }

  private static final Comparator<Backup> OLDEST_FIRST = ProjectShard.ROW_ORDER;
  private static final Comparator<Backup> NEWEST_FIRST = (a, b) -> ProjectShard.compareRows(b, a);

  /** The sorted match {@code skip} matches into the walk from {@code cursor}, a word at a time; or -1. */
  private static int skipSorted(Positions set, int cursor, long skip, boolean descending, int sorted) {
    if (descending) {
      return set.previousSkipping(Math.min(cursor, sorted - 1), skip);
    }
    int position = set.nextSkipping(cursor, skip);
    return position >= sorted ? -1 : position;
  }

  /**
   * Skips {@code skip} matches of the merged walk, advancing {@code tail} past the tail matches
   * skipped, and returns the next sorted match of the walk. Between two tail matches the sorted
   * matches are counted a word at a time, so an offset costs the tail matches before it, not the
   * offset.
   */
  private static int skipMerged(
      ProjectShard shard, Positions set, TailStream tail, int cursor, long skip, boolean descending, int sorted) {
    long remaining = skip;
    int walk = descending ? Math.min(cursor, sorted - 1) : Math.max(cursor, 0);
    // whole chunks of tail matches first, each twice the one before while they fit, then halves
    // (a binary search over the tail matches): one search of the sorted rows a chunk, not a match
    int chunk = SKIP_CHUNK;
    while (tail.walking()) {
      long saved = tail.save();
      int n = tail.advanceBy(chunk);
      if (n == 0) {
        break;
      }
      Backup lastOfChunk = tail.lastPassed();
      int boundary = descending ? shard.firstAfterGallopingDown(lastOfChunk, walk + 1)
          : shard.firstAfterGallopingUp(lastOfChunk, walk);
      int before = descending ? set.countIn(boundary, walk + 1) : set.countIn(walk, boundary);
      if (before + n > remaining) {
        tail.restore(saved);  // the page starts inside this chunk: halve it, then match by match below
        if (n == 1) {
          break;
        }
        chunk = n / 2;
        continue;
      }
      remaining -= before + n;
      walk = descending ? boundary - 1 : boundary;
      if (remaining == 0) {
        return nextInWalk(set, walk, descending, sorted);
      }
      chunk = Math.min(chunk * 2, 1 << 16);
    }
    while (true) {
      Backup next = tail.peek();
      if (next == null) {
        return remaining == 0 ? nextInWalk(set, walk, descending, sorted)
            : skipSorted(set, walk, remaining, descending, sorted);
      }
      // the sorted matches that come before the next tail match in the walk
      int boundary;
      int before;
      if (descending) {
        boundary = shard.firstAfterGallopingDown(next, walk + 1);
        before = set.countIn(boundary, walk + 1);
      } else {
        boundary = shard.firstAfterGallopingUp(next, walk);
        before = set.countIn(walk, boundary);
      }
      if (before > remaining) {
        return skipSorted(set, walk, remaining, descending, sorted);
      }
      remaining -= before;
      walk = descending ? boundary - 1 : boundary;
      if (remaining == 0) {
        return nextInWalk(set, walk, descending, sorted);
      }
      tail.advance();
      remaining--;
    }
  }

  /** Tail matches skipped at once, at first, when an offset passes them all. */
  private static final int SKIP_CHUNK = 64;

  /**
   * The tail matches eligible after the marker, in the walk's order. Either walks the tail's order
   * testing each row against the set (cheap when matches are common there), or collects the set's
   * tail positions and orders them with a heap (cheap when they are few): whichever costs less for
   * this set.
   */
  private static final class TailStream {
    private static final TailStream NONE = new TailStream(null, null, null, true, TailOrder.END, null, 0);

    private final ProjectShard shard;
    private final Positions set;
    private final TailOrder order;
    private final boolean descending;
    private long cursor;
    /** The cursor of the last match {@link #advanceBy} passed. */
    private long lastPassed = TailOrder.END;
    /** The collected matches as a heap of the walk's order, or null when walking {@link #order}. */
    private final Backup[] heap;
    private int heapSize;

    private TailStream(ProjectShard shard, Positions set, TailOrder order, boolean descending, long cursor,
        Backup[] heap, int heapSize) {
      this.shard = shard;
      this.set = set;
      this.order = order;
      this.descending = descending;
      this.cursor = cursor;
      this.heap = heap;
      this.heapSize = heapSize;
    }

    static TailStream of(ProjectShard shard, Positions set, boolean descending, After after, long wanted) {
      TailOrder order = shard.tail();
      int tailRows = order.size();
      if (tailRows == 0) {
        return NONE;
      }
      // every live row, or whole states: the shard counts their tail rows, so the tail's words need
      // no count (a tail of 100,000 rows took the default list's first page 1.5 us to count)
      int matches = shard.matchesInTail(set);
      if (matches == 0) {
        return NONE;
      }
      // cost of walking: tail rows tested until enough matches; of collecting: the matches, then a heap
      boolean dense = !(set instanceof MatchSet) || ((MatchSet) set).isDense();
      // a union of tag sets tests each of its sets (a binary search each, for most): walking a long
      // tail by those tests cost the two-tag search milliseconds beside an import
      double perTest = set.containsCost();
      double walkCost = Math.min(tailRows, (Math.min(matches, wanted) + 1) * (double) tailRows / matches) * perTest;
      double collectCost = (dense ? tailRows / 32.0 : 0) + 4.0 * matches
          + 4.0 * Math.min(matches, wanted) * (32 - Integer.numberOfLeadingZeros(matches));
      if (collectCost < walkCost) {
        return collected(shard, set, descending, after, matches, wanted);
      }
      long start;
      if (after == null) {
        start = descending ? order.last() : order.first();
      } else {
        Backup marker = after.backup();
        boolean tie = after.tieIncluded();
        // descending: the last row before the marker (or at it); ascending: the first after it (or at it)
        long notBefore = order.firstNotBefore(
            row -> descending == tie ? ProjectShard.compareRows(row, marker) <= 0 : ProjectShard.compareRows(row, marker) < 0,
            shard.rowAt());
        if (descending) {
          start = notBefore == TailOrder.END ? order.last() : order.previous(notBefore);
        } else {
          start = notBefore;
        }
      }
      TailStream stream = new TailStream(shard, set, order, descending, start, null, 0);
      stream.skipMisses();
      return stream;
    }

    /**
     * The set's tail matches eligible after the marker, as a heap of the walk's order. A page takes
     * at most {@code wanted} of them: when there are more, only the first {@code wanted} of the walk
     * are kept, in a bounded heap whose top is the last of them, so that each other match costs one
     * comparison with that top (its row's creation time read once) rather than a place in a heap of
     * them all (two comparisons each, reading two rows' times: a fifth of a two-tag search's time
     * beside an import, its tail holding hundreds of matches).
     */
    private static TailStream collected(
        ProjectShard shard, Positions set, boolean descending, After after, int matches, long wanted) {
      Comparator<Backup> walk = descending ? NEWEST_FIRST : OLDEST_FIRST;
      int keep = (int) Math.max(1, Math.min(wanted, matches));
      Backup[] heap = new Backup[keep];
      Comparator<Backup> lastOnTop = descending ? OLDEST_FIRST : NEWEST_FIRST;
      int[] n = {0};
      set.forEachFrom(shard.sortedCount(), position -> {
        Backup backup = shard.row(position);
        if (!eligible(walk, backup, after)) {
          return;
        }
        if (n[0] < keep) {
          heap[n[0]++] = backup;
          if (n[0] == keep && keep < matches) {
            heapify(heap, keep, lastOnTop);  // more may come: the last kept on top, to compare them with
          }
        } else if (walk.compare(backup, heap[0]) < 0) {
          heap[0] = backup;
          siftDown(heap, 0, keep, lastOnTop);
        }
      });
      heapify(heap, n[0], walk);
      return new TailStream(shard, set, null, descending, TailOrder.END, heap, n[0]);
    }

    /** Whether the stream walks the tail's order, so that {@link #save} and {@link #restore} work. */
    boolean walking() {
      return heap == null && cursor != TailOrder.END;
    }

    long save() {
      return cursor;
    }

    void restore(long saved) {
      cursor = saved;
    }

    /** The next tail match of the walk, or null. */
    Backup peek() {
      if (heap != null) {
        return heapSize == 0 ? null : heap[0];
      }
      return cursor == TailOrder.END ? null : shard.row(order.at(cursor));
    }

    /**
     * Advances past up to {@code matches} tail matches of a {@linkplain #walking() walk} and returns
     * how many it passed; {@link #lastPassed()} then reads the last one's row. Reads no row on the
     * way: the rows of late backups lie anywhere in memory, a cache miss each.
     */
    int advanceBy(int matches) {
      int n = 0;
      while (n < matches && cursor != TailOrder.END) {
        lastPassed = cursor;
        nextMatch();
        n++;
      }
      return n;
    }

    /** The row of the last match {@link #advanceBy} passed. */
    Backup lastPassed() {
      return shard.row(order.at(lastPassed));
    }

    void advance() {
      if (heap != null) {
        heap[0] = heap[--heapSize];
        heap[heapSize] = null;
        siftDown(heap, 0, heapSize, descending ? NEWEST_FIRST : OLDEST_FIRST);
        return;
      }
      nextMatch();
    }

    /** Moves the walk's cursor to the next tail match. */
    private void nextMatch() {
      cursor = descending ? order.previous(cursor) : order.next(cursor);
      skipMisses();
    }

    private void skipMisses() {
      while (cursor != TailOrder.END && !set.contains(order.at(cursor))) {
        cursor = descending ? order.previous(cursor) : order.next(cursor);
      }
    }

    private static void heapify(Backup[] heap, int size, Comparator<Backup> order) {
      for (int i = size / 2 - 1; i >= 0; i--) {
        siftDown(heap, i, size, order);
      }
    }

    private static void siftDown(Backup[] heap, int at, int size, Comparator<Backup> walk) {
      Backup moving = heap[at];
      while (true) {
        int child = 2 * at + 1;
        if (child >= size) {
          break;
        }
        if (child + 1 < size && walk.compare(heap[child + 1], heap[child]) < 0) {
          child++;
        }
        if (walk.compare(heap[child], moving) >= 0) {
          break;
        }
        heap[at] = heap[child];
        at = child;
      }
      heap[at] = moving;
    }
  }

  private static int nextInWalk(Positions set, int from, boolean descending, int sorted) {
    if (descending) {
      return set.previous(Math.min(from, sorted - 1));
    }
    if (from >= sorted) {
      return -1;
    }
    int position = set.next(from);
    return position < sorted ? position : -1;
  }

  /** One pass over the matches, keeping the best {@code skip + limit} in a bounded heap. */
  private static List<Backup> readWithHeap(
      ProjectShard shard, Positions set, Comparator<Backup> order, After after, long skip, int limit) {
    List<Backup> page = new ArrayList<>(Math.min(limit, 1024));
    addInOrder(shard, set, order, after, skip, limit, page);
    return page;
  }
}
