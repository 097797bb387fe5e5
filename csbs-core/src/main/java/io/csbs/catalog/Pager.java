package io.csbs.catalog;

import io.csbs.backup.Backup;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Reads matches of one shard in a query's order. The creation-time orders (newest first, the
 * default, and oldest first) walk the row positions, which are in that order already, and stop as
 * soon as the page is full: the first page of any search never sorts the matches. Other orders keep
 * the best rows in a bounded heap, one pass over the matches.
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
    return readWithHeap(shard, set, sort.comparator(), after, skip, limit);
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
    Comparator<Backup> order = descending ? ProjectShard.ROW_ORDER.reversed() : ProjectShard.ROW_ORDER;
    int sorted = shard.sortedCount();
    List<Backup> tail = new ArrayList<>();
    for (int position = set.next(sorted); position >= 0; position = set.next(position + 1)) {
      Backup backup = shard.row(position);
      if (eligible(order, backup, after)) {
        tail.add(backup);
      }
    }
    tail.sort(order);

    // the first sorted position in the walk
    int cursor;
    if (after == null) {
      cursor = descending ? sorted - 1 : 0;
    } else {
      int notBefore = shard.firstSortedNotBefore(after.backup());
      int afterIt = shard.firstSortedAfter(after.backup());
      if (descending) {
        cursor = (after.tieIncluded() ? afterIt : notBefore) - 1;
      } else {
        cursor = after.tieIncluded() ? notBefore : afterIt;
      }
    }
    long skipped = 0;
    int position;
    if (tail.isEmpty() && skip > 0) {
      // nothing to merge: skip the offset a word at a time
      position = descending ? set.previousSkipping(Math.min(cursor, sorted - 1), skip) : set.nextSkipping(cursor, skip);
      if (!descending && position >= sorted) {
        position = -1;
      }
      skipped = skip;
    } else {
      position = nextInWalk(set, cursor, descending, sorted);
    }
    int t = 0;
    List<Backup> page = new ArrayList<>(Math.min(limit, 1024));
    while (page.size() < limit) {
      Backup fromRows = position >= 0 ? shard.row(position) : null;
      Backup fromTail = t < tail.size() ? tail.get(t) : null;
      Backup next;
      if (fromRows == null && fromTail == null) {
        break;
      } else if (fromTail == null || (fromRows != null && order.compare(fromRows, fromTail) < 0)) {
        next = fromRows;
        position = nextInWalk(set, descending ? position - 1 : position + 1, descending, sorted);
      } else {
        next = fromTail;
        t++;
      }
      if (skipped < skip) {
        skipped++;
      } else {
        page.add(next);
      }
    }
    return page;
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

  private static List<Backup> readWithHeap(
      ProjectShard shard, Positions set, Comparator<Backup> order, After after, long skip, int limit) {
    long wanted = skip + limit;
    if (wanted > Integer.MAX_VALUE - 1) {
      wanted = Integer.MAX_VALUE - 1;
    }
    int capacity = (int) wanted;
    PriorityQueue<Backup> worstFirst = new PriorityQueue<>(Math.min(capacity, 1024) + 1, order.reversed());
    for (int position = set.next(0); position >= 0; position = set.next(position + 1)) {
      Backup backup = shard.row(position);
      if (!eligible(order, backup, after)) {
        continue;
      }
      if (worstFirst.size() < capacity) {
        worstFirst.add(backup);
      } else if (order.compare(backup, worstFirst.peek()) < 0) {
        worstFirst.poll();
        worstFirst.add(backup);
      }
    }
    List<Backup> best = new ArrayList<>(worstFirst);
    best.sort(order);
    if (skip >= best.size()) {
      return Collections.emptyList();
    }
    return best.subList((int) skip, Math.min(best.size(), (int) skip + limit));
  }
}
