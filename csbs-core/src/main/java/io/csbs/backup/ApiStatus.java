package io.csbs.backup;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The nine raw statuses of the CSBS API and the state each one maps to.
 *
 * <pre>{@code
 * ApiStatus.parse("waiting_protect").state(); // Optional[Creating]
 * ApiStatus.parse("deleted").state();         // Optional.empty(): the backup is gone
 * ApiStatus.parse("paused");                  // InvalidValueException naming "status"
 * }</pre>
 */
public enum ApiStatus {
  /** A backup job is queued: the backup is Creating. */
  WAITING_PROTECT(BackupStatus.CREATING),
  /** A backup job runs: the backup is Creating. */
  PROTECTING(BackupStatus.CREATING),
  /** The backup can be restored or deleted: Available. */
  AVAILABLE(BackupStatus.AVAILABLE),
  /** A restore job is queued: the backup is Restoring. */
  WAITING_RESTORE(BackupStatus.RESTORING),
  /** A restore job runs: the backup is Restoring. */
  RESTORING(BackupStatus.RESTORING),
  /** The last job failed: Error. */
  ERROR(BackupStatus.ERROR),
  /** A delete job is queued: the backup is Deleting. */
  WAITING_DELETE(BackupStatus.DELETING),
  /** A delete job runs: the backup is Deleting. */
  DELETING(BackupStatus.DELETING),
  /** The backup was deleted: it is no longer in the backup list. */
  DELETED(null);

  private final BackupStatus state;

  ApiStatus(BackupStatus state) {
    this.state = state;
  }

  /** {@return the state this raw status maps to; empty for {@link #DELETED}, whose backup is gone} */
  public Optional<BackupStatus> state() {
    return Optional.ofNullable(state);
  }

  /** {@return the status as the API writes it, for example {@code waiting_protect}} */
  public String apiName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The raw status named {@code text} exactly as the API writes it (lower case).
   *
   * @param text the raw status, for example {@code waiting_protect}
   * @return the raw status
   * @throws InvalidValueException naming {@code status} if {@code text} is none of the nine
   */
  public static ApiStatus parse(String text) {
    return Rules.apiConstant("status", text, values());
  }

  /**
   * {@return the raw status the API reports for a backup in {@code state}, for a job that is
   * running}
   *
   * @param state a state of the library
   */
  public static ApiStatus of(BackupStatus state) {
    java.util.Objects.requireNonNull(state, "state");
    return RUNNING[state.ordinal()];
  }

  /** The running form of each state, by ordinal: a transition looks it up without parsing. */
  private static final ApiStatus[] RUNNING =
      Arrays.stream(BackupStatus.values()).map(state -> parse(state.apiName())).toArray(ApiStatus[]::new);

  /** {@return whether this is a queued job's status: {@code waiting_protect}, {@code waiting_restore}, {@code waiting_delete}} */
  public boolean isQueued() {
    return this == WAITING_PROTECT || this == WAITING_RESTORE || this == WAITING_DELETE;
  }

  @Override
  public String toString() {
    return apiName();
  }
}
