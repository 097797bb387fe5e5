package io.csbs.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.lifecycle.StallRule;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** A new user's reading of the README and the testkit's javadoc, checked one claim at a time. */
class NewUserTestkitTest {

  // ------------------------------------------------------------------ FakeClock

  @Test
  void fakeClockStartsAtTheDefaultStartInUtcAndStandsStill() throws Exception {
    FakeClock clock = FakeClock.create();
    assertEquals(Instant.parse("2026-01-01T00:00:00Z"), FakeClock.DEFAULT_START);
    assertEquals(FakeClock.DEFAULT_START, clock.instant());
    assertEquals(ZoneOffset.UTC, clock.getZone());
    Thread.sleep(5);
    assertEquals(FakeClock.DEFAULT_START, clock.instant());
    assertEquals(FakeClock.DEFAULT_START.toEpochMilli(), clock.millis());
    Instant start = Instant.parse("2026-11-24T10:00:00Z");
    assertEquals(start, FakeClock.at(start).instant());
  }

  @Test
  void fakeClockAdvancesAndSetsForwardOrBack() {
    FakeClock clock = FakeClock.at(Instant.parse("2026-11-24T10:00:00Z"));
    assertEquals(Instant.parse("2026-11-24T10:31:00Z"), clock.advance(Duration.ofMinutes(31)));
    assertEquals(Instant.parse("2026-11-24T10:31:00Z"), clock.instant());
    assertEquals(Instant.parse("2026-11-24T10:31:00Z"), clock.advance(Duration.ZERO));
    clock.set(Instant.parse("2020-01-01T00:00:00Z"));
    assertEquals(Instant.parse("2020-01-01T00:00:00Z"), clock.instant());
    clock.set(Instant.parse("2030-01-01T00:00:00Z"));
    assertEquals(Instant.parse("2030-01-01T00:00:00Z"), clock.instant());
    assertEquals(Instant.parse("2030-01-01T00:00:00.000000001Z"), clock.advance(Duration.ofNanos(1)));
  }

  @Test
  void fakeClockRefusalsNameTheParameter() {
    FakeClock clock = FakeClock.create();
    IllegalArgumentException negative =
        assertThrows(IllegalArgumentException.class, () -> clock.advance(Duration.ofSeconds(-1)));
    assertTrue(negative.getMessage().contains("duration"), negative.getMessage());
    assertEquals(FakeClock.DEFAULT_START, clock.instant(), "a refused advance does not move the clock");
    assertTrue(assertThrows(NullPointerException.class, () -> clock.advance(null)).getMessage().contains("duration"));
    assertTrue(assertThrows(NullPointerException.class, () -> clock.set(null)).getMessage().contains("instant"));
    assertTrue(assertThrows(NullPointerException.class, () -> clock.withZone(null)).getMessage().contains("zone"));
    assertTrue(assertThrows(NullPointerException.class, () -> FakeClock.at(null)).getMessage().contains("start"));
  }

  @Test
  void fakeClockWithAnotherZoneSharesTheInstantBothWays() {
    FakeClock clock = FakeClock.create();
    FakeClock paris = clock.withZone(ZoneId.of("Europe/Paris"));
    assertEquals(ZoneId.of("Europe/Paris"), paris.getZone());
    assertEquals(ZoneOffset.UTC, clock.getZone());
    clock.advance(Duration.ofHours(1));
    assertEquals(clock.instant(), paris.instant());
    paris.advance(Duration.ofHours(1));
    assertEquals(FakeClock.DEFAULT_START.plus(Duration.ofHours(2)), clock.instant());
    paris.set(Instant.EPOCH);
    assertEquals(Instant.EPOCH, clock.instant());
  }

  @Test
  void fakeClockIsSafeToShareBetweenThreads() throws Exception {
    FakeClock clock = FakeClock.create();
    int threads = 4;
    int each = 20_000;
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      FakeClock view = t % 2 == 0 ? clock : clock.withZone(ZoneId.of("Asia/Tokyo"));
      Thread worker = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          throw new AssertionError(e);
        }
        for (int i = 0; i < each; i++) {
          view.advance(Duration.ofNanos(1));
        }
      });
      workers.add(worker);
      worker.start();
    }
    start.countDown();
    for (Thread worker : workers) {
      worker.join();
    }
    assertEquals(FakeClock.DEFAULT_START.plusNanos((long) threads * each), clock.instant());
  }

  @Test
  void fakeClockJavadocExampleDrivesTheStallRule() {
    FakeClock clock = FakeClock.at(Instant.parse("2026-11-24T10:00:00Z"));
    Backup creating = Backup.builder()
        .id("b-1").name("manualbk_0001").projectId("project-1")
        .server(Server.of("s-1", "ecs-web", "eu-de-02"))
        .status(BackupStatus.CREATING)
        .progress(io.csbs.backup.Progress.of(10, clock.instant()))
        .type(io.csbs.backup.BackupType.COMMON).trigger(BackupTrigger.MANUAL)
        .sizeMb(1024).createdAt(clock.instant()).build();
    assertFalse(StallRule.DEFAULT.isStalled(creating, clock));
    clock.advance(Duration.ofMinutes(31));
    assertTrue(StallRule.DEFAULT.isStalled(creating, clock));
  }

  // ------------------------------------------------------------------ BackupGenerator

  @Test
  void generatorIsDeterministicPerSeedAndDefaultsToSeedZero() {
    assertEquals(BackupGenerator.withSeed(42).backups(300), BackupGenerator.withSeed(42).backups(300));
    assertEquals(BackupGenerator.withSeed(7).next(), BackupGenerator.builder().seed(7).build().next());
    assertEquals(BackupGenerator.builder().build().backups(50), BackupGenerator.withSeed(0).backups(50));
    assertNotEquals(BackupGenerator.withSeed(1).backups(50), BackupGenerator.withSeed(2).backups(50));
    BackupGenerator a = BackupGenerator.builder().seed(42).projects(3).servers(500).build();
    BackupGenerator b = BackupGenerator.builder().seed(42).projects(3).servers(500).build();
    assertEquals(a.backups(1000), b.backups(1000));
    // next() one at a time gives what backups(n) gives
    BackupGenerator c = BackupGenerator.withSeed(9);
    List<Backup> oneByOne = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      oneByOne.add(c.next());
    }
    assertEquals(BackupGenerator.withSeed(9).backups(100), oneByOne);
    Instant end = Instant.parse("2025-06-01T00:00:00Z");
    assertEquals(
        BackupGenerator.builder().seed(3).window(end, Duration.ofDays(30)).build().backups(200),
        BackupGenerator.builder().seed(3).window(end, Duration.ofDays(30)).build().backups(200));
    assertEquals(List.of(), BackupGenerator.withSeed(1).backups(0));
  }

  @Test
  void generatorProjectsAndServersAreAsConfigured() {
    BackupGenerator one = BackupGenerator.withSeed(5);
    assertEquals(List.of("project-0"), one.projectIds());
    assertTrue(one.backups(2000).stream().allMatch(b -> b.projectId().equals("project-0")));

    BackupGenerator three = BackupGenerator.builder().seed(42).projects(3).servers(500).build();
    assertEquals(List.of("project-0", "project-1", "project-2"), three.projectIds());
    assertEquals("project-2", BackupGenerator.projectId(2));
    List<Backup> backups = three.backups(10_000);
    Set<String> projects = new HashSet<>();
    Set<String> servers = new HashSet<>();
    Map<String, String> projectOfServer = new HashMap<>();
    for (Backup b : backups) {
      projects.add(b.projectId());
      servers.add(b.server().id());
      String before = projectOfServer.putIfAbsent(b.server().id(), b.projectId());
      assertTrue(before == null || before.equals(b.projectId()), "a server belongs to one project");
    }
    assertEquals(Set.of("project-0", "project-1", "project-2"), projects);
    assertTrue(servers.size() <= 500 && servers.size() > 100, "servers: " + servers.size());

    Set<String> defaultServers = new HashSet<>();
    BackupGenerator.withSeed(1).backups(30_000).forEach(b -> defaultServers.add(b.server().id()));
    assertTrue(defaultServers.size() <= 1000 && defaultServers.size() > 500, "servers: " + defaultServers.size());

    List<Backup> single = BackupGenerator.builder().seed(1).servers(1).build().backups(200);
    assertEquals(1, single.stream().map(b -> b.server().id()).distinct().count());
  }

  @Test
  void generatorRefusesBadOptionsNamingThem() {
    BackupGenerator.Builder builder = BackupGenerator.builder();
    assertTrue(assertThrows(IllegalArgumentException.class, () -> builder.projects(0)).getMessage().contains("projects"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> builder.projects(-3)).getMessage().contains("projects"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> builder.servers(0)).getMessage().contains("servers"));
    Instant end = Instant.parse("2025-06-01T00:00:00Z");
    assertTrue(assertThrows(NullPointerException.class, () -> builder.window(null, Duration.ofDays(1))).getMessage().contains("end"));
    assertTrue(assertThrows(NullPointerException.class, () -> builder.window(end, null)).getMessage().contains("span"));
    for (Duration bad : List.of(Duration.ZERO, Duration.ofMillis(999), Duration.ofDays(-1))) {
      assertTrue(assertThrows(IllegalArgumentException.class, () -> builder.window(end, bad)).getMessage().contains("span"));
    }
    // refusals leave the builder's defaults in place
    assertEquals(BackupGenerator.withSeed(0).backups(20), builder.build().backups(20));
    assertEquals(FakeClock.DEFAULT_START, builder.build().end());
  }

  @Test
  void generatedCreationTimesLieInTheWindowBeforeItsEnd() {
    BackupGenerator defaults = BackupGenerator.withSeed(11);
    assertEquals(FakeClock.DEFAULT_START, defaults.end());
    assertWithin(defaults.backups(5000), FakeClock.DEFAULT_START, Duration.ofDays(365));

    Instant end = Instant.parse("2025-06-01T12:00:00Z");
    BackupGenerator week = BackupGenerator.builder().seed(4).window(end, Duration.ofDays(7)).build();
    assertEquals(end, week.end());
    assertWithin(week.backups(5000), end, Duration.ofDays(7));

    BackupGenerator short1 = BackupGenerator.builder().seed(4).window(end, Duration.ofSeconds(1)).build();
    assertWithin(short1.backups(200), end, Duration.ofSeconds(1));
    BackupGenerator hour = BackupGenerator.builder().seed(4).window(end, Duration.ofHours(1)).build();
    assertWithin(hour.backups(2000), end, Duration.ofHours(1));
  }

  private static void assertWithin(List<Backup> backups, Instant end, Duration span) {
    for (Backup b : backups) {
      assertTrue(b.createdAt().isBefore(end), "created before the end: " + b.createdAt());
      assertFalse(b.createdAt().isBefore(end.minus(span)), "created within the span: " + b.createdAt());
      assertFalse(b.updatedAt().isAfter(end), "updated by the end: " + b.updatedAt());
      b.finishedAt().ifPresent(f -> assertFalse(f.isAfter(end)));
      b.progress().ifPresent(p -> assertFalse(p.changedAt().isAfter(end)));
    }
  }

  @Test
  void generatedShapeFollowsTheDocumentedShares() {
    List<Backup> backups = BackupGenerator.withSeed(123).backups(40_000);
    Map<BackupStatus, Integer> states = new HashMap<>();
    int automatic = 0;
    Pattern auto = Pattern.compile("autobk_[0-9a-f]{4}");
    Pattern manual = Pattern.compile("manualbk_[0-9a-f]{4}");
    Set<String> ids = new HashSet<>();
    List<Long> sizes = new ArrayList<>();
    Map<String, List<Tag>> tagsOfServer = new HashMap<>();
    Map<String, Integer> perServer = new HashMap<>();
    for (Backup b : backups) {
      assertTrue(ids.add(b.id()), "ids are unique");
      states.merge(b.status(), 1, Integer::sum);
      if (b.trigger() == BackupTrigger.AUTOMATIC) {
        automatic++;
        assertTrue(auto.matcher(b.name()).matches(), b.name());
        assertTrue(b.policyId().isPresent(), "automatic backups have a policy id");
      } else {
        assertTrue(manual.matcher(b.name()).matches(), b.name());
        assertTrue(b.policyId().isEmpty());
      }
      sizes.add(b.sizeMb());
      assertTrue(b.sizeMb() >= 1024 && b.sizeMb() <= 16L * 1024 * 1024, "size " + b.sizeMb());
      assertTrue(b.tags().size() <= 10);
      assertEquals(b.tags().size(), b.tags().stream().map(Tag::key).distinct().count());
      List<Tag> before = tagsOfServer.putIfAbsent(b.server().id(), b.tags());
      assertTrue(before == null || before.equals(b.tags()), "backups of one server share their tags");
      perServer.merge(b.server().id(), 1, Integer::sum);
    }
    double n = backups.size();
    double available = states.getOrDefault(BackupStatus.AVAILABLE, 0) / n;
    double error = states.getOrDefault(BackupStatus.ERROR, 0) / n;
    assertTrue(available > 0.88 && available < 0.92, "available " + available);
    assertTrue(error > 0.02 && error < 0.04, "error " + error);
    double autoShare = automatic / n;
    assertTrue(autoShare > 0.72 && autoShare < 0.78, "three automatic for each manual: " + autoShare);
    sizes.sort(null);
    long median = sizes.get(sizes.size() / 2);
    assertTrue(median > 30_000 && median < 55_000, "sizes around 40 GB: median " + median);
    int most = perServer.values().stream().max(Integer::compare).orElseThrow();
    assertTrue(most > 20 * n / perServer.size(), "Zipf: a few servers have most backups");
    assertTrue(tagsOfServer.values().stream().anyMatch(List::isEmpty), "from none...");
    assertTrue(tagsOfServer.values().stream().anyMatch(t -> t.size() >= 8), "...to ten tags");
  }

  @Test
  void generatedRunningJobsAreRecentAndSometimesStalled() {
    BackupGenerator generator = BackupGenerator.withSeed(77);
    List<Backup> backups = generator.backups(20_000);
    FakeClock clock = FakeClock.create();
    ReferenceCatalog reference = ReferenceCatalog.create(clock);
    reference.addAll(backups);
    long running = reference.count("project-0",
        Predicates.status(BackupStatus.CREATING, BackupStatus.RESTORING, BackupStatus.DELETING));
    long stalled = reference.count("project-0", Predicates.stalled());
    assertTrue(running > 0.05 * backups.size() && running < 0.09 * backups.size(), "running " + running);
    assertTrue(stalled > 0 && stalled < running / 3, "stalled " + stalled + " of " + running);
    for (Backup b : backups) {
      if (b.status() == BackupStatus.CREATING) {
        assertTrue(Duration.between(b.createdAt(), generator.end()).compareTo(Duration.ofDays(1)) < 0,
            "a Creating backup is recent: " + b.createdAt());
      }
    }
  }

  @Test
  void generatedBackupsGoIntoEveryCatalog() {
    FakeClock clock = FakeClock.create();
    List<Backup> backups = BackupGenerator.builder().seed(8).projects(4).servers(50).build().backups(3000);
    BackupCatalog indexed = Catalogs.indexed(clock);
    ReferenceCatalog reference = ReferenceCatalog.create(clock);
    indexed.addAll(backups);
    reference.addAll(backups);
    for (String project : List.of("project-0", "project-1", "project-2", "project-3")) {
      assertEquals(reference.query(project, Query.all()), indexed.query(project, Query.all()));
      assertEquals(reference.count(project, Predicates.stalled()), indexed.count(project, Predicates.stalled()));
    }
    assertEquals(3000, reference.countAllProjects(Predicates.all()));
  }

  // ------------------------------------------------------------------ ReferenceCatalog

  @Test
  void referenceCatalogJavadocExampleAndItsShape() {
    FakeClock clock = FakeClock.create();
    ReferenceCatalog reference = ReferenceCatalog.create(clock);
    assertSame(clock, reference.clock());
    assertEquals(StallRule.DEFAULT, reference.stallRule());
    List<Backup> backups = BackupGenerator.withSeed(42).backups(500);
    reference.addAll(backups);
    BackupCatalog mine = Catalogs.indexed(clock);
    mine.addAll(backups);
    QueryGenerator queries = QueryGenerator.create(42, backups);
    for (int i = 0; i < 200; i++) {
      Query query = queries.nextQuery();
      assertEquals(reference.query("project-0", query), mine.query("project-0", query), query.toString());
    }
    assertEquals("ReferenceCatalog{1 projects, 500 backups, stall threshold PT30M}", reference.toString());
  }

  @Test
  void referenceCatalogAnswersWithTheClocksInstant() {
    FakeClock clock = FakeClock.create();
    ReferenceCatalog reference = ReferenceCatalog.create(clock, StallRule.ofThreshold(Duration.ofMinutes(10)));
    SimulatedJobs jobs = SimulatedJobs.create(reference, clock);
    Server web = Server.of("s-1", "ecs-web", "eu-de-01");
    SimulatedJob stuck = jobs.startBackup("project-1", web, JobPlan.DEFAULT.stallingAt(0));
    jobs.advance(Duration.ofMinutes(10));
    assertEquals(0, reference.count("project-1", Predicates.stalled()));
    jobs.advance(Duration.ofSeconds(1));
    assertEquals(List.of(stuck.backupId()), reference.query("project-1", Query.where(Predicates.stalled())).ids());
    assertEquals(1, reference.count("project-1", Predicates.createdWithinLast(Duration.ofMinutes(11))));
    clock.advance(Duration.ofMinutes(1));
    assertEquals(0, reference.count("project-1", Predicates.createdWithinLast(Duration.ofMinutes(11))));
  }

  // ------------------------------------------------------------------ SimulatedJobs

  @Test
  void simulatedJobsJavadocExample() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    Server server = Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-web", "eu-de-02");
    SimulatedJob backup = jobs.startBackup("project-1", server, JobPlan.taking(Duration.ofMinutes(20)));
    SimulatedJob stuck = jobs.startBackup("project-1", server, JobPlan.DEFAULT.stallingAt(40));
    jobs.advance(Duration.ofMinutes(10));
    assertEquals(50, backup.lastReportedPercent());
    assertEquals(40, stuck.lastReportedPercent());
    assertEquals(SimulatedJob.State.STALLED, stuck.state());
    assertEquals(FakeClock.DEFAULT_START.plus(Duration.ofMinutes(4)),
        catalog.get("project-1", stuck.backupId()).progress().orElseThrow().changedAt());
    jobs.advance(Duration.ofMinutes(30));
    assertEquals(BackupStatus.AVAILABLE, catalog.get("project-1", backup.backupId()).status());
    assertEquals(1, catalog.count("project-1", Predicates.stalled()));
    jobs.resume(stuck);
    jobs.advance(Duration.ofMinutes(6).minusNanos(1));
    assertEquals(SimulatedJob.State.RUNNING, stuck.state());
    jobs.advance(Duration.ofNanos(1));
    assertEquals(SimulatedJob.State.SUCCEEDED, stuck.state());
    assertEquals(BackupStatus.AVAILABLE, catalog.get("project-1", stuck.backupId()).status());
  }

  @Test
  void jobPlanRefusalsAndFailure() {
    assertThrows(IllegalArgumentException.class, () -> JobPlan.taking(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> JobPlan.taking(JobPlan.MAX_DURATION.plusNanos(1)));
    assertThrows(IllegalArgumentException.class, () -> JobPlan.DEFAULT.reportingEvery(Duration.ofSeconds(-1)));
    assertThrows(IllegalArgumentException.class, () -> JobPlan.DEFAULT.stallingAt(101));
    assertThrows(IllegalArgumentException.class, () -> JobPlan.DEFAULT.failingAt(-1, "x"));
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    Server web = Server.of("s-1", "ecs-web", "eu-de-01");
    SimulatedJob failing = jobs.startBackup("p", web, JobPlan.taking(Duration.ofMinutes(20)).failingAt(60, "agent not reachable"));
    jobs.advance(Duration.ofMinutes(12).minusNanos(1));
    assertEquals(SimulatedJob.State.RUNNING, failing.state());
    assertEquals(55, failing.lastReportedPercent());
    jobs.advance(Duration.ofNanos(1));
    assertEquals(SimulatedJob.State.FAILED, failing.state());
    assertEquals(BackupStatus.ERROR, catalog.get("p", failing.backupId()).status());
  }

  // ------------------------------------------------------------------ batch 2

  @Test
  void generatorSharesServerAndTagObjects() {
    List<Backup> backups = BackupGenerator.builder().seed(3).servers(5).build().backups(500);
    Map<String, Backup> first = new HashMap<>();
    for (Backup b : backups) {
      Backup f = first.putIfAbsent(b.server().id(), b);
      if (f != null) {
        assertSame(f.server(), b.server(), "servers are shared objects");
        for (int i = 0; i < b.tags().size(); i++) {
          assertSame(f.tags().get(i), b.tags().get(i), "tags are shared objects");
        }
      }
    }
  }

  @Test
  void queryGeneratorShapes() {
    List<Backup> backups = BackupGenerator.withSeed(5).backups(300);
    Set<String> ids = new HashSet<>();
    backups.forEach(b -> ids.add(b.id()));
    QueryGenerator a = QueryGenerator.create(5, backups);
    QueryGenerator b = QueryGenerator.create(5, backups);
    int offsets = 0;
    int markers = 0;
    int defaults = 0;
    int n = 3000;
    for (int i = 0; i < n; i++) {
      Query q = a.nextQuery();
      assertEquals(q, b.nextQuery(), "same seed, same queries");
      assertTrue(q.limit() >= 1 && q.limit() <= 1000, "limit " + q.limit());
      q.marker().ifPresent(m -> assertTrue(ids.contains(m), "marker from the backups"));
      if (q.marker().isPresent()) {
        markers++;
      }
      if (q.offset() > 0) {
        offsets++;
      }
      if (q.sort().equals(io.csbs.query.Sort.DEFAULT)) {
        defaults++;
      }
    }
    assertTrue(markers > n / 5 && markers < n / 2.5, "markers " + markers);
    assertTrue(offsets > n / 6 && offsets < n / 2.5, "offsets " + offsets);
    assertTrue(defaults > n * 0.4 && defaults < n * 0.65, "default sorts " + defaults);
    QueryGenerator empty = QueryGenerator.create(1, List.of());
    for (int i = 0; i < 200; i++) {
      empty.nextQuery();
      empty.nextPredicate();
    }
  }

  @Test
  void invalidInputsAreRefusedAsDeclaredAndDeterministic() {
    for (long seed = 0; seed < 20; seed++) {
      InvalidInputs invalid = InvalidInputs.withSeed(seed);
      List<InvalidInputs.Case> cases = invalid.all();
      assertFalse(cases.isEmpty());
      for (InvalidInputs.Case bad : cases) {
        bad.assertRefused();
      }
      assertEquals(cases.toString(), InvalidInputs.withSeed(seed).all().toString());
    }
  }

  @Test
  void seedsReplayAndReport() {
    String before = System.getProperty(Seeds.PROPERTY);
    try {
      System.setProperty(Seeds.PROPERTY, " -4242 ");
      assertEquals(-4242L, Seeds.pick());
      System.setProperty(Seeds.PROPERTY, "x");
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, Seeds::pick);
      assertTrue(e.getMessage().contains(Seeds.PROPERTY));
    } finally {
      if (before == null) {
        System.clearProperty(Seeds.PROPERTY);
      } else {
        System.setProperty(Seeds.PROPERTY, before);
      }
    }
    AssertionError failure = assertThrows(AssertionError.class,
        () -> Seeds.run(17, seed -> assertEquals(1, 2)));
    assertTrue(failure.getMessage().startsWith("failed with seed 17 (replay with -Dcsbs.seed=17)"), failure.getMessage());
    AssertionError runtime = assertThrows(AssertionError.class,
        () -> Seeds.run(18, seed -> { throw new IllegalStateException("boom"); }));
    assertTrue(runtime.getCause() instanceof IllegalStateException);
  }

  @Test
  void jobPlanEdgePercents() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    Server web = Server.of("s-1", "ecs-web", "eu-de-01");
    SimulatedJob failAt0 = jobs.startBackup("p", web, JobPlan.DEFAULT.failingAt(0, "agent not reachable"));
    SimulatedJob stallAt0 = jobs.startBackup("p", web, JobPlan.DEFAULT.stallingAt(0));
    SimulatedJob failAt100 = jobs.startBackup("p", web, JobPlan.DEFAULT.failingAt(100, "agent not reachable"));
    SimulatedJob both = jobs.startBackup("p", web, JobPlan.DEFAULT.stallingAt(30).failingAt(30, "agent not reachable"));
    SimulatedJob stall45 = jobs.startBackup("p", web, JobPlan.DEFAULT.stallingAt(45));
    SimulatedJob every7 = jobs.startBackup("p", web, JobPlan.taking(Duration.ofMinutes(20)).reportingEvery(Duration.ofMinutes(7)));
    SimulatedJob plain = jobs.startBackup("p", web);
    jobs.advance(Duration.ZERO);
    assertEquals(SimulatedJob.State.FAILED, failAt0.state());
    assertEquals(SimulatedJob.State.STALLED, stallAt0.state());
    jobs.advance(Duration.ofMinutes(3));
    assertEquals(SimulatedJob.State.FAILED, both.state(), "the failure wins");
    assertEquals(20, both.lastReportedPercent());
    jobs.advance(Duration.ofSeconds(90));
    assertEquals(SimulatedJob.State.STALLED, stall45.state());
    assertEquals(45, stall45.lastReportedPercent());
    assertEquals(45, catalog.get("p", stall45.backupId()).progress().orElseThrow().percent());
    jobs.advance(Duration.ofSeconds(150)); // minute 7
    assertEquals(35, every7.lastReportedPercent());
    jobs.advance(Duration.ofMinutes(3)); // minute 10
    assertEquals(SimulatedJob.State.FAILED, failAt100.state());
    assertEquals(90, failAt100.lastReportedPercent());
    assertEquals(SimulatedJob.State.SUCCEEDED, plain.state());
    assertEquals(90, plain.lastReportedPercent(), "completing is not a report");
    assertEquals(FakeClock.DEFAULT_START.plus(Duration.ofMinutes(10)), plain.endedAt().orElseThrow());
    assertEquals(35, every7.lastReportedPercent());
    jobs.advance(Duration.ofMinutes(4)); // minute 14
    assertEquals(70, every7.lastReportedPercent());
    jobs.advance(Duration.ofMinutes(6)); // minute 20
    assertEquals(SimulatedJob.State.SUCCEEDED, every7.state());
    // resume the 45% stall at minute 20: next report after 30 s of work, done 5.5 minutes later
    jobs.resume(stall45);
    jobs.advance(Duration.ofSeconds(30));
    assertEquals(50, stall45.lastReportedPercent());
    jobs.advance(Duration.ofMinutes(5));
    assertEquals(SimulatedJob.State.SUCCEEDED, stall45.state());
    assertEquals(FakeClock.DEFAULT_START.plus(Duration.ofMinutes(25).plusSeconds(30)), stall45.endedAt().orElseThrow());
    assertThrows(IllegalStateException.class, () -> jobs.resume(plain));
    SimulatedJobs other = SimulatedJobs.create(Catalogs.indexed(clock), clock);
    assertThrows(IllegalArgumentException.class, () -> other.resume(stallAt0));
    assertThrows(IllegalArgumentException.class, () -> jobs.advance(Duration.ofSeconds(-1)));
  }

  @Test
  void simulatedRestoreDeleteAndOtherWriters() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<Backup> backups = BackupGenerator.withSeed(2).backups(200);
    catalog.addAll(backups);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock, 9);
    Backup available = backups.stream().filter(b -> b.status() == BackupStatus.AVAILABLE
        && b.type() == io.csbs.backup.BackupType.COMMON).findFirst().orElseThrow();
    Backup another = backups.stream().filter(b -> b.status() == BackupStatus.AVAILABLE && b != available)
        .findFirst().orElseThrow();
    Backup creating = backups.stream().filter(b -> b.status() == BackupStatus.CREATING).findFirst().orElseThrow();
    assertThrows(io.csbs.catalog.BackupNotFoundException.class, () -> jobs.startRestore("project-0", "nope"));
    assertThrows(io.csbs.lifecycle.IllegalTransitionException.class, () -> jobs.startRestore("project-0", creating.id()));
    assertThrows(io.csbs.lifecycle.IllegalTransitionException.class,
        () -> jobs.startInstantRestore("project-0", available.id()));
    SimulatedJob restore = jobs.startRestore("project-0", available.id());
    assertEquals(BackupStatus.RESTORING, catalog.get("project-0", available.id()).status());
    SimulatedJob delete = jobs.startDelete("project-0", another.id());
    jobs.advance(Duration.ofMinutes(10));
    assertEquals(SimulatedJob.State.SUCCEEDED, restore.state());
    assertEquals(BackupStatus.AVAILABLE, catalog.get("project-0", available.id()).status());
    assertEquals(SimulatedJob.State.SUCCEEDED, delete.state());
    assertTrue(catalog.find("project-0", another.id()).isEmpty());
    // a watchdog fails a stalled job: interrupted at the end of the advance
    SimulatedJob stuck = jobs.startRestore("project-0", available.id(), JobPlan.DEFAULT.stallingAt(20));
    jobs.advance(Duration.ofMinutes(5));
    assertEquals(SimulatedJob.State.STALLED, stuck.state());
    Backup now = catalog.get("project-0", available.id());
    catalog.apply("project-0", now.id(), now.version(), io.csbs.lifecycle.Transition.fail("watchdog"));
    jobs.advance(Duration.ZERO);
    assertEquals(SimulatedJob.State.INTERRUPTED, stuck.state());
    assertEquals(BackupStatus.ERROR, catalog.get("project-0", available.id()).status());
    // refusals of startBackup(Backup, plan)
    assertThrows(IllegalArgumentException.class, () -> jobs.startBackup(another, JobPlan.DEFAULT));
  }

  @Test
  void twoRunnersWithOneSeedMakeIdenticalChanges() {
    List<List<io.csbs.catalog.Change>> seen = new ArrayList<>();
    for (int run = 0; run < 2; run++) {
      FakeClock clock = FakeClock.create();
      BackupCatalog catalog = Catalogs.indexed(clock);
      List<io.csbs.catalog.Change> changes = java.util.Collections.synchronizedList(new ArrayList<>());
      catalog.subscribe(changes::add);
      SimulatedJobs jobs = SimulatedJobs.create(catalog, clock, 31);
      Server web = Server.of("s-1", "ecs-web", "eu-de-01");
      jobs.startBackup("p", web);
      jobs.startBackup("p", web, JobPlan.DEFAULT.failingAt(50, "agent not reachable"));
      jobs.advance(Duration.ofMinutes(11));
      seen.add(changes);
    }
    assertEquals(seen.get(0).toString(), seen.get(1).toString());
  }

  @Test
  void referenceAllProjectsOrdersBySortThenProjectAndRefusesAmbiguousMarkers() {
    FakeClock clock = FakeClock.create();
    ReferenceCatalog reference = ReferenceCatalog.create(clock);
    Server web = Server.of("s-1", "ecs-web", "eu-de-01");
    for (String project : List.of("project-b", "project-a")) {
      reference.add(Backup.builder().id("same").name("autobk_0001").projectId(project).server(web)
          .status(BackupStatus.AVAILABLE).type(io.csbs.backup.BackupType.COMMON).trigger(BackupTrigger.MANUAL)
          .sizeMb(1).createdAt(Instant.parse("2025-01-01T00:00:00Z")).build());
    }
    List<Backup> all = reference.queryAllProjects(Query.all()).backups();
    assertEquals(List.of("project-a", "project-b"), all.stream().map(Backup::projectId).toList());
    io.csbs.backup.InvalidValueException e = assertThrows(io.csbs.backup.InvalidValueException.class,
        () -> reference.queryAllProjects(Query.all().after("same")));
    assertEquals("marker", e.field());
    // a marker need not match the predicate
    assertEquals(0, reference.query("project-a",
        Query.where(Predicates.status(BackupStatus.ERROR)).after("same")).total());
  }

  @Test
  void simulatedJobsCatchUpWhenTheTestMovesTheClock() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup("p", Server.of("s-1", "ecs-web", "eu-de-01"));
    clock.advance(Duration.ofMinutes(15));
    jobs.advance(Duration.ZERO);
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
    assertEquals(FakeClock.DEFAULT_START.plus(Duration.ofMinutes(15)), job.endedAt().orElseThrow());
    assertEquals(FakeClock.DEFAULT_START.plus(Duration.ofMinutes(15)), catalog.get("p", job.backupId()).updatedAt());
  }

  @Test
  void simulatedJobsKeepAnotherWritersHigherProgressAndRetryAfterATagUpdate() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    SimulatedJob job = jobs.startBackup("p", Server.of("s-1", "ecs-web", "eu-de-01"));
    jobs.advance(Duration.ofMinutes(2));
    Backup now = catalog.get("p", job.backupId());
    catalog.apply("p", now.id(), now.version(), io.csbs.lifecycle.Transition.reportProgress(80));
    jobs.advance(Duration.ofMinutes(1));
    assertEquals(80, job.lastReportedPercent());
    assertEquals(SimulatedJob.State.RUNNING, job.state());
    now = catalog.get("p", job.backupId());
    catalog.updateTags("p", now.id(), now.version(), io.csbs.backup.TagUpdate.create(Tag.of("env", "prod")));
    jobs.advance(Duration.ofMinutes(6)); // minute 9: 90%
    assertEquals(90, job.lastReportedPercent());
    assertEquals(90, catalog.get("p", job.backupId()).progress().orElseThrow().percent());
    jobs.advance(Duration.ofMinutes(1));
    assertEquals(SimulatedJob.State.SUCCEEDED, job.state());
    assertEquals(List.of(Tag.of("env", "prod")), catalog.get("p", job.backupId()).tags());
    // a removal by another writer interrupts a stalled job at the end of the advance
    SimulatedJob stuck = jobs.startBackup("p", Server.of("s-1", "ecs-web", "eu-de-01"), JobPlan.DEFAULT.stallingAt(10));
    jobs.advance(Duration.ofMinutes(2));
    assertEquals(SimulatedJob.State.STALLED, stuck.state());
    Backup b = catalog.get("p", stuck.backupId());
    catalog.remove("p", b.id(), b.version());
    jobs.advance(Duration.ZERO);
    assertEquals(SimulatedJob.State.INTERRUPTED, stuck.state());
  }

  @Test
  void aJobOfFiftyHoursIsNeverJudgedStalledButALongerOneIs() {
    for (long minutes : new long[] {50 * 60, 51 * 60}) {
      FakeClock clock = FakeClock.create();
      BackupCatalog catalog = Catalogs.indexed(clock);
      SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
      SimulatedJob job = jobs.startBackup("p", Server.of("s-1", "ecs-web", "eu-de-01"), JobPlan.taking(Duration.ofMinutes(minutes)));
      boolean everStalled = false;
      while (!job.isDone()) {
        jobs.advance(Duration.ofSeconds(30)); // the stall shows between two whole minutes
        everStalled |= catalog.count("p", Predicates.stalled()) > 0;
      }
      assertEquals(minutes > 50 * 60, everStalled, minutes + " minutes");
    }
  }


  @Test
  void referenceReadTakesTheClocksInstantOnce() {
    FakeClock clock = FakeClock.create();
    ReferenceCatalog reference = ReferenceCatalog.create(clock);
    List<Backup> backups = BackupGenerator.withSeed(4).backups(300);
    reference.addAll(backups);
    io.csbs.query.BackupPredicate lastDay = Predicates.createdWithinLast(Duration.ofDays(30));
    long before = reference.count("project-0", lastDay);
    long[] inside = reference.read("project-0", view -> {
      long first = view.count(lastDay);
      clock.advance(Duration.ofDays(20));
      return new long[] {first, view.count(lastDay)};
    });
    assertEquals(before, inside[0]);
    assertEquals(before, inside[1], "one instant for every call on the view");
    assertTrue(reference.count("project-0", lastDay) < before);
  }

  @Test
  void queryGeneratorSometimesUsesLongLimits() {
    QueryGenerator queries = QueryGenerator.create(6, BackupGenerator.withSeed(6).backups(100));
    int over50 = 0;
    for (int i = 0; i < 2000; i++) {
      if (queries.nextQuery().limit() > 50) {
        over50++;
      }
    }
    assertTrue(over50 > 0 && over50 < 400, "limits over 50: " + over50);
  }

  // ------------------------------------------------------------------ found by this review, fixed since

  /**
   * A progress report is a change of the backup (the lifecycle sets updatedAt on every change): a
   * generated running backup's last change is its progress's (it was drawn before it, months apart).
   */
  @Test
  void generatedRunningBackupsLastChangedWithTheirProgress() {
    List<String> bad = new ArrayList<>();
    int running = 0;
    for (Backup b : BackupGenerator.withSeed(77).backups(20_000)) {
      if (b.progress().isPresent()) {
        running++;
        if (!b.progress().get().changedAt().equals(b.updatedAt())) {
          bad.add(b + " updated at " + b.updatedAt() + ", progress changed at " + b.progress().get().changedAt());
        }
      }
    }
    assertTrue(running > 1000, "running backups: " + running);
    assertEquals(List.of(), bad.subList(0, Math.min(3, bad.size())),
        bad.size() + " of " + running + " running backups last changed apart from their progress");
  }

  /** As the class javadoc says: Creating backups created in the last six hours, Restoring and Deleting ones of any age. */
  @Test
  void generatedCreatingBackupsAreRecentAndOtherJobsOfAnyAge() {
    BackupGenerator generator = BackupGenerator.withSeed(77);
    int creating = 0;
    int olderThanADay = 0;
    for (Backup b : generator.backups(20_000)) {
      Duration age = Duration.between(b.createdAt(), generator.end());
      if (b.status() == BackupStatus.CREATING) {
        creating++;
        assertTrue(age.compareTo(Duration.ofHours(6)) <= 0, () -> b + " created " + b.createdAt());
      } else if (b.status().isIntermediate() && age.compareTo(Duration.ofDays(1)) > 0) {
        olderThanADay++;
      }
    }
    assertTrue(creating > 100 && olderThanADay > 100, creating + " creating, " + olderThanADay + " older jobs");
  }

  /** Every project owns backups when there are at least as many servers as projects (and backups enough). */
  @Test
  void everyProjectOwnsBackupsWithAServerEach() {
    for (int[] shape : new int[][] {{5, 5}, {5, 50}, {50, 50}, {3, 1000}}) {
      BackupGenerator generator = BackupGenerator.builder().seed(1).projects(shape[0]).servers(shape[1]).build();
      Set<String> owners = new HashSet<>();
      generator.backups(20_000).forEach(b -> owners.add(b.projectId()));
      assertEquals(Set.copyOf(generator.projectIds()), owners, shape[0] + " projects, " + shape[1] + " servers");
    }
  }

  /** A window whose span reaches beyond the earliest Instant is refused when set, naming span. */
  @Test
  void aSpanBeyondTheEarliestInstantIsRefusedNamingSpan() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BackupGenerator.builder()
        .window(FakeClock.DEFAULT_START, Duration.ofSeconds(Long.MAX_VALUE)));
    assertTrue(e.getMessage().startsWith("span "), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> BackupGenerator.builder()
        .window(Instant.MIN.plusSeconds(10), Duration.ofSeconds(9)));  // a running job's progress would go before it
    assertEquals(2000, BackupGenerator.builder().window(Instant.MIN.plus(Duration.ofDays(1)), Duration.ofHours(1)).build()
        .backups(2000).size());
  }
}
