package io.csbs;

/**
 * An error raised by csbs, with a stable {@link ErrorCode} a service can map to its own answer (an
 * HTTP status, an API error body, a metric).
 *
 * <p>Every exception the library throws for a refused value or change implements this interface,
 * while keeping the JDK supertype it always had, so that code catching {@code
 * IllegalArgumentException}, {@code IllegalStateException} or {@code NoSuchElementException} keeps
 * working:
 *
 * <ul>
 *   <li>{@link io.csbs.backup.InvalidValueException} (an {@code IllegalArgumentException});
 *   <li>{@link io.csbs.lifecycle.IllegalTransitionException}, {@link
 *       io.csbs.catalog.VersionConflictException}, {@link io.csbs.catalog.DuplicateBackupException}
 *       and {@link io.csbs.usage.QuotaExceededException} (each an {@code IllegalStateException});
 *   <li>{@link io.csbs.catalog.BackupNotFoundException} (a {@code NoSuchElementException});
 *   <li>in csbs-postgres, {@code CatalogDatabaseException} and {@code SchemaVersionException} (each a
 *       {@code RuntimeException}).
 * </ul>
 *
 * <p>Misuse is not a refusal and stays a plain JDK exception: a null argument ({@code
 * NullPointerException}), a builder field set twice, a change made inside a read, and {@code replay}
 * or {@code load} out of their order (a gap in the sequence, a load into a project that has backups
 * or changes: an {@code IllegalStateException}, which csbs-server answers as an unexpected failure,
 * 500); so are the checks of the values an implementation of the catalog builds for its callers
 * ({@code new Page(...)}, {@code new Change(...)}, {@code new VersionConflictException(id, v, v)}:
 * an {@code IllegalArgumentException}).
 *
 * <p>A common abstract exception class would have had to replace those JDK supertypes. An interface
 * cannot be named in a {@code catch} clause, so a service catches {@code RuntimeException} once, at
 * its edge, and asks:
 *
 * <pre>{@code
 * try {
 *   catalog.apply(projectId, backupId, version, Transition.restore());
 * } catch (RuntimeException e) {
 *   if (!(e instanceof CsbsError error)) {
 *     throw e;                                   // a bug, not a refusal
 *   }
 *   return errorResponse(error.code().code(), e.getMessage());   // for example "CSBS.2003", the backup is busy
 * }
 * }</pre>
 *
 * <p>(A subscriber may change the catalog: that is no change inside a read; see {@code
 * BackupCatalog.subscribe}.)
 */
public interface CsbsError {
  /**
   * The stable code of this kind of error; from 0.3.0 on it does not change between releases of the
   * library, while messages may. (0.3.0 gave {@code BACKUP_BUSY}, {@code BACKUP_NOT_FOUND} and
   * {@code QUOTA_EXCEEDED} the CSBS API's codes; 0.2.0 had {@code CSBS.LIB.} codes for them.)
   *
   * @return the code
   */
  ErrorCode code();
}
