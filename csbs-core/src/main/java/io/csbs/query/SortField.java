package io.csbs.query;

import io.csbs.backup.Backup;
import java.util.Comparator;

/**
 * What a backup list can be sorted by, with the API's names ({@code created_at}, {@code updated_at},
 * {@code name}, {@code status}, {@code id}); the API's {@code protected_at} is not among them (a
 * backup keeps no protection time apart from its creation).
 *
 * <pre>{@code
 * Sort.by(SortKey.desc(SortField.UPDATED_AT), SortKey.asc(SortField.NAME));
 * }</pre>
 */
public enum SortField {
  /** Creation time. */
  CREATED_AT("created_at", Comparator.comparing(Backup::createdAt)),
  /** Time of the last change. */
  UPDATED_AT("updated_at", Comparator.comparing(Backup::updatedAt)),
  /**
   * Name, compared char by char as {@link String#compareTo} does (so upper case sorts before lower
   * case). The PostgreSQL catalog compares by code point: the same order, except that a character
   * above U+FFFF (two chars) sorts after the chars U+E000 to U+FFFF instead of before them.
   */
  NAME("name", Comparator.comparing(Backup::name)),
  /** State, in the order Available, Creating, Restoring, Deleting, Error. */
  STATUS("status", Comparator.comparing(Backup::status)),
  /** Backup id, compared as {@link #NAME} compares names. */
  ID("id", Comparator.comparing(Backup::id));

  private final String apiName;
  private final Comparator<Backup> ascending;

  SortField(String apiName, Comparator<Backup> ascending) {
    this.apiName = apiName;
    this.ascending = ascending;
  }

  /** {@return the field as the API's {@code sort} parameter names it} */
  public String apiName() {
    return apiName;
  }

  Comparator<Backup> ascending() {
    return ascending;
  }
}
