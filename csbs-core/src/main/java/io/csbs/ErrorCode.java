package io.csbs;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * The stable codes of the library's errors ({@link CsbsError#code()}).
 *
 * <p>Where the CSBS API documents an error code for the same failure (the table "Error Codes" of the
 * CSBS API reference), {@link #code()} is that code: {@code CSBS.9001} for a parameter that fails
 * its checks, {@code CSBS.2003} ("item in executing") for an operation on a backup whose job runs,
 * {@code CSBS.3001} ("Checkpoint_item (%s) is not found") for an unknown backup, and {@code
 * CSBS.9006} ("Quota exceeded for resources") for a quota. The API has no code of its own for the
 * other kinds, which have the library's own codes, of the form {@code CSBS.LIB.NAME}: they never
 * collide with the API's numbered codes, and a service that answers with the API's codes picks its
 * own answer for them.
 *
 * <pre>{@code
 * switch (error.code()) {
 *   case BACKUP_NOT_FOUND -> 404;
 *   case VERSION_CONFLICT, DUPLICATE_BACKUP -> 409;
 *   case DATABASE_FAILURE, SCHEMA_VERSION_MISMATCH -> 503;
 *   default -> 400;   // BACKUP_BUSY too: the API answers CSBS.2003 with 400
 * }
 * }</pre>
 *
 * <p>A client reading an error body maps its code back with {@link #ofCode(String)}: {@code
 * ErrorCode.ofCode("CSBS.2003")} is {@code Optional.of(BACKUP_BUSY)}.
 */
public enum ErrorCode {
  /**
   * {@code CSBS.9001}, the API's code for a parameter that fails its checks: a value, a parameter
   * or a query that breaks one of the library's rules ({@link io.csbs.backup.InvalidValueException}).
   */
  INVALID_VALUE("CSBS.9001"),
  /**
   * {@code CSBS.2003}, the API's "item in executing": an operation refused because a job is running
   * on the backup (Creating, Restoring or Deleting); it may be allowed once the job ends ({@link
   * io.csbs.lifecycle.IllegalTransitionException} in an intermediate state).
   */
  BACKUP_BUSY("CSBS.2003"),
  /**
   * {@code CSBS.LIB.TRANSITION_NOT_ALLOWED}: a transition the backup's stable state does not allow,
   * such as restoring an Error backup or an instant restore of a common backup ({@link
   * io.csbs.lifecycle.IllegalTransitionException} in a stable state).
   */
  TRANSITION_NOT_ALLOWED("CSBS.LIB.TRANSITION_NOT_ALLOWED"),
  /**
   * {@code CSBS.LIB.VERSION_CONFLICT}: a change based on a version that is no longer the backup's
   * current one; read it again and retry ({@link io.csbs.catalog.VersionConflictException}).
   */
  VERSION_CONFLICT("CSBS.LIB.VERSION_CONFLICT"),
  /**
   * {@code CSBS.3001}, the API's "Checkpoint_item (%s) is not found": the project has no backup
   * with the id ({@link io.csbs.catalog.BackupNotFoundException}).
   */
  BACKUP_NOT_FOUND("CSBS.3001"),
  /**
   * {@code CSBS.LIB.DUPLICATE_BACKUP}: the project has a backup with the id already, or the id
   * repeats in one batch ({@link io.csbs.catalog.DuplicateBackupException}).
   */
  DUPLICATE_BACKUP("CSBS.LIB.DUPLICATE_BACKUP"),
  /**
   * {@code CSBS.9006}, the API's "Quota exceeded for resources": with a new backup its project would
   * be beyond a quota ({@link io.csbs.usage.QuotaExceededException}).
   */
  QUOTA_EXCEEDED("CSBS.9006"),
  /**
   * {@code CSBS.LIB.DATABASE_FAILURE}: the database of a durable catalog failed (csbs-postgres's
   * {@code CatalogDatabaseException}); whether a retry may succeed is the exception's to say.
   */
  DATABASE_FAILURE("CSBS.LIB.DATABASE_FAILURE"),
  /**
   * {@code CSBS.LIB.SCHEMA_VERSION_MISMATCH}: the database's csbs schema is not the version the
   * library needs (csbs-postgres's {@code SchemaVersionException}).
   */
  SCHEMA_VERSION_MISMATCH("CSBS.LIB.SCHEMA_VERSION_MISMATCH");

  private final String code;

  ErrorCode(String code) {
    this.code = code;
  }

  /**
   * The code as text: the CSBS API's code where it has one (for example {@code CSBS.9001}), else
   * {@code CSBS.LIB.} and the constant's name (for example {@code CSBS.LIB.VERSION_CONFLICT}).
   *
   * @return the code as text
   */
  public String code() {
    return code;
  }

  /**
   * The error code whose {@link #code()} is {@code code}, compared exactly (case and all): the way
   * a client maps the {@code error_code} of an error body back, for example {@code
   * ErrorCode.ofCode("CSBS.3001")} is {@code Optional.of(BACKUP_NOT_FOUND)}.
   *
   * @param code a code as text, such as {@code CSBS.9001} or {@code CSBS.LIB.VERSION_CONFLICT}
   * @return the error code, or empty if no constant has that code (the API's other codes among them)
   * @throws NullPointerException if {@code code} is null
   */
  public static Optional<ErrorCode> ofCode(String code) {
    requireNonNull(code, "code");
    for (ErrorCode candidate : values()) {
      if (candidate.code.equals(code)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }
}
