package io.csbs.query;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Tag;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The body of the CSBS tag query, {@code POST /v1/{project_id}/csbs_backup/resource_instances/action},
 * as a value: four groups of tag criteria, a fuzzy match on the backup name, the action and the page.
 *
 * <pre>{@code
 * TagFilter filter = TagFilter.builder()
 *     .tags("env", "prod", "staging")      // env is prod or staging ...
 *     .tags("app")                          // ... and the backup has a tag app, whatever its value
 *     .notTagsAny("team", "*test")         // but no team tag whose value contains "test"
 *     .matches("resource_name", "autobk")  // and the backup's name contains "autobk", any case
 *     .limit(100)
 *     .build();
 * Page page = catalog.query("project-1", filter.toQuery());
 * long total = catalog.count("project-1", filter.toPredicate()); // action "count"
 * }</pre>
 *
 * <p>The groups, each a list of keys with their values, as the API defines them:
 *
 * <ul>
 *   <li>{@code tags}: every key must be present (AND over keys), with one of its values;
 *   <li>{@code tags_any}: at least one of the keys, with one of its values (OR over keys);
 *   <li>{@code not_tags}: excludes the backups that {@code tags} with the same list would match:
 *       {@code NOT (k1 AND k2 ...)};
 *   <li>{@code not_tags_any}: excludes the backups that {@code tags_any} with the same list would
 *       match: {@code NOT (k1 OR k2 ...)}.
 * </ul>
 *
 * <p>Within one key: an empty value list means any value, and so does {@code *} alone; a value
 * beginning with {@code *} matches the rest of it anywhere in the tag's value; the other values match
 * exactly; any one value is enough. Keys and values are trimmed; a value repeated for one key counts once. Each group holds at
 * most {@value #MAX_KEYS} keys, each key at most {@value #MAX_VALUES} values, and a key appears at
 * most once a group. An unused group (absent or empty) is no criterion; the groups and {@code
 * matches} are ANDed.
 *
 * <p>{@code matches} has the one key {@code resource_name}, which in this API is the backup's name:
 * it matches names containing the value, ignoring case ({@link Predicates#nameContains}).
 *
 * <p>Defaults: no criteria (every backup), action {@code filter}, limit {@value Query#DEFAULT_LIMIT},
 * offset 0. A count ({@link Action#COUNT}) ignores the limit and the offset, as the API does.
 *
 * <p>Filters are values: equal criteria (texts as given) make equal filters whatever the order in
 * which keys were added, and equal filters make equal predicates. A name match differing only in
 * case makes an unequal filter with an equal predicate (names match ignoring case).
 */
public final class TagFilter {
  /** The most keys one group may list. */
  public static final int MAX_KEYS = 10;
  /** The most values one key may list. */
  public static final int MAX_VALUES = Predicates.MAX_TAG_VALUES;
  /** The one key {@code matches} accepts: the backup's name. */
  public static final String RESOURCE_NAME = "resource_name";

  private static final String TAGS = "tags";
  private static final String TAGS_ANY = "tags_any";
  private static final String NOT_TAGS = "not_tags";
  private static final String NOT_TAGS_ANY = "not_tags_any";
  private static final String MATCHES = "matches";

  /** What the API call does with the matches: list a page of them, or count them. */
  public enum Action {
    /** List a page of the matches: {@code "filter"}. */
    FILTER,
    /** Count the matches: {@code "count"}. */
    COUNT;

    /** {@return the action as the API writes it: {@code filter} or {@code count}} */
    public String apiName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The action named {@code text} as the API writes it.
     *
     * @param text {@code filter} or {@code count}
     * @return the action
     * @throws InvalidValueException naming {@code action} unless it is {@code filter} or {@code
     *     count}
     */
    public static Action parse(String text) {
      java.util.Objects.requireNonNull(text, "text");
      for (Action action : values()) {
        if (action.apiName().equals(text)) {
          return action;
        }
      }
      throw new InvalidValueException("action", text, "must be filter or count");
    }

    @Override
    public String toString() {
      return apiName();
    }
  }

  private final SortedMap<String, List<String>> tags;
  private final SortedMap<String, List<String>> tagsAny;
  private final SortedMap<String, List<String>> notTags;
  private final SortedMap<String, List<String>> notTagsAny;
  private final String nameMatch;
  private final Action action;
  private final int limit;
  private final long offset;

  private TagFilter(Builder builder) {
    this.tags = freeze(builder.tags);
    this.tagsAny = freeze(builder.tagsAny);
    this.notTags = freeze(builder.notTags);
    this.notTagsAny = freeze(builder.notTagsAny);
    this.nameMatch = builder.nameMatch;
    this.action = builder.action == null ? Action.FILTER : builder.action;
    this.limit = builder.limit == null ? Query.DEFAULT_LIMIT : builder.limit;
    this.offset = builder.offset == null ? 0 : builder.offset;
  }

  /** {@return a builder with the defaults: no criteria, action filter, limit 1000, offset 0} */
  public static Builder builder() {
    return new Builder();
  }

  /** {@return the {@code tags} group: each key, sorted, with its values; an empty list means any value} */
  public SortedMap<String, List<String>> tags() {
    return tags;
  }

  /** {@return the {@code tags_any} group} */
  public SortedMap<String, List<String>> tagsAny() {
    return tagsAny;
  }

  /** {@return the {@code not_tags} group} */
  public SortedMap<String, List<String>> notTags() {
    return notTags;
  }

  /** {@return the {@code not_tags_any} group} */
  public SortedMap<String, List<String>> notTagsAny() {
    return notTagsAny;
  }

  /** {@return the {@code matches} criteria: at most one, with key {@code resource_name}} */
  public Map<String, String> matches() {
    return nameMatch == null ? Map.of() : Map.of(RESOURCE_NAME, nameMatch);
  }

  /**
   * Filter (the default) or count.
   *
   * @return the action
   */
  public Action action() {
    return action;
  }

  /** {@return the most backups a page holds, 1 to 1000; {@value Query#DEFAULT_LIMIT} by default} */
  public int limit() {
    return limit;
  }

  /** {@return how many matches a page skips; 0 by default} */
  public long offset() {
    return offset;
  }

  /**
   * The criteria: the four groups and {@code matches}, ANDed; {@link Predicates#all()} if none is
   * set.
   *
   * @return the predicate of the criteria
   */
  public BackupPredicate toPredicate() {
    List<BackupPredicate> criteria = new ArrayList<>();
    if (!tags.isEmpty()) {
      criteria.add(Predicates.and(perKey(tags)));
    }
    if (!tagsAny.isEmpty()) {
      criteria.add(Predicates.or(perKey(tagsAny)));
    }
    if (!notTags.isEmpty()) {
      criteria.add(Predicates.not(Predicates.and(perKey(notTags))));
    }
    if (!notTagsAny.isEmpty()) {
      criteria.add(Predicates.not(Predicates.or(perKey(notTagsAny))));
    }
    if (nameMatch != null) {
      criteria.add(Predicates.nameContains(nameMatch));
    }
    return Predicates.and(criteria);
  }

  /** {@return a page of the matches: {@link #toPredicate()}, newest first, with this limit and offset} */
  public Query toQuery() {
    return Query.builder().where(toPredicate()).limit(limit).offset(offset).build();
  }

  private static List<BackupPredicate> perKey(SortedMap<String, List<String>> group) {
    List<BackupPredicate> predicates = new ArrayList<>(group.size());
    group.forEach((key, values) -> predicates.add(Predicates.tag(key, values)));
    return predicates;
  }

  private static SortedMap<String, List<String>> freeze(TreeMap<String, List<String>> group) {
    return Collections.unmodifiableSortedMap(new TreeMap<>(group));
  }

  @Override
  public boolean equals(Object other) {
    if (!(other instanceof TagFilter)) {
      return false;
    }
    TagFilter that = (TagFilter) other;
    return tags.equals(that.tags) && tagsAny.equals(that.tagsAny) && notTags.equals(that.notTags)
        && notTagsAny.equals(that.notTagsAny) && Objects.equals(nameMatch, that.nameMatch)
        && action == that.action && limit == that.limit && offset == that.offset;
  }

  @Override
  public int hashCode() {
    return Objects.hash(tags, tagsAny, notTags, notTagsAny, nameMatch, action, limit, offset);
  }

  /**
   * The API's names, groups set only: {@code TagFilter{tags {app=[], env=[prod, staging]}, not_tags_any
   * {team=[*test]}, matches resource_name=autobk, action filter, limit 100, offset 0}}. A key with
   * any value shows {@code []}, the empty value {@code ""} ({@code env=[""]}).
   */
  @Override
  public String toString() {
    StringJoiner text = new StringJoiner(", ", "TagFilter{", "}");
    addGroup(text, TAGS, tags);
    addGroup(text, TAGS_ANY, tagsAny);
    addGroup(text, NOT_TAGS, notTags);
    addGroup(text, NOT_TAGS_ANY, notTagsAny);
    if (nameMatch != null) {
      text.add(MATCHES + " " + RESOURCE_NAME + "=" + nameMatch);
    }
    return text.add("action " + action).add("limit " + limit).add("offset " + offset).toString();
  }

  private static void addGroup(StringJoiner text, String name, SortedMap<String, List<String>> group) {
    if (!group.isEmpty()) {
      // the empty value shows as "", so that env=[""] (the empty value) differs from env=[] (any value)
      text.add(group.entrySet().stream()
          .map(e -> e.getKey() + "=" + e.getValue().stream()
              .map(value -> value.isEmpty() ? "\"\"" : value)
              .collect(java.util.stream.Collectors.joining(", ", "[", "]")))
          .collect(java.util.stream.Collectors.joining(", ", name + " {", "}")));
    }
  }

  /**
   * Builds a {@link TagFilter}. Each method checks its arguments at once; the page and action may be
   * set once each.
   */
  public static final class Builder {
    private final TreeMap<String, List<String>> tags = new TreeMap<>();
    private final TreeMap<String, List<String>> tagsAny = new TreeMap<>();
    private final TreeMap<String, List<String>> notTags = new TreeMap<>();
    private final TreeMap<String, List<String>> notTagsAny = new TreeMap<>();
    private String nameMatch;
    private Action action;
    private Integer limit;
    private Long offset;

    private Builder() {}

    /**
     * Adds {@code key} to the {@code tags} group: the backup must have a tag {@code key} with one of
     * {@code values} (any value if there are none).
     *
     * @param key the tag key
     * @param values the values, at most {@value #MAX_VALUES}, any of which may match; none for any
     *     value
     * @return this builder
     * @throws InvalidValueException naming {@code tags} if the group has {@value #MAX_KEYS} keys
     *     already or holds {@code key} already, or if there are more than {@value #MAX_VALUES}
     *     values; naming {@code tag key} or {@code tag value} if one breaks the tag rules
     */
    public Builder tags(String key, String... values) {
      return add(TAGS, tags, key, listOf(values));
    }

    /**
     * As {@link #tags(String, String...)}, with the values in a collection.
     *
     * @param key the tag key
     * @param values the values, at most {@value #MAX_VALUES}, any of which may match; none for any
     *     value
     * @return this builder
     */
    public Builder tags(String key, Collection<String> values) {
      return add(TAGS, tags, key, values);
    }

    /**
     * Adds {@code key} to the {@code tags_any} group: the backup must match at least one of the
     * group's keys.
     *
     * @param key the tag key
     * @param values the values, at most {@value #MAX_VALUES}, any of which may match; none for any
     *     value
     * @return this builder
     * @throws InvalidValueException as {@link #tags(String, String...)}, naming {@code tags_any}
     */
    public Builder tagsAny(String key, String... values) {
      return add(TAGS_ANY, tagsAny, key, listOf(values));
    }

    /**
     * As {@link #tagsAny(String, String...)}, with the values in a collection.
     *
     * @param key the tag key
     * @param values the values, at most {@value #MAX_VALUES}, any of which may match; none for any
     *     value
     * @return this builder
     */
    public Builder tagsAny(String key, Collection<String> values) {
      return add(TAGS_ANY, tagsAny, key, values);
    }

    /**
     * Adds {@code key} to the {@code not_tags} group: backups matching every key of the group are
     * excluded.
     *
     * @param key the tag key
     * @param values the values, at most {@value #MAX_VALUES}, any of which may match; none for any
     *     value
     * @return this builder
     * @throws InvalidValueException as {@link #tags(String, String...)}, naming {@code not_tags}
     */
    public Builder notTags(String key, String... values) {
      return add(NOT_TAGS, notTags, key, listOf(values));
    }

    /**
     * As {@link #notTags(String, String...)}, with the values in a collection.
     *
     * @param key the tag key
     * @param values the values, at most {@value #MAX_VALUES}, any of which may match; none for any
     *     value
     * @return this builder
     */
    public Builder notTags(String key, Collection<String> values) {
      return add(NOT_TAGS, notTags, key, values);
    }

    /**
     * Adds {@code key} to the {@code not_tags_any} group: backups matching any key of the group are
     * excluded.
     *
     * @param key the tag key
     * @param values the values, at most {@value #MAX_VALUES}, any of which may match; none for any
     *     value
     * @return this builder
     * @throws InvalidValueException as {@link #tags(String, String...)}, naming {@code
     *     not_tags_any}
     */
    public Builder notTagsAny(String key, String... values) {
      return add(NOT_TAGS_ANY, notTagsAny, key, listOf(values));
    }

    /**
     * As {@link #notTagsAny(String, String...)}, with the values in a collection.
     *
     * @param key the tag key
     * @param values the values, at most {@value #MAX_VALUES}, any of which may match; none for any
     *     value
     * @return this builder
     */
    public Builder notTagsAny(String key, Collection<String> values) {
      return add(NOT_TAGS_ANY, notTagsAny, key, values);
    }

    /**
     * Adds a {@code matches} criterion: with key {@code resource_name}, the backup's name must contain
     * {@code value}, ignoring case.
     *
     * @param key {@code resource_name}, the only key the API has
     * @param value the part of the name looked for
     * @return this builder
     * @throws InvalidValueException naming {@code matches} if {@code key} is not {@code
     *     resource_name}, was given already, or {@code value} is blank or longer than 255 characters (code
     *     points)
     */
    public Builder matches(String key, String value) {
      requireNonNull(key, "key");
      requireNonNull(value, "value");
      if (!key.equals(RESOURCE_NAME)) {
        throw new InvalidValueException(MATCHES, key, "must have the key " + RESOURCE_NAME);
      }
      if (nameMatch != null) {
        throw new InvalidValueException(
            MATCHES, key, "must name each key once; " + RESOURCE_NAME + " is '" + nameMatch + "' already");
      }
      try {
        Predicates.nameContains(value);
      } catch (InvalidValueException e) {
        throw new InvalidValueException(MATCHES, value, e.rule());
      }
      nameMatch = value;
      return this;
    }

    /**
     * Sets the action: filter (the default) or count.
     *
     * @param action filter or count
     * @return this builder
     * @throws IllegalStateException if the action was set already
     */
    public Builder action(Action action) {
      requireNonNull(action, "action");
      checkUnset("action", this.action);
      this.action = action;
      return this;
    }

    /**
     * Sets the most backups a page holds; {@value Query#DEFAULT_LIMIT} by default.
     *
     * @param limit the most backups in a page, 1 to 1000
     * @return this builder
     * @throws InvalidValueException naming {@code limit} unless it is 1 to 1000
     * @throws IllegalStateException if the limit was set already
     */
    public Builder limit(int limit) {
      checkUnset("limit", this.limit);
      if (limit < 1 || limit > Query.MAX_LIMIT) {
        throw new InvalidValueException("limit", limit, "must be 1 to " + Query.MAX_LIMIT);
      }
      this.limit = limit;
      return this;
    }

    /**
     * Sets how many matches to skip; 0 by default.
     *
     * @param offset how many matches to skip
     * @return this builder
     * @throws InvalidValueException naming {@code offset} if it is negative
     * @throws IllegalStateException if the offset was set already
     */
    public Builder offset(long offset) {
      checkUnset("offset", this.offset);
      if (offset < 0) {
        throw new InvalidValueException("offset", offset, "must not be negative");
      }
      this.offset = offset;
      return this;
    }

    /** {@return the filter} */
    public TagFilter build() {
      return new TagFilter(this);
    }

    // null stays null, so that add names the key first, then the values, as the collection form does
    private static List<String> listOf(String[] values) {
      return values == null ? null : Arrays.asList(values);
    }

    private Builder add(String group, TreeMap<String, List<String>> keys, String key, Collection<String> values) {
      requireNonNull(key, "key");
      requireNonNull(values, "values");
      String checkedKey = Tag.checkKey(key);
      if (keys.containsKey(checkedKey)) {
        throw new InvalidValueException(group, checkedKey, "must name each key once; " + checkedKey + " repeats");
      }
      if (keys.size() >= MAX_KEYS) {
        throw new InvalidValueException(
            group, checkedKey, "must have at most " + MAX_KEYS + " keys; it has " + keys.keySet() + " already");
      }
      TreeSet<String> normalized = new TreeSet<>();
      for (String value : values) {
        String trimmed = requireNonNull(value, "value").strip();
        normalized.add(trimmed.startsWith("*") ? "*" + trimmed.substring(1).strip() : trimmed);
      }
      // counted as Predicates.tag counts them: distinct values once trimmed
      if (normalized.size() > MAX_VALUES) {
        throw new InvalidValueException(group, values,
            "must have at most " + MAX_VALUES + " values a key (distinct, once trimmed); " + checkedKey + " has " + normalized.size());
      }
      Predicates.tag(checkedKey, normalized); // validates the values
      if (normalized.contains("*")) {
        normalized.clear(); // "*" alone matches every value, as no values do
      }
      keys.put(checkedKey, List.copyOf(normalized));
      return this;
    }

    private static void checkUnset(String what, Object current) {
      if (current != null) {
        throw new IllegalStateException(what + " was already set to " + current);
      }
    }
  }
}
