package io.csbs.backup;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A change of a backup's tags in place, as the CSBS tag APIs make it ({@code POST .../tags} and
 * {@code POST .../tags/action} with {@code create} or {@code delete}): one versioned change of the
 * backup, applied by {@code BackupCatalog.updateTags}.
 *
 * <ul>
 *   <li>{@link #create}: 1 to 10 tags with unique keys; a tag whose key the backup has replaces that
 *       tag's value in place, the others are added after the backup's tags. The backup may have at
 *       most {@value Backup#MAX_TAGS} tags after it.
 *   <li>{@link #delete}: 1 or more {@link Match}es, keys may repeat; a match without a value
 *       removes the tag with its key, one with a value only a tag with that key and value. A match
 *       no tag has is not an error. Keys of up to 127 and values of up to 255 chars are accepted,
 *       unchecked otherwise, as the API does for deletions.
 * </ul>
 *
 * <p>An update that leaves the tags as they are changes nothing: no new version, no change for
 * subscribers (the API is idempotent).
 *
 * <pre>{@code
 * catalog.updateTags("project-1", backup.id(), backup.version(),
 *     TagUpdate.create(Tag.of("env", "prod"), Tag.of("owner", "alice")));
 * catalog.updateTags("project-1", backup.id(), backup.version() + 1, TagUpdate.delete(TagUpdate.Match.key("owner")));
 * }</pre>
 */
public final class TagUpdate {
  /** The longest key a deletion accepts. */
  public static final int MAX_DELETE_KEY_LENGTH = 127;
  /** The longest value a deletion accepts. */
  public static final int MAX_DELETE_VALUE_LENGTH = 255;

  /** What an update does, as the API's {@code action} names it. */
  public enum Action {
    /** Add tags, or replace the values of tags with the same keys. */
    CREATE,
    /** Remove tags. */
    DELETE;

    /** {@return the action as the API writes it: {@code create} or {@code delete}} */
    public String apiName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The action named {@code text} as the API writes it.
     *
     * @param text {@code create} or {@code delete}
     * @return the action
     * @throws InvalidValueException naming {@code action} if {@code text} is neither
     */
    public static Action parse(String text) {
      return Rules.apiConstant("action", text, values());
    }
  }

  /**
   * Which tags a deletion removes: the tag with {@code key}, or, with a value, only the tag with
   * that key and value. Surrounding spaces are trimmed.
   *
   * <pre>{@code
   * Match.key("owner");             // owner=anything
   * Match.of("env", "staging");     // env=staging only
   * }</pre>
   *
   * @param key the key, 1 to 127 chars once trimmed
   * @param value the value the tag must have, if any; at most 255 chars once trimmed
   */
  public record Match(String key, Optional<String> value) {
    /**
     * Trims and checks the key and value.
     *
     * @param key the key
     * @param value the value the tag must have, if any
     * @throws InvalidValueException naming {@code tag key} or {@code tag value} if too long or the key is empty
     */
    public Match {
      key = requireNonNull(key, "key").strip();
      if (key.isEmpty() || key.length() > MAX_DELETE_KEY_LENGTH) {
        throw new InvalidValueException("tag key", key, "must be 1 to " + MAX_DELETE_KEY_LENGTH + " chars to delete");
      }
      value = requireNonNull(value, "value").map(String::strip);
      if (value.isPresent() && value.get().length() > MAX_DELETE_VALUE_LENGTH) {
        throw new InvalidValueException("tag value", value.get(),
            "must be at most " + MAX_DELETE_VALUE_LENGTH + " chars to delete");
      }
    }

    /**
     * {@return a match of the tag with {@code key}, whatever its value}
     *
     * @param key the key
     */
    public static Match key(String key) {
      return new Match(key, Optional.empty());
    }

    /**
     * {@return a match of the tag with {@code key} and {@code value} only}
     *
     * @param key the key
     * @param value the value
     */
    public static Match of(String key, String value) {
      return new Match(key, Optional.of(requireNonNull(value, "value")));
    }

    boolean matches(Tag tag) {
      return tag.key().equals(key) && (value.isEmpty() || value.get().equals(tag.value()));
    }

    @Override
    public String toString() {
      return key + value.map(v -> "=" + v).orElse("");
    }
  }

  private final Action action;
  private final List<Tag> tags;
  private final List<Match> matches;

  private TagUpdate(Action action, List<Tag> tags, List<Match> matches) {
    this.action = action;
    this.tags = tags;
    this.matches = matches;
  }

  /**
   * An update that adds {@code tags}, or replaces the values of the backup's tags with their keys.
   *
   * @param tags 1 to 10 tags with unique keys
   * @return the update
   * @throws InvalidValueException naming {@code tags} if there are none, more than 10, or a key repeats
   */
  public static TagUpdate create(List<Tag> tags) {
    List<Tag> copy = copy(tags, "tags");
    if (copy.isEmpty()) {
      throw new InvalidValueException("tags", copy, "must be 1 to " + Backup.MAX_TAGS + " tags to create");
    }
    if (copy.size() > Backup.MAX_TAGS) {
      // the words of every refusal of too many tags (applyTo's too), which a server tells from the others
      throw new InvalidValueException("tags", copy, "must be at most " + Backup.MAX_TAGS + " tags to create");
    }
    Set<String> keys = new HashSet<>();
    for (Tag tag : copy) {
      if (!keys.add(tag.key())) {
        throw new InvalidValueException("tags", copy, "must have unique keys; '" + tag.key() + "' repeats");
      }
    }
    return new TagUpdate(Action.CREATE, copy, List.of());
  }

  /**
   * {@return an update that adds {@code tags}; see {@link #create(List)}}
   *
   * @param tags 1 to 10 tags with unique keys
   */
  public static TagUpdate create(Tag... tags) {
    return create(List.of(requireNonNull(tags, "tags")));
  }

  /**
   * An update that removes the tags {@code matches} match.
   *
   * @param matches 1 or more matches; keys may repeat
   * @return the update
   * @throws InvalidValueException naming {@code tags} if there are none
   */
  public static TagUpdate delete(List<Match> matches) {
    List<Match> copy = copy(matches, "matches");
    if (copy.isEmpty()) {
      throw new InvalidValueException("tags", copy, "must name 1 or more tags to delete");
    }
    return new TagUpdate(Action.DELETE, List.of(), copy);
  }

  /**
   * {@return an update that removes the tags {@code matches} match; see {@link #delete(List)}}
   *
   * @param matches 1 or more matches
   */
  public static TagUpdate delete(Match... matches) {
    return delete(List.of(requireNonNull(matches, "matches")));
  }

  private static <T> List<T> copy(List<T> list, String name) {
    requireNonNull(list, name);
    List<T> copy = new ArrayList<>(list.size());
    for (T element : list) {
      copy.add(Rules.requireElement(element, name, copy.size()));
    }
    return List.copyOf(copy);
  }

  /** {@return what the update does} */
  public Action action() {
    return action;
  }

  /** {@return the tags a {@link Action#CREATE} adds or sets; empty for a deletion} */
  public List<Tag> tags() {
    return tags;
  }

  /** {@return the matches of a {@link Action#DELETE}; empty for a creation} */
  public List<Match> matches() {
    return matches;
  }

  /**
   * The tags after this update, from {@code current}.
   *
   * @param current the backup's tags
   * @return the tags after the update; {@code current} itself if they do not change
   * @throws InvalidValueException naming {@code tags} if a creation would leave more than {@value
   *     Backup#MAX_TAGS}
   */
  public List<Tag> applyTo(List<Tag> current) {
    requireNonNull(current, "current");
    List<Tag> next = new ArrayList<>(current);
    if (action == Action.CREATE) {
      for (Tag tag : tags) {
        int at = indexOfKey(next, tag.key());
        if (at >= 0) {
          next.set(at, tag);
        } else {
          next.add(tag);
        }
      }
      if (next.size() > Backup.MAX_TAGS) {
        throw new InvalidValueException("tags", next, "must be at most " + Backup.MAX_TAGS + " tags: the backup has "
            + current.size() + " and this update adds " + (next.size() - current.size()) + " new keys");
      }
    } else {
      next.removeIf(tag -> matches.stream().anyMatch(match -> match.matches(tag)));
    }
    return next.equals(current) ? current : List.copyOf(next);
  }

  /**
   * {@code backup} with this update applied: one version later, updated at {@code now}.
   *
   * @param backup the backup
   * @param now when the update happens; not before the backup's last change ({@link Backup#updatedAt()}),
   *     as for a lifecycle transition, so that a backup's versions are updated in the order of their numbers
   * @return the next version; {@code backup} itself if its tags do not change
   * @throws InvalidValueException naming {@code tags} if a creation would leave more than {@value
   *     Backup#MAX_TAGS}; {@code updated at} if {@code now} precedes the creation; {@code now} if it
   *     comes at or after the creation but before the last change. Only an update that changes the
   *     tags is checked: one that changes none returns {@code backup} whatever {@code now} (unlike a
   *     lifecycle transition, which checks {@code now} even when it would change nothing)
   */
  public Backup applyTo(Backup backup, Instant now) {
    requireNonNull(backup, "backup");
    requireNonNull(now, "now");
    List<Tag> next = applyTo(backup.tags());
    if (next == backup.tags()) {
      return backup;
    }
    // before the creation, the next version's own check names its field (as it always did)
    if (!now.isBefore(backup.createdAt()) && now.isBefore(backup.updatedAt())) {
      throw new InvalidValueException("now", now, "must not be before the backup's last change at " + backup.updatedAt());
    }
    return backup.toBuilder().tags(next).updatedAt(now).version(backup.followingVersion()).build();
  }

  private static int indexOfKey(List<Tag> tags, String key) {
    for (int i = 0; i < tags.size(); i++) {
      if (tags.get(i).key().equals(key)) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof TagUpdate that && action == that.action && tags.equals(that.tags)
        && matches.equals(that.matches);
  }

  @Override
  public int hashCode() {
    return Objects.hash(action, tags, matches);
  }

  /** {@code create [env=prod, owner=alice]} or {@code delete [owner, env=staging]}. */
  @Override
  public String toString() {
    return action.apiName() + " " + (action == Action.CREATE ? tags : matches);
  }
}
