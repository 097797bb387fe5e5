package io.csbs.query;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.InvalidValueException;
import java.util.Objects;
import java.util.Optional;

/**
 * A search of the backup list: a predicate, a sort and a page. The page is a limit (1 to 1000) and
 * either a marker (the id of the last backup of the previous page: the page continues after it in
 * the same order, even when backups were added or removed in between) or an offset.
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

  /** Every backup, newest first, the first {@value #DEFAULT_LIMIT}. */
  public static Query all() {
    return ALL;
  }

  /** The first page of {@code predicate}, newest first, with the default limit. */
  public static Query where(BackupPredicate predicate) {
    return builder().where(predicate).build();
  }

  /** A builder with the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The criteria. */
  public BackupPredicate predicate() {
    return predicate;
  }

  /** The order. */
  public Sort sort() {
    return sort;
  }

  /** The most backups a page holds, 1 to 1000. */
  public int limit() {
    return limit;
  }

  /** The id of the backup the page continues after, if paging by marker. */
  public Optional<String> marker() {
    return Optional.ofNullable(marker);
  }

  /** How many matches to skip before the page; 0 when paging by marker. */
  public long offset() {
    return offset;
  }

  /** The same query, continuing after the backup with id {@code marker} (and no offset). */
  public Query after(String marker) {
    return new Builder().from(this).offset(0).marker(marker).build();
  }

  /** A builder holding this query's values. */
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

    /** The criteria; every backup by default. */
    public Builder where(BackupPredicate predicate) {
      this.predicate = requireNonNull(predicate, "predicate");
      return this;
    }

    /** The order; {@link Sort#DEFAULT} (newest first) by default. */
    public Builder sort(Sort sort) {
      this.sort = requireNonNull(sort, "sort");
      return this;
    }

    /**
     * The most backups a page holds; {@value #DEFAULT_LIMIT} by default.
     *
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
     * Continue after the backup with id {@code marker}; {@code null} to start from the first.
     *
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
     * Skip {@code offset} matches; 0 by default.
     *
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
     * The query.
     *
     * @throws InvalidValueException naming {@code marker} if both a marker and an offset are set
     */
    public Query build() {
      if (marker != null && offset > 0) {
        throw new InvalidValueException("marker", marker, "cannot be combined with an offset (" + offset + ")");
      }
      return new Query(predicate, sort, limit, marker, offset);
    }
  }
}
