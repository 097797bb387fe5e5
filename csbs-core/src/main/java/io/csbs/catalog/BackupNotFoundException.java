package io.csbs.catalog;

/**
 * Thrown when a project has no backup with the given id; a backup of another project is "not
 * found" too, so that nothing hints at other tenants.
 *
 * <pre>{@code
 * catalog.get("project-1", "no-such-id"); // BackupNotFoundException: backup no-such-id not found in project project-1
 * }</pre>
 */
public final class BackupNotFoundException extends java.util.NoSuchElementException {
  private static final long serialVersionUID = 1L;

  private final String projectId;
  private final String backupId;

  /** For the backup {@code backupId} looked up in {@code projectId}. */
  public BackupNotFoundException(String projectId, String backupId) {
    super("backup " + backupId + " not found in project " + projectId);
    this.projectId = projectId;
    this.backupId = backupId;
  }

  /** The project that was searched. */
  public String projectId() {
    return projectId;
  }

  /** The id that was not found. */
  public String backupId() {
    return backupId;
  }
}
