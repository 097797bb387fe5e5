package io.csbs.catalog;

import io.csbs.backup.Backup;
import io.csbs.query.Sort;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The all-projects view's page: each project's matches read in the sort's order a few at a time, and
 * the projects merged by a heap, so that a page costs about its depth times the log of the number of
 * projects, not a sort of every project's first pages (1,000 projects times a page each, sorted,
 * for every page). Runs under every project's read lock.
 */
final class ProjectMerge {
  /** The first read of each project: most projects give a page few backups or none. */
  private static final int FIRST_BATCH = 4;
  /** The largest read of one project: reads double up to it as a project keeps giving. */
  private static final int MAX_BATCH = 4096;

  private ProjectMerge() {}

  /**
   * Up to {@code limit} backups of the merged order after skipping {@code skip}, all after {@code
   * marker} (null for none); the order is {@code sort}'s, then the project id.
   *
   * @param shards the projects, locked for reading
   * @param matches each project's matches, in the order of {@code shards}
   */
  static List<Backup> read(List<ProjectShard> shards, List<Positions> matches, Sort sort, Backup marker,
      long skip, int limit) {
    Comparator<Backup> order = sort.comparator().thenComparing(Backup::projectId);
    long wanted = Pager.plus(skip, limit);
    List<Cursor> cursors = new ArrayList<>();
    for (int i = 0; i < shards.size(); i++) {
      if (matches.get(i).isEmpty()) {
        continue;
      }
      ProjectShard shard = shards.get(i);
      // after the marker; where the marker's sort values tie, the projects after its project come after it
      Pager.After after = marker == null ? null
          : new Pager.After(marker, shard.projectId.compareTo(marker.projectId()) > 0);
      Cursor cursor = new Cursor(shard, matches.get(i), sort, wanted);
      if (cursor.fill(after)) {
        cursors.add(cursor);
      }
    }
    Heap heads = new Heap(cursors, order);
    List<Backup> page = new ArrayList<>(Math.min(limit, 1024));
    long skipped = 0;
    while (page.size() < limit && !heads.isEmpty()) {
      Cursor first = heads.first();
      if (skipped < skip) {
        skipped++;
      } else {
        page.add(first.head());
      }
      heads.firstMoved(first.advance());
    }
    return page;
  }

  /**
   * A binary heap of the cursors by their heads, the least first: built in linear time (most
   * projects give a page nothing, so building it is most of the work), and the first cursor sifted
   * down in place after it moves, one descent a backup instead of a removal and an insertion.
   */
  private static final class Heap {
    private final Cursor[] cursors;
    private final Comparator<Backup> order;
    private int size;

    Heap(List<Cursor> cursors, Comparator<Backup> order) {
      this.cursors = cursors.toArray(new Cursor[0]);
      this.order = order;
      this.size = this.cursors.length;
      for (int i = size / 2 - 1; i >= 0; i--) {
        siftDown(i);
      }
    }

    boolean isEmpty() {
      return size == 0;
    }

    Cursor first() {
      return cursors[0];
    }

    /** The first cursor moved to its next backup, or has none left. */
    void firstMoved(boolean hasMore) {
      if (!hasMore) {
        cursors[0] = cursors[--size];
        cursors[size] = null;
      }
      if (size > 0) {
        siftDown(0);
      }
    }

    private void siftDown(int at) {
      Cursor moving = cursors[at];
      while (true) {
        int child = 2 * at + 1;
        if (child >= size) {
          break;
        }
        if (child + 1 < size && order.compare(cursors[child + 1].head(), cursors[child].head()) < 0) {
          child++;
        }
        if (order.compare(cursors[child].head(), moving.head()) >= 0) {
          break;
        }
        cursors[at] = cursors[child];
        at = child;
      }
      cursors[at] = moving;
    }
  }

  /** One project's matches in order: the batch read last and the place in it. */
  private static final class Cursor {
    private final ProjectShard shard;
    private final Positions matches;
    private final Sort sort;
    /** How many the page may still take from this project: no read goes beyond it. */
    private long budget;
    private int nextBatch = FIRST_BATCH;
    private List<Backup> batch = List.of();
    private int at;

    Cursor(ProjectShard shard, Positions matches, Sort sort, long budget) {
      this.shard = shard;
      this.matches = matches;
      this.sort = sort;
      this.budget = budget;
    }

    Backup head() {
      return batch.get(at);
    }

    /** Moves to the next backup; false when the project has no more the page can take. */
    boolean advance() {
      at++;
      return at < batch.size() || fill(new Pager.After(batch.get(batch.size() - 1), false));
    }

    /** Reads the next batch, strictly after {@code after}; false if there is none. */
    boolean fill(Pager.After after) {
      if (budget <= 0) {
        return false;
      }
      int size = (int) Math.min(budget, nextBatch);
      batch = Pager.read(shard, matches, sort, after, 0, size);
      at = 0;
      budget -= batch.size();
      nextBatch = Math.min(MAX_BATCH, nextBatch * 2);
      return !batch.isEmpty();
    }
  }
}
