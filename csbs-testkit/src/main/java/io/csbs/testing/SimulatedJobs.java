package io.csbs.testing;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.BackupType;
import io.csbs.backup.JobType;
import io.csbs.backup.Operation;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.BackupNotFoundException;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.Transition;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * A simulated job runner on a {@link FakeClock}: it starts backup, restore and delete jobs on a
 * {@link BackupCatalog}, and as the test {@linkplain #advance advances} time it reports their
 * progress, completes them, and fails or stalls them as their {@link JobPlan} says. It stands in for
 * the backup service's agents in a unit test of code that watches or lists backups.
 *
 * <pre>{@code
 * FakeClock clock = FakeClock.create();
 * BackupCatalog catalog = Catalogs.indexed(clock);
 * SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
 *
 * SimulatedJob backup = jobs.startBackup("project-1", server, JobPlan.taking(Duration.ofMinutes(20)));
 * SimulatedJob stuck = jobs.startBackup("project-1", server, JobPlan.DEFAULT.stallingAt(40));
 * jobs.advance(Duration.ofMinutes(10));   // backup at 50%; stuck at 40% since minute 4
 * jobs.advance(Duration.ofMinutes(30));   // backup Available; stuck judged stalled after minute 34
 * catalog.count("project-1", Predicates.stalled()); // 1
 * jobs.resume(stuck);                     // reports again from 40%, done 6 minutes later
 * }</pre>
 *
 * <p>Every change goes through the catalog's public API with the version the runner last saw:
 * {@link BackupCatalog#add} for a new backup job, then {@link BackupCatalog#apply} with {@link
 * Transition}s, so the library's lifecycle rules hold throughout (progress never goes down, a busy
 * backup refuses operations, a completed deletion removes the backup). The runner moves the clock to
 * the instant of each change before making it, so each change is dated exactly, and changes of
 * several jobs happen in time order (at one instant, in the order the jobs started).
 *
 * <p>Other writers: if a change is refused because another writer changed the backup (a {@link
 * VersionConflictException}), the runner reads the backup again. If it is gone, or no longer in the
 * job's state (say a watchdog failed a stuck job), the job ends as {@link
 * SimulatedJob.State#INTERRUPTED} and the backup stays as the other writer left it; if another writer
 * reported a higher progress, the runner keeps it; otherwise it retries once on the current version,
 * and a second refusal propagates. At the end of each {@code advance} the runner also reads the
 * backup of every unfinished job, so that a stalled job, which makes no change, ends as interrupted
 * too once another writer has removed its backup or moved it out of the job's state. The runner
 * knows its job by the backup's state only: another writer that ends the job and starts one of the
 * same kind between two {@code advance} calls (completes the restore and restores again) is not
 * noticed, and the runner drives that job as its own.
 *
 * <p>The catalog must use the same clock as the runner, or changes would be dated before the
 * backup's last change. Move time with {@link #advance}: if the test moves the clock itself, the jobs
 * catch up at the next {@code advance}, their overdue changes all dated then. Generated values (ids,
 * names, sizes of new backups) come from the seed, so two runners with one seed, started alike on
 * two catalogs, make identical changes; two runners with one seed on one catalog would make
 * duplicate ids.
 *
 * <p>Not thread-safe: drive it from the test's thread. The catalog may be changed by other threads
 * meanwhile (see above).
 */
public final class SimulatedJobs {
  private final BackupCatalog catalog;
  private final FakeClock clock;
  private final SplittableRandom random;
  private final List<SimulatedJob> jobs = new ArrayList<>();

  private SimulatedJobs(BackupCatalog catalog, FakeClock clock, long seed) {
    this.catalog = requireNonNull(catalog, "catalog");
    this.clock = requireNonNull(clock, "clock");
    this.random = new SplittableRandom(seed);
  }

  /**
   * A runner of jobs on {@code catalog}, which must read {@code clock}; seed 0 for generated
   *     values.
   *
   * @param catalog the catalog the jobs change
   * @param clock the clock the catalog reads, which the runner advances
   * @return the runner
   */
  public static SimulatedJobs create(BackupCatalog catalog, FakeClock clock) {
    return create(catalog, clock, 0);
  }

  /**
   * A runner of jobs on {@code catalog}, which must read {@code clock}; generated values from
   * {@code seed}.
   *
   * @param catalog the catalog the jobs change
   * @param clock the clock the catalog reads, which the runner advances
   * @param seed the seed of the generated values
   * @return the runner
   */
  public static SimulatedJobs create(BackupCatalog catalog, FakeClock clock, long seed) {
    return new SimulatedJobs(catalog, clock, seed);
  }

  // ---- starting jobs

  /**
   * Starts a backup job of {@code server} with {@link JobPlan#DEFAULT}; see {@link
   * #startBackup(String, Server, JobPlan)}.
   *
   * @param projectId the project of the new backup
   * @param server the backed-up server
   * @return the job, to advance and inspect
   */
  public SimulatedJob startBackup(String projectId, Server server) {
    return startBackup(projectId, server, JobPlan.DEFAULT);
  }

  /**
   * Starts a backup job of {@code server}: adds a new Creating backup with progress 0, created now,
   * with realistic generated values: a UUID, a name {@code manualbk_xxxx}, a manual trigger, a size
   * spread log-normally around 40 GB, enhanced one time in five. To choose the values, build the
   * backup and use {@link #startBackup(Backup, JobPlan)}.
   *
   * @param projectId the project of the new backup
   * @param server the backed-up server
   * @param plan how the job runs: its duration, reports, failure or stall
   * @return the job, to advance and inspect
   * @throws io.csbs.usage.QuotaExceededException if the backup would exceed a quota of the project
   */
  public SimulatedJob startBackup(String projectId, Server server, JobPlan plan) {
    requireNonNull(projectId, "projectId");
    requireNonNull(server, "server");
    requireNonNull(plan, "plan");
    Instant now = clock.instant();
    // the arguments judged before the generated values are drawn: a refused start must not shift the
    // values of the runner's later backups (two runners of one seed would differ)
    Backup.builder().id("probe").name("probe").projectId(projectId).server(server).status(BackupStatus.CREATING)
        .progress(Progress.of(0, now)).type(BackupType.COMMON).trigger(BackupTrigger.MANUAL).sizeMb(1024).createdAt(now).build();
    Backup backup = Backup.builder()
        .id(uuid())
        .name("manualbk_" + String.format(Locale.ROOT, "%04x", random.nextInt(0x10000)))
        .projectId(projectId)
        .server(server)
        .status(BackupStatus.CREATING)
        .progress(Progress.of(0, now))
        .type(random.nextInt(5) == 0 ? BackupType.ENHANCED : BackupType.COMMON)
        .trigger(BackupTrigger.MANUAL)
        .sizeMb(sizeMb())
        .createdAt(now)
        .build();
    return startBackup(backup, plan);
  }

  /**
   * Starts the backup job of {@code creating}, a new backup in Creating: adds it to the catalog, and
   * runs the job from its progress. The plan's times count from the start of the job, whatever its
   * progress: a job started at 60% with {@link JobPlan#DEFAULT} (10 minutes, a report a minute)
   * still ends 10 minutes after its start, and makes only the reports above 60% (its first, 70%, at
   * minute 7).
   *
   * @param creating the new backup, Creating
   * @param plan how the job runs: its duration, reports, failure or stall
   * @return the job, to advance and inspect
   * @throws IllegalArgumentException if the backup is not Creating, or last changed after the
   *     clock's now
   * @throws io.csbs.catalog.DuplicateBackupException if its project has a backup with its id
   * @throws io.csbs.usage.QuotaExceededException if the backup would exceed a quota of the project
   */
  public SimulatedJob startBackup(Backup creating, JobPlan plan) {
    requireNonNull(creating, "creating");
    requireNonNull(plan, "plan");
    Instant now = clock.instant();
    if (creating.status() != BackupStatus.CREATING) {
      throw new IllegalArgumentException("backup " + creating + " is invalid: must be Creating to start a backup job");
    }
    if (creating.updatedAt().isAfter(now)) {
      throw new IllegalArgumentException("backup " + creating + " is invalid: last changed at "
          + creating.updatedAt() + ", after the clock's now " + now);
    }
    catalog.add(creating);
    return track(new SimulatedJob(creating.projectId(), creating.id(), JobType.BACKUP, "backup", plan, now,
        creating.progress().orElseThrow().percent(), creating.version()));
  }

  /**
   * Starts a restore of an Available backup with {@link JobPlan#DEFAULT}.
   *
   * @param projectId the project of the backup
   * @param backupId the backup
   * @return the job, to advance and inspect
   */
  public SimulatedJob startRestore(String projectId, String backupId) {
    return startRestore(projectId, backupId, JobPlan.DEFAULT);
  }

  /**
   * Starts a restore of an Available backup: it becomes Restoring with progress 0, and Available
   * again when the job completes.
   *
   * @param projectId the project of the backup
   * @param backupId the backup
   * @param plan how the job runs: its duration, reports, failure or stall
   * @return the job, to advance and inspect
   * @throws BackupNotFoundException if the project has no backup {@code backupId}
   * @throws io.csbs.lifecycle.IllegalTransitionException if the backup does not allow a restore now
   */
  public SimulatedJob startRestore(String projectId, String backupId, JobPlan plan) {
    return start(projectId, backupId, Operation.RESTORE, plan);
  }

  /**
   * Starts an Instant Restore of an Available enhanced backup with {@link JobPlan#DEFAULT}.
   *
   * @param projectId the project of the backup
   * @param backupId the backup
   * @return the job, to advance and inspect
   */
  public SimulatedJob startInstantRestore(String projectId, String backupId) {
    return startInstantRestore(projectId, backupId, JobPlan.DEFAULT);
  }

  /**
   * Starts an Instant Restore of an Available enhanced backup, which runs as a restore does.
   *
   * @param projectId the project of the backup
   * @param backupId the backup
   * @param plan how the job runs: its duration, reports, failure or stall
   * @return the job, to advance and inspect
   * @throws BackupNotFoundException if the project has no backup {@code backupId}
   * @throws io.csbs.lifecycle.IllegalTransitionException if the backup does not allow an instant
   *     restore now (it is busy, in Error, or common)
   */
  public SimulatedJob startInstantRestore(String projectId, String backupId, JobPlan plan) {
    return start(projectId, backupId, Operation.INSTANT_RESTORE, plan);
  }

  /**
   * Starts deleting an Available or Error backup with {@link JobPlan#DEFAULT}.
   *
   * @param projectId the project of the backup
   * @param backupId the backup
   * @return the job, to advance and inspect
   */
  public SimulatedJob startDelete(String projectId, String backupId) {
    return startDelete(projectId, backupId, JobPlan.DEFAULT);
  }

  /**
   * Starts deleting an Available or Error backup: it becomes Deleting with progress 0, and is removed
   * from the catalog when the job completes.
   *
   * @param projectId the project of the backup
   * @param backupId the backup
   * @param plan how the job runs: its duration, reports, failure or stall
   * @return the job, to advance and inspect
   * @throws BackupNotFoundException if the project has no backup {@code backupId}
   * @throws io.csbs.lifecycle.IllegalTransitionException if the backup does not allow a delete now
   */
  public SimulatedJob startDelete(String projectId, String backupId, JobPlan plan) {
    return start(projectId, backupId, Operation.DELETE, plan);
  }

  private SimulatedJob start(String projectId, String backupId, Operation operation, JobPlan plan) {
    requireNonNull(plan, "plan");
    Transition transition = Transition.start(operation);
    Backup current = catalog.get(projectId, backupId);
    Backup started;
    try {
      started = catalog.apply(projectId, backupId, current.version(), transition).orElseThrow();
    } catch (VersionConflictException e) {
      // changed between our read and our write: decide again on the current backup, once
      current = catalog.get(projectId, backupId);
      started = catalog.apply(projectId, backupId, current.version(), transition).orElseThrow();
    }
    return track(new SimulatedJob(projectId, backupId, operation.job(), operation.toString(), plan,
        clock.instant(), 0, started.version()));
  }

  private SimulatedJob track(SimulatedJob job) {
    jobs.add(job);
    return job;
  }

  // ---- running them

  /**
   * Moves the clock forward by {@code duration}, making every change of the jobs that falls within
   * it at its own instant: progress reports, completions, planned failures and stalls. A zero
   * duration makes the changes due now, such as a failure planned at 0%.
   *
   * @param duration how far to move the clock; not negative
   * @throws IllegalArgumentException if {@code duration} is negative, or would move the clock past
   *     {@link Instant#MAX}
   * @throws VersionConflictException if another writer changed a job's backup twice while the
   *     runner retried (see the class documentation)
   * @throws RuntimeException any other refusal or failure of the catalog's, as thrown: the changes
   *     before it stay made, the clock stays at the instant of the change that failed, and its job
   *     keeps running, to make that change at the next {@code advance}
   */
  public void advance(Duration duration) {
    Instant target = FakeClock.after(clock.instant(), duration);
    while (true) {
      SimulatedJob next = null;
      Instant nextAt = null;
      for (SimulatedJob job : jobs) {
        Instant at = job.nextEvent() == null ? null : job.nextEventAt();  // null too past Instant.MAX: never due
        if (at != null && !at.isAfter(target) && (next == null || at.isBefore(nextAt))) {
          next = job;
          nextAt = at;
        }
      }
      if (next == null) {
        break;
      }
      moveClockTo(nextAt);
      step(next);
    }
    moveClockTo(target);
    noticeOtherWriters();
  }

  /**
   * Ends the unfinished jobs whose backup another writer removed or moved out of the job's state, so
   * that a stalled job, which makes no change that would notice it, shows it too.
   */
  private void noticeOtherWriters() {
    for (SimulatedJob job : jobs) {
      if (!job.isDone()) {
        Optional<Backup> current = catalog.find(job.projectId(), job.backupId());
        if (current.isEmpty()) {
          job.interrupt(clock.instant(), "the backup was removed by another writer");
        } else if (current.get().status() != job.runningStatus()) {
          job.interrupt(clock.instant(), "another writer changed the backup to " + current.get());
        }
      }
    }
  }

  /**
   * Lets a {@linkplain SimulatedJob.State#STALLED stalled} job go on from where it stopped, at the
   * clock's now: its next report comes when its next report interval of work ends, and it needs the
   * rest of its duration to complete. It does not stall again. If the test set the clock back before
   * the backup's last change, the job goes on from that change instead (no change can be dated
   * before it).
   *
   * @param job the stalled job
   * @throws IllegalArgumentException if {@code job} is not one of this runner's
   * @throws IllegalStateException if {@code job} is not stalled
   */
  public void resume(SimulatedJob job) {
    requireNonNull(job, "job");
    if (!jobs.contains(job)) {
      throw new IllegalArgumentException("job " + job + " is invalid: not a job of this runner");
    }
    if (job.state() != SimulatedJob.State.STALLED) {
      throw new IllegalStateException("job " + job + " cannot resume: it is " + job.state() + ", not STALLED");
    }
    Instant now = clock.instant();
    Instant lastChange = catalog.find(job.projectId(), job.backupId()).map(Backup::updatedAt).orElse(now);
    job.resume(lastChange.isAfter(now) ? lastChange : now);
  }

  /** {@return every job this runner started, in the order started, done or not} */
  public List<SimulatedJob> jobs() {
    return List.copyOf(jobs);
  }

  /** {@code SimulatedJobs{3 jobs, 1 running, 1 stalled, at 2026-01-01T00:10:00Z}}. */
  @Override
  public String toString() {
    long running = jobs.stream().filter(j -> j.state() == SimulatedJob.State.RUNNING).count();
    long stalled = jobs.stream().filter(j -> j.state() == SimulatedJob.State.STALLED).count();
    return "SimulatedJobs{" + jobs.size() + " jobs, " + running + " running, " + stalled + " stalled, at "
        + clock.instant() + "}";
  }

  private void moveClockTo(Instant instant) {
    Instant now = clock.instant();
    if (instant.isAfter(now)) {
      clock.advance(Duration.between(now, instant));
    }
  }

  private void step(SimulatedJob job) {
    Instant now = clock.instant();
    switch (job.nextEvent()) {
      case FAIL:
        if (change(job, Transition.fail(job.plan().failureReason().orElseThrow()))) {
          job.end(SimulatedJob.State.FAILED, now);
        }
        break;
      case STALL: {
        int percent = job.plan().stallAtPercent().orElseThrow();
        if (percent <= job.lastReportedPercent() || report(job, percent)) {
          job.stall();
        }
        break;
      }
      case COMPLETE:
        if (change(job, Transition.complete())) {
          job.end(SimulatedJob.State.SUCCEEDED, now);
        }
        break;
      case REPORT: {
        int percent = job.plan().percentAfter(job.nextEventWork());
        if (percent <= job.lastReportedPercent() || report(job, percent)) {
          job.reportDone();
        }
        break;
      }
      default:
        throw new AssertionError(job.nextEvent());
    }
  }

  private boolean report(SimulatedJob job, int percent) {
    if (change(job, Transition.reportProgress(percent))) {
      job.reported(percent);
      return true;
    }
    return false;
  }

  /**
   * Applies {@code transition} to the job's backup on the version the runner last saw; on a conflict,
   * decides again on the current backup (see the class documentation).
   *
   * @return whether the job goes on; false once it is interrupted
   */
  private boolean change(SimulatedJob job, Transition transition) {
    try {
      apply(job, job.version(), transition);
      return true;
    } catch (VersionConflictException | BackupNotFoundException e) {
      Optional<Backup> found = catalog.find(job.projectId(), job.backupId());
      if (found.isEmpty()) {
        job.interrupt(clock.instant(), "the backup was removed by another writer");
        return false;
      }
      Backup current = found.get();
      if (current.status() != job.runningStatus()) {
        job.interrupt(clock.instant(), "another writer changed the backup to " + current);
        return false;
      }
      int theirPercent = current.progress().orElseThrow().percent();
      if (transition instanceof Transition.ReportProgress report && theirPercent >= report.percent()) {
        // another writer reported as far or further: progress must not go down, so keep theirs
        job.version(current.version());
        job.reported(theirPercent);
        return true;
      }
      apply(job, current.version(), transition); // a second conflict propagates
      return true;
    }
  }

  private void apply(SimulatedJob job, long version, Transition transition) {
    catalog.apply(job.projectId(), job.backupId(), version, transition).ifPresent(after -> job.version(after.version()));
  }

  private String uuid() {
    long most = (random.nextLong() & ~0xF000L) | 0x4000L;
    long least = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(most, least).toString();
  }

  /** Log-normal around 40 GB, between 1 GB and 16 TB, in MB, as {@link BackupGenerator} makes them. */
  private long sizeMb() {
    double u = 1.0 - random.nextDouble();
    double v = random.nextDouble();
    double gaussian = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v); // Box-Muller
    return Math.max(1024, Math.min(16L * 1024 * 1024, Math.round(40_960 * Math.exp(gaussian))));
  }
}
