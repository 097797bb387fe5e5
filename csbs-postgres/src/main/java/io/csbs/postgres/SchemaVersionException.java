package io.csbs.postgres;

import io.csbs.ErrorCode;

/**
 * Thrown when the database's csbs schema is not the version this library reads and writes: none at
 * all (call {@link Schema#migrate}), an older one (call {@link Schema#migrate} to upgrade), or a
 * newer one written by a later release of the library (upgrade the library). Nothing was read or
 * written. Not retryable.
 *
 * <pre>{@code
 * try {
 *   catalog.count("project-1", Predicates.all());
 * } catch (SchemaVersionException e) {
 *   e.databaseVersion();   // 0: the schema was never created
 * }
 * }</pre>
 *
 * <p>Its {@linkplain #code() code} is {@link ErrorCode#SCHEMA_VERSION_MISMATCH}.
 */
public final class SchemaVersionException extends CatalogDatabaseException {
  private static final long serialVersionUID = 1L;

  /** The schema version of the database. */
  private final int databaseVersion;
  /** The schema version this library needs. */
  private final int libraryVersion;

  /**
   * An exception for a database at {@code databaseVersion} where the library needs {@code
   * libraryVersion}.
   *
   * @param databaseVersion the schema version of the database; 0 when it has none (below 0 when
   *     its version table was written by something else)
   * @param libraryVersion the schema version this library needs, at least 1
   * @throws IllegalArgumentException if the versions are equal (no mismatch) or {@code
   *     libraryVersion} is below 1
   */
  public SchemaVersionException(int databaseVersion, int libraryVersion) {
    super(message(checked(databaseVersion, libraryVersion), libraryVersion), null, false);
    this.databaseVersion = databaseVersion;
    this.libraryVersion = libraryVersion;
  }

  /** {@return the schema version of the database; 0 when it has none} */
  public int databaseVersion() {
    return databaseVersion;
  }

  /** {@return the schema version this library needs} */
  public int libraryVersion() {
    return libraryVersion;
  }

  /** {@return {@link ErrorCode#SCHEMA_VERSION_MISMATCH}} */
  @Override
  public ErrorCode code() {
    return ErrorCode.SCHEMA_VERSION_MISMATCH;
  }

  private static int checked(int database, int library) {
    if (library < 1) {
      throw new IllegalArgumentException("libraryVersion " + library + " is invalid: must be at least 1");
    }
    if (database == library) {
      throw new IllegalArgumentException(
          "databaseVersion " + database + " is invalid: must differ from libraryVersion " + library + " (no mismatch)");
    }
    return database;
  }

  private static String message(int database, int library) {
    if (database < 0) {
      return "the database's csbs_schema_version holds version " + database + ", which no csbs release writes "
          + "(this library needs version " + library + "): the table was written by something else";
    }
    if (database == 0) {
      return "the database has no csbs schema (this library needs version " + library
          + "): create it with Schema.migrate(dataSource)";
    }
    if (database < library) {
      return "the database has csbs schema version " + database + ", this library needs version " + library
          + ": upgrade it with Schema.migrate(dataSource)";
    }
    return "the database has csbs schema version " + database + ", newer than version " + library
        + " of this library: upgrade the library";
  }
}
