package io.csbs.query;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.lifecycle.StallRule;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A search criterion over backups, or a tree of them combined with and, or and not. Built with
 * {@link Predicates}; a tree is a value with equals, hashCode and a readable toString, normalized
 * when built (nested ands flattened, {@code not(not(p))} is {@code p}, and so on). The text names
 * one criterion only: texts and ids are printed between double quotes, a {@code "} or {@code \} in
 * them escaped with a backslash ({@code id = "a\"b"}).
 *
 * <p>{@link #test(Backup, Instant, StallRule)} evaluates it on one backup: the plain reference that
 * every indexed answer equals. Criteria relative to the present (the last 7 days, stalled) read
 * {@code now}; a catalog takes it from its clock once per query.
 *
 * <pre>{@code
 * BackupPredicate p = Predicates.and(
 *     Predicates.status(BackupStatus.AVAILABLE),
 *     Predicates.createdWithinLast(Duration.ofDays(7)),
 *     Predicates.tag("env", "prod"));
 * p.toString();  // (created within last 7 days AND status = Available AND tag env=prod)
 * p.test(backup, clock.instant(), StallRule.DEFAULT);
 * }</pre>
 */
public sealed interface BackupPredicate
    permits All, None, StatusIn, CreatedIn, CreatedWithinLast, NameContains, ServerNameContains, BackupIdIs,
        AttributeIs, HasTag, Stalled, And, Or, Not {

  /**
   * {@return whether {@code backup} matches at {@code now}, with {@code stallRule} judging stalled
   * jobs}
   *
   * @param backup the backup
   * @param now the instant relative time windows and stalled jobs are judged at
   * @param stallRule the rule that judges stalled jobs
   */
  boolean test(Backup backup, Instant now, StallRule stallRule);

  /**
   * {@return whether {@code backup} matches at the clock's instant, with the default stall rule}
   *
   * @param backup the backup
   * @param clock the clock that gives the instant
   */
  default boolean test(Backup backup, Clock clock) {
    java.util.Objects.requireNonNull(clock, "clock");
    return test(backup, clock.instant(), StallRule.DEFAULT);
  }

  /**
   * Calls the {@code visitor} method for this node.
   *
   * @param <R> the type of the visitor's result
   * @param visitor the visitor
   * @return what the visitor method returns
   */
  <R> R accept(PredicateVisitor<R> visitor);
}

/** See {@link Predicates#all()}. */
enum All implements BackupPredicate {
  INSTANCE;

  @Override
  public boolean test(Backup backup, Instant now, StallRule stallRule) {
    PredicateArguments.require(backup, now, stallRule);
    return true;
  }

  @Override
  public <R> R accept(PredicateVisitor<R> visitor) {
    return visitor.all();
  }

  @Override
  public String toString() {
    return "all";
  }
}

/** See {@link Predicates#none()}. */
enum None implements BackupPredicate {
  INSTANCE;

  @Override
  public boolean test(Backup backup, Instant now, StallRule stallRule) {
    PredicateArguments.require(backup, now, stallRule);
    return false;
  }

  @Override
  public <R> R accept(PredicateVisitor<R> visitor) {
    return visitor.none();
  }

  @Override
  public String toString() {
    return "none";
  }
}

record StatusIn(Set<BackupStatus> statuses) implements BackupPredicate {
  @Override
  public boolean test(Backup backup, Instant now, StallRule stallRule) {
    PredicateArguments.require(backup, now, stallRule);
    return statuses.contains(backup.status());
  }

  @Override
  public <R> R accept(PredicateVisitor<R> visitor) {
    return visitor.status(statuses);
  }

  @Override
  public String toString() {
    return statuses.size() == 1 ? "status = " + statuses.iterator().next() : "status in " + statuses;
  }
}

record CreatedIn(TimeRange range) implements BackupPredicate {
  @Override
  public boolean test(Backup backup, Instant now, StallRule stallRule) {
    PredicateArguments.require(backup, now, stallRule);
    return range.contains(backup.createdAt());
  }

  @Override
  public <R> R accept(PredicateVisitor<R> visitor) {
    return visitor.createdIn(range);
  }

  @Override
  public String toString() {
    return "created in " + range;
  }
}

record CreatedWithinLast(Duration window) implements BackupPredicate {
  @Override
  public boolean test(Backup backup, Instant now, StallRule stallRule) {
    PredicateArguments.require(backup, now, stallRule);
    Instant created = backup.createdAt();
    return !created.isBefore(TimeRange.windowStart(window, now)) && !created.isAfter(now);
  }

  @Override
  public <R> R accept(PredicateVisitor<R> visitor) {
    return visitor.createdWithinLast(window);
  }

  @Override
  public String toString() {
    return "created within last " + Predicates.describe(window);
  }
}

/** The text is lower-cased when built: matching ignores case, so "Web" and "web" are one criterion. */
record NameContains(String text) implements BackupPredicate {
  NameContains {
    text = text.toLowerCase(Locale.ROOT);
  }

  @Override
  public boolean test(Backup backup, Instant now, StallRule stallRule) {
    PredicateArguments.require(backup, now, stallRule);
    return backup.name().toLowerCase(Locale.ROOT).contains(text);
  }

  @Override
  public <R> R accept(PredicateVisitor<R> visitor) {
    return visitor.nameContains(text);
  }

  @Override
  public String toString() {
    return "name contains " + Predicates.quoted(text);
  }
}

record ServerNameContains(String text) implements BackupPredicate {
  ServerNameContains {
    text = text.toLowerCase(Locale.ROOT);
  }

  @Override
  public boolean test(Backup backup, Instant now, StallRule stallRule) {
    PredicateArguments.require(backup, now, stallRule);
    return backup.server().name().toLowerCase(Locale.ROOT).contains(text);
  }

  @Override
  public <R> R accept(PredicateVisitor<R> visitor) {
    return visitor.serverNameContains(text);
  }

  @Override
  public String toString() {
    return "server name contains " + Predicates.quoted(text);
  }
}

record BackupIdIs(String id) implements BackupPredicate {
  @Override
  public boolean test(Backup backup, Instant now, StallRule stallRule) {
    PredicateArguments.require(backup, now, stallRule);
    return backup.id().equals(id);
  }

  @Override
  public <R> R accept(PredicateVisitor<R> visitor) {
    return visitor.backupId(id);
  }

  @Override
  public String toString() {
    return "id = " + Predicates.quoted(id);
  }
}

record AttributeIs(Attribute attribute, String value) implements BackupPredicate {
  @Override
  public boolean test(Backup backup, Instant now, StallRule stallRule) {
    PredicateArguments.require(backup, now, stallRule);
    return value.equals(attribute.valueOf(backup));
  }

  @Override
  public <R> R accept(PredicateVisitor<R> visitor) {
    return visitor.attribute(attribute, value);
  }

  @Override
  public String toString() {
    return attribute + " = " + Predicates.quoted(value);
  }
}

/** Values are kept sorted and distinct, so that equal criteria are equal values. */
record HasTag(String key, List<String> values) implements BackupPredicate {
  @Override
  public boolean test(Backup backup, Instant now, StallRule stallRule) {
    PredicateArguments.require(backup, now, stallRule);
    String actual = backup.tagValue(key).orElse(null);
    return actual != null && matchesValue(values, actual);
  }

  static boolean matchesValue(List<String> patterns, String actual) {
    if (patterns.isEmpty()) {
      return true;
    }
    for (String pattern : patterns) {
      if (pattern.startsWith("*") ? actual.contains(pattern.substring(1)) : actual.equals(pattern)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public <R> R accept(PredicateVisitor<R> visitor) {
    return visitor.tag(key, values);
  }

  @Override
  public String toString() {
    return "tag " + key + (values.isEmpty() ? "" : "=" + String.join("|", values));
  }
}

enum Stalled implements BackupPredicate {
  INSTANCE;

  @Override
  public boolean test(Backup backup, Instant now, StallRule stallRule) {
    PredicateArguments.require(backup, now, stallRule);
    return stallRule.isStalled(backup, now);
  }

  @Override
  public <R> R accept(PredicateVisitor<R> visitor) {
    return visitor.stalled();
  }

  @Override
  public String toString() {
    return "stalled";
  }
}

record And(List<BackupPredicate> operands) implements BackupPredicate {
  @Override
  public boolean test(Backup backup, Instant now, StallRule stallRule) {
    PredicateArguments.require(backup, now, stallRule);
    for (BackupPredicate operand : operands) {
      if (!operand.test(backup, now, stallRule)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public <R> R accept(PredicateVisitor<R> visitor) {
    return visitor.and(operands);
  }

  @Override
  public String toString() {
    return operands.stream().map(Object::toString).collect(Collectors.joining(" AND ", "(", ")"));
  }
}

record Or(List<BackupPredicate> operands) implements BackupPredicate {
  @Override
  public boolean test(Backup backup, Instant now, StallRule stallRule) {
    PredicateArguments.require(backup, now, stallRule);
    for (BackupPredicate operand : operands) {
      if (operand.test(backup, now, stallRule)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public <R> R accept(PredicateVisitor<R> visitor) {
    return visitor.or(operands);
  }

  @Override
  public String toString() {
    return operands.stream().map(Object::toString).collect(Collectors.joining(" OR ", "(", ")"));
  }
}

record Not(BackupPredicate operand) implements BackupPredicate {
  @Override
  public boolean test(Backup backup, Instant now, StallRule stallRule) {
    PredicateArguments.require(backup, now, stallRule);
    return !operand.test(backup, now, stallRule);
  }

  @Override
  public <R> R accept(PredicateVisitor<R> visitor) {
    return visitor.not(operand);
  }

  @Override
  public String toString() {
    return "NOT " + operand;
  }
}

/** The null checks of {@link BackupPredicate#test}, the same in every kind of predicate. */
final class PredicateArguments {
  private PredicateArguments() {}

  static void require(Backup backup, Instant now, StallRule stallRule) {
    java.util.Objects.requireNonNull(backup, "backup");
    java.util.Objects.requireNonNull(now, "now");
    java.util.Objects.requireNonNull(stallRule, "stallRule");
  }
}
