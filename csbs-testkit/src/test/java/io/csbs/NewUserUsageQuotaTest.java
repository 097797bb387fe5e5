package io.csbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

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
import org.junit.jupiter.api.Disabled;
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
          Predicates.tag("env", "prod"), Predicates.serverId("srv-1"))) {
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
    Backup b = backup(project, id, SERVER_IDS[r.nextInt(SERVER_IDS.length)],
        SERVER_NAMES[r.nextInt(SERVER_NAMES.length)], now.minusSeconds(r.nextInt(4)), status, size);
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
      compare(catalog, model, now, r, where);
    }
  }

  @Test
  void aServiceDayOverSeveralProjectsMatchesOurScanAfterEveryChangeAndRefusal() {
    long seed = new Random().nextLong();
    for (int k = 0; k < 2; k++) {
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = k == 0 ? Catalogs.indexed(clock) : ReferenceCatalog.create(clock);
      try {
        serviceDay(catalog, clock, seed, 300);
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError("seed " + seed + " on " + who(catalog) + ": " + e.getMessage(), e);
      }
    }
  }
}
