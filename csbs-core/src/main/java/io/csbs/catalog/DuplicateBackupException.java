package io.csbs.catalog;

/**
 * Thrown when a backup is added to a project that already has a backup with its id. Ids are unique
 * within a project; another project may use the same id without either one knowing.
 *
 * <pre>{@code
 * catalog.add(backup);
 * catalog.add(backup); // DuplicateBackupException
 * }</pre>
 */
public final class DuplicateBackupException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  /** The id that exists already. */
  private final String backupId;

  /**
   * An exception for {@code backupId}, already in {@code projectId}.
   *
   * @param projectId the project that has the backup
   * @param backupId the id that exists already
   */
  public DuplicateBackupException(String projectId, String backupId) {
    super("backup " + backupId + " already exists in project " + projectId);
    this.backupId = backupId;
  }

  /** {@return the id that exists already} */
  public String backupId() {
    return backupId;
  }
}
