package io.csbs.postgres;

import io.csbs.backup.BackupStatus;
import io.csbs.lifecycle.StallRule;
import io.csbs.query.Attribute;
import io.csbs.query.BackupPredicate;
import io.csbs.query.PredicateVisitor;
import io.csbs.query.TimeRange;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Compiles a {@link BackupPredicate} to a condition on {@code csbs_backup b} that holds exactly for
 * the backups {@link BackupPredicate#test} accepts, with every value bound as a parameter.
 *
 * <p>Every condition is TRUE or FALSE, never NULL, so that {@code NOT} means what it does in Java.
 * Stored times are whole microseconds; a bound with a finer part compares as its microsecond floor
 * does ({@code t < 10.0000005} is {@code t <= 10.000000}), so that the answer stays exact.
 */
final class SqlPredicate implements PredicateVisitor<Sql> {
  private final Instant now;
  private final StallRule stallRule;

  private SqlPredicate(Instant now, StallRule stallRule) {
    this.now = now;
    this.stallRule = stallRule;
  }

  /** The condition of {@code predicate}, evaluated at {@code now}. */
  static Sql compile(BackupPredicate predicate, Instant now, StallRule stallRule) {
    return predicate.accept(new SqlPredicate(now, stallRule));
  }

  /**
   * The counters of {@code csbs_project pr} that hold the number of matches of {@code predicate},
   * when one does (every backup, or the backups in some states); null otherwise.
   */
  static String counter(BackupPredicate predicate) {
    return predicate.accept(new CounterOf());
  }

  @Override
  public Sql all() {
    return new Sql().append("TRUE");
  }

  @Override
  public Sql none() {
    return new Sql().append("FALSE");
  }

  @Override
  public Sql status(Set<BackupStatus> statuses) {
    // enum ordinals, not user text: literals let the planner match the partial index of running jobs
    StringBuilder list = new StringBuilder();
    for (BackupStatus status : statuses) {
      list.append(list.length() == 0 ? "" : ", ").append(status.ordinal());
    }
    return new Sql().append("b.status IN (" + list + ")");
  }

  @Override
  public Sql createdIn(TimeRange range) {
    List<Sql> bounds = new ArrayList<>();
    range.start().ifPresent(start -> bounds.add(compare("b.created_at", range.startInclusive() ? ">=" : ">", start)));
    range.end().ifPresent(end -> bounds.add(compare("b.created_at", range.endInclusive() ? "<=" : "<", end)));
    return bounds.isEmpty() ? all() : join(bounds, " AND ");
  }

  @Override
  public Sql createdWithinLast(Duration window) {
    return createdIn(TimeRange.last(window, now));
  }

  @Override
  public Sql nameContains(String text) {
    return contains("b.name_lower", text);
  }

  @Override
  public Sql serverNameContains(String text) {
    return contains("b.server_name_lower", text);
  }

  @Override
  public Sql backupId(String id) {
    return equal("b.id", id);
  }

  @Override
  public Sql attribute(Attribute attribute, String value) {
    switch (attribute) {
      case SERVER_ID:
        return equal("b.server_id", value);
      case AVAILABILITY_ZONE:
        return equal("b.availability_zone", value);
      case RESOURCE_TYPE:
        return equal("b.resource_type", value);
      case POLICY_ID:
        return storable(value) ? new Sql().append("COALESCE(b.policy_id = ").param(value).append(", FALSE)") : none();
      case BACKUP_TYPE:
        return equal("b.backup_type", value);
      default:
        return equal("b.backup_trigger", value);
    }
  }

  @Override
  public Sql tag(String key, List<String> values) {
    if (!storable(key)) {
      return none();
    }
    if (values.isEmpty()) {
      return new Sql().append("b.tag_keys @> ").param(new String[] {key});
    }
    List<String> exact = new ArrayList<>();
    List<Sql> alternatives = new ArrayList<>();
    for (String value : values) {
      if (value.startsWith("*")) {
        String part = value.substring(1);
        if (storable(part)) {
          // the value part of "key=value" contains the text (strpos of an empty text is 1); left and
          // substr count letters (code points), not Java's chars
          int keyLetters = key.codePointCount(0, key.length());
          alternatives.add(new Sql().append("EXISTS (SELECT 1 FROM unnest(b.tags) AS t(pair) WHERE left(t.pair, ")
              .param(keyLetters + 1).append(") = ").param(key + "=").append(" AND strpos(substr(t.pair, ")
              .param(keyLetters + 2).append("), ").param(part).append(") > 0)"));
        }
      } else if (storable(value)) {
        exact.add(BackupRows.tagText(key, value));
      }
    }
    if (!exact.isEmpty()) {
      alternatives.add(0, new Sql().append("b.tags && ").param(exact.toArray(new String[0])));
    }
    return alternatives.isEmpty() ? none() : join(alternatives, " OR ");
  }

  @Override
  public Sql stalled() {
    return new Sql().append("(b.status IN (1, 2, 3) AND ")
        .append(compare("b.progress_at", "<", stallRule.stalledIfChangedBefore(now))).append(")");
  }

  @Override
  public Sql and(List<BackupPredicate> operands) {
    return join(compileAll(operands), " AND ");
  }

  @Override
  public Sql or(List<BackupPredicate> operands) {
    return join(compileAll(operands), " OR ");
  }

  @Override
  public Sql not(BackupPredicate operand) {
    return new Sql().append("NOT (").append(operand.accept(this)).append(")");
  }

  private List<Sql> compileAll(List<BackupPredicate> operands) {
    List<Sql> compiled = new ArrayList<>(operands.size());
    for (BackupPredicate operand : operands) {
      compiled.add(operand.accept(this));
    }
    return compiled;
  }

  private static Sql join(List<Sql> parts, String operator) {
    Sql joined = new Sql().append("(");
    for (int i = 0; i < parts.size(); i++) {
      joined.append(i == 0 ? "" : operator).append(parts.get(i));
    }
    return joined.append(")");
  }

  private Sql equal(String column, String value) {
    return storable(value) ? new Sql().append(column + " = ").param(value) : none();
  }

  /** The lower-cased column contains the (already lower-cased) text: LIKE with %, _ and \ escaped. */
  private Sql contains(String column, String text) {
    if (!storable(text)) {
      return none();
    }
    String escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    return new Sql().append(column + " LIKE ").param("%" + escaped + "%");
  }

  /**
   * {@code column op instant}, exact although the column holds microseconds and {@code instant}
   * nanoseconds, and true or false outright for a bound outside the times stored ({@link
   * BackupRows#EARLIEST} to {@link BackupRows#LATEST}).
   */
  static Sql compare(String column, String op, Instant instant) {
    boolean below = op.startsWith("<");
    if (instant.isAfter(BackupRows.LATEST)) {
      return new Sql().append(below ? "TRUE" : "FALSE");
    }
    if (instant.isBefore(BackupRows.EARLIEST)) {
      return new Sql().append(below ? "FALSE" : "TRUE");
    }
    Instant floor = instant.truncatedTo(ChronoUnit.MICROS);
    if (!floor.equals(instant)) {
      // no stored time lies strictly between floor and instant
      op = below ? "<=" : ">";
    }
    return new Sql().append(column + " " + op + " ").param(floor);
  }

  /** Text that no stored value can contain (a NUL, half a surrogate pair) matches nothing. */
  private static boolean storable(String text) {
    return BackupRows.isStorable(text);
  }

  /**
   * The server id of a predicate that is exactly one server id (a value a backup can hold), else
   * null: its number of matches is the server's row of {@code csbs_server_usage}, which counts the
   * server's live backups in every state.
   */
  static String serverId(BackupPredicate predicate) {
    return predicate.accept(new ServerIdOf());
  }

  /**
   * Whether the predicate must hold on tags or name substrings, whose matches an inverted (GIN)
   * index finds: then the page is best read from those matches and sorted, not by walking the
   * time index in order and filtering, which reads the whole table when the matches are fewer than
   * the planner guessed (two frequent tags that no backup has together: 3.7 s at 1M backups).
   */
  static boolean needsInvertedIndex(BackupPredicate predicate) {
    return predicate.accept(new InvertedIndexOf()) != null;
  }

  /** "yes" when a leaf of tags or substrings must hold (under and, or; not under not), else null. */
  private static final class InvertedIndexOf extends NullUnlessOverridden {
    @Override
    public String nameContains(String text) {
      return "yes";
    }

    @Override
    public String serverNameContains(String text) {
      return "yes";
    }

    @Override
    public String tag(String key, List<String> values) {
      return "yes";
    }

    @Override
    public String and(List<BackupPredicate> operands) {
      return operands.stream().anyMatch(o -> o.accept(this) != null) ? "yes" : null;
    }

    @Override
    public String or(List<BackupPredicate> operands) {
      return operands.stream().allMatch(o -> o.accept(this) != null) ? "yes" : null;
    }
  }

  /** Finds a counter of {@code csbs_project} for a predicate of states alone. */
  private static final class CounterOf extends NullUnlessOverridden {
    private static final String[] COLUMNS = {"pr.available", "pr.creating", "pr.restoring", "pr.deleting", "pr.error"};

    @Override
    public String all() {
      return "pr.backups";
    }

    @Override
    public String none() {
      return "0";
    }

    @Override
    public String status(Set<BackupStatus> statuses) {
      StringBuilder sum = new StringBuilder("(");
      for (BackupStatus status : statuses) {
        sum.append(sum.length() == 1 ? "" : " + ").append(COLUMNS[status.ordinal()]);
      }
      return sum.append(")").toString();
    }
  }

  /** Finds the server id of a predicate of one server id alone. */
  private static final class ServerIdOf extends NullUnlessOverridden {
    @Override
    public String attribute(Attribute attribute, String value) {
      return attribute == Attribute.SERVER_ID && storable(value) ? value : null;
    }
  }

  /** Answers null for every predicate but those a subclass overrides. */
  private abstract static class NullUnlessOverridden implements PredicateVisitor<String> {
    @Override
    public String all() {
      return null;
    }

    @Override
    public String none() {
      return null;
    }

    @Override
    public String status(Set<BackupStatus> statuses) {
      return null;
    }

    @Override
    public String createdIn(TimeRange range) {
      return null;
    }

    @Override
    public String createdWithinLast(Duration window) {
      return null;
    }

    @Override
    public String nameContains(String text) {
      return null;
    }

    @Override
    public String serverNameContains(String text) {
      return null;
    }

    @Override
    public String backupId(String id) {
      return null;
    }

    @Override
    public String attribute(Attribute attribute, String value) {
      return null;
    }

    @Override
    public String tag(String key, List<String> values) {
      return null;
    }

    @Override
    public String stalled() {
      return null;
    }

    @Override
    public String and(List<BackupPredicate> operands) {
      return null;
    }

    @Override
    public String or(List<BackupPredicate> operands) {
      return null;
    }

    @Override
    public String not(BackupPredicate operand) {
      return null;
    }
  }
}
