package io.csbs.catalog;

import io.csbs.backup.BackupStatus;
import io.csbs.query.Attribute;
import io.csbs.query.BackupPredicate;
import io.csbs.query.PredicateVisitor;
import io.csbs.query.Query;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import io.csbs.query.TimeRange;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Which reads the catalog may run without the shard's lock and check afterwards ({@code
 * IndexedCatalog.readWithoutLock}): the pages in creation order (newest or oldest first, at any
 * marker or offset) and the counts of predicates made of every backup, none, states and creation
 * times, with and, or and not. Those are the searches that cost a microsecond or a few, for which
 * taking the lock cost as much as the search beside a writer. Their plans read only what a change
 * updates under the lock: the row array, the live and status bitmaps with their counts, the tail's
 * order and the id table (a marker). Their loops end whatever they read: binary searches and
 * gallops that narrow or widen a bound each step, walks of bitmaps and of the tail's blocks that move
 * one way (a skip by offset goes back only inside a chunk it halves), and a probe of the id table
 * that stops at an empty slot or after as many slots as the table has. They allocate no more than
 * the rows. So a mix of two states (a change coming in) can make them answer wrong or throw, never
 * loop without end, and every such answer is thrown away.
 *
 * <p>Everything else reads under the lock: other sorts (a heap of matches, the names' order, built by
 * the first reader), and every other predicate, whose indexes (postings of fields and tags, texts,
 * running jobs) a change may still be updating after it let go of the lock ({@link
 * ProjectShard#awaitUpdatesBehind}).
 *
 * <pre>{@code
 * WithoutLock.suits(Query.all());                                                   // true: the default list
 * WithoutLock.suits(Query.where(Predicates.and(Predicates.createdWithinLast(Duration.ofDays(7)),
 *     Predicates.status(BackupStatus.AVAILABLE))));                                 // true
 * WithoutLock.suits(Query.where(Predicates.nameContains("db")));                     // false
 * }</pre>
 */
final class WithoutLock {
  /** The kinds of a predicate tree's leaves. */
  private enum Leaf { ALL, NONE, STATUS, CREATED_IN, CREATED_WITHIN_LAST, NAME, SERVER_NAME, BACKUP_ID, ATTRIBUTE, TAG, STALLED }

  /** Every leaf a plan without the lock reads: no tag criteria among them, so the plan's tag-set path is not reached. */
  private static final LeavesOf PLANS = new LeavesOf(
      EnumSet.of(Leaf.ALL, Leaf.NONE, Leaf.STATUS, Leaf.CREATED_IN, Leaf.CREATED_WITHIN_LAST), true);
  /** A leaf relative to the present. */
  private static final LeavesOf READS_THE_CLOCK = new LeavesOf(EnumSet.of(Leaf.CREATED_WITHIN_LAST, Leaf.STALLED), false);

  private WithoutLock() {}

  /** Whether {@code query} is a page in creation order of a predicate that {@link #suits(BackupPredicate) suits}. */
  static boolean suits(Query query) {
    List<SortKey> keys = query.sort().keys();
    return keys.size() == 1 && keys.get(0).field() == SortField.CREATED_AT && suits(query.predicate());
  }

  /** Whether {@code predicate} is made of every backup, none, states and creation times only. */
  static boolean suits(BackupPredicate predicate) {
    return predicate.accept(PLANS);
  }

  /**
   * Whether the answer to {@code predicate} depends on the instant it is asked at as well as on the
   * catalog's state: it has a window relative to the present ({@code createdWithinLast}, stalled jobs).
   */
  static boolean readsTheClock(BackupPredicate predicate) {
    return predicate.accept(READS_THE_CLOCK);
  }

  /** Whether every leaf of a tree (or, not {@code every}, any leaf) is of one of {@code kinds}. */
  private static final class LeavesOf implements PredicateVisitor<Boolean> {
    private final Set<Leaf> kinds;
    private final boolean every;

    LeavesOf(Set<Leaf> kinds, boolean every) {
      this.kinds = kinds;
      this.every = every;
    }

    @Override
    public Boolean all() {
      return kinds.contains(Leaf.ALL);
    }

    @Override
    public Boolean none() {
      return kinds.contains(Leaf.NONE);
    }

    @Override
    public Boolean status(Set<BackupStatus> statuses) {
      return kinds.contains(Leaf.STATUS);
    }

    @Override
    public Boolean createdIn(TimeRange range) {
      return kinds.contains(Leaf.CREATED_IN);
    }

    @Override
    public Boolean createdWithinLast(Duration window) {
      return kinds.contains(Leaf.CREATED_WITHIN_LAST);
    }

    @Override
    public Boolean nameContains(String text) {
      return kinds.contains(Leaf.NAME);
    }

    @Override
    public Boolean serverNameContains(String text) {
      return kinds.contains(Leaf.SERVER_NAME);
    }

    @Override
    public Boolean backupId(String id) {
      return kinds.contains(Leaf.BACKUP_ID);
    }

    @Override
    public Boolean attribute(Attribute attribute, String value) {
      return kinds.contains(Leaf.ATTRIBUTE);
    }

    @Override
    public Boolean tag(String key, List<String> values) {
      return kinds.contains(Leaf.TAG);
    }

    @Override
    public Boolean stalled() {
      return kinds.contains(Leaf.STALLED);
    }

    @Override
    public Boolean and(List<BackupPredicate> operands) {
      return ofOperands(operands);
    }

    @Override
    public Boolean or(List<BackupPredicate> operands) {
      return ofOperands(operands);
    }

    @Override
    public Boolean not(BackupPredicate operand) {
      return operand.accept(this);
    }

    private boolean ofOperands(List<BackupPredicate> operands) {
      for (BackupPredicate operand : operands) {
        if (operand.accept(this) != every) {
          return !every;  // one leaf not of the kinds (every), or one of them (any), decides
        }
      }
      return every;
    }
  }
}
