package io.csbs.testing;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.Failure;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.JobType;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How a {@link SimulatedJobs simulated job} runs: how long it takes, how often it reports its
 * progress, and whether it fails or stalls on the way. An immutable value; each {@code with...}-style
 * method returns a new plan.
 *
 * <pre>{@code
 * JobPlan.DEFAULT;                                            // 10 minutes, a report every minute
 * JobPlan.taking(Duration.ofHours(2)).reportingEvery(Duration.ofMinutes(5));
 * JobPlan.taking(Duration.ofMinutes(20)).failingAt(60, "agent not reachable");
 * JobPlan.taking(Duration.ofMinutes(20)).stallingAt(40);     // reports up to 40%, then nothing
 * }</pre>
 *
 * <p>The job's progress is the share of its duration that has passed, rounded down, reported at
 * every report interval while it is higher than the last report; the job completes when its duration
 * has passed. A failing job fails when its progress would reach the failure percent (it never reports
 * that percent); a stalling job reports exactly the stall percent when it reaches it, then stops
 * reporting and never completes unless {@linkplain SimulatedJobs#resume resumed}. If both are planned
 * at the same percent, the failure wins.
 *
 * <p>Keep in mind the catalog's stall rule: a job whose progress changes less often than its
 * threshold (30 minutes by default) is judged stalled although it is running; with the default report
 * interval that happens to jobs longer than 100 thresholds (50 hours), or whose report interval
 * exceeds the threshold.
 */
public final class JobPlan {
  /** The longest duration a plan accepts, so that progress arithmetic in nanoseconds cannot overflow. */
  public static final Duration MAX_DURATION = Duration.ofDays(365);
  /** The report interval unless {@link #reportingEvery} says otherwise: a backup agent's minute. */
  public static final Duration DEFAULT_REPORT_INTERVAL = Duration.ofMinutes(1);
  /** Ten minutes, a report every minute, no failure, no stall. */
  public static final JobPlan DEFAULT = taking(Duration.ofMinutes(10));

  private final Duration duration;
  private final Duration reportInterval;
  private final int failAtPercent; // -1: no failure
  private final String failureReason;
  private final int stallAtPercent; // -1: no stall

  private JobPlan(Duration duration, Duration reportInterval, int failAtPercent, String failureReason, int stallAtPercent) {
    this.duration = duration;
    this.reportInterval = reportInterval;
    this.failAtPercent = failAtPercent;
    this.failureReason = failureReason;
    this.stallAtPercent = stallAtPercent;
  }

  /**
   * A job that takes {@code duration}, reports every {@link #DEFAULT_REPORT_INTERVAL} and succeeds.
   *
   * @param duration how long the job runs
   * @return the plan
   * @throws IllegalArgumentException unless {@code duration} is positive and at most {@link
   *     #MAX_DURATION}
   */
  public static JobPlan taking(Duration duration) {
    return new JobPlan(checkDuration("duration", duration), DEFAULT_REPORT_INTERVAL, -1, null, -1);
  }

  /**
   * This plan with a progress report every {@code interval}.
   *
   * @param interval the time between two progress reports
   * @return the new plan; this one is not changed
   * @throws IllegalArgumentException unless {@code interval} is positive and at most {@link
   *     #MAX_DURATION}
   */
  public JobPlan reportingEvery(Duration interval) {
    return new JobPlan(duration, checkDuration("report interval", interval), failAtPercent, failureReason, stallAtPercent);
  }

  /**
   * This plan, failing when the progress would reach {@code percent}: the backup goes to Error with a
   * failure of the job for {@code reason}. 0 fails at the first {@link SimulatedJobs#advance}; 100
   * fails instead of completing.
   *
   * @param percent the progress at which the job fails, 0 to 100
   * @param reason the reason of the failure
   * @return the new plan; this one is not changed
   * @throws IllegalArgumentException unless {@code percent} is 0 to 100
   * @throws InvalidValueException naming {@code failure reason} if the reason is blank or too long
   */
  public JobPlan failingAt(int percent, String reason) {
    checkPercent(percent);
    requireNonNull(reason, "reason");
    Failure.of(JobType.BACKUP, reason, Instant.EPOCH); // the library's rule for reasons, checked now rather than mid-run
    return new JobPlan(duration, reportInterval, percent, reason, stallAtPercent);
  }

  /**
   * This plan, stalling at {@code percent}: the job reports exactly that progress when it gets there,
   * then nothing more until resumed. 0 stalls from the start.
   *
   * @param percent the progress at which the job stalls, 0 to 100
   * @return the new plan; this one is not changed
   * @throws IllegalArgumentException unless {@code percent} is 0 to 100
   */
  public JobPlan stallingAt(int percent) {
    checkPercent(percent);
    return new JobPlan(duration, reportInterval, failAtPercent, failureReason, percent);
  }

  /** {@return how long the job takes to complete} */
  public Duration duration() {
    return duration;
  }

  /** {@return how often the job reports its progress} */
  public Duration reportInterval() {
    return reportInterval;
  }

  /** {@return the percent at which the job fails, if it is planned to} */
  public OptionalInt failAtPercent() {
    return failAtPercent < 0 ? OptionalInt.empty() : OptionalInt.of(failAtPercent);
  }

  /**
   * Why the job fails, if it is planned to.
   *
   * @return the reason of the planned failure; empty if the job succeeds
   */
  public Optional<String> failureReason() {
    return Optional.ofNullable(failureReason);
  }

  /** {@return the percent at which the job stops reporting, if it is planned to} */
  public OptionalInt stallAtPercent() {
    return stallAtPercent < 0 ? OptionalInt.empty() : OptionalInt.of(stallAtPercent);
  }

  /**
   * How far into its work a job is when it has reached {@code percent}: the first nanosecond at
   * which {@link #percentAfter} is {@code percent}, so rounded up (rounded down, a failure at 33%
   * of 7 ns came at 2 ns, while the progress was 28%).
   */
  Duration workAt(int percent) {
    // exact in nanoseconds: MAX_DURATION * 100 fits in a long
    return Duration.ofNanos((duration.toNanos() * percent + 99) / 100);
  }

  /** The progress after {@code work}, rounded down: below 100 until the duration has passed. */
  int percentAfter(Duration work) {
    return (int) Math.min(100, work.toNanos() * 100 / duration.toNanos());
  }

  private static Duration checkDuration(String what, Duration value) {
    requireNonNull(value, what);
    if (value.isNegative() || value.isZero() || value.compareTo(MAX_DURATION) > 0) {
      throw new IllegalArgumentException(what + " " + value + " is invalid: must be positive and at most " + MAX_DURATION);
    }
    return value;
  }

  private static void checkPercent(int percent) {
    if (percent < 0 || percent > 100) {
      throw new IllegalArgumentException("percent " + percent + " is invalid: must be 0 to 100");
    }
  }

  @Override
  public boolean equals(Object other) {
    if (!(other instanceof JobPlan)) {
      return false;
    }
    JobPlan that = (JobPlan) other;
    return duration.equals(that.duration) && reportInterval.equals(that.reportInterval)
        && failAtPercent == that.failAtPercent && Objects.equals(failureReason, that.failureReason)
        && stallAtPercent == that.stallAtPercent;
  }

  @Override
  public int hashCode() {
    return Objects.hash(duration, reportInterval, failAtPercent, failureReason, stallAtPercent);
  }

  /** {@code JobPlan{PT20M, report every PT1M, fail at 60%: agent not reachable, stall at 40%}}. */
  @Override
  public String toString() {
    StringBuilder text = new StringBuilder("JobPlan{").append(duration).append(", report every ").append(reportInterval);
    if (failAtPercent >= 0) {
      text.append(", fail at ").append(failAtPercent).append("%: ").append(failureReason);
    }
    if (stallAtPercent >= 0) {
      text.append(", stall at ").append(stallAtPercent).append('%');
    }
    return text.append('}').toString();
  }
}
