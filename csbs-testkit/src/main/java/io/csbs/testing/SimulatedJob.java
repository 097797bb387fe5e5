package io.csbs.testing;

import io.csbs.backup.BackupStatus;
import io.csbs.backup.JobType;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * One job of a {@link SimulatedJobs} runner: a backup, restore or delete job running on one backup
 * of a catalog, as the runner sees it. A read-only view for assertions; the runner changes it as it
 * {@linkplain SimulatedJobs#advance advances}.
 *
 * <pre>{@code
 * SimulatedJob job = jobs.startDelete("project-1", backupId, JobPlan.taking(Duration.ofMinutes(5)));
 * jobs.advance(Duration.ofMinutes(5));
 * job.state();   // SUCCEEDED
 * job.isDone();  // true
 * catalog.find("project-1", job.backupId()); // Optional.empty(): deleted
 * }</pre>
 */
public final class SimulatedJob {
  /** Where a job is. */
  public enum State {
    /** Reporting progress as planned. */
    RUNNING,
    /**
     * Stopped reporting progress, as its plan said; it waits to be {@linkplain SimulatedJobs#resume
     * resumed}. The catalog judges it stalled once its stall rule's threshold has passed since the
     * last report.
     */
    STALLED,
    /** Completed: the backup is Available again, or gone after a deletion. */
    SUCCEEDED,
    /** Failed as planned: the backup is in Error, with the plan's reason. */
    FAILED,
    /**
     * Ended because another writer removed the backup or moved it out of the job's state (for example
     * a watchdog that failed the stalled job); the runner leaves the backup as that writer left it. The
     * runner notices at the job's next change, or at the end of an {@link SimulatedJobs#advance}.
     */
    INTERRUPTED;

    /** {@return whether a job in this state has ended for good} */
    public boolean isFinal() {
      return this == SUCCEEDED || this == FAILED || this == INTERRUPTED;
    }
  }

  /** What the runner does next for a job, in order of precedence when two fall on one instant. */
  enum Event { FAIL, STALL, COMPLETE, REPORT }

  private final String projectId;
  private final String backupId;
  private final JobType type;
  private final String label;
  private final JobPlan plan;
  private final Instant startedAt;

  // The runner's bookkeeping, changed only by SimulatedJobs.
  private State state = State.RUNNING;
  private int lastReportedPercent;
  private long version;
  /** The instant the job's work began, shifted by a resume so that a stall costs no work. */
  private Instant workStart;
  private Duration nextReportWork;
  private boolean stallPending;
  private Duration stalledAtWork;
  private Event nextEvent;
  private Duration nextEventWork;
  private Instant endedAt;
  private String interruption;

  SimulatedJob(
      String projectId, String backupId, JobType type, String label, JobPlan plan, Instant startedAt,
      int percent, long version) {
    this.projectId = projectId;
    this.backupId = backupId;
    this.type = type;
    this.label = label;
    this.plan = plan;
    this.startedAt = startedAt;
    this.lastReportedPercent = percent;
    this.version = version;
    this.workStart = startedAt;
    this.nextReportWork = nextReportAfter(Duration.ZERO);
    this.stallPending = plan.stallAtPercent().isPresent();
    schedule();
  }

  /** {@return the project of the job's backup} */
  public String projectId() {
    return projectId;
  }

  /** {@return the id of the job's backup; for a backup job, the new backup} */
  public String backupId() {
    return backupId;
  }

  /**
   * Backup, restore (normal or instant) or delete.
   *
   * @return the job type
   */
  public JobType type() {
    return type;
  }

  /** {@return how the job runs} */
  public JobPlan plan() {
    return plan;
  }

  /** {@return where the job is} */
  public State state() {
    return state;
  }

  /** {@return whether the job has ended: succeeded, failed or interrupted. A stalled job has not} */
  public boolean isDone() {
    return state.isFinal();
  }

  /**
   * The last progress the job reported to the catalog (its starting progress, usually 0, before the
   * first report). Completing is not a report: a job that succeeded shows its last report before it.
   *
   * @return the percentage, 0 to 100
   */
  public int lastReportedPercent() {
    return lastReportedPercent;
  }

  /** {@return when the job started} */
  public Instant startedAt() {
    return startedAt;
  }

  /** {@return when the job ended, once it has} */
  public Optional<Instant> endedAt() {
    return Optional.ofNullable(endedAt);
  }

  /** {@code SimulatedJob{restore of b-1 in project-1, RUNNING at 40%, JobPlan{...}}}. */
  @Override
  public String toString() {
    return "SimulatedJob{" + label + " of " + backupId + " in " + projectId + ", " + state + " at "
        + lastReportedPercent + "%" + (interruption != null ? " (" + interruption + ")" : "") + ", " + plan + "}";
  }

  // ---- the runner's side

  /** The intermediate state the backup is in while this job runs. */
  BackupStatus runningStatus() {
    return BackupStatus.of(type);
  }

  long version() {
    return version;
  }

  void version(long version) {
    this.version = version;
  }

  void reported(int percent) {
    lastReportedPercent = Math.max(lastReportedPercent, percent);
  }

  /** What comes next while running; null otherwise. */
  Event nextEvent() {
    return state == State.RUNNING ? nextEvent : null;
  }

  /** How far into its work the job is at its next event. */
  Duration nextEventWork() {
    return nextEventWork;
  }

  /** The instant of the next event; null if it lies past {@link Instant#MAX}, where no clock goes. */
  Instant nextEventAt() {
    try {
      return workStart.plus(nextEventWork);
    } catch (java.time.DateTimeException | ArithmeticException never) {
      return null;
    }
  }

  /** After a report at the next event's work: the following report is one interval later. */
  void reportDone() {
    nextReportWork = nextReportAfter(nextEventWork);
    schedule();
  }

  void stall() {
    state = State.STALLED;
    stallPending = false;
    stalledAtWork = nextEventWork;
    nextReportWork = nextReportAfter(stalledAtWork);
  }

  /** Continues at {@code now} from where the job stalled, as if the stall had taken no time. */
  void resume(Instant now) {
    state = State.RUNNING;
    workStart = now.minus(stalledAtWork);
    schedule();
  }

  void end(State finalState, Instant now) {
    state = finalState;
    endedAt = now;
  }

  void interrupt(Instant now, String why) {
    interruption = why;
    end(State.INTERRUPTED, now);
  }

  /**
   * The work at the first report after {@code work} that raises the progress: a report that would not
   * raise it changes nothing, and stepping through them made a 1-second plan reporting every
   * nanosecond take a billion steps.
   */
  private Duration nextReportAfter(Duration work) {
    long interval = plan.reportInterval().toNanos();
    long next = (work.toNanos() / interval + 1) * interval;
    if (lastReportedPercent < 100) {
      long raising = plan.workAt(lastReportedPercent + 1).toNanos();
      if (next < raising) {
        next = (raising + interval - 1) / interval * interval;
      }
    }
    return Duration.ofNanos(next);
  }

  /** Picks the earliest of the pending events; on a tie, the one first in {@link Event} order. */
  private void schedule() {
    nextEvent = Event.COMPLETE;
    nextEventWork = plan.duration();
    if (plan.failAtPercent().isPresent()) {
      consider(Event.FAIL, plan.workAt(plan.failAtPercent().getAsInt()));
    }
    if (stallPending) {
      consider(Event.STALL, plan.workAt(plan.stallAtPercent().getAsInt()));
    }
    consider(Event.REPORT, nextReportWork);
  }

  private void consider(Event event, Duration work) {
    int order = work.compareTo(nextEventWork);
    if (order < 0 || (order == 0 && event.compareTo(nextEvent) < 0)) {
      nextEvent = event;
      nextEventWork = work;
    }
  }
}
