package io.csbs.catalog;

import io.csbs.CsbsError;
import io.csbs.ErrorCode;

/**
 * Thrown when a project has no backup with the given id; a backup of another project is "not
 * found" too, so that nothing hints at other tenants.
 *
 * <pre>{@code
 * catalog.get("project-1", "no-such-id"); // BackupNotFoundException: backup no-such-id not found in project project-1
 * }</pre>
 *
 * <p>Its {@linkplain #code() code} is {@link ErrorCode#BACKUP_NOT_FOUND}.
 */
public final class BackupNotFoundException extends java.util.NoSuchElementException implements CsbsError {
  private static final long serialVersionUID = 1L;

  /** The project that was searched. */
  private final String projectId;
  /** The id that was not found. */
  private final String backupId;

  /**
   * An exception for the backup {@code backupId} looked up in {@code projectId}.
   *
   * @param projectId the project that was searched
   * @param backupId the id that was not found
   */
  public BackupNotFoundException(String projectId, String backupId) {
    super("backup " + backupId + " not found in project " + projectId);
    this.projectId = java.util.Objects.requireNonNull(projectId, "projectId");
    this.backupId = java.util.Objects.requireNonNull(backupId, "backupId");
  }

  /** {@return the project that was searched} */
  public String projectId() {
    return projectId;
  }

  /** {@return the id that was not found} */
  public String backupId() {
    return backupId;
  }

  /** {@return {@link ErrorCode#BACKUP_NOT_FOUND}} */
  @Override
  public ErrorCode code() {
    return ErrorCode.BACKUP_NOT_FOUND;
  }
}
