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

  private final String backupId;

  /** For {@code backupId}, already in {@code projectId}. */
  public DuplicateBackupException(String projectId, String backupId) {
    super("backup " + backupId + " already exists in project " + projectId);
    this.backupId = backupId;
  }

  /** The id that exists already. */
  public String backupId() {
    return backupId;
  }
}
