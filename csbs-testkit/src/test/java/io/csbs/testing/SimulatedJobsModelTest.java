package io.csbs.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupType;
import io.csbs.backup.Server;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.usage.UsageQuery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;

/**
 * Model-based test of the runner and the indexed catalog together: random job schedules (backups,
 * restores, instant restores and deletes with random durations, report intervals, failures and
 * stalls, and resumes) run by two runners with one seed, one on {@link Catalogs#indexed} and one on
 * {@link ReferenceCatalog}. After every advance both catalogs must give the same pages for random
 * queries, the same count of stalled jobs, the same usage and tag catalogue, and the runners' jobs
 * must agree with each other and with the backups. Replay a failure with {@code -Dcsbs.seed=N}.
 */
class SimulatedJobsModelTest {
  private static final int BACKUPS = 120;
  private static final int ROUNDS = 15;
  private static final int QUERIES_PER_PROJECT = 4;
  private static final Duration LONGEST_ADVANCE = Duration.ofMinutes(40);

  @RepeatedTest(100)
  void indexedCatalogAnswersAsTheReferenceWhileJobsRun() {
    Seeds.run(Seeds.pick(), this::runSchedule);
  }

  private void runSchedule(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    BackupGenerator generator = BackupGenerator.builder().seed(seed).projects(2).servers(12).build();
    List<Backup> initial = generator.backups(BACKUPS);
    FakeClock indexedClock = FakeClock.at(generator.end());
    FakeClock referenceClock = FakeClock.at(generator.end());
    BackupCatalog indexed = Catalogs.indexed(indexedClock);
    ReferenceCatalog reference = ReferenceCatalog.create(referenceClock);
    indexed.addAll(initial);
    reference.addAll(initial);
    SimulatedJobs indexedJobs = SimulatedJobs.create(indexed, indexedClock, seed);
    SimulatedJobs referenceJobs = SimulatedJobs.create(reference, referenceClock, seed);
    Map<String, List<Server>> servers = serversByProject(initial);
    Map<Integer, Integer> lastPercents = new HashMap<>();

    for (int round = 0; round < ROUNDS; round++) {
      int actions = random.nextInt(5);
      for (int a = 0; a < actions; a++) {
        startOrResume(random, reference, servers, indexedJobs, referenceJobs);
      }
      Duration step = Duration.ofSeconds(random.nextLong(LONGEST_ADVANCE.getSeconds() + 1));
      indexedJobs.advance(step);
      referenceJobs.advance(step);

      String context = "round " + round + " after advancing " + step + " to " + indexedClock.instant();
      assertEquals(referenceClock.instant(), indexedClock.instant(), context);
      checkJobs(indexedJobs, referenceJobs, reference, lastPercents, context);
      for (String project : servers.keySet()) {
        compareAnswers(project, indexed, reference, seed * 31 + round, context);
      }
    }
  }

  /** One random action, the same on both runners: chosen from the reference's state, which must equal the indexed one's. */
  private static void startOrResume(
      SplittableRandom random, ReferenceCatalog reference, Map<String, List<Server>> servers,
      SimulatedJobs indexedJobs, SimulatedJobs referenceJobs) {
    List<String> projects = new ArrayList<>(servers.keySet());
    String project = projects.get(random.nextInt(projects.size()));
    List<Backup> backups = reference.query(project, Query.all()).backups();
    JobPlan plan = plan(random);
    int kind = random.nextInt(6);
    if (kind == 0) {
      List<SimulatedJob> stalled = new ArrayList<>();
      List<SimulatedJob> jobs = referenceJobs.jobs();
      for (int i = 0; i < jobs.size(); i++) {
        if (jobs.get(i).state() == SimulatedJob.State.STALLED) {
          stalled.add(jobs.get(i));
        }
      }
      if (!stalled.isEmpty()) {
        int index = jobs.indexOf(stalled.get(random.nextInt(stalled.size())));
        indexedJobs.resume(indexedJobs.jobs().get(index));
        referenceJobs.resume(jobs.get(index));
        return;
      }
    }
    if (kind <= 2) {
      List<Server> candidates = servers.get(project);
      Server server = candidates.get(random.nextInt(candidates.size()));
      indexedJobs.startBackup(project, server, plan);
      referenceJobs.startBackup(project, server, plan);
      return;
    }
    List<Backup> restorable = new ArrayList<>();
    List<Backup> instantly = new ArrayList<>();
    List<Backup> deletable = new ArrayList<>();
    for (Backup backup : backups) {
      if (backup.status() == BackupStatus.AVAILABLE) {
        restorable.add(backup);
        if (backup.type() == BackupType.ENHANCED) {
          instantly.add(backup);
        }
      }
      if (backup.status() == BackupStatus.AVAILABLE || backup.status() == BackupStatus.ERROR) {
        deletable.add(backup);
      }
    }
    if (kind == 3 && !restorable.isEmpty()) {
      String id = restorable.get(random.nextInt(restorable.size())).id();
      indexedJobs.startRestore(project, id, plan);
      referenceJobs.startRestore(project, id, plan);
    } else if (kind == 4 && !instantly.isEmpty()) {
      String id = instantly.get(random.nextInt(instantly.size())).id();
      indexedJobs.startInstantRestore(project, id, plan);
      referenceJobs.startInstantRestore(project, id, plan);
    } else if (!deletable.isEmpty()) {
      String id = deletable.get(random.nextInt(deletable.size())).id();
      indexedJobs.startDelete(project, id, plan);
      referenceJobs.startDelete(project, id, plan);
    }
  }

  /** 1 to 90 minutes, a report every 20 s to 10 min; a failure one time in five, a stall one in four. */
  private static JobPlan plan(SplittableRandom random) {
    JobPlan plan = JobPlan.taking(Duration.ofSeconds(random.nextInt(60, 90 * 60 + 1)))
        .reportingEvery(Duration.ofSeconds(random.nextInt(20, 600 + 1)));
    if (random.nextInt(5) == 0) {
      plan = plan.failingAt(random.nextInt(0, 101), "injected failure " + random.nextInt(100));
    }
    if (random.nextInt(4) == 0) {
      plan = plan.stallingAt(random.nextInt(0, 101));
    }
    return plan;
  }

  private static void checkJobs(
      SimulatedJobs indexedJobs, SimulatedJobs referenceJobs, ReferenceCatalog reference,
      Map<Integer, Integer> lastPercents, String context) {
    List<SimulatedJob> mine = indexedJobs.jobs();
    List<SimulatedJob> theirs = referenceJobs.jobs();
    assertEquals(theirs.size(), mine.size(), context);
    for (int i = 0; i < mine.size(); i++) {
      SimulatedJob job = mine.get(i);
      SimulatedJob twin = theirs.get(i);
      String where = context + ", job " + i + " " + job;
      assertEquals(twin.backupId(), job.backupId(), where);
      assertEquals(twin.state(), job.state(), where);
      assertEquals(twin.lastReportedPercent(), job.lastReportedPercent(), where);
      assertEquals(twin.endedAt(), job.endedAt(), where);
      int before = lastPercents.getOrDefault(i, 0);
      assertTrue(job.lastReportedPercent() >= before, "progress went down; " + where);
      lastPercents.put(i, job.lastReportedPercent());
      if (!job.isDone()) {
        Backup backup = reference.get(job.projectId(), job.backupId());
        assertEquals(BackupStatus.of(job.type()), backup.status(), where);
        assertEquals(job.lastReportedPercent(), backup.progress().orElseThrow().percent(), where);
      } else if (job.state() == SimulatedJob.State.FAILED) {
        assertTrue(job.plan().failAtPercent().isPresent(), "failed without a planned failure; " + where);
      }
      assertTrue(job.state() != SimulatedJob.State.INTERRUPTED, "nobody else writes here; " + where);
    }
  }

  private static void compareAnswers(
      String project, BackupCatalog indexed, ReferenceCatalog reference, long querySeed, String context) {
    List<Backup> backups = reference.query(project, Query.all()).backups();
    assertEquals(backups, indexed.query(project, Query.all()).backups(), context + ": every backup of " + project);
    QueryGenerator queries = QueryGenerator.create(querySeed, backups);
    for (int q = 0; q < QUERIES_PER_PROJECT; q++) {
      Query query = queries.nextQuery();
      assertEquals(reference.query(project, query), indexed.query(project, query), context + ": " + query);
    }
    assertEquals(reference.count(project, Predicates.stalled()), indexed.count(project, Predicates.stalled()),
        context + ": stalled in " + project);
    assertEquals(reference.usage(project, UsageQuery.firstServers(UsageQuery.MAX_LIMIT)),
        indexed.usage(project, UsageQuery.firstServers(UsageQuery.MAX_LIMIT)), context + ": usage of " + project);
    assertEquals(reference.tagCatalogue(project), indexed.tagCatalogue(project), context + ": tags of " + project);
  }

  private static Map<String, List<Server>> serversByProject(List<Backup> backups) {
    Map<String, LinkedHashMap<String, Server>> unique = new java.util.TreeMap<>();
    for (Backup backup : backups) {
      unique.computeIfAbsent(backup.projectId(), p -> new LinkedHashMap<>()).putIfAbsent(backup.server().id(), backup.server());
    }
    Map<String, List<Server>> servers = new java.util.TreeMap<>();
    unique.forEach((project, byId) -> servers.put(project, List.copyOf(byId.values())));
    return servers;
  }
}
