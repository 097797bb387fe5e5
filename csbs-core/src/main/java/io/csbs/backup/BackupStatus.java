package io.csbs.backup;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * The five states of a backup, each stable or intermediate, as the console's status filter shows
 * them. "All statuses" is a filter choice, not a state.
 *
 * <p>An intermediate state is the time a job runs on the backup: it has a progress, and the backup
 * is busy, so it allows no {@link Operation}. A stable state waits for a user.
 *
 * <pre>{@code
 * BackupStatus.CREATING.isIntermediate();                        // true
 * BackupStatus.ERROR.allowedOperations(BackupType.ENHANCED);     // [delete]
 * BackupStatus.AVAILABLE.allowedOperations(BackupType.ENHANCED); // [restore, instant restore, delete]
 * }</pre>
 */
public enum BackupStatus {
  /** Stable: created; allows restore, instant restore (enhanced only) and delete. */
  AVAILABLE(false, null, "available"),
  /** Intermediate: from the start of the backup job to its end. */
  CREATING(true, JobType.BACKUP, "protecting"),
  /** Intermediate: data is being restored from the backup. */
  RESTORING(true, JobType.RESTORE, "restoring"),
  /** Intermediate: the backup is being deleted. */
  DELETING(true, JobType.DELETE, "deleting"),
  /** Stable: a job failed; the backup cannot be used, and the only operation is a manual delete. */
  ERROR(false, null, "error");

  private static final Set<Operation> NONE = Collections.unmodifiableSet(EnumSet.noneOf(Operation.class));
  private static final Set<Operation> ONLY_DELETE = Collections.unmodifiableSet(EnumSet.of(Operation.DELETE));
  private static final Set<Operation> COMMON_AVAILABLE =
      Collections.unmodifiableSet(EnumSet.of(Operation.RESTORE, Operation.DELETE));
  private static final Set<Operation> ENHANCED_AVAILABLE = Collections.unmodifiableSet(EnumSet.allOf(Operation.class));

  private final boolean intermediate;
  private final JobType job;
  private final String apiName;

  BackupStatus(boolean intermediate, JobType job, String apiName) {
    this.intermediate = intermediate;
    this.job = job;
    this.apiName = apiName;
  }

  /** {@return whether this is an intermediate state: a job runs, the backup has a progress and is busy} */
  public boolean isIntermediate() {
    return intermediate;
  }

  /** {@return whether this is a stable state (Available or Error)} */
  public boolean isStable() {
    return !intermediate;
  }

  /** {@return the job that runs in this state; empty for the stable states} */
  public Optional<JobType> job() {
    return Optional.ofNullable(job);
  }

  /**
   * The operations a backup of the given type allows in this state: none while busy, only delete
   * in Error, and restore, delete and (for enhanced backups) instant restore when Available.
   *
   * @param type the backup type, which decides whether Instant Restore is allowed
   * @return an unmodifiable set, in {@link Operation} order
   */
  public Set<Operation> allowedOperations(BackupType type) {
    java.util.Objects.requireNonNull(type, "type");
    switch (this) {
      case AVAILABLE:
        return type.supportsInstantRestore() ? ENHANCED_AVAILABLE : COMMON_AVAILABLE;
      case ERROR:
        return ONLY_DELETE;
      default:
        return NONE;
    }
  }

  /**
   * The state of an intermediate job, for example {@code RESTORING} for {@link JobType#RESTORE}.
   *
   * @param job the job that runs
   * @return the intermediate state in which {@code job} runs
   */
  public static BackupStatus of(JobType job) {
    java.util.Objects.requireNonNull(job, "job");
    switch (job) {
      case BACKUP:
        return CREATING;
      case RESTORE:
        return RESTORING;
      default:
        return DELETING;
    }
  }

  /** The API's name for the running phase of this state ({@code protecting} for Creating). */
  String apiName() {
    return apiName;
  }

  /** The state as the console shows it: {@code Available}, {@code Creating}, ... */
  @Override
  public String toString() {
    return name().charAt(0) + name().substring(1).toLowerCase(java.util.Locale.ROOT);
  }
}
