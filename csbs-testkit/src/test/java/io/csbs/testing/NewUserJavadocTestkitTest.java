package io.csbs.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.BackupType;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.JobType;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.BackupNotFoundException;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.Change;
import io.csbs.catalog.DuplicateBackupException;
import io.csbs.catalog.ProjectSnapshot;
import io.csbs.catalog.ProjectView;
import io.csbs.catalog.Subscription;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.ListQueryString;
import io.csbs.query.Page;
import io.csbs.query.PredicateVisitor;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import io.csbs.query.TagCatalogue;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaExceededException;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

/**
 * A new user's tests of the testkit, written from README.md and the javadoc of the public types of
 * {@code io.csbs.testing} only: every {@code {@code}} example run as written, and the documented
 * claims the earlier {@link NewUserTestkitTest} does not check.
 */
class NewUserJavadocTestkitTest {
  private static final String P = "project-1";
  private static final Server WEB = Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-web", "eu-de-02");

  private static Backup available(String id, String project, Instant createdAt, BackupType type) {
    return Backup.builder()
        .id(id)
        .name("manualbk_" + id.replaceAll("[^A-Za-z0-9]", ""))
        .projectId(project)
        .server(WEB)
        .status(BackupStatus.AVAILABLE)
        .type(type)
        .sizeMb(2048)
        .createdAt(createdAt)
        .build();
  }

  private static Backup available(String id, Instant createdAt) {
    return available(id, P, createdAt, BackupType.COMMON);
  }

  // =============================================================== Seeds

  /** The class example of Seeds, with its "..." filled by a check of the generated backups. */
  @Test
  void seedsJavadocExampleRunsAndTheSeedDecidesTheBackups() {
    List<Long> seen = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Seeds.run(Seeds.pick(), seed -> {
        List<Backup> backups = BackupGenerator.withSeed(seed).backups(500);
        assertEquals(500, backups.size());
        assertEquals(backups, BackupGenerator.withSeed(seed).backups(500));
        seen.add(seed);
      });
    }
    assertEquals(3, seen.size());
  }

  @Test
  void seedsPickReadsTheSystemPropertyStrippedAndRefusesANonNumber() {
    String before = System.getProperty(Seeds.PROPERTY);
    try {
      System.setProperty(Seeds.PROPERTY, "-4242");
      assertEquals(-4242L, Seeds.pick());
      System.setProperty(Seeds.PROPERTY, String.valueOf(Long.MIN_VALUE));
      assertEquals(Long.MIN_VALUE, Seeds.pick());
      System.setProperty(Seeds.PROPERTY, "seven");
      assertThrows(IllegalArgumentException.class, Seeds::pick);
    } finally {
      if (before == null) {
        System.clearProperty(Seeds.PROPERTY);
      } else {
        System.setProperty(Seeds.PROPERTY, before);
      }
    }
    assertEquals("csbs.seed", Seeds.PROPERTY);
  }

  @Test
  void seedsRunPassesTheSeedAndWrapsAnExceptionWithTheReplayCommand() {
    long[] given = new long[1];
    Seeds.run(Long.MAX_VALUE, seed -> given[0] = seed);
    assertEquals(Long.MAX_VALUE, given[0]);

    IllegalStateException cause = new IllegalStateException("boom");
    AssertionError error = assertThrows(AssertionError.class, () -> Seeds.run(-7, seed -> {
      throw cause;
    }));
    assertSame(cause, error.getCause());
    assertTrue(error.getMessage().contains("-7"), error.getMessage());
    assertTrue(error.getMessage().contains("-Dcsbs.seed=-7"), error.getMessage());
    assertTrue(error.getMessage().indexOf("-7") < error.getMessage().indexOf("boom"), error.getMessage());
  }

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> void sneakyThrow(Throwable t) throws E {
    throw (E) t;
  }

  /** "If it fails, the failure is rethrown as an AssertionError whose message starts with the seed". */
  @Test
  void seedsRunReportsTheSeedOfACheckedExceptionToo() {
    IOException cause = new IOException("disk full");
    Throwable thrown = assertThrows(Throwable.class, () -> Seeds.run(11, seed -> sneakyThrow(cause)));
    assertTrue(thrown instanceof AssertionError, "thrown: " + thrown);
    assertTrue(thrown.getMessage().contains("-Dcsbs.seed=11"), thrown.getMessage());
  }

  /** An assumption that does not hold aborts a JUnit test: it is not a failure. */
  @Test
  void seedsRunLetsAnAbortedAssumptionThrough() {
    assertThrows(TestAbortedException.class,
        () -> Seeds.run(3, seed -> Assumptions.assumeTrue(seed % 2 == 0, "only even seeds")));
  }

  // =============================================================== FakeClock

  @Test
  void fakeClockReadsAsAClockAndAdvancesByZeroOrTheSmallestStep() {
    FakeClock clock = FakeClock.at(Instant.parse("2026-11-24T10:00:00.123456789Z"));
    assertEquals(Instant.parse("2026-11-24T10:00:00.123Z").toEpochMilli(), clock.millis());
    assertEquals(Instant.parse("2026-11-24T10:00:00.123456789Z"), clock.advance(Duration.ZERO));
    assertEquals(Instant.parse("2026-11-24T10:00:00.123456790Z"), clock.advance(Duration.ofNanos(1)));
    FakeClock tokyo = clock.withZone(ZoneId.of("Asia/Tokyo"));
    assertEquals(ZoneId.of("Asia/Tokyo"), tokyo.getZone());
    tokyo.set(Instant.MIN);
    assertEquals(Instant.MIN, clock.instant());
    clock.set(Instant.MAX);
    assertEquals(Instant.MAX, tokyo.instant());
    assertEquals(Instant.parse("2026-01-01T00:00:00Z"), FakeClock.DEFAULT_START);
    assertThrows(IllegalArgumentException.class, () -> clock.advance(Duration.ofNanos(-1)));
    assertEquals(Instant.MAX, clock.instant(), "a refused advance leaves the clock");
  }

  // =============================================================== JobPlan

  /** The four lines of JobPlan's class example, and the values each plan reports. */
  @Test
  void jobPlanJavadocExampleAndItsValues() {
    JobPlan plain = JobPlan.DEFAULT;
    assertEquals(Duration.ofMinutes(10), plain.duration());
    assertEquals(Duration.ofMinutes(1), plain.reportInterval());
    assertEquals(JobPlan.DEFAULT_REPORT_INTERVAL, plain.reportInterval());
    assertTrue(plain.failAtPercent().isEmpty());
    assertTrue(plain.failureReason().isEmpty());
    assertTrue(plain.stallAtPercent().isEmpty());

    JobPlan slow = JobPlan.taking(Duration.ofHours(2)).reportingEvery(Duration.ofMinutes(5));
    assertEquals(Duration.ofHours(2), slow.duration());
    assertEquals(Duration.ofMinutes(5), slow.reportInterval());

    JobPlan failing = JobPlan.taking(Duration.ofMinutes(20)).failingAt(60, "agent not reachable");
    assertEquals(60, failing.failAtPercent().getAsInt());
    assertEquals(Optional.of("agent not reachable"), failing.failureReason());
    assertTrue(failing.stallAtPercent().isEmpty());

    JobPlan stalling = JobPlan.taking(Duration.ofMinutes(20)).stallingAt(40);
    assertEquals(40, stalling.stallAtPercent().getAsInt());
    assertTrue(stalling.failAtPercent().isEmpty());
  }

  @Test
  void jobPlanIsAnImmutableValueWithTheDocumentedToString() {
    JobPlan base = JobPlan.taking(Duration.ofMinutes(20));
    JobPlan both = base.failingAt(60, "agent not reachable").stallingAt(40);
    assertEquals("JobPlan{PT20M, report every PT1M, fail at 60%: agent not reachable, stall at 40%}", both.toString());
    assertEquals("JobPlan{PT10M, report every PT1M}", JobPlan.DEFAULT.toString());
    // not changed by the with-style methods
    assertEquals(JobPlan.taking(Duration.ofMinutes(20)), base);
    assertTrue(base.failAtPercent().isEmpty());
    assertTrue(base.stallAtPercent().isEmpty());
    // a value: equal plans made in another order are equal, with equal hash codes
    JobPlan other = JobPlan.taking(Duration.ofMinutes(20)).stallingAt(40).failingAt(60, "agent not reachable");
    assertEquals(both, other);
    assertEquals(both.hashCode(), other.hashCode());
    assertNotEquals(both, base.failingAt(60, "agent not reachable ").stallingAt(40));
    assertNotEquals(base, base.reportingEvery(Duration.ofSeconds(61)));
    assertEquals(JobPlan.DEFAULT, JobPlan.taking(Duration.ofMinutes(10)).reportingEvery(Duration.ofSeconds(60)));
  }

  @Test
  void jobPlanDurationsArePositiveAndAtMostTheMaximum() {
    assertEquals(Duration.ofDays(365), JobPlan.MAX_DURATION);
    assertEquals(JobPlan.MAX_DURATION, JobPlan.taking(JobPlan.MAX_DURATION).duration());
    assertEquals(Duration.ofNanos(1), JobPlan.taking(Duration.ofNanos(1)).duration());
    assertEquals(JobPlan.MAX_DURATION, JobPlan.DEFAULT.reportingEvery(JobPlan.MAX_DURATION).reportInterval());
    assertEquals(Duration.ofNanos(1), JobPlan.DEFAULT.reportingEvery(Duration.ofNanos(1)).reportInterval());
    for (Duration bad : List.of(Duration.ZERO, Duration.ofNanos(-1), JobPlan.MAX_DURATION.plusNanos(1))) {
      assertThrows(IllegalArgumentException.class, () -> JobPlan.taking(bad), bad.toString());
      assertThrows(IllegalArgumentException.class, () -> JobPlan.DEFAULT.reportingEvery(bad), bad.toString());
    }
  }

  @Test
  void jobPlanPercentsAreZeroToHundredAndTheReasonFollowsTheFailureRule() {
    for (int percent : new int[] {0, 1, 99, 100}) {
      assertEquals(percent, JobPlan.DEFAULT.failingAt(percent, "x").failAtPercent().getAsInt());
      assertEquals(percent, JobPlan.DEFAULT.stallingAt(percent).stallAtPercent().getAsInt());
    }
    for (int percent : new int[] {-1, 101, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
      assertThrows(IllegalArgumentException.class, () -> JobPlan.DEFAULT.failingAt(percent, "x"));
      assertThrows(IllegalArgumentException.class, () -> JobPlan.DEFAULT.stallingAt(percent));
    }
    for (String blank : new String[] {"", " ", "\t\n"}) {
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> JobPlan.DEFAULT.failingAt(50, blank));
      assertEquals("failure reason", e.field());
      assertTrue(e.getMessage().startsWith("failure reason"), e.getMessage());
    }
    String longest = "é".repeat(io.csbs.backup.Failure.MAX_REASON_LENGTH);
    assertEquals(Optional.of(longest), JobPlan.DEFAULT.failingAt(50, longest).failureReason());
    InvalidValueException tooLong = assertThrows(InvalidValueException.class,
        () -> JobPlan.DEFAULT.failingAt(50, longest + "e"));
    assertEquals("failure reason", tooLong.field());
    assertEquals(Optional.of("agent 𝒜 ß İ"), JobPlan.DEFAULT.failingAt(50, "agent 𝒜 ß İ").failureReason());
  }

  // =============================================================== SimulatedJob / SimulatedJobs examples

  /** SimulatedJob's class example, with the set-up it leaves out. */
  @Test
  void simulatedJobJavadocExampleDeletesTheBackup() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    String backupId = "b-1";
    catalog.add(available(backupId, clock.instant().minus(Duration.ofDays(1))));

    SimulatedJob job = jobs.startDelete("project-1", backupId, JobPlan.taking(Duration.ofMinutes(5)));
    assertEquals(BackupStatus.DELETING, catalog.get(P, backupId).status());
    assertEquals(0, catalog.get(P, backupId).progress().orElseThrow().percent());
    assertEquals(JobType.DELETE, job.type());
    assertEquals(P, job.projectId());
    assertEquals(backupId, job.backupId());
    assertEquals(FakeClock.DEFAULT_START, job.startedAt());
    assertEquals(Optional.empty(), job.endedAt());
    jobs.advance(Duration.ofMinutes(5));
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
    assertTrue(job.isDone());
    assertEquals(Optional.empty(), catalog.find("project-1", job.backupId()));
    assertEquals(Optional.of(FakeClock.DEFAULT_START.plus(Duration.ofMinutes(5))), job.endedAt());
    // reports at minutes 1 to 4; "Completing is not a report"
    assertEquals(80, job.lastReportedPercent());
  }

  /** SimulatedJobs' class example, with every comment checked. */
  @Test
  void simulatedJobsJavadocExampleWithEveryComment() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    Server server = WEB;
    Instant start = clock.instant();

    SimulatedJob backup = jobs.startBackup("project-1", server, JobPlan.taking(Duration.ofMinutes(20)));
    SimulatedJob stuck = jobs.startBackup("project-1", server, JobPlan.DEFAULT.stallingAt(40));
    jobs.advance(Duration.ofMinutes(10));   // backup at 50%; stuck at 40% since minute 4
    assertEquals(50, catalog.get(P, backup.backupId()).progress().orElseThrow().percent());
    assertEquals(Progress.of(40, start.plus(Duration.ofMinutes(4))), catalog.get(P, stuck.backupId()).progress().orElseThrow());
    assertEquals(SimulatedJob.State.STALLED, stuck.state());
    assertFalse(stuck.isDone());

    jobs.advance(Duration.ofMinutes(24));   // minute 34: unchanged for exactly 30 minutes
    assertEquals(0, catalog.count("project-1", Predicates.stalled()));
    jobs.advance(Duration.ofMinutes(6));    // minute 40
    assertEquals(BackupStatus.AVAILABLE, catalog.get(P, backup.backupId()).status());
    assertEquals(SimulatedJob.State.SUCCEEDED, backup.state());
    assertEquals(1, catalog.count("project-1", Predicates.stalled())); // 1

    jobs.resume(stuck);                     // reports again from 40%, done 6 minutes later
    assertEquals(SimulatedJob.State.RUNNING, stuck.state());
    jobs.advance(Duration.ofMinutes(1));
    assertEquals(Progress.of(50, start.plus(Duration.ofMinutes(41))), catalog.get(P, stuck.backupId()).progress().orElseThrow());
    assertEquals(0, catalog.count("project-1", Predicates.stalled()));
    jobs.advance(Duration.ofMinutes(5).minusNanos(1));
    assertEquals(BackupStatus.CREATING, catalog.get(P, stuck.backupId()).status());
    jobs.advance(Duration.ofNanos(1));
    assertEquals(BackupStatus.AVAILABLE, catalog.get(P, stuck.backupId()).status());
    assertEquals(SimulatedJob.State.SUCCEEDED, stuck.state());
    assertEquals(Optional.of(start.plus(Duration.ofMinutes(46))), stuck.endedAt());
  }

  /** The README's example, on a catalog whose stall threshold is 10 minutes instead. */
  @Test
  void readmeStuckJobsWithAnotherStallRule() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(Duration.ofMinutes(10))).build();
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob healthy = jobs.startBackup(P, WEB, JobPlan.taking(Duration.ofHours(2)));
    SimulatedJob stuck = jobs.startBackup(P, WEB, JobPlan.taking(Duration.ofMinutes(20)).stallingAt(40));
    jobs.advance(Duration.ofMinutes(18));   // 40% at minute 8, unchanged for exactly 10 minutes
    assertEquals(List.of(), catalog.query(P, Query.where(Predicates.stalled())).ids());
    jobs.advance(Duration.ofSeconds(1));
    assertEquals(List.of(stuck.backupId()), catalog.query(P, Query.where(Predicates.stalled())).ids());
    assertEquals(SimulatedJob.State.RUNNING, healthy.state());
  }

  // =============================================================== how a plan runs

  /** "progress is the share of its duration that has passed, rounded down, reported at every report interval". */
  @Test
  void progressIsTheShareOfTheDurationRoundedDownAtEachInterval() {
    FakeClock clock = FakeClock.at(Instant.parse("2026-11-24T10:00:00Z"));
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock, 5);
    Instant start = clock.instant();
    SimulatedJob job = jobs.startBackup(P, WEB, JobPlan.taking(Duration.ofMinutes(7)).reportingEvery(Duration.ofMinutes(2)));
    Backup first = catalog.get(P, job.backupId());
    assertEquals(Progress.of(0, start), first.progress().orElseThrow());
    assertEquals(start, first.createdAt());
    int[] expected = {28, 57, 85};   // 2/7, 4/7, 6/7 rounded down
    for (int i = 0; i < expected.length; i++) {
      jobs.advance(Duration.ofMinutes(2).minusNanos(1));
      assertEquals(i == 0 ? 0 : expected[i - 1], catalog.get(P, job.backupId()).progress().orElseThrow().percent());
      jobs.advance(Duration.ofNanos(1));
      assertEquals(Progress.of(expected[i], start.plus(Duration.ofMinutes(2L * (i + 1)))),
          catalog.get(P, job.backupId()).progress().orElseThrow());
      assertEquals(expected[i], job.lastReportedPercent());
    }
    jobs.advance(Duration.ofMinutes(1).minusNanos(1));
    assertEquals(BackupStatus.CREATING, catalog.get(P, job.backupId()).status());
    jobs.advance(Duration.ofNanos(1));
    Backup done = catalog.get(P, job.backupId());
    assertEquals(BackupStatus.AVAILABLE, done.status());
    assertEquals(start.plus(Duration.ofMinutes(7)), done.updatedAt());
    assertEquals(85, job.lastReportedPercent());
    assertEquals(5, done.version(), "added, three reports, completed");
  }

  /** "reported ... while it is higher than the last report": a slow job makes no change meanwhile. */
  @Test
  void aReportThatWouldNotRaiseTheProgressIsNotMade() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(P, WEB, JobPlan.taking(Duration.ofHours(200)));   // 1% every 2 hours
    jobs.advance(Duration.ofMinutes(119));
    assertEquals(1, catalog.get(P, job.backupId()).version());
    assertEquals(1, catalog.sequence(P));
    jobs.advance(Duration.ofMinutes(1));
    assertEquals(Progress.of(1, clock.instant()), catalog.get(P, job.backupId()).progress().orElseThrow());
    assertEquals(2, catalog.get(P, job.backupId()).version());
  }

  @Test
  void aReportIntervalLongerThanTheJobMeansNoReportBeforeCompletion() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(P, WEB, JobPlan.taking(Duration.ofMinutes(5)).reportingEvery(Duration.ofMinutes(10)));
    jobs.advance(Duration.ofMinutes(5));
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
    assertEquals(0, job.lastReportedPercent());
    assertEquals(2, catalog.get(P, job.backupId()).version());
  }

  /** "A failing job fails when its progress would reach the failure percent (it never reports that percent)". */
  @Test
  void aFailingJobFailsAtItsPercentWithItsReason() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    Instant start = clock.instant();
    SimulatedJob job = jobs.startBackup(P, WEB, JobPlan.taking(Duration.ofMinutes(20)).failingAt(60, "agent not reachable"));
    jobs.advance(Duration.ofMinutes(12).minusNanos(1));
    assertEquals(Progress.of(55, start.plus(Duration.ofMinutes(11))), catalog.get(P, job.backupId()).progress().orElseThrow());
    assertEquals(SimulatedJob.State.RUNNING, job.state());
    jobs.advance(Duration.ofNanos(1));
    Backup failed = catalog.get(P, job.backupId());
    assertEquals(BackupStatus.ERROR, failed.status());
    assertEquals("agent not reachable", failed.failure().orElseThrow().reason());
    assertEquals(JobType.BACKUP, failed.failure().orElseThrow().job());
    assertEquals(start.plus(Duration.ofMinutes(12)), failed.failure().orElseThrow().failedAt());
    assertEquals(SimulatedJob.State.FAILED, job.state());
    assertTrue(job.isDone());
    assertEquals(55, job.lastReportedPercent());
    assertEquals(Optional.of(start.plus(Duration.ofMinutes(12))), job.endedAt());
    jobs.advance(Duration.ofHours(1));
    assertEquals(failed, catalog.get(P, job.backupId()), "a failed job makes no more change");
  }

  /** "0 fails at the first advance; 100 fails instead of completing". */
  @Test
  void failingAtZeroAndAtHundred() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob atZero = jobs.startBackup(P, WEB, JobPlan.DEFAULT.failingAt(0, "no agent"));
    SimulatedJob atHundred = jobs.startBackup(P, WEB, JobPlan.DEFAULT.failingAt(100, "last disk"));
    assertEquals(SimulatedJob.State.RUNNING, atZero.state());
    jobs.advance(Duration.ZERO);
    assertEquals(SimulatedJob.State.FAILED, atZero.state());
    assertEquals(BackupStatus.ERROR, catalog.get(P, atZero.backupId()).status());
    assertEquals(FakeClock.DEFAULT_START, clock.instant());
    jobs.advance(Duration.ofMinutes(10));
    assertEquals(SimulatedJob.State.FAILED, atHundred.state());
    assertEquals(BackupStatus.ERROR, catalog.get(P, atHundred.backupId()).status());
    assertEquals("last disk", catalog.get(P, atHundred.backupId()).failure().orElseThrow().reason());
    assertEquals(90, atHundred.lastReportedPercent());
  }

  /** "If both are planned at the same percent, the failure wins", in either order of the with-methods. */
  @Test
  void failureWinsOverAStallAtTheSamePercent() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob a = jobs.startBackup(P, WEB, JobPlan.DEFAULT.stallingAt(50).failingAt(50, "x"));
    SimulatedJob b = jobs.startBackup(P, WEB, JobPlan.DEFAULT.failingAt(50, "y").stallingAt(50));
    SimulatedJob c = jobs.startBackup(P, WEB, JobPlan.DEFAULT.failingAt(0, "z").stallingAt(0));
    jobs.advance(Duration.ofMinutes(5));
    for (SimulatedJob job : List.of(a, b, c)) {
      assertEquals(SimulatedJob.State.FAILED, job.state(), job.toString());
      assertEquals(BackupStatus.ERROR, catalog.get(P, job.backupId()).status());
    }
  }

  /** "a stalling job reports exactly the stall percent when it reaches it", off the report grid too. */
  @Test
  void aStallReportsExactlyItsPercentAtItsInstantThenNothing() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    Instant start = clock.instant();
    SimulatedJob job = jobs.startBackup(P, WEB, JobPlan.DEFAULT.stallingAt(45));
    jobs.advance(Duration.ofHours(3));
    assertEquals(Progress.of(45, start.plus(Duration.ofSeconds(270))), catalog.get(P, job.backupId()).progress().orElseThrow());
    assertEquals(SimulatedJob.State.STALLED, job.state());
    assertEquals(45, job.lastReportedPercent());
    assertEquals(Optional.empty(), job.endedAt());
    assertFalse(SimulatedJob.State.STALLED.isFinal());

    // resume: the next report when the next interval of work ends (30 s of work left to minute 5)
    Instant resumedAt = clock.instant();
    jobs.resume(job);
    jobs.advance(Duration.ofSeconds(30));
    assertEquals(Progress.of(50, resumedAt.plusSeconds(30)), catalog.get(P, job.backupId()).progress().orElseThrow());
    jobs.advance(Duration.ofSeconds(299));
    assertEquals(BackupStatus.CREATING, catalog.get(P, job.backupId()).status());
    jobs.advance(Duration.ofSeconds(1));     // the rest of its duration: 5.5 minutes after the resume
    assertEquals(BackupStatus.AVAILABLE, catalog.get(P, job.backupId()).status());
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
  }

  /** "0 stalls from the start". */
  @Test
  void stallingAtZeroStallsFromTheStart() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(P, WEB, JobPlan.DEFAULT.stallingAt(0));
    jobs.advance(Duration.ZERO);
    assertEquals(SimulatedJob.State.STALLED, job.state());
    jobs.advance(Duration.ofMinutes(30));
    assertEquals(0, catalog.count(P, Predicates.stalled()));
    jobs.advance(Duration.ofNanos(1));
    assertEquals(List.of(job.backupId()), catalog.query(P, Query.where(Predicates.stalled())).ids());
    assertEquals(Progress.of(0, FakeClock.DEFAULT_START), catalog.get(P, job.backupId()).progress().orElseThrow());
  }

  /** A stall at 100%: reports 100, never completes unless resumed; resumed, nothing of its duration is left. */
  @Test
  void stallingAtHundredReportsHundredAndWaits() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(P, WEB, JobPlan.DEFAULT.stallingAt(100));
    jobs.advance(Duration.ofHours(1));
    assertEquals(SimulatedJob.State.STALLED, job.state());
    assertEquals(BackupStatus.CREATING, catalog.get(P, job.backupId()).status());
    assertEquals(100, catalog.get(P, job.backupId()).progress().orElseThrow().percent());
    jobs.resume(job);
    jobs.advance(Duration.ZERO);
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
    assertEquals(BackupStatus.AVAILABLE, catalog.get(P, job.backupId()).status());
  }

  /** "If the test moves the clock itself, the jobs catch up at the next advance, their overdue changes all dated then." */
  @Test
  void overdueChangesAreDatedAtTheNextAdvance() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob reporting = jobs.startBackup(P, WEB);
    SimulatedJob failing = jobs.startBackup(P, WEB, JobPlan.DEFAULT.failingAt(30, "late failure"));
    Instant moved = clock.advance(Duration.ofMinutes(5));
    assertEquals(0, catalog.get(P, reporting.backupId()).progress().orElseThrow().percent());
    jobs.advance(Duration.ZERO);
    assertEquals(Progress.of(50, moved), catalog.get(P, reporting.backupId()).progress().orElseThrow());
    Backup failed = catalog.get(P, failing.backupId());
    assertEquals(BackupStatus.ERROR, failed.status());
    assertEquals(moved, failed.failure().orElseThrow().failedAt());
    assertEquals(Optional.of(moved), failing.endedAt());
    assertEquals(20, failing.lastReportedPercent());
  }

  /** "changes of several jobs happen in time order (at one instant, in the order the jobs started)". */
  @Test
  void changesOfSeveralJobsComeInTimeOrderThenInStartOrder() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    List<String> ids = new ArrayList<>();
    List<Instant> times = new ArrayList<>();
    catalog.subscribe(change -> {
      ids.add(change.backupId());
      times.add(clock.instant());
    });
    SimulatedJob second = jobs.startBackup(P, WEB, JobPlan.taking(Duration.ofMinutes(3)));
    SimulatedJob first = jobs.startBackup(P, WEB, JobPlan.taking(Duration.ofMinutes(3)));
    clock.advance(Duration.ofSeconds(30));
    SimulatedJob third = jobs.startBackup(P, WEB, JobPlan.taking(Duration.ofMinutes(2)).reportingEvery(Duration.ofSeconds(30)));
    ids.clear();
    times.clear();
    jobs.advance(Duration.ofMinutes(3));
    for (int i = 1; i < times.size(); i++) {
      assertFalse(times.get(i).isBefore(times.get(i - 1)), times.toString());
    }
    String a = second.backupId();
    String b = first.backupId();
    String c = third.backupId();
    // 1:00 a b c(25%), 1:30 c(50%), 2:00 a b c(75%), 2:30 c completes, 3:00 a b complete
    assertEquals(List.of(a, b, c, c, a, b, c, c, a, b), ids);
  }

  @Test
  void startBackupMakesARealisticManualCreatingBackupNow() {
    FakeClock clock = FakeClock.at(Instant.parse("2026-11-24T10:00:00Z"));
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock, 99);
    List<Long> sizes = new ArrayList<>();
    int enhanced = 0;
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 400; i++) {
      SimulatedJob job = jobs.startBackup(P, WEB, JobPlan.DEFAULT);
      Backup b = catalog.get(P, job.backupId());
      assertEquals(b.id(), UUID.fromString(b.id()).toString(), "a UUID");
      assertTrue(ids.add(b.id()));
      assertTrue(b.name().matches("manualbk_[0-9a-f]{4}"), b.name());
      assertEquals(BackupTrigger.MANUAL, b.trigger());
      assertEquals(BackupStatus.CREATING, b.status());
      assertEquals(Progress.of(0, clock.instant()), b.progress().orElseThrow());
      assertEquals(clock.instant(), b.createdAt());
      assertSame(WEB, b.server());
      assertEquals(JobType.BACKUP, job.type());
      assertEquals(0, job.lastReportedPercent());
      sizes.add(b.sizeMb());
      enhanced += b.type() == BackupType.ENHANCED ? 1 : 0;
    }
    assertTrue(enhanced > 400 * 0.12 && enhanced < 400 * 0.28, "enhanced one time in five: " + enhanced);
    sizes.sort(null);
    long median = sizes.get(sizes.size() / 2);
    assertTrue(median > 30_000 && median < 55_000, "log-normal around 40 GB: median " + median);
    assertEquals(400, jobs.jobs().size());
  }

  @Test
  void twoSeedsMakeDifferentBackupsAndOneSeedTheSame() {
    List<String> run1 = newBackupIds(1);
    assertEquals(run1, newBackupIds(1));
    assertNotEquals(run1, newBackupIds(2));
    assertEquals(newBackupIds(0), idsOf(SimulatedJobs::create));
  }

  private static List<String> newBackupIds(long seed) {
    return idsOf((catalog, clock) -> SimulatedJobs.create(catalog, clock, seed));
  }

  private static List<String> idsOf(java.util.function.BiFunction<BackupCatalog, FakeClock, SimulatedJobs> runner) {
    FakeClock clock = FakeClock.create();
    SimulatedJobs jobs = runner.apply(Catalogs.indexed(clock), clock);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(jobs.startBackup(P, WEB).backupId());
    }
    return ids;
  }

  /** startBackup(Backup, plan): "runs the job from its progress", and its refusals. */
  @Test
  void aHandMadeCreatingBackupRunsFromItsProgressAndIsCheckedFirst() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    Instant now = clock.instant();
    Backup creating = Backup.builder()
        .id("𝒜-backup-ß").name("İstanbul_straße_𝒜").projectId(P).server(WEB)
        .status(BackupStatus.CREATING).progress(Progress.of(30, now.minusSeconds(10)))
        .sizeMb(0).createdAt(now.minus(Duration.ofHours(1))).updatedAt(now.minusSeconds(10))
        .build();
    SimulatedJob job = jobs.startBackup(creating, JobPlan.DEFAULT);
    assertEquals(30, job.lastReportedPercent());
    assertEquals(creating, catalog.get(P, creating.id()));
    jobs.advance(Duration.ofMinutes(3));
    assertEquals(creating.version(), catalog.get(P, creating.id()).version(), "10 to 30%: not higher than 30");
    jobs.advance(Duration.ofMinutes(1));
    assertEquals(Progress.of(40, clock.instant()), catalog.get(P, creating.id()).progress().orElseThrow());

    assertThrows(DuplicateBackupException.class, () -> jobs.startBackup(creating, JobPlan.DEFAULT));
    assertThrows(IllegalArgumentException.class,
        () -> jobs.startBackup(available("x-1", now.minusSeconds(1)), JobPlan.DEFAULT));
    Backup future = Backup.builder().id("x-2").name("x_2").projectId(P).server(WEB)
        .status(BackupStatus.CREATING).progress(Progress.of(0, clock.instant().plusNanos(1)))
        .sizeMb(1).createdAt(clock.instant().plusNanos(1)).build();
    assertThrows(IllegalArgumentException.class, () -> jobs.startBackup(future, JobPlan.DEFAULT));
    assertEquals(Optional.empty(), catalog.find(P, "x-1"));
    assertEquals(Optional.empty(), catalog.find(P, "x-2"));
    assertEquals(1, jobs.jobs().size(), "refused jobs are not the runner's");
  }

  @Test
  void startBackupBeyondAQuotaThrowsTheQuotaException() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    catalog.setQuota(P, Quota.of(1, Quota.UNLIMITED));
    jobs.startBackup(P, WEB);
    assertThrows(QuotaExceededException.class, () -> jobs.startBackup(P, WEB));
    assertEquals(1, catalog.count(P, Predicates.all()));
  }

  /** Restores and deletes: the documented states, job types and refusals. */
  @Test
  void restoreInstantRestoreAndDeleteRunAsDocumented() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    Instant old = clock.instant().minus(Duration.ofDays(2));
    catalog.add(available("common", P, old, BackupType.COMMON));
    catalog.add(available("enhanced", P, old, BackupType.ENHANCED));
    catalog.add(available("failing", P, old, BackupType.COMMON));

    assertThrows(BackupNotFoundException.class, () -> jobs.startRestore(P, "no-such"));
    assertThrows(BackupNotFoundException.class, () -> jobs.startRestore("project-2", "common"));
    assertThrows(IllegalTransitionException.class, () -> jobs.startInstantRestore(P, "common"));
    assertEquals(BackupStatus.AVAILABLE, catalog.get(P, "common").status(), "a refused start changes nothing");

    SimulatedJob restore = jobs.startRestore(P, "common");
    SimulatedJob instant = jobs.startInstantRestore(P, "enhanced", JobPlan.taking(Duration.ofMinutes(2)));
    SimulatedJob failing = jobs.startRestore(P, "failing", JobPlan.DEFAULT.failingAt(20, "target disk detached"));
    assertEquals(JobType.RESTORE, restore.type());
    assertEquals(JobType.RESTORE, instant.type());
    assertEquals(Progress.of(0, clock.instant()), catalog.get(P, "common").progress().orElseThrow());
    assertEquals(BackupStatus.RESTORING, catalog.get(P, "enhanced").status());
    assertThrows(IllegalTransitionException.class, () -> jobs.startDelete(P, "common"), "busy until the job ends");
    assertThrows(IllegalTransitionException.class, () -> jobs.startRestore(P, "common"));

    jobs.advance(Duration.ofMinutes(2));
    assertEquals(SimulatedJob.State.SUCCEEDED, instant.state());
    assertEquals(BackupStatus.AVAILABLE, catalog.get(P, "enhanced").status());
    assertEquals(SimulatedJob.State.FAILED, failing.state());
    assertEquals(JobType.RESTORE, catalog.get(P, "failing").failure().orElseThrow().job());
    assertEquals("target disk detached", catalog.get(P, "failing").failure().orElseThrow().reason());

    // "Starts deleting an Available or Error backup"
    SimulatedJob deleteError = jobs.startDelete(P, "failing");
    jobs.advance(Duration.ofMinutes(8));
    assertEquals(SimulatedJob.State.SUCCEEDED, restore.state());
    assertEquals(BackupStatus.AVAILABLE, catalog.get(P, "common").status());
    jobs.advance(Duration.ofMinutes(2));
    assertEquals(SimulatedJob.State.SUCCEEDED, deleteError.state());
    assertEquals(Optional.empty(), catalog.find(P, "failing"));
    assertEquals(List.of(restore, instant, failing, deleteError), jobs.jobs());
  }

  /** A watchdog fails a stalled job: the job is interrupted at the end of the advance, the backup left as is. */
  @Test
  void aWatchdogThatFailsAStalledJobInterruptsIt() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob stuck = jobs.startBackup(P, WEB, JobPlan.DEFAULT.stallingAt(40));
    SimulatedJob removed = jobs.startBackup(P, WEB, JobPlan.taking(Duration.ofHours(1)));
    jobs.advance(Duration.ofMinutes(40));
    Backup seen = catalog.get(P, stuck.backupId());
    Backup watchdog = catalog.apply(P, seen.id(), seen.version(), Transition.fail("watchdog: no progress")).orElseThrow();
    Backup other = catalog.get(P, removed.backupId());
    catalog.remove(P, other.id(), other.version());
    assertEquals(SimulatedJob.State.STALLED, stuck.state());
    jobs.advance(Duration.ZERO);
    assertEquals(SimulatedJob.State.INTERRUPTED, stuck.state());
    assertEquals(SimulatedJob.State.INTERRUPTED, removed.state());
    assertTrue(stuck.isDone() && SimulatedJob.State.INTERRUPTED.isFinal());
    assertEquals(Optional.of(clock.instant()), stuck.endedAt());
    assertEquals(watchdog, catalog.get(P, stuck.backupId()));
    assertThrows(IllegalStateException.class, () -> jobs.resume(stuck));
    jobs.advance(Duration.ofHours(2));
    assertEquals(watchdog, catalog.get(P, stuck.backupId()));
  }

  @Test
  void resumeAndAdvanceRefusals() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJobs others = SimulatedJobs.create(catalog, clock, 1);
    SimulatedJob running = jobs.startBackup(P, WEB);
    SimulatedJob foreign = others.startBackup(P, WEB, JobPlan.DEFAULT.stallingAt(0));
    others.advance(Duration.ZERO);
    assertEquals(SimulatedJob.State.STALLED, foreign.state());
    assertThrows(IllegalStateException.class, () -> jobs.resume(running));
    assertThrows(IllegalArgumentException.class, () -> jobs.resume(foreign));
    assertThrows(IllegalArgumentException.class, () -> jobs.advance(Duration.ofNanos(-1)));
    assertEquals(FakeClock.DEFAULT_START, clock.instant());
    assertEquals(SimulatedJob.State.RUNNING, running.state());
    jobs.advance(Duration.ofMinutes(10));
    assertThrows(IllegalStateException.class, () -> jobs.resume(running), "SUCCEEDED is not STALLED");
  }

  /** The documented toString forms of SimulatedJobs and SimulatedJob. */
  @Test
  void toStringsAsDocumented() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    jobs.startBackup(P, WEB, JobPlan.taking(Duration.ofMinutes(5)));
    jobs.startBackup(P, WEB, JobPlan.taking(Duration.ofHours(1)));
    jobs.startBackup(P, WEB, JobPlan.DEFAULT.stallingAt(40));
    jobs.advance(Duration.ofMinutes(10));
    assertEquals("SimulatedJobs{3 jobs, 1 running, 1 stalled, at 2026-01-01T00:10:00Z}", jobs.toString());

    catalog.add(available("b-1", clock.instant().minusSeconds(60)));
    SimulatedJob restore = jobs.startRestore("project-1", "b-1");
    jobs.advance(Duration.ofMinutes(4));
    assertEquals("SimulatedJob{restore of b-1 in project-1, RUNNING at 40%, JobPlan{PT10M, report every PT1M}}",
        restore.toString());
  }

  // =============================================================== BackupGenerator

  /** BackupGenerator's class example. */
  @Test
  void backupGeneratorJavadocExample() {
    BackupGenerator generator = BackupGenerator.builder().seed(42).projects(3).servers(500).build();
    List<Backup> backups = generator.backups(10_000);
    Backup one = BackupGenerator.withSeed(7).next();

    assertEquals(10_000, backups.size());
    assertEquals(10_000, backups.stream().map(b -> b.projectId() + "/" + b.id()).distinct().count());
    assertEquals(Set.of("project-0", "project-1", "project-2"), backups.stream().map(Backup::projectId).collect(Collectors.toSet()));
    assertEquals(List.of("project-0", "project-1", "project-2"), generator.projectIds());
    assertTrue(backups.stream().map(b -> b.server().id()).distinct().count() <= 500);
    Map<String, String> projectOfServer = new HashMap<>();
    for (Backup b : backups) {
      assertEquals(b.projectId(), projectOfServer.computeIfAbsent(b.server().id(), s -> b.projectId()), "a server belongs to one project");
    }
    assertEquals("project-0", one.projectId());
    assertEquals(one, BackupGenerator.builder().seed(7).build().next());
    assertEquals("project-41", BackupGenerator.projectId(41));
  }

  /** "the same seed and options always give the same backups", however they are drawn. */
  @Test
  void theSameSeedGivesTheSameSequenceInPiecesOrWhole() {
    BackupGenerator whole = BackupGenerator.builder().seed(-1).projects(2).servers(7).build();
    BackupGenerator pieces = BackupGenerator.builder().servers(7).projects(2).seed(-1).build();
    List<Backup> drawn = new ArrayList<>(pieces.backups(3));
    drawn.add(pieces.next());
    drawn.addAll(pieces.backups(0));
    drawn.addAll(pieces.backups(16));
    assertEquals(whole.backups(20), drawn);
    assertNotEquals(BackupGenerator.withSeed(1).backups(5), BackupGenerator.withSeed(2).backups(5));
    assertNotEquals(BackupGenerator.withSeed(1).backups(50),
        BackupGenerator.builder().seed(1).servers(999).build().backups(50), "options count too");
    assertEquals(List.of(), BackupGenerator.withSeed(3).backups(0));
  }

  /** The smallest window: one second before the end; every backup is valid on a clock at the end. */
  @Test
  void aOneSecondWindowMakesBackupsCreatedOneSecondBeforeTheEnd() {
    Instant end = Instant.parse("2026-11-24T10:00:00Z");
    BackupGenerator generator = BackupGenerator.builder().seed(5).servers(20).window(end, Duration.ofSeconds(1)).build();
    assertEquals(end, generator.end());
    List<Backup> backups = generator.backups(2000);
    for (Backup b : backups) {
      assertEquals(end.minusSeconds(1), b.createdAt(), b.toString());
      assertFalse(b.updatedAt().isAfter(end), b.toString());
    }
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(end));
    catalog.addAll(backups);
    assertEquals(2000, catalog.count(BackupGenerator.projectId(0), Predicates.all()));
    assertThrows(IllegalArgumentException.class,
        () -> BackupGenerator.builder().window(end, Duration.ofMillis(999)));
    assertThrows(IllegalArgumentException.class, () -> BackupGenerator.builder().window(end, Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> BackupGenerator.builder().window(end, Duration.ofSeconds(-5)));
  }

  /** The latest end there is: Instant.MAX. */
  @Test
  void aWindowEndingAtTheLatestInstantMakesValidBackups() {
    BackupGenerator generator = BackupGenerator.builder().seed(9).window(Instant.MAX, Duration.ofDays(3650)).build();
    List<Backup> backups = generator.backups(500);
    for (Backup b : backups) {
      assertTrue(b.createdAt().isBefore(Instant.MAX));
      assertFalse(b.createdAt().isBefore(Instant.MAX.minus(Duration.ofDays(3650))));
    }
    ReferenceCatalog reference = ReferenceCatalog.create(FakeClock.at(Instant.MAX));
    reference.addAll(backups);
    assertEquals(500, reference.count("project-0", Predicates.all()));
  }

  /**
   * window(end, span): "neither it nor eight hours before end beyond the earliest Instant". At the
   * boundary, end minus span is exactly Instant.MIN: not beyond it.
   */
  @Test
  void aWindowReachingExactlyTheEarliestInstantIsAccepted() {
    Instant end = Instant.MIN.plus(Duration.ofDays(2));
    BackupGenerator.builder().window(end, Duration.ofDays(2));
    Instant eightHours = Instant.MIN.plus(Duration.ofHours(8));
    BackupGenerator generator = BackupGenerator.builder().seed(1).window(eightHours, Duration.ofHours(8)).build();
    for (Backup b : generator.backups(300)) {
      assertFalse(b.createdAt().isBefore(Instant.MIN));
    }
  }

  @Test
  void aWindowJustInsideTheEarliestInstantMakesValidBackups() {
    Instant end = Instant.MIN.plus(Duration.ofHours(8)).plusSeconds(1);
    BackupGenerator generator = BackupGenerator.builder().seed(1).window(end, Duration.ofHours(8)).build();
    List<Backup> backups = generator.backups(300);
    for (Backup b : backups) {
      assertTrue(b.createdAt().isBefore(end));
      assertFalse(b.createdAt().isBefore(end.minus(Duration.ofHours(8))));
    }
    assertThrows(IllegalArgumentException.class,
        () -> BackupGenerator.builder().window(Instant.MIN.plus(Duration.ofHours(7)), Duration.ofSeconds(1)));
  }

  /** "sizes spread log-normally around 40 GB; tags ... set per server ... from none to ten"; Zipf servers. */
  @Test
  void sizesTagsAndServerPopularityFollowTheDocumentedShape() {
    List<Backup> backups = BackupGenerator.builder().seed(2024).servers(1000).build().backups(10_000);
    List<Long> sizes = backups.stream().map(Backup::sizeMb).sorted().collect(Collectors.toList());
    long median = sizes.get(sizes.size() / 2);
    assertTrue(median > 35_000 && median < 48_000, "median " + median);
    Map<String, List<Tag>> tagsOfServer = new HashMap<>();
    Map<String, Integer> perServer = new HashMap<>();
    for (Backup b : backups) {
      assertTrue(b.tags().size() <= 10);
      assertEquals(b.tags().size(), b.tags().stream().map(Tag::key).distinct().count(), "distinct keys");
      assertEquals(b.tags(), tagsOfServer.computeIfAbsent(b.server().id(), s -> b.tags()), "backups of one server share tags");
      perServer.merge(b.server().id(), 1, Integer::sum);
    }
    assertTrue(tagsOfServer.values().stream().anyMatch(List::isEmpty), "from none");
    List<Integer> counts = perServer.values().stream().sorted((x, y) -> y - x).collect(Collectors.toList());
    int topTenth = counts.subList(0, 100).stream().mapToInt(Integer::intValue).sum();
    // Zipf with exponent 1 over 1000 servers: the 100 most popular hold H(100)/H(1000), about 69%
    assertTrue(topTenth > 0.6 * backups.size() && topTenth < 0.78 * backups.size(), "top 100 servers: " + topTenth);
    long automatic = backups.stream().filter(b -> b.trigger() == BackupTrigger.AUTOMATIC).count();
    assertTrue(Math.abs(automatic / (double) backups.size() - 0.75) < 0.02, "three automatic for each manual: " + automatic);
    for (Backup b : backups) {
      if (b.trigger() == BackupTrigger.AUTOMATIC) {
        assertTrue(b.name().matches("autobk_[0-9a-f]{4}") && b.policyId().isPresent(), b.toString());
      } else {
        assertTrue(b.name().matches("manualbk_[0-9a-f]{4}"), b.toString());
      }
    }
  }

  @Test
  void generatorOptionsRefuseNonsense() {
    assertThrows(IllegalArgumentException.class, () -> BackupGenerator.builder().projects(0));
    assertThrows(IllegalArgumentException.class, () -> BackupGenerator.builder().servers(0));
    assertThrows(NullPointerException.class, () -> BackupGenerator.builder().window(null, Duration.ofDays(1)));
    assertThrows(NullPointerException.class, () -> BackupGenerator.builder().window(Instant.EPOCH, null));
    BackupGenerator oneEach = BackupGenerator.builder().seed(3).projects(4).servers(4).build();
    assertEquals(Set.of("project-0", "project-1", "project-2", "project-3"),
        oneEach.backups(400).stream().map(Backup::projectId).collect(Collectors.toSet()));
    assertEquals(FakeClock.DEFAULT_START, BackupGenerator.withSeed(0).end());
  }

  // =============================================================== QueryGenerator

  /** QueryGenerator's class example, with an indexed catalog as "catalog". */
  @Test
  void queryGeneratorJavadocExampleIndexedEqualsReference() {
    for (long seed : new long[] {0, 1, -77}) {
      FakeClock clock = FakeClock.create();
      ReferenceCatalog reference = ReferenceCatalog.create(clock);
      BackupCatalog catalog = Catalogs.indexed(clock);
      List<Backup> backups = BackupGenerator.withSeed(seed).backups(300);
      reference.addAll(backups);
      catalog.addAll(backups);

      QueryGenerator queries = QueryGenerator.create(seed, backups);
      for (int i = 0; i < 100; i++) {
        Query query = queries.nextQuery();
        assertEquals(reference.query("project-0", query), catalog.query("project-0", query), query.toString());
      }
      assertEquals("QueryGenerator{300 backups}", queries.toString());
    }
  }

  /** A user's own exotic backups: the generator's criteria are valid, and the two catalogs agree. */
  @Test
  void queriesOverHandMadeUnicodeBackupsAreValidAndAgree() {
    Instant now = Instant.parse("2026-11-24T10:00:00Z");
    FakeClock clock = FakeClock.at(now);
    String[] names = {"straße_bk", "STRASSE_bk", "İstanbul_db", "istanbul_db", "𝒜𝒷𝒸_bk", "ΟΔΟΣ_bk", "Ǆemal_x", "a"};
    String[] servers = {"İSTANBUL web", "STRASSE ß", "𝒳𝒴 host", "ecs-WEB-0001"};
    List<Backup> backups = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      Server server = Server.of("srv-" + (i % servers.length), servers[i % servers.length], "eu-de-0" + (1 + i % 3));
      Backup.Builder b = Backup.builder()
          .id(i % 5 == 0 ? "𝒜-" + i : "id-" + i)
          .name(names[i % names.length])
          .projectId("project-0")
          .server(server)
          .status(i % 7 == 0 ? BackupStatus.RESTORING : BackupStatus.AVAILABLE)
          .sizeMb(i)
          .createdAt(now.minusSeconds(i % 4 == 0 ? 3600 : 3600L * i))   // ties of creation time
          .addTags(Tag.of("env", i % 2 == 0 ? "prod" : "größe"));
      if (i % 7 == 0) {
        b.progress(Progress.of(i % 100, now.minusSeconds(i * 60L))).updatedAt(now.minusSeconds(i * 60L));
      }
      backups.add(b.build());
    }
    ReferenceCatalog reference = ReferenceCatalog.create(clock);
    BackupCatalog catalog = Catalogs.indexed(clock);
    reference.addAll(backups);
    catalog.addAll(backups);
    QueryGenerator queries = QueryGenerator.create(31, backups);
    for (int i = 0; i < 400; i++) {
      Query query = queries.nextQuery();
      assertEquals(reference.query("project-0", query), catalog.query("project-0", query), query.toString());
      assertEquals(reference.count("project-0", query.predicate()), catalog.count("project-0", query.predicate()), query.toString());
    }
  }

  /** "Criteria are trees of depth at most 3 of and, or and not". */
  @Test
  void criteriaAreAtMostThreeDeepAndUseEveryCombinator() {
    assertEquals(3, QueryGenerator.MAX_DEPTH);
    QueryGenerator queries = QueryGenerator.create(8, BackupGenerator.withSeed(8).backups(200));
    int deepest = 0;
    Set<String> combinators = new HashSet<>();
    for (int i = 0; i < 1500; i++) {
      BackupPredicate predicate = queries.nextPredicate();
      int depth = predicate.accept(depthVisitor(combinators));
      assertTrue(depth <= QueryGenerator.MAX_DEPTH, depth + ": " + predicate);
      deepest = Math.max(deepest, depth);
    }
    assertEquals(QueryGenerator.MAX_DEPTH, deepest);
    assertEquals(Set.of("and", "or", "not"), combinators);
  }

  @SuppressWarnings("unchecked")
  private static PredicateVisitor<Integer> depthVisitor(Set<String> combinators) {
    PredicateVisitor<Integer>[] self = new PredicateVisitor[1];
    self[0] = (PredicateVisitor<Integer>) Proxy.newProxyInstance(PredicateVisitor.class.getClassLoader(),
        new Class<?>[] {PredicateVisitor.class}, (proxy, method, args) -> {
          switch (method.getName()) {
            case "and":
            case "or": {
              combinators.add(method.getName());
              int max = 0;
              for (BackupPredicate p : (List<BackupPredicate>) args[0]) {
                max = Math.max(max, p.accept(self[0]));
              }
              return 1 + max;
            }
            case "not":
              combinators.add("not");
              return 1 + ((BackupPredicate) args[0]).accept(self[0]);
            case "hashCode":
              return System.identityHashCode(proxy);
            case "equals":
              return proxy == args[0];
            case "toString":
              return "depth";
            default:
              return 0;
          }
        });
    return self[0];
  }

  /** nextSort, nextQuery: the documented shares, limits, offsets and markers. */
  @Test
  void sortsLimitsAndPagingFollowTheirDocumentedShares() {
    List<Backup> backups = BackupGenerator.withSeed(4).backups(120);
    Set<String> ids = backups.stream().map(Backup::id).collect(Collectors.toSet());
    QueryGenerator generator = QueryGenerator.create(4, backups);
    int defaults = 0;
    for (int i = 0; i < 2000; i++) {
      Sort sort = generator.nextSort();
      if (sort.equals(Sort.DEFAULT)) {
        defaults++;
        continue;
      }
      int size = sort.keys().size();
      assertTrue(size >= 1 && size <= 3, sort.toString());
      assertEquals(size, sort.keys().stream().map(SortKey::field).distinct().count(), "distinct keys " + sort);
    }
    assertTrue(defaults > 850 && defaults < 1250, "the default half of the time: " + defaults);
    int longLimits = 0;
    int offsets = 0;
    int markers = 0;
    for (int i = 0; i < 3000; i++) {
      Query query = generator.nextQuery();
      assertTrue(query.limit() >= 1 && query.limit() <= 1000, query.toString());
      longLimits += query.limit() > 50 ? 1 : 0;
      if (query.marker().isPresent()) {
        markers++;
        assertTrue(ids.contains(query.marker().get()), "the id of one of the backups: " + query);
      }
      offsets += query.offset() > 0 ? 1 : 0;
    }
    assertTrue(longLimits > 100 && longLimits < 600, "sometimes up to 1000: " + longLimits);
    assertTrue(markers > 850 && markers < 1150, "a third of the time a marker: " + markers);
    assertTrue(offsets > 400 && offsets < 1150, "a third of the time an offset (some of them 0): " + offsets);
  }

  /** "may be empty, then every value is made up": valid criteria, no marker, queries any catalog answers. */
  @Test
  void aGeneratorOfNoBackupsMakesUpValuesAndNoMarker() {
    QueryGenerator generator = QueryGenerator.create(12, List.of());
    ReferenceCatalog reference = ReferenceCatalog.create(FakeClock.create());
    BackupCatalog catalog = Catalogs.indexed(FakeClock.create());
    List<Backup> others = BackupGenerator.withSeed(12).backups(100);
    reference.addAll(others);
    catalog.addAll(others);
    for (int i = 0; i < 250; i++) {
      Query query = generator.nextQuery();
      assertTrue(query.marker().isEmpty(), query.toString());
      assertEquals(reference.query("project-0", query), catalog.query("project-0", query), query.toString());
    }
    assertEquals("QueryGenerator{0 backups}", generator.toString());
  }

  @Test
  void theSameSeedAndBackupsGiveTheSameQueriesAndTheListIsCopied() {
    List<Backup> backups = new ArrayList<>(BackupGenerator.withSeed(6).backups(50));
    QueryGenerator a = QueryGenerator.create(6, backups);
    List<Backup> copy = new ArrayList<>(backups);
    backups.clear();   // "copied"
    QueryGenerator b = QueryGenerator.create(6, copy);
    QueryGenerator c = QueryGenerator.create(7, copy);
    List<String> fromA = new ArrayList<>();
    List<String> fromB = new ArrayList<>();
    List<String> fromC = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      fromA.add(a.nextQuery().toString());
      fromB.add(b.nextQuery().toString());
      fromC.add(c.nextQuery().toString());
    }
    assertEquals(fromB, fromA);
    assertNotEquals(fromA, fromC);
    assertEquals("QueryGenerator{50 backups}", a.toString());
    assertThrows(NullPointerException.class, () -> QueryGenerator.create(1, null));
  }

  // =============================================================== InvalidInputs

  /** InvalidInputs' class example, the first loop, for a few seeds. */
  @Test
  void invalidInputsJavadocExampleEveryCaseIsRefused() {
    for (long seed : new long[] {0, 1, 2, Long.MIN_VALUE, 123456789}) {
      InvalidInputs invalid = InvalidInputs.withSeed(seed);
      for (InvalidInputs.Case bad : invalid.all()) {
        bad.assertRefused();
      }
    }
  }

  /** The Case example: the first list query string is an unknown parameter among valid ones. */
  @Test
  void caseJavadocExampleTheFirstListCaseIsAnUnknownParameter() {
    InvalidInputs.Case bad = InvalidInputs.withSeed(1).listQueryStrings().get(0);
    String field = bad.expectedField().orElseThrow();
    assertTrue(List.of(bad.input().split("&")).stream().anyMatch(pair -> pair.startsWith(field + "=")), bad.toString());
    assertFalse(Set.of("status", "name", "start_time", "end_time", "limit", "offset", "marker", "sort").contains(field), field);
    assertEquals(InvalidValueException.class, bad.expectedException());
    bad.assertRefused();
    InvalidValueException e = assertThrows(InvalidValueException.class, () -> ListQueryString.parse(bad.input()));
    assertEquals(field, e.field());
  }

  /** The second loop of the example: the raw query strings, given to one's own layer (here ListQueryString.parse). */
  @Test
  void rawListQueryStringsAreRefusedNamingTheirParameter() {
    for (long seed = 0; seed < 30; seed++) {
      for (InvalidInputs.Case bad : InvalidInputs.withSeed(seed).listQueryStrings()) {
        RuntimeException e = assertThrows(RuntimeException.class, () -> ListQueryString.parse(bad.input()), bad.toString());
        assertEquals(bad.expectedException(), e.getClass(), bad.toString());
        String field = bad.expectedField().orElseThrow();
        assertEquals(field, ((InvalidValueException) e).field(), bad.toString());
        assertTrue(e.getMessage().contains(field), bad.toString());
      }
    }
  }

  /**
   * The class example appends a case's input to {@code "/v1/project-1/checkpoint_items?"}, and
   * listQueryStrings says the input "is the raw query string": none starts with a '?' of its own,
   * which would give the example's URL "??" and a user's own HTTP layer a parameter named "?limit"
   * (a quarter of them did).
   */
  @Test
  void noRawQueryStringStartsWithAQuestionMark() {
    int withMark = 0;
    int all = 0;
    for (long seed = 0; seed < 20; seed++) {
      for (InvalidInputs.Case bad : InvalidInputs.withSeed(seed).listQueryStrings()) {
        all++;
        withMark += bad.input().startsWith("?") ? 1 : 0;
      }
    }
    assertEquals(0, withMark, withMark + " of " + all);
  }

  /** all(): "the cases of every method below, in the order they are documented"; the same seed, the same cases. */
  @Test
  void allIsEveryMethodsCasesInTheDocumentedOrder() {
    InvalidInputs one = InvalidInputs.withSeed(77);
    InvalidInputs two = InvalidInputs.withSeed(77);
    List<String> each = new ArrayList<>();
    for (List<InvalidInputs.Case> cases : List.of(two.listQueryStrings(), two.predicates(), two.queries(),
        two.consoleSearches(), two.tagFilters(), two.timeRanges(), two.sorts())) {
      cases.forEach(c -> each.add(c.toString()));
    }
    List<String> all = one.all().stream().map(InvalidInputs.Case::toString).collect(Collectors.toList());
    assertEquals(each, all);
    assertEquals(all, InvalidInputs.withSeed(77).all().stream().map(InvalidInputs.Case::toString).collect(Collectors.toList()));
    assertNotEquals(all, InvalidInputs.withSeed(78).all().stream().map(InvalidInputs.Case::toString).collect(Collectors.toList()));
  }

  /** The Case's parts and its toString form ("limit above 1000: limit=1784&status=error -> InvalidValueException naming limit"). */
  @Test
  void aCaseDescribesItselfAsDocumented() {
    for (InvalidInputs.Case bad : InvalidInputs.withSeed(5).all()) {
      assertFalse(bad.description().isBlank());
      assertFalse(bad.input().isBlank());
      assertNotNull(bad.action());
      String expected = bad.description() + ": " + bad.input() + " -> " + bad.expectedException().getSimpleName()
          + bad.expectedField().map(f -> " naming " + f).orElse("");
      assertEquals(expected, bad.toString());
      assertEquals(bad.expectedException() == InvalidValueException.class, bad.expectedField().isPresent(), bad.toString());
    }
    InvalidInputs.Case limit = InvalidInputs.withSeed(5).listQueryStrings().stream()
        .filter(c -> c.description().equals("limit above 1000")).findFirst().orElseThrow();
    assertEquals(Optional.of("limit"), limit.expectedField());
    assertTrue(InvalidInputs.withSeed(5).tagFilters().stream()
        .anyMatch(c -> c.expectedException() == IllegalStateException.class && c.expectedField().isEmpty()),
        "the limit set twice: IllegalStateException, no field");
  }

  /** "half of the time a limit is broken by the smallest margin (a limit of 1001, ...)". */
  @Test
  void halfOfTheLimitsAreBrokenByTheSmallestMargin() {
    int edge = 0;
    int runs = 200;
    for (long seed = 0; seed < runs; seed++) {
      InvalidInputs.Case limit = InvalidInputs.withSeed(seed).listQueryStrings().stream()
          .filter(c -> c.description().equals("limit above 1000")).findFirst().orElseThrow();
      String raw = limit.input().startsWith("?") ? limit.input().substring(1) : limit.input();
      assertTrue(raw.matches(".*(^|&)limit=\\d+(&|$).*"), limit.toString());
      edge += List.of(raw.split("&")).contains("limit=1001") ? 1 : 0;
    }
    assertTrue(edge > runs * 0.35 && edge < runs * 0.65, "limit=1001 in " + edge + " of " + runs);
    int shortestKey = 0;
    for (long seed = 0; seed < runs; seed++) {
      InvalidInputs.Case key = InvalidInputs.withSeed(seed).predicates().stream()
          .filter(c -> c.description().contains("over 36")).findFirst().orElseThrow();
      shortestKey += key.input().contains("<37 chars>") ? 1 : 0;
    }
    assertTrue(shortestKey > runs * 0.35 && shortestKey < runs * 0.65, "37-char key in " + shortestKey + " of " + runs);
  }

  /** A Case whose library call does not throw as declared fails assertRefused with an AssertionError naming it. */
  @Test
  void assertRefusedCanFail() {
    // the documented contract of the checker itself: a wrong expectation is an AssertionError naming the case
    InvalidInputs.Case bad = InvalidInputs.withSeed(2).queries().get(0);
    bad.assertRefused();
    assertFalse(bad.toString().isEmpty());
    assertTrue(bad.input().contains("limit") || bad.input().contains("offset") || bad.input().contains("marker"), bad.toString());
  }

  // =============================================================== ReferenceCatalog

  /** ReferenceCatalog's class example, with an indexed catalog as "myCatalog" and a few queries. */
  @Test
  void referenceCatalogJavadocExample() {
    FakeClock clock = FakeClock.create();
    ReferenceCatalog reference = ReferenceCatalog.create(clock);
    reference.addAll(BackupGenerator.withSeed(42).backups(500));
    BackupCatalog myCatalog = Catalogs.indexed(clock);
    myCatalog.addAll(BackupGenerator.withSeed(42).backups(500));
    for (Query query : List.of(Query.where(Predicates.all()), Query.where(Predicates.stalled()),
        Query.builder().where(Predicates.status(BackupStatus.AVAILABLE)).sort(Sort.parse("name:asc,created_at:desc")).limit(7).offset(3).build())) {
      Page expected = reference.query("project-0", query);
      assertEquals(expected, myCatalog.query("project-0", query));
    }
    assertSame(clock, reference.clock());
    assertEquals(StallRule.DEFAULT, reference.stallRule());
    assertEquals("ReferenceCatalog{1 projects, 500 backups, stall threshold PT30M}", reference.toString());
  }

  /** "a marker must be the id of a backup of the project that exists now (it need not match the predicate)". */
  @Test
  void referenceMarkersFollowTheBackupsCurrentValue() {
    Instant now = Instant.parse("2026-11-24T10:00:00Z");
    FakeClock clock = FakeClock.at(now);
    ReferenceCatalog reference = ReferenceCatalog.create(clock);
    for (int i = 1; i <= 5; i++) {
      reference.add(available("b-" + i, now.minus(Duration.ofDays(i))));
    }
    reference.add(available("other", "project-2", now.minusSeconds(1), BackupType.COMMON));
    // b-3 matches no "restoring" predicate, yet is a marker
    Query afterB3 = Query.builder().where(Predicates.status(BackupStatus.AVAILABLE)).marker("b-3").limit(10).build();
    assertEquals(List.of("b-4", "b-5"), reference.query(P, afterB3).ids());
    assertEquals(5, reference.query(P, afterB3).total());
    Backup b2 = reference.get(P, "b-2");
    reference.apply(P, "b-2", b2.version(), Transition.restore());
    Query restoringAfterB2 = Query.builder().where(Predicates.status(BackupStatus.AVAILABLE)).marker("b-2").limit(10).build();
    assertEquals(List.of("b-3", "b-4", "b-5"), reference.query(P, restoringAfterB2).ids());
    // markers that are no backup of the project now
    for (String marker : List.of("other", "b-9", "B-1")) {
      InvalidValueException e = assertThrows(InvalidValueException.class,
          () -> reference.query(P, Query.builder().where(Predicates.all()).marker(marker).build()), marker);
      assertEquals("marker", e.field());
    }
    Query offset = Query.builder().where(Predicates.all()).offset(4).limit(1).build();
    Page last = reference.query(P, offset);
    assertEquals(List.of("b-5"), last.ids());
    assertFalse(last.hasMore());
    assertTrue(reference.query(P, Query.builder().where(Predicates.all()).offset(3).limit(1).build()).hasMore());
  }

  /** apply "checks that the backup exists in the project, then its version"; refusals change nothing. */
  @Test
  void referenceApplyChecksExistenceBeforeVersion() {
    FakeClock clock = FakeClock.create();
    ReferenceCatalog reference = ReferenceCatalog.create(clock);
    reference.add(available("b-1", clock.instant().minusSeconds(60)));
    assertThrows(BackupNotFoundException.class, () -> reference.apply(P, "b-2", 99, Transition.restore()));
    assertThrows(BackupNotFoundException.class, () -> reference.apply("project-2", "b-1", 1, Transition.restore()));
    assertThrows(VersionConflictException.class, () -> reference.apply(P, "b-1", 2, Transition.restore()));
    assertThrows(IllegalTransitionException.class, () -> reference.apply(P, "b-1", 1, Transition.complete()));
    assertEquals(1, reference.sequence(P));
    assertEquals(available("b-1", FakeClock.DEFAULT_START.minusSeconds(60)), reference.get(P, "b-1"));
    clock.advance(Duration.ofMinutes(3));
    Backup restoring = reference.apply(P, "b-1", 1, Transition.restore()).orElseThrow();
    assertEquals(clock.instant(), restoring.updatedAt(), "at the clock's instant");
    assertEquals(2, restoring.version());
  }

  /** The all-projects view "orders by the sort, then by project id; its marker must be the id of a backup of exactly one project". */
  @Test
  void referenceAllProjectsTiesByProjectId() {
    Instant t = Instant.parse("2026-11-24T10:00:00Z");
    ReferenceCatalog reference = ReferenceCatalog.create(FakeClock.at(t));
    reference.add(available("same", "project-b", t.minusSeconds(10), BackupType.COMMON));
    reference.add(available("same", "project-a", t.minusSeconds(10), BackupType.COMMON));
    reference.add(available("same", "project-c", t.minusSeconds(10), BackupType.COMMON));
    reference.add(available("solo", "project-b", t.minusSeconds(20), BackupType.COMMON));
    Page page = reference.queryAllProjects(Query.where(Predicates.all()));
    assertEquals(List.of("project-a", "project-b", "project-c", "project-b"),
        page.backups().stream().map(Backup::projectId).collect(Collectors.toList()));
    assertEquals(4, reference.countAllProjects(Predicates.all()));
    InvalidValueException e = assertThrows(InvalidValueException.class,
        () -> reference.queryAllProjects(Query.builder().where(Predicates.all()).marker("same").build()));
    assertEquals("marker", e.field());
    assertEquals(List.of(), reference.queryAllProjects(Query.builder().where(Predicates.all()).marker("solo").build()).ids());
  }

  /** create(clock, stallRule): "judging stalled jobs with stallRule". */
  @Test
  void referenceWithItsOwnStallRule() {
    FakeClock clock = FakeClock.create();
    StallRule fiveMinutes = StallRule.ofThreshold(Duration.ofMinutes(5));
    ReferenceCatalog reference = ReferenceCatalog.create(clock, fiveMinutes);
    assertEquals(fiveMinutes, reference.stallRule());
    SimulatedJobs jobs = SimulatedJobs.create(reference, clock);
    SimulatedJob stuck = jobs.startBackup(P, WEB, JobPlan.DEFAULT.stallingAt(20));
    jobs.advance(Duration.ofMinutes(7));
    assertEquals(0, reference.count(P, Predicates.stalled()));
    jobs.advance(Duration.ofSeconds(1));
    assertEquals(List.of(stuck.backupId()), reference.query(P, Query.where(Predicates.stalled())).ids());
    assertEquals("ReferenceCatalog{1 projects, 1 backups, stall threshold PT5M}", reference.toString());
  }

  /** replay "after checking the sequence, then the backup's existence, then its version"; load "into a project without backups at 0". */
  @Test
  void referenceReplayAndLoadCheckInTheDocumentedOrder() {
    FakeClock clock = FakeClock.create();
    ReferenceCatalog source = ReferenceCatalog.create(clock);
    List<Change> changes = new ArrayList<>();
    source.subscribe(changes::add);
    source.add(available("b-1", clock.instant().minusSeconds(60)));
    source.apply(P, "b-1", 1, Transition.restore());
    ReferenceCatalog replica = ReferenceCatalog.create(clock);
    // change 2 first: a change is missing
    assertThrows(IllegalStateException.class, () -> replica.replay(changes.get(1)));
    assertTrue(replica.replay(changes.get(0)));
    assertFalse(replica.replay(changes.get(0)), "already installed");
    assertTrue(replica.replay(changes.get(1)));
    assertEquals(source.get(P, "b-1"), replica.get(P, "b-1"));
    // sequence 3 fits, but its before is not there: not found, before any version check
    Backup restoring = replica.get(P, "b-1");
    Backup ghostBefore = available("ghost", FakeClock.DEFAULT_START.minusSeconds(5));
    Change ghost = new Change(3, P, "ghost", Optional.of(ghostBefore), Optional.empty(), Optional.empty());
    assertThrows(BackupNotFoundException.class, () -> replica.replay(ghost));
    Backup wrongVersion = Backup.builder().id("b-1").name("manualbk_b1").projectId(P).server(WEB)
        .status(BackupStatus.AVAILABLE).sizeMb(2048).createdAt(FakeClock.DEFAULT_START.minusSeconds(60)).version(7).build();
    Change stale = new Change(3, P, "b-1", Optional.of(wrongVersion), Optional.empty(), Optional.empty());
    assertThrows(VersionConflictException.class, () -> replica.replay(stale));
    assertEquals(restoring, replica.get(P, "b-1"));
    assertEquals(2, replica.sequence(P));

    ReferenceCatalog loaded = ReferenceCatalog.create(clock);
    loaded.load(new ProjectSnapshot(P, 2, Quota.NONE, List.of(restoring)));
    assertEquals(2, loaded.sequence(P));
    assertThrows(IllegalStateException.class, () -> loaded.load(new ProjectSnapshot(P, 0, Quota.NONE, List.of())));
  }

  /** "Criteria are trees ... over every kind of leaf", with existing and made-up values. */
  @Test
  void criteriaUseEveryKindOfLeafWithExistingAndOtherValues() {
    List<Backup> backups = BackupGenerator.builder().seed(21).servers(30).build().backups(200);
    Set<String> ids = backups.stream().map(Backup::id).collect(Collectors.toSet());
    Set<String> names = backups.stream().map(Backup::name).collect(Collectors.toSet());
    QueryGenerator generator = QueryGenerator.create(21, backups);
    Map<String, Integer> kinds = new HashMap<>();
    int[] seen = new int[5]; // existing id, other id, '*' pattern, key only, range open on one side
    Set<io.csbs.query.Attribute> attributes = new HashSet<>();
    for (int i = 0; i < 3000; i++) {
      collectLeaves(generator.nextPredicate(), (method, args) -> {
        kinds.merge(method, 1, Integer::sum);
        switch (method) {
          case "backupId":
            seen[ids.contains((String) args[0]) ? 0 : 1]++;
            break;
          case "tag": {
            @SuppressWarnings("unchecked")
            List<String> values = (List<String>) args[1];
            seen[2] += values.stream().anyMatch(v -> v.startsWith("*")) ? 1 : 0;
            seen[3] += values.isEmpty() ? 1 : 0;
            break;
          }
          case "createdIn": {
            io.csbs.query.TimeRange range = (io.csbs.query.TimeRange) args[0];
            seen[4] += range.start().isEmpty() != range.end().isEmpty() ? 1 : 0;
            break;
          }
          case "attribute":
            attributes.add((io.csbs.query.Attribute) args[0]);
            break;
          default:
            break;
        }
      });
    }
    assertTrue(kinds.keySet().containsAll(Set.of("status", "createdIn", "createdWithinLast", "nameContains",
        "serverNameContains", "backupId", "attribute", "tag", "stalled")), kinds.toString());
    assertEquals(Set.of(io.csbs.query.Attribute.values()), attributes);
    for (int k = 0; k < 5; k++) {
      assertTrue(seen[k] > 0, "kind " + k + " never drawn: " + java.util.Arrays.toString(seen));
    }
  }

  private static void collectLeaves(BackupPredicate predicate, java.util.function.BiConsumer<String, Object[]> leaf) {
    @SuppressWarnings("unchecked")
    PredicateVisitor<Void>[] self = new PredicateVisitor[1];
    self[0] = (PredicateVisitor<Void>) Proxy.newProxyInstance(PredicateVisitor.class.getClassLoader(),
        new Class<?>[] {PredicateVisitor.class}, (proxy, method, args) -> {
          switch (method.getName()) {
            case "and":
            case "or":
              for (Object p : (List<?>) args[0]) {
                ((BackupPredicate) p).accept(self[0]);
              }
              return null;
            case "not":
              ((BackupPredicate) args[0]).accept(self[0]);
              return null;
            case "hashCode":
              return 0;
            case "equals":
              return proxy == args[0];
            case "toString":
              return "leaves";
            default:
              leaf.accept(method.getName(), args == null ? new Object[0] : args);
              return null;
          }
        });
    predicate.accept(self[0]);
  }

  /** "two runners with one seed, started alike on two catalogs, make identical changes": the reference and the indexed catalog. */
  @Test
  void oneSeedOnTheReferenceAndOnTheIndexedCatalogMakesIdenticalChanges() {
    List<List<Change>> runs = new ArrayList<>();
    List<List<String>> states = new ArrayList<>();
    for (int run = 0; run < 2; run++) {
      FakeClock clock = FakeClock.create();
      BackupCatalog catalog = run == 0 ? ReferenceCatalog.create(clock) : Catalogs.indexed(clock);
      List<Change> changes = new ArrayList<>();
      catalog.subscribe(changes::add);
      catalog.add(available("old", clock.instant().minus(Duration.ofDays(3))));
      SimulatedJobs jobs = SimulatedJobs.create(catalog, clock, 1234);
      List<SimulatedJob> started = new ArrayList<>();
      started.add(jobs.startBackup(P, WEB, JobPlan.taking(Duration.ofMinutes(13)).reportingEvery(Duration.ofSeconds(47))));
      started.add(jobs.startBackup(P, WEB, JobPlan.taking(Duration.ofMinutes(10)).reportingEvery(Duration.ofMinutes(3)).stallingAt(50)));
      started.add(jobs.startBackup(P, WEB, JobPlan.taking(Duration.ofMinutes(7)).failingAt(33, "snapshot of volume timed out")));
      started.add(jobs.startRestore(P, "old", JobPlan.taking(Duration.ofMinutes(4))));
      jobs.advance(Duration.ofMinutes(5));
      // a coarse plan resumed: next report when its next interval of work ends (6 min of work: 1 minute later)
      jobs.advance(Duration.ofMinutes(30));
      jobs.resume(started.get(1));
      jobs.advance(Duration.ofMinutes(1));
      assertEquals(60, started.get(1).lastReportedPercent());
      jobs.advance(Duration.ofMinutes(4).minusNanos(1));
      assertEquals(SimulatedJob.State.RUNNING, started.get(1).state());
      jobs.advance(Duration.ofNanos(1));
      assertEquals(SimulatedJob.State.SUCCEEDED, started.get(1).state());
      runs.add(changes);
      states.add(started.stream().map(SimulatedJob::toString).collect(Collectors.toList()));
    }
    assertEquals(runs.get(0), runs.get(1));
    assertEquals(states.get(0), states.get(1));
    assertTrue(runs.get(0).size() > 20, runs.get(0).size() + " changes");
  }

  // =============================================================== BackupCatalogContract

  /** A user's own catalog: a thin wrapper delegating to the library's indexed catalog. */
  static class DelegatingCatalog implements BackupCatalog {
    final BackupCatalog inner;

    DelegatingCatalog(BackupCatalog inner) {
      this.inner = inner;
    }

    @Override
    public void add(Backup backup) {
      inner.add(backup);
    }

    @Override
    public void addAll(Collection<Backup> backups) {
      inner.addAll(backups);
    }

    @Override
    public Optional<Backup> apply(String projectId, String backupId, long expectedVersion, Transition transition) {
      return inner.apply(projectId, backupId, expectedVersion, transition);
    }

    @Override
    public Backup updateTags(String projectId, String backupId, long expectedVersion, TagUpdate update) {
      return inner.updateTags(projectId, backupId, expectedVersion, update);
    }

    @Override
    public void remove(String projectId, String backupId, long expectedVersion) {
      inner.remove(projectId, backupId, expectedVersion);
    }

    @Override
    public Optional<Backup> find(String projectId, String backupId) {
      return inner.find(projectId, backupId);
    }

    @Override
    public Page query(String projectId, Query query) {
      return inner.query(projectId, query);
    }

    @Override
    public long count(String projectId, BackupPredicate predicate) {
      return inner.count(projectId, predicate);
    }

    @Override
    public TagCatalogue tagCatalogue(String projectId) {
      return inner.tagCatalogue(projectId);
    }

    @Override
    public <T> T read(String projectId, Function<? super ProjectView, ? extends T> reads) {
      return inner.read(projectId, reads);
    }

    @Override
    public Page queryAllProjects(Query query) {
      return inner.queryAllProjects(query);
    }

    @Override
    public long countAllProjects(BackupPredicate predicate) {
      return inner.countAllProjects(predicate);
    }

    @Override
    public UsageReport usage(String projectId, UsageQuery query) {
      return inner.usage(projectId, query);
    }

    @Override
    public void setQuota(String projectId, Quota quota) {
      inner.setQuota(projectId, quota);
    }

    @Override
    public QuotaUsage quotaUsage(String projectId) {
      return inner.quotaUsage(projectId);
    }

    @Override
    public Subscription subscribe(Consumer<Change> subscriber) {
      return inner.subscribe(subscriber);
    }

    @Override
    public long sequence(String projectId) {
      return inner.sequence(projectId);
    }

    @Override
    public boolean replay(Change change) {
      return inner.replay(change);
    }

    @Override
    public void load(ProjectSnapshot snapshot) {
      inner.load(snapshot);
    }
  }

  /**
   * The README and the class javadoc: extend the contract and return a new catalog from newCatalog;
   * here a user's wrapper of the indexed catalog whose stall threshold is 10 minutes, with
   * stallRule() overridden as "override it if your catalog does not use StallRule.DEFAULT" says, and
   * whose subscribers are called asynchronously by a poller thread, as the class javadoc allows
   * ("Subscribers may be called asynchronously (as by a poller of a change table)").
   */
  @Nested
  class AUsersAsyncCatalogWithItsOwnStallRulePassesTheContract extends BackupCatalogContract {
    @Override
    protected BackupCatalog newCatalog(FakeClock clock) {
      return new AsyncDeliveringCatalog(Catalogs.builder().clock(clock).stallRule(stallRule()).build());
    }

    @Override
    protected StallRule stallRule() {
      return StallRule.ofThreshold(Duration.ofMinutes(10));
    }
  }

  /** The contract fails a catalog that breaks it: it can fail. */
  @Test
  void theContractFailsABrokenCatalog() {
    BackupCatalogContract countsOneTooMany = new BackupCatalogContract() {
      @Override
      protected BackupCatalog newCatalog(FakeClock clock) {
        return new DelegatingCatalog(Catalogs.indexed(clock)) {
          @Override
          public long count(String projectId, BackupPredicate predicate) {
            return inner.count(projectId, predicate) + 1;
          }
        };
      }
    };
    countsOneTooMany.newCatalogOnAFakeClock();
    assertThrows(AssertionError.class, countsOneTooMany::countEqualsTheTotalOfTheQuery);

    BackupCatalogContract wrongStallRule = new BackupCatalogContract() {
      @Override
      protected BackupCatalog newCatalog(FakeClock clock) {
        return Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(Duration.ofMinutes(10))).build();
      }
    };
    wrongStallRule.newCatalogOnAFakeClock();
    assertThrows(AssertionError.class, wrongStallRule::stalledFollowsTheClock, "stallRule() not overridden");

    BackupCatalogContract leaksTenants = new BackupCatalogContract() {
      @Override
      protected BackupCatalog newCatalog(FakeClock clock) {
        return new DelegatingCatalog(Catalogs.indexed(clock)) {
          @Override
          public long count(String projectId, BackupPredicate predicate) {
            return inner.countAllProjects(predicate);
          }
        };
      }
    };
    leaksTenants.newCatalogOnAFakeClock();
    assertThrows(AssertionError.class, leaksTenants::anotherProjectsBackupsAreNeverListedCountedOrCatalogued);

    BackupCatalogContract ignoresVersions = new BackupCatalogContract() {
      @Override
      protected BackupCatalog newCatalog(FakeClock clock) {
        return new DelegatingCatalog(Catalogs.indexed(clock)) {
          @Override
          public Optional<Backup> apply(String projectId, String backupId, long expectedVersion, Transition transition) {
            return inner.apply(projectId, backupId, inner.get(projectId, backupId).version(), transition);
          }
        };
      }
    };
    ignoresVersions.newCatalogOnAFakeClock();
    assertThrows(Throwable.class, ignoresVersions::refusesAChangeBasedOnAStaleVersionAndKeepsTheBackup);
  }

  /** The differential property, replayed with one seed, fails a catalog that sorts the wrong way. */
  @Test
  void theDifferentialPropertyFailsACatalogThatAnswersDifferentlyAndNamesTheSeed() {
    BackupCatalogContract reversed = new BackupCatalogContract() {
      @Override
      protected BackupCatalog newCatalog(FakeClock clock) {
        return new DelegatingCatalog(Catalogs.indexed(clock)) {
          @Override
          public long count(String projectId, BackupPredicate predicate) {
            long n = inner.count(projectId, predicate);
            return n > 3 ? n - 1 : n;
          }
        };
      }
    };
    reversed.newCatalogOnAFakeClock();
    String before = System.getProperty(Seeds.PROPERTY);
    System.setProperty(Seeds.PROPERTY, "424242");
    try {
      AssertionError e = assertThrows(AssertionError.class, reversed::answersEqualThePlainScanOnRandomCatalogs);
      assertTrue(e.getMessage().contains("-Dcsbs.seed=424242"), e.getMessage());
    } finally {
      if (before == null) {
        System.clearProperty(Seeds.PROPERTY);
      } else {
        System.setProperty(Seeds.PROPERTY, before);
      }
    }
  }

  /** A user's catalog backed by a durable feed delivers asynchronously, on a thread of its own. */
  static class AsyncDeliveringCatalog extends DelegatingCatalog {
    /** One thread at a time, in queue order; it ends when idle, so that many catalogs leave no threads behind. */
    private final java.util.concurrent.ThreadPoolExecutor poller = new java.util.concurrent.ThreadPoolExecutor(
        1, 1, 200, java.util.concurrent.TimeUnit.MILLISECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
          Thread thread = new Thread(r, "change-poller");
          thread.setDaemon(true);
          return thread;
        });

    {
      poller.allowCoreThreadTimeOut(true);
    }
    private final List<Consumer<Change>> subscribers = new java.util.concurrent.CopyOnWriteArrayList<>();

    AsyncDeliveringCatalog(BackupCatalog inner) {
      super(inner);
      inner.subscribe(change -> poller.execute(() -> {
        for (Consumer<Change> subscriber : subscribers) {
          try {
            subscriber.accept(change);
          } catch (RuntimeException | AssertionError e) {
            // logged by a real catalog; the subscription stays
          }
        }
      }));
    }

    /**
     * "Delivers every change committed from now on": the subscriber joins on the poller's thread,
     * after the changes committed (and queued) before this call.
     */
    @Override
    public Subscription subscribe(Consumer<Change> subscriber) {
      java.util.concurrent.atomic.AtomicBoolean cancelled = new java.util.concurrent.atomic.AtomicBoolean();
      Consumer<Change> guarded = change -> {
        if (!cancelled.get()) {
          subscriber.accept(change);
        }
      };
      poller.execute(() -> subscribers.add(guarded));
      return () -> {
        cancelled.set(true);
        poller.execute(() -> subscribers.remove(guarded));
      };
    }
  }

  interface ContractTest {
    void run(BackupCatalogContract contract) throws Exception;
  }

  /**
   * "Subscribers may be called asynchronously (as by a poller of a change table): the tests wait up to
   * 10 seconds for deliveries, and check the order of each project's changes".
   */
  @Test
  void theContractsSubscriberTestsAcceptAnAsynchronousDelivery() throws Exception {
    BackupCatalogContract contract = new BackupCatalogContract() {
      @Override
      protected BackupCatalog newCatalog(FakeClock clock) {
        return new AsyncDeliveringCatalog(Catalogs.indexed(clock));
      }
    };
    Map<String, ContractTest> tests = new java.util.LinkedHashMap<>();
    tests.put("subscribersSeeEveryCommittedChangeOnceInCommitOrder", BackupCatalogContract::subscribersSeeEveryCommittedChangeOnceInCommitOrder);
    tests.put("aCompletedDeletionIsDeliveredAsARemoval", BackupCatalogContract::aCompletedDeletionIsDeliveredAsARemoval);
    tests.put("aFailingSubscriberDoesNotCorruptTheCatalogNorStopOthers", BackupCatalogContract::aFailingSubscriberDoesNotCorruptTheCatalogNorStopOthers);
    tests.put("aCancelledSubscriptionReceivesNothingMore", BackupCatalogContract::aCancelledSubscriptionReceivesNothingMore);
    tests.put("concurrentWritersChangesArriveInOrderOneAtATimeAndReplayToTheCatalog",
        BackupCatalogContract::concurrentWritersChangesArriveInOrderOneAtATimeAndReplayToTheCatalog);
    tests.put("sequenceCountsTheCommittedChangesOfEachProject", BackupCatalogContract::sequenceCountsTheCommittedChangesOfEachProject);
    tests.put("replayingEveryChangeIntoAnotherCatalogMakesItEqual", BackupCatalogContract::replayingEveryChangeIntoAnotherCatalogMakesItEqual);
    tests.put("aChangeMadeByASubscriberReachesEverySubscriberInSequenceOrder",
        BackupCatalogContract::aChangeMadeByASubscriberReachesEverySubscriberInSequenceOrder);
    tests.put("aLoadedSnapshotContinuesWithTheNextChange", BackupCatalogContract::aLoadedSnapshotContinuesWithTheNextChange);
    List<String> failed = new ArrayList<>();
    for (Map.Entry<String, ContractTest> test : tests.entrySet()) {
      contract.newCatalogOnAFakeClock();
      try {
        test.getValue().run(contract);
      } catch (Exception | AssertionError e) {
        failed.add(test.getKey() + ": " + e);
      }
    }
    assertEquals(List.of(), failed);
  }

  /** MAX_DURATION: "so that progress arithmetic in nanoseconds cannot overflow"; and the shortest plans. */
  @Test
  void theLongestAndTheShortestPlansRunToTheEnd() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob longest = jobs.startBackup(P, WEB, JobPlan.taking(JobPlan.MAX_DURATION).reportingEvery(Duration.ofDays(1)));
    SimulatedJob nanos = jobs.startBackup(P, WEB, JobPlan.taking(Duration.ofNanos(3)).reportingEvery(Duration.ofNanos(1)));
    jobs.advance(Duration.ofNanos(1));
    assertEquals(Progress.of(33, clock.instant()), catalog.get(P, nanos.backupId()).progress().orElseThrow());
    jobs.advance(Duration.ofNanos(1));
    assertEquals(66, nanos.lastReportedPercent());
    jobs.advance(Duration.ofNanos(1));
    assertEquals(SimulatedJob.State.SUCCEEDED, nanos.state());
    jobs.advance(Duration.ofDays(4));
    assertEquals(1, longest.lastReportedPercent(), "4 of 365 days");
    jobs.advance(JobPlan.MAX_DURATION.minus(Duration.ofDays(5)));
    assertEquals(99, longest.lastReportedPercent());
    assertEquals(SimulatedJob.State.RUNNING, longest.state());
    assertEquals(1, catalog.count(P, Predicates.stalled()), "a report interval beyond the threshold is judged stalled");
    jobs.advance(Duration.ofDays(1).plusNanos(3));
    assertEquals(SimulatedJob.State.SUCCEEDED, longest.state());
    assertEquals(Optional.of(FakeClock.DEFAULT_START.plus(JobPlan.MAX_DURATION)), longest.endedAt());
  }

  /**
   * InvalidInputs: "Every method returns one case for each kind of mistake it covers", and sorts()
   * covers "texts Sort.parse refuses (an unknown field, a bad direction, too many colons, a field
   * twice, an empty key), and Sort.by(List) of no keys": six kinds.
   */
  @Test
  void sortsHasACaseForEachDocumentedKind() {
    for (long seed = 0; seed < 10; seed++) {
      List<InvalidInputs.Case> sorts = InvalidInputs.withSeed(seed).sorts();
      assertTrue(sorts.size() >= 6, sorts.toString());
      assertTrue(sorts.stream().anyMatch(c -> c.input().matches("Sort\\.parse\\(\"[^\"]*:[^\"]*:[^\"]*\"\\)")),
          "too many colons: " + sorts);
    }
  }

  /** The longest values the rules allow, empty tag values, letters outside the BMP: every criterion is valid, both catalogs agree. */
  @Test
  void queriesOverTheLongestAndEmptiestValuesAreValidAndAgree() {
    Instant now = FakeClock.DEFAULT_START;
    String longName = "𝒜".repeat(254) + "b";                 // 255 letters, 509 chars
    String longServerName = "𝒳".repeat(127) + "y";           // 255 chars
    String longKey = "k".repeat(35) + "é";                     // 36
    String longValue = "v".repeat(42) + "ß";                   // 43
    List<Backup> backups = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      Server server = Server.of("s".repeat(63) + (i % 3), i % 2 == 0 ? longServerName : "İ", "eu-de-01");
      backups.add(Backup.builder()
          .id(("x".repeat(62) + i).substring(0, Math.min(64, 62 + String.valueOf(i).length())))
          .name(i % 2 == 0 ? longName : "ǅ" + i)
          .projectId("project-0")
          .server(server)
          .status(BackupStatus.AVAILABLE)
          .sizeMb(i % 4 == 0 ? Backup.MAX_SIZE_MB : 0)
          .createdAt(i % 5 == 0 ? now.minusNanos(1) : now.minus(Duration.ofDays(i)))
          .addTags(Tag.of(longKey, i % 3 == 0 ? "" : longValue), Tag.of("e", i % 2 == 0 ? "" : "𝒜"))
          .build());
    }
    ReferenceCatalog reference = ReferenceCatalog.create(FakeClock.at(now));
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(now));
    reference.addAll(backups);
    catalog.addAll(backups);
    QueryGenerator queries = QueryGenerator.create(-5, backups);
    for (int i = 0; i < 500; i++) {
      Query query = queries.nextQuery();
      assertEquals(reference.query("project-0", query), catalog.query("project-0", query), query.toString());
    }
  }

  /**
   * ReferenceCatalog.usage: "Sums the matching backups of the project by server: largest size first,
   * then more backups, then server id; a server is named as its newest (created at, then id) counted
   * backup names it."
   */
  @Test
  void referenceUsageOrdersServersAndNamesThemByTheNewestCountedBackup() {
    Instant t = Instant.parse("2026-11-24T10:00:00Z");
    ReferenceCatalog reference = ReferenceCatalog.create(FakeClock.at(t));
    BiFunctionBackup make = (id, serverId, serverName, sizeMb, createdAt) -> Backup.builder()
        .id(id).name("bk_" + id).projectId(P).server(Server.of(serverId, serverName, "eu-de-01"))
        .status(BackupStatus.AVAILABLE).sizeMb(sizeMb).createdAt(createdAt).build();
    // s-b: 300 MB in one backup; s-a and s-c: 300 MB in two; s-d: 100 MB
    List<Backup> six = List.of(
        make.of("1", "s-b", "bee", 300, t.minusSeconds(50)),
        make.of("2", "s-c", "cee-old", 150, t.minusSeconds(40)),
        make.of("3", "s-c", "cee-new", 150, t.minusSeconds(30)),
        make.of("4", "s-a", "a-z", 100, t.minusSeconds(20)),
        make.of("5", "s-a", "a-y", 200, t.minusSeconds(20)),   // same time: the greater id names it
        make.of("6", "s-d", "dee", 100, t.minusSeconds(10)));
    reference.addAll(six);
    UsageReport report = reference.usage(P, UsageQuery.firstServers(10));
    assertEquals(6, report.backups());
    assertEquals(1000, report.sizeMb());
    assertEquals(4, report.serverCount());
    assertEquals(List.of("s-a", "s-c", "s-b", "s-d"),
        report.servers().stream().map(io.csbs.usage.ServerUsage::serverId).collect(Collectors.toList()));
    assertEquals(List.of("a-y", "cee-new", "bee", "dee"),
        report.servers().stream().map(io.csbs.usage.ServerUsage::serverName).collect(Collectors.toList()));
    // restricted by a predicate, the name comes from the newest COUNTED backup
    UsageReport old = reference.usage(P, UsageQuery.of(Predicates.not(Predicates.backupId("3")), 0, 10));
    assertEquals("cee-old", old.servers().stream().filter(u -> u.serverId().equals("s-c")).findFirst().orElseThrow().serverName());
    assertEquals(List.of("s-a", "s-b", "s-c", "s-d"),   // 300 MB each: more backups first
        old.servers().stream().map(io.csbs.usage.ServerUsage::serverId).collect(Collectors.toList()));
    BackupCatalog indexed = Catalogs.indexed(FakeClock.at(t));
    indexed.addAll(six);
    assertEquals(report, indexed.usage(P, UsageQuery.firstServers(10)));
  }

  interface BiFunctionBackup {
    Backup of(String id, String serverId, String serverName, long sizeMb, Instant createdAt);
  }

  /** A subscriber that tags a running backup after every transition makes the runner's versions stale: the runner reads again and goes on. */
  @Test
  void aSubscriberThatTagsEveryChangeDoesNotStopTheJobs() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.subscribe(change -> change.after().filter(b -> b.status().isIntermediate() && change.transition().isPresent()).ifPresent(b ->
        catalog.updateTags(b.projectId(), b.id(), b.version(), TagUpdate.create(List.of(Tag.of("seen", "n" + change.sequence()))))));
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob backup = jobs.startBackup(P, WEB, JobPlan.taking(Duration.ofMinutes(5)));
    SimulatedJob failing = jobs.startBackup(P, WEB, JobPlan.taking(Duration.ofMinutes(5)).failingAt(50, "x"));
    SimulatedJob stalling = jobs.startBackup(P, WEB, JobPlan.taking(Duration.ofMinutes(5)).stallingAt(70));
    jobs.advance(Duration.ofMinutes(10));
    assertEquals(SimulatedJob.State.SUCCEEDED, backup.state());
    assertEquals(SimulatedJob.State.FAILED, failing.state());
    assertEquals(SimulatedJob.State.STALLED, stalling.state());
    assertEquals(70, catalog.get(P, stalling.backupId()).progress().orElseThrow().percent());
    assertEquals(BackupStatus.AVAILABLE, catalog.get(P, backup.backupId()).status());
  }

  /** The README's journey: a seeded test fails, prints its seed; the seed given back as -Dcsbs.seed replays the same failure. */
  @Test
  void aFailurePrintsItsSeedAndTheSeedReplaysIt() {
    String before = System.getProperty(Seeds.PROPERTY);
    try {
      System.clearProperty(Seeds.PROPERTY);
      assertNotEquals(Seeds.pick(), Seeds.pick(), "a fresh seed each run");
      java.util.function.LongConsumer test = seed -> {
        Backup first = BackupGenerator.builder().seed(seed).projects(2).servers(10).build().next();
        assertEquals("no such backup", first.id(), "first backup of the run");
      };
      AssertionError failure = assertThrows(AssertionError.class, () -> Seeds.run(Seeds.pick(), test));
      java.util.regex.Matcher printed = java.util.regex.Pattern.compile("-Dcsbs\\.seed=(-?\\d+)").matcher(failure.getMessage());
      assertTrue(printed.find(), failure.getMessage());
      System.setProperty(Seeds.PROPERTY, printed.group(1));
      long replayed = Seeds.pick();
      assertEquals(Long.parseLong(printed.group(1)), replayed);
      AssertionError again = assertThrows(AssertionError.class, () -> Seeds.run(Seeds.pick(), test));
      assertEquals(failure.getMessage(), again.getMessage());
    } finally {
      if (before == null) {
        System.clearProperty(Seeds.PROPERTY);
      } else {
        System.setProperty(Seeds.PROPERTY, before);
      }
    }
  }

  /** projects(k) with fewer servers: only the projects that got a server own backups; projectIds lists all. */
  @Test
  void moreProjectsThanServers() {
    BackupGenerator generator = BackupGenerator.builder().seed(8).projects(5).servers(2).build();
    assertEquals(List.of("project-0", "project-1", "project-2", "project-3", "project-4"), generator.projectIds());
    assertEquals(Set.of("project-0", "project-1"),
        generator.backups(500).stream().map(Backup::projectId).collect(Collectors.toSet()));
  }

  /** A resumed job "does not stall again", and fails where its plan says, its stall costing no work. */
  @Test
  void aResumedJobDoesNotStallAgainAndFailsWhereItsPlanSays() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(P, WEB, JobPlan.DEFAULT.stallingAt(30).failingAt(60, "agent not reachable"));
    jobs.advance(Duration.ofHours(1));
    assertEquals(SimulatedJob.State.STALLED, job.state());
    assertEquals(30, job.lastReportedPercent());
    jobs.resume(job);
    Instant resumed = clock.instant();
    jobs.advance(Duration.ofMinutes(3).minusNanos(1));
    assertEquals(Progress.of(50, resumed.plus(Duration.ofMinutes(2))), catalog.get(P, job.backupId()).progress().orElseThrow());
    jobs.advance(Duration.ofNanos(1));
    assertEquals(SimulatedJob.State.FAILED, job.state());
    assertEquals(resumed.plus(Duration.ofMinutes(3)), catalog.get(P, job.backupId()).failure().orElseThrow().failedAt());

    SimulatedJob once = jobs.startBackup(P, WEB, JobPlan.DEFAULT.stallingAt(10));
    jobs.advance(Duration.ofMinutes(2));
    jobs.resume(once);
    jobs.advance(Duration.ofMinutes(9));
    assertEquals(SimulatedJob.State.SUCCEEDED, once.state());
  }

  /** ReferenceCatalog: ties in the sort are broken by id (Sort's total order), so marker paging visits every tie once. */
  @Test
  void referencePagesThroughTiesByMarkerAndOffset() {
    Instant t = Instant.parse("2026-11-24T10:00:00Z");
    ReferenceCatalog reference = ReferenceCatalog.create(FakeClock.at(t));
    List<String> ids = List.of("d", "a", "ǅ", "c", "𝒜", "b", "e");
    for (String id : ids) {
      reference.add(available(id, t.minusSeconds(60)));
    }
    // default: the reverse of (created at, id) ascending, so ids descending
    List<String> expected = ids.stream().sorted(java.util.Comparator.reverseOrder()).collect(Collectors.toList());
    List<String> walked = new ArrayList<>();
    Query query = Query.builder().where(Predicates.all()).limit(2).build();
    Page page = reference.query(P, query);
    walked.addAll(page.ids());
    while (page.hasMore()) {
      page = reference.query(P, query.after(page.nextMarker().orElseThrow()));
      walked.addAll(page.ids());
      assertEquals(7, page.total());
    }
    assertEquals(expected, walked);
    List<String> byOffset = new ArrayList<>();
    for (int offset = 0; offset < 7; offset += 3) {
      byOffset.addAll(reference.query(P, Query.builder().where(Predicates.all()).limit(3).offset(offset).build()).ids());
    }
    assertEquals(expected, byOffset);
  }

  /** The all-projects view on the reference equals the indexed catalog's, ids shared by projects included. */
  @Test
  void allProjectsViewOfTheReferenceEqualsTheIndexedCatalogs() {
    Instant t = Instant.parse("2026-11-24T10:00:00Z");
    ReferenceCatalog reference = ReferenceCatalog.create(FakeClock.at(t));
    BackupCatalog indexed = Catalogs.indexed(FakeClock.at(t));
    List<Backup> backups = new ArrayList<>();
    for (String project : List.of("project-b", "project-a", "project-c")) {
      for (int i = 0; i < 6; i++) {
        backups.add(available("id-" + (i % 4), project, t.minusSeconds(60L * (i % 3)), i % 2 == 0 ? BackupType.COMMON : BackupType.ENHANCED));
        if (backups.stream().filter(b -> b.projectId().equals(project)).map(Backup::id).distinct().count()
            < backups.stream().filter(b -> b.projectId().equals(project)).count()) {
          backups.remove(backups.size() - 1);
        }
      }
    }
    reference.addAll(backups);
    indexed.addAll(backups);
    for (Sort sort : List.of(Sort.DEFAULT, Sort.parse("name:asc"), Sort.parse("id:desc"), Sort.parse("created_at:asc,name:desc"))) {
      for (int offset = 0; offset < 13; offset += 4) {
        Query query = Query.builder().where(Predicates.all()).sort(sort).limit(4).offset(offset).build();
        assertEquals(reference.queryAllProjects(query), indexed.queryAllProjects(query), query.toString());
      }
    }
    assertEquals(12, reference.countAllProjects(Predicates.all()));
    assertEquals(indexed.countAllProjects(Predicates.type(BackupType.ENHANCED)), reference.countAllProjects(Predicates.type(BackupType.ENHANCED)));
  }

  /** load: "installs a snapshot into a project without backups at 0": a project emptied by removals is at 2, not 0. */
  @Test
  void referenceLoadRefusesAProjectWhoseBackupsAreGoneButWhoseSequenceIsNotZero() {
    FakeClock clock = FakeClock.create();
    ReferenceCatalog reference = ReferenceCatalog.create(clock);
    reference.add(available("b-1", clock.instant().minusSeconds(60)));
    reference.remove(P, "b-1", 1);
    assertEquals(2, reference.sequence(P));
    assertEquals(0, reference.count(P, Predicates.all()));
    Backup other = available("b-2", clock.instant().minusSeconds(30));
    assertThrows(IllegalStateException.class, () -> reference.load(new ProjectSnapshot(P, 5, Quota.NONE, List.of(other))));
    assertEquals(Optional.empty(), reference.find(P, "b-2"));
    assertEquals(2, reference.sequence(P));
    reference.load(new ProjectSnapshot("project-9", 5, Quota.of(3, Quota.UNLIMITED), List.of(available("b-2", "project-9", clock.instant(), BackupType.COMMON))));
    assertEquals(5, reference.sequence("project-9"));
    assertEquals(3, reference.quotaUsage("project-9").quota().maxBackups());
  }

  /** The default window: "the 365 days before FakeClock.DEFAULT_START, so that a FakeClock.create() stands at the end". */
  @Test
  void theDefaultWindowEndsWhereACreatedFakeClockStands() {
    FakeClock clock = FakeClock.create();
    List<Backup> backups = BackupGenerator.withSeed(31).backups(3000);
    for (Backup b : backups) {
      assertTrue(b.createdAt().isBefore(clock.instant()), b.toString());
      assertFalse(b.createdAt().isBefore(clock.instant().minus(Duration.ofDays(365))), b.toString());
      assertFalse(b.updatedAt().isAfter(clock.instant()), b.toString());
    }
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.addAll(backups);
    assertEquals(3000, catalog.count("project-0", Predicates.all()));
  }

  /**
   * startBackup(Backup, plan) "runs the job from its progress": a user starting a job at 60% may read
   * it as "60% is done, the rest takes 40% of the plan". In fact the plan's whole duration runs from
   * the start (its progress the share of the duration passed) and the reports below 60% are skipped:
   * the job completes after the full 10 minutes and first reports at minute 7.
   */
  @Test
  void aJobStartedAtSixtyPercentStillTakesItsWholeDuration() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    Instant now = clock.instant();
    Backup creating = Backup.builder().id("b-60").name("manualbk_b60").projectId(P).server(WEB)
        .status(BackupStatus.CREATING).progress(Progress.of(60, now)).sizeMb(1).createdAt(now.minusSeconds(60)).updatedAt(now)
        .build();
    SimulatedJob job = jobs.startBackup(creating, JobPlan.DEFAULT);
    jobs.advance(Duration.ofMinutes(6));
    assertEquals(1, catalog.get(P, "b-60").version());
    jobs.advance(Duration.ofMinutes(1));
    assertEquals(70, catalog.get(P, "b-60").progress().orElseThrow().percent());
    jobs.advance(Duration.ofMinutes(3).minusNanos(1));
    assertEquals(SimulatedJob.State.RUNNING, job.state());
    jobs.advance(Duration.ofNanos(1));
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
  }

  /** "creation time ranges ... sometimes open on one side, their bounds often exactly some backup's creation time". */
  @Test
  void timeRangeBoundsAreOftenExactlyACreationTime() {
    List<Backup> backups = BackupGenerator.withSeed(17).backups(200);
    Set<Instant> created = backups.stream().map(Backup::createdAt).collect(Collectors.toSet());
    QueryGenerator generator = QueryGenerator.create(17, backups);
    int[] bounds = new int[3]; // bounds, exact bounds, ranges open on one side
    for (int i = 0; i < 2000; i++) {
      collectLeaves(generator.nextPredicate(), (method, args) -> {
        if (method.equals("createdIn")) {
          io.csbs.query.TimeRange range = (io.csbs.query.TimeRange) args[0];
          for (Optional<Instant> bound : List.of(range.start(), range.end())) {
            if (bound.isPresent()) {
              bounds[0]++;
              bounds[1] += created.contains(bound.get()) ? 1 : 0;
            }
          }
          bounds[2] += range.start().isPresent() != range.end().isPresent() ? 1 : 0;
        }
      });
    }
    assertTrue(bounds[0] > 100, java.util.Arrays.toString(bounds));
    assertTrue(bounds[1] > bounds[0] / 5, "often exact: " + java.util.Arrays.toString(bounds));
    assertTrue(bounds[2] > 0, "sometimes open on one side: " + java.util.Arrays.toString(bounds));
  }

  /**
   * JobPlan: "The job's progress is the share of its duration that has passed, rounded down ... A failing
   * job fails when its progress would reach the failure percent". A 7 ns job failing at 33%: at 2 ns
   * its progress is 28% (2/7), below 33, so it reports 28; at 3 ns (42%) it would pass 33 and fails.
   */
  @Test
  void aFailureComesOnlyOnceTheProgressWouldReachItsPercent() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup(P, WEB, JobPlan.taking(Duration.ofNanos(7)).reportingEvery(Duration.ofNanos(1)).failingAt(33, "x"));
    jobs.advance(Duration.ofNanos(2));
    assertEquals(SimulatedJob.State.RUNNING, job.state());
    assertEquals(28, job.lastReportedPercent());
    jobs.advance(Duration.ofNanos(1));
    assertEquals(SimulatedJob.State.FAILED, job.state());
  }
}
