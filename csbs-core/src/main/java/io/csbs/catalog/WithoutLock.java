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
import java.util.List;
import java.util.Set;

/**
 * Which reads the catalog may run without the shard's lock and check afterwards ({@code
 * IndexedCatalog.readWithoutLock}): the first page in creation order (newest or oldest first) and the
 * count of every backup, of none, or of some states. Those are the sub-microsecond searches, for which
 * taking the lock cost more than the search beside a writer; their plans read the row array, the
 * live and status bitmaps with their counts, and the tail's order, walk positions one way only and
 * stop at a page, so that a mix of two states (a change coming in) can make them answer wrong or
 * throw, never loop without end or allocate more than the rows, and every such answer is thrown away.
 *
 * <p>Everything else reads under the lock: a marker (a lookup in the id table) or an offset (a skip
 * that goes back and forth in the tail), other sorts (a heap of matches, the names' order, built by
 * the first reader), and every other predicate, whose indexes a change may still be updating after it
 * let go of the lock ({@link ProjectShard#awaitUpdatesBehind}).
 *
 * <pre>{@code
 * WithoutLock.suits(Query.all());                                   // true: the default list
 * WithoutLock.suits(Query.where(Predicates.nameContains("db")));     // false
 * }</pre>
 */
final class WithoutLock implements PredicateVisitor<Boolean> {
  private static final WithoutLock PLANS = new WithoutLock();

  private WithoutLock() {}

  /** Whether {@code query} is a first page in creation order of a predicate that {@link #suits(BackupPredicate) suits}. */
  static boolean suits(Query query) {
    List<SortKey> keys = query.sort().keys();
    return query.marker().isEmpty() && query.offset() == 0
        && keys.size() == 1 && keys.get(0).field() == SortField.CREATED_AT
        && suits(query.predicate());
  }

  /** Whether {@code predicate} is every backup, none, or some states. */
  static boolean suits(BackupPredicate predicate) {
    return predicate.accept(PLANS);
  }

  @Override
  public Boolean all() {
    return true;
  }

  @Override
  public Boolean none() {
    return true;
  }

  @Override
  public Boolean status(Set<BackupStatus> statuses) {
    return true;
  }

  @Override
  public Boolean createdIn(TimeRange range) {
    return false;
  }

  @Override
  public Boolean createdWithinLast(Duration window) {
    return false;
  }

  @Override
  public Boolean nameContains(String text) {
    return false;
  }

  @Override
  public Boolean serverNameContains(String text) {
    return false;
  }

  @Override
  public Boolean backupId(String id) {
    return false;
  }

  @Override
  public Boolean attribute(Attribute attribute, String value) {
    return false;
  }

  @Override
  public Boolean tag(String key, List<String> values) {
    return false;
  }

  @Override
  public Boolean stalled() {
    return false;
  }

  @Override
  public Boolean and(List<BackupPredicate> operands) {
    return false;
  }

  @Override
  public Boolean or(List<BackupPredicate> operands) {
    return false;
  }

  @Override
  public Boolean not(BackupPredicate operand) {
    return false;
  }
}
