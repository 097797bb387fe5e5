package io.csbs.query;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.BackupType;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Tag;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The static DSL that builds every {@link BackupPredicate}: one method per criterion of the console
 * and the CSBS API, and {@link #and}, {@link #or}, {@link #not} to combine them.
 *
 * <pre>{@code
 * import static io.csbs.query.Predicates.*;
 *
 * BackupPredicate stuckJobsInZone2 = and(stalled(), attribute(Attribute.AVAILABILITY_ZONE, "eu-de-02"));
 * BackupPredicate recentProdOrStaging = and(
 *     createdWithinLast(Duration.ofDays(7)),
 *     or(tag("env", "prod"), tag("env", "staging")));
 * }</pre>
 *
 * <p>Trees are normalized as they are built, so that equal criteria are equal values: the operands
 * of an and or an or are kept in one canonical order (by their text), whatever the order given; names
 * to search are lower-cased (matching ignores case); nested ands
 * and ors are flattened and deduplicated, {@code all()} disappears from an and and {@code none()}
 * from an or, an and with {@code none()} is {@code none()}, {@code not(not(p))} is {@code p}, and a
 * status criterion with every state is {@code all()}. Every method validates its arguments and throws
 * an {@link InvalidValueException} naming the criterion and the rule.
 */
public final class Predicates {
  /** The most values one tag criterion may list, as the CSBS tag API allows. */
  public static final int MAX_TAG_VALUES = 10;
  /**
   * The longest keyword text, in characters (code points: a letter outside the Basic Multilingual
   * Plane counts once, so that any backup name, up to 255 letters, can be searched for whole).
   */
  public static final int MAX_KEYWORD_LENGTH = 255;
  /** The longest relative time window: 100 years of days. */
  public static final Duration MAX_WINDOW = Duration.ofDays(36_500);

  private Predicates() {}

  /** {@return a predicate of every backup: the "All statuses" of the console, and the empty search} */
  public static BackupPredicate all() {
    return All.INSTANCE;
  }

  /** {@return a predicate of no backup} */
  public static BackupPredicate none() {
    return None.INSTANCE;
  }

  /**
   * {@return a predicate of the backups in {@code status} or one of {@code more}}
   *
   * @param status a state
   * @param more more states
   */
  public static BackupPredicate status(BackupStatus status, BackupStatus... more) {
    EnumSet<BackupStatus> statuses = EnumSet.of(requireNonNull(status, "status"));
    statuses.addAll(requireElements(more, "more"));
    return status(statuses);
  }

  /**
   * Backups in one of {@code statuses}; all five is {@link #all()}.
   *
   * @param statuses the states; not empty
   * @return the predicate
   * @throws InvalidValueException naming {@code status} if {@code statuses} is empty
   */
  public static BackupPredicate status(Collection<BackupStatus> statuses) {
    requireElements(statuses, "statuses");
    if (statuses.isEmpty()) {
      throw new InvalidValueException("status", statuses, "must name at least one state");
    }
    EnumSet<BackupStatus> set = EnumSet.copyOf(statuses);
    if (set.size() == BackupStatus.values().length) {
      return all();
    }
    return new StatusIn(Collections.unmodifiableSet(set));
  }

  /**
   * {@return a predicate of the backups created within {@code range}; the unbounded range is {@link
   * #all()}}
   *
   * @param range the range of creation times
   */
  public static BackupPredicate createdIn(TimeRange range) {
    requireNonNull(range, "range");
    return range.equals(TimeRange.all()) ? all() : new CreatedIn(range);
  }

  /**
   * {@return a predicate of the backups created from {@code from} to {@code to}, both inclusive}
   *
   * @param from the earliest creation time
   * @param to the latest creation time
   * @throws InvalidValueException naming {@code time range} if {@code from} is after {@code to}
   */
  public static BackupPredicate createdBetween(Instant from, Instant to) {
    return createdIn(TimeRange.between(from, to));
  }

  /**
   * Backups created within {@code window} before now, up to now: the console's "last 7 days" is
   * {@code createdWithinLast(Duration.ofDays(7))}. Now is the evaluation's instant (a catalog's clock).
   *
   * @param window how far back from now; positive
   * @return the predicate
   * @throws InvalidValueException naming {@code time window} unless it is positive and at most
   *     {@link #MAX_WINDOW}
   */
  public static BackupPredicate createdWithinLast(Duration window) {
    requireNonNull(window, "window");
    if (window.isNegative() || window.isZero() || window.compareTo(MAX_WINDOW) > 0) {
      throw new InvalidValueException("time window", window, "must be positive and at most " + MAX_WINDOW.toDays() + " days");
    }
    return new CreatedWithinLast(window);
  }

  /**
   * The console's keyword search in {@code field}: names match anywhere, ignoring case as {@link
   * #nameContains} does, IDs exactly.
   *
   * @param field the field searched
   * @param text the keyword
   * @return the predicate
   * @throws InvalidValueException naming {@code keyword} if {@code text} is blank or longer than
   *     255 characters (code points), or, for a name, holds half of a surrogate pair alone
   */
  public static BackupPredicate keyword(KeywordField field, String text) {
    requireNonNull(field, "field");
    // before the switch, so that every field names "keyword" (server id and backup id would name themselves)
    checkKeyword(text);
    switch (field) {
      case SERVER_NAME:
        return serverNameContains(text);
      case SERVER_ID:
        return attribute(Attribute.SERVER_ID, text);
      case BACKUP_NAME:
        return nameContains(text);
      default:
        return backupId(text);
    }
  }

  /**
   * {@return a predicate of the backups whose name contains {@code text}, ignoring case: both
   * lowered with {@code toLowerCase(Locale.ROOT)}, so {@code "Σ"} finds {@code "σ"} but not a final
   * {@code "ς"}, and {@code "SS"} does not find {@code "ß"}. That lowering is by context: a capital
   * sigma ending a word lowers to a final {@code "ς"}, so {@code "ΟΔΟΣ"} (lowered {@code "οδος"})
   * misses the name {@code "ΟΔΟΣΤΡΩΜΑ"} (lowered {@code "οδοστρωμα"}) that holds it letter for
   * letter; {@code "οδοσ"} finds it}
   *
   * @param text the part of the name looked for
   * @throws InvalidValueException naming {@code keyword} if {@code text} is blank, longer than 255
   *     characters (code points), or holds half of a surrogate pair alone (half a letter, which no
   *     catalog on a database can look for)
   */
  public static BackupPredicate nameContains(String text) {
    return new NameContains(checkPartOfName(text));
  }

  /**
   * {@return a predicate of the backups whose server's name contains {@code text}, ignoring case}
   *
   * @param text the part of the server's name looked for
   * @throws InvalidValueException naming {@code keyword} as {@link #nameContains} does
   */
  public static BackupPredicate serverNameContains(String text) {
    return new ServerNameContains(checkPartOfName(text));
  }

  /**
   * {@return a predicate of the backup with id {@code id}}
   *
   * @param id the backup id, compared exactly
   * @throws InvalidValueException naming {@code backup id} if {@code id} is blank or longer than 255
   *     characters (code points)
   */
  public static BackupPredicate backupId(String id) {
    return new BackupIdIs(checkText("backup id", requireNonNull(id, "id")));
  }

  /**
   * {@return a predicate of the backups of the server with id {@code serverId}}
   *
   * @param serverId the server id, compared exactly
   * @throws InvalidValueException naming {@code server id} if it is blank or longer than 255
   *     characters (code points)
   */
  public static BackupPredicate serverId(String serverId) {
    return attribute(Attribute.SERVER_ID, requireNonNull(serverId, "serverId"));
  }

  /**
   * {@return a predicate of the backups whose server is in availability zone {@code zone}}
   *
   * @param zone the availability zone, for example {@code eu-de-02}
   * @throws InvalidValueException naming {@code availability zone} if it is blank or longer than 255
   *     characters (code points)
   */
  public static BackupPredicate availabilityZone(String zone) {
    return attribute(Attribute.AVAILABILITY_ZONE, requireNonNull(zone, "zone"));
  }

  /**
   * {@return a predicate of the backups of the resource type {@code resourceType}, for example
   * {@code OS::Nova::Server}}
   *
   * @param resourceType the resource type, compared exactly
   * @throws InvalidValueException naming {@code resource type} if it is blank or longer than 255
   *     characters (code points)
   */
  public static BackupPredicate resourceType(String resourceType) {
    return attribute(Attribute.RESOURCE_TYPE, requireNonNull(resourceType, "resourceType"));
  }

  /**
   * {@return a predicate of the backups made by the policy {@code policyId}}
   *
   * @param policyId the policy id, compared exactly
   * @throws InvalidValueException naming {@code policy id} if it is blank or longer than 255
   *     characters (code points)
   */
  public static BackupPredicate policyId(String policyId) {
    return attribute(Attribute.POLICY_ID, requireNonNull(policyId, "policyId"));
  }

  /**
   * {@return a predicate of the backups of {@code type}}
   *
   * @param type common or enhanced
   */
  public static BackupPredicate type(BackupType type) {
    return attribute(Attribute.BACKUP_TYPE, requireNonNull(type, "type").name());
  }

  /**
   * {@return a predicate of the backups started by {@code trigger}: manual or automatic}
   *
   * @param trigger manual or automatic
   */
  public static BackupPredicate trigger(BackupTrigger trigger) {
    return attribute(Attribute.TRIGGER, requireNonNull(trigger, "trigger").name());
  }

  /**
   * Backups whose {@code attribute} equals {@code value} exactly.
   *
   * @param attribute the attribute compared
   * @param value its value, as text
   * @return the predicate
   * @throws InvalidValueException naming the attribute ({@link Attribute#toString()}, for example
   *     {@code server id}) if {@code value} is blank, longer than 255 characters (code points), or not
   *     a constant of {@link BackupType} or {@link BackupTrigger} for those attributes
   */
  public static BackupPredicate attribute(Attribute attribute, String value) {
    requireNonNull(attribute, "attribute");
    checkText(attribute.toString(), requireNonNull(value, "value"));
    if (attribute == Attribute.BACKUP_TYPE) {
      checkConstant(attribute, value, BackupType.values());
    } else if (attribute == Attribute.TRIGGER) {
      checkConstant(attribute, value, BackupTrigger.values());
    }
    return new AttributeIs(attribute, value);
  }

  /**
   * Backups with the tag {@code key=value} exactly: one pair of the console's tag search.
   *
   * @param key the tag key
   * @param value the tag value
   * @return the predicate
   * @throws InvalidValueException naming {@code tag key} or {@code tag value} if it breaks the tag
   *     rules
   */
  public static BackupPredicate tag(String key, String value) {
    return tag(key, List.of(requireNonNull(value, "value")));
  }

  /**
   * {@return a predicate of the backups with a tag {@code key}, whatever its value}
   *
   * @param key the tag key
   * @throws InvalidValueException naming {@code tag key} if it breaks the tag rules
   */
  public static BackupPredicate tagKey(String key) {
    return tag(key, List.of());
  }

  /**
   * The API's tag criterion: backups with a tag {@code key} whose value matches one of {@code values};
   * a value beginning with {@code *} matches the rest of it anywhere in the tag's value ({@code *}
   * alone matches any value); no values means any value. Keys and values are trimmed, and so is the
   * rest of a pattern after its {@code *} ({@code "* prod"} is {@code "*prod"}).
   *
   * @param key the tag key
   * @param values the values, at most 10, any of which may match; empty for any value
   * @return the predicate
   * @throws InvalidValueException naming {@code tag key}, {@code tag value} or {@code tag values}
   *     if a key or value breaks the tag rules or there are more than 10 values
   */
  public static BackupPredicate tag(String key, Collection<String> values) {
    String checkedKey = Tag.checkKey(requireNonNull(key, "key"));
    TreeSet<String> patterns = new TreeSet<>();
    for (String value : values) {
      String trimmed = requireNonNull(value, "tag value").strip();
      if (trimmed.startsWith("*")) {
        patterns.add("*" + Tag.checkValue(trimmed.substring(1)));
      } else {
        patterns.add(Tag.checkValue(trimmed));
      }
    }
    if (patterns.size() > MAX_TAG_VALUES) {
      throw new InvalidValueException("tag values", values, "must be at most " + MAX_TAG_VALUES + " values (distinct, once trimmed) for key " + checkedKey);
    }
    if (patterns.contains("*")) {
      patterns.clear(); // "*" alone matches every value
    }
    return new HasTag(checkedKey, List.copyOf(patterns));
  }

  /**
   * Backups whose running job is stalled: an intermediate state whose progress has not changed for
   * longer than the stall threshold (a catalog's {@link io.csbs.lifecycle.StallRule}).
   *
   * @return the predicate
   */
  public static BackupPredicate stalled() {
    return Stalled.INSTANCE;
  }

  /**
   * {@return a predicate of the backups matching every operand; {@code and()} of nothing is {@link
   * #all()}}
   *
   * @param operands the predicates that must all match
   */
  public static BackupPredicate and(BackupPredicate... operands) {
    return and(requireElements(operands, "operands"));
  }

  /**
   * {@return a predicate of the backups matching every operand; an empty list is {@link #all()}}
   *
   * @param operands the predicates that must all match
   */
  public static BackupPredicate and(List<BackupPredicate> operands) {
    requireElements(operands, "operands");
    Set<BackupPredicate> flat = new LinkedHashSet<>();
    for (BackupPredicate operand : operands) {
      requireNonNull(operand, "operand");
      if (operand instanceof None) {
        return none();
      } else if (operand instanceof And) {
        flat.addAll(((And) operand).operands());
      } else if (!(operand instanceof All)) {
        flat.add(operand);
      }
    }
    if (flat.isEmpty()) {
      return all();
    }
    return flat.size() == 1 ? flat.iterator().next() : new And(canonical(flat));
  }

  /**
   * {@return a predicate of the backups matching at least one operand; {@code or()} of nothing is
   * {@link #none()}}
   *
   * @param operands the predicates of which one must match
   */
  public static BackupPredicate or(BackupPredicate... operands) {
    return or(requireElements(operands, "operands"));
  }

  /**
   * {@return a predicate of the backups matching at least one operand; an empty list is {@link
   * #none()}}
   *
   * @param operands the predicates of which one must match
   */
  public static BackupPredicate or(List<BackupPredicate> operands) {
    requireElements(operands, "operands");
    Set<BackupPredicate> flat = new LinkedHashSet<>();
    for (BackupPredicate operand : operands) {
      requireNonNull(operand, "operand");
      if (operand instanceof All) {
        return all();
      } else if (operand instanceof Or) {
        flat.addAll(((Or) operand).operands());
      } else if (!(operand instanceof None)) {
        flat.add(operand);
      }
    }
    if (flat.isEmpty()) {
      return none();
    }
    return flat.size() == 1 ? flat.iterator().next() : new Or(canonical(flat));
  }

  /**
   * {@return a predicate of the backups not matching {@code operand}}
   *
   * @param operand the predicate that must not match
   */
  public static BackupPredicate not(BackupPredicate operand) {
    requireNonNull(operand, "operand");
    if (operand instanceof Not) {
      return ((Not) operand).operand();
    } else if (operand instanceof All) {
      return none();
    } else if (operand instanceof None) {
      return all();
    } else if (operand instanceof StatusIn) {
      EnumSet<BackupStatus> others = EnumSet.complementOf(EnumSet.copyOf(((StatusIn) operand).statuses()));
      return status(others);
    }
    return new Not(operand);
  }

  /** The operands of an and or an or in one order whatever the order given, so that and(a, b) equals and(b, a). */
  private static List<BackupPredicate> canonical(Set<BackupPredicate> operands) {
    List<BackupPredicate> sorted = new ArrayList<>(operands);
    sorted.sort(Comparator.comparing(BackupPredicate::toString));
    return List.copyOf(sorted);
  }

  /**
   * {@code text} between double quotes, its quotes and backslashes escaped with a backslash: a
   * criterion's text then names one criterion only (an id holding {@code " OR server id = "} printed
   * bare made two different ors print alike, and the canonical order sorts by the text).
   */
  static String quoted(String text) {
    return '"' + text.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  static String describe(Duration window) {
    if (window.toDays() > 0 && window.equals(Duration.ofDays(window.toDays()))) {
      return window.toDays() + (window.toDays() == 1 ? " day" : " days");
    }
    if (window.toHours() > 0 && window.equals(Duration.ofHours(window.toHours()))) {
      return window.toHours() + (window.toHours() == 1 ? " hour" : " hours");
    }
    return window.toString();
  }

  private static String checkKeyword(String text) {
    return checkText("keyword", requireNonNull(text, "keyword"));
  }

  /** The rule of every text a search compares: not blank, at most 255 letters. */
  private static String checkText(String field, String text) {
    if (text.isBlank() || tooLong(text)) {
      throw new InvalidValueException(field, text, "must be non-blank and at most " + MAX_KEYWORD_LENGTH + " characters");
    }
    return text;
  }

  /**
   * A keyword looked for inside names: also whole letters only. Half of a surrogate pair would match
   * half of a letter outside the Basic Multilingual Plane in memory, while PostgreSQL, which holds
   * no such half, matched nothing: the same search answered two ways.
   */
  private static String checkPartOfName(String text) {
    checkKeyword(text);
    // codePoints() joins each whole pair into one code point: what is left in the surrogates' range stands alone
    if (text.codePoints().anyMatch(cp -> cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE)) {
      throw new InvalidValueException("keyword", text, "must not hold half of a surrogate pair alone (half a letter)");
    }
    return text;
  }

  /** Whether {@code text} has more than {@link #MAX_KEYWORD_LENGTH} characters (code points). */
  private static boolean tooLong(String text) {
    // never more code points than chars: only a long text is counted
    return text.length() > MAX_KEYWORD_LENGTH && text.codePointCount(0, text.length()) > MAX_KEYWORD_LENGTH;
  }

  private static void checkConstant(Attribute attribute, String value, Enum<?>[] constants) {
    List<String> names = new ArrayList<>();
    for (Enum<?> constant : constants) {
      if (constant.name().equals(value)) {
        return;
      }
      names.add(constant.name());
    }
    throw new InvalidValueException(attribute.toString(), value, "must be one of " + names);
  }

  /** {@code values}, refused if it or one of its elements is null, naming {@code name} or {@code name[i]}. */
  static <T> List<T> requireElements(T[] values, String name) {
    return requireElements(Arrays.asList(requireNonNull(values, name)), name);
  }

  /** {@code values}, refused if it or one of its elements is null, naming {@code name} or {@code name[i]}. */
  static <T, C extends Collection<T>> C requireElements(C values, String name) {
    requireNonNull(values, name);
    int i = 0;
    for (T value : values) {
      if (value == null) {  // the message made only when thrown
        throw new NullPointerException(name + "[" + i + "]");
      }
      i++;
    }
    return values;
  }
}
