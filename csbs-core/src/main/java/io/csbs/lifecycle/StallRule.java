package io.csbs.lifecycle;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.Backup;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Progress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * When a running job counts as stalled: "if the progress bar remains unchanged for a long time, an
 * exception has occurred". A backup is stalled when it is in an intermediate state and its progress
 * has not changed for longer than the {@link #threshold()}; at exactly the threshold it is not yet.
 * Stalled is judged from the progress time and a clock; it is not a state.
 *
 * <pre>{@code
 * StallRule rule = StallRule.ofThreshold(Duration.ofMinutes(10));
 * rule.isStalled(backup, clock);
 * StallRule.DEFAULT.threshold(); // PT30M
 * }</pre>
 *
 * @param threshold how long a progress may stay unchanged; positive
 */
public record StallRule(Duration threshold) {
  /** The default threshold: 30 minutes without a change of progress. */
  public static final Duration DEFAULT_THRESHOLD = Duration.ofMinutes(30);

  /** The rule with the {@link #DEFAULT_THRESHOLD}. */
  public static final StallRule DEFAULT = new StallRule(DEFAULT_THRESHOLD);

  /**
   * Checks the threshold.
   *
   * @param threshold how long a progress may stay unchanged; positive
   * @throws InvalidValueException naming {@code stall threshold} unless it is positive
   */
  public StallRule {
    requireNonNull(threshold, "threshold");
    if (threshold.isNegative() || threshold.isZero()) {
      throw new InvalidValueException("stall threshold", threshold, "must be positive");
    }
  }

  /**
   * {@return the rule with the given threshold}
   *
   * @param threshold how long a progress may stay unchanged; positive
   * @throws InvalidValueException naming {@code stall threshold} unless it is positive
   */
  public static StallRule ofThreshold(Duration threshold) {
    return new StallRule(threshold);
  }

  /**
   * {@return whether {@code backup} is stalled at {@code now}}
   *
   * @param backup the backup; only a running job can be stalled
   * @param now the instant of the judgement
   */
  public boolean isStalled(Backup backup, Instant now) {
    java.util.Objects.requireNonNull(backup, "backup");
    java.util.Objects.requireNonNull(now, "now");
    Optional<Progress> progress = backup.progress();
    return progress.isPresent() && isStalled(progress.get().changedAt(), now);
  }

  /**
   * {@return whether {@code backup} is stalled at the clock's current instant}
   *
   * @param backup the backup; only a running job can be stalled
   * @param clock the clock that gives the instant of the judgement
   */
  public boolean isStalled(Backup backup, Clock clock) {
    java.util.Objects.requireNonNull(backup, "backup");
    java.util.Objects.requireNonNull(clock, "clock");
    return isStalled(backup, clock.instant());
  }

  /**
   * {@return whether a progress last changed at {@code changedAt} is stalled at {@code now}}
   *
   * @param changedAt when the progress last changed
   * @param now the instant of the judgement
   */
  public boolean isStalled(Instant changedAt, Instant now) {
    java.util.Objects.requireNonNull(changedAt, "changedAt");
    java.util.Objects.requireNonNull(now, "now");
    return changedAt.isBefore(stalledIfChangedBefore(now));
  }

  /**
   * The earliest progress time that is not stalled at {@code now}: a running backup is stalled
   * exactly when its progress changed strictly before this instant (one changed at it is not, yet).
   * Indexes use it to turn the rule into a time range.
   *
   * @param now the instant of the judgement
   * @return {@code now} minus the threshold; {@link Instant#MIN} when that is before it (a threshold
   *     longer than the time since {@code Instant.MIN}: nothing is stalled)
   */
  public Instant stalledIfChangedBefore(Instant now) {
    java.util.Objects.requireNonNull(now, "now");
    try {
      return now.minus(threshold);
    } catch (java.time.DateTimeException | ArithmeticException beforeTheFirstInstant) {
      return Instant.MIN;  // no progress time is before it: nothing is stalled, as none is before now - threshold
    }
  }
}
