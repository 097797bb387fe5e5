package io.csbs.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.BackupType;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.JobType;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.BackupNotFoundException;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.Change;
import io.csbs.catalog.DuplicateBackupException;
import io.csbs.catalog.Subscription;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaExceededException;
import io.csbs.usage.UsageQuery;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

/**
 * A new user's deep look at the testkit's simulation (SimulatedJobs, SimulatedJob, JobPlan,
 * FakeClock, Seeds, ReferenceCatalog), written from the README and the javadoc only.
 */
class NewUserSimulationDeepTest {
  private static final String P = "projekt-Ωmega_01";
  private static final Server SERVER =
      Server.of("0b6a8e1c-2f3d-4e5f-8a9b-0c1d2e3f4a5b", "srv-äöü-Ж", "eu-de-01");

  private static Instant t0() {
    return FakeClock.DEFAULT_START;
  }

  private static Backup available(String id, String projectId, BackupType type, Instant at) {
    return Backup.builder().id(id).name("bk-" + id).projectId(projectId).server(SERVER)
        .status(BackupStatus.AVAILABLE).type(type).trigger(BackupTrigger.MANUAL).sizeMb(2048)
        .createdAt(at).build();
  }

  private static Backup creating(String id, String projectId, int percent, Instant at) {
    return Backup.builder().id(id).name("bk-" + id).projectId(projectId).server(SERVER)
        .status(BackupStatus.CREATING).progress(Progress.of(percent, at)).type(BackupType.COMMON)
        .trigger(BackupTrigger.MANUAL).sizeMb(4096).createdAt(at).build();
  }

  private static int progressOf(BackupCatalog catalog, String projectId, String id) {
    return catalog.get(projectId, id).progress().orElseThrow().percent();
  }

  // ---------------------------------------------------------------- FakeClock

  @Test
  void fakeClockJavadocExampleAndDefaults() {
    FakeClock clock = FakeClock.at(Instant.parse("2026-11-24T10:00:00Z"));
    assertEquals(ZoneOffset.UTC, clock.getZone());
    assertEquals(Instant.parse("2026-11-24T10:31:00Z"), clock.advance(Duration.ofMinutes(31)));
    assertEquals(Instant.parse("2026-11-24T10:31:00Z"), clock.instant());
    assertEquals(Instant.parse("2026-01-01T00:00:00Z"), FakeClock.create().instant());
    assertEquals(FakeClock.DEFAULT_START, FakeClock.create().instant());
    // stands still
    assertEquals(clock.instant(), clock.instant());
  }

  @Test
  void fakeClockRefusesNegativeAndOverflowNamingDurationAndChangesNothing() {
    FakeClock clock = FakeClock.at(Instant.MAX.minusSeconds(1));
    IllegalArgumentException negative =
        assertThrows(IllegalArgumentException.class, () -> clock.advance(Duration.ofNanos(-1)));
    assertTrue(negative.getMessage().contains("duration"), negative.getMessage());
    assertEquals(Instant.MAX.minusSeconds(1), clock.instant());
    IllegalArgumentException past =
        assertThrows(IllegalArgumentException.class, () -> clock.advance(Duration.ofSeconds(2)));
    assertTrue(past.getMessage().contains("duration"), past.getMessage());
    assertEquals(Instant.MAX.minusSeconds(1), clock.instant());
    IllegalArgumentException huge =
        assertThrows(IllegalArgumentException.class, () -> clock.advance(Duration.ofSeconds(Long.MAX_VALUE)));
    assertTrue(huge.getMessage().contains("duration"), huge.getMessage());
    // exactly to MAX is allowed
    assertEquals(Instant.MAX, clock.advance(Duration.ofSeconds(1)));
    assertEquals(Instant.MAX, clock.advance(Duration.ZERO));
    NullPointerException npe = assertThrows(NullPointerException.class, () -> clock.advance(null));
    assertTrue(String.valueOf(npe.getMessage()).contains("duration"));
  }

  @Test
  void fakeClockSetGoesBackAndForwardAndToTheExtremes() {
    FakeClock clock = FakeClock.create();
    clock.set(Instant.MIN);
    assertEquals(Instant.MIN, clock.instant());
    clock.set(Instant.EPOCH);
    assertEquals(Instant.EPOCH, clock.instant());
    clock.advance(Duration.ofNanos(1));
    assertEquals(Instant.EPOCH.plusNanos(1), clock.instant());
    NullPointerException npe = assertThrows(NullPointerException.class, () -> clock.set(null));
    assertTrue(String.valueOf(npe.getMessage()).contains("instant"));
    NullPointerException start = assertThrows(NullPointerException.class, () -> FakeClock.at(null));
    assertTrue(String.valueOf(start.getMessage()).contains("start"));
  }

  @Test
  void aZonedClockSharesTheInstantBothWays() {
    FakeClock utc = FakeClock.create();
    FakeClock tokyo = utc.withZone(ZoneId.of("Asia/Tokyo"));
    assertEquals(ZoneId.of("Asia/Tokyo"), tokyo.getZone());
    assertEquals(ZoneOffset.UTC, utc.getZone());
    tokyo.advance(Duration.ofHours(5));
    assertEquals(t0().plusSeconds(5 * 3600), utc.instant());
    utc.set(Instant.EPOCH);
    assertEquals(Instant.EPOCH, tokyo.instant());
    assertEquals(Instant.EPOCH.toEpochMilli(), tokyo.millis());
    NullPointerException npe = assertThrows(NullPointerException.class, () -> utc.withZone(null));
    assertTrue(String.valueOf(npe.getMessage()).contains("zone"));
  }

  @Test
  void fakeClockIsSafeToShareBetweenThreads() throws Exception {
    FakeClock clock = FakeClock.create();
    FakeClock other = clock.withZone(ZoneId.of("Europe/Berlin"));
    int threads = 4;
    int perThread = 5_000;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        FakeClock mine = t % 2 == 0 ? clock : other;
        done.add(pool.submit(() -> {
          go.await();
          Instant last = Instant.MIN;
          for (int i = 0; i < perThread; i++) {
            Instant now = mine.advance(Duration.ofNanos(1));
            if (!now.isAfter(last)) {
              throw new AssertionError("advance went back: " + now + " after " + last);
            }
            last = now;
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(t0().plusNanos((long) threads * perThread), clock.instant());
  }

  // ---------------------------------------------------------------- Seeds

  @Test
  void seedsPickReadsThePropertyStrippedAndRefusesGarbageNamingIt() {
    String old = System.getProperty(Seeds.PROPERTY);
    try {
      assertEquals("csbs.seed", Seeds.PROPERTY);
      System.setProperty(Seeds.PROPERTY, "-4242");
      assertEquals(-4242L, Seeds.pick());
      assertEquals(-4242L, Seeds.pick());
      System.setProperty(Seeds.PROPERTY, " " + Long.MIN_VALUE + "\t");
      assertEquals(Long.MIN_VALUE, Seeds.pick());
      System.setProperty(Seeds.PROPERTY, "12x");
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, Seeds::pick);
      assertTrue(e.getMessage().contains("csbs.seed") && e.getMessage().contains("12x"), e.getMessage());
      System.setProperty(Seeds.PROPERTY, "  ");
      Seeds.pick(); // blank: random
    } finally {
      if (old == null) {
        System.clearProperty(Seeds.PROPERTY);
      } else {
        System.setProperty(Seeds.PROPERTY, old);
      }
    }
  }

  @Test
  void seedsRunWrapsEveryFailureWithTheSeedFirstAndLetsAbortsThrough() {
    long seed = -9_007_199_254_740_993L;
    AssertionError wrapped = assertThrows(AssertionError.class,
        () -> Seeds.run(seed, s -> assertEquals(1, 2, "mine")));
    assertTrue(wrapped.getMessage().startsWith("failed with seed " + seed), wrapped.getMessage());
    assertTrue(wrapped.getMessage().contains("-Dcsbs.seed=" + seed), wrapped.getMessage());
    assertTrue(wrapped.getCause() instanceof AssertionError);
    // a checked exception thrown sneakily
    AssertionError checked = assertThrows(AssertionError.class, () -> Seeds.run(7, s -> sneaky(new IOException("disk"))));
    assertTrue(checked.getCause() instanceof IOException);
    assertTrue(checked.getMessage().startsWith("failed with seed 7"));
    // an error, too
    AssertionError oom = assertThrows(AssertionError.class, () -> Seeds.run(8, s -> {
      throw new StackOverflowError();
    }));
    assertTrue(oom.getCause() instanceof StackOverflowError);
    TestAbortedException aborted = new TestAbortedException("skip me");
    assertEquals(aborted, assertThrows(TestAbortedException.class, () -> Seeds.run(9, s -> {
      throw aborted;
    })));
    long[] seen = new long[1];
    Seeds.run(Long.MAX_VALUE, s -> seen[0] = s);
    assertEquals(Long.MAX_VALUE, seen[0]);
  }

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> void sneaky(Throwable e) throws E {
    throw (E) e;
  }

  // ---------------------------------------------------------------- JobPlan

  @Test
  void jobPlanBoundsAndRefusalsNameTheParameter() {
    assertEquals(Duration.ofMinutes(10), JobPlan.DEFAULT.duration());
    assertEquals(Duration.ofMinutes(1), JobPlan.DEFAULT.reportInterval());
    assertTrue(JobPlan.DEFAULT.failAtPercent().isEmpty());
    assertTrue(JobPlan.DEFAULT.stallAtPercent().isEmpty());
    assertTrue(JobPlan.DEFAULT.failureReason().isEmpty());
    assertEquals(JobPlan.MAX_DURATION, JobPlan.taking(JobPlan.MAX_DURATION).duration());
    assertEquals(Duration.ofNanos(1), JobPlan.taking(Duration.ofNanos(1)).duration());
    for (Duration bad : List.of(Duration.ZERO, Duration.ofNanos(-1), JobPlan.MAX_DURATION.plusNanos(1),
        Duration.ofSeconds(Long.MAX_VALUE))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JobPlan.taking(bad));
      assertTrue(e.getMessage().startsWith("duration"), e.getMessage());
      IllegalArgumentException r = assertThrows(IllegalArgumentException.class,
          () -> JobPlan.DEFAULT.reportingEvery(bad));
      assertTrue(r.getMessage().contains("report interval"), r.getMessage());
    }
    for (int bad : new int[] {-1, 101, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
      IllegalArgumentException f = assertThrows(IllegalArgumentException.class, () -> JobPlan.DEFAULT.failingAt(bad, "x"));
      assertTrue(f.getMessage().contains("percent"), f.getMessage());
      IllegalArgumentException s = assertThrows(IllegalArgumentException.class, () -> JobPlan.DEFAULT.stallingAt(bad));
      assertTrue(s.getMessage().contains("percent"), s.getMessage());
    }
    InvalidValueException blank = assertThrows(InvalidValueException.class, () -> JobPlan.DEFAULT.failingAt(50, " \t"));
    assertTrue(blank.getMessage().contains("failure reason"), blank.getMessage());
    InvalidValueException empty = assertThrows(InvalidValueException.class, () -> JobPlan.DEFAULT.failingAt(50, ""));
    assertTrue(empty.getMessage().contains("failure reason"), empty.getMessage());
    assertThrows(NullPointerException.class, () -> JobPlan.taking(null));
    assertThrows(NullPointerException.class, () -> JobPlan.DEFAULT.reportingEvery(null));
    NullPointerException reason = assertThrows(NullPointerException.class, () -> JobPlan.DEFAULT.failingAt(5, null));
    assertTrue(String.valueOf(reason.getMessage()).contains("reason"));
  }

  @Test
  void jobPlanIsAnImmutableValueWithTheDocumentedToString() {
    JobPlan base = JobPlan.taking(Duration.ofMinutes(20));
    JobPlan both = base.failingAt(60, "agent not reachable").stallingAt(40);
    assertEquals("JobPlan{PT20M, report every PT1M, fail at 60%: agent not reachable, stall at 40%}", both.toString());
    assertEquals("JobPlan{PT20M, report every PT1M}", base.toString());
    assertTrue(base.failAtPercent().isEmpty());
    assertEquals(both, JobPlan.taking(Duration.ofMinutes(20)).stallingAt(40).failingAt(60, "agent not reachable"));
    assertEquals(both.hashCode(),
        JobPlan.taking(Duration.ofMinutes(20)).stallingAt(40).failingAt(60, "agent not reachable").hashCode());
    assertNotEquals(both, base);
    assertEquals(JobPlan.DEFAULT, JobPlan.taking(Duration.ofMinutes(10)).reportingEvery(Duration.ofMinutes(1)));
    assertEquals(60, both.failAtPercent().getAsInt());
    assertEquals(Optional.of("agent not reachable"), both.failureReason());
    // the javadoc examples
    JobPlan.taking(Duration.ofHours(2)).reportingEvery(Duration.ofMinutes(5));
    assertEquals(40, JobPlan.taking(Duration.ofMinutes(20)).stallingAt(40).stallAtPercent().getAsInt());
    // a later failingAt replaces the earlier
    assertEquals(10, both.failingAt(10, "ünïcödé ✓").failAtPercent().getAsInt());
  }

  // ---------------------------------------------------------------- SimulatedJobs: javadoc and README

  @Test
  void simulatedJobsJavadocExampleRunsAsItsCommentsSay() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob backup = jobs.startBackup("project-1", SERVER, JobPlan.taking(Duration.ofMinutes(20)));
    SimulatedJob stuck = jobs.startBackup("project-1", SERVER, JobPlan.DEFAULT.stallingAt(40));
    jobs.advance(Duration.ofMinutes(10));
    assertEquals(50, backup.lastReportedPercent());
    assertEquals(50, progressOf(catalog, "project-1", backup.backupId()));
    assertEquals(40, stuck.lastReportedPercent());
    assertEquals(SimulatedJob.State.STALLED, stuck.state());
    assertEquals(t0().plus(Duration.ofMinutes(4)),
        catalog.get("project-1", stuck.backupId()).progress().orElseThrow().changedAt());
    jobs.advance(Duration.ofMinutes(24)); // minute 34: exactly the threshold
    assertEquals(0, catalog.count("project-1", Predicates.stalled()));
    jobs.advance(Duration.ofMinutes(6));
    assertEquals(BackupStatus.AVAILABLE, catalog.get("project-1", backup.backupId()).status());
    assertEquals(1, catalog.count("project-1", Predicates.stalled()));
    jobs.resume(stuck);
    assertEquals(SimulatedJob.State.RUNNING, stuck.state());
    jobs.advance(Duration.ofMinutes(6).minusNanos(1));
    assertEquals(SimulatedJob.State.RUNNING, stuck.state());
    assertEquals(90, stuck.lastReportedPercent());
    jobs.advance(Duration.ofNanos(1));
    assertEquals(SimulatedJob.State.SUCCEEDED, stuck.state());
    assertEquals(Optional.of(t0().plus(Duration.ofMinutes(46))), stuck.endedAt());
    assertEquals("SimulatedJobs{2 jobs, 0 running, 0 stalled, at " + t0().plus(Duration.ofMinutes(46)) + "}",
        jobs.toString());
  }

  @Test
  void simulatedJobJavadocExampleDeletes() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(available("b-1", "project-1", BackupType.COMMON, t0()));
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    String backupId = "b-1";
    SimulatedJob job = jobs.startDelete("project-1", backupId, JobPlan.taking(Duration.ofMinutes(5)));
    assertEquals(BackupStatus.DELETING, catalog.get("project-1", backupId).status());
    assertEquals(JobType.DELETE, job.type());
    jobs.advance(Duration.ofMinutes(5));
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
    assertTrue(job.isDone());
    assertEquals(Optional.empty(), catalog.find("project-1", job.backupId()));
  }

  @Test
  void toStringsAreAsDocumented() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(available("b-1", "project-1", BackupType.COMMON, t0()));
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    JobPlan plan = JobPlan.taking(Duration.ofMinutes(10));
    SimulatedJob restore = jobs.startRestore("project-1", "b-1", plan);
    jobs.advance(Duration.ofMinutes(4));
    assertEquals("SimulatedJob{restore of b-1 in project-1, RUNNING at 40%, " + plan + "}", restore.toString());
    assertEquals("SimulatedJobs{1 jobs, 1 running, 0 stalled, at " + t0().plus(Duration.ofMinutes(4)) + "}",
        jobs.toString());
  }

  // ---------------------------------------------------------------- timelines

  @Test
  void aReportIntervalOfThreeMinutesReportsAtThreeSixNineAndCompletesAtTen() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(P, SERVER,
        JobPlan.DEFAULT.reportingEvery(Duration.ofMinutes(3)));
    List<Change> changes = new ArrayList<>();
    Subscription sub = catalog.subscribe(changes::add);
    jobs.advance(Duration.ofMinutes(20));
    sub.cancel();
    List<String> seen = new ArrayList<>();
    for (Change c : changes) {
      Backup after = c.after().orElseThrow();
      seen.add(after.status().name() + "@" + Duration.between(t0(), after.updatedAt()).toMinutes() + ":"
          + after.progress().map(Progress::percent).orElse(-1));
    }
    assertEquals(List.of("CREATING@3:30", "CREATING@6:60", "CREATING@9:90", "AVAILABLE@10:-1"), seen);
    assertEquals(90, job.lastReportedPercent());
    assertEquals(Optional.of(t0().plus(Duration.ofMinutes(10))), job.endedAt());
  }

  @Test
  void aReportIntervalLongerThanTheJobReportsNothingAndStillCompletesOnTime() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(P, SERVER, JobPlan.taking(Duration.ofMinutes(5)).reportingEvery(Duration.ofHours(1)));
    jobs.advance(Duration.ofMinutes(5).minusNanos(1));
    assertEquals(0, progressOf(catalog, P, job.backupId()));
    assertEquals(SimulatedJob.State.RUNNING, job.state());
    jobs.advance(Duration.ofNanos(1));
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
    assertEquals(0, job.lastReportedPercent());
  }

  @Test
  void aFailureNeverReportsItsPercentAndLeavesTheReasonOnTheBackup() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    String reason = "agent 不可达 — timeout";
    SimulatedJob job = jobs.startBackup(P, SERVER, JobPlan.DEFAULT.failingAt(50, reason));
    jobs.advance(Duration.ofMinutes(5).minusNanos(1));
    assertEquals(40, job.lastReportedPercent());
    assertEquals(SimulatedJob.State.RUNNING, job.state());
    jobs.advance(Duration.ofNanos(1));
    assertEquals(SimulatedJob.State.FAILED, job.state());
    assertEquals(40, job.lastReportedPercent());
    Backup b = catalog.get(P, job.backupId());
    assertEquals(BackupStatus.ERROR, b.status());
    assertEquals(reason, b.failure().orElseThrow().reason());
    assertEquals(Optional.of(t0().plus(Duration.ofMinutes(5))), job.endedAt());
    jobs.advance(Duration.ofHours(1));
    assertEquals(BackupStatus.ERROR, catalog.get(P, job.backupId()).status());
  }

  @Test
  void failAtZeroFailsAtTheFirstAdvanceEvenOfZeroAndFailAtHundredInsteadOfCompleting() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob zero = jobs.startBackup(P, SERVER, JobPlan.DEFAULT.failingAt(0, "no agent"));
    SimulatedJob hundred = jobs.startBackup(P, SERVER, JobPlan.DEFAULT.failingAt(100, "at the end"));
    assertEquals(SimulatedJob.State.RUNNING, zero.state());
    jobs.advance(Duration.ZERO);
    assertEquals(SimulatedJob.State.FAILED, zero.state());
    assertEquals(t0(), zero.endedAt().orElseThrow());
    jobs.advance(Duration.ofMinutes(10));
    assertEquals(SimulatedJob.State.FAILED, hundred.state());
    assertEquals(90, hundred.lastReportedPercent());
    assertEquals(BackupStatus.ERROR, catalog.get(P, hundred.backupId()).status());
  }

  @Test
  void failureWinsOverAStallAtTheSamePercent() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(P, SERVER, JobPlan.DEFAULT.stallingAt(30).failingAt(30, "boom"));
    jobs.advance(Duration.ofMinutes(4));
    assertEquals(SimulatedJob.State.FAILED, job.state());
    assertEquals(20, job.lastReportedPercent());
    assertEquals(Optional.of(t0().plus(Duration.ofMinutes(3))), job.endedAt());
  }

  @Test
  void aStallOffTheReportGridReportsExactlyItsPercentAndResumeFollowsTheDocs() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(P, SERVER, JobPlan.DEFAULT.stallingAt(45));
    jobs.advance(Duration.ofHours(3));
    assertEquals(SimulatedJob.State.STALLED, job.state());
    assertFalse(job.isDone());
    assertEquals(45, job.lastReportedPercent());
    Progress p = catalog.get(P, job.backupId()).progress().orElseThrow();
    assertEquals(45, p.percent());
    assertEquals(t0().plus(Duration.ofSeconds(270)), p.changedAt());
    Instant resumedAt = clock.instant();
    jobs.resume(job);
    // the next report when its next report interval of work ends (work 5:00, 30 s later), done 5:30 later
    jobs.advance(Duration.ofSeconds(30));
    assertEquals(50, job.lastReportedPercent());
    assertEquals(resumedAt.plusSeconds(30), catalog.get(P, job.backupId()).progress().orElseThrow().changedAt());
    jobs.advance(Duration.ofMinutes(5).minusNanos(1));
    assertEquals(SimulatedJob.State.RUNNING, job.state());
    jobs.advance(Duration.ofNanos(1));
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
    assertEquals(resumedAt.plusSeconds(330), job.endedAt().orElseThrow());
  }

  @Test
  void stallAtZeroStallsFromTheStartAndResumeRunsTheWholeJob() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(P, SERVER, JobPlan.DEFAULT.stallingAt(0));
    jobs.advance(Duration.ZERO);
    assertEquals(SimulatedJob.State.STALLED, job.state());
    jobs.advance(Duration.ofMinutes(31));
    assertEquals(0, progressOf(catalog, P, job.backupId()));
    assertEquals(1, catalog.count(P, Predicates.stalled()));
    jobs.resume(job);
    jobs.advance(Duration.ofMinutes(10));
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
    IllegalStateException again = assertThrows(IllegalStateException.class, () -> jobs.resume(job));
    assertTrue(again.getMessage().contains("SUCCEEDED"), again.getMessage());
  }

  @Test
  void aJobStartedFromSixtyPercentEndsTenMinutesAfterItsStartFirstReportingSeventyAtMinuteSeven() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(creating("ß-60", P, 60, t0()), JobPlan.DEFAULT);
    assertEquals(60, job.lastReportedPercent());
    jobs.advance(Duration.ofMinutes(7).minusNanos(1));
    assertEquals(60, progressOf(catalog, P, "ß-60"));
    assertEquals(catalog.get(P, "ß-60").createdAt(), catalog.get(P, "ß-60").updatedAt());
    jobs.advance(Duration.ofNanos(1));
    assertEquals(70, progressOf(catalog, P, "ß-60"));
    jobs.advance(Duration.ofMinutes(3));
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
    assertEquals(90, job.lastReportedPercent());
  }

  @Test
  void restoreAndInstantRestoreRunAndReturnToAvailable() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(available("c", P, BackupType.COMMON, t0()));
    catalog.add(available("e", P, BackupType.ENHANCED, t0()));
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob r = jobs.startRestore(P, "c");
    SimulatedJob ir = jobs.startInstantRestore(P, "e");
    assertEquals(JobType.RESTORE, r.type());
    assertEquals(JobType.RESTORE, ir.type());
    assertEquals(BackupStatus.RESTORING, catalog.get(P, "e").status());
    assertEquals(0, progressOf(catalog, P, "e"));
    assertThrows(IllegalTransitionException.class, () -> jobs.startDelete(P, "c"));
    assertEquals(List.of(r, ir), jobs.jobs());
    assertThrows(UnsupportedOperationException.class, () -> jobs.jobs().clear());
    jobs.advance(JobPlan.DEFAULT.duration());
    assertEquals(SimulatedJob.State.SUCCEEDED, r.state());
    assertEquals(SimulatedJob.State.SUCCEEDED, ir.state());
    assertEquals(BackupStatus.AVAILABLE, catalog.get(P, "c").status());
    assertEquals(BackupStatus.AVAILABLE, catalog.get(P, "e").status());
  }

  @Test
  void refusedStartsNameWhatIsWrong() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(available("c", P, BackupType.COMMON, t0()));
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    assertThrows(BackupNotFoundException.class, () -> jobs.startRestore(P, "nope"));
    assertThrows(BackupNotFoundException.class, () -> jobs.startDelete("other-project", "c"));
    assertThrows(IllegalTransitionException.class, () -> jobs.startInstantRestore(P, "c"));
    IllegalArgumentException notCreating = assertThrows(IllegalArgumentException.class,
        () -> jobs.startBackup(available("x", P, BackupType.COMMON, t0()), JobPlan.DEFAULT));
    assertTrue(notCreating.getMessage().contains("Creating"), notCreating.getMessage());
    IllegalArgumentException future = assertThrows(IllegalArgumentException.class,
        () -> jobs.startBackup(creating("f", P, 0, t0().plusNanos(1)), JobPlan.DEFAULT));
    assertTrue(future.getMessage().contains("after the clock"), future.getMessage());
    jobs.startBackup(creating("dup", P, 0, t0()), JobPlan.DEFAULT);
    assertThrows(DuplicateBackupException.class, () -> jobs.startBackup(creating("dup", P, 0, t0()), JobPlan.DEFAULT));
    assertEquals(1, jobs.jobs().size());
    NullPointerException np = assertThrows(NullPointerException.class, () -> jobs.startBackup(null, SERVER));
    assertTrue(String.valueOf(np.getMessage()).contains("projectId"));
    NullPointerException ns = assertThrows(NullPointerException.class, () -> jobs.startBackup(P, null));
    assertTrue(String.valueOf(ns.getMessage()).contains("server"));
    NullPointerException npl = assertThrows(NullPointerException.class, () -> jobs.startBackup(P, SERVER, null));
    assertTrue(String.valueOf(npl.getMessage()).contains("plan"));
    assertThrows(NullPointerException.class, () -> jobs.startRestore(P, "c", null));
    assertThrows(NullPointerException.class, () -> SimulatedJobs.create(null, clock));
    assertThrows(NullPointerException.class, () -> SimulatedJobs.create(catalog, null));
    assertThrows(IllegalArgumentException.class, () -> jobs.advance(Duration.ofSeconds(-1)));
    assertThrows(NullPointerException.class, () -> jobs.advance(null));
    assertEquals(1, jobs.jobs().size());
  }

  @Test
  void startBackupOverAQuotaIsRefusedAndTracksNothing() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.setQuota(P, Quota.of(1, Quota.UNLIMITED));
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock, 3);
    jobs.startBackup(P, SERVER);
    assertThrows(QuotaExceededException.class, () -> jobs.startBackup(P, SERVER));
    assertEquals(1, jobs.jobs().size());
    assertEquals(1, catalog.count(P, Predicates.all()));
  }

  @Test
  void resumeRefusesAForeignJobAndARunningOne() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJobs others = SimulatedJobs.create(catalog, clock, 99);
    SimulatedJob foreign = others.startBackup(P, SERVER, JobPlan.DEFAULT.stallingAt(0));
    others.advance(Duration.ZERO);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> jobs.resume(foreign));
    assertTrue(e.getMessage().contains("job"), e.getMessage());
    SimulatedJob running = jobs.startBackup(P, SERVER);
    IllegalStateException s = assertThrows(IllegalStateException.class, () -> jobs.resume(running));
    assertTrue(s.getMessage().contains("RUNNING"), s.getMessage());
    assertThrows(NullPointerException.class, () -> jobs.resume(null));
  }

  // ---------------------------------------------------------------- determinism

  private static List<String> runScenario(long seed) {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<String> log = new ArrayList<>();
    catalog.subscribe(c -> log.add(c.sequence() + " " + c.backupId() + " " + c.after().map(Backup::toString).orElse("-")));
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock, seed);
    Random r = new Random(seed);
    for (int i = 0; i < 30; i++) {
      JobPlan plan = JobPlan.taking(Duration.ofSeconds(1 + r.nextInt(3600)))
          .reportingEvery(Duration.ofSeconds(1 + r.nextInt(300)));
      if (r.nextInt(4) == 0) {
        plan = plan.failingAt(r.nextInt(101), "r" + i);
      }
      if (r.nextInt(4) == 0) {
        plan = plan.stallingAt(r.nextInt(101));
      }
      jobs.startBackup(P, SERVER, plan);
      jobs.advance(Duration.ofSeconds(r.nextInt(200)));
    }
    jobs.advance(Duration.ofHours(2));
    for (SimulatedJob j : jobs.jobs()) {
      log.add(j + " " + j.endedAt());
    }
    return log;
  }

  @Test
  void sameSeedSameRunDifferentSeedDifferentIds() {
    long seed = new Random().nextLong();
    assertEquals(runScenario(seed), runScenario(seed), "seed " + seed);
    assertNotEquals(runScenario(seed).get(0), runScenario(seed + 1).get(0), "seed " + seed);
    // create(catalog, clock) is seed 0
    FakeClock c1 = FakeClock.create();
    FakeClock c2 = FakeClock.create();
    BackupCatalog k1 = Catalogs.indexed(c1);
    BackupCatalog k2 = new ReferenceCatalog[] {ReferenceCatalog.create(c2)}[0];
    SimulatedJob a = SimulatedJobs.create(k1, c1).startBackup(P, SERVER);
    SimulatedJob b = SimulatedJobs.create(k2, c2, 0).startBackup(P, SERVER);
    assertEquals(a.backupId(), b.backupId());
    assertEquals(k1.get(P, a.backupId()), k2.get(P, b.backupId()));
  }

  // ---------------------------------------------------------------- other writers

  @Test
  void anotherWriterReportingFurtherIsKeptAndProgressNeverGoesDown() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(P, SERVER);
    jobs.advance(Duration.ofSeconds(90)); // 10% at minute 1
    Backup b = catalog.get(P, job.backupId());
    catalog.apply(P, b.id(), b.version(), Transition.reportProgress(35));
    jobs.advance(Duration.ofSeconds(30)); // minute 2: 20% would go down
    assertEquals(35, progressOf(catalog, P, job.backupId()));
    assertEquals(SimulatedJob.State.RUNNING, job.state());
    assertEquals(35, job.lastReportedPercent());
    jobs.advance(Duration.ofMinutes(1)); // minute 3: 30 < 35, nothing
    assertEquals(35, progressOf(catalog, P, job.backupId()));
    jobs.advance(Duration.ofMinutes(1)); // minute 4: 40
    assertEquals(40, progressOf(catalog, P, job.backupId()));
    jobs.advance(Duration.ofMinutes(6));
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
  }

  @Test
  void anotherWriterReportingLessIsOverwrittenByTheNextReport() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(P, SERVER);
    jobs.advance(Duration.ofSeconds(30));
    Backup b = catalog.get(P, job.backupId());
    catalog.apply(P, b.id(), b.version(), Transition.reportProgress(5));
    jobs.advance(Duration.ofSeconds(30));
    assertEquals(10, progressOf(catalog, P, job.backupId()));
    assertEquals(10, job.lastReportedPercent());
  }

  @Test
  void aWatchdogFailingAStalledJobEndsItInterruptedAndTheBackupStaysAsItLeftIt() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(P, SERVER, JobPlan.DEFAULT.stallingAt(20));
    jobs.advance(Duration.ofMinutes(40));
    assertEquals(SimulatedJob.State.STALLED, job.state());
    Backup b = catalog.get(P, job.backupId());
    Backup failed = catalog.apply(P, b.id(), b.version(), Transition.fail("watchdog: stalled")).orElseThrow();
    assertEquals(SimulatedJob.State.STALLED, job.state()); // noticed at the next advance
    jobs.advance(Duration.ZERO);
    assertEquals(SimulatedJob.State.INTERRUPTED, job.state());
    assertTrue(job.isDone());
    assertEquals(Optional.of(clock.instant()), job.endedAt());
    assertEquals(failed, catalog.get(P, job.backupId()));
    assertTrue(job.toString().contains("INTERRUPTED"), job.toString());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> jobs.resume(job));
    assertTrue(e.getMessage().contains("INTERRUPTED"));
    jobs.advance(Duration.ofHours(1));
    assertEquals(failed, catalog.get(P, job.backupId()));
  }

  @Test
  void aRunningRestoreWhoseBackupIsCompletedAndDeletedByOthersIsInterruptedAtItsNextChange() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(available("ü", P, BackupType.COMMON, t0()));
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startRestore(P, "ü");
    jobs.advance(Duration.ofSeconds(150));
    Backup b = catalog.get(P, "ü");
    Backup done = catalog.apply(P, "ü", b.version(), Transition.complete()).orElseThrow();
    catalog.remove(P, "ü", done.version());
    jobs.advance(Duration.ofSeconds(30)); // minute 3: the report is refused, the backup gone
    assertEquals(SimulatedJob.State.INTERRUPTED, job.state());
    assertEquals(Optional.of(t0().plusSeconds(180)), job.endedAt());
    assertEquals(Optional.empty(), catalog.find(P, "ü"));
    assertEquals(20, job.lastReportedPercent());
  }

  /** A catalog that refuses every transition of one backup with a runtime exception of its own. */
  @Test
  void aCatalogThatRefusesAJobsChangePropagatesAndTheJobStaysRunning() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(P, SERVER);
    // another writer starts a restore-like state change that the job's report cannot follow:
    // the backup becomes Error and then is deleted into Deleting; the job must end interrupted
    Backup b = catalog.get(P, job.backupId());
    Backup error = catalog.apply(P, b.id(), b.version(), Transition.fail("other")).orElseThrow();
    catalog.apply(P, b.id(), error.version(), Transition.start(io.csbs.backup.Operation.DELETE));
    jobs.advance(Duration.ofMinutes(1));
    assertEquals(SimulatedJob.State.INTERRUPTED, job.state());
    assertEquals(BackupStatus.DELETING, catalog.get(P, job.backupId()).status());
  }

  // ---------------------------------------------------------------- ReferenceCatalog vs indexed

  private static String outcome(java.util.function.Supplier<Object> call) {
    try {
      return "ok " + call.get();
    } catch (RuntimeException e) {
      return e.getClass().getName() + ": " + e.getMessage();
    }
  }

  @Test
  void referenceAnswersExactlyAsIndexedOnOddDataForRandomRounds() {
    long seed = Seeds.pick();
    Seeds.run(seed, s -> differential(s));
  }

  private static void differential(long seed) {
    Random r = new Random(seed);
    FakeClock clock = FakeClock.at(Instant.parse("2026-06-30T23:59:59.999999999Z"));
    ReferenceCatalog ref = ReferenceCatalog.create(clock);
    BackupCatalog idx = Catalogs.indexed(clock);
    // changes of different projects may interleave in any way: compare each project's own
    java.util.Map<String, List<String>> refChanges = new java.util.TreeMap<>();
    java.util.Map<String, List<String>> idxChanges = new java.util.TreeMap<>();
    ref.subscribe(c -> refChanges.computeIfAbsent(c.projectId(), k -> new ArrayList<>()).add(c.toString()));
    idx.subscribe(c -> idxChanges.computeIfAbsent(c.projectId(), k -> new ArrayList<>()).add(c.toString()));
    List<Backup> backups = new ArrayList<>(BackupGenerator.builder().seed(seed).projects(3)
        .window(clock.instant(), Duration.ofDays(30)).build().backups(120));
    String[] odd = {"Ж", "名前", "a_b", "ÆØÅ-x", "x".repeat(60), "back_up", "-_-", "manualbk_00ff"};
    for (int i = 0; i < odd.length; i++) {
      backups.add(Backup.builder().id("odd-" + odd[i].hashCode()).name(odd[i]).projectId("projekt-ü")
          .server(Server.of("srv-" + i, odd[(i + 1) % odd.length], "az-" + (i % 2)))
          .status(i % 2 == 0 ? BackupStatus.AVAILABLE : BackupStatus.ERROR)
          .failure(i % 2 == 0 ? Optional.empty() : Optional.of(io.csbs.backup.Failure.of(JobType.BACKUP, "why " + odd[i], clock.instant())))
          .finishedAt(i % 2 == 0 ? Optional.empty() : Optional.of(clock.instant()))
          .type(i % 3 == 0 ? BackupType.ENHANCED : BackupType.COMMON).trigger(BackupTrigger.MANUAL)
          .sizeMb(1024L * (i + 1)).createdAt(clock.instant().minusSeconds(i)).build());
    }
    assertEquals(outcome(() -> { ref.addAll(backups); return null; }), outcome(() -> { idx.addAll(backups); return null; }));
    List<String> projects = new ArrayList<>();
    for (Backup b : backups) {
      if (!projects.contains(b.projectId())) {
        projects.add(b.projectId());
      }
    }
    projects.add("empty-project");
    QueryGenerator queries = QueryGenerator.create(seed, backups);
    for (int round = 0; round < 300; round++) {
      String project = projects.get(r.nextInt(projects.size()));
      String context = "round " + round + " project " + project;
      switch (r.nextInt(9)) {
        case 0, 1 -> {
          Query q = queries.nextQuery();
          assertEquals(outcome(() -> ref.query(project, q)), outcome(() -> idx.query(project, q)), context + " " + q);
        }
        case 2 -> {
          BackupPredicate p = queries.nextPredicate();
          assertEquals(outcome(() -> ref.count(project, p)), outcome(() -> idx.count(project, p)), context + " " + p);
          assertEquals(outcome(() -> ref.countAllProjects(p)), outcome(() -> idx.countAllProjects(p)), context);
        }
        case 3 -> {
          Query q = queries.nextQuery();
          assertEquals(outcome(() -> ref.queryAllProjects(q)), outcome(() -> idx.queryAllProjects(q)), context + " " + q);
        }
        case 4 -> {
          UsageQuery u = UsageQuery.of(queries.nextPredicate(), r.nextInt(3), 1 + r.nextInt(5));
          assertEquals(outcome(() -> ref.usage(project, u)), outcome(() -> idx.usage(project, u)), context + " " + u);
          assertEquals(outcome(() -> ref.quotaUsage(project)), outcome(() -> idx.quotaUsage(project)), context);
        }
        case 5 -> {
          // a random transition on a random backup (maybe with a stale version)
          List<Backup> all = ref.query(project, Query.all()).backups();
          if (all.isEmpty()) {
            break;
          }
          Backup b = all.get(r.nextInt(all.size()));
          long version = b.version() + (r.nextInt(5) == 0 ? 1 : 0);
          Transition t = switch (r.nextInt(6)) {
            case 0 -> Transition.restore();
            case 1 -> Transition.delete();
            case 2 -> Transition.reportProgress(r.nextInt(101));
            case 3 -> Transition.complete();
            case 4 -> Transition.fail("fail ✗ " + round);
            default -> Transition.instantRestore();
          };
          assertEquals(outcome(() -> ref.apply(project, b.id(), version, t)),
              outcome(() -> idx.apply(project, b.id(), version, t)), context + " " + t);
        }
        case 6 -> {
          Quota q = r.nextBoolean() ? Quota.NONE : Quota.of(r.nextInt(200), Quota.UNLIMITED);
          ref.setQuota(project, q);
          idx.setQuota(project, q);
          assertEquals(outcome(() -> ref.quotaUsage(project)), outcome(() -> idx.quotaUsage(project)), context);
          Backup nb = creating("new-" + round, project, 0, clock.instant());
          assertEquals(outcome(() -> { ref.add(nb); return null; }), outcome(() -> { idx.add(nb); return null; }), context);
        }
        case 7 -> clock.advance(Duration.ofMinutes(r.nextInt(90)));
        default -> {
          assertEquals(ref.sequence(project), idx.sequence(project), context);
          assertEquals(outcome(() -> ref.find(project, "missing")), outcome(() -> idx.find(project, "missing")), context);
          assertEquals(outcome(() -> ref.get(project, "missing")), outcome(() -> idx.get(project, "missing")), context);
          assertEquals(outcome(() -> ref.tagCatalogue(project)), outcome(() -> idx.tagCatalogue(project)), context);
        }
      }
    }
    assertEquals(refChanges, idxChanges);
  }

  @Test
  void referenceAndIndexedRefuseBlankProjectsAndBadArgumentsAlike() {
    FakeClock clock = FakeClock.create();
    ReferenceCatalog ref = ReferenceCatalog.create(clock);
    BackupCatalog idx = Catalogs.indexed(clock);
    ref.add(available("a", P, BackupType.COMMON, t0()));
    idx.add(available("a", P, BackupType.COMMON, t0()));
    for (String project : new String[] {"", " ", "\t\n"}) {
      assertEquals(outcome(() -> ref.query(project, Query.all())), outcome(() -> idx.query(project, Query.all())));
      assertEquals(outcome(() -> ref.count(project, Predicates.all())), outcome(() -> idx.count(project, Predicates.all())));
      assertEquals(outcome(() -> ref.sequence(project)), outcome(() -> idx.sequence(project)));
      assertEquals(outcome(() -> ref.quotaUsage(project)), outcome(() -> idx.quotaUsage(project)));
      assertEquals(outcome(() -> ref.find(project, "a")), outcome(() -> idx.find(project, "a")));
    }
    assertEquals(outcome(() -> ref.apply(P, "a", 99, Transition.delete())), outcome(() -> idx.apply(P, "a", 99, Transition.delete())));
    assertEquals(outcome(() -> ref.apply(P, "zz", 0, Transition.delete())), outcome(() -> idx.apply(P, "zz", 0, Transition.delete())));
    assertEquals(outcome(() -> { ref.add(available("a", P, BackupType.COMMON, t0())); return null; }),
        outcome(() -> { idx.add(available("a", P, BackupType.COMMON, t0())); return null; }));
    assertEquals(outcome(() -> ref.query(P, Query.builder().marker("missing").build())),
        outcome(() -> idx.query(P, Query.builder().marker("missing").build())));
    assertEquals(ref.sequence(P), idx.sequence(P));
    assertEquals(1, ref.sequence(P));
  }

  @Test
  void simulatedJobsMakeIdenticalChangesOnReferenceAndIndexed() {
    long seed = Seeds.pick();
    Seeds.run(seed, s -> {
      FakeClock c1 = FakeClock.create();
      FakeClock c2 = FakeClock.create();
      ReferenceCatalog ref = ReferenceCatalog.create(c1);
      BackupCatalog idx = Catalogs.indexed(c2);
      java.util.Map<String, List<String>> a = new java.util.TreeMap<>();
      java.util.Map<String, List<String>> b = new java.util.TreeMap<>();
      ref.subscribe(c -> a.computeIfAbsent(c.projectId(), k -> new ArrayList<>()).add(c.toString()));
      idx.subscribe(c -> b.computeIfAbsent(c.projectId(), k -> new ArrayList<>()).add(c.toString()));
      SimulatedJobs j1 = SimulatedJobs.create(ref, c1, s);
      SimulatedJobs j2 = SimulatedJobs.create(idx, c2, s);
      Random r = new Random(s);
      for (int i = 0; i < 40; i++) {
        JobPlan plan = JobPlan.taking(Duration.ofMinutes(1 + r.nextInt(60)));
        if (r.nextInt(3) == 0) {
          plan = plan.stallingAt(r.nextInt(101));
        }
        String project = "p-" + r.nextInt(4);
        j1.startBackup(project, SERVER, plan);
        j2.startBackup(project, SERVER, plan);
        Duration d = Duration.ofSeconds(r.nextInt(600));
        j1.advance(d);
        j2.advance(d);
      }
      j1.advance(Duration.ofHours(2));
      j2.advance(Duration.ofHours(2));
      assertEquals(a, b);
      for (int p = 0; p < 4; p++) {
        assertEquals(ref.query("p-" + p, Query.where(Predicates.stalled())), idx.query("p-" + p, Query.where(Predicates.stalled())));
      }
    });
  }

  // ---------------------------------------------------------------- batch 2

  @Test
  void jobPlanStallRuleNoteFiftyHoursIsNeverStalledFiftyOneIs() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob fifty = jobs.startBackup(P, SERVER, JobPlan.taking(Duration.ofHours(50)));
    SimulatedJob fiftyOne = jobs.startBackup(P, SERVER, JobPlan.taking(Duration.ofHours(51)));
    SimulatedJob slowReports = jobs.startBackup(P, SERVER,
        JobPlan.taking(Duration.ofHours(10)).reportingEvery(Duration.ofMinutes(31)));
    List<String> stalledSeen = new ArrayList<>();
    for (int halfMinute = 1; halfMinute <= 400; halfMinute++) {
      jobs.advance(Duration.ofSeconds(30));
      for (String id : catalog.query(P, Query.where(Predicates.stalled())).ids()) {
        if (!stalledSeen.contains(id)) {
          stalledSeen.add(id);
        }
      }
    }
    assertFalse(stalledSeen.contains(fifty.backupId()), "a 50-hour job was judged stalled");
    assertTrue(stalledSeen.contains(fiftyOne.backupId()), "a 51-hour job was never judged stalled");
    assertTrue(stalledSeen.contains(slowReports.backupId()), "a job reporting every 31 min was never judged stalled");
  }

  @Test
  void jobsCatchUpAfterTheTestMovedTheClockItselfAllDatedAtTheNextAdvance() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(P, SERVER);
    SimulatedJob done = jobs.startBackup(P, SERVER, JobPlan.taking(Duration.ofMinutes(2)));
    List<Change> changes = new ArrayList<>();
    catalog.subscribe(changes::add);
    clock.advance(Duration.ofMinutes(5).plusSeconds(30));
    assertEquals(0, progressOf(catalog, P, job.backupId()));
    jobs.advance(Duration.ZERO);
    Instant now = t0().plus(Duration.ofMinutes(5).plusSeconds(30));
    for (Change c : changes) {
      assertEquals(now, c.after().orElseThrow().updatedAt(), c.toString());
    }
    assertEquals(50, progressOf(catalog, P, job.backupId()));
    assertEquals(SimulatedJob.State.SUCCEEDED, done.state());
    assertEquals(Optional.of(now), done.endedAt());
    jobs.advance(Duration.ofSeconds(30));
    assertEquals(60, progressOf(catalog, P, job.backupId()));
  }

  @Test
  void aJobOfTheLongestPlanReportingEveryNanosecondRunsToItsEndQuickly() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(P, SERVER, JobPlan.taking(JobPlan.MAX_DURATION).reportingEvery(Duration.ofNanos(1)));
    jobs.advance(JobPlan.MAX_DURATION.minusNanos(1));
    assertEquals(99, job.lastReportedPercent());
    jobs.advance(Duration.ofNanos(1));
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
    assertEquals(t0().plus(JobPlan.MAX_DURATION), job.endedAt().orElseThrow());
  }

  @Test
  void aBlankProjectIsRefusedByEveryStartNamingProjectIdAndTracksNothing() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock, 5);
    for (String blank : new String[] {"", " ", "\u2003"}) {
      InvalidValueException b = assertThrows(InvalidValueException.class, () -> jobs.startBackup(blank, SERVER));
      assertTrue(b.getMessage().contains("project id"), b.getMessage());
      InvalidValueException r = assertThrows(InvalidValueException.class, () -> jobs.startRestore(blank, "x"));
      assertTrue(r.getMessage().contains("project id"), r.getMessage());
    }
    assertEquals(List.of(), jobs.jobs());
    SimulatedJob first = jobs.startBackup(P, SERVER);
    assertEquals(SimulatedJobs.create(Catalogs.indexed(FakeClock.create()), FakeClock.create(), 5)
        .startBackup(P, SERVER).backupId(), first.backupId());
  }

  @Test
  void anotherWriterChangingOnlyTagsDoesNotDisturbTheJob() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(P, SERVER, JobPlan.DEFAULT.failingAt(30, "late"));
    for (int i = 0; i < 3; i++) {
      jobs.advance(Duration.ofSeconds(30));
      Backup b = catalog.get(P, job.backupId());
      catalog.updateTags(P, b.id(), b.version(),
          io.csbs.backup.TagUpdate.create(List.of(io.csbs.backup.Tag.of("k" + i, "wert-" + i))));
    }
    jobs.advance(Duration.ofMinutes(5));
    assertEquals(SimulatedJob.State.FAILED, job.state());
    assertEquals(20, job.lastReportedPercent());
    assertEquals(3, catalog.get(P, job.backupId()).tags().size());
  }

  @Test
  void referenceCatalogToStringAndFactoriesAreAsDocumented() {
    FakeClock clock = FakeClock.create();
    ReferenceCatalog ref = ReferenceCatalog.create(clock);
    assertEquals(io.csbs.lifecycle.StallRule.DEFAULT, ref.stallRule());
    assertEquals(clock, ref.clock());
    ref.addAll(BackupGenerator.builder().seed(1).projects(3).build().backups(60));
    assertEquals("ReferenceCatalog{3 projects, 60 backups, stall threshold PT30M}", ref.toString());
    assertThrows(NullPointerException.class, () -> ReferenceCatalog.create(null));
    assertThrows(NullPointerException.class, () -> ReferenceCatalog.create(clock, null));
  }

  @Test
  void referenceAndIndexedAgreeOnReadsInsideReadAndOnDuplicateIdsAcrossProjects() {
    FakeClock clock = FakeClock.create();
    ReferenceCatalog ref = ReferenceCatalog.create(clock);
    BackupCatalog idx = Catalogs.indexed(clock);
    for (BackupCatalog c : List.of(ref, idx)) {
      c.add(available("same", "p-a", BackupType.COMMON, t0()));
      c.add(available("same", "p-b", BackupType.ENHANCED, t0()));
      c.add(available("only", "p-b", BackupType.COMMON, t0()));
    }
    Query marker = Query.builder().marker("same").build();
    assertEquals(outcome(() -> ref.queryAllProjects(marker)), outcome(() -> idx.queryAllProjects(marker)));
    Query only = Query.builder().marker("only").build();
    assertEquals(outcome(() -> ref.queryAllProjects(only)), outcome(() -> idx.queryAllProjects(only)));
    assertEquals(outcome(() -> ref.read("p-a", v -> v.query(Query.all()))), outcome(() -> idx.read("p-a", v -> v.query(Query.all()))));
    assertEquals(outcome(() -> ref.read("p-a", v -> ref.count("p-b", Predicates.all()))),
        outcome(() -> idx.read("p-a", v -> idx.count("p-b", Predicates.all()))));
    assertEquals(outcome(() -> ref.read("p-a", v -> { ref.add(available("n", "p-a", BackupType.COMMON, t0())); return 1; })),
        outcome(() -> idx.read("p-a", v -> { idx.add(available("n", "p-a", BackupType.COMMON, t0())); return 1; })));
    assertEquals(outcome(() -> ref.read("p-a", v -> v.sequence())), outcome(() -> idx.read("p-a", v -> v.sequence())));
    assertEquals(outcome(() -> ref.read(" ", v -> 1)), outcome(() -> idx.read(" ", v -> 1)));
    assertEquals(outcome(() -> ref.usage("p-b", UsageQuery.firstServers(5))), outcome(() -> idx.usage("p-b", UsageQuery.firstServers(5))));
  }

  @Test
  void replayAndLoadAgreeBetweenReferenceAndIndexed() {
    FakeClock clock = FakeClock.create();
    ReferenceCatalog primary = ReferenceCatalog.create(clock);
    List<Change> feed = new ArrayList<>();
    primary.subscribe(feed::add);
    SimulatedJobs jobs = SimulatedJobs.create(primary, clock, 11);
    for (int i = 0; i < 5; i++) {
      jobs.startBackup(P, SERVER, JobPlan.taking(Duration.ofMinutes(3 + i)));
    }
    jobs.advance(Duration.ofMinutes(4));
    jobs.startDelete(P, jobs.jobs().get(0).backupId(), JobPlan.taking(Duration.ofMinutes(1)));
    jobs.advance(Duration.ofMinutes(10));
    ReferenceCatalog ref = ReferenceCatalog.create(clock);
    BackupCatalog idx = Catalogs.indexed(clock);
    Random r = new Random(3);
    for (int i = 0; i < feed.size(); i++) {
      Change c = feed.get(i);
      assertEquals(outcome(() -> ref.replay(c)), outcome(() -> idx.replay(c)), "change " + c);
      Change again = feed.get(r.nextInt(i + 1));
      assertEquals(outcome(() -> ref.replay(again)), outcome(() -> idx.replay(again)), "again " + again);
      if (i + 2 < feed.size()) {
        Change gap = feed.get(i + 2);
        // the messages differ (see the disabled sibling): compare the refusal and what it names
        IllegalStateException a = assertThrows(IllegalStateException.class, () -> ref.replay(gap));
        IllegalStateException b = assertThrows(IllegalStateException.class, () -> idx.replay(gap));
        for (String m : List.of(a.getMessage(), b.getMessage())) {
          assertTrue(m.contains(P) && m.contains("change " + gap.sequence()) && m.contains("at change " + ref.sequence(P)), m);
        }
      }
    }
    assertEquals(primary.query(P, Query.all()), ref.query(P, Query.all()));
    assertEquals(primary.query(P, Query.all()), idx.query(P, Query.all()));
    assertEquals(primary.sequence(P), idx.sequence(P));
    io.csbs.catalog.ProjectSnapshot snapshot = new io.csbs.catalog.ProjectSnapshot("copy-ß", 7, Quota.of(10, 100),
        primary.query(P, Query.all()).backups().stream().map(b -> b.toBuilder().projectId("copy-ß").build()).toList());
    assertEquals(outcome(() -> { ref.load(snapshot); return ref.sequence("copy-ß"); }),
        outcome(() -> { idx.load(snapshot); return idx.sequence("copy-ß"); }));
    assertEquals(outcome(() -> { ref.load(snapshot); return null; }), outcome(() -> { idx.load(snapshot); return null; }));
    assertEquals(ref.quotaUsage("copy-ß"), idx.quotaUsage("copy-ß"));
    assertEquals(ref.query("copy-ß", Query.all()), idx.query("copy-ß", Query.all()));
  }

  private static List<String> gapRefusals() {
    FakeClock clock = FakeClock.create();
    ReferenceCatalog primary = ReferenceCatalog.create(clock);
    List<Change> feed = new ArrayList<>();
    primary.subscribe(feed::add);
    for (int i = 0; i < 3; i++) {
      primary.add(available("g" + i, P, BackupType.COMMON, t0()));
    }
    ReferenceCatalog ref = ReferenceCatalog.create(clock);
    BackupCatalog idx = Catalogs.indexed(clock);
    ref.replay(feed.get(0));
    idx.replay(feed.get(0));
    return List.of(outcome(() -> ref.replay(feed.get(2))), outcome(() -> idx.replay(feed.get(2))));
  }

  @Test
  void aReplayWithAGapIsRefusedWithTheSameMessageByReferenceAndIndexed() {
    List<String> both = gapRefusals();
    assertEquals(both.get(1), both.get(0));
  }

  // ---------------------------------------------------------------- batch 3: subscribers, refusals, threads

  private static java.util.Map<String, List<String>> subscriberScenario(BackupCatalog catalog) {
    java.util.Map<String, List<String>> seen = new java.util.TreeMap<>();
    catalog.subscribe(c -> {
      throw new IllegalStateException("a subscriber that always throws");
    });
    catalog.subscribe(c -> {
      if (c.isAdded() && c.backupId().equals("trigger")) {
        catalog.add(available("echo", c.projectId(), BackupType.COMMON, t0()));
        catalog.add(available("echo", "other-Ж", BackupType.COMMON, t0()));
      }
    });
    catalog.subscribe(c -> seen.computeIfAbsent(c.projectId(), k -> new ArrayList<>()).add(c.sequence() + " " + c.backupId()));
    Subscription late = catalog.subscribe(c -> seen.computeIfAbsent("late", k -> new ArrayList<>()).add(c.backupId()));
    catalog.add(available("first", P, BackupType.COMMON, t0()));
    catalog.add(available("trigger", P, BackupType.COMMON, t0()));
    late.cancel();
    late.cancel();
    catalog.add(available("last", P, BackupType.COMMON, t0()));
    seen.put("count", List.of(String.valueOf(catalog.count(P, Predicates.all())), String.valueOf(catalog.sequence(P))));
    return seen;
  }

  @Test
  void subscribersSeeTheSameOnReferenceAndIndexedEvenWithAThrowerAndANestedChange() {
    java.util.Map<String, List<String>> ref = subscriberScenario(ReferenceCatalog.create(FakeClock.create()));
    java.util.Map<String, List<String>> idx = subscriberScenario(Catalogs.indexed(FakeClock.create()));
    assertEquals(idx, ref);
    assertEquals(List.of("1 first", "2 trigger", "3 echo", "4 last"), ref.get(P));
    assertEquals(List.of("first", "trigger", "echo", "echo"), ref.get("late"));
  }

  private static List<String> refusals(BackupCatalog c) {
    List<String> out = new ArrayList<>();
    c.add(available("a", P, BackupType.COMMON, t0()));
    c.setQuota("q", Quota.of(1, 3));
    out.add(outcome(() -> { c.add(available("a", P, BackupType.COMMON, t0())); return null; }));
    out.add(outcome(() -> { c.addAll(List.of(available("x", P, BackupType.COMMON, t0()), available("x", P, BackupType.COMMON, t0()))); return null; }));
    out.add(outcome(() -> { c.addAll(List.of(available("y", "q", BackupType.COMMON, t0()), available("z", "q", BackupType.COMMON, t0()))); return null; }));
    out.add(outcome(() -> { c.addAll(List.of(available("y", "q", BackupType.COMMON, t0()), available("a", P, BackupType.COMMON, t0()))); return null; }));
    out.add(outcome(() -> { c.add(available("big", "q", BackupType.COMMON, t0()).toBuilder().sizeMb(5000).build()); return null; }));
    out.add(outcome(() -> c.updateTags(P, "a", 5, io.csbs.backup.TagUpdate.create(List.of(io.csbs.backup.Tag.of("k", "v"))))));
    out.add(outcome(() -> c.updateTags(P, "nope", 1, io.csbs.backup.TagUpdate.create(List.of(io.csbs.backup.Tag.of("k", "v"))))));
    out.add(outcome(() -> { c.remove(P, "a", 7); return null; }));
    out.add(outcome(() -> { c.remove("", "a", 1); return null; }));
    out.add(outcome(() -> c.apply(P, "a", 1, Transition.complete())));
    out.add(outcome(() -> c.apply(P, "a", 1, Transition.reportProgress(5))));
    out.add(outcome(() -> c.usage(P, UsageQuery.firstServers(1))));
    out.add(outcome(() -> c.usage(P, UsageQuery.of(Predicates.none(), 0, 1))));
    out.add(outcome(() -> c.quotaUsage("q")));
    out.add(outcome(() -> c.query(P, Query.builder().offset(1).marker("a").build())));
    out.add(String.valueOf(c.sequence(P)) + " " + c.sequence("q"));
    return out;
  }

  @Test
  void referenceAndIndexedRefuseAlikeWithTheSameMessages() {
    assertReferenceAnswersAsIndexed(NewUserSimulationDeepTest::refusals);
  }

  /** The same calls on a fresh ReferenceCatalog and a fresh indexed catalog: each answer alike. */
  private static void assertReferenceAnswersAsIndexed(java.util.function.Function<BackupCatalog, List<String>> calls) {
    List<String> ref = calls.apply(ReferenceCatalog.create(FakeClock.create()));
    List<String> idx = calls.apply(Catalogs.indexed(FakeClock.create()));
    for (int i = 0; i < ref.size(); i++) {
      assertEquals(idx.get(i), ref.get(i), "call " + i);
    }
  }

  @Test
  void referenceCatalogIsSafeToShareBetweenThreads() throws Exception {
    FakeClock clock = FakeClock.create();
    ReferenceCatalog ref = ReferenceCatalog.create(clock);
    List<Change> changes = java.util.Collections.synchronizedList(new ArrayList<>());
    ref.subscribe(changes::add);
    int threads = 4;
    int each = 150;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int me = t;
        done.add(pool.submit(() -> {
          go.await();
          for (int i = 0; i < each; i++) {
            ref.add(available("t" + me + "-" + i, "shared", BackupType.COMMON, t0()));
            Backup b = ref.get("shared", "t" + me + "-" + i);
            ref.apply("shared", b.id(), b.version(), Transition.restore());
            ref.count("shared", Predicates.status(BackupStatus.RESTORING));
            ref.query("shared", Query.all());
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(threads * each, ref.count("shared", Predicates.status(BackupStatus.RESTORING)));
    assertEquals(2L * threads * each, ref.sequence("shared"));
    for (int i = 0; i < changes.size(); i++) {
      assertEquals(i + 1, changes.get(i).sequence());
    }
  }

  // ---------------------------------------------------------------- batch 4: more timelines

  @Test
  void aResumedJobWithACoarseIntervalReportsAtTheEndOfItsNextIntervalOfWork() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(P, SERVER, JobPlan.DEFAULT.reportingEvery(Duration.ofMinutes(3)).stallingAt(45));
    jobs.advance(Duration.ofMinutes(4).plusSeconds(29));
    assertEquals(30, job.lastReportedPercent());
    jobs.advance(Duration.ofSeconds(1));
    assertEquals(45, job.lastReportedPercent());
    assertEquals(SimulatedJob.State.STALLED, job.state());
    jobs.advance(Duration.ofMinutes(50));
    Instant resumed = clock.instant();
    jobs.resume(job);
    // the next report when the next interval of work ends: work 6:00 (60%), 1:30 after the resume
    jobs.advance(Duration.ofSeconds(89));
    assertEquals(45, progressOf(catalog, P, job.backupId()));
    jobs.advance(Duration.ofSeconds(1));
    assertEquals(60, progressOf(catalog, P, job.backupId()));
    assertEquals(resumed.plusSeconds(90), catalog.get(P, job.backupId()).progress().orElseThrow().changedAt());
    jobs.advance(Duration.ofMinutes(3));
    assertEquals(90, job.lastReportedPercent());
    jobs.advance(Duration.ofMinutes(1));
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
    assertEquals(resumed.plusSeconds(330), job.endedAt().orElseThrow());
  }

  @Test
  void aRunningJobWhoseBackupIsRemovedEndsInterruptedAtTheEndOfTheAdvance() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(P, SERVER);
    jobs.advance(Duration.ofSeconds(30));
    Backup b = catalog.get(P, job.backupId());
    catalog.remove(P, b.id(), b.version());
    jobs.advance(Duration.ofSeconds(10));
    assertEquals(SimulatedJob.State.INTERRUPTED, job.state());
    assertEquals(Optional.of(t0().plusSeconds(40)), job.endedAt());
    assertTrue(job.toString().contains("removed"), job.toString());
    jobs.advance(Duration.ofMinutes(20));
    assertEquals(Optional.empty(), catalog.find(P, job.backupId()));
    assertEquals(Optional.of(t0().plusSeconds(40)), job.endedAt());
  }

  @Test
  void aJobStartedAboveItsStallAndFailurePercentsStallsOrFailsOnItsOwnTimeline() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob stall = jobs.startBackup(creating("st-60", P, 60, t0()), JobPlan.DEFAULT.stallingAt(40));
    SimulatedJob failing = jobs.startBackup(creating("fa-60", P, 60, t0()), JobPlan.DEFAULT.failingAt(50, "late"));
    jobs.advance(Duration.ofMinutes(6));
    assertEquals(SimulatedJob.State.STALLED, stall.state());
    assertEquals(60, progressOf(catalog, P, "st-60"));
    assertEquals(SimulatedJob.State.FAILED, failing.state());
    assertEquals(Optional.of(t0().plus(Duration.ofMinutes(5))), failing.endedAt());
  }

  // ---------------------------------------------------------------- batch 5: javadoc examples, stall rules

  @Test
  void fakeClockAndReferenceCatalogJavadocExamplesCompileAndHold() {
    FakeClock clock = FakeClock.at(Instant.parse("2026-11-24T10:00:00Z"));
    Backup backup = creating("stall-ex", P, 10, clock.instant());
    assertFalse(io.csbs.lifecycle.StallRule.DEFAULT.isStalled(backup, clock));
    clock.advance(Duration.ofMinutes(31));
    assertTrue(io.csbs.lifecycle.StallRule.DEFAULT.isStalled(backup, clock));

    FakeClock c = FakeClock.create();
    ReferenceCatalog reference = ReferenceCatalog.create(c);
    BackupCatalog myCatalog = Catalogs.indexed(c);
    List<Backup> generated = BackupGenerator.withSeed(42).backups(500);
    reference.addAll(generated);
    myCatalog.addAll(generated);
    QueryGenerator queries = QueryGenerator.create(42, generated);
    for (int i = 0; i < 50; i++) {
      Query query = queries.nextQuery();
      io.csbs.query.Page expected = reference.query("project-0", query);
      assertEquals(expected, myCatalog.query("project-0", query), "query " + i + ": " + query);
    }
  }

  @Test
  void withAnotherStallRuleReferenceAndIndexedJudgeTheSameSimulatedJobsStalled() {
    long seed = Seeds.pick();
    Seeds.run(seed, s -> {
      FakeClock clock = FakeClock.create();
      io.csbs.lifecycle.StallRule rule = io.csbs.lifecycle.StallRule.ofThreshold(Duration.ofSeconds(90));
      ReferenceCatalog ref = ReferenceCatalog.create(clock, rule);
      BackupCatalog idx = Catalogs.builder().clock(clock).stallRule(rule).build();
      FakeClock other = FakeClock.create();
      BackupCatalog idx2 = Catalogs.builder().clock(other).stallRule(rule).build();
      assertEquals(rule, ref.stallRule());
      SimulatedJobs jobs = SimulatedJobs.create(ref, clock, s);
      SimulatedJobs jobs2 = SimulatedJobs.create(idx2, other, s);
      Random r = new Random(s);
      List<Change> feed = new ArrayList<>();
      ref.subscribe(feed::add);
      for (int i = 0; i < 30; i++) {
        JobPlan plan = JobPlan.taking(Duration.ofMinutes(1 + r.nextInt(30))).reportingEvery(Duration.ofSeconds(10 + r.nextInt(170)));
        if (r.nextBoolean()) {
          plan = plan.stallingAt(r.nextInt(101));
        }
        jobs.startBackup(P, SERVER, plan);
        jobs2.startBackup(P, SERVER, plan);
        Duration d = Duration.ofSeconds(r.nextInt(120));
        jobs.advance(d);
        jobs2.advance(d);
        for (Change c : feed) {
          idx.replay(c);
        }
        feed.clear();
        assertEquals(ref.query(P, Query.where(Predicates.stalled())), idx.query(P, Query.where(Predicates.stalled())), "step " + i);
        assertEquals(ref.query(P, Query.where(Predicates.stalled())), idx2.query(P, Query.where(Predicates.stalled())), "step " + i);
      }
    });
  }

  @Test
  void twoRunnersOfOneSeedOnOneCatalogMakeDuplicateIdsAsDocumented() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs.create(catalog, clock, 77).startBackup(P, SERVER);
    SimulatedJobs second = SimulatedJobs.create(catalog, clock, 77);
    assertThrows(DuplicateBackupException.class, () -> second.startBackup(P, SERVER));
    assertEquals(List.of(), second.jobs());
    SimulatedJobs.create(catalog, clock, 78).startBackup(P, SERVER);
    assertEquals(2, catalog.count(P, Predicates.all()));
  }

  // ---------------------------------------------------------------- batch 6: hand-made odd data

  private static List<Backup> oddBackups() {
    List<Backup> out = new ArrayList<>();
    String[] names = {"Zeta", "alpha", "Ålesund", "ñandú", "名前", "_", "-", "A", "a", "z9"};
    Server[] servers = {
        Server.of("srv-1", "web-Ж", "az-1"), Server.of("srv-1", "web-renamed", "az-1"),
        Server.of("srv-2", "db", "az-2"), Server.of("SRV-1", "web-upper", "az-1")};
    for (String project : List.of("p-b", "p-a", "p-ü")) {
      for (int i = 0; i < names.length; i++) {
        BackupStatus status = i % 3 == 0 ? BackupStatus.ERROR : BackupStatus.AVAILABLE;
        out.add(Backup.builder().id(i % 4 == 0 ? "shared-" + i : project + "-" + i).name(names[i]).projectId(project)
            .server(servers[(i + project.length()) % servers.length]).status(status)
            .failure(status == BackupStatus.ERROR ? Optional.of(io.csbs.backup.Failure.of(JobType.BACKUP, "x", t0())) : Optional.empty())
            .finishedAt(status == BackupStatus.ERROR ? Optional.of(t0()) : Optional.empty())
            .type(i % 2 == 0 ? BackupType.ENHANCED : BackupType.COMMON).trigger(BackupTrigger.MANUAL)
            .sizeMb(1 + (long) i * 1023 + (i == 9 ? 16L * 1024 * 1024 : 0)).createdAt(t0().minusSeconds(i % 3)).build());
      }
    }
    return out;
  }

  @Test
  void onHandMadeOddDataReferenceAndIndexedAgreeOnPagesMarkersTiesUsageAndQuotas() {
    FakeClock clock = FakeClock.create();
    ReferenceCatalog ref = ReferenceCatalog.create(clock);
    BackupCatalog idx = Catalogs.indexed(clock);
    List<Backup> odd = oddBackups();
    ref.addAll(odd);
    idx.addAll(odd);
    List<io.csbs.query.Sort> sorts = List.of(io.csbs.query.Sort.DEFAULT, io.csbs.query.Sort.parse("name:asc"),
        io.csbs.query.Sort.parse("name:desc"), io.csbs.query.Sort.parse("id:desc"), io.csbs.query.Sort.parse("status:asc,created_at:asc"),
        io.csbs.query.Sort.parse("created_at:desc,name:asc"));
    List<BackupPredicate> predicates = List.of(Predicates.all(), Predicates.status(BackupStatus.ERROR),
        Predicates.type(BackupType.ENHANCED), Predicates.serverId("srv-1"), Predicates.nameContains("a"), Predicates.none());
    List<String> markers = new ArrayList<>();
    markers.add(null);
    for (Backup b : odd) {
      if (!markers.contains(b.id())) {
        markers.add(b.id());
      }
    }
    markers.add("missing");
    int compared = 0;
    for (io.csbs.query.Sort sort : sorts) {
      for (BackupPredicate where : predicates) {
        for (String marker : markers) {
          for (int limit : new int[] {1, 3, 1000}) {
            Query q = Query.builder().where(where).sort(sort).limit(limit).marker(marker).build();
            for (String project : List.of("p-a", "p-ü")) {
              assertEquals(outcome(() -> idx.query(project, q)), outcome(() -> ref.query(project, q)), project + " " + q);
            }
            assertEquals(outcome(() -> idx.queryAllProjects(q)), outcome(() -> ref.queryAllProjects(q)), "all " + q);
            compared++;
          }
        }
        for (long offset : new long[] {0, 2, 9, 10, 11, 29, 30, 31, Long.MAX_VALUE}) {
          Query q = Query.builder().where(where).sort(sort).limit(2).offset(offset).build();
          assertEquals(outcome(() -> idx.query("p-b", q)), outcome(() -> ref.query("p-b", q)), "p-b " + q);
          assertEquals(outcome(() -> idx.queryAllProjects(q)), outcome(() -> ref.queryAllProjects(q)), "all " + q);
        }
        assertEquals(outcome(() -> idx.countAllProjects(where)), outcome(() -> ref.countAllProjects(where)));
        for (String project : List.of("p-a", "p-b", "p-ü")) {
          for (int offset = 0; offset < 4; offset++) {
            int off = offset;
            UsageQuery u = UsageQuery.of(where, off, 2);
            assertEquals(outcome(() -> idx.usage(project, u)), outcome(() -> ref.usage(project, u)), project + " " + u);
          }
        }
      }
    }
    assertTrue(compared > 1000);
    for (Quota quota : List.of(Quota.of(30, 16 * 1024 + 50), Quota.of(10, 1), Quota.of(0, 0), Quota.NONE)) {
      for (String project : List.of("p-a", "p-b", "p-ü")) {
        ref.setQuota(project, quota);
        idx.setQuota(project, quota);
        assertEquals(outcome(() -> idx.quotaUsage(project)), outcome(() -> ref.quotaUsage(project)), project + " " + quota);
        Backup more = creating(project + "-more", project, 0, t0());
        assertEquals(outcome(() -> { idx.add(more); return null; }), outcome(() -> { ref.add(more); return null; }), project + " " + quota);
      }
    }
  }

  // ---------------------------------------------------------------- batch 7: failure and stall instants, random

  /** The first nanosecond of work at which the progress (share of the duration, rounded down) is at least p. */
  private static long firstNanoAt(long durationNanos, int p) {
    java.math.BigInteger need = java.math.BigInteger.valueOf(durationNanos).multiply(java.math.BigInteger.valueOf(p));
    java.math.BigInteger[] qr = need.divideAndRemainder(java.math.BigInteger.valueOf(100));
    return qr[0].longValueExact() + (qr[1].signum() > 0 ? 1 : 0);
  }

  @Test
  void failuresAndStallsComeAtTheFirstNanosecondTheirPercentIsReachedForRandomPlans() {
    long seed = Seeds.pick();
    Seeds.run(seed, s -> {
      Random r = new Random(s);
      for (int round = 0; round < 200; round++) {
        FakeClock clock = FakeClock.create();
        BackupCatalog catalog = Catalogs.indexed(clock);
        SimulatedJobs jobs = SimulatedJobs.create(catalog, clock, s);
        long durationNanos = switch (r.nextInt(3)) {
          case 0 -> 1 + r.nextInt(1000);
          case 1 -> 1 + (long) (r.nextDouble() * 3_600_000_000_000L);
          default -> 1 + (long) (r.nextDouble() * (JobPlan.MAX_DURATION.toNanos() - 1));
        };
        Duration duration = Duration.ofNanos(durationNanos);
        long intervalNanos = 1 + (long) (r.nextDouble() * durationNanos * (r.nextBoolean() ? 0.05 : 1.5));
        int percent = r.nextInt(101);
        boolean fails = r.nextBoolean();
        JobPlan plan = JobPlan.taking(duration).reportingEvery(Duration.ofNanos(Math.min(intervalNanos, JobPlan.MAX_DURATION.toNanos())));
        plan = fails ? plan.failingAt(percent, "r" + round) : plan.stallingAt(percent);
        SimulatedJob job = jobs.startBackup(P, SERVER, plan);
        long at = firstNanoAt(durationNanos, percent);
        String it = "round " + round + " " + plan + " expected at " + at + " ns";
        if (at > 0) {
          jobs.advance(Duration.ofNanos(at - 1));
          assertEquals(SimulatedJob.State.RUNNING, job.state(), it);
          assertTrue(job.lastReportedPercent() < percent, it + " reported " + job.lastReportedPercent());
        }
        jobs.advance(at == 0 ? Duration.ZERO : Duration.ofNanos(1));
        if (fails) {
          assertEquals(SimulatedJob.State.FAILED, job.state(), it);
          assertEquals(Optional.of(t0().plusNanos(at)), job.endedAt(), it);
          assertTrue(job.lastReportedPercent() < Math.max(percent, 1), it);
          assertEquals(BackupStatus.ERROR, catalog.get(P, job.backupId()).status(), it);
        } else {
          assertEquals(SimulatedJob.State.STALLED, job.state(), it);
          assertEquals(percent, job.lastReportedPercent(), it);
          assertEquals(percent, progressOf(catalog, P, job.backupId()), it);
          jobs.advance(duration.multipliedBy(2).compareTo(JobPlan.MAX_DURATION) > 0 ? JobPlan.MAX_DURATION : duration.multipliedBy(2));
          assertEquals(SimulatedJob.State.STALLED, job.state(), it);
          assertEquals(percent, progressOf(catalog, P, job.backupId()), it);
        }
      }
    });
  }

  // ---------------------------------------------------------------- batch 8: replay and load refusals

  private static List<String> replayRefusals(BackupCatalog c) {
    List<String> out = new ArrayList<>();
    Backup a = available("a", P, BackupType.COMMON, t0());
    Backup b = available("b", P, BackupType.COMMON, t0());
    c.add(a);
    c.add(b);
    Backup a2 = a.toBuilder().version(2).build();
    Backup a6 = a.toBuilder().version(6).build();
    Backup gone = available("gone", P, BackupType.COMMON, t0());
    out.add(outcome(() -> c.replay(new Change(3, P, "a", Optional.of(a6), Optional.of(a6.toBuilder().version(7).build()), Optional.empty()))));
    out.add(outcome(() -> c.replay(new Change(3, P, "b", Optional.empty(), Optional.of(b), Optional.empty()))));
    out.add(outcome(() -> c.replay(new Change(3, P, "gone", Optional.of(gone), Optional.empty(), Optional.empty()))));
    out.add(outcome(() -> c.replay(new Change(2, P, "gone", Optional.of(gone), Optional.empty(), Optional.empty()))));
    out.add(outcome(() -> c.replay(new Change(9, P, "gone", Optional.of(gone), Optional.empty(), Optional.empty()))));
    out.add(outcome(() -> c.replay(new Change(3, P, "a", Optional.of(a), Optional.of(a2), Optional.empty()))));
    out.add(outcome(() -> c.replay(new Change(4, P, "a", Optional.of(a2), Optional.empty(), Optional.empty()))));
    out.add(outcome(() -> c.replay(new Change(1, "fresh-ß", "n", Optional.empty(),
        Optional.of(available("n", "fresh-ß", BackupType.COMMON, t0())), Optional.empty()))));
    out.add(outcome(() -> { c.load(new io.csbs.catalog.ProjectSnapshot(P, 10, Quota.NONE, List.of())); return null; }));
    out.add(outcome(() -> { c.load(new io.csbs.catalog.ProjectSnapshot("fresh-ß", 10, Quota.NONE, List.of())); return null; }));
    // a project whose backups are all gone, but whose sequence is above 0
    c.add(available("z", "emptied", BackupType.COMMON, t0()));
    c.remove("emptied", "z", 1);
    out.add(outcome(() -> { c.load(new io.csbs.catalog.ProjectSnapshot("emptied", 5, Quota.NONE, List.of())); return null; }));
    out.add(outcome(() -> { c.load(new io.csbs.catalog.ProjectSnapshot("new-p", 5, Quota.of(1, Quota.UNLIMITED),
        List.of(available("d", "new-p", BackupType.COMMON, t0()), available("d", "new-p", BackupType.COMMON, t0())))); return null; }));
    out.add(outcome(() -> { c.load(new io.csbs.catalog.ProjectSnapshot("new-q", 5, Quota.of(1, Quota.UNLIMITED),
        List.of(available("d", "new-q", BackupType.COMMON, t0()), available("e", "new-q", BackupType.COMMON, t0())))); return null; }));
    out.add(outcome(() -> { c.load(new io.csbs.catalog.ProjectSnapshot("new-r", 5, Quota.NONE,
        List.of(available("d", "other", BackupType.COMMON, t0())))); return null; }));
    for (String project : List.of(P, "fresh-ß", "emptied", "new-p", "new-q", "new-r")) {
      out.add(project + " " + c.sequence(project) + " " + c.count(project, Predicates.all()) + " " + c.quotaUsage(project));
    }
    return out;
  }

  @Test
  void referenceAndIndexedRefuseReplaysAndLoadsAlikeButForTheGapMessage() {
    List<String> ref = replayRefusals(ReferenceCatalog.create(FakeClock.create()));
    List<String> idx = replayRefusals(Catalogs.indexed(FakeClock.create()));
    assertEquals(idx.size(), ref.size());
    for (int i = 0; i < ref.size(); i++) {
      if (i == 4) {
        assertTrue(ref.get(i).startsWith("java.lang.IllegalStateException") && idx.get(i).startsWith("java.lang.IllegalStateException"), ref.get(i) + " / " + idx.get(i));
        continue;
      }
      assertEquals(idx.get(i), ref.get(i), "call " + i);
    }
  }

  // ---------------------------------------------------------------- batch 9: one instant per read; Seeds docs

  private static List<Long> readAtOneInstant(java.util.function.Function<FakeClock, BackupCatalog> make) {
    FakeClock clock = FakeClock.create();
    BackupCatalog c = make.apply(clock);
    c.add(creating("slow", P, 10, t0()));
    c.add(available("recent", P, BackupType.COMMON, t0()));
    clock.advance(Duration.ofMinutes(29));
    return c.read(P, view -> {
      List<Long> out = new ArrayList<>();
      out.add(view.count(Predicates.stalled()));
      out.add(view.count(Predicates.createdWithinLast(Duration.ofMinutes(30))));
      clock.advance(Duration.ofMinutes(2));
      out.add(view.count(Predicates.stalled()));
      out.add(view.count(Predicates.createdWithinLast(Duration.ofMinutes(30))));
      out.add(c.count(P, Predicates.stalled()));
      out.add((long) c.query(P, Query.where(Predicates.createdWithinLast(Duration.ofMinutes(30)))).backups().size());
      return out;
    });
  }

  @Test
  void insideReadEveryAnswerUsesTheReadsOneInstantInReferenceAsInIndexed() {
    List<Long> ref = readAtOneInstant(ReferenceCatalog::create);
    List<Long> idx = readAtOneInstant(Catalogs::indexed);
    assertEquals(List.of(0L, 2L, 0L, 2L), ref.subList(0, 4));
    assertEquals(idx, ref);
  }

  private static List<String> viewMisuse(java.util.function.Function<FakeClock, BackupCatalog> make) throws Exception {
    FakeClock clock = FakeClock.create();
    BackupCatalog c = make.apply(clock);
    c.add(creating("slow", P, 10, t0()));
    List<String> out = new ArrayList<>();
    io.csbs.catalog.ProjectView[] escaped = new io.csbs.catalog.ProjectView[1];
    out.add(outcome(() -> c.read(P, v -> {
      escaped[0] = v;
      return c.read(P, inner -> inner.count(Predicates.all()));
    })));
    out.add(outcome(() -> escaped[0].count(Predicates.all())));
    out.add(outcome(() -> c.read(P, v -> {
      throw new IllegalArgumentException("mine");
    })));
    clock.advance(Duration.ofMinutes(31));
    out.add(outcome(() -> c.count(P, Predicates.stalled())));
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      out.add(outcome(() -> c.read(P, v -> {
        try {
          return pool.submit(() -> outcome(() -> v.count(Predicates.all()))).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      })));
    } finally {
      pool.shutdownNow();
    }
    return out;
  }

  @Test
  void aViewUsedOutsideItsReadAndAReadThatThrowsBehaveAlikeInReferenceAndIndexed() throws Exception {
    List<String> ref = viewMisuse(ReferenceCatalog::create);
    List<String> idx = viewMisuse(Catalogs::indexed);
    assertEquals("ok 1", ref.get(3));
    assertEquals(idx, ref);
  }

  @Test
  void atOneInstantAResumedJobStillGoesInTheOrderTheJobsStarted() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob a = jobs.startBackup(P, SERVER, JobPlan.DEFAULT.stallingAt(0));
    jobs.advance(Duration.ofSeconds(30));
    SimulatedJob b = jobs.startBackup(P, SERVER);
    SimulatedJob c = jobs.startBackup("other", SERVER, JobPlan.DEFAULT.stallingAt(0));
    jobs.advance(Duration.ZERO);
    jobs.resume(c);
    jobs.resume(a);
    List<String> order = new ArrayList<>();
    catalog.subscribe(ch -> order.add(Duration.between(t0(), ch.after().orElseThrow().updatedAt()).toSeconds() + " "
        + (ch.backupId().equals(a.backupId()) ? "a" : ch.backupId().equals(b.backupId()) ? "b" : "c")));
    jobs.advance(Duration.ofMinutes(2));
    assertEquals(List.of("90 a", "90 b", "90 c", "150 a", "150 b", "150 c"), order);
  }

  /** A catalog that refuses every apply while {@code refusing[0]} is set, as a failing store would. */
  private static BackupCatalog refusingCatalog(BackupCatalog delegate, boolean[] refusing) {
    return (BackupCatalog) java.lang.reflect.Proxy.newProxyInstance(BackupCatalog.class.getClassLoader(),
        new Class<?>[] {BackupCatalog.class}, (proxy, method, args) -> {
          if (method.getName().equals("apply") && refusing[0]) {
            throw new IllegalStateException("store unavailable");
          }
          try {
            return method.invoke(delegate, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  @Test
  void aChangeTheCatalogRefusesPropagatesFromAdvanceAndTheJobCatchesUpLater() {
    FakeClock clock = FakeClock.create();
    BackupCatalog real = Catalogs.indexed(clock);
    boolean[] refusing = {false};
    BackupCatalog catalog = refusingCatalog(real, refusing);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(P, SERVER);
    refusing[0] = true;
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> jobs.advance(Duration.ofMinutes(5)));
    assertEquals("store unavailable", e.getMessage());
    assertEquals(SimulatedJob.State.RUNNING, job.state());
    assertEquals(0, job.lastReportedPercent());
    assertEquals(0, progressOf(real, P, job.backupId()));
    Instant stoppedAt = clock.instant();
    assertEquals(t0().plus(Duration.ofMinutes(1)), stoppedAt, "the clock stays at the refused change's instant");
    refusing[0] = false;
    jobs.advance(Duration.ofMinutes(4));
    assertEquals(50, progressOf(real, P, job.backupId()));
    jobs.advance(Duration.ofMinutes(5));
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
  }

  private static List<String> noOps(BackupCatalog c) {
    List<String> out = new ArrayList<>();
    List<String> delivered = new ArrayList<>();
    c.subscribe(ch -> delivered.add(ch.toString()));
    c.add(creating("cr", P, 10, t0()));
    c.add(available("av", P, BackupType.COMMON, t0()).toBuilder().addTags(io.csbs.backup.Tag.of("k", "v")).build());
    out.add(outcome(() -> c.apply(P, "cr", 1, Transition.reportProgress(10))));
    out.add(outcome(() -> c.apply(P, "cr", 1, Transition.reportProgress(9))));
    out.add(outcome(() -> c.apply(P, "cr", 1, Transition.reportProgress(101))));
    out.add(outcome(() -> c.apply(P, "cr", 1, Transition.reportProgress(-1))));
    out.add(outcome(() -> c.updateTags(P, "av", 1, io.csbs.backup.TagUpdate.create(List.of(io.csbs.backup.Tag.of("k", "v"))))));
    out.add(outcome(() -> c.apply(P, "av", 1, Transition.reportProgress(50))));
    out.add(outcome(() -> c.apply(P, "av", 1, Transition.fail("x"))));
    out.add(outcome(() -> c.apply(P, "av", 1, Transition.complete())));
    out.add(outcome(() -> c.apply(P, "cr", 1, Transition.restore())));
    out.add(c.sequence(P) + " " + delivered);
    return out;
  }

  @Test
  void noOpChangesAndRefusedTransitionsAgreeBetweenReferenceAndIndexed() {
    assertReferenceAnswersAsIndexed(NewUserSimulationDeepTest::noOps);
  }

  @Test
  void onTwoThousandJobsEveryPlannedFailureAndStallHappensAndNothingElse() {
    long seed = Seeds.pick();
    Seeds.run(seed, s -> {
      Random r = new Random(s);
      FakeClock clock = FakeClock.create();
      BackupCatalog catalog = Catalogs.indexed(clock);
      SimulatedJobs jobs = SimulatedJobs.create(catalog, clock, s);
      int plannedFailures = 0;
      int plannedStalls = 0;
      for (int i = 0; i < 2000; i++) {
        JobPlan plan = JobPlan.taking(Duration.ofMinutes(1 + r.nextInt(10))).reportingEvery(Duration.ofMinutes(1 + r.nextInt(3)));
        int kind = r.nextInt(10);
        if (kind == 0) {
          plan = plan.failingAt(r.nextInt(101), "injected-" + i);
          plannedFailures++;
        } else if (kind == 1) {
          plan = plan.stallingAt(r.nextInt(101));
          plannedStalls++;
        }
        jobs.startBackup("p-" + (i % 7), SERVER, plan);
      }
      jobs.advance(Duration.ofMinutes(11));
      int failed = 0;
      int stalled = 0;
      int succeeded = 0;
      for (SimulatedJob job : jobs.jobs()) {
        BackupStatus status = catalog.get(job.projectId(), job.backupId()).status();
        switch (job.state()) {
          case FAILED -> {
            failed++;
            assertEquals(BackupStatus.ERROR, status, job.toString());
            assertTrue(job.plan().failAtPercent().isPresent(), job.toString());
          }
          case STALLED -> {
            stalled++;
            assertEquals(BackupStatus.CREATING, status, job.toString());
            assertEquals(job.plan().stallAtPercent().getAsInt(), job.lastReportedPercent(), job.toString());
          }
          case SUCCEEDED -> {
            succeeded++;
            assertEquals(BackupStatus.AVAILABLE, status, job.toString());
          }
          default -> fail("unexpected " + job);
        }
      }
      assertEquals(plannedFailures, failed);
      assertEquals(plannedStalls, stalled);
      assertEquals(2000 - plannedFailures - plannedStalls, succeeded);
      assertTrue(failed > 120 && failed < 290, "failed " + failed);
    });
  }

  @Test
  void theClockReadsEachChangesInstantWhileTheChangeIsMadeAndTheTargetAfterwards() {
    long seed = Seeds.pick();
    Seeds.run(seed, s -> {
      Random r = new Random(s);
      FakeClock clock = FakeClock.create();
      BackupCatalog catalog = ReferenceCatalog.create(clock);
      List<String> mismatches = new ArrayList<>();
      List<Instant> seen = new ArrayList<>();
      catalog.subscribe(c -> {
        Instant changed = c.after().map(Backup::updatedAt).orElse(null);
        if (changed != null && !changed.equals(clock.instant())) {
          mismatches.add(c + " dated " + changed + " at " + clock.instant());
        }
        seen.add(clock.instant());
      });
      SimulatedJobs jobs = SimulatedJobs.create(catalog, clock, s);
      for (int i = 0; i < 40; i++) {
        jobs.startBackup(P, SERVER, JobPlan.taking(Duration.ofSeconds(1 + r.nextInt(900)))
            .reportingEvery(Duration.ofMillis(1 + r.nextInt(100_000))));
        Instant before = clock.instant();
        Duration d = Duration.ofMillis(r.nextInt(200_000));
        jobs.advance(d);
        assertEquals(before.plus(d), clock.instant());
      }
      jobs.advance(Duration.ofHours(1));
      assertEquals(List.of(), mismatches);
      for (int i = 1; i < seen.size(); i++) {
        assertFalse(seen.get(i).isBefore(seen.get(i - 1)), "changes out of time order at " + i);
      }
    });
  }

  private static List<String> addAllOrder(BackupCatalog c) {
    List<String> out = new ArrayList<>();
    c.add(available("dup", "p-b", BackupType.COMMON, t0()));
    c.setQuota("p-a", Quota.of(1, Quota.UNLIMITED));
    c.setQuota("Z-upper", Quota.of(Quota.UNLIMITED, 1));
    List<Backup> batch = List.of(
        available("n1", "p-b", BackupType.COMMON, t0()), available("dup", "p-b", BackupType.COMMON, t0()),
        available("a1", "p-a", BackupType.COMMON, t0()), available("a2", "p-a", BackupType.COMMON, t0()),
        available("z1", "Z-upper", BackupType.COMMON, t0()), available("ü1", "ü-last", BackupType.COMMON, t0()),
        available("ü1", "ü-last", BackupType.COMMON, t0()));
    out.add(outcome(() -> { c.addAll(batch); return null; }));
    out.add(outcome(() -> { c.addAll(batch.subList(2, 5)); return null; }));
    out.add(outcome(() -> { c.addAll(batch.subList(4, 5)); return null; }));
    out.add(outcome(() -> { c.addAll(batch.subList(5, 7)); return null; }));
    out.add(outcome(() -> { c.addAll(List.of()); return null; }));
    for (String project : List.of("p-a", "p-b", "Z-upper", "ü-last")) {
      out.add(project + " " + c.sequence(project) + " " + c.count(project, Predicates.all()));
    }
    return out;
  }

  @Test
  void addAllNamesTheSameFirstRefusalInReferenceAndIndexed() {
    List<String> ref = addAllOrder(ReferenceCatalog.create(FakeClock.create()));
    List<String> idx = addAllOrder(Catalogs.indexed(FakeClock.create()));
    for (int i = 0; i < ref.size(); i++) {
      assertEquals(idx.get(i), ref.get(i), "call " + i);
    }
    assertTrue(ref.get(0).contains("QuotaExceeded") || ref.get(0).contains("Duplicate"), ref.get(0));
  }
}
