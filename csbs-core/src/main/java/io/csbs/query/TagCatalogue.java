package io.csbs.query;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The existing tag keys of a project's backups, each with its existing values, sorted: what the
 * console's tag search form offers, and the API's {@code GET /v1/{project_id}/csbs_backup/tags}.
 *
 * <pre>{@code
 * TagCatalogue tags = catalog.tagCatalogue("project-1");
 * tags.keys();                  // [app, env, team]
 * tags.values("env");           // [dev, prod]
 * tags.contains("env", "prod"); // true
 * }</pre>
 */
public final class TagCatalogue {
  private static final TagCatalogue EMPTY = new TagCatalogue(new TreeMap<>());

  private final NavigableMap<String, NavigableSet<String>> valuesByKey;

  private TagCatalogue(NavigableMap<String, NavigableSet<String>> valuesByKey) {
    this.valuesByKey = valuesByKey;
  }

  /** The catalogue with no tags. */
  public static TagCatalogue empty() {
    return EMPTY;
  }

  /** A catalogue of the given keys and values; copied. */
  public static TagCatalogue of(Map<String, ? extends java.util.Collection<String>> valuesByKey) {
    NavigableMap<String, NavigableSet<String>> copy = new TreeMap<>();
    valuesByKey.forEach((key, values) ->
        copy.put(requireNonNull(key, "key"), Collections.unmodifiableNavigableSet(new TreeSet<>(values))));
    return new TagCatalogue(Collections.unmodifiableNavigableMap(copy));
  }

  /** The existing keys, sorted. */
  public NavigableSet<String> keys() {
    return valuesByKey.navigableKeySet();
  }

  /** The existing values of {@code key}, sorted; empty for a key that does not exist. */
  public NavigableSet<String> values(String key) {
    NavigableSet<String> values = valuesByKey.get(key);
    return values == null ? Collections.emptyNavigableSet() : values;
  }

  /** Whether some backup has a tag with {@code key}. */
  public boolean containsKey(String key) {
    return valuesByKey.containsKey(key);
  }

  /** Whether some backup has the tag {@code key=value}. */
  public boolean contains(String key, String value) {
    return values(key).contains(value);
  }

  /** Every key with its values. */
  public NavigableMap<String, NavigableSet<String>> asMap() {
    return valuesByKey;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof TagCatalogue && ((TagCatalogue) other).valuesByKey.equals(valuesByKey);
  }

  @Override
  public int hashCode() {
    return valuesByKey.hashCode();
  }

  /** {@code {app=[shop], env=[dev, prod]}}. */
  @Override
  public String toString() {
    return valuesByKey.entrySet().stream()
        .map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining(", ", "{", "}"));
  }
}
