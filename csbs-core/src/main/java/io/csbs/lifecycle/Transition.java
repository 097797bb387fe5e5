package io.csbs.lifecycle;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.Backup;
import io.csbs.backup.Operation;
import java.time.Instant;
import java.util.Optional;

/**
 * One transition of the {@link Lifecycle}, as a value: what a catalog applies to a stored backup, and
 * what it reports as a change. Equal transitions are equal values.
 *
 * <pre>{@code
 * Transition t = Transition.reportProgress(40);
 * Optional<Backup> next = t.applyTo(backup, now); // empty only when a deletion completes
 * t.toString();                                   // "progress 40%"
 * }</pre>
 */
public sealed interface Transition
    permits Transition.Start, Transition.ReportProgress, Transition.Complete, Transition.Fail {

  /**
   * The backup after this transition at {@code now}; empty when the backup is gone (a completed
   * deletion). Never changes {@code backup}.
   *
   * @param backup the backup, which is not changed
   * @param now the instant of the change; not before the backup's last change
   * @return the next backup, or empty if the backup is gone
   * @throws IllegalTransitionException if the backup's state does not allow this transition
   * @throws io.csbs.backup.InvalidValueException if a value of the transition is invalid, or naming
   *     {@code now} if it is before the backup's last change
   */
  Optional<Backup> applyTo(Backup backup, Instant now);

  /**
   * Start a restore.
   *
   * @return the transition
   */
  static Transition restore() {
    return Start.RESTORE;
  }

  /**
   * Start an Instant Restore (enhanced backups only).
   *
   * @return the transition
   */
  static Transition instantRestore() {
    return Start.INSTANT_RESTORE;
  }

  /**
   * Start deleting.
   *
   * @return the transition
   */
  static Transition delete() {
    return Start.DELETE;
  }

  /**
   * Start {@code operation}.
   *
   * @param operation the operation a user starts
   * @return the transition
   */
  static Transition start(Operation operation) {
    java.util.Objects.requireNonNull(operation, "operation");
    switch (operation) {
      case RESTORE:
        return Start.RESTORE;
      case INSTANT_RESTORE:
        return Start.INSTANT_RESTORE;
      default:
        return Start.DELETE;
    }
  }

  /**
   * Report the running job's progress.
   *
   * @param percent the job's percentage done, 0 to 100; checked when applied
   * @return the transition
   */
  static Transition reportProgress(int percent) {
    return new ReportProgress(percent);
  }

  /**
   * Complete the running job.
   *
   * @return the transition
   */
  static Transition complete() {
    return Complete.INSTANCE;
  }

  /**
   * Fail the running job for {@code reason}.
   *
   * @param reason why the job failed; checked when applied
   * @return the transition
   */
  static Transition fail(String reason) {
    return new Fail(reason);
  }

  /** A user's operation, which starts a job. */
  final class Start implements Transition {
    private static final Start RESTORE = new Start(Operation.RESTORE);
    private static final Start INSTANT_RESTORE = new Start(Operation.INSTANT_RESTORE);
    private static final Start DELETE = new Start(Operation.DELETE);

    private final Operation operation;

    private Start(Operation operation) {
      this.operation = operation;
    }

    /** {@return the operation started} */
    public Operation operation() {
      return operation;
    }

    @Override
    public Optional<Backup> applyTo(Backup backup, Instant now) {
      return Optional.of(Lifecycle.start(backup, operation, now));
    }

    @Override
    public String toString() {
      return operation.toString();
    }
  }

  /**
   * A progress report of the running job.
   *
   * @param percent the job's percentage done
   */
  record ReportProgress(int percent) implements Transition {
    @Override
    public Optional<Backup> applyTo(Backup backup, Instant now) {
      return Optional.of(Lifecycle.reportProgress(backup, percent, now));
    }

    @Override
    public String toString() {
      return "progress " + percent + "%";
    }
  }

  /** The end of the running job. */
  final class Complete implements Transition {
    private static final Complete INSTANCE = new Complete();

    private Complete() {}

    @Override
    public Optional<Backup> applyTo(Backup backup, Instant now) {
      return Lifecycle.complete(backup, now);
    }

    @Override
    public String toString() {
      return "complete";
    }
  }

  /**
   * The failure of the running job.
   *
   * @param reason why the job failed
   */
  record Fail(String reason) implements Transition {
    /**
     * Checks that there is a reason.
     *
     * @param reason why the job failed; not null
     */
    public Fail {
      requireNonNull(reason, "reason");
    }

    @Override
    public Optional<Backup> applyTo(Backup backup, Instant now) {
      return Optional.of(Lifecycle.fail(backup, reason, now));
    }

    @Override
    public String toString() {
      return "fail: " + reason;
    }
  }
}
