package io.csbs.backup;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

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
  WAITING_PROTECT(BackupStatus.CREATING),
  PROTECTING(BackupStatus.CREATING),
  AVAILABLE(BackupStatus.AVAILABLE),
  WAITING_RESTORE(BackupStatus.RESTORING),
  RESTORING(BackupStatus.RESTORING),
  ERROR(BackupStatus.ERROR),
  WAITING_DELETE(BackupStatus.DELETING),
  DELETING(BackupStatus.DELETING),
  /** The backup was deleted: it is no longer in the backup list. */
  DELETED(null);

  private static final String ACCEPTED =
      Arrays.stream(values()).map(ApiStatus::apiName).collect(Collectors.joining(", "));

  private final BackupStatus state;

  ApiStatus(BackupStatus state) {
    this.state = state;
  }

  /** The state this raw status maps to; empty for {@link #DELETED}, whose backup is gone. */
  public Optional<BackupStatus> state() {
    return Optional.ofNullable(state);
  }

  /** The status as the API writes it, for example {@code waiting_protect}. */
  public String apiName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The raw status named {@code text} exactly as the API writes it (lower case).
   *
   * @throws InvalidValueException naming {@code status} if {@code text} is none of the nine
   */
  public static ApiStatus parse(String text) {
    for (ApiStatus status : values()) {
      if (status.apiName().equals(text)) {
        return status;
      }
    }
    throw new InvalidValueException("status", text, "must be one of " + ACCEPTED);
  }

  /** The raw status the API reports for a backup in {@code state}, for a job that is running. */
  public static ApiStatus of(BackupStatus state) {
    return parse(state.apiName());
  }

  @Override
  public String toString() {
    return apiName();
  }
}
