package io.csbs.query;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.Backup;
import io.csbs.backup.InvalidValueException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The order of a backup list: one or more {@link SortKey}s, ties broken by id so that the order is
 * total. The id tie-break runs in the direction of the first key, so that the default order (newest
 * first) is exactly the reverse of (created at, id) ascending.
 *
 * <pre>{@code
 * Sort.DEFAULT;                                     // created_at:desc
 * Sort.parse("created_at:desc,name:asc");           // the API's form
 * Sort.by(SortKey.asc(SortField.NAME)).comparator();
 * }</pre>
 */
public final class Sort {
  /** Newest first: {@code created_at:desc}, the console's and the API's default. */
  public static final Sort DEFAULT = new Sort(List.of(SortKey.desc(SortField.CREATED_AT)));

  private static final String ACCEPTED_FIELDS =
      Arrays.stream(SortField.values()).map(SortField::apiName).collect(Collectors.joining(", "));

  private final List<SortKey> keys;
  private final Comparator<Backup> comparator;

  private Sort(List<SortKey> keys) {
    this.keys = List.copyOf(keys);
    Comparator<Backup> order = null;
    boolean hasId = false;
    for (SortKey key : this.keys) {
      Comparator<Backup> one = key.ascending() ? key.field().ascending() : key.field().ascending().reversed();
      order = order == null ? one : order.thenComparing(one);
      hasId |= key.field() == SortField.ID;
    }
    if (!hasId) {
      Comparator<Backup> byId = SortField.ID.ascending();
      order = order.thenComparing(this.keys.get(0).ascending() ? byId : byId.reversed());
    }
    this.comparator = order;
  }

  /** The longest {@code sort} text the API accepts, in characters. */
  public static final int MAX_TEXT_LENGTH = 255;

  /**
   * A sort by {@code first}, then {@code more}.
   *
   * @param first the first key
   * @param more the keys that break its ties, in order
   * @return the sort, with the id tie-break last
   * @throws InvalidValueException naming {@code sort} if a field appears twice
   */
  public static Sort by(SortKey first, SortKey... more) {
    List<SortKey> keys = new ArrayList<>();
    keys.add(requireNonNull(first, "first"));
    keys.addAll(Predicates.requireElements(more, "more"));
    return by(keys);
  }

  /**
   * A sort by {@code keys}, in order.
   *
   * @param keys the keys, in order; not empty
   * @return the sort, with the id tie-break last
   * @throws InvalidValueException naming {@code sort} if it is empty or a field appears twice
   */
  public static Sort by(List<SortKey> keys) {
    Predicates.requireElements(keys, "keys");
    if (keys.isEmpty()) {
      throw new InvalidValueException("sort", keys, "must have at least one key");
    }
    Set<SortField> seen = EnumSet.noneOf(SortField.class);
    for (SortKey key : keys) {
      if (!seen.add(requireNonNull(key, "sort key").field())) {
        throw new InvalidValueException("sort", keys, "must name each field once; " + key.field().apiName() + " repeats");
      }
    }
    return keys.equals(DEFAULT.keys) ? DEFAULT : new Sort(keys);
  }

  /**
   * Parses the API's form: comma-separated {@code field[:asc|:desc]}, the direction {@code desc} by
   * default, for example {@code created_at:desc,name:asc}. White space around a key, a field or a
   * direction is ignored (as {@link String#strip()} removes it; a no-break space is not white space
   * there), and a direction may be in any case ({@code name : ASC}); a field must be
   * written as the API names it ({@code Name} is refused). The text is at most {@value
   * #MAX_TEXT_LENGTH} characters, as the API allows.
   *
   * @param text the API's {@code sort} parameter
   * @return the sort
   * @throws InvalidValueException naming {@code sort}: with the fields and directions it accepts if a
   *     key is malformed or empty, the field that repeats if one does, or the bound if the text is
   *     longer than {@value #MAX_TEXT_LENGTH} characters
   */
  public static Sort parse(String text) {
    requireNonNull(text, "sort");
    if (text.length() > MAX_TEXT_LENGTH) {
      throw new InvalidValueException("sort", text, "must be at most " + MAX_TEXT_LENGTH + " characters");
    }
    List<SortKey> keys = new ArrayList<>();
    for (String part : text.split(",", -1)) {
      String[] fieldAndDirection = part.strip().split(":", -1);
      if (fieldAndDirection.length > 2) {
        throw badSort(text);
      }
      SortField field = null;
      for (SortField candidate : SortField.values()) {
        if (candidate.apiName().equals(fieldAndDirection[0].strip())) {
          field = candidate;
        }
      }
      if (field == null) {
        throw badSort(text);
      }
      String direction = fieldAndDirection.length == 2 ? fieldAndDirection[1].strip().toLowerCase(Locale.ROOT) : "desc";
      if (!direction.equals("asc") && !direction.equals("desc")) {
        throw badSort(text);
      }
      keys.add(new SortKey(field, direction.equals("asc")));
    }
    try {
      return by(keys);
    } catch (InvalidValueException repeated) {
      // quote the text as given, as every other refusal of parse does, not the keys parsed from it
      throw new InvalidValueException("sort", text, repeated.rule());
    }
  }

  private static InvalidValueException badSort(String text) {
    return new InvalidValueException("sort", text,
        "must be comma-separated field[:asc|:desc] with fields " + ACCEPTED_FIELDS);
  }

  /** {@return the keys, without the implicit id tie-break} */
  public List<SortKey> keys() {
    return keys;
  }

  /** {@return whether this is {@link #DEFAULT}, newest first} */
  public boolean isDefault() {
    return keys.equals(DEFAULT.keys);
  }

  /** {@return the total order this sort defines, including the id tie-break} */
  public Comparator<Backup> comparator() {
    return comparator;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Sort && ((Sort) other).keys.equals(keys);
  }

  @Override
  public int hashCode() {
    return keys.hashCode();
  }

  /** The API's form, {@code created_at:desc,name:asc}. */
  @Override
  public String toString() {
    return keys.stream().map(SortKey::toString).collect(Collectors.joining(","));
  }
}
