package io.csbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Failure;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.JobType;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.DuplicateBackupException;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.testing.FakeClock;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaExceededException;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.ServerUsage;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A new user's review of space usage and quotas ({@code io.csbs.usage}: {@link UsageQuery}, {@link
 * UsageReport}, {@link ServerUsage}, {@link Quota}, {@link QuotaUsage}, {@link QuotaExceededException})
 * and of {@code stats().backups()}, on data a real service has: backups in every state (Creating with
 * 0 MB not yet known, Error, Deleting), renamed servers, sizes at 0 and at {@link Backup#MAX_SIZE_MB},
 * quotas lowered below the use, batches over several projects. Expectations come from the README and
 * the javadoc only; every answer is compared with a plain scan written here.
 */
class NewUserUsageQuotaTest {
  private static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");

  /** BMP only, so that "project id order" is the same by char and by code point. */
  private static final List<String> PROJECTS = List.of("proj", "Proj", "proj-\u00e9", "\u9805\u76ee-1");

  private static final String[] SERVER_IDS = {"srv-1", "SRV-1", "srv-\u00e9", "srv-2", "f8ddc472-cf00"};
  private static final String[] SERVER_NAMES = {"ecs-web", "ecs-WEB", "\u00e9cs-db", "ecs-renamed"};
  private static final long[] SIZES = {0, 0, 1, 1023, 1024, 1025, 40_960, Backup.MAX_SIZE_MB};

  // ------------------------------------------------------------------ helpers

  private static Backup backup(String project, String id, Server server, Instant createdAt, BackupStatus status,
      long sizeMb) {
    Backup.Builder b = Backup.builder()
        .id(id)
        .name("autobk_" + Math.abs(id.hashCode() % 100))
        .projectId(project)
        .server(server)
        .status(status)
        .sizeMb(sizeMb)
        .createdAt(createdAt);
    if (status == BackupStatus.ERROR) {
      b.failure(Failure.of(JobType.BACKUP, "agent lost", createdAt));
    } else if (status == BackupStatus.CREATING || status == BackupStatus.RESTORING
        || status == BackupStatus.DELETING) {
      b.progress(Progress.of(0, createdAt));
    }
    return b.build();
  }

  private static Backup backup(String project, String id, String serverId, String serverName, Instant createdAt,
      BackupStatus status, long sizeMb) {
    return backup(project, id, Server.of(serverId, serverName, "eu-de-01"), createdAt, status, sizeMb);
  }

  private static List<BackupCatalog> catalogs(FakeClock clock) {
    return List.of(Catalogs.indexed(clock), ReferenceCatalog.create(clock));
  }

  private static String who(BackupCatalog catalog) {
    return catalog.getClass().getSimpleName();
  }

  /** The newest backup in the documented sense: the latest created, then the greatest id. */
  private static final Comparator<Backup> NEWEST = Comparator.comparing(Backup::createdAt)
      .thenComparing(Backup::id);

  /** Our own scan: the report the javadoc describes for the backups {@code counted}. */
  static UsageReport expectedUsage(List<Backup> counted, long offset, int limit) {
    Map<String, long[]> totals = new HashMap<>();
    Map<String, Backup> newest = new HashMap<>();
    long backups = 0;
    long size = 0;
    for (Backup b : counted) {
      long[] t = totals.computeIfAbsent(b.server().id(), k -> new long[2]);
      t[0]++;
      t[1] += b.sizeMb();
      newest.merge(b.server().id(), b, (x, y) -> NEWEST.compare(x, y) >= 0 ? x : y);
      backups++;
      size += b.sizeMb();
    }
    List<ServerUsage> lines = new ArrayList<>();
    for (Map.Entry<String, long[]> e : totals.entrySet()) {
      lines.add(new ServerUsage(e.getKey(), newest.get(e.getKey()).server().name(), e.getValue()[0], e.getValue()[1]));
    }
    lines.sort(Comparator.comparingLong((ServerUsage l) -> -l.sizeMb())
        .thenComparingLong(l -> -l.backups())
        .thenComparing(ServerUsage::serverId));
    List<ServerUsage> page = new ArrayList<>();
    for (long i = offset; i < lines.size() && page.size() < limit; i++) {
      page.add(lines.get((int) i));
    }
    return new UsageReport(backups, size, totals.size(), page);
  }

  private static List<Backup> matching(List<Backup> all, BackupPredicate where, Instant now) {
    return all.stream().filter(b -> where.test(b, now, StallRule.DEFAULT)).collect(Collectors.toList());
  }

  /** The documented quota rule, our own: null when the backups fit, else the quota named. */
  static String exceeded(Quota quota, long backups, long sizeMb, long moreBackups, long moreMb) {
    if (quota.maxBackups() != Quota.UNLIMITED && backups + moreBackups > quota.maxBackups()) {
      return "backups";
    }
    if (quota.maxCapacityGb() != Quota.UNLIMITED && sizeMb + moreMb > quota.maxCapacityGb() * 1024) {
      return "backup_capacity";
    }
    return null;
  }

  private static List<String> serverIds(UsageReport report) {
    return report.servers().stream().map(ServerUsage::serverId).collect(Collectors.toList());
  }

  // ------------------------------------------------------------------ a service's day, against our scan

  /** The whole model: each project's backups and quota, as the docs say the catalog keeps them. */
  private static final class Model {
    final Map<String, Map<String, Backup>> backups = new TreeMap<>();
    final Map<String, Quota> quotas = new HashMap<>();

    Map<String, Backup> of(String project) {
      return backups.computeIfAbsent(project, p -> new TreeMap<>());
    }

    Quota quota(String project) {
      return quotas.getOrDefault(project, Quota.NONE);
    }

    long size(String project) {
      return of(project).values().stream().mapToLong(Backup::sizeMb).sum();
    }
  }

  private static void compare(BackupCatalog catalog, Model model, Instant now, Random r, String where) {
    List<String> projects = new ArrayList<>(PROJECTS);
    projects.add("never-used");
    for (String project : projects) {
      List<Backup> all = new ArrayList<>(model.of(project).values());
      String at = where + " " + who(catalog) + " project " + project;
      long offset = r.nextInt(4);
      int limit = 1 + r.nextInt(4);
      assertEquals(expectedUsage(all, offset, limit),
          catalog.usage(project, UsageQuery.of(Predicates.all(), offset, limit)), at + " all " + offset + "/" + limit);
      assertEquals(expectedUsage(all, 0, 1000), catalog.usage(project, UsageQuery.firstServers(1000)), at + " all");
      for (BackupPredicate p : List.of(Predicates.status(BackupStatus.AVAILABLE),
          Predicates.status(BackupStatus.ERROR, BackupStatus.DELETING, BackupStatus.CREATING),
          Predicates.tag("env", "prod"), Predicates.serverId("srv-1"), Predicates.availabilityZone("eu-de-02"),
          Predicates.not(Predicates.availabilityZone("eu-de-02")))) {
        assertEquals(expectedUsage(matching(all, p, now), offset, limit),
            catalog.usage(project, UsageQuery.of(p, offset, limit)), at + " " + p + " " + offset + "/" + limit);
      }
      assertEquals(new QuotaUsage(model.quota(project), all.size(), model.size(project)),
          catalog.quotaUsage(project), at + " quotaUsage");
      assertEquals(all.size(), catalog.count(project, Predicates.all()), at + " count");
      if (catalog instanceof ReferenceCatalog) {
        continue;
      }
      assertEquals(all.size(), catalog.stats(project).backups(), at + " stats().backups()");
    }
  }

  private static Backup randomBackup(Random r, String project, String id, Instant now) {
    BackupStatus[] statuses = {BackupStatus.AVAILABLE, BackupStatus.AVAILABLE, BackupStatus.CREATING,
        BackupStatus.ERROR, BackupStatus.DELETING, BackupStatus.RESTORING};
    BackupStatus status = statuses[r.nextInt(statuses.length)];
    long size = status == BackupStatus.CREATING && r.nextBoolean() ? 0 : SIZES[r.nextInt(SIZES.length)];
    // a server may move to another zone between backups: same id, another name and zone
    Backup b = backup(project, id, Server.of(SERVER_IDS[r.nextInt(SERVER_IDS.length)],
        SERVER_NAMES[r.nextInt(SERVER_NAMES.length)], r.nextInt(3) == 0 ? "eu-de-02" : "eu-de-01"),
        now.minusSeconds(r.nextInt(4)), status, size);
    if (r.nextInt(3) == 0) {
      b = b.toBuilder().tags(List.of(Tag.of("env", r.nextBoolean() ? "prod" : "test"))).build();
    }
    return b;
  }

  private static Quota randomQuota(Random r, Model model, String project) {
    long used = model.of(project).size();
    long usedGb = model.size(project) / 1024;
    switch (r.nextInt(6)) {
      case 0: return Quota.NONE;
      case 1: return Quota.of(Math.max(0, used - 1 + r.nextInt(3)), Quota.UNLIMITED);
      case 2: return Quota.of(Quota.UNLIMITED, Math.max(0, usedGb - 1 + r.nextInt(3)));
      case 3: return Quota.of(used + r.nextInt(3), Math.min(Quota.MAX_CAPACITY_GB, usedGb + r.nextInt(2) * 1_048_576));
      case 4: return Quota.of(0, 0);
      default: return Quota.of(Quota.UNLIMITED, Quota.MAX_CAPACITY_GB);
    }
  }

  private static Transition transitionFor(Random r, Backup b) {
    switch (b.status()) {
      case AVAILABLE:
        return r.nextBoolean() ? Transition.restore() : Transition.delete();
      case ERROR:
        return Transition.delete();
      default:
        int k = r.nextInt(4);
        if (k == 0) {
          return Transition.fail("job lost");
        }
        if (k == 1) {
          int now = b.progress().map(Progress::percent).orElse(0);
          return Transition.reportProgress(Math.min(100, now + 1 + r.nextInt(40)));
        }
        return Transition.complete();
    }
  }

  /** Runs a few hundred random changes of a service on {@code catalog}, comparing after each. */
  private static void serviceDay(BackupCatalog catalog, FakeClock clock, long seed, int steps) {
    serviceDay(catalog, clock, seed, steps, 1);
  }

  /** As above, comparing after about one change in {@code reportEvery}: changes pile up between reports. */
  private static void serviceDay(BackupCatalog catalog, FakeClock clock, long seed, int steps, int reportEvery) {
    Random r = new Random(seed);
    Model model = new Model();
    int nextId = 0;
    for (int step = 0; step < steps; step++) {
      String where = "seed " + seed + " step " + step;
      clock.advance(Duration.ofSeconds(r.nextInt(3)));
      Instant now = clock.instant();
      String project = PROJECTS.get(r.nextInt(PROJECTS.size()));
      Map<String, Backup> own = model.of(project);
      int op = r.nextInt(10);
      if (op <= 2) {   // one add, a duplicate id now and then
        String id = !own.isEmpty() && r.nextInt(8) == 0 ? own.keySet().iterator().next() : "b-" + (nextId++) + "\u00e9";
        Backup b = randomBackup(r, project, id, now);
        if (own.containsKey(id)) {
          DuplicateBackupException e = assertThrows(DuplicateBackupException.class, () -> catalog.add(b), where);
          assertEquals(project, e.projectId(), where);
        } else {
          String quota = exceeded(model.quota(project), own.size(), model.size(project), 1, b.sizeMb());
          if (quota == null) {
            catalog.add(b);
            own.put(id, b);
          } else {
            QuotaExceededException e = assertThrows(QuotaExceededException.class, () -> catalog.add(b), where);
            assertEquals(quota, e.quota(), where + " " + e.getMessage());
            assertEquals(project, e.projectId(), where);
          }
        }
      } else if (op == 3) {   // a batch over one to three projects
        List<Backup> batch = new ArrayList<>();
        int n = 1 + r.nextInt(5);
        for (int i = 0; i < n; i++) {
          String p = PROJECTS.get(r.nextInt(PROJECTS.size()));
          String id = r.nextInt(12) == 0 && !batch.isEmpty() ? batch.get(0).id() : "b-" + (nextId++) + "\u00e9";
          batch.add(randomBackup(r, p, id, now));
        }
        // the documented check: project by project in id order, duplicates of every project first
        Map<String, List<Backup>> byProject = new TreeMap<>();
        for (Backup b : batch) {
          byProject.computeIfAbsent(b.projectId(), k -> new ArrayList<>()).add(b);
        }
        String dupProject = null;
        String quotaProject = null;
        String quotaName = null;
        for (Map.Entry<String, List<Backup>> e : byProject.entrySet()) {
          Set<String> seen = new HashSet<>();
          for (Backup b : e.getValue()) {
            if (dupProject == null && (model.of(e.getKey()).containsKey(b.id()) || !seen.add(b.id()))) {
              dupProject = e.getKey();
            }
          }
        }
        for (Map.Entry<String, List<Backup>> e : byProject.entrySet()) {
          String q = exceeded(model.quota(e.getKey()), model.of(e.getKey()).size(), model.size(e.getKey()),
              e.getValue().size(), e.getValue().stream().mapToLong(Backup::sizeMb).sum());
          if (q != null && quotaProject == null) {
            quotaProject = e.getKey();
            quotaName = q;
          }
        }
        if (dupProject != null) {
          DuplicateBackupException e = assertThrows(DuplicateBackupException.class, () -> catalog.addAll(batch), where);
          assertEquals(dupProject, e.projectId(), where);
        } else if (quotaProject != null) {
          QuotaExceededException e = assertThrows(QuotaExceededException.class, () -> catalog.addAll(batch), where);
          assertEquals(quotaProject, e.projectId(), where + " " + e.getMessage());
          assertEquals(quotaName, e.quota(), where + " " + e.getMessage());
        } else {
          catalog.addAll(batch);
          for (Backup b : batch) {
            model.of(b.projectId()).put(b.id(), b);
          }
        }
      } else if (op == 4 && !own.isEmpty()) {   // an administrative removal, whatever the state
        Backup b = new ArrayList<>(own.values()).get(r.nextInt(own.size()));
        if (r.nextInt(6) == 0) {
          assertThrows(VersionConflictException.class, () -> catalog.remove(project, b.id(), b.version() + 1), where);
        } else {
          catalog.remove(project, b.id(), b.version());
          own.remove(b.id());
        }
      } else if (op <= 7 && !own.isEmpty()) {   // the lifecycle
        Backup b = new ArrayList<>(own.values()).get(r.nextInt(own.size()));
        Transition t = transitionFor(r, b);
        Optional<Backup> expected = t.applyTo(b, now);
        Optional<Backup> actual = catalog.apply(project, b.id(), b.version(), t);
        assertEquals(expected, actual, where + " " + t);
        if (actual.isPresent()) {
          own.put(b.id(), actual.get());
        } else {
          own.remove(b.id());
        }
      } else if (op == 8 && !own.isEmpty()) {   // tags in place
        Backup b = new ArrayList<>(own.values()).get(r.nextInt(own.size()));
        TagUpdate u = r.nextBoolean() ? TagUpdate.create(Tag.of("env", r.nextBoolean() ? "prod" : "test"))
            : TagUpdate.delete(TagUpdate.Match.key("env"));
        own.put(b.id(), catalog.updateTags(project, b.id(), b.version(), u));
      } else {   // quotas set, lowered below the use, raised, removed
        Quota q = randomQuota(r, model, project);
        catalog.setQuota(project, q);
        model.quotas.put(project, q);
      }
      if (reportEvery == 1 || r.nextInt(reportEvery) == 0) {
        compare(catalog, model, now, r, where);
      }
    }
    compare(catalog, model, clock.instant(), r, "seed " + seed + " at the end");
  }

  @Test
  void aServiceDayOverSeveralProjectsMatchesOurScanAfterEveryChangeAndRefusal() {
    long seed = new Random().nextLong();
    for (int k = 0; k < 2; k++) {
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = k == 0 ? Catalogs.indexed(clock) : ReferenceCatalog.create(clock);
      try {
        serviceDay(catalog, clock, seed, 150);
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError("seed " + seed + " on " + who(catalog) + ": " + e.getMessage(), e);
      }
    }
  }

  // ------------------------------------------------------------------ which backups count

  @Test
  void everyStateCountsTowardUsageAndQuotaAndAZeroMbCreatingBackupFitsAFullCapacity() {
    FakeClock clock = FakeClock.at(T0);
    for (BackupCatalog catalog : catalogs(clock)) {
      String p = "\u9805\u76ee-1";
      catalog.setQuota(p, Quota.of(4, 1));   // 4 backups, 1 GB
      catalog.add(backup(p, "full", "srv-1", "ecs-web", T0.minusSeconds(9), BackupStatus.AVAILABLE, 1024));
      // exactly at its capacity: a backup job of a size not yet known (0 MB) still starts
      catalog.add(backup(p, "job", "srv-1", "ecs-web", T0.minusSeconds(8), BackupStatus.CREATING, 0));
      catalog.add(backup(p, "err", "srv-2", "ecs-db", T0.minusSeconds(7), BackupStatus.ERROR, 0));
      // but not one MB more
      QuotaExceededException e = assertThrows(QuotaExceededException.class,
          () -> catalog.add(backup(p, "one", "srv-2", "ecs-db", T0, BackupStatus.ERROR, 1)), who(catalog));
      assertEquals("backup_capacity", e.quota());
      assertEquals(p, e.projectId());
      assertEquals(ErrorCode.QUOTA_EXCEEDED, e.code());
      assertEquals("CSBS.9006", e.code().code());
      // Deleting still counts: the fourth backup is the last
      Backup del = catalog.apply(p, "err", 1, Transition.delete()).orElseThrow();
      assertEquals(BackupStatus.DELETING, del.status());
      catalog.add(backup(p, "fourth", "srv-3", "ecs-x", T0, BackupStatus.RESTORING, 0));
      QuotaUsage q = catalog.quotaUsage(p);
      assertEquals(new QuotaUsage(Quota.of(4, 1), 4, 1024), q, who(catalog));
      assertEquals(OptionalLong.of(0), q.backupsRemaining());
      assertEquals(OptionalLong.of(0), q.capacityRemainingMb());
      assertEquals(new BigDecimal("1.00"), q.capacityUsedGb());
      e = assertThrows(QuotaExceededException.class,
          () -> catalog.add(backup(p, "fifth", "srv-3", "ecs-x", T0, BackupStatus.CREATING, 0)), who(catalog));
      assertEquals("backups", e.quota(), e.getMessage());
      UsageReport report = catalog.usage(p, UsageQuery.firstServers(10));
      assertEquals(new UsageReport(4, 1024, 3, List.of(new ServerUsage("srv-1", "ecs-web", 2, 1024),
          new ServerUsage("srv-2", "ecs-db", 1, 0), new ServerUsage("srv-3", "ecs-x", 1, 0))), report, who(catalog));
      // the completed deletion frees the slot
      clock.advance(Duration.ofSeconds(1));
      assertTrue(catalog.apply(p, "err", del.version(), Transition.complete()).isEmpty());
      catalog.add(backup(p, "fifth", "srv-3", "ecs-x", T0, BackupStatus.CREATING, 0));
      assertEquals(4, catalog.quotaUsage(p).backupsUsed());
      clock.set(T0);
    }
  }

  @Test
  void aProjectBeyondALoweredQuotaKeepsItsBackupsAndTheirWholeLifecycle() {
    // "Backups already there stay": their restores, progress, failures, tags and deletions go on
    FakeClock clock = FakeClock.at(T0);
    for (BackupCatalog catalog : catalogs(clock)) {
      String p = "proj-\u00e9";
      catalog.add(backup(p, "a", "srv-1", "web", T0.minusSeconds(5), BackupStatus.AVAILABLE, 5000));
      catalog.add(backup(p, "b", "srv-1", "web", T0.minusSeconds(4), BackupStatus.CREATING, 0));
      catalog.add(backup(p, "c", "srv-2", "db", T0.minusSeconds(3), BackupStatus.AVAILABLE, 7000));
      catalog.setQuota(p, Quota.of(0, 0));   // far below the use: accepted
      assertEquals(new QuotaUsage(Quota.of(0, 0), 3, 12000), catalog.quotaUsage(p), who(catalog));
      clock.advance(Duration.ofSeconds(1));
      Backup a = catalog.apply(p, "a", 1, Transition.restore()).orElseThrow();
      a = catalog.apply(p, "a", a.version(), Transition.reportProgress(50)).orElseThrow();
      a = catalog.apply(p, "a", a.version(), Transition.complete()).orElseThrow();
      assertEquals(BackupStatus.AVAILABLE, a.status());
      Backup b = catalog.apply(p, "b", 1, Transition.fail("agent lost")).orElseThrow();
      assertEquals(BackupStatus.ERROR, b.status());
      Backup c = catalog.updateTags(p, "c", 1, TagUpdate.create(Tag.of("env", "prod")));
      assertEquals(8, catalog.sequence(p), who(catalog));   // 3 adds, then 5 changes
      assertEquals(new QuotaUsage(Quota.of(0, 0), 3, 12000), catalog.quotaUsage(p), who(catalog));
      // nothing new, not even 0 MB
      QuotaExceededException e = assertThrows(QuotaExceededException.class,
          () -> catalog.add(backup(p, "d", "srv-2", "db", T0, BackupStatus.CREATING, 0)));
      assertEquals("backups", e.quota());
      // a deletion completes and frees space, still beyond the quota
      c = catalog.apply(p, "c", c.version(), Transition.delete()).orElseThrow();
      assertTrue(catalog.apply(p, "c", c.version(), Transition.complete()).isEmpty());
      assertEquals(new QuotaUsage(Quota.of(0, 0), 2, 5000), catalog.quotaUsage(p), who(catalog));
      assertEquals(expectedUsage(List.of(a, b), 0, 10), catalog.usage(p, UsageQuery.firstServers(10)));
      // raised again: room comes back at once
      catalog.setQuota(p, Quota.of(3, 5));
      catalog.add(backup(p, "d", "srv-2", "db", T0, BackupStatus.CREATING, 120));
      assertEquals(new QuotaUsage(Quota.of(3, 5), 3, 5120), catalog.quotaUsage(p), who(catalog));
      assertEquals(OptionalLong.of(0), catalog.quotaUsage(p).capacityRemainingMb());
      clock.set(T0);
    }
  }

  // ------------------------------------------------------------------ the refusal's words

  @Test
  void theQuotaRefusalSaysMbBelowOneGbAndGbWithTheExactMbFromOneGbOn() {
    FakeClock clock = FakeClock.at(T0);
    for (BackupCatalog catalog : catalogs(clock)) {
      String p = "\u9805\u76ee-1";
      catalog.setQuota(p, Quota.of(Quota.UNLIMITED, 1));
      catalog.add(backup(p, "a", "srv-1", "web", T0, BackupStatus.AVAILABLE, 1023));
      QuotaExceededException e = assertThrows(QuotaExceededException.class,
          () -> catalog.add(backup(p, "b", "srv-1", "web", T0, BackupStatus.AVAILABLE, 2)));
      assertEquals("quota backup_capacity of project " + p + " (limit 1 GB) is exceeded: used 1023 MB, asked 2 MB more",
          e.getMessage(), who(catalog));
      catalog.add(backup(p, "c", "srv-1", "web", T0, BackupStatus.AVAILABLE, 1));   // exactly 1 GB
      e = assertThrows(QuotaExceededException.class,
          () -> catalog.add(backup(p, "d", "srv-1", "web", T0, BackupStatus.AVAILABLE, 1024)));
      assertEquals("quota backup_capacity of project " + p + " (limit 1 GB) is exceeded: used 1.00 GB (1024 MB), "
          + "asked 1.00 GB (1024 MB) more", e.getMessage(), who(catalog));
      // lowered below the use: 0 MB asked, 0 GB limit
      catalog.setQuota(p, Quota.of(Quota.UNLIMITED, 0));
      e = assertThrows(QuotaExceededException.class,
          () -> catalog.add(backup(p, "d", "srv-1", "web", T0, BackupStatus.CREATING, 0)));
      assertEquals("quota backup_capacity of project " + p + " (limit 0 GB) is exceeded: used 1.00 GB (1024 MB), "
          + "asked 0 MB more", e.getMessage(), who(catalog));
      // a batch: the asked size is the batch's sum
      catalog.setQuota(p, Quota.of(Quota.UNLIMITED, 2));
      List<Backup> batch = List.of(backup(p, "e", "srv-1", "web", T0, BackupStatus.AVAILABLE, 600),
          backup(p, "f", "srv-2", "db", T0, BackupStatus.AVAILABLE, 600));
      e = assertThrows(QuotaExceededException.class, () -> catalog.addAll(batch));
      assertEquals("quota backup_capacity of project " + p + " (limit 2 GB) is exceeded: used 1.00 GB (1024 MB), "
          + "asked 1.17 GB (1200 MB) more", e.getMessage(), who(catalog));
      assertEquals(2, catalog.quotaUsage(p).backupsUsed());
    }
  }

  @Test
  void theBackupsQuotaRefusalNamesItsLimitUseAndAskAndIsNamedFirstWhenBothAreExceeded() {
    FakeClock clock = FakeClock.at(T0);
    for (BackupCatalog catalog : catalogs(clock)) {
      String p = "Proj";
      catalog.setQuota(p, Quota.of(2, 0));
      catalog.add(backup(p, "a", "srv-1", "web", T0, BackupStatus.AVAILABLE, 0));
      // both quotas would be exceeded by this batch: backups is named
      List<Backup> batch = List.of(backup(p, "b", "srv-1", "web", T0, BackupStatus.AVAILABLE, 5),
          backup(p, "c", "srv-1", "web", T0, BackupStatus.AVAILABLE, 5));
      QuotaExceededException e = assertThrows(QuotaExceededException.class, () -> catalog.addAll(batch));
      assertEquals("backups", e.quota(), e.getMessage());
      assertTrue(e.getMessage().startsWith("quota backups of project Proj (limit 2 backups) is exceeded: used 1 backup"),
          who(catalog) + ": " + e.getMessage());
      assertTrue(e.getMessage().contains("2 more"), e.getMessage());
      // one backup of 5 MB: only the capacity is exceeded
      e = assertThrows(QuotaExceededException.class,
          () -> catalog.add(backup(p, "b", "srv-1", "web", T0, BackupStatus.AVAILABLE, 5)));
      assertEquals("backup_capacity", e.quota(), e.getMessage());
      assertEquals(1, catalog.quotaUsage(p).backupsUsed());
      assertEquals(1, catalog.sequence(p), who(catalog));
    }
  }

  @Test
  void aBatchIsJudgedDuplicatesOfEveryProjectFirstThenQuotasInProjectIdOrderAndAddsNothing() {
    FakeClock clock = FakeClock.at(T0);
    for (BackupCatalog catalog : catalogs(clock)) {
      catalog.setQuota("Proj", Quota.of(0, Quota.UNLIMITED));   // "Proj" < "proj" < "proj-\u00e9"
      catalog.setQuota("proj", Quota.of(Quota.UNLIMITED, 0));
      catalog.add(backup("proj-\u00e9", "x", "srv-1", "web", T0, BackupStatus.AVAILABLE, 1));
      List<Backup> batch = new ArrayList<>(List.of(
          backup("proj-\u00e9", "y", "srv-1", "web", T0, BackupStatus.AVAILABLE, 1),
          backup("proj", "y", "srv-1", "web", T0, BackupStatus.AVAILABLE, 1),
          backup("Proj", "y", "srv-1", "web", T0, BackupStatus.AVAILABLE, 1),
          backup("proj-\u00e9", "x", "srv-1", "web", T0, BackupStatus.AVAILABLE, 1)));
      DuplicateBackupException d = assertThrows(DuplicateBackupException.class, () -> catalog.addAll(batch));
      assertEquals("proj-\u00e9", d.projectId(), who(catalog));
      assertEquals("x", d.backupId());
      assertFalse(d.inBatch());
      batch.remove(3);
      QuotaExceededException e = assertThrows(QuotaExceededException.class, () -> catalog.addAll(batch));
      assertEquals("Proj", e.projectId(), who(catalog));
      assertEquals("backups", e.quota());
      catalog.setQuota("Proj", Quota.NONE);
      e = assertThrows(QuotaExceededException.class, () -> catalog.addAll(batch));
      assertEquals("proj", e.projectId(), who(catalog));
      assertEquals("backup_capacity", e.quota());
      for (String p : List.of("Proj", "proj")) {
        assertEquals(new UsageReport(0, 0, 0, List.of()), catalog.usage(p, UsageQuery.firstServers(5)), who(catalog));
        assertEquals(0, catalog.sequence(p));
      }
      assertEquals(1, catalog.quotaUsage("proj-\u00e9").backupsUsed());
      catalog.setQuota("proj", Quota.of(Quota.UNLIMITED, 1));
      catalog.addAll(batch);
      assertEquals(2, catalog.quotaUsage("proj-\u00e9").backupsUsed());
      assertEquals(1, catalog.quotaUsage("Proj").backupsUsed());
      assertEquals(1, catalog.quotaUsage("proj").sizeMbUsed());
    }
  }

  // ------------------------------------------------------------------ values at their bounds

  @Test
  void checkRoomForAtTheBoundsOfALongNeitherOverflowsNorLetsABeyondProjectIn() {
    // unlimited: anything fits
    Quota.NONE.checkRoomFor("p", Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);
    Quota most = Quota.of(Long.MAX_VALUE, Quota.MAX_CAPACITY_GB);
    most.checkRoomFor("p", 0, 0, Long.MAX_VALUE, Quota.MAX_CAPACITY_GB * 1024);
    most.checkRoomFor("p", Long.MAX_VALUE, Quota.MAX_CAPACITY_GB * 1024, 0, 0);   // exactly at both
    QuotaExceededException e = assertThrows(QuotaExceededException.class,
        () -> most.checkRoomFor("p", 1, 0, Long.MAX_VALUE, 0));
    assertEquals("backups", e.quota());
    e = assertThrows(QuotaExceededException.class,
        () -> most.checkRoomFor("p", 0, Quota.MAX_CAPACITY_GB * 1024, 0, 1));
    assertEquals("backup_capacity", e.quota());
    e = assertThrows(QuotaExceededException.class, () -> most.checkRoomFor("p", 0, 1, 0, Long.MAX_VALUE));
    assertEquals("backup_capacity", e.quota());
    // beyond a quota (as a lowered one leaves it): not even nothing more
    e = assertThrows(QuotaExceededException.class, () -> most.checkRoomFor("p", 0, Long.MAX_VALUE, 0, 0));
    assertEquals("quota backup_capacity of project p (limit " + Quota.MAX_CAPACITY_GB + " GB) is exceeded: used "
        + "9007199254740992.00 GB (" + Long.MAX_VALUE + " MB), asked 0 MB more", e.getMessage());
    // nothing used, nothing asked, limits of 0: fits
    Quota.of(0, 0).checkRoomFor("\u9805\u76ee", 0, 0, 0, 0);
    e = assertThrows(QuotaExceededException.class, () -> Quota.of(0, 0).checkRoomFor("\u9805\u76ee", 0, 0, 1, 0));
    assertEquals("\u9805\u76ee", e.projectId());
    assertEquals("backups", e.quota());
  }

  @Test
  void usageValuesAtTheirBounds() {
    assertEquals(new BigDecimal("9007199254740992.00"), new UsageReport(1, Long.MAX_VALUE, 1, List.of()).capacityGb());
    assertEquals(new BigDecimal("1048576.00"), new ServerUsage("s", "n", 1, Backup.MAX_SIZE_MB).capacityGb());
    QuotaUsage top = new QuotaUsage(Quota.of(Long.MAX_VALUE, Quota.MAX_CAPACITY_GB), 0, 0);
    assertEquals(OptionalLong.of(Long.MAX_VALUE), top.backupsRemaining());
    assertEquals(OptionalLong.of(1L << 61), top.capacityRemainingMb());
    QuotaUsage beyond = new QuotaUsage(Quota.of(0, 0), Long.MAX_VALUE, Long.MAX_VALUE);
    assertEquals(OptionalLong.of(0), beyond.backupsRemaining());
    assertEquals(OptionalLong.of(0), beyond.capacityRemainingMb());
    QuotaUsage none = new QuotaUsage(Quota.NONE, Long.MAX_VALUE, Long.MAX_VALUE);
    assertEquals(OptionalLong.empty(), none.backupsRemaining());
    assertEquals(OptionalLong.empty(), none.capacityRemainingMb());
    // the list is copied
    List<ServerUsage> lines = new ArrayList<>(List.of(new ServerUsage("s", "n", 1, 1)));
    UsageReport report = new UsageReport(1, 1, 1, lines);
    lines.add(new ServerUsage("t", "n", 1, 1));
    assertEquals(1, report.servers().size());
  }

  @Test
  void theQuotaUsageJavadocExampleOnOurOwnData() {
    // "q.backupsUsed(); // 120 / q.backupsRemaining(); // OptionalLong[380] / q.capacityUsedGb(); // 2048.00"
    FakeClock clock = FakeClock.at(T0);
    for (BackupCatalog catalog : catalogs(clock)) {
      catalog.setQuota("project-1", Quota.of(500, 10_240));
      List<Backup> batch = new ArrayList<>();
      for (int i = 0; i < 120; i++) {
        // 2048 GB = 2,097,152 MB over 120 backups: 17,476 MB each and 32 MB more on the first
        batch.add(backup("project-1", "autobk_" + i, SERVER_IDS[i % 5], "ecs-" + (i % 7), T0.minusSeconds(i),
            BackupStatus.AVAILABLE, 17_476 + (i == 0 ? 32 : 0)));
      }
      catalog.addAll(batch);
      QuotaUsage q = catalog.quotaUsage("project-1");
      assertEquals(120, q.backupsUsed(), who(catalog));
      assertEquals(OptionalLong.of(380), q.backupsRemaining());
      assertEquals(new BigDecimal("2048.00"), q.capacityUsedGb());
      assertEquals(OptionalLong.of((10_240L - 2048) * 1024), q.capacityRemainingMb());
      assertEquals(q, catalog.read("project-1", v -> v.quotaUsage()));
    }
  }

  // ------------------------------------------------------------------ which name a server has

  @Test
  void aServerIsNamedByItsLatestCreatedBackupNotTheLastArrivedNorTheLastUpdated() {
    FakeClock clock = FakeClock.at(T0);
    for (BackupCatalog catalog : catalogs(clock)) {
      String p = "proj";
      catalog.add(backup(p, "m", "srv-1", "newest", T0.minusSeconds(1), BackupStatus.AVAILABLE, 10));
      catalog.add(backup(p, "k", "srv-1", "old", T0.minusSeconds(30), BackupStatus.AVAILABLE, 10));
      catalog.add(backup(p, "z", "srv-1", "middle", T0.minusSeconds(10), BackupStatus.AVAILABLE, 10));
      assertEquals("newest", catalog.usage(p, UsageQuery.firstServers(1)).servers().get(0).serverName(), who(catalog));
      // the oldest is restored and its tags change (updated now): the name stays the newest created
      clock.advance(Duration.ofMinutes(1));
      Backup k = catalog.apply(p, "k", 1, Transition.restore()).orElseThrow();
      catalog.updateTags(p, "k", k.version(), TagUpdate.create(Tag.of("env", "prod")));
      assertEquals("newest", catalog.usage(p, UsageQuery.firstServers(1)).servers().get(0).serverName(), who(catalog));
      // a late backup at the newest's instant: the greater id names the server ("n" > "m")
      catalog.add(backup(p, "n", "srv-1", "tie-greater", T0.minusSeconds(1), BackupStatus.AVAILABLE, 10));
      catalog.add(backup(p, "a", "srv-1", "tie-smaller", T0.minusSeconds(1), BackupStatus.AVAILABLE, 10));
      assertEquals("tie-greater", catalog.usage(p, UsageQuery.firstServers(1)).servers().get(0).serverName());
      // the newest deleted (completed): the next one names it
      Backup n = catalog.apply(p, "n", 1, Transition.delete()).orElseThrow();
      catalog.apply(p, "n", n.version(), Transition.complete());
      assertEquals("newest", catalog.usage(p, UsageQuery.firstServers(1)).servers().get(0).serverName(), who(catalog));
      // restricted to Available: the restoring "k" does not count
      assertEquals(expectedUsage(List.of(catalog.get(p, "m"), catalog.get(p, "z"), catalog.get(p, "a")), 0, 5),
          catalog.usage(p, UsageQuery.of(Predicates.status(BackupStatus.AVAILABLE), 0, 5)), who(catalog));
      // every backup of the server gone, then one again under another name
      for (String id : List.of("m", "k", "z", "a")) {
        catalog.remove(p, id, catalog.get(p, id).version());
      }
      assertEquals(new UsageReport(0, 0, 0, List.of()), catalog.usage(p, UsageQuery.firstServers(1)));
      catalog.add(backup(p, "q", "srv-1", "reborn", T0.minusSeconds(99), BackupStatus.ERROR, 0));
      assertEquals(List.of(new ServerUsage("srv-1", "reborn", 1, 0)),
          catalog.usage(p, UsageQuery.firstServers(1)).servers(), who(catalog));
      clock.set(T0);
    }
  }

  @Test
  void predicatesThatMatchEveryBackupGiveTheSameReportAsEveryBackup() {
    FakeClock clock = FakeClock.at(T0);
    Random r = new Random(5);
    List<Backup> data = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      data.add(randomBackup(r, "proj", "b" + i, T0.minusSeconds(r.nextInt(20))));
    }
    for (BackupCatalog catalog : catalogs(clock)) {
      catalog.addAll(data);
      UsageReport all = catalog.usage("proj", UsageQuery.of(Predicates.all(), 1, 3));
      assertEquals(expectedUsage(data, 1, 3), all, who(catalog));
      BackupStatus[] statuses = BackupStatus.values();
      for (BackupPredicate p : List.of(
          Predicates.or(Predicates.status(BackupStatus.AVAILABLE), Predicates.not(Predicates.status(BackupStatus.AVAILABLE))),
          Predicates.status(statuses[0], java.util.Arrays.copyOfRange(statuses, 1, statuses.length)),
          Predicates.not(Predicates.none()),
          Predicates.createdWithinLast(Duration.ofDays(1)),
          Predicates.or(Predicates.tagKey("env"), Predicates.not(Predicates.tagKey("env"))))) {
        assertEquals(all, catalog.usage("proj", UsageQuery.of(p, 1, 3)), who(catalog) + " " + p);
      }
    }
  }

  // ------------------------------------------------------------------ paging, many servers

  @Test
  void thousandsOfServersPageWholeByOffsetTiesByIdAndTheTotalsEqualTheSumOfThePages() {
    FakeClock clock = FakeClock.at(T0);
    Random r = new Random(11);
    List<Backup> data = new ArrayList<>();
    long[] sizes = {0, 1, 1024, 1024, 5};
    for (int i = 0; i < 3500; i++) {
      // 1,500 servers, ids that sort oddly: case, digits, a space, accents
      int s = r.nextInt(1500);
      String serverId = (s % 3 == 0 ? "S" : "s") + (s % 7 == 0 ? " " : "") + (s % 11 == 0 ? "\u00e9" : "") + s;
      data.add(backup("proj", "b" + i, serverId, "n" + r.nextInt(3), T0.minusSeconds(r.nextInt(100)),
          r.nextInt(4) == 0 ? BackupStatus.ERROR : BackupStatus.AVAILABLE, sizes[r.nextInt(sizes.length)]));
    }
    for (BackupCatalog catalog : catalogs(clock)) {
      catalog.addAll(data);
      for (BackupPredicate where : List.of(Predicates.all(), Predicates.status(BackupStatus.ERROR))) {
        List<Backup> counted = matching(data, where, T0);
        UsageReport whole = expectedUsage(counted, 0, Integer.MAX_VALUE);
        for (int limit : new int[] {1000, 251}) {
          List<ServerUsage> pages = new ArrayList<>();
          long backups = 0;
          long size = 0;
          for (long offset = 0; offset < whole.serverCount() + limit; offset += limit) {
            UsageReport page = catalog.usage("proj", UsageQuery.of(where, offset, limit));
            assertEquals(whole.backups(), page.backups(), who(catalog) + " " + where);
            assertEquals(whole.sizeMb(), page.sizeMb());
            assertEquals(whole.serverCount(), page.serverCount());
            assertTrue(page.servers().size() <= limit);
            for (ServerUsage line : page.servers()) {
              backups += line.backups();
              size += line.sizeMb();
            }
            pages.addAll(page.servers());
          }
          assertEquals(whole.servers(), pages, who(catalog) + " " + where + " limit " + limit);
          assertEquals(whole.backups(), backups);
          assertEquals(whole.sizeMb(), size);
        }
      }
    }
  }

  // ------------------------------------------------------------------ replicas and subscribers

  @Test
  void aReplicaFollowingByReplayReportsTheSameUsageAndALoadedProjectBeyondItsQuotaKeepsIt() {
    long seed = new Random().nextLong();
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog primary = Catalogs.indexed(clock);
    BackupCatalog replica = Catalogs.indexed(clock);
    primary.subscribe(replica::replay);
    try {
      serviceDay(primary, clock, seed, 120);
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
    }
    for (String p : PROJECTS) {
      for (BackupPredicate where : List.of(Predicates.all(), Predicates.status(BackupStatus.AVAILABLE))) {
        for (int offset = 0; offset < 6; offset++) {
          assertEquals(primary.usage(p, UsageQuery.of(where, offset, 2)), replica.usage(p, UsageQuery.of(where, offset, 2)),
              "seed " + seed + " " + p + " " + where + " offset " + offset);
        }
      }
      QuotaUsage a = primary.quotaUsage(p);
      QuotaUsage b = replica.quotaUsage(p);
      assertEquals(a.backupsUsed(), b.backupsUsed(), "seed " + seed + " " + p);
      assertEquals(a.sizeMbUsed(), b.sizeMbUsed(), "seed " + seed + " " + p);
      assertEquals(Quota.NONE, b.quota(), "setQuota is no change: the replica keeps its own");
      assertEquals(primary.stats(p).backups(), replica.stats(p).backups());
    }
    // a snapshot beyond its quota: loaded as it is
    for (BackupCatalog catalog : catalogs(clock)) {
      List<Backup> held = List.of(
          backup("held", "a", "srv-1", "old-name", T0.minusSeconds(9), BackupStatus.AVAILABLE, 2048),
          backup("held", "b", "srv-1", "new-name", T0.minusSeconds(1), BackupStatus.DELETING, 1),
          backup("held", "c", "srv-2", "db", T0.minusSeconds(5), BackupStatus.ERROR, 0));
      catalog.load(new io.csbs.catalog.ProjectSnapshot("held", 17, Quota.of(1, 1), held));
      assertEquals(new QuotaUsage(Quota.of(1, 1), 3, 2049), catalog.quotaUsage("held"), who(catalog));
      assertEquals(expectedUsage(held, 0, 5), catalog.usage("held", UsageQuery.firstServers(5)), who(catalog));
      QuotaExceededException e = assertThrows(QuotaExceededException.class,
          () -> catalog.add(backup("held", "d", "srv-2", "db", T0, BackupStatus.CREATING, 0)));
      assertEquals("backups", e.quota());
      assertEquals(17, catalog.sequence("held"));
    }
  }

  @Test
  void aSubscriberReadsUsageAndQuotaUsageThatIncludeTheChangeItIsGiven() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<Object[]> seen = new ArrayList<>();
    catalog.subscribe(change -> seen.add(new Object[] {change,
        catalog.usage(change.projectId(), UsageQuery.firstServers(1000)), catalog.quotaUsage(change.projectId())}));
    Random r = new Random(23);
    Map<String, Backup> model = new TreeMap<>();
    for (int step = 0; step < 150; step++) {
      clock.advance(Duration.ofSeconds(1));
      int before = seen.size();
      int op = r.nextInt(4);
      if (op == 0 || model.isEmpty()) {
        List<Backup> batch = new ArrayList<>();
        for (int i = 1 + r.nextInt(3); i > 0; i--) {
          batch.add(randomBackup(r, "\u9805\u76ee-1", "s" + step + "-" + i, clock.instant()));
        }
        catalog.addAll(batch);
        batch.forEach(b -> model.put(b.id(), b));
      } else {
        Backup b = new ArrayList<>(model.values()).get(r.nextInt(model.size()));
        if (op == 1) {
          catalog.remove(b.projectId(), b.id(), b.version());
          model.remove(b.id());
        } else {
          Optional<Backup> next = catalog.apply(b.projectId(), b.id(), b.version(), transitionFor(r, b));
          if (next.isPresent()) {
            model.put(b.id(), next.get());
          } else {
            model.remove(b.id());
          }
        }
      }
      List<Backup> all = new ArrayList<>(model.values());
      for (int k = before; k < seen.size(); k++) {
        assertEquals(expectedUsage(all, 0, 1000), seen.get(k)[1], "step " + step + " " + seen.get(k)[0]);
        assertEquals(new QuotaUsage(Quota.NONE, all.size(), all.stream().mapToLong(Backup::sizeMb).sum()),
            seen.get(k)[2], "step " + step);
      }
    }
  }

  // ------------------------------------------------------------------ concurrent writers

  private static void runAll(List<Thread> threads, AtomicReference<Throwable> failure) throws InterruptedException {
    for (Thread t : threads) {
      t.setDaemon(true);
      t.setUncaughtExceptionHandler((th, e) -> failure.compareAndSet(null, e));
      t.start();
    }
    for (Thread t : threads) {
      t.join(60_000);
      assertFalse(t.isAlive(), "hang: " + t.getName());
    }
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
  }

  /** A report of every server (at most 1000) agrees with itself: totals, count and order. */
  private static void selfConsistent(UsageReport report, String what) {
    long backups = 0;
    long size = 0;
    for (int i = 0; i < report.servers().size(); i++) {
      ServerUsage line = report.servers().get(i);
      backups += line.backups();
      size += line.sizeMb();
      assertTrue(line.backups() > 0, what + " a server without counted backups: " + line);
      if (i > 0) {
        ServerUsage prev = report.servers().get(i - 1);
        boolean ordered = prev.sizeMb() > line.sizeMb() || prev.sizeMb() == line.sizeMb()
            && (prev.backups() > line.backups() || prev.backups() == line.backups()
            && prev.serverId().compareTo(line.serverId()) < 0);
        assertTrue(ordered, what + " out of order: " + prev + " then " + line);
      }
    }
    assertEquals(report.serverCount(), report.servers().size(), what + " " + report);
    assertEquals(report.backups(), backups, what + " " + report);
    assertEquals(report.sizeMb(), size, what + " " + report);
  }

  @Test
  void writersRacingForTheLastRoomOfAQuotaNeverPassItAndEachRefusalWasDeserved() throws Exception {
    for (int k = 0; k < 2; k++) {
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = k == 0 ? Catalogs.indexed(clock) : ReferenceCatalog.create(clock);
      String p = "proj-\u00e9";
      catalog.setQuota(p, Quota.of(60, 1));   // 60 backups, 1024 MB
      AtomicReference<Throwable> failure = new AtomicReference<>();
      List<List<Backup>> added = new ArrayList<>();
      List<List<long[]>> refusedCapacity = new ArrayList<>();
      List<Boolean> refusedBackups = new ArrayList<>(List.of(false, false, false));
      List<Thread> threads = new ArrayList<>();
      for (int w = 0; w < 3; w++) {
        int writer = w;
        List<Backup> mine = new ArrayList<>();
        List<long[]> refusals = new ArrayList<>();
        added.add(mine);
        refusedCapacity.add(refusals);
        threads.add(new Thread(() -> {
          Random r = new Random(writer);
          for (int i = 0; i < 80; i++) {
            Backup b = backup(p, "w" + writer + "-" + i, SERVER_IDS[r.nextInt(3)], "n", T0.minusSeconds(r.nextInt(50)),
                BackupStatus.CREATING, r.nextInt(4) == 0 ? 0 : r.nextInt(40));
            try {
              if (r.nextBoolean()) {
                catalog.add(b);
              } else {
                catalog.addAll(List.of(b));
              }
              mine.add(b);
            } catch (QuotaExceededException e) {
              if (e.quota().equals("backups")) {
                refusedBackups.set(writer, true);
              } else {
                refusals.add(new long[] {b.sizeMb()});
              }
            }
          }
        }, "writer-" + w));
      }
      threads.add(new Thread(() -> {
        for (int i = 0; i < 300; i++) {
          QuotaUsage q = catalog.quotaUsage(p);
          assertTrue(q.backupsUsed() <= 60 && q.sizeMbUsed() <= 1024, "passed the quota: " + q);
          UsageReport u = catalog.usage(p, UsageQuery.firstServers(10));
          selfConsistent(u, "reader");
        }
      }, "reader"));
      runAll(threads, failure);
      List<Backup> all = new ArrayList<>();
      added.forEach(all::addAll);
      QuotaUsage q = catalog.quotaUsage(p);
      assertEquals(new QuotaUsage(Quota.of(60, 1), all.size(), all.stream().mapToLong(Backup::sizeMb).sum()), q,
          who(catalog));
      assertEquals(expectedUsage(all, 0, 10), catalog.usage(p, UsageQuery.firstServers(10)), who(catalog));
      if (refusedBackups.contains(true)) {
        assertEquals(60, q.backupsUsed(), who(catalog) + ": a backups refusal while there was room");
      }
      for (List<long[]> refusals : refusedCapacity) {
        for (long[] size : refusals) {   // the use only grew: the refusal still holds at the end
          assertTrue(q.sizeMbUsed() + size[0] > 1024, who(catalog) + ": " + size[0] + " MB refused, use " + q);
        }
      }
    }
  }

  @Test
  void usageAndServerNamesStayTrueThroughReorganisationsWithWritersAndReadersBeside() throws Exception {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    String p = "\u9805\u76ee-1";
    List<Backup> bulk = new ArrayList<>();
    for (int i = 0; i < 2500; i++) {   // in creation order, 40 servers each named "v1"
      bulk.add(backup(p, String.format("b%05d", i), "srv-" + (i % 40), "v1-" + (i % 40),
          T0.minusSeconds(10_000 - i), BackupStatus.AVAILABLE, i % 5 == 0 ? 0 : 1 + i % 97));
    }
    catalog.addAll(bulk);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Backup> late = new ArrayList<>();
    List<Backup> removed = new ArrayList<>();
    List<Backup> fresh = new ArrayList<>();
    java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
    List<Thread> threads = new ArrayList<>();
    threads.add(new Thread(() -> {   // an import of older backups of the same servers, renamed
      Random r = new Random(1);
      for (int i = 0; i < 1200; i++) {
        Backup b = backup(p, "late" + i, "srv-" + r.nextInt(40), "late-" + i, T0.minusSeconds(1 + r.nextInt(10_000)),
            r.nextBoolean() ? BackupStatus.ERROR : BackupStatus.AVAILABLE, r.nextInt(3000));
        catalog.add(b);
        late.add(b);
      }
    }, "importer"));
    threads.add(new Thread(() -> {   // a retention job and new backups, newest names
      for (int i = 0; i < 800; i++) {
        Backup old = bulk.get(i);
        catalog.remove(p, old.id(), old.version());
        removed.add(old);
        if (i % 4 == 0) {
          Backup b = backup(p, "new" + i, "srv-" + (i % 41), "v2-" + i, T0.plusNanos(i), BackupStatus.CREATING, 0);
          catalog.add(b);
          fresh.add(b);
        }
      }
    }, "retention"));
    threads.add(new Thread(() -> {
      while (writing.get()) {
        selfConsistent(catalog.usage(p, UsageQuery.firstServers(100)), "reader");
        catalog.read(p, v -> {
          UsageReport u = v.usage(UsageQuery.firstServers(100));
          assertEquals(u.backups(), v.count(Predicates.all()));
          assertEquals(u.backups(), v.quotaUsage().backupsUsed());
          assertEquals(u.sizeMb(), v.quotaUsage().sizeMbUsed());
          return null;
        });
        Thread.onSpinWait();
      }
    }, "reader"));
    for (Thread t : threads) {
      t.setDaemon(true);
      t.setUncaughtExceptionHandler((th, e) -> failure.compareAndSet(null, e));
      t.start();
    }
    threads.get(0).join(60_000);
    threads.get(1).join(60_000);
    writing.set(false);
    threads.get(2).join(60_000);
    for (Thread t : threads) {
      assertFalse(t.isAlive(), "hang: " + t.getName());
    }
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
    Map<String, Backup> model = new LinkedHashMap<>();
    bulk.forEach(b -> model.put(b.id(), b));
    removed.forEach(b -> model.remove(b.id()));
    late.forEach(b -> model.put(b.id(), b));
    fresh.forEach(b -> model.put(b.id(), b));
    List<Backup> all = new ArrayList<>(model.values());
    long reorganisations = catalog.stats(p).reorganisations();
    for (int round = 0; round < 2; round++) {
      assertEquals(expectedUsage(all, 0, 1000), catalog.usage(p, UsageQuery.firstServers(1000)),
          "after " + reorganisations + " reorganisations");
      assertEquals(expectedUsage(matching(all, Predicates.status(BackupStatus.ERROR), T0), 3, 10),
          catalog.usage(p, UsageQuery.of(Predicates.status(BackupStatus.ERROR), 3, 10)));
      assertEquals(all.size(), catalog.stats(p).backups());
      if (round == 1) {
        break;
      }
      // none yet: wait (bounded) for one the changes or the reads make due, then compare again
      long until = System.nanoTime() + 2_000_000_000L;
      while (catalog.stats(p).reorganisations() == 0 && System.nanoTime() < until) {
        catalog.query(p, Query.builder().limit(20).build());
        Thread.sleep(2);
      }
      reorganisations = catalog.stats(p).reorganisations();
    }
  }

  @Test
  void changesPilingUpBetweenReportsAreAllInTheNextReport() {
    long seed = new Random().nextLong();
    for (int k = 0; k < 2; k++) {
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = k == 0 ? Catalogs.indexed(clock) : ReferenceCatalog.create(clock);
      try {
        serviceDay(catalog, clock, seed, 400, 40);
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError("seed " + seed + " on " + who(catalog) + ": " + e.getMessage(), e);
      }
    }
  }

  @Test
  void thousandsOfServersComingAndGoingBetweenTwoReportsLeaveExactlyTheLiveOnes() {
    FakeClock clock = FakeClock.at(T0);
    for (BackupCatalog catalog : catalogs(clock)) {
      String p = "proj";
      Map<String, Backup> live = new LinkedHashMap<>();
      for (int i = 0; i < 50; i++) {   // placed in the order by a first report
        Backup b = backup(p, "keep" + i, "keep-" + (i % 5), "k", T0.minusSeconds(i), BackupStatus.AVAILABLE, i);
        catalog.add(b);
        live.put(b.id(), b);
      }
      assertEquals(expectedUsage(new ArrayList<>(live.values()), 0, 10), catalog.usage(p, UsageQuery.firstServers(10)));
      // 3,000 servers that come and go (retired totals by the thousand), the placed ones change, one
      // placed server is emptied and comes back under another name, all before the next report
      for (int i = 0; i < 2000; i++) {
        Backup b = backup(p, "tmp" + i, "tmp-" + i, "t", T0.minusSeconds(i % 7), BackupStatus.CREATING, i % 3);
        catalog.add(b);
        if (i % 500 != 0) {
          catalog.remove(p, b.id(), 1);
        } else {
          live.put(b.id(), b);
        }
        if (i % 100 == 0) {
          Backup more = backup(p, "more" + i, "keep-" + (i % 5), "k2", T0.minusSeconds(i % 7), BackupStatus.ERROR, 7);
          catalog.add(more);
          live.put(more.id(), more);
        }
      }
      for (int i = 0; i < 50; i += 5) {   // keep-0 emptied
        catalog.remove(p, "keep" + i, 1);
        live.remove("keep" + i);
      }
      for (String id : new ArrayList<>(live.keySet())) {
        if (live.get(id).server().id().equals("keep-0")) {
          catalog.remove(p, id, 1);
          live.remove(id);
        }
      }
      Backup back = backup(p, "back", "keep-0", "k-again", T0.minusSeconds(500), BackupStatus.AVAILABLE, 1);
      catalog.add(back);
      live.put(back.id(), back);
      List<Backup> all = new ArrayList<>(live.values());
      for (int offset = 0; offset < 14; offset += 3) {
        assertEquals(expectedUsage(all, offset, 3), catalog.usage(p, UsageQuery.of(Predicates.all(), offset, 3)),
            who(catalog) + " offset " + offset);
      }
      assertEquals(all.size(), catalog.quotaUsage(p).backupsUsed());
    }
  }

  // ------------------------------------------------------------------ quotas and the change feed

  /** A primary with a quota and a replica following it by its subscription, as the javadoc shows. */
  private static BackupCatalog[] primaryAndReplica(FakeClock clock) {
    BackupCatalog primary = Catalogs.indexed(clock);
    BackupCatalog replica = Catalogs.indexed(clock);
    primary.subscribe(replica::replay);   // BackupCatalog.replay: "the replica follows the primary"
    primary.setQuota("proj", Quota.of(2, 1));
    primary.add(backup("proj", "a", "srv-1", "web", T0, BackupStatus.AVAILABLE, 1000));
    return new BackupCatalog[] {primary, replica};
  }

  @Test
  void aReplicaFollowingThePrimarysChangesActuallyKeepsNoQuotaAndTakesWhatThePrimaryRefuses() {
    BackupCatalog[] pr = primaryAndReplica(FakeClock.at(T0));
    List<Object> delivered = new ArrayList<>();
    pr[0].subscribe(delivered::add);
    pr[0].setQuota("proj", Quota.of(1, 0));   // lowered: nothing is delivered, the sequence stays
    assertEquals(List.of(), delivered);
    assertEquals(new QuotaUsage(Quota.of(1, 0), 1, 1000), pr[0].quotaUsage("proj"));
    assertEquals(new QuotaUsage(Quota.NONE, 1, 1000), pr[1].quotaUsage("proj"));
    Backup more = backup("proj", "b", "srv-1", "web", T0, BackupStatus.CREATING, 0);
    assertThrows(QuotaExceededException.class, () -> pr[0].add(more));
    pr[1].add(more);   // the replica judges by its own (no) quota
    assertEquals(2, pr[1].quotaUsage("proj").backupsUsed());
  }

  // ------------------------------------------------------------------ stats of projects met by quotas

  @Test
  void aProjectWhoseQuotaWasSetThenRemovedWithoutABackupHoldsNoIndexBytes() {
    // stats: "one that only refused changes or had its quotas removed (Quota.NONE), without ever
    // holding a backup, holds no index bytes either"
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.setQuota("q\u00e9", Quota.of(0, 0));
    assertThrows(QuotaExceededException.class,
        () -> catalog.add(backup("q\u00e9", "a", "srv-1", "web", T0, BackupStatus.CREATING, 0)));
    assertThrows(QuotaExceededException.class,
        () -> catalog.addAll(List.of(backup("q\u00e9", "a", "srv-1", "web", T0, BackupStatus.CREATING, 0))));
    assertEquals(0, catalog.stats("q\u00e9").backups());
    catalog.setQuota("q\u00e9", Quota.NONE);
    assertEquals(0, catalog.stats("q\u00e9").estimatedIndexBytes(), catalog.stats("q\u00e9").toString());
    assertEquals(0, catalog.stats("q\u00e9").backups());
    assertEquals(new UsageReport(0, 0, 0, List.of()), catalog.usage("q\u00e9", UsageQuery.firstServers(3)));
    assertEquals(new QuotaUsage(Quota.NONE, 0, 0), catalog.quotaUsage("q\u00e9"));
  }

  @Test
  void aBatchRefusedForItsQuotaWithNullsOrDuplicatesLeavesUsageStatsAndSubscribersUntouched() {
    FakeClock clock = FakeClock.at(T0);
    for (BackupCatalog catalog : catalogs(clock)) {
      List<Object> delivered = new ArrayList<>();
      catalog.subscribe(delivered::add);
      catalog.setQuota("proj", Quota.of(3, Quota.UNLIMITED));
      catalog.add(backup("proj", "a", "srv-1", "web", T0, BackupStatus.AVAILABLE, 10));
      UsageReport before = catalog.usage("proj", UsageQuery.firstServers(5));
      List<Backup> withNull = new ArrayList<>();
      withNull.add(backup("Proj", "n", "srv-1", "web", T0, BackupStatus.AVAILABLE, 10));
      withNull.add(null);
      assertThrows(NullPointerException.class, () -> catalog.addAll(withNull), who(catalog));
      List<Backup> tooMany = List.of(backup("Proj", "x", "srv-1", "web", T0, BackupStatus.AVAILABLE, 10),
          backup("proj", "b", "srv-9", "db", T0, BackupStatus.AVAILABLE, 10),
          backup("proj", "c", "srv-9", "db", T0, BackupStatus.AVAILABLE, 10),
          backup("proj", "d", "srv-9", "db", T0, BackupStatus.AVAILABLE, 10));
      assertThrows(QuotaExceededException.class, () -> catalog.addAll(tooMany), who(catalog));
      assertEquals(before, catalog.usage("proj", UsageQuery.firstServers(5)), who(catalog));
      assertEquals(new UsageReport(0, 0, 0, List.of()), catalog.usage("Proj", UsageQuery.firstServers(5)), who(catalog));
      assertEquals(1, delivered.size(), who(catalog));
      assertEquals(0, catalog.sequence("Proj"));
      if (!(catalog instanceof ReferenceCatalog)) {
        assertEquals(1, catalog.stats("proj").backups());
        assertEquals(0, catalog.stats("Proj").backups());
        assertEquals(0, catalog.stats("Proj").estimatedIndexBytes());
      }
    }
  }

  @Test
  void afterALoweredQuotaIsSetNoConcurrentAddGetsInAndTheUseStaysWhereItWas() throws Exception {
    for (int k = 0; k < 2; k++) {
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = k == 0 ? Catalogs.indexed(clock) : ReferenceCatalog.create(clock);
      String p = "proj";
      java.util.concurrent.CountDownLatch some = new java.util.concurrent.CountDownLatch(20);
      java.util.concurrent.atomic.AtomicBoolean lowered = new java.util.concurrent.atomic.AtomicBoolean();
      java.util.concurrent.atomic.AtomicInteger addedAfter = new java.util.concurrent.atomic.AtomicInteger();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      List<Thread> writers = new ArrayList<>();
      for (int w = 0; w < 2; w++) {
        int writer = w;
        writers.add(new Thread(() -> {
          for (int i = 0; i < 3000; i++) {
            boolean after = lowered.get();
            try {
              catalog.add(backup(p, "w" + writer + "-" + i, "srv-" + (i % 3), "n", T0, BackupStatus.CREATING, i % 2));
              some.countDown();
              if (after) {
                addedAfter.incrementAndGet();
              }
            } catch (QuotaExceededException e) {
              assertEquals("backups", e.quota());
              if (after && i % 50 == 0) {
                return;   // enough refusals seen
              }
            }
          }
        }, "writer-" + w));
      }
      for (Thread t : writers) {
        t.setDaemon(true);
        t.setUncaughtExceptionHandler((th, e) -> failure.compareAndSet(null, e));
        t.start();
      }
      assertTrue(some.await(30, java.util.concurrent.TimeUnit.SECONDS), "writers did not start");
      catalog.setQuota(p, Quota.of(0, Quota.UNLIMITED));
      QuotaUsage atOnce = catalog.quotaUsage(p);
      lowered.set(true);
      for (Thread t : writers) {
        t.join(30_000);
        assertFalse(t.isAlive(), "hang");
      }
      if (failure.get() != null) {
        throw new AssertionError(failure.get());
      }
      assertEquals(0, addedAfter.get(), who(catalog));
      assertEquals(atOnce, catalog.quotaUsage(p), who(catalog));
      UsageReport u = catalog.usage(p, UsageQuery.firstServers(5));
      assertEquals(atOnce.backupsUsed(), u.backups());
      assertEquals(atOnce.sizeMbUsed(), u.sizeMb());
    }
  }

  // ------------------------------------------------------------------ project ids no backup can have

  private static final String LONG_PROJECT = "p".repeat(65);   // Backup.Builder.projectId: "at most 64 chars"

  @Test
  void setQuotaActuallyKeepsAQuotaForAProjectIdNoBackupCanHave() {
    FakeClock clock = FakeClock.at(T0);
    InvalidValueException refused = assertThrows(InvalidValueException.class,
        () -> backup(LONG_PROJECT, "a", "srv-1", "web", T0, BackupStatus.AVAILABLE, 1));
    assertTrue(refused.getMessage().contains("project id"), refused.getMessage());
    for (BackupCatalog catalog : catalogs(clock)) {
      catalog.setQuota(LONG_PROJECT, Quota.of(1, 1));
      assertEquals(new QuotaUsage(Quota.of(1, 1), 0, 0), catalog.quotaUsage(LONG_PROJECT), who(catalog));
      assertEquals(new UsageReport(0, 0, 0, List.of()), catalog.usage(LONG_PROJECT, UsageQuery.firstServers(1)));
    }
  }

  // ------------------------------------------------------------------ bulk loads in any order

  @Test
  void bulkLoadsAndSnapshotsInAnyOrderNameEachServerByItsNewestBackupAmongManyTies() {
    long seed = new Random().nextLong();
    Random r = new Random(seed);
    List<Backup> data = new ArrayList<>();
    for (int i = 0; i < 1200; i++) {
      // few instants (ties everywhere), ids whose char order is not their number's ("b9" > "b10")
      String id = (r.nextBoolean() ? "b" : "B") + i + (r.nextInt(5) == 0 ? "\u00e9" : "");
      data.add(backup("bulk", id, "srv-" + r.nextInt(30), "name-" + i, T0.minusSeconds(r.nextInt(6)),
          r.nextInt(5) == 0 ? BackupStatus.ERROR : BackupStatus.AVAILABLE, r.nextInt(3)));
    }
    java.util.Collections.shuffle(data, r);
    List<Backup> older = new ArrayList<>();
    for (int i = 0; i < 500; i++) {   // a second batch of late, older backups of the same servers
      older.add(backup("bulk", "late" + i, "srv-" + r.nextInt(35), "older-" + i, T0.minusSeconds(3 + r.nextInt(6)),
          BackupStatus.AVAILABLE, r.nextInt(3)));
    }
    FakeClock clock = FakeClock.at(T0);
    List<BackupCatalog> all = new ArrayList<>(catalogs(clock));
    all.add(Catalogs.indexed(clock));   // this one loads a snapshot
    for (int c = 0; c < all.size(); c++) {
      BackupCatalog catalog = all.get(c);
      if (c == 2) {
        catalog.load(new io.csbs.catalog.ProjectSnapshot("bulk", 1200, Quota.NONE, data));
      } else {
        catalog.addAll(data);
      }
      List<Backup> expected = new ArrayList<>(data);
      for (int round = 0; round < 2; round++) {
        String at = "seed " + seed + " catalog " + c + " " + who(catalog) + " round " + round;
        for (int offset = 0; offset < 40; offset += 9) {
          assertEquals(expectedUsage(expected, offset, 9), catalog.usage("bulk", UsageQuery.of(Predicates.all(), offset, 9)),
              at + " offset " + offset);
        }
        assertEquals(expectedUsage(matching(expected, Predicates.status(BackupStatus.AVAILABLE), T0), 0, 40),
            catalog.usage("bulk", UsageQuery.of(Predicates.status(BackupStatus.AVAILABLE), 0, 40)), at);
        if (round == 1) {
          break;
        }
        catalog.addAll(older);
        expected.addAll(older);
      }
    }
  }

  @Test
  void aBackupAtTheLastVersionIsCountedUntilItsDeletionCompletesAndARefusedChangeCountsAsBefore() {
    FakeClock clock = FakeClock.at(T0);
    for (BackupCatalog catalog : catalogs(clock)) {
      Backup last = backup("proj", "last", "srv-1", "web", T0.minusSeconds(5), BackupStatus.DELETING, Backup.MAX_SIZE_MB)
          .toBuilder().version(Long.MAX_VALUE).build();
      Backup avail = backup("proj", "avail", "srv-1", "db", T0.minusSeconds(9), BackupStatus.AVAILABLE, 3)
          .toBuilder().version(Long.MAX_VALUE).build();
      catalog.addAll(List.of(last, avail));
      catalog.setQuota("proj", Quota.of(2, 1_048_576));   // 2 backups: full; 2^30 + 3 MB: beyond 1 PB
      assertEquals(new QuotaUsage(Quota.of(2, 1_048_576), 2, Backup.MAX_SIZE_MB + 3), catalog.quotaUsage("proj"));
      // a restore of the backup at the last version makes no version: refused, nothing counted anew
      assertThrows(InvalidValueException.class,
          () -> catalog.apply("proj", "avail", Long.MAX_VALUE, Transition.restore()), who(catalog));
      assertEquals(expectedUsage(List.of(last, avail), 0, 5), catalog.usage("proj", UsageQuery.firstServers(5)),
          who(catalog));
      // the completed deletion makes no version: accepted, and frees the space
      assertTrue(catalog.apply("proj", "last", Long.MAX_VALUE, Transition.complete()).isEmpty(), who(catalog));
      assertEquals(new UsageReport(1, 3, 1, List.of(new ServerUsage("srv-1", "db", 1, 3))),
          catalog.usage("proj", UsageQuery.firstServers(5)), who(catalog));
      assertEquals(new QuotaUsage(Quota.of(2, 1_048_576), 1, 3), catalog.quotaUsage("proj"));
    }
  }

  @Test
  void aJobsBackupKeepsTheSizeItWasAddedWithAndAReplayedCorrectionMovesItsUsage() {
    FakeClock clock = FakeClock.at(T0);
    for (BackupCatalog catalog : catalogs(clock)) {
      String p = "proj";
      catalog.setQuota(p, Quota.of(Quota.UNLIMITED, 10));
      Backup job = backup(p, "job", "srv-1", "web", T0, BackupStatus.CREATING, 0);   // size not yet known
      catalog.add(job);
      clock.advance(Duration.ofMinutes(3));
      Backup done = catalog.apply(p, "job", 1, Transition.complete()).orElseThrow();
      assertEquals(0, done.sizeMb(), "the lifecycle keeps the size");
      assertEquals(0, catalog.usage(p, UsageQuery.firstServers(1)).sizeMb());
      // a correction committed elsewhere (a durable catalog's change) is installed as committed,
      // beyond the quota (replay checks none), and the usage follows it
      Backup corrected = done.toBuilder().sizeMb(20_480).version(done.version() + 1).updatedAt(clock.instant()).build();
      assertTrue(catalog.replay(new io.csbs.catalog.Change(catalog.sequence(p) + 1, p, "job", Optional.of(done),
          Optional.of(corrected), Optional.empty())), who(catalog));
      assertEquals(List.of(new ServerUsage("srv-1", "web", 1, 20_480)),
          catalog.usage(p, UsageQuery.firstServers(1)).servers(), who(catalog));
      assertEquals(new QuotaUsage(Quota.of(Quota.UNLIMITED, 10), 1, 20_480), catalog.quotaUsage(p));
      assertEquals(OptionalLong.of(0), catalog.quotaUsage(p).capacityRemainingMb());
      assertEquals(20_480, catalog.usage(p, UsageQuery.of(Predicates.status(BackupStatus.AVAILABLE), 0, 1)).sizeMb());
      clock.set(T0);
    }
  }

  // ------------------------------------------------------------------ one state: the view

  @Test
  void theProjectViewsExampleHoldsWhileAWriterChangesTheProjectAndAnEscapedViewIsRefused() throws Exception {
    for (int k = 0; k < 2; k++) {
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = k == 0 ? Catalogs.indexed(clock) : ReferenceCatalog.create(clock);
      String p = "proj-\u00e9";
      java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread writer = new Thread(() -> {
        Random r = new Random(3);
        List<Backup> mine = new ArrayList<>();
        for (int i = 0; i < 4000 && !stop.get(); i++) {
          if (mine.size() < 600 && (mine.isEmpty() || r.nextInt(3) != 0)) {
            Backup b = backup(p, "w" + i, SERVER_IDS[r.nextInt(5)], "n" + i, T0.minusSeconds(r.nextInt(100)),
                BackupStatus.AVAILABLE, SIZES[r.nextInt(SIZES.length)]);
            if (r.nextInt(4) == 0) {
              Backup c = backup(p, "w" + i + "c", SERVER_IDS[r.nextInt(5)], "m" + i, T0, BackupStatus.ERROR, 7);
              catalog.addAll(List.of(b, c));
              mine.add(c);
            } else {
              catalog.add(b);
            }
            mine.add(b);
          } else {
            Backup b = mine.remove(r.nextInt(mine.size()));
            catalog.remove(p, b.id(), b.version());
          }
        }
      }, "writer");
      writer.setDaemon(true);
      writer.setUncaughtExceptionHandler((th, e) -> failure.compareAndSet(null, e));
      writer.start();
      for (int i = 0; i < 60; i++) {
        // the ProjectView javadoc's example, with the usage's other figures beside it
        List<Object> check = catalog.read(p, view -> {
          UsageReport u = view.usage(UsageQuery.firstServers(20));
          List<Backup> listed = view.query(Query.builder().limit(1000).build()).backups();
          return List.of(u, listed, view.quotaUsage(), view.usage(UsageQuery.of(Predicates.status(BackupStatus.ERROR), 0, 20)));
        });
        UsageReport u = (UsageReport) check.get(0);
        @SuppressWarnings("unchecked")
        List<Backup> listed = (List<Backup>) check.get(1);
        String at = who(catalog) + " read " + i;
        assertEquals(expectedUsage(listed, 0, 20), u, at);
        assertEquals(new QuotaUsage(Quota.NONE, listed.size(), u.sizeMb()), check.get(2), at);
        assertEquals(expectedUsage(matching(listed, Predicates.status(BackupStatus.ERROR), T0), 0, 20), check.get(3), at);
      }
      stop.set(true);
      writer.join(30_000);
      assertFalse(writer.isAlive(), "hang");
      if (failure.get() != null) {
        throw new AssertionError(failure.get());
      }
      // a view kept past its read, or handed to another thread, is refused
      io.csbs.catalog.ProjectView escaped = catalog.read(p, view -> view);
      assertThrows(IllegalStateException.class, () -> escaped.usage(UsageQuery.firstServers(1)), who(catalog));
      assertThrows(IllegalStateException.class, escaped::quotaUsage, who(catalog));
      AtomicReference<Throwable> other = new AtomicReference<>();
      catalog.read(p, view -> {
        Thread t = new Thread(() -> {
          try {
            view.quotaUsage();
          } catch (Throwable e) {
            other.set(e);
          }
        });
        t.start();
        try {
          t.join(30_000);
        } catch (InterruptedException e) {
          throw new AssertionError(e);
        }
        return null;
      });
      assertTrue(other.get() instanceof IllegalStateException, who(catalog) + ": " + other.get());
    }
  }

  @Test
  void aSubscriberCopyingBackupsIntoAProjectWithAQuotaIsRefusedThereWhileTheWritersChangeStands() {
    FakeClock clock = FakeClock.at(T0);
    for (BackupCatalog catalog : catalogs(clock)) {
      catalog.setQuota("copies", Quota.of(2, Quota.UNLIMITED));
      List<String> seenInside = new ArrayList<>();
      catalog.subscribe(change -> {
        if (change.projectId().equals("proj") && change.isAdded()) {
          Backup b = change.after().orElseThrow();
          Backup copy = backup("copies", b.id(), b.server(), b.createdAt(), b.status(), b.sizeMb());
          try {
            catalog.add(copy);
            // committed when the call returns: the use counts it at once
            seenInside.add(b.id() + ":" + catalog.quotaUsage("copies").backupsUsed());
          } catch (QuotaExceededException e) {
            seenInside.add(b.id() + ":refused " + e.quota() + " " + e.projectId());
          }
        }
      });
      for (int i = 0; i < 3; i++) {
        catalog.add(backup("proj", "b" + i, "srv-1", "web", T0, BackupStatus.AVAILABLE, 100));
      }
      assertEquals(List.of("b0:1", "b1:2", "b2:refused backups copies"), seenInside, who(catalog));
      assertEquals(3, catalog.quotaUsage("proj").backupsUsed());
      assertEquals(new QuotaUsage(Quota.of(2, Quota.UNLIMITED), 2, 200), catalog.quotaUsage("copies"));
      assertEquals(2, catalog.sequence("copies"));
    }
  }

  @Test
  void serversComingAndGoingWhileAReorganisationRunsAreCountedAndNamedAsOurScanSays() throws Exception {
    long seed = new Random().nextLong();
    Random r = new Random(seed);
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    String p = "proj";
    Map<String, Backup> model = new LinkedHashMap<>();
    List<Backup> bulk = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      bulk.add(backup(p, "b" + i, "srv-" + (i % 25), "first-" + i, T0.minusSeconds(100_000 - i * 10L),
          BackupStatus.AVAILABLE, i % 50));
    }
    catalog.addAll(bulk);
    bulk.forEach(b -> model.put(b.id(), b));
    List<String> ids = new ArrayList<>(model.keySet());
    long until = System.nanoTime() + 3_000_000_000L;
    int step = 0;
    for (; step < 6000 && (catalog.stats(p).reorganisations() < 1 || step < 1200) && System.nanoTime() < until; step++) {
      String at = "seed " + seed + " step " + step;
      // a late backup, now and then of a server never seen (it comes and goes)
      String server = r.nextInt(4) == 0 ? "tmp-" + step : "srv-" + r.nextInt(30);
      Backup late = backup(p, "late" + step, server, "late-" + step, T0.minusSeconds(r.nextInt(100_000)),
          r.nextInt(3) == 0 ? BackupStatus.ERROR : BackupStatus.AVAILABLE, r.nextInt(100));
      catalog.add(late);
      model.put(late.id(), late);
      ids.add(late.id());
      // a removal of any backup, or a deletion that completes
      int k = r.nextInt(ids.size());
      String id = ids.get(k);
      ids.set(k, ids.get(ids.size() - 1));
      ids.remove(ids.size() - 1);
      Backup gone = model.remove(id);
      if (gone.status() == BackupStatus.AVAILABLE && r.nextBoolean()) {
        Backup deleting = catalog.apply(p, id, gone.version(), Transition.delete()).orElseThrow();
        assertTrue(catalog.apply(p, id, deleting.version(), Transition.complete()).isEmpty(), at);
      } else {
        catalog.remove(p, id, gone.version());
      }
      if (step % 300 == 0) {
        assertEquals(expectedUsage(new ArrayList<>(model.values()), 0, 40), catalog.usage(p, UsageQuery.firstServers(40)), at);
      }
    }
    String at = "seed " + seed + " after " + step + " steps, " + catalog.stats(p).reorganisations() + " reorganisations";
    List<Backup> all = new ArrayList<>(model.values());
    assertEquals(expectedUsage(all, 0, 1000), catalog.usage(p, UsageQuery.firstServers(1000)), at);
    assertEquals(expectedUsage(matching(all, Predicates.status(BackupStatus.ERROR), T0), 0, 1000),
        catalog.usage(p, UsageQuery.of(Predicates.status(BackupStatus.ERROR), 0, 1000)), at);
    assertEquals(all.size(), catalog.stats(p).backups(), at);
  }

  @Test
  void aReplayedChangeThatMovesABackupToAnotherServerMovesItsUsageAndName() {
    FakeClock clock = FakeClock.at(T0);
    for (BackupCatalog catalog : catalogs(clock)) {
      String p = "proj";
      Backup a = backup(p, "a", "srv-old", "old-name", T0.minusSeconds(5), BackupStatus.AVAILABLE, 300);
      Backup b = backup(p, "b", "srv-new", "new-name", T0.minusSeconds(9), BackupStatus.AVAILABLE, 100);
      catalog.addAll(List.of(a, b));
      assertEquals(List.of("srv-old", "srv-new"), serverIds(catalog.usage(p, UsageQuery.firstServers(5))));
      // committed elsewhere: backup a now belongs to srv-new, under a third name
      Backup moved = a.toBuilder().server(Server.of("srv-new", "renamed", "eu-de-02")).version(2)
          .updatedAt(T0).build();
      assertTrue(catalog.replay(new io.csbs.catalog.Change(3, p, "a", Optional.of(a), Optional.of(moved),
          Optional.empty())), who(catalog));
      assertEquals(new UsageReport(2, 400, 1, List.of(new ServerUsage("srv-new", "renamed", 2, 400))),
          catalog.usage(p, UsageQuery.firstServers(5)), who(catalog));
      assertEquals(expectedUsage(List.of(moved), 0, 5),
          catalog.usage(p, UsageQuery.of(Predicates.availabilityZone("eu-de-02"), 0, 5)), who(catalog));
      assertEquals(0, catalog.count(p, Predicates.serverId("srv-old")));
    }
  }

  @Test
  void everyUsageValueRefusesItsOutOfRangeNumbersNamingTheFieldAtTheExtremes() {
    Map<String, org.junit.jupiter.api.function.Executable> refusals = new LinkedHashMap<>();
    refusals.put("backups", () -> Quota.of(Long.MIN_VALUE, 0));
    refusals.put("backup_capacity", () -> Quota.of(0, Long.MIN_VALUE));
    refusals.put("backup_capacity ", () -> Quota.of(Quota.UNLIMITED, Long.MAX_VALUE));
    refusals.put("offset", () -> UsageQuery.of(Predicates.all(), Long.MIN_VALUE, 1));
    refusals.put("limit", () -> UsageQuery.of(Predicates.all(), 0, Integer.MIN_VALUE));
    refusals.put("limit ", () -> UsageQuery.firstServers(Integer.MAX_VALUE));
    refusals.put("backups used", () -> new QuotaUsage(Quota.NONE, Long.MIN_VALUE, 0));
    refusals.put("size mb used", () -> new QuotaUsage(Quota.NONE, 0, Long.MIN_VALUE));
    refusals.put("server count", () -> new UsageReport(0, 0, Long.MIN_VALUE, List.of()));
    refusals.put("size mb", () -> new ServerUsage("s", "n", 1, Long.MIN_VALUE));
    refusals.put("more mb", () -> Quota.NONE.checkRoomFor("p", 0, 0, 0, Long.MIN_VALUE));
    refusals.put("more backups", () -> Quota.of(0, 0).checkRoomFor("p", 0, 0, Long.MIN_VALUE, 0));
    refusals.forEach((field, call) -> {
      InvalidValueException e = assertThrows(InvalidValueException.class, call, field);
      assertEquals(field.strip(), e.field(), e.getMessage());
      assertTrue(e.getMessage().startsWith(field.strip() + " "), e.getMessage());
      assertEquals(ErrorCode.INVALID_VALUE, e.code(), e.getMessage());
    });
  }

  @Test
  void usageAndQuotaReadsOfAnUnknownProjectLeaveItUnknownToStats() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(backup("proj", "a", "srv-1", "web", T0, BackupStatus.AVAILABLE, 1));
    for (String p : List.of("Proj", "proj ", "\u9805\u76ee-2", "p".repeat(65))) {
      assertEquals(new UsageReport(0, 0, 0, List.of()), catalog.usage(p, UsageQuery.firstServers(1000)));
      assertEquals(new UsageReport(0, 0, 0, List.of()),
          catalog.usage(p, UsageQuery.of(Predicates.status(BackupStatus.AVAILABLE), Long.MAX_VALUE, 1)));
      assertEquals(new QuotaUsage(Quota.NONE, 0, 0), catalog.quotaUsage(p));
      catalog.read(p, v -> List.of(v.usage(UsageQuery.firstServers(3)), v.quotaUsage()));
      io.csbs.catalog.ProjectStats stats = catalog.stats(p);
      assertEquals(p, stats.projectId());
      assertEquals(0, stats.backups(), stats.toString());
      assertEquals(0, stats.estimatedIndexBytes(), stats.toString());
    }
  }

  @Test
  void aNanosecondLaterCreationNamesTheServerWhateverTheIds() {
    FakeClock clock = FakeClock.at(T0);
    for (BackupCatalog catalog : catalogs(clock)) {
      // "the latest created": one nanosecond decides before any id does
      catalog.add(backup("proj", "zzz", "srv-1", "earlier", T0, BackupStatus.AVAILABLE, 1));
      catalog.add(backup("proj", "aaa", "srv-1", "later", T0.plusNanos(1), BackupStatus.CREATING, 0));
      catalog.add(backup("proj", "\uFFFF", "srv-1", "earliest", T0.minusNanos(1), BackupStatus.ERROR, 0));
      assertEquals(List.of(new ServerUsage("srv-1", "later", 3, 1)),
          catalog.usage("proj", UsageQuery.firstServers(1)).servers(), who(catalog));
      assertEquals(List.of(new ServerUsage("srv-1", "earlier", 2, 1)),
          catalog.usage("proj", UsageQuery.of(Predicates.status(BackupStatus.AVAILABLE, BackupStatus.ERROR), 0, 1))
              .servers(), who(catalog));
    }
  }
}
