package io.csbs.backup;

import java.time.Instant;
import org.immutables.value.Value;

/**
 * The progress of the job running on a backup: a percentage from 0 to 100 and the instant it last
 * changed, from which a stall is judged.
 *
 * <pre>{@code
 * Progress progress = Progress.of(40, Instant.parse("2026-11-24T10:15:00Z"));
 * }</pre>
 */
@Value.Immutable
public abstract class Progress {
  Progress() {}

  /**
   * Percent done, 0 to 100.
   *
   * @return the percentage done
   */
  @Value.Parameter
  public abstract int percent();

  /** {@return when the percentage last changed (or the job started)} */
  @Value.Parameter
  public abstract Instant changedAt();

  /**
   * A progress of {@code percent} that last changed at {@code changedAt}.
   *
   * @param percent the percentage done, 0 to 100
   * @param changedAt when the percentage last changed
   * @return the progress
   * @throws InvalidValueException naming {@code progress} unless {@code percent} is 0 to 100
   */
  public static Progress of(int percent, Instant changedAt) {
    return ImmutableProgress.of(percent, changedAt);
  }

  @Value.Check
  void check() {
    if (percent() < 0 || percent() > 100) {
      throw new InvalidValueException("progress", percent(), "must be 0 to 100");
    }
  }

  /** {@code 40% since 2026-11-24T10:15:00Z}. */
  @Override
  public String toString() {
    return percent() + "% since " + changedAt();
  }
}
