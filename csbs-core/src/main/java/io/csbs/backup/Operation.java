package io.csbs.backup;

/**
 * What a user can start on an existing backup. Which of them a backup allows depends on its state
 * and type: see {@link BackupStatus#allowedOperations(BackupType)}.
 *
 * <pre>{@code
 * backup.allows(Operation.INSTANT_RESTORE); // true only for an Available enhanced backup
 * }</pre>
 */
public enum Operation {
  /** Restore data from the backup; allowed on an Available backup. */
  RESTORE("restore", JobType.RESTORE),
  /** Instant Restore; allowed on an Available {@link BackupType#ENHANCED} backup only. */
  INSTANT_RESTORE("instant restore", JobType.RESTORE),
  /** Delete the backup; allowed on an Available or an Error backup. */
  DELETE("delete", JobType.DELETE);

  private final String label;
  private final JobType job;

  Operation(String label, JobType job) {
    this.label = label;
    this.job = job;
  }

  /** {@return the job this operation starts} */
  public JobType job() {
    return job;
  }

  /** The operation as the console names it, for example {@code instant restore}. */
  @Override
  public String toString() {
    return label;
  }
}
