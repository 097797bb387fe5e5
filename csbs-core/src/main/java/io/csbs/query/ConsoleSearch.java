package io.csbs.query;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.BackupStatus;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Tag;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;

/**
 * The search form above the console's backup list, as an immutable value: a status filter, a time
 * segment, a keyword in one of four fields and up to 10 tag pairs. Each {@code with...} method returns
 * a new search with one criterion changed; {@link #reset()} clears them all. {@link
 * #toPredicate(TagCatalogue)} turns the form into a {@link BackupPredicate} in which every criterion
 * must hold (they are ANDed).
 *
 * <pre>{@code
 * ConsoleSearch search = ConsoleSearch.empty()
 *     .withStatus(BackupStatus.AVAILABLE, BackupStatus.ERROR)
 *     .withLastDays(7)
 *     .withKeyword(KeywordField.SERVER_NAME, "web")
 *     .withTag("env", "prod");
 * Page page = catalog.query("project-1", search.toQuery(catalog.tagCatalogue("project-1"), 20));
 * search.reset();  // equal to ConsoleSearch.empty(): every backup
 * }</pre>
 *
 * <p>Defaults, which {@link #empty()} and {@link #reset()} hold: all statuses, no time segment, no
 * keyword, no tags; such a search matches every backup.
 *
 * <p>Criteria:
 *
 * <ul>
 *   <li>Status: all statuses, one state or several. Choosing all five states is the same search as
 *       the default "All statuses".
 *   <li>Time segment: either a {@link TimeRange} of creation times, or a window relative to the
 *       catalog's clock such as the last 7 days ({@link Predicates#createdWithinLast}). Setting one
 *       replaces the other.
 *   <li>Keyword: a text searched in one {@link KeywordField}; names match anywhere, ignoring case as
 *       {@code toLowerCase(Locale.ROOT)} compares them ({@code SS} does not find {@code straße}),
 *       ids exactly. Surrounding white space of the text is removed as {@link String#strip()}
 *       removes it (a no-break space, U+00A0, is not white space there and is kept).
 *   <li>Tags: 1 to {@value #MAX_TAGS} {@code key=value} pairs (trimmed, in the order added); every pair
 *       must hold, so two pairs with the same key and different values match no backup (csbs-server's
 *       console page sends its pairs as the tag API's query instead, a {@link TagFilter} whose values
 *       of one key match either). Adding a pair
 *       that the search holds already changes nothing (it does not count twice towards the limit).
 *       Each key and each value must exist among the project's backups: this is checked by {@link
 *       #toPredicate(TagCatalogue)} against the project's {@link TagCatalogue}, since the catalogue
 *       may change between adding a pair and searching.
 * </ul>
 *
 * <p>Searches are values: equal criteria (tags in the same order, texts as given) make equal searches,
 * with equal predicates. A name keyword ({@link KeywordField#BACKUP_NAME}, {@link
 * KeywordField#SERVER_NAME}) differing only in case makes an unequal search with an equal predicate
 * (names match ignoring case); an id keyword differing in case makes an unequal predicate (ids match
 * exactly).
 */
public final class ConsoleSearch {
  /** The most tag pairs a search holds, as the console allows. */
  public static final int MAX_TAGS = 10;

  /** How many existing keys or values a refusal lists before it abbreviates. */
  private static final int MAX_LISTED = 10;

  private static final Set<BackupStatus> ALL_STATUSES =
      Collections.unmodifiableSet(EnumSet.allOf(BackupStatus.class));
  private static final ConsoleSearch EMPTY = new ConsoleSearch(ALL_STATUSES, null, null, null, null, List.of());

  private final Set<BackupStatus> statuses;
  private final TimeRange timeRange;
  private final Duration window;
  private final KeywordField keywordField;
  private final String keywordText;
  private final List<Tag> tags;

  private ConsoleSearch(
      Set<BackupStatus> statuses,
      TimeRange timeRange,
      Duration window,
      KeywordField keywordField,
      String keywordText,
      List<Tag> tags) {
    this.statuses = statuses;
    this.timeRange = timeRange;
    this.window = window;
    this.keywordField = keywordField;
    this.keywordText = keywordText;
    this.tags = tags;
  }

  /** {@return the search with no criteria: all statuses, any time, no keyword, no tags} */
  public static ConsoleSearch empty() {
    return EMPTY;
  }

  // ---- status

  /**
   * {@return this search, limited to backups in {@code status} or one of {@code more}}
   *
   * @param status a state
   * @param more more states
   */
  public ConsoleSearch withStatus(BackupStatus status, BackupStatus... more) {
    EnumSet<BackupStatus> chosen = EnumSet.of(requireNonNull(status, "status"));
    chosen.addAll(Predicates.requireElements(more, "more"));
    return withStatuses(chosen);
  }

  /**
   * This search, limited to backups in one of {@code statuses}; all five is "All statuses".
   *
   * @param statuses the states; not empty
   * @return the new search; this one is not changed
   * @throws InvalidValueException naming {@code status} if {@code statuses} is empty
   */
  public ConsoleSearch withStatuses(Collection<BackupStatus> statuses) {
    Predicates.requireElements(statuses, "statuses");
    if (statuses.isEmpty()) {
      throw new InvalidValueException("status", statuses, "must name at least one state, or use all statuses");
    }
    EnumSet<BackupStatus> chosen = EnumSet.copyOf(statuses);
    Set<BackupStatus> value = chosen.size() == BackupStatus.values().length
        ? ALL_STATUSES
        : Collections.unmodifiableSet(chosen);
    return new ConsoleSearch(value, timeRange, window, keywordField, keywordText, tags);
  }

  /** {@return this search with "All statuses", the default} */
  public ConsoleSearch withAllStatuses() {
    return new ConsoleSearch(ALL_STATUSES, timeRange, window, keywordField, keywordText, tags);
  }

  // ---- time segment

  /**
   * This search, limited to backups created within {@code range}; it replaces any time segment. The
   * unbounded range {@link TimeRange#all()} is the same as no time segment.
   *
   * @param range the range of creation times
   * @return the new search; this one is not changed
   */
  public ConsoleSearch withTimeRange(TimeRange range) {
    requireNonNull(range, "range");
    TimeRange value = range.equals(TimeRange.all()) ? null : range;
    return new ConsoleSearch(statuses, value, null, keywordField, keywordText, tags);
  }

  /**
   * This search, limited to backups created in the last {@code days} days up to the catalog's now;
   * it replaces any time segment.
   *
   * @param days how many days back from now; positive
   * @return the new search; this one is not changed
   * @throws InvalidValueException naming {@code time window} unless {@code days} is 1 to 36,500
   *     ({@link Predicates#MAX_WINDOW})
   */
  public ConsoleSearch withLastDays(int days) {
    return withCreatedWithinLast(Duration.ofDays(days));
  }

  /**
   * This search, limited to backups created within {@code window} before the catalog's now, up to
   * now; it replaces any time segment.
   *
   * @param window how far back from now; positive
   * @return the new search; this one is not changed
   * @throws InvalidValueException naming {@code time window} unless {@code window} is positive and
   *     at most {@link Predicates#MAX_WINDOW}
   */
  public ConsoleSearch withCreatedWithinLast(Duration window) {
    Predicates.createdWithinLast(window); // validates
    return new ConsoleSearch(statuses, null, window, keywordField, keywordText, tags);
  }

  /** {@return this search without a time segment, the default} */
  public ConsoleSearch withoutTimeSegment() {
    return new ConsoleSearch(statuses, null, null, keywordField, keywordText, tags);
  }

  // ---- keyword

  /**
   * This search, limited to backups whose {@code field} matches {@code text} (surrounding white
   * space removed, as {@link String#strip()} does: a no-break space is kept): names contain it
   * ignoring case, ids equal it. It replaces any keyword.
   *
   * @param field the field searched
   * @param text the keyword
   * @return the new search; this one is not changed
   * @throws InvalidValueException naming {@code keyword} if {@code text} is blank or longer than
   *     255 characters (code points)
   */
  public ConsoleSearch withKeyword(KeywordField field, String text) {
    requireNonNull(field, "field");
    String stripped = requireNonNull(text, "keyword").strip();
    Predicates.keyword(field, stripped); // validates
    return new ConsoleSearch(statuses, timeRange, window, field, stripped, tags);
  }

  /** {@return this search without a keyword, the default} */
  public ConsoleSearch withoutKeyword() {
    return new ConsoleSearch(statuses, timeRange, window, null, null, tags);
  }

  // ---- tags

  /**
   * This search with the tag pair {@code key=value} (trimmed) added after the others; if it holds the
   * pair already, this search itself. Whether the key and value exist is checked by {@link
   * #toPredicate(TagCatalogue)}.
   *
   * @param key the tag key
   * @param value the tag value
   * @return the new search, or this one if it holds the pair already
   * @throws InvalidValueException naming {@code tag key} or {@code tag value} if the pair breaks
   *     the tag rules, or naming {@code tags} if the search holds {@value #MAX_TAGS} pairs already
   */
  public ConsoleSearch withTag(String key, String value) {
    Tag tag = Tag.of(requireNonNull(key, "key"), requireNonNull(value, "value"));
    if (tags.contains(tag)) {
      return this;
    }
    if (tags.size() >= MAX_TAGS) {
      throw new InvalidValueException(
          "tags", tags, "must be at most " + MAX_TAGS + " pairs; remove one before adding " + tag);
    }
    List<Tag> more = new ArrayList<>(tags);
    more.add(tag);
    return new ConsoleSearch(statuses, timeRange, window, keywordField, keywordText, List.copyOf(more));
  }

  /**
   * {@return this search without the tag pair {@code key=value} (trimmed); itself if it does not
   * hold it}
   *
   * @param key the tag key
   * @param value the tag value
   * @throws InvalidValueException naming {@code tag key} or {@code tag value} if the pair breaks
   *     the tag rules, as {@link #withTag} does (no search could hold it: the caller has a mistake)
   */
  public ConsoleSearch withoutTag(String key, String value) {
    Tag tag = Tag.of(requireNonNull(key, "key"), requireNonNull(value, "value"));
    if (!tags.contains(tag)) {
      return this;
    }
    List<Tag> fewer = new ArrayList<>(tags);
    fewer.remove(tag);
    return new ConsoleSearch(statuses, timeRange, window, keywordField, keywordText, List.copyOf(fewer));
  }

  /** {@return this search without tag pairs, the default} */
  public ConsoleSearch withoutTags() {
    return new ConsoleSearch(statuses, timeRange, window, keywordField, keywordText, List.of());
  }

  // ---- reset

  /** {@return the console's Reset: a search with every criterion cleared, equal to {@link #empty()}} */
  public ConsoleSearch reset() {
    return EMPTY;
  }

  // ---- accessors

  /** {@return the chosen states; all five for "All statuses"} */
  public Set<BackupStatus> statuses() {
    return statuses;
  }

  /** {@return whether the status filter is "All statuses"} */
  public boolean allStatuses() {
    return statuses.size() == BackupStatus.values().length;
  }

  /** {@return the time segment as a range of creation times, if one is set} */
  public Optional<TimeRange> timeRange() {
    return Optional.ofNullable(timeRange);
  }

  /** {@return the time segment as a window before now (the last 7 days), if one is set} */
  public Optional<Duration> createdWithinLast() {
    return Optional.ofNullable(window);
  }

  /** {@return the field the keyword is searched in, if a keyword is set} */
  public Optional<KeywordField> keywordField() {
    return Optional.ofNullable(keywordField);
  }

  /** {@return the keyword, without surrounding spaces, if one is set} */
  public Optional<String> keyword() {
    return Optional.ofNullable(keywordText);
  }

  /** {@return the tag pairs, in the order added; at most {@value #MAX_TAGS}} */
  public List<Tag> tags() {
    return tags;
  }

  // ---- results

  /**
   * The predicate of this search: every criterion set, ANDed; {@link Predicates#all()} when none is.
   *
   * @param existing the tag keys and values of the project's backups, which the tag pairs must use
   * @return the predicate
   * @throws InvalidValueException naming {@code tag key} or {@code tag value} for the first pair
   *     whose key, or whose value for its key, is not in {@code existing}; the message lists what
   *     exists (the first 10 keys or values, then how many there are in all)
   */
  public BackupPredicate toPredicate(TagCatalogue existing) {
    requireNonNull(existing, "existing");
    List<BackupPredicate> criteria = new ArrayList<>();
    if (!allStatuses()) {
      criteria.add(Predicates.status(statuses));
    }
    if (timeRange != null) {
      criteria.add(Predicates.createdIn(timeRange));
    }
    if (window != null) {
      criteria.add(Predicates.createdWithinLast(window));
    }
    if (keywordField != null) {
      criteria.add(Predicates.keyword(keywordField, keywordText));
    }
    for (Tag tag : tags) {
      checkExists(tag, existing);
      criteria.add(Predicates.tag(tag.key(), tag.value()));
    }
    return Predicates.and(criteria);
  }

  /**
   * The first page of this search, newest first ({@link Sort#DEFAULT}), of at most {@code limit}
   * backups.
   *
   * @param existing the tag keys and values of the project's backups, which the tag pairs must use
   * @param limit the most backups in the page, 1 to 1000
   * @return the query of the first page
   * @throws InvalidValueException as {@link #toPredicate(TagCatalogue)} does, or naming {@code
   *     limit} unless it is 1 to 1000
   */
  public Query toQuery(TagCatalogue existing, int limit) {
    return Query.builder().where(toPredicate(existing)).limit(limit).build();
  }

  private static void checkExists(Tag tag, TagCatalogue existing) {
    if (!existing.containsKey(tag.key())) {
      throw new InvalidValueException("tag key", tag.key(), existing.keys().isEmpty()
          ? "must be an existing key, but the project's backups have no tags"
          : "must be an existing key: " + shortList(existing.keys()));
    }
    if (!existing.contains(tag.key(), tag.value())) {
      throw new InvalidValueException("tag value", tag.value(),
          "must be an existing value of key " + tag.key() + ": " + shortList(existing.values(tag.key())));
    }
  }

  /** {@code [a, b, c]}, or the first ten and {@code ... (25 in all)}. */
  private static String shortList(Collection<String> values) {
    if (values.size() <= MAX_LISTED) {
      return values.toString();
    }
    StringJoiner joiner = new StringJoiner(", ", "[", ", ... (" + values.size() + " in all)]");
    values.stream().limit(MAX_LISTED).forEach(joiner::add);
    return joiner.toString();
  }

  // ---- value

  @Override
  public boolean equals(Object other) {
    if (!(other instanceof ConsoleSearch)) {
      return false;
    }
    ConsoleSearch that = (ConsoleSearch) other;
    return statuses.equals(that.statuses)
        && Objects.equals(timeRange, that.timeRange)
        && Objects.equals(window, that.window)
        && keywordField == that.keywordField
        && Objects.equals(keywordText, that.keywordText)
        && tags.equals(that.tags);
  }

  @Override
  public int hashCode() {
    return Objects.hash(statuses, timeRange, window, keywordField, keywordText, tags);
  }

  /**
   * The criteria set, for example {@code ConsoleSearch{status in [Available, Error], created within
   * last 7 days, server name "web", tags [env=prod]}}; {@code ConsoleSearch{all}} when none is.
   */
  @Override
  public String toString() {
    StringJoiner text = new StringJoiner(", ", "ConsoleSearch{", "}").setEmptyValue("ConsoleSearch{all}");
    if (!allStatuses()) {
      text.add(statuses.size() == 1 ? "status = " + statuses.iterator().next() : "status in " + statuses);
    }
    if (timeRange != null) {
      text.add("created in " + timeRange);
    }
    if (window != null) {
      text.add("created within last " + Predicates.describe(window));
    }
    if (keywordField != null) {
      text.add(keywordField.name().toLowerCase(Locale.ROOT).replace('_', ' ') + " \"" + keywordText + "\"");
    }
    if (!tags.isEmpty()) {
      text.add("tags " + tags);
    }
    return text.toString();
  }
}
