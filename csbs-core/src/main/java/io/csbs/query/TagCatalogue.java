package io.csbs.query;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.SortedSet;
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
  // unmodifiable: the one empty catalogue is shared by every caller
  private static final TagCatalogue EMPTY =
      new TagCatalogue(Collections.unmodifiableNavigableMap(new TreeMap<>()));

  private final NavigableMap<String, NavigableSet<String>> valuesByKey;

  private TagCatalogue(NavigableMap<String, NavigableSet<String>> valuesByKey) {
    this.valuesByKey = valuesByKey;
  }

  /** {@return the catalogue with no tags} */
  public static TagCatalogue empty() {
    return EMPTY;
  }

  /**
   * {@return a catalogue of the given keys and values; copied, unmodifiable} The keys and values are
   * taken as given (a catalogue lists what backups hold, which {@link io.csbs.backup.Tag} checked).
   *
   * @param valuesByKey each tag key with its values
   * @throws NullPointerException if the map, a key, a key's values or a value is null
   */
  public static TagCatalogue of(Map<String, ? extends java.util.Collection<String>> valuesByKey) {
    requireNonNull(valuesByKey, "valuesByKey");
    NavigableMap<String, NavigableSet<String>> copy = new TreeMap<>();
    valuesByKey.forEach((key, values) -> {
      requireNonNull(key, "key");
      requireNonNull(values, () -> "values of key " + key);
      NavigableSet<String> sorted;
      if (values instanceof SortedSet && ((SortedSet<String>) values).comparator() == null) {
        sorted = new TreeSet<>((SortedSet<String>) values);   // linear, and holds no null already
      } else {
        sorted = new TreeSet<>();
        for (String value : values) {
          sorted.add(requireNonNull(value, () -> "a value of key " + key));
        }
      }
      copy.put(key, Collections.unmodifiableNavigableSet(sorted));
    });
    return new TagCatalogue(Collections.unmodifiableNavigableMap(copy));
  }

  /** {@return the existing keys, sorted} */
  public NavigableSet<String> keys() {
    return valuesByKey.navigableKeySet();
  }

  /**
   * {@return the existing values of {@code key}, sorted; empty for a key that does not exist}
   *
   * @param key the tag key
   */
  public NavigableSet<String> values(String key) {
    requireNonNull(key, "key");
    NavigableSet<String> values = valuesByKey.get(key);
    return values == null ? Collections.emptyNavigableSet() : values;
  }

  /**
   * {@return whether some backup has a tag with {@code key}}
   *
   * @param key the tag key
   */
  public boolean containsKey(String key) {
    requireNonNull(key, "key");
    return valuesByKey.containsKey(key);
  }

  /**
   * {@return whether some backup has the tag {@code key=value}}
   *
   * @param key the tag key
   * @param value the tag value
   */
  public boolean contains(String key, String value) {
    requireNonNull(value, "value");
    return values(key).contains(value);
  }

  /** {@return every key with its values; unmodifiable} */
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
