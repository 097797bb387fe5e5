package io.csbs.catalog;

import io.csbs.CsbsError;
import io.csbs.ErrorCode;

/**
 * Thrown when a change names a version of a backup that is no longer its current one: someone else
 * changed it first. Nothing was changed; read the backup again and retry.
 *
 * <pre>{@code
 * try {
 *   catalog.apply("project-1", id, staleVersion, Transition.delete());
 * } catch (VersionConflictException e) {
 *   e.currentVersion(); // the version to base a retry on
 * }
 * }</pre>
 *
 * <p>Its {@linkplain #code() code} is {@link ErrorCode#VERSION_CONFLICT}.
 */
public final class VersionConflictException extends IllegalStateException implements CsbsError {
  private static final long serialVersionUID = 1L;

  /** The backup whose change was refused. */
  private final String backupId;
  /** The version the change was based on. */
  private final long expectedVersion;
  /** The backup's version when the change was refused. */
  private final long currentVersion;

  /**
   * An exception for a change of {@code backupId} based on {@code expectedVersion} while it is at
   * {@code currentVersion}.
   *
   * @param backupId the backup whose change was refused
   * @param expectedVersion the version the change was based on, as the caller gave it (any number)
   * @param currentVersion the backup's current version, or -1 when it is not known (a row changed
   *     outside the library)
   * @throws IllegalArgumentException if the versions are equal: that is no conflict
   */
  public VersionConflictException(String backupId, long expectedVersion, long currentVersion) {
    super("backup " + backupId + current(currentVersion) + ", the change was based on version " + expectedVersion
        + ": read it again and retry");
    this.backupId = java.util.Objects.requireNonNull(backupId, "backupId");
    if (expectedVersion == currentVersion) {
      throw new IllegalArgumentException("currentVersion " + currentVersion
          + " is invalid: must differ from expectedVersion (equal versions are no conflict)");
    }
    this.expectedVersion = expectedVersion;
    this.currentVersion = currentVersion;
  }

  private static String current(long currentVersion) {
    return currentVersion == -1 ? " was changed (its version is not known)" : " is at version " + currentVersion;
  }

  /** {@return the backup whose change was refused} */
  public String backupId() {
    return backupId;
  }

  /** {@return the version the change was based on} */
  public long expectedVersion() {
    return expectedVersion;
  }

  /** {@return the backup's current version; -1 when it is not known} */
  public long currentVersion() {
    return currentVersion;
  }

  /** {@return {@link ErrorCode#VERSION_CONFLICT}} */
  @Override
  public ErrorCode code() {
    return ErrorCode.VERSION_CONFLICT;
  }
}
