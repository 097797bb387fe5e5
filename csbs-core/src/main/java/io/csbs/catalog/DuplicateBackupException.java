package io.csbs.catalog;

import io.csbs.CsbsError;
import io.csbs.ErrorCode;

/**
 * Thrown when a backup is added to a project that already has a backup with its id, or when an id
 * repeats within one {@link BackupCatalog#addAll} batch. Ids are unique within a project; another
 * project may use the same id without either one knowing. Nothing was added.
 *
 * <pre>{@code
 * catalog.add(backup);
 * catalog.add(backup);                   // backup b-1 already exists in project project-1
 * catalog.addAll(List.of(other, other)); // backup b-2 repeats in the batch for project project-1
 * }</pre>
 *
 * <p>Its {@linkplain #code() code} is {@link ErrorCode#DUPLICATE_BACKUP}.
 */
public final class DuplicateBackupException extends IllegalStateException implements CsbsError {
  private static final long serialVersionUID = 1L;

  /** The project of the id. */
  private final String projectId;
  /** The id that exists already, or repeats. */
  private final String backupId;
  /** Whether the id repeats in the batch rather than exists in the project. */
  private final boolean inBatch;

  /**
   * An exception for {@code backupId}, already in {@code projectId}.
   *
   * @param projectId the project that has the backup
   * @param backupId the id that exists already
   */
  public DuplicateBackupException(String projectId, String backupId) {
    this(projectId, backupId, false);
  }

  /**
   * An exception for {@code backupId}, which exists already in {@code projectId}, or, if {@code
   * inBatch}, repeats in a batch of backups of {@code projectId}.
   *
   * @param projectId the project of the id
   * @param backupId the id that exists already, or repeats
   * @param inBatch true if the id repeats in the batch, false if it exists in the project
   */
  public DuplicateBackupException(String projectId, String backupId, boolean inBatch) {
    super("backup " + backupId + (inBatch ? " repeats in the batch for project " : " already exists in project ")
        + projectId);
    this.projectId = java.util.Objects.requireNonNull(projectId, "projectId");
    this.backupId = java.util.Objects.requireNonNull(backupId, "backupId");
    this.inBatch = inBatch;
  }

  /** {@return the project of the id} */
  public String projectId() {
    return projectId;
  }

  /** {@return the id that exists already, or repeats in the batch} */
  public String backupId() {
    return backupId;
  }

  /** {@return true if the id repeats in the batch, false if the project has it already} */
  public boolean inBatch() {
    return inBatch;
  }

  /** {@return {@link ErrorCode#DUPLICATE_BACKUP}} */
  @Override
  public ErrorCode code() {
    return ErrorCode.DUPLICATE_BACKUP;
  }
}
