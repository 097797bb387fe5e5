package io.csbs.backup;

import java.time.Instant;
import org.immutables.value.Value;

/**
 * Why a backup is in {@link BackupStatus#ERROR}: the job that failed, the reason, and when.
 *
 * <pre>{@code
 * Failure failure = Failure.of(JobType.RESTORE, "target disk detached", now);
 * }</pre>
 */
@Value.Immutable
public abstract class Failure {
  /** The longest reason kept. */
  public static final int MAX_REASON_LENGTH = 1024;

  Failure() {}

  /** {@return the job that failed} */
  @Value.Parameter
  public abstract JobType job();

  /** {@return the reason, as reported by the job; at most 1024 chars, and not blank as {@link String#isBlank()} judges it (a no-break space is not white space there)} */
  @Value.Parameter
  public abstract String reason();

  /** {@return when the job failed} */
  @Value.Parameter
  public abstract Instant failedAt();

  /**
   * A failure of {@code job} for {@code reason} at {@code failedAt}.
   *
   * @param job the job that failed
   * @param reason the reason the job reported
   * @param failedAt when the job failed
   * @return the failure
   * @throws InvalidValueException naming {@code failure reason} if the reason is blank or too long
   */
  public static Failure of(JobType job, String reason, Instant failedAt) {
    return ImmutableFailure.of(job, reason, failedAt);
  }

  @Value.Check
  void check() {
    Rules.requireText("failure reason", reason(), MAX_REASON_LENGTH);
  }

  /** {@code restore failed at 2026-11-24T10:15:00Z: target disk detached}. */
  @Override
  public String toString() {
    return job().name().toLowerCase(java.util.Locale.ROOT) + " failed at " + failedAt() + ": " + reason();
  }
}
