package io.csbs.lifecycle;

import static java.util.Objects.requireNonNull;

import io.csbs.CsbsError;
import io.csbs.ErrorCode;
import io.csbs.backup.BackupStatus;
import java.util.List;

/**
 * Thrown when a transition is not allowed from the backup's current state: an operation on a busy
 * backup, a restore of an Error backup, an instant restore of a common backup, a progress report on
 * a stable backup, and so on. The message says the state, the refused transition and what the state
 * allows; the backup is unchanged.
 *
 * <pre>{@code
 * try {
 *   Lifecycle.restore(creatingBackup, now);
 * } catch (IllegalTransitionException e) {
 *   e.status();    // Creating
 *   e.attempted(); // "restore"
 *   e.allowed();   // [progress, complete, fail]
 * }
 * }</pre>
 *
 * <p>Its {@linkplain #code() code} is {@link ErrorCode#BACKUP_BUSY} while a job runs on the backup (an
 * intermediate state: the operation may be allowed once the job ends), else {@link
 * ErrorCode#TRANSITION_NOT_ALLOWED}.
 */
public final class IllegalTransitionException extends IllegalStateException implements CsbsError {
  private static final long serialVersionUID = 1L;

  /** The id of the backup that refused the transition. */
  private final String backupId;
  /** The state the backup is in. */
  private final BackupStatus status;
  /** The name of the refused transition. */
  private final String attempted;
  /** The names of the transitions the state allows. */
  private final List<String> allowed;

  IllegalTransitionException(String backupId, BackupStatus status, String attempted, List<String> allowed, String why) {
    super("backup " + backupId + " is " + status + ": " + attempted + " is refused"
        + (why.isEmpty() ? "" : " (" + why + ")")
        + "; " + status + " allows " + (allowed.isEmpty() ? "nothing" : String.join(", ", allowed)));
    this.backupId = requireNonNull(backupId);
    this.status = requireNonNull(status);
    this.attempted = requireNonNull(attempted);
    this.allowed = List.copyOf(allowed);
  }

  /** {@return the id of the backup that refused the transition} */
  public String backupId() {
    return backupId;
  }

  /** {@return the state the backup is in} */
  public BackupStatus status() {
    return status;
  }

  /**
   * The refused transition: {@code restore}, {@code instant restore}, {@code delete}, {@code
   * progress}, {@code complete} or {@code fail}.
   *
   * @return the name of the refused transition
   */
  public String attempted() {
    return attempted;
  }

  /** {@return the transitions the backup allows in its state, named the same way} */
  public List<String> allowed() {
    return allowed;
  }

  /**
   * {@link ErrorCode#BACKUP_BUSY} if the backup is in an intermediate state (a job runs on it), else
   * {@link ErrorCode#TRANSITION_NOT_ALLOWED}.
   *
   * @return the code of this refusal
   */
  @Override
  public ErrorCode code() {
    return status.isIntermediate() ? ErrorCode.BACKUP_BUSY : ErrorCode.TRANSITION_NOT_ALLOWED;
  }
}
