package io.csbs.backup;

/**
 * The three kinds of job that put a backup into an intermediate state, and that a {@link Failure}
 * names when one of them fails.
 *
 * <pre>{@code
 * BackupStatus.RESTORING.job(); // Optional[RESTORE]
 * }</pre>
 */
public enum JobType {
  /** Making the backup; the backup is {@link BackupStatus#CREATING}. */
  BACKUP,
  /** Restoring data from the backup (normal or instant restore); {@link BackupStatus#RESTORING}. */
  RESTORE,
  /** Deleting the backup; {@link BackupStatus#DELETING}. */
  DELETE
}
