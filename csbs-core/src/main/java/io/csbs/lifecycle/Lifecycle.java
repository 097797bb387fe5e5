package io.csbs.lifecycle;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Failure;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.JobType;
import io.csbs.backup.Operation;
import io.csbs.backup.Progress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The transitions of the backup lifecycle, as pure functions.
 *
 * <pre>
 *   (backup job)  Creating  --complete--> Available --restore / instant restore--> Restoring
 *                    |                     ^   |                                      |
 *                   fail                   |   +--complete-----------------------------+
 *                    v                     |                                          fail
 *                  Error &lt;-----------------+--------------------------------------&lt;---+
 *   Available or Error --delete--> Deleting --complete--> (gone)     Deleting --fail--> Error
 * </pre>
 *
 * <p>Each function takes a backup and the instant of the change, and returns the next backup with
 * {@code version + 1} and {@code updatedAt = now}, or throws; the input is never changed. A user's
 * operation ({@link Operation}) starts a job and so enters an intermediate state with progress 0; a
 * running job reports {@linkplain #reportProgress progress}, then {@linkplain #complete completes} or
 * {@linkplain #fail fails}. A busy backup (intermediate state) refuses every operation.
 *
 * <pre>{@code
 * Backup restoring = Lifecycle.restore(available, now);
 * Backup halfway = Lifecycle.reportProgress(restoring, 50, now.plusSeconds(30));
 * Backup done = Lifecycle.complete(halfway, now.plusSeconds(60)).orElseThrow(); // Available again
 * }</pre>
 *
 * <p>Every transition throws {@link IllegalTransitionException} if the current state does not allow
 * it, and {@link InvalidValueException} if {@code now} is before the backup's last change.
 */
public final class Lifecycle {
  private static final List<String> JOB_EVENTS = List.of("progress", "complete", "fail");

  private Lifecycle() {}

  /**
   * Starts a restore of an Available backup: the backup becomes Restoring with progress 0.
   *
   * @param backup the backup, which is not changed
   * @param now the instant of the change; not before the backup's last change
   * @return the backup, Restoring
   * @throws IllegalTransitionException if the backup's state does not allow it
   * @throws InvalidValueException naming {@code now} if it is before the backup's last change
   */
  public static Backup restore(Backup backup, Instant now) {
    return start(backup, Operation.RESTORE, now);
  }

  /**
   * Starts an Instant Restore of an Available enhanced backup: the backup becomes Restoring.
   *
   * @param backup the backup, which is not changed
   * @param now the instant of the change; not before the backup's last change
   * @return the backup, Restoring
   * @throws IllegalTransitionException if the backup is not Available or not enhanced
   * @throws InvalidValueException naming {@code now} if it is before the backup's last change
   */
  public static Backup instantRestore(Backup backup, Instant now) {
    return start(backup, Operation.INSTANT_RESTORE, now);
  }

  /**
   * Starts deleting an Available or Error backup: it becomes Deleting with progress 0.
   *
   * @param backup the backup, which is not changed
   * @param now the instant of the change; not before the backup's last change
   * @return the backup, Deleting
   * @throws IllegalTransitionException if the backup's state does not allow it
   * @throws InvalidValueException naming {@code now} if it is before the backup's last change
   */
  public static Backup delete(Backup backup, Instant now) {
    return start(backup, Operation.DELETE, now);
  }

  /**
   * Starts {@code operation} on {@code backup}, which must {@linkplain Backup#allows allow} it. A
   * failure is kept while an Error backup is deleted, so the reason stays visible until it is gone.
   *
   * @param backup the backup, which is not changed
   * @param operation the operation a user starts
   * @param now the instant of the change; not before the backup's last change
   * @return the backup in the intermediate state of the operation's job, with progress 0
   * @throws IllegalTransitionException if the backup does not allow the operation now
   * @throws InvalidValueException naming {@code now} if it is before the backup's last change
   */
  public static Backup start(Backup backup, Operation operation, Instant now) {
    requireNonNull(operation, "operation");
    checkTime(backup, now);
    if (!backup.allows(operation)) {
      String why = backup.status().isIntermediate()
          ? "the backup is busy until its " + jobName(backup) + " job ends"
          : operation == Operation.INSTANT_RESTORE && backup.status() == BackupStatus.AVAILABLE
              ? "only enhanced backups support Instant Restore, this one is " + backup.type()
              : "";
      throw refused(backup, operation.toString(), why);
    }
    Optional<Failure> kept = operation.job() == JobType.DELETE ? backup.failure() : Optional.empty();
    return backup.nextVersion(
        BackupStatus.of(operation.job()), Optional.of(Progress.of(0, now)), kept, now, backup.finishedAt());
  }

  /**
   * Reports the progress of the running job. The percentage never goes down within a phase; the
   * same percentage again changes nothing and returns {@code backup} itself, so that the progress
   * time keeps telling how long the job has been stuck.
   *
   * @param backup the backup, which is not changed
   * @param percent the job's percentage done, 0 to 100
   * @param now the instant of the change; not before the backup's last change
   * @return the backup with the new progress, or {@code backup} itself for the same percentage
   * @throws InvalidValueException naming {@code progress} if {@code percent} is outside 0 to 100 or
   *     below the current progress
   * @throws IllegalTransitionException if no job is running
   * @throws InvalidValueException naming {@code now} if it is before the backup's last change
   */
  public static Backup reportProgress(Backup backup, int percent, Instant now) {
    checkTime(backup, now);
    Progress current = runningProgress(backup, "progress");
    if (percent < current.percent() || percent > 100) {
      // the reason that applies: a percentage above 100, or one below the job's current progress
      String range = current.percent() == 100 ? "must be 100" : "must be " + current.percent() + " to 100";
      throw new InvalidValueException("progress", percent, range
          + (percent > 100 ? ": a percentage" : ": progress never goes down within a phase"));
    }
    if (percent == current.percent()) {
      return backup;
    }
    // the failure of an Error backup being deleted stays, as it does when the deletion starts
    return backup.nextVersion(
        backup.status(), Optional.of(Progress.of(percent, now)), backup.failure(), now, backup.finishedAt());
  }

  /**
   * Completes the running job, which ends the phase: Creating and Restoring become Available (a
   * completed backup job also sets {@code finishedAt}); a completed deletion means the backup is gone,
   * and the result is empty.
   *
   * @param backup the backup, which is not changed
   * @param now the instant of the change; not before the backup's last change
   * @return the backup, Available; empty after a deletion
   * @throws IllegalTransitionException if no job is running
   * @throws InvalidValueException naming {@code now} if it is before the backup's last change
   */
  public static Optional<Backup> complete(Backup backup, Instant now) {
    checkTime(backup, now);
    runningProgress(backup, "complete");
    switch (backup.status()) {
      case DELETING:
        return Optional.empty();
      case CREATING:
        return Optional.of(available(backup, now, Optional.of(now)));
      default:
        return Optional.of(available(backup, now, backup.finishedAt()));
    }
  }

  /**
   * Fails the running job: the backup goes to Error with a {@link Failure} naming the job, the reason
   * and the time. A failed backup job has finished too: {@code finishedAt} is set to {@code now};
   * a failed restore or delete keeps the backup's {@code finishedAt}.
   *
   * @param backup the backup, which is not changed
   * @param reason why the job failed, as the job reports it
   * @param now the instant of the change; not before the backup's last change
   * @return the backup, Error
   * @throws InvalidValueException naming {@code failure reason} if the reason is blank or too long
   * @throws IllegalTransitionException if no job is running
   * @throws InvalidValueException naming {@code now} if it is before the backup's last change
   */
  public static Backup fail(Backup backup, String reason, Instant now) {
    java.util.Objects.requireNonNull(reason, "reason");
    checkTime(backup, now);
    runningProgress(backup, "fail");
    JobType job = backup.status().job().orElseThrow();
    Failure failure = Failure.of(job, reason, now);
    // a failed backup job has finished too: finishedAt tells when it gave up
    Optional<Instant> finishedAt = job == JobType.BACKUP ? Optional.of(now) : backup.finishedAt();
    return backup.nextVersion(BackupStatus.ERROR, Optional.empty(), Optional.of(failure), now, finishedAt);
  }

  /**
   * The names of the transitions {@code backup} allows now: its operations ({@code restore},
   * {@code instant restore}, {@code delete}) when stable, its job's events ({@code progress},
   * {@code complete}, {@code fail}) when intermediate.
   *
   * @param backup the backup
   * @return the names, in a fixed order, unmodifiable; empty when nothing is allowed
   */
  public static List<String> allowedTransitions(Backup backup) {
    requireNonNull(backup, "backup");
    if (backup.status().isIntermediate()) {
      return JOB_EVENTS;
    }
    List<String> names = new ArrayList<>();
    for (Operation operation : backup.allowedOperations()) {
      names.add(operation.toString());
    }
    return List.copyOf(names);
  }

  private static Backup available(Backup backup, Instant now, Optional<Instant> finishedAt) {
    return backup.nextVersion(BackupStatus.AVAILABLE, Optional.empty(), Optional.empty(), now, finishedAt);
  }

  private static Progress runningProgress(Backup backup, String attempted) {
    return backup.progress().orElseThrow(() -> refused(backup, attempted, "no job is running"));
  }

  private static IllegalTransitionException refused(Backup backup, String attempted, String why) {
    return new IllegalTransitionException(backup.id(), backup.status(), attempted, allowedTransitions(backup), why);
  }

  private static String jobName(Backup backup) {
    return backup.status().job().map(job -> job.name().toLowerCase(java.util.Locale.ROOT)).orElse("");
  }

  private static void checkTime(Backup backup, Instant now) {
    requireNonNull(backup, "backup");
    requireNonNull(now, "now");
    if (now.isBefore(backup.updatedAt())) {
      throw new InvalidValueException(
          "now", now, "must not be before the backup's last change at " + backup.updatedAt());
    }
  }
}
