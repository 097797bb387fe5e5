package io.csbs.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupType;
import io.csbs.backup.Failure;
import io.csbs.backup.JobType;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The job runner, against the library's indexed catalog and the plain scan reference alike. */
class SimulatedJobsTest {
  private static final String PROJECT = "project-1";
  private static final Server WEB = Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-web-01", "eu-de-02");
  private static final Instant START = FakeClock.DEFAULT_START;

  /** The catalogs every behaviour must hold on. */
  enum Kind {
    INDEXED {
      @Override
      BackupCatalog on(FakeClock clock) {
        return Catalogs.indexed(clock);
      }
    },
    REFERENCE {
      @Override
      BackupCatalog on(FakeClock clock) {
        return ReferenceCatalog.create(clock);
      }
    };

    abstract BackupCatalog on(FakeClock clock);
  }

  private FakeClock clock;
  private BackupCatalog catalog;
  private SimulatedJobs jobs;

  private void setUp(Kind kind) {
    clock = FakeClock.at(START);
    catalog = kind.on(clock);
    jobs = SimulatedJobs.create(catalog, clock, 7);
  }

  private Backup backupOf(SimulatedJob job) {
    return catalog.get(job.projectId(), job.backupId());
  }

  private int percentOf(SimulatedJob job) {
    return backupOf(job).progress().orElseThrow().percent();
  }

  /** An Available backup made a day ago, of the given type. */
  private Backup available(String id, BackupType type) {
    Backup backup = Backup.builder().id(id).name("manualbk_" + id).projectId(PROJECT).server(WEB)
        .status(BackupStatus.AVAILABLE).type(type).sizeMb(40_960)
        .createdAt(START.minus(Duration.ofDays(1))).finishedAt(START.minus(Duration.ofHours(23))).build();
    catalog.add(backup);
    return backup;
  }

  // ---------------------------------------------------------------- the three jobs

  @ParameterizedTest
  @EnumSource(Kind.class)
  void backupJobStartsCreatingAtZeroReportsRisingProgressAndEndsAvailable(Kind kind) {
    setUp(kind);
    SimulatedJob job = jobs.startBackup(PROJECT, WEB, JobPlan.taking(Duration.ofMinutes(10)));

    Backup created = backupOf(job);
    assertEquals(BackupStatus.CREATING, created.status());
    assertEquals(Optional.of(Progress.of(0, START)), created.progress());
    assertEquals(START, created.createdAt());
    assertEquals(WEB, created.server());
    assertTrue(created.name().startsWith("manualbk_"), created.name());
    assertEquals(JobType.BACKUP, job.type());

    List<Integer> seen = new ArrayList<>();
    for (int step = 0; step < 19; step++) {
      jobs.advance(Duration.ofSeconds(30));
      seen.add(percentOf(job));
    }
    assertEquals(List.of(0, 10, 10, 20, 20, 30, 30, 40, 40, 50, 50, 60, 60, 70, 70, 80, 80, 90, 90), seen,
        "a report a minute, each the share of the 10 minutes that has passed");
    assertEquals(START.plus(Duration.ofMinutes(9)), backupOf(job).progress().orElseThrow().changedAt());
    assertEquals(SimulatedJob.State.RUNNING, job.state());

    jobs.advance(Duration.ofSeconds(30));
    Backup done = backupOf(job);
    assertEquals(BackupStatus.AVAILABLE, done.status());
    assertEquals(Optional.of(START.plus(Duration.ofMinutes(10))), done.finishedAt());
    assertEquals(11, done.version(), "one add, nine reports, one completion");
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
    assertTrue(job.isDone());
    assertEquals(Optional.of(START.plus(Duration.ofMinutes(10))), job.endedAt());
    assertEquals(90, job.lastReportedPercent());
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void restoreJobTurnsAnAvailableBackupRestoringThenAvailableAgain(Kind kind) {
    setUp(kind);
    Backup backup = available("b-1", BackupType.COMMON);
    SimulatedJob job = jobs.startRestore(PROJECT, "b-1", JobPlan.taking(Duration.ofMinutes(5)));

    assertEquals(BackupStatus.RESTORING, backupOf(job).status());
    assertEquals(0, percentOf(job));
    assertEquals(JobType.RESTORE, job.type());
    jobs.advance(Duration.ofMinutes(3));
    assertEquals(60, percentOf(job));
    jobs.advance(Duration.ofMinutes(2));
    Backup restored = backupOf(job);
    assertEquals(BackupStatus.AVAILABLE, restored.status());
    assertEquals(backup.finishedAt(), restored.finishedAt(), "a restore does not change when the backup was made");
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void instantRestoreRunsOnAnEnhancedBackupAndIsRefusedOnACommonOne(Kind kind) {
    setUp(kind);
    available("common", BackupType.COMMON);
    available("enhanced", BackupType.ENHANCED);

    assertThrows(IllegalTransitionException.class, () -> jobs.startInstantRestore(PROJECT, "common"));
    assertEquals(List.of(), jobs.jobs(), "a refused start makes no job");
    assertEquals(1, catalog.get(PROJECT, "common").version());

    SimulatedJob job = jobs.startInstantRestore(PROJECT, "enhanced");
    assertEquals(BackupStatus.RESTORING, backupOf(job).status());
    jobs.advance(JobPlan.DEFAULT.duration());
    assertEquals(BackupStatus.AVAILABLE, backupOf(job).status());
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void deleteJobRemovesTheBackupWhenItCompletes(Kind kind) {
    setUp(kind);
    available("b-1", BackupType.COMMON);
    SimulatedJob job = jobs.startDelete(PROJECT, "b-1", JobPlan.taking(Duration.ofMinutes(4)));

    assertEquals(BackupStatus.DELETING, backupOf(job).status());
    jobs.advance(Duration.ofMinutes(2));
    assertEquals(50, percentOf(job));
    assertEquals(1, catalog.count(PROJECT, Predicates.all()), "a backup being deleted is still listed");

    jobs.advance(Duration.ofMinutes(2));
    assertEquals(Optional.empty(), catalog.find(PROJECT, "b-1"));
    assertEquals(0, catalog.count(PROJECT, Predicates.all()));
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void aBusyBackupRefusesASecondJob(Kind kind) {
    setUp(kind);
    available("b-1", BackupType.ENHANCED);
    jobs.startRestore(PROJECT, "b-1");

    assertThrows(IllegalTransitionException.class, () -> jobs.startDelete(PROJECT, "b-1"));
    assertEquals(1, jobs.jobs().size());
  }

  // ---------------------------------------------------------------- injected failures

  @ParameterizedTest
  @EnumSource(Kind.class)
  void injectedFailureMovesTheBackupToErrorWithTheReasonWhenTheProgressWouldReachItsPercent(Kind kind) {
    setUp(kind);
    SimulatedJob job = jobs.startBackup(PROJECT, WEB,
        JobPlan.taking(Duration.ofMinutes(10)).failingAt(60, "agent not reachable"));

    jobs.advance(Duration.ofMinutes(6).minusSeconds(1));
    assertEquals(BackupStatus.CREATING, backupOf(job).status());
    assertEquals(50, percentOf(job));

    jobs.advance(Duration.ofSeconds(1));
    Backup failed = backupOf(job);
    assertEquals(BackupStatus.ERROR, failed.status());
    Instant failedAt = START.plus(Duration.ofMinutes(6));
    assertEquals(Optional.of(Failure.of(JobType.BACKUP, "agent not reachable", failedAt)), failed.failure());
    assertEquals(SimulatedJob.State.FAILED, job.state());
    assertEquals(Optional.of(failedAt), job.endedAt());
    assertEquals(50, job.lastReportedPercent(), "the failure percent itself is never reported");

    jobs.advance(Duration.ofHours(1));
    assertEquals(failed, backupOf(job), "a failed job changes nothing more");
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void failedRestoreLeavesAnErrorBackupThatOnlyADeleteRemoves(Kind kind) {
    setUp(kind);
    available("b-1", BackupType.COMMON);
    SimulatedJob restore = jobs.startRestore(PROJECT, "b-1", JobPlan.DEFAULT.failingAt(30, "target disk detached"));
    jobs.advance(Duration.ofMinutes(5));
    assertEquals(JobType.RESTORE, backupOf(restore).failure().orElseThrow().job());

    assertThrows(IllegalTransitionException.class, () -> jobs.startRestore(PROJECT, "b-1"));
    SimulatedJob delete = jobs.startDelete(PROJECT, "b-1");
    assertEquals("target disk detached", backupOf(delete).failure().orElseThrow().reason(),
        "the reason stays visible while the Error backup is deleted");
    jobs.advance(JobPlan.DEFAULT.duration());
    assertEquals(Optional.empty(), catalog.find(PROJECT, "b-1"));
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void aFailureAtZeroHappensAtTheNextAdvanceAndOneAtHundredInsteadOfCompleting(Kind kind) {
    setUp(kind);
    SimulatedJob atOnce = jobs.startBackup(PROJECT, WEB, JobPlan.DEFAULT.failingAt(0, "no capacity"));
    SimulatedJob atEnd = jobs.startBackup(PROJECT, WEB, JobPlan.DEFAULT.failingAt(100, "upload lost"));

    jobs.advance(Duration.ZERO);
    assertEquals(SimulatedJob.State.FAILED, atOnce.state());
    assertEquals(START, backupOf(atOnce).failure().orElseThrow().failedAt());
    jobs.advance(JobPlan.DEFAULT.duration());
    assertEquals(BackupStatus.ERROR, backupOf(atEnd).status());
    assertEquals(90, atEnd.lastReportedPercent());
  }

  // ---------------------------------------------------------------- injected stalls

  @ParameterizedTest
  @EnumSource(Kind.class)
  void injectedStallIsFoundByStalledOnlyOnceTheThresholdHasPassed(Kind kind) {
    setUp(kind);
    SimulatedJob healthy = jobs.startBackup(PROJECT, WEB, JobPlan.taking(Duration.ofHours(3)));
    SimulatedJob stuck = jobs.startBackup(PROJECT, WEB, JobPlan.taking(Duration.ofMinutes(10)).stallingAt(40));

    jobs.advance(Duration.ofMinutes(4));
    assertEquals(40, percentOf(stuck));
    assertEquals(SimulatedJob.State.STALLED, stuck.state());
    assertFalse(stuck.isDone(), "a stalled job has not ended");
    Instant lastReport = START.plus(Duration.ofMinutes(4));
    assertEquals(lastReport, backupOf(stuck).progress().orElseThrow().changedAt());

    jobs.advance(StallRule.DEFAULT_THRESHOLD);
    assertEquals(0, catalog.count(PROJECT, Predicates.stalled()), "exactly at the threshold it is not stalled yet");
    assertEquals(40, percentOf(stuck), "a stalled job reports nothing more");

    jobs.advance(Duration.ofSeconds(1));
    assertEquals(1, catalog.count(PROJECT, Predicates.stalled()));
    assertEquals(List.of(stuck.backupId()), catalog.query(PROJECT, Query.where(Predicates.stalled())).ids());
    assertEquals(SimulatedJob.State.RUNNING, healthy.state());
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void aResumedJobReportsAgainFromWhereItStoppedAndCompletesAfterTheRestOfItsDuration(Kind kind) {
    setUp(kind);
    SimulatedJob job = jobs.startBackup(PROJECT, WEB, JobPlan.taking(Duration.ofMinutes(10)).stallingAt(40));
    jobs.advance(Duration.ofHours(1));
    assertEquals(1, catalog.count(PROJECT, Predicates.stalled()));

    jobs.resume(job);
    assertEquals(SimulatedJob.State.RUNNING, job.state());
    jobs.advance(Duration.ofMinutes(1));
    assertEquals(50, percentOf(job));
    assertEquals(0, catalog.count(PROJECT, Predicates.stalled()));
    jobs.advance(Duration.ofMinutes(5).minusSeconds(1));
    assertEquals(BackupStatus.CREATING, backupOf(job).status());
    jobs.advance(Duration.ofSeconds(1));
    assertEquals(BackupStatus.AVAILABLE, backupOf(job).status());
    assertEquals(Optional.of(START.plus(Duration.ofMinutes(66))), job.endedAt());
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void aStallAtZeroNeverReportsAndOneAtHundredNeverCompletes(Kind kind) {
    setUp(kind);
    SimulatedJob silent = jobs.startBackup(PROJECT, WEB, JobPlan.DEFAULT.stallingAt(0));
    SimulatedJob almost = jobs.startBackup(PROJECT, WEB, JobPlan.DEFAULT.stallingAt(100));

    jobs.advance(Duration.ofHours(2));
    assertEquals(Progress.of(0, START), backupOf(silent).progress().orElseThrow());
    assertEquals(Progress.of(100, START.plus(JobPlan.DEFAULT.duration())), backupOf(almost).progress().orElseThrow());
    assertEquals(BackupStatus.CREATING, backupOf(almost).status());
    assertEquals(2, catalog.count(PROJECT, Predicates.stalled()));
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void aFailurePlannedAtTheStallPercentWins(Kind kind) {
    setUp(kind);
    SimulatedJob job = jobs.startBackup(PROJECT, WEB, JobPlan.DEFAULT.stallingAt(50).failingAt(50, "disk full"));
    jobs.advance(Duration.ofMinutes(5));
    assertEquals(SimulatedJob.State.FAILED, job.state());
  }

  // ---------------------------------------------------------------- time

  @ParameterizedTest
  @EnumSource(Kind.class)
  void oneLongAdvanceDatesEveryChangeAtItsOwnInstantInTimeOrder(Kind kind) {
    setUp(kind);
    SimulatedJob job = jobs.startBackup(PROJECT, WEB,
        JobPlan.taking(Duration.ofMinutes(7)).reportingEvery(Duration.ofSeconds(50)));
    SimulatedJob other = jobs.startBackup(PROJECT, WEB, JobPlan.taking(Duration.ofMinutes(2)));

    jobs.advance(Duration.ofMinutes(3));
    // reports at 50 s, 100 s and 150 s of 420: the last 35%, dated at 150 s, not when advance returned
    assertEquals(Progress.of(35, START.plusSeconds(150)), backupOf(job).progress().orElseThrow());
    assertEquals(START.plus(Duration.ofMinutes(2)), backupOf(other).updatedAt());
    assertEquals(START.plus(Duration.ofMinutes(3)), clock.instant());
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void jobsCatchUpAtTheNextAdvanceWhenTheTestMovesTheClockItself(Kind kind) {
    setUp(kind);
    SimulatedJob job = jobs.startBackup(PROJECT, WEB, JobPlan.DEFAULT);
    clock.advance(Duration.ofMinutes(5));
    assertEquals(0, percentOf(job));

    jobs.advance(Duration.ZERO);
    assertEquals(Progress.of(50, START.plus(Duration.ofMinutes(5))), backupOf(job).progress().orElseThrow());
  }

  // ---------------------------------------------------------------- other writers

  @ParameterizedTest
  @EnumSource(Kind.class)
  void anotherWritersProgressReportIsBuiltOnNotOverwritten(Kind kind) {
    setUp(kind);
    SimulatedJob job = jobs.startBackup(PROJECT, WEB, JobPlan.DEFAULT);
    jobs.advance(Duration.ofMinutes(1));
    Backup mine = backupOf(job);
    catalog.apply(PROJECT, job.backupId(), mine.version(), Transition.reportProgress(15));

    jobs.advance(Duration.ofMinutes(1));
    assertEquals(20, percentOf(job), "retried on the current version");
    Backup theirs = catalog.apply(PROJECT, job.backupId(), backupOf(job).version(), Transition.reportProgress(75))
        .orElseThrow();

    jobs.advance(Duration.ofMinutes(5));
    assertEquals(75, percentOf(job), "a lower report than another writer's is dropped, progress never goes down");
    assertEquals(theirs, backupOf(job));
    jobs.advance(Duration.ofMinutes(1));
    assertEquals(80, percentOf(job));
    jobs.advance(Duration.ofMinutes(2));
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void aStalledJobWhoseBackupAnotherWriterFailedEndsInterruptedAtTheNextAdvanceAndLeavesTheirChange(Kind kind) {
    setUp(kind);
    SimulatedJob job = jobs.startBackup(PROJECT, WEB, JobPlan.DEFAULT.stallingAt(20));
    jobs.advance(Duration.ofMinutes(45));
    // a watchdog fails the stalled job
    Backup stalled = catalog.query(PROJECT, Query.where(Predicates.stalled())).backups().get(0);
    Backup failed = catalog.apply(PROJECT, stalled.id(), stalled.version(), Transition.fail("stalled for 30 minutes"))
        .orElseThrow();
    assertEquals(SimulatedJob.State.STALLED, job.state(), "not noticed before the next advance");

    jobs.advance(Duration.ZERO);
    assertEquals(SimulatedJob.State.INTERRUPTED, job.state());
    assertTrue(job.isDone());
    assertEquals(Optional.of(START.plus(Duration.ofMinutes(45))), job.endedAt());
    assertEquals(failed, backupOf(job));
    assertTrue(job.toString().contains("another writer"), job.toString());
    assertThrows(IllegalStateException.class, () -> jobs.resume(job));
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void aRunningJobWhoseBackupAnotherWriterCompletedEndsInterruptedAtItsNextChange(Kind kind) {
    setUp(kind);
    SimulatedJob job = jobs.startBackup(PROJECT, WEB, JobPlan.DEFAULT);
    jobs.advance(Duration.ofSeconds(90));
    Backup available = catalog.apply(PROJECT, job.backupId(), backupOf(job).version(), Transition.complete())
        .orElseThrow();

    jobs.advance(Duration.ofSeconds(30));
    assertEquals(SimulatedJob.State.INTERRUPTED, job.state());
    assertEquals(Optional.of(START.plus(Duration.ofMinutes(2))), job.endedAt());
    assertEquals(available, backupOf(job));
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void aJobWhoseBackupAnotherWriterRemovedEndsInterrupted(Kind kind) {
    setUp(kind);
    SimulatedJob removed = jobs.startBackup(PROJECT, WEB, JobPlan.DEFAULT);
    SimulatedJob kept = jobs.startBackup(PROJECT, WEB, JobPlan.DEFAULT);
    jobs.advance(Duration.ofMinutes(2));
    catalog.remove(PROJECT, removed.backupId(), backupOf(removed).version());

    jobs.advance(Duration.ofMinutes(10));
    assertEquals(SimulatedJob.State.INTERRUPTED, removed.state());
    assertEquals(Optional.of(START.plus(Duration.ofMinutes(3))), removed.endedAt());
    assertEquals(SimulatedJob.State.SUCCEEDED, kept.state());
  }

  // ---------------------------------------------------------------- starting and misuse

  @ParameterizedTest
  @EnumSource(Kind.class)
  void startsTheBackupJobOfAGivenCreatingBackupFromItsProgress(Kind kind) {
    setUp(kind);
    Backup creating = Backup.builder().id("b-mine").name("autobk_0001").projectId(PROJECT).server(WEB)
        .status(BackupStatus.CREATING).progress(Progress.of(25, START)).type(BackupType.ENHANCED)
        .sizeMb(1024).createdAt(START).build();
    SimulatedJob job = jobs.startBackup(creating, JobPlan.DEFAULT);

    assertEquals("b-mine", job.backupId());
    assertEquals(25, job.lastReportedPercent());
    jobs.advance(Duration.ofMinutes(2));
    assertEquals(25, percentOf(job), "reports below the starting progress are not made");
    jobs.advance(Duration.ofMinutes(1));
    assertEquals(30, percentOf(job));
  }

  @Test
  void refusesToStartABackupJobOfABackupThatIsNotCreatingOrChangedLater() {
    setUp(Kind.REFERENCE);
    Backup available = Backup.builder().id("b-1").name("manualbk_1").projectId(PROJECT).server(WEB)
        .status(BackupStatus.AVAILABLE).sizeMb(1024).createdAt(START).build();
    assertThrows(IllegalArgumentException.class, () -> jobs.startBackup(available, JobPlan.DEFAULT));
    Backup future = Backup.builder().id("b-2").name("manualbk_2").projectId(PROJECT).server(WEB)
        .status(BackupStatus.CREATING).progress(Progress.of(0, START.plusSeconds(1))).sizeMb(1024)
        .createdAt(START.plusSeconds(1)).build();
    assertThrows(IllegalArgumentException.class, () -> jobs.startBackup(future, JobPlan.DEFAULT));
    assertEquals(0, catalog.count(PROJECT, Predicates.all()));
  }

  @Test
  void refusesANegativeAdvanceAndResumingAJobThatIsNotStalledOrNotItsOwn() {
    setUp(Kind.INDEXED);
    SimulatedJob running = jobs.startBackup(PROJECT, WEB);
    SimulatedJob foreign = SimulatedJobs.create(catalog, clock, 8).startBackup(PROJECT, WEB, JobPlan.DEFAULT.stallingAt(0));

    assertThrows(IllegalArgumentException.class, () -> jobs.advance(Duration.ofSeconds(-1)));
    assertEquals(START, clock.instant());
    assertThrows(IllegalStateException.class, () -> jobs.resume(running));
    assertThrows(IllegalArgumentException.class, () -> jobs.resume(foreign));
  }

  @Test
  void runnersWithOneSeedMakeIdenticalBackupsOnTwoCatalogs() {
    FakeClock oneClock = FakeClock.at(START);
    FakeClock otherClock = FakeClock.at(START);
    BackupCatalog one = Catalogs.indexed(oneClock);
    BackupCatalog other = ReferenceCatalog.create(otherClock);
    SimulatedJobs first = SimulatedJobs.create(one, oneClock, 42);
    SimulatedJobs second = SimulatedJobs.create(other, otherClock, 42);
    for (int i = 0; i < 20; i++) {
      SimulatedJob a = first.startBackup(PROJECT, WEB);
      SimulatedJob b = second.startBackup(PROJECT, WEB);
      assertEquals(one.get(PROJECT, a.backupId()), other.get(PROJECT, b.backupId()));
    }
    SimulatedJob differentSeed = SimulatedJobs.create(other, otherClock, 43).startBackup(PROJECT, WEB);
    assertEquals(21, other.count(PROJECT, Predicates.all()), "another seed makes other ids: " + differentSeed);
  }

  @Test
  void listsItsJobsInTheOrderStarted() {
    setUp(Kind.INDEXED);
    SimulatedJob first = jobs.startBackup(PROJECT, WEB);
    jobs.advance(JobPlan.DEFAULT.duration());
    SimulatedJob second = jobs.startDelete(PROJECT, first.backupId());
    assertEquals(List.of(first, second), jobs.jobs());
    assertTrue(jobs.toString().contains("2 jobs, 1 running"), jobs.toString());
  }
}
