package io.csbs.query;

import static java.util.Objects.requireNonNull;

/**
 * One key of a {@link Sort}: a field and a direction.
 *
 * <pre>{@code
 * SortKey.desc(SortField.CREATED_AT).toString(); // "created_at:desc"
 * }</pre>
 *
 * @param field the field
 * @param ascending true for ascending, false for descending
 */
public record SortKey(SortField field, boolean ascending) {
  /**
   * Checks that the field is given.
   *
   * @param field the field
   * @param ascending true for ascending, false for descending
   */
  public SortKey {
    requireNonNull(field, "field");
  }

  /**
   * {@code field}, ascending.
   *
   * @param field the field
   * @return the key sorting {@code field} ascending
   */
  public static SortKey asc(SortField field) {
    return new SortKey(field, true);
  }

  /**
   * {@code field}, descending.
   *
   * @param field the field
   * @return the key sorting {@code field} descending
   */
  public static SortKey desc(SortField field) {
    return new SortKey(field, false);
  }

  /** The API's form, {@code created_at:desc}. */
  @Override
  public String toString() {
    return field.apiName() + (ascending ? ":asc" : ":desc");
  }
}
