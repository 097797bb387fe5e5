package io.csbs.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.BackupType;
import io.csbs.backup.Failure;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.JobType;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.BackupNotFoundException;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.DuplicateBackupException;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.lifecycle.Lifecycle;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A new user's black-box review of the job simulation and test helpers of csbs-testkit: odd plans,
 * the catalog's state after every clock step, stall boundaries, determinism, bounds and refusals,
 * on the user's own data. Written from the README and the javadoc only.
 */
class NewUserSimulationTest {
  /** A project id with unicode and spaces: ids are any non-blank text. */
  private static final String PROJECT = "projekt ÿ-日本-7";
  private static final Server SERVER = Server.of("0f4c1f7a-6c2e-4a55-9d7e-3b8f0c1d2e3f", "ecs-wéb-東京-01", "ap-jp-01");
  private static final Instant T0 = Instant.parse("2031-07-15T23:59:30.123456789Z");

  private static Backup available(String project, String id, BackupType type, Instant createdAt) {
    return Backup.builder()
        .id(id)
        .name("bk_" + id.replace("-", "_"))
        .projectId(project)
        .server(SERVER)
        .status(BackupStatus.AVAILABLE)
        .type(type)
        .trigger(BackupTrigger.MANUAL)
        .sizeMb(2048)
        .createdAt(createdAt)
        .finishedAt(createdAt)
        .build();
  }

  private static Backup creating(String project, String id, int percent, Instant at) {
    return Backup.builder()
        .id(id)
        .name("mine_" + id.replace("-", "_"))
        .projectId(project)
        .server(SERVER)
        .status(BackupStatus.CREATING)
        .progress(Progress.of(percent, at))
        .type(BackupType.COMMON)
        .trigger(BackupTrigger.MANUAL)
        .sizeMb(1)
        .createdAt(at)
        .build();
  }

  // ---------------------------------------------------------------- catalog state after each step

  @Test
  void aBackupJobOfSevenMinutesShowsItsRoundedDownProgressAndDatesEveryChangeExactly() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock, 99);
    SimulatedJob job = jobs.startBackup(PROJECT, SERVER, JobPlan.taking(Duration.ofMinutes(7)));
    Backup before = catalog.get(PROJECT, job.backupId());
    assertEquals(BackupStatus.CREATING, before.status());
    assertEquals(Optional.of(Progress.of(0, T0)), before.progress());
    assertEquals(T0, before.createdAt());
    assertEquals(T0, before.updatedAt());
    assertEquals(Optional.empty(), before.finishedAt());
    assertEquals(Optional.empty(), before.failure());
    int[] expected = {14, 28, 42, 57, 71, 85};
    long version = before.version();
    for (int minute = 1; minute <= 6; minute++) {
      jobs.advance(Duration.ofMinutes(1));
      Instant now = T0.plus(Duration.ofMinutes(minute));
      assertEquals(now, clock.instant());
      Backup b = catalog.get(PROJECT, job.backupId());
      assertEquals(BackupStatus.CREATING, b.status(), "minute " + minute);
      assertEquals(Optional.of(Progress.of(expected[minute - 1], now)), b.progress(), "minute " + minute);
      assertEquals(now, b.updatedAt(), "minute " + minute);
      assertEquals(version + 1, b.version(), "one change a report, minute " + minute);
      version = b.version();
      assertEquals(expected[minute - 1], job.lastReportedPercent());
      assertEquals(SimulatedJob.State.RUNNING, job.state());
      assertEquals(Optional.empty(), job.endedAt());
    }
    jobs.advance(Duration.ofMinutes(1));
    Instant end = T0.plus(Duration.ofMinutes(7));
    Backup done = catalog.get(PROJECT, job.backupId());
    assertEquals(BackupStatus.AVAILABLE, done.status());
    assertEquals(Optional.empty(), done.progress());
    assertEquals(end, done.updatedAt());
    assertEquals(Optional.of(end), done.finishedAt());
    assertEquals(Optional.empty(), done.failure());
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
    assertEquals(Optional.of(end), job.endedAt());
    assertEquals(85, job.lastReportedPercent(), "completing is not a report");
    assertEquals(T0, job.startedAt());
  }

  @Test
  void advancingByZeroWithNothingDueChangesNothing() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(PROJECT, SERVER);
    jobs.advance(Duration.ofSeconds(30));
    Backup before = catalog.get(PROJECT, job.backupId());
    for (int i = 0; i < 5; i++) {
      jobs.advance(Duration.ZERO);
    }
    assertEquals(before, catalog.get(PROJECT, job.backupId()));
    assertEquals(T0.plusSeconds(30), clock.instant());
    assertEquals(SimulatedJob.State.RUNNING, job.state());
  }

  @Test
  void aBackupJobThatFailsRecordsTheFailureFinishTimeAndLastReport() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock, -5);
    String reason = "agent «ß» not reachable — 再試行";
    // 33% of 20 minutes is reached at 6.6 minutes; the reports before it: 5% a minute up to 30%
    SimulatedJob job = jobs.startBackup(PROJECT, SERVER, JobPlan.taking(Duration.ofMinutes(20)).failingAt(33, reason));
    jobs.advance(Duration.ofMinutes(6));
    assertEquals(30, catalog.get(PROJECT, job.backupId()).progress().orElseThrow().percent());
    jobs.advance(Duration.ofSeconds(35));
    assertEquals(SimulatedJob.State.RUNNING, job.state(), "6 min 35 s: 32.9%, not yet 33%");
    jobs.advance(Duration.ofSeconds(1));
    Instant failedAt = T0.plus(Duration.ofSeconds(396));
    assertEquals(SimulatedJob.State.FAILED, job.state());
    assertEquals(Optional.of(failedAt), job.endedAt());
    assertEquals(30, job.lastReportedPercent());
    Backup b = catalog.get(PROJECT, job.backupId());
    assertEquals(BackupStatus.ERROR, b.status());
    assertEquals(Optional.empty(), b.progress());
    assertEquals(Optional.of(Failure.of(JobType.BACKUP, reason, failedAt)), b.failure());
    assertEquals(failedAt, b.updatedAt());
    assertTrue(job.isDone());
    // no more change however far the clock goes
    long version = b.version();
    jobs.advance(Duration.ofDays(30));
    assertEquals(version, catalog.get(PROJECT, job.backupId()).version());
  }

  @Test
  void failedRestoreKeepsTheFinishTimeAndADeleteOfTheErrorBackupKeepsTheReasonUntilItFails() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = ReferenceCatalog.create(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    Instant created = T0.minus(Duration.ofDays(3));
    catalog.add(available(PROJECT, "b-ünï", BackupType.ENHANCED, created));
    SimulatedJob restore = jobs.startInstantRestore(PROJECT, "b-ünï",
        JobPlan.taking(Duration.ofSeconds(10)).reportingEvery(Duration.ofSeconds(1)).failingAt(100, "disk gone"));
    assertEquals(JobType.RESTORE, restore.type());
    assertEquals(BackupStatus.RESTORING, catalog.get(PROJECT, "b-ünï").status());
    jobs.advance(Duration.ofSeconds(10));
    assertEquals(SimulatedJob.State.FAILED, restore.state());
    assertEquals(90, restore.lastReportedPercent());
    Backup error = catalog.get(PROJECT, "b-ünï");
    assertEquals(BackupStatus.ERROR, error.status());
    assertEquals(Optional.of(Failure.of(JobType.RESTORE, "disk gone", T0.plusSeconds(10))), error.failure());
    assertEquals(Optional.of(created), error.finishedAt(), "a failed restore does not change finishedAt");

    SimulatedJob delete = jobs.startDelete(PROJECT, "b-ünï",
        JobPlan.taking(Duration.ofMinutes(4)).failingAt(50, "bucket locked"));
    Backup deleting = catalog.get(PROJECT, "b-ünï");
    assertEquals(BackupStatus.DELETING, deleting.status());
    assertEquals(error.failure(), deleting.failure(), "the failure stays while the Error backup is deleted");
    jobs.advance(Duration.ofMinutes(1));
    assertEquals(25, catalog.get(PROJECT, "b-ünï").progress().orElseThrow().percent());
    assertEquals(error.failure(), catalog.get(PROJECT, "b-ünï").failure(), "a report keeps the failure");
    jobs.advance(Duration.ofMinutes(1));
    assertEquals(SimulatedJob.State.FAILED, delete.state());
    Backup again = catalog.get(PROJECT, "b-ünï");
    assertEquals(BackupStatus.ERROR, again.status());
    assertEquals(Optional.of(Failure.of(JobType.DELETE, "bucket locked", T0.plusSeconds(130))), again.failure());

    SimulatedJob second = jobs.startDelete(PROJECT, "b-ünï", JobPlan.taking(Duration.ofNanos(1)));
    jobs.advance(Duration.ofNanos(1));
    assertEquals(SimulatedJob.State.SUCCEEDED, second.state());
    assertEquals(Optional.empty(), catalog.find(PROJECT, "b-ünï"));
    assertEquals(List.of(restore, delete, second), jobs.jobs());
  }

  // ---------------------------------------------------------------- stall boundaries

  @Test
  void aStallRuleOfOneNanosecondJudgesStalledTwoNanosecondsAfterAReport() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(Duration.ofNanos(1))).build();
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(PROJECT, SERVER, JobPlan.taking(Duration.ofMinutes(10)));
    assertEquals(0, catalog.count(PROJECT, Predicates.stalled()), "just started: changed now");
    jobs.advance(Duration.ofNanos(1));
    assertEquals(0, catalog.count(PROJECT, Predicates.stalled()), "exactly the threshold");
    jobs.advance(Duration.ofNanos(1));
    assertEquals(1, catalog.count(PROJECT, Predicates.stalled()));
    jobs.advance(Duration.ofMinutes(1).minusNanos(2));
    assertEquals(0, catalog.count(PROJECT, Predicates.stalled()), "a report at this very instant");
    jobs.advance(Duration.ofNanos(1));
    assertEquals(0, catalog.count(PROJECT, Predicates.stalled()), "exactly the threshold");
    jobs.advance(Duration.ofNanos(1));
    assertEquals(List.of(job.backupId()), catalog.query(PROJECT, Query.where(Predicates.stalled())).ids());
  }

  @Test
  void aJobReportingExactlyAtTheThresholdIsNeverStalledAndOneReportingLessOftenIs() {
    for (Duration interval : List.of(Duration.ofMinutes(30), Duration.ofMinutes(31))) {
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = Catalogs.indexed(clock);
      SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
      // 40 hours, a report every 30 minutes: each raises the progress (1.25% of the duration)
      SimulatedJob job = jobs.startBackup(PROJECT, SERVER, JobPlan.taking(Duration.ofHours(40)).reportingEvery(interval));
      boolean everStalled = false;
      for (int step = 0; step < 40 * 120 && !job.isDone(); step++) {
        jobs.advance(Duration.ofSeconds(30));
        everStalled |= catalog.count(PROJECT, Predicates.stalled()) > 0;
        everStalled |= StallRule.DEFAULT.isStalled(catalog.get(PROJECT, job.backupId()), clock);
      }
      boolean slower = interval.compareTo(StallRule.DEFAULT_THRESHOLD) > 0;
      assertEquals(slower, everStalled, "interval " + interval);
    }
  }

  @Test
  void aStalledJobIsJudgedStalledFromItsStallReportNotFromItsStart() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    // 33% of 20 minutes: 6.6 minutes, between two reports
    SimulatedJob job = jobs.startBackup(PROJECT, SERVER, JobPlan.taking(Duration.ofMinutes(20)).stallingAt(33));
    jobs.advance(Duration.ofSeconds(396));
    assertEquals(SimulatedJob.State.STALLED, job.state());
    assertEquals(Progress.of(33, T0.plusSeconds(396)), catalog.get(PROJECT, job.backupId()).progress().orElseThrow());
    jobs.advance(Duration.ofMinutes(30));
    assertEquals(0, catalog.count(PROJECT, Predicates.stalled()), "exactly 30 minutes");
    jobs.advance(Duration.ofNanos(1));
    assertEquals(1, catalog.count(PROJECT, Predicates.stalled()));
    // resumed: the next report comes when the next interval of work ends (minute 7 of work: 35%)
    jobs.resume(job);
    Instant resumedAt = clock.instant();
    jobs.advance(Duration.ofSeconds(23));
    assertEquals(33, catalog.get(PROJECT, job.backupId()).progress().orElseThrow().percent());
    jobs.advance(Duration.ofSeconds(1));
    assertEquals(Progress.of(35, resumedAt.plusSeconds(24)), catalog.get(PROJECT, job.backupId()).progress().orElseThrow());
    assertEquals(0, catalog.count(PROJECT, Predicates.stalled()));
    // it needs the rest of its duration: 20 min - 6.6 min
    jobs.advance(Duration.ofSeconds(1200 - 396 - 24).minusNanos(1));
    assertEquals(SimulatedJob.State.RUNNING, job.state());
    jobs.advance(Duration.ofNanos(1));
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
    assertEquals(Optional.of(resumedAt.plusSeconds(1200 - 396)), job.endedAt());
  }

  @Test
  void aJobStalledAtHundredCompletesAtTheVeryAdvanceAfterItsResume() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    catalog.add(available(PROJECT, "r-1", BackupType.COMMON, T0));
    SimulatedJob job = jobs.startRestore(PROJECT, "r-1", JobPlan.taking(Duration.ofMinutes(3)).stallingAt(100));
    jobs.advance(Duration.ofHours(5));
    assertEquals(SimulatedJob.State.STALLED, job.state());
    assertEquals(100, catalog.get(PROJECT, "r-1").progress().orElseThrow().percent());
    jobs.resume(job);
    jobs.advance(Duration.ZERO);
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
    assertEquals(BackupStatus.AVAILABLE, catalog.get(PROJECT, "r-1").status());
    assertEquals(Optional.of(T0.plus(Duration.ofHours(5))), job.endedAt());
  }

  // ---------------------------------------------------------------- refusals change nothing

  @Test
  void aRefusedStartBackupDoesNotShiftTheGeneratedValues() {
    SimulatedJobs refusedFirst = SimulatedJobs.create(Catalogs.indexed(FakeClock.at(T0)), FakeClock.at(T0), 17);
    SimulatedJobs plain = SimulatedJobs.create(Catalogs.indexed(FakeClock.at(T0)), FakeClock.at(T0), 17);
    assertThrows(NullPointerException.class, () -> refusedFirst.startBackup(PROJECT, SERVER, null));
    assertThrows(InvalidValueException.class, () -> refusedFirst.startBackup(" ", SERVER, JobPlan.DEFAULT));
    assertEquals(plain.startBackup(PROJECT, SERVER).backupId(), refusedFirst.startBackup(PROJECT, SERVER).backupId());
  }

  @Test
  void refusedStartsTrackNoJobAndLeaveTheCatalogAsItWas() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock, 3);
    catalog.add(available(PROJECT, "a-1", BackupType.COMMON, T0.minusSeconds(60)));
    Backup a1 = catalog.get(PROJECT, "a-1");
    assertThrows(BackupNotFoundException.class, () -> jobs.startRestore(PROJECT, "nope"));
    assertThrows(BackupNotFoundException.class, () -> jobs.startDelete("other project", "a-1"));
    IllegalTransitionException common = assertThrows(IllegalTransitionException.class,
        () -> jobs.startInstantRestore(PROJECT, "a-1"));
    assertEquals(BackupStatus.AVAILABLE, common.status());
    assertTrue(common.getMessage().contains("a-1") && common.getMessage().contains("instant restore"), common.getMessage());
    assertEquals(a1, catalog.get(PROJECT, "a-1"));
    SimulatedJob restore = jobs.startRestore(PROJECT, "a-1");
    IllegalTransitionException busy = assertThrows(IllegalTransitionException.class, () -> jobs.startDelete(PROJECT, "a-1"));
    assertEquals(BackupStatus.RESTORING, busy.status());
    assertEquals("delete", busy.attempted());
    assertEquals(List.of("progress", "complete", "fail"), busy.allowed());
    // a hand-made Creating backup with a taken id, or dated after now
    assertThrows(DuplicateBackupException.class, () -> jobs.startBackup(creating(PROJECT, "a-1", 0, T0), JobPlan.DEFAULT));
    IllegalArgumentException later = assertThrows(IllegalArgumentException.class,
        () -> jobs.startBackup(creating(PROJECT, "c-9", 0, T0.plusNanos(1)), JobPlan.DEFAULT));
    assertTrue(later.getMessage().contains("c-9"), later.getMessage());
    assertEquals(Optional.empty(), catalog.find(PROJECT, "c-9"));
    assertThrows(NullPointerException.class, () -> jobs.startBackup(creating(PROJECT, "c-8", 0, T0), null));
    assertEquals(Optional.empty(), catalog.find(PROJECT, "c-8"));
    assertEquals(List.of(restore), jobs.jobs());
    assertEquals(1, catalog.count(PROJECT, Predicates.all()));
  }

  // ---------------------------------------------------------------- the clock at its limits

  @Test
  void advancingBeyondTheLastInstantIsRefusedAsAnIllegalArgument() {
    FakeClock clock = FakeClock.at(Instant.MAX.minusSeconds(5));
    assertThrows(IllegalArgumentException.class, () -> clock.advance(Duration.ofSeconds(10)));
    SimulatedJobs jobs = SimulatedJobs.create(Catalogs.indexed(clock), clock);
    assertThrows(IllegalArgumentException.class, () -> jobs.advance(Duration.ofSeconds(Long.MAX_VALUE)));
  }

  @Test
  void aJobWhoseNextChangeLiesBeyondTheLastInstantDoesNotStopShorterAdvances() {
    FakeClock clock = FakeClock.at(Instant.MAX.minusSeconds(30));
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(PROJECT, SERVER); // first report a minute from now: never
    jobs.advance(Duration.ofSeconds(10));
    assertEquals(Instant.MAX.minusSeconds(20), clock.instant());
    assertEquals(SimulatedJob.State.RUNNING, job.state());
  }

  @Test
  void resumingAfterTheClockWasSetBackDoesNotWedgeTheRunner() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(PROJECT, SERVER, JobPlan.DEFAULT.stallingAt(40));
    jobs.advance(Duration.ofMinutes(5));
    clock.set(T0);
    jobs.resume(job);
    jobs.advance(Duration.ofHours(1));
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
  }

  @Test
  void theClockSetBackWithoutAResumeOnlyDelaysTheJobsOnTheirOwnTimeline() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(PROJECT, SERVER, JobPlan.DEFAULT);
    jobs.advance(Duration.ofMinutes(5));
    clock.set(T0.minus(Duration.ofHours(1)));
    jobs.advance(Duration.ofMinutes(30));
    assertEquals(50, catalog.get(PROJECT, job.backupId()).progress().orElseThrow().percent());
    jobs.advance(Duration.ofMinutes(39));
    assertEquals(Progress.of(90, T0.plus(Duration.ofMinutes(9))), catalog.get(PROJECT, job.backupId()).progress().orElseThrow());
    jobs.advance(Duration.ofMinutes(1));
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
    assertEquals(Optional.of(T0.plus(Duration.ofMinutes(10))), job.endedAt());
  }

  // ---------------------------------------------------------------- fine report intervals

  @Test
  void aOneSecondPlanReportingEveryNanosecondRunsToItsEndQuickly() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(PROJECT, SERVER,
        JobPlan.taking(Duration.ofSeconds(1)).reportingEvery(Duration.ofNanos(1)));
    assertTimeoutPreemptively(Duration.ofSeconds(30), () -> jobs.advance(Duration.ofSeconds(1)));
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
  }

  @Test
  void aFewNanosecondsPlanReportingEveryNanosecondReportsEachRise() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(PROJECT, SERVER,
        JobPlan.taking(Duration.ofNanos(1000)).reportingEvery(Duration.ofNanos(1)));
    long version = catalog.get(PROJECT, job.backupId()).version();
    jobs.advance(Duration.ofNanos(999));
    Backup b = catalog.get(PROJECT, job.backupId());
    assertEquals(Progress.of(99, T0.plusNanos(990)), b.progress().orElseThrow());
    assertEquals(version + 99, b.version(), "one change per rise of the progress, none for the others");
    jobs.advance(Duration.ofNanos(1));
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
  }

  // ---------------------------------------------------------------- many jobs, exact progress

  /** The work at which a plan of {@code d} ns first shows {@code p}%: rounded up, as the doc's "rounded down" share implies. */
  private static long workAt(long d, int p) {
    return (d * p + 99) / 100;
  }

  @Test
  void manyJobsInManyProjectsShowExactlyTheDocumentedProgressAfterEveryStep() {
    for (int rep = 0; rep < Integer.getInteger("reps", 1); rep++) {
    long seed = new Random().nextLong();
    try {
      runMany(seed);
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
    }
    }
  }

  private void runMany(long seed) {
    Random random = new Random(seed);
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = random.nextBoolean() ? Catalogs.indexed(clock) : ReferenceCatalog.create(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock, random.nextLong());
    String[] projects = {"p-0", "Ünïcödé 项目", "p/with/slashes", "x".repeat(64), "p-4", "p-5", "p-6", "p-7", "p-8", "p-9", "p-10", "p-11"};
    Map<SimulatedJob, Integer> lastSeen = new HashMap<>();
    int made = 0;
    for (int round = 0; round < 25; round++) {
      int starts = random.nextInt(6);
      for (int k = 0; k < starts; k++) {
        String project = projects[random.nextInt(projects.length)];
        long d = random.nextInt(4) == 0 ? 1 + random.nextInt(5000) : (1 + random.nextInt(3 * 3600)) * 1_000_000_000L;
        // at most a few hundred intervals a job: the runner steps through each (see the disabled test above)
        long interval = random.nextInt(4) == 0 ? d * (1 + random.nextInt(3)) / 2 + 1 : Math.max(1, d / (1 + random.nextInt(300)));
        JobPlan plan = JobPlan.taking(Duration.ofNanos(d)).reportingEvery(Duration.ofNanos(interval));
        if (random.nextInt(3) == 0) {
          plan = plan.failingAt(random.nextInt(101), "reason " + random.nextInt(1000) + " ✗");
        }
        SimulatedJob job;
        switch (random.nextInt(3)) {
          case 0:
            job = jobs.startBackup(project, SERVER, plan);
            break;
          case 1: {
            String id = "b-" + made++;
            catalog.add(available(project, id, random.nextBoolean() ? BackupType.ENHANCED : BackupType.COMMON, clock.instant()));
            job = random.nextBoolean() && catalog.get(project, id).type() == BackupType.ENHANCED
                ? jobs.startInstantRestore(project, id, plan) : jobs.startRestore(project, id, plan);
            break;
          }
          default: {
            String id = "d-" + made++;
            catalog.add(available(project, id, BackupType.COMMON, clock.instant()));
            job = jobs.startDelete(project, id, plan);
          }
        }
        lastSeen.put(job, 0);
      }
      Duration step;
      switch (random.nextInt(5)) {
        case 0:
          step = Duration.ZERO;
          break;
        case 1:
          step = Duration.ofNanos(1 + random.nextInt(3000));
          break;
        case 2:
          step = Duration.ofHours(1 + random.nextInt(10));
          break;
        default:
          step = Duration.ofSeconds(random.nextInt(900), random.nextInt(1_000_000_000));
      }
      Instant before = clock.instant();
      jobs.advance(step);
      Instant now = clock.instant();
      assertEquals(before.plus(step), now);
      for (SimulatedJob job : jobs.jobs()) {
        check(job, catalog, now, lastSeen);
      }
    }
  }

  private static void check(SimulatedJob job, BackupCatalog catalog, Instant now, Map<SimulatedJob, Integer> lastSeen) {
    JobPlan plan = job.plan();
    long d = plan.duration().toNanos();
    long interval = plan.reportInterval().toNanos();
    long work = Duration.between(job.startedAt(), now).toNanos();
    long failWork = plan.failAtPercent().isPresent() ? workAt(d, plan.failAtPercent().getAsInt()) : Long.MAX_VALUE;
    long endWork = Math.min(failWork, d);
    Optional<Backup> found = catalog.find(job.projectId(), job.backupId());
    String what = job + " at work " + work + "ns, backup " + found;
    if (work < endWork) {
      assertEquals(SimulatedJob.State.RUNNING, job.state(), what);
      long lastReport = work / interval * interval;
      int percent = (int) (lastReport * 100 / d);
      Backup b = found.orElseThrow();
      assertEquals(BackupStatus.of(job.type()), b.status(), what);
      assertEquals(percent, b.progress().orElseThrow().percent(), what);
      assertEquals(percent, job.lastReportedPercent(), what);
      Instant changedAt = percent == 0 ? job.startedAt()
          : job.startedAt().plusNanos((workAt(d, percent) + interval - 1) / interval * interval);
      assertEquals(changedAt, b.progress().orElseThrow().changedAt(), what);
      assertEquals(changedAt, b.updatedAt(), what);
      assertTrue(percent >= lastSeen.get(job), what);
      lastSeen.put(job, percent);
    } else if (failWork <= d) {
      Instant failedAt = job.startedAt().plusNanos(failWork);
      assertEquals(SimulatedJob.State.FAILED, job.state(), what);
      assertEquals(Optional.of(failedAt), job.endedAt(), what);
      Backup b = found.orElseThrow();
      assertEquals(BackupStatus.ERROR, b.status(), what);
      assertEquals(Optional.of(Failure.of(job.type(), plan.failureReason().orElseThrow(), failedAt)), b.failure(), what);
      assertEquals(failedAt, b.updatedAt(), what);
      assertEquals(Optional.empty(), b.progress(), what);
    } else {
      Instant doneAt = job.startedAt().plusNanos(d);
      assertEquals(SimulatedJob.State.SUCCEEDED, job.state(), what);
      assertEquals(Optional.of(doneAt), job.endedAt(), what);
      if (job.type() == JobType.DELETE) {
        assertEquals(Optional.empty(), found, what);
      } else {
        Backup b = found.orElseThrow();
        assertEquals(BackupStatus.AVAILABLE, b.status(), what);
        assertEquals(doneAt, b.updatedAt(), what);
        assertEquals(Optional.empty(), b.progress(), what);
        assertEquals(Optional.empty(), b.failure(), what);
      }
    }
  }

  // ---------------------------------------------------------------- generators on other seeds

  private static final Pattern NAME = Pattern.compile("(autobk|manualbk)_[0-9a-f]{4}");
  private static final Pattern UUID4 = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

  @Test
  void generatedBackupsKeepEveryDocumentedBoundForRandomSeedsAndOptions() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    for (int run = 0; run < 6; run++) {
      long generatorSeed = random.nextLong();
      int projects = 1 + random.nextInt(7);
      int servers = 1 + random.nextInt(run % 3 == 0 ? 3 : 400);
      Instant end = Instant.parse("1999-12-31T23:59:59Z").plusSeconds(random.nextInt(1_000_000_000)).plusNanos(random.nextInt(1_000_000_000));
      Duration span = Duration.ofSeconds(1 + random.nextInt(run % 2 == 0 ? 20_000 : 40_000_000));
      BackupGenerator generator = BackupGenerator.builder().seed(generatorSeed).projects(projects).servers(servers).window(end, span).build();
      String where = "seed " + seed + " run " + run + " (generator seed " + generatorSeed + ", " + projects + " projects, "
          + servers + " servers, end " + end + ", span " + span + ")";
      List<Backup> backups = generator.backups(1000);
      assertEquals(1000, backups.size(), where);
      assertEquals(end, generator.end(), where);
      Set<String> ids = new HashSet<>();
      Map<String, List<Tag>> tagsOfServer = new HashMap<>();
      Map<String, String> projectOfServer = new HashMap<>();
      for (Backup b : backups) {
        String it = where + ": " + b;
        assertTrue(ids.add(b.projectId() + "/" + b.id()), it);
        assertTrue(UUID4.matcher(b.id()).matches(), it);
        assertTrue(NAME.matcher(b.name()).matches(), it);
        assertTrue(generator.projectIds().contains(b.projectId()), it);
        boolean automatic = b.name().startsWith("autobk_");
        assertEquals(automatic ? BackupTrigger.AUTOMATIC : BackupTrigger.MANUAL, b.trigger(), it);
        assertEquals(automatic, b.policyId().isPresent(), it);
        assertTrue(b.sizeMb() >= 1024 && b.sizeMb() <= 16L * 1024 * 1024, it);
        assertTrue(b.createdAt().isBefore(end) && !b.createdAt().isBefore(end.minus(span)), it);
        if (b.status() == BackupStatus.CREATING) {
          assertFalse(b.createdAt().isBefore(end.minus(Duration.ofHours(6))), it);
        }
        assertFalse(b.updatedAt().isAfter(end), it);
        assertFalse(b.updatedAt().isBefore(b.createdAt()), it);
        assertEquals(b.status().isIntermediate(), b.progress().isPresent(), it);
        b.progress().ifPresent(p -> assertEquals(b.updatedAt(), p.changedAt(), it));
        assertEquals(b.status() == BackupStatus.ERROR, b.failure().isPresent(), it);
        b.failure().ifPresent(f -> assertEquals(b.updatedAt(), f.failedAt(), it));
        b.finishedAt().ifPresent(f -> assertTrue(!f.isBefore(b.createdAt()) && !f.isAfter(b.updatedAt()), it));
        if (b.status() == BackupStatus.AVAILABLE) {
          assertTrue(b.finishedAt().isPresent(), it);
        }
        assertTrue(b.tags().size() <= 10, it);
        assertEquals(b.tags().size(), b.tags().stream().map(Tag::key).distinct().count(), it);
        List<Tag> earlier = tagsOfServer.putIfAbsent(b.server().id(), b.tags());
        assertTrue(earlier == null || earlier.equals(b.tags()), "backups of one server share their tags: " + it);
        String owner = projectOfServer.putIfAbsent(b.server().id(), b.projectId());
        assertTrue(owner == null || owner.equals(b.projectId()), "a server belongs to one project: " + it);
      }
      List<Backup> again = BackupGenerator.builder().seed(generatorSeed).projects(projects).servers(servers).window(end, span).build().backups(1000);
      assertEquals(backups, again, where);
    }
  }

  @Test
  void generatedErrorBackupsHaveTheFinishTimeTheLifecycleWouldGiveThem() {
    List<Backup> backups = BackupGenerator.withSeed(20_260_101L).backups(3000);
    for (Backup b : backups) {
      if (b.status() == BackupStatus.ERROR) {
        assertTrue(b.finishedAt().isPresent(), b.toString());
      }
    }
  }

  @Test
  void theGeneratedShapeHoldsForARandomSeed() {
    long seed = new Random().nextLong();
    List<Backup> backups = BackupGenerator.withSeed(seed).backups(20_000);
    String where = "seed " + seed;
    long available = backups.stream().filter(b -> b.status() == BackupStatus.AVAILABLE).count();
    long error = backups.stream().filter(b -> b.status() == BackupStatus.ERROR).count();
    long automatic = backups.stream().filter(b -> b.trigger() == BackupTrigger.AUTOMATIC).count();
    long enhanced = backups.stream().filter(b -> b.type() == BackupType.ENHANCED).count();
    assertTrue(Math.abs(available / 20_000.0 - 0.90) < 0.015, where + ": available " + available);
    assertTrue(Math.abs(error / 20_000.0 - 0.03) < 0.006, where + ": error " + error);
    assertTrue(Math.abs(automatic / 20_000.0 - 0.75) < 0.015, where + ": automatic " + automatic);
    List<Long> sizes = backups.stream().map(Backup::sizeMb).sorted().toList();
    long median = sizes.get(sizes.size() / 2);
    assertTrue(median > 36_000 && median < 46_000, where + ": median size " + median + " MB, about 40 GB");
    Map<String, Integer> perServer = new HashMap<>();
    backups.forEach(b -> perServer.merge(b.server().name(), 1, Integer::sum));
    List<Integer> counts = new ArrayList<>(perServer.values());
    counts.sort(null);
    int top10 = counts.subList(counts.size() - 10, counts.size()).stream().mapToInt(Integer::intValue).sum();
    assertTrue(top10 > 20_000 * 0.25, where + ": Zipf, the ten most popular servers hold " + top10);
    assertTrue(backups.stream().anyMatch(b -> b.tags().isEmpty()), where);
    assertTrue(backups.stream().anyMatch(b -> b.tags().size() >= 8), where);
  }

  @Test
  void invalidInputsOfManySeedsAreAllRefusedAsDeclared() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    for (int i = 0; i < 25; i++) {
      long s = random.nextLong();
      List<InvalidInputs.Case> cases = InvalidInputs.withSeed(s).all();
      assertEquals(cases.toString(), InvalidInputs.withSeed(s).all().toString(), "seed " + s);
      for (InvalidInputs.Case c : cases) {
        try {
          c.assertRefused();
        } catch (AssertionError e) {
          throw new AssertionError("seed " + seed + ", generator seed " + s + ": " + e.getMessage(), e);
        }
      }
    }
  }

  // ---------------------------------------------------------------- Seeds

  @Test
  void seedsRunRefusesANullBodyNamingIt() {
    NullPointerException e = assertThrows(NullPointerException.class, () -> Seeds.run(1, null));
    assertTrue(e.getMessage().contains("body"), e.getMessage());
  }

  // ---------------------------------------------------------------- other writers

  @Test
  void actualTheRunnerDrivesARestoreAnotherWriterStartedAfterCompletingItsOwn() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    catalog.add(available(PROJECT, "r-9", BackupType.COMMON, T0));
    SimulatedJob job = jobs.startRestore(PROJECT, "r-9", JobPlan.DEFAULT);
    jobs.advance(Duration.ofMinutes(3));
    Backup b = catalog.get(PROJECT, "r-9");
    b = catalog.apply(PROJECT, "r-9", b.version(), Transition.complete()).orElseThrow();
    catalog.apply(PROJECT, "r-9", b.version(), Transition.restore()).orElseThrow();
    jobs.advance(Duration.ofMinutes(2));
    assertEquals(SimulatedJob.State.RUNNING, job.state());
    assertEquals(50, catalog.get(PROJECT, "r-9").progress().orElseThrow().percent());
    jobs.advance(Duration.ofMinutes(5));
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
    assertEquals(BackupStatus.AVAILABLE, catalog.get(PROJECT, "r-9").status(), "the other writer's restore completed by the runner");
  }

  @Test
  void aStalledJobWhoseBackupWasRemovedMayResumeAndEndsInterruptedAtTheNextAdvance() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = ReferenceCatalog.create(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock, 8);
    catalog.add(available(PROJECT, "gone", BackupType.COMMON, T0));
    SimulatedJob job = jobs.startDelete(PROJECT, "gone", JobPlan.DEFAULT.stallingAt(20));
    jobs.advance(Duration.ofMinutes(2));
    assertEquals(SimulatedJob.State.STALLED, job.state());
    Backup b = catalog.get(PROJECT, "gone");
    catalog.remove(PROJECT, "gone", b.version());
    jobs.resume(job);
    jobs.advance(Duration.ZERO);
    assertEquals(SimulatedJob.State.INTERRUPTED, job.state());
    assertEquals(Optional.of(T0.plus(Duration.ofMinutes(2))), job.endedAt());
    assertTrue(job.isDone());
    assertEquals(20, job.lastReportedPercent());
    assertThrows(IllegalStateException.class, () -> jobs.resume(job));
    assertEquals(Optional.empty(), catalog.find(PROJECT, "gone"));
  }

  // ---------------------------------------------------------------- the lifecycle the runner drives

  @Test
  void lifecycleStepsOnHandMadeBackupsKeepTheirDocumentedPromises() {
    Instant t = T0;
    Backup enhanced = available(PROJECT, "ℓ-1", BackupType.ENHANCED, t);
    Backup restoring = Lifecycle.instantRestore(enhanced, t);
    assertEquals(BackupStatus.RESTORING, restoring.status());
    assertEquals(enhanced.version() + 1, restoring.version());
    assertEquals(Optional.of(Progress.of(0, t)), restoring.progress());
    assertEquals(BackupStatus.AVAILABLE, enhanced.status(), "the input is never changed");
    Backup same = Lifecycle.reportProgress(restoring, 0, t.plusSeconds(60));
    assertSame(restoring, same, "the same percentage returns the backup itself");
    Backup at40 = Lifecycle.reportProgress(restoring, 40, t.plusSeconds(60));
    assertEquals(Progress.of(40, t.plusSeconds(60)), at40.progress().orElseThrow());
    InvalidValueException down = assertThrows(InvalidValueException.class, () -> Lifecycle.reportProgress(at40, 39, t.plusSeconds(61)));
    assertEquals("progress", down.field());
    InvalidValueException past = assertThrows(InvalidValueException.class, () -> Lifecycle.reportProgress(at40, 41, t.plusSeconds(59)));
    assertEquals("now", past.field());
    assertEquals(List.of("progress", "complete", "fail"), Lifecycle.allowedTransitions(at40));
    IllegalTransitionException busy = assertThrows(IllegalTransitionException.class, () -> Lifecycle.delete(at40, t.plusSeconds(61)));
    assertEquals("delete", busy.attempted());
    assertEquals(BackupStatus.RESTORING, busy.status());
    Backup done = Lifecycle.complete(at40, t.plusSeconds(61)).orElseThrow();
    assertEquals(Optional.of(t), done.finishedAt(), "a completed restore keeps the backup job's finish time");
    assertEquals(t.plusSeconds(61), done.updatedAt());
    IllegalTransitionException stable = assertThrows(IllegalTransitionException.class, () -> Lifecycle.complete(done, t.plusSeconds(62)));
    assertEquals("complete", stable.attempted());
    assertEquals(done.allowedOperations().size(), stable.allowed().size());
    Backup deleting = Lifecycle.delete(done, t.plusSeconds(62));
    assertEquals(Optional.empty(), Lifecycle.complete(deleting, t.plusSeconds(62)));
    // a stall exactly at, then just past, a threshold of one nanosecond and of the longest duration
    StallRule tiny = StallRule.ofThreshold(Duration.ofNanos(1));
    assertFalse(tiny.isStalled(at40, t.plusSeconds(60).plusNanos(1)));
    assertTrue(tiny.isStalled(at40, t.plusSeconds(60).plusNanos(2)));
    StallRule endless = StallRule.ofThreshold(Duration.ofSeconds(Long.MAX_VALUE));
    assertFalse(endless.isStalled(at40, Instant.MAX));
    assertEquals(Instant.MIN, endless.stalledIfChangedBefore(T0));
    assertFalse(StallRule.DEFAULT.isStalled(done, Instant.MAX), "only a running job can be stalled");
    InvalidValueException zero = assertThrows(InvalidValueException.class, () -> StallRule.ofThreshold(Duration.ZERO));
    assertEquals("stall threshold", zero.field());
    assertEquals(io.csbs.ErrorCode.BACKUP_BUSY, busy.code(), "a job runs: busy");
    // an Error backup (here a failed instant restore) allows only a delete; a restore is refused, not busy
    Backup error = Lifecycle.fail(Lifecycle.instantRestore(done, t.plusSeconds(70)), "gone", t.plusSeconds(71));
    assertEquals(BackupStatus.ERROR, error.status());
    assertEquals(JobType.RESTORE, error.failure().orElseThrow().job());
    assertEquals(List.of("delete"), Lifecycle.allowedTransitions(error));
    IllegalTransitionException refused = assertThrows(IllegalTransitionException.class, () -> Lifecycle.restore(error, t.plusSeconds(72)));
    assertEquals(io.csbs.ErrorCode.TRANSITION_NOT_ALLOWED, refused.code());
    assertEquals(List.of("delete"), refused.allowed());
    assertTrue(refused.getMessage().contains("restore") && refused.getMessage().contains("delete"), refused.getMessage());
  }

  // ---------------------------------------------------------------- generated values of the runner

  @Test
  void startedBackupsAreManualUuidNamedAroundFortyGigabytesAndEnhancedOneTimeInFive() {
    long seed = new Random().nextLong();
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = ReferenceCatalog.create(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock, seed);
    List<Long> sizes = new ArrayList<>();
    int enhanced = 0;
    Set<String> ids = new TreeSet<>();
    for (int i = 0; i < 2000; i++) {
      SimulatedJob job = jobs.startBackup(i % 2 == 0 ? PROJECT : "other", SERVER, JobPlan.DEFAULT);
      Backup b = catalog.get(job.projectId(), job.backupId());
      String it = "seed " + seed + ": " + b;
      assertTrue(UUID4.matcher(b.id()).matches(), it);
      assertTrue(ids.add(b.id()), it);
      assertTrue(b.name().matches("manualbk_[0-9a-f]{4}"), it);
      assertEquals(BackupTrigger.MANUAL, b.trigger(), it);
      assertEquals(SERVER, b.server(), it);
      assertEquals(T0, b.createdAt(), it);
      assertTrue(b.sizeMb() >= 1024 && b.sizeMb() <= 16L * 1024 * 1024, it);
      sizes.add(b.sizeMb());
      enhanced += b.type() == BackupType.ENHANCED ? 1 : 0;
    }
    sizes.sort(null);
    long median = sizes.get(1000);
    assertTrue(median > 35_000 && median < 47_000, "seed " + seed + ": median " + median);
    assertTrue(enhanced > 330 && enhanced < 470, "seed " + seed + ": enhanced " + enhanced + " of 2000");
    assertEquals(2000, jobs.jobs().size());
  }

  @Test
  void aFailureReasonIsKeptAsGivenUpToItsLongestAndRefusedOneCharLonger() {
    String padded = "  " + "é".repeat(Failure.MAX_REASON_LENGTH - 4) + "  ";
    JobPlan plan = JobPlan.taking(Duration.ofSeconds(2)).failingAt(50, padded);
    assertEquals(Optional.of(padded), plan.failureReason());
    InvalidValueException tooLong = assertThrows(InvalidValueException.class,
        () -> JobPlan.DEFAULT.failingAt(50, padded + "x"));
    assertEquals("failure reason", tooLong.field());
    InvalidValueException blank = assertThrows(InvalidValueException.class, () -> JobPlan.DEFAULT.failingAt(50, "\t \n"));
    assertEquals("failure reason", blank.field());
    IllegalArgumentException percent = assertThrows(IllegalArgumentException.class, () -> JobPlan.DEFAULT.stallingAt(101));
    assertTrue(percent.getMessage().contains("percent") && percent.getMessage().contains("101"), percent.getMessage());
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(PROJECT, SERVER, plan);
    jobs.advance(Duration.ofSeconds(1));
    assertEquals(Optional.of(Failure.of(JobType.BACKUP, padded, T0.plusSeconds(1))), catalog.get(PROJECT, job.backupId()).failure());
  }

  @Test
  void generatedCreatingBackupsRunFromTheirOwnProgressAndAllCompleteAfterTheirDuration() {
    long seed = new Random().nextLong();
    List<Backup> generated = BackupGenerator.builder().seed(seed).projects(3).servers(50).build().backups(2500);
    FakeClock clock = FakeClock.create(); // the generator's default window ends here
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock, seed);
    catalog.addAll(generated.stream().filter(b -> b.status() != BackupStatus.CREATING).toList());
    Map<SimulatedJob, Backup> started = new HashMap<>();
    for (Backup b : generated) {
      if (b.status() == BackupStatus.CREATING) {
        started.put(jobs.startBackup(b, JobPlan.DEFAULT), b);
      }
    }
    assertTrue(started.size() > 30, "seed " + seed + ": about 3% Creating: " + started.size());
    for (int minute = 1; minute <= 9; minute++) {
      jobs.advance(Duration.ofMinutes(1));
      for (Map.Entry<SimulatedJob, Backup> e : started.entrySet()) {
        Progress from = e.getValue().progress().orElseThrow();
        Progress now = catalog.get(e.getKey().projectId(), e.getKey().backupId()).progress().orElseThrow();
        String it = "seed " + seed + ", minute " + minute + ": " + e.getKey() + " from " + from;
        if (from.percent() >= 10 * minute) {
          assertEquals(from, now, it);
        } else {
          int firstAbove = from.percent() / 10 + 1; // the first minute whose report is above the start
          assertEquals(Progress.of(10 * minute, FakeClock.DEFAULT_START.plus(Duration.ofMinutes(minute))), now, it + " (first report at minute " + firstAbove + ")");
        }
      }
    }
    jobs.advance(Duration.ofMinutes(1));
    Instant end = FakeClock.DEFAULT_START.plus(Duration.ofMinutes(10));
    for (SimulatedJob job : started.keySet()) {
      assertEquals(SimulatedJob.State.SUCCEEDED, job.state(), "seed " + seed + ": " + job);
      Backup b = catalog.get(job.projectId(), job.backupId());
      assertEquals(BackupStatus.AVAILABLE, b.status());
      assertEquals(Optional.of(end), b.finishedAt());
      assertEquals(started.get(job).tags(), b.tags(), "the generated values stay");
    }
    assertEquals(0, catalog.count("project-0", Predicates.status(BackupStatus.CREATING)));
  }

  // ---------------------------------------------------------------- queries drawn from whitespace-laden names

  @Test
  void queriesDrawnFromServerNamesWithOddWhitespaceAreValidAndBothCatalogsAgree() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    String[] serverNames = {"  web  01  ", "\tdb\u00A0primary\n", "x\u2003y", "e\u0301cole \u00e9cole", "a", "ﬀ ß ǅ", " 𝒜 ", "-"};
    String project = "Ω project";
    FakeClock clock = FakeClock.at(T0);
    List<Backup> backups = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      Server server = Server.of("srv-" + (i % serverNames.length), serverNames[i % serverNames.length], "z-" + (i % 2));
      BackupStatus status = i % 9 == 0 ? BackupStatus.DELETING : i % 10 == 0 ? BackupStatus.ERROR : BackupStatus.AVAILABLE;
      Instant created = T0.minusSeconds(random.nextInt(400 * 86_400));
      Backup.Builder b = Backup.builder()
          .id("id " + i)
          .name(i % 3 == 0 ? "é" + i : "bk_" + Integer.toHexString(random.nextInt(1 << 16)))
          .projectId(project)
          .server(server)
          .status(status)
          .sizeMb(random.nextInt(1 << 20))
          .createdAt(created)
          .addTags(Tag.of("k" + (i % 4), i % 5 == 0 ? "" : "v" + (i % 3)));
      if (status == BackupStatus.DELETING) {
        Instant changed = created.plusSeconds(random.nextInt(3600));
        b.progress(Progress.of(random.nextInt(101), changed)).updatedAt(changed);
      } else if (status == BackupStatus.ERROR) {
        b.failure(Failure.of(JobType.BACKUP, "x", created));
      }
      Backup built = b.build();
      backups.add(built);
    }
    ReferenceCatalog reference = ReferenceCatalog.create(clock);
    BackupCatalog catalog = Catalogs.indexed(clock);
    reference.addAll(backups);
    catalog.addAll(backups);
    QueryGenerator queries = QueryGenerator.create(seed, backups);
    for (int i = 0; i < 600; i++) {
      Query query;
      try {
        query = queries.nextQuery();
      } catch (RuntimeException e) {
        throw new AssertionError("seed " + seed + ", query " + i + ": the generator made an invalid criterion: " + e, e);
      }
      assertEquals(reference.query(project, query), catalog.query(project, query), "seed " + seed + ": " + query);
    }
  }

  // ---------------------------------------------------------------- another thread changes the catalog

  @Test
  void backupsRemovedByAnotherThreadWhileTheJobsRunEndTheirJobsAsInterrupted() throws Exception {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock, 11);
    List<SimulatedJob> started = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      String id = "t-" + i;
      catalog.add(available(PROJECT, id, BackupType.COMMON, T0));
      JobPlan plan = JobPlan.taking(Duration.ofHours(10)).reportingEvery(Duration.ofSeconds(1 + i));
      started.add(i % 3 == 0 ? jobs.startDelete(PROJECT, id, plan.stallingAt(i % 50)) : jobs.startRestore(PROJECT, id, plan));
    }
    List<Throwable> problems = java.util.Collections.synchronizedList(new ArrayList<>());
    Thread remover = new Thread(() -> {
      for (int i = 59; i >= 0; i--) {
        String id = "t-" + i;
        for (int attempt = 0; ; attempt++) {
          try {
            catalog.remove(PROJECT, id, catalog.get(PROJECT, id).version());
            break;
          } catch (io.csbs.catalog.VersionConflictException retry) {
            if (attempt > 10_000) {
              problems.add(retry);
              return;
            }
          } catch (Throwable e) {
            problems.add(e);
            return;
          }
        }
      }
    });
    remover.start();
    for (int step = 0; step < 300 && remover.isAlive(); step++) {
      jobs.advance(Duration.ofSeconds(7));
    }
    remover.join(30_000);
    assertFalse(remover.isAlive(), "the remover hangs");
    assertEquals(List.of(), problems);
    jobs.advance(Duration.ZERO);
    for (SimulatedJob job : started) {
      assertEquals(SimulatedJob.State.INTERRUPTED, job.state(), job.toString());
      assertTrue(job.endedAt().isPresent() && !job.endedAt().get().isAfter(clock.instant()), job.toString());
      assertTrue(job.toString().contains("removed by another writer"), job.toString());
    }
    assertEquals(0, catalog.count(PROJECT, Predicates.all()));
  }

  // ---------------------------------------------------------------- order of the changes of many jobs

  @Test
  void theChangesOfManyJobsComeInTimeOrderAndAtOneInstantInTheOrderTheJobsStarted() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock, seed);
    String[] projects = {"a", "β", "c c", "d"};
    Map<String, Integer> startOrder = new HashMap<>();
    for (int i = 0; i < 40; i++) {
      String project = projects[random.nextInt(projects.length)];
      JobPlan plan = JobPlan.taking(Duration.ofMinutes(1 + random.nextInt(12))).reportingEvery(Duration.ofMinutes(1 + random.nextInt(3)));
      if (random.nextInt(4) == 0) {
        plan = plan.failingAt(random.nextInt(101), "f" + i);
      } else if (random.nextInt(4) == 0) {
        plan = plan.stallingAt(random.nextInt(101));
      }
      SimulatedJob job;
      if (random.nextBoolean()) {
        job = jobs.startBackup(project, SERVER, plan);
      } else {
        catalog.add(available(project, "o-" + i, BackupType.ENHANCED, clock.instant()));
        job = random.nextBoolean() ? jobs.startDelete(project, "o-" + i, plan) : jobs.startInstantRestore(project, "o-" + i, plan);
      }
      startOrder.put(job.projectId() + "/" + job.backupId(), i);
      if (random.nextInt(5) == 0) {
        jobs.advance(Duration.ofMinutes(random.nextInt(2)));
      }
    }
    List<long[]> seen = new ArrayList<>(); // {instant nanos since T0, start order}
    catalog.subscribe(change -> {
      Instant at = change.after().map(Backup::updatedAt).orElse(clock.instant());
      seen.add(new long[] {Duration.between(T0, at).toNanos(), startOrder.get(change.projectId() + "/" + change.backupId())});
    });
    jobs.advance(Duration.ofMinutes(7));
    jobs.advance(Duration.ofMinutes(20));
    assertFalse(seen.isEmpty());
    for (int i = 1; i < seen.size(); i++) {
      long[] a = seen.get(i - 1);
      long[] b = seen.get(i);
      String where = "seed " + seed + ", change " + i + ": " + java.util.Arrays.toString(a) + " then " + java.util.Arrays.toString(b);
      assertTrue(a[0] <= b[0], "time order, " + where);
      if (a[0] == b[0]) {
        assertTrue(a[1] <= b[1], "start order at one instant, " + where);
      }
    }
  }
}
