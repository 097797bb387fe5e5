package io.csbs.query;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.InvalidValueException;
import java.util.Objects;
import java.util.Optional;

/**
 * A search of the backup list: a predicate, a sort and a page. The page is a limit (1 to 1000) and
 * either a marker (the id of the last backup of the previous page: the page continues after it in
 * the same order, even when other backups were added or removed in between, or the marker's own
 * backup changed; a marker whose backup was removed is refused, naming {@code marker}) or an offset.
 *
 * <pre>{@code
 * Query first = Query.builder()
 *     .where(Predicates.status(BackupStatus.AVAILABLE))
 *     .sort(Sort.DEFAULT)
 *     .limit(20)
 *     .build();
 * Query next = first.after(page.nextMarker().orElseThrow());
 * }</pre>
 *
 * <p>Defaults: every backup, newest first, a limit of {@value #DEFAULT_LIMIT} (the API's), from the
 * first backup.
 */
public final class Query {
  /** The largest page. */
  public static final int MAX_LIMIT = 1000;
  /** The limit when none is given, as in the CSBS API. */
  public static final int DEFAULT_LIMIT = 1000;

  private static final Query ALL = new Query(Predicates.all(), Sort.DEFAULT, DEFAULT_LIMIT, null, 0);

  private final BackupPredicate predicate;
  private final Sort sort;
  private final int limit;
  private final String marker;
  private final long offset;

  private Query(BackupPredicate predicate, Sort sort, int limit, String marker, long offset) {
    this.predicate = predicate;
    this.sort = sort;
    this.limit = limit;
    this.marker = marker;
    this.offset = offset;
  }

  /** {@return every backup, newest first, the first {@value #DEFAULT_LIMIT}} */
  public static Query all() {
    return ALL;
  }

  /**
   * {@return the first page of {@code predicate}, newest first, with the default limit}
   *
   * @param predicate the criteria
   */
  public static Query where(BackupPredicate predicate) {
    return builder().where(predicate).build();
  }

  /** {@return a builder with the defaults} */
  public static Builder builder() {
    return new Builder();
  }

  /** {@return the criteria} */
  public BackupPredicate predicate() {
    return predicate;
  }

  /** {@return the order} */
  public Sort sort() {
    return sort;
  }

  /** {@return the most backups a page holds, 1 to 1000} */
  public int limit() {
    return limit;
  }

  /** {@return the id of the backup the page continues after, if paging by marker} */
  public Optional<String> marker() {
    return Optional.ofNullable(marker);
  }

  /** {@return how many matches to skip before the page; 0 when paging by marker} */
  public long offset() {
    return offset;
  }

  /**
   * {@return the same query, continuing after the backup with id {@code marker} (and no offset)}
   *
   * @param marker the id of the last backup of the previous page
   * @throws InvalidValueException naming {@code marker} if it is blank
   */
  public Query after(String marker) {
    java.util.Objects.requireNonNull(marker, "marker");
    return new Builder().from(this).offset(0).marker(marker).build();
  }

  /** {@return a builder holding this query's values} */
  public Builder toBuilder() {
    return new Builder().from(this);
  }

  @Override
  public boolean equals(Object other) {
    if (!(other instanceof Query)) {
      return false;
    }
    Query that = (Query) other;
    return predicate.equals(that.predicate) && sort.equals(that.sort) && limit == that.limit
        && Objects.equals(marker, that.marker) && offset == that.offset;
  }

  @Override
  public int hashCode() {
    return Objects.hash(predicate, sort, limit, marker, offset);
  }

  /** {@code Query{where (status = Available AND tag env=prod), sort created_at:desc, limit 20, after x}}. */
  @Override
  public String toString() {
    return "Query{where " + predicate + ", sort " + sort + ", limit " + limit
        + (marker != null ? ", after " + marker : offset > 0 ? ", offset " + offset : "") + "}";
  }

  /** Builds a {@link Query}; each value is checked when set. */
  public static final class Builder {
    private BackupPredicate predicate = Predicates.all();
    private Sort sort = Sort.DEFAULT;
    private int limit = DEFAULT_LIMIT;
    private String marker;
    private long offset;

    private Builder() {}

    private Builder from(Query query) {
      predicate = query.predicate;
      sort = query.sort;
      limit = query.limit;
      marker = query.marker;
      offset = query.offset;
      return this;
    }

    /**
     * Sets the criteria; every backup by default.
     *
     * @param predicate the criteria the backups of the page match
     * @return this builder
     */
    public Builder where(BackupPredicate predicate) {
      this.predicate = requireNonNull(predicate, "predicate");
      return this;
    }

    /**
     * Sets the order; {@link Sort#DEFAULT} (newest first) by default.
     *
     * @param sort the order of the matches
     * @return this builder
     */
    public Builder sort(Sort sort) {
      this.sort = requireNonNull(sort, "sort");
      return this;
    }

    /**
     * Sets the most backups a page holds; {@value #DEFAULT_LIMIT} by default.
     *
     * @param limit the most backups in a page, 1 to 1000
     * @return this builder
     * @throws InvalidValueException naming {@code limit} unless it is 1 to 1000
     */
    public Builder limit(int limit) {
      if (limit < 1 || limit > MAX_LIMIT) {
        throw new InvalidValueException("limit", limit, "must be 1 to " + MAX_LIMIT);
      }
      this.limit = limit;
      return this;
    }

    /**
     * Continues after the backup with id {@code marker}; {@code null} to start from the first.
     *
     * @param marker the id of the last backup of the previous page, or {@code null}
     * @return this builder
     * @throws InvalidValueException naming {@code marker} if it is blank
     */
    public Builder marker(String marker) {
      if (marker != null && marker.isBlank()) {
        throw new InvalidValueException("marker", marker, "must be a backup id");
      }
      this.marker = marker;
      return this;
    }

    /**
     * Skips {@code offset} matches; 0 by default.
     *
     * @param offset how many matches to skip before the page
     * @return this builder
     * @throws InvalidValueException naming {@code offset} if it is negative
     */
    public Builder offset(long offset) {
      if (offset < 0) {
        throw new InvalidValueException("offset", offset, "must not be negative");
      }
      this.offset = offset;
      return this;
    }

    /**
     * Builds the query.
     *
     * @return the query
     * @throws InvalidValueException naming {@code marker} if a marker is set with an offset above 0 (an
     *     offset of 0, the default, goes with a marker; {@link ListQueryString} refuses both parameters
     *     given, whatever their values)
     */
    public Query build() {
      if (marker != null && offset > 0) {
        throw new InvalidValueException("marker", marker, "cannot be combined with an offset (" + offset + ")");
      }
      return new Query(predicate, sort, limit, marker, offset);
    }
  }
}
