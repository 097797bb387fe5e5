package io.csbs.query;

import io.csbs.backup.BackupStatus;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Takes a {@link BackupPredicate} apart, one method per kind of node: how an index planner, a
 * translation to another query language or a printer reads a tree without depending on its classes.
 *
 * <pre>{@code
 * // how many leaves a tree has
 * class LeafCount implements PredicateVisitor<Integer> {
 *   public Integer and(List<BackupPredicate> operands) { return sum(operands); }
 *   public Integer or(List<BackupPredicate> operands) { return sum(operands); }
 *   public Integer not(BackupPredicate operand) { return operand.accept(this); }
 *   public Integer status(Set<BackupStatus> statuses) { return 1; }
 *   // ... 1 for every other leaf
 *   private int sum(List<BackupPredicate> operands) {
 *     return operands.stream().mapToInt(p -> p.accept(this)).sum();
 *   }
 * }
 * }</pre>
 *
 * @param <R> what a visit returns
 */
public interface PredicateVisitor<R> {
  /**
   * The node of every backup.
   *
   * @return the result for this node
   */
  R all();

  /**
   * No backup.
   *
   * @return the result for this node
   */
  R none();

  /**
   * Backups in one of {@code statuses} (one to four of the five; all five become {@link #all()}).
   *
   * @param statuses the states
   * @return the result for this node
   */
  R status(Set<BackupStatus> statuses);

  /**
   * Backups created within {@code range}.
   *
   * @param range the range of creation times
   * @return the result for this node
   */
  R createdIn(TimeRange range);

  /**
   * Backups created within {@code window} before the evaluation's now, up to now.
   *
   * @param window how far back from now
   * @return the result for this node
   */
  R createdWithinLast(Duration window);

  /**
   * Backups whose name contains {@code text}, ignoring case as {@link Predicates#nameContains} says
   * (the text given here is already lowered with {@code toLowerCase(Locale.ROOT)}).
   *
   * @param text the part of the name looked for
   * @return the result for this node
   */
  R nameContains(String text);

  /**
   * Backups whose server's name contains {@code text}, ignoring case as {@link
   * Predicates#nameContains} says (the text given here is already lowered).
   *
   * @param text the part of the server's name looked for
   * @return the result for this node
   */
  R serverNameContains(String text);

  /**
   * The backup with id {@code id}.
   *
   * @param id the backup id
   * @return the result for this node
   */
  R backupId(String id);

  /**
   * Backups whose {@code attribute} equals {@code value}.
   *
   * @param attribute the attribute compared
   * @param value its value, as text
   * @return the result for this node
   */
  R attribute(Attribute attribute, String value);

  /**
   * Backups with a tag {@code key} whose value matches one of {@code values}: an exact value, or
   * {@code *text} for a value containing {@code text}; an empty list means any value.
   *
   * @param key the tag key
   * @param values the values, any of which may match
   * @return the result for this node
   */
  R tag(String key, List<String> values);

  /**
   * Backups in an intermediate state whose progress has not changed for longer than the stall
   * threshold.
   *
   * @return the result for this node
   */
  R stalled();

  /**
   * Backups matching every operand (at least two).
   *
   * @param operands the operands, in order
   * @return the result for this node
   */
  R and(List<BackupPredicate> operands);

  /**
   * Backups matching at least one operand (at least two).
   *
   * @param operands the operands, in order
   * @return the result for this node
   */
  R or(List<BackupPredicate> operands);

  /**
   * Backups not matching {@code operand}.
   *
   * @param operand the negated predicate
   * @return the result for this node
   */
  R not(BackupPredicate operand);
}
