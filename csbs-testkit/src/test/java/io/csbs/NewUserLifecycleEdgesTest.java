package io.csbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.ErrorCode;
import io.csbs.backup.ApiStatus;
import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupType;
import io.csbs.backup.Failure;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.JobType;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.lifecycle.Lifecycle;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Predicates;
import io.csbs.testing.FakeClock;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaExceededException;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.ServerUsage;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import io.csbs.testing.Seeds;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Second, adversarial pass over the lifecycle, stall detection, usage and quotas, through the docs only. */
class NewUserLifecycleEdgesTest {
  private static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");
  private static final Duration TEN_MIN = Duration.ofMinutes(10);

  private static Backup.Builder base(String project, String id, Server server, long sizeMb, Instant createdAt) {
    return Backup.builder().id(id).name("n_" + Math.abs(id.hashCode())).projectId(project).server(server)
        .sizeMb(sizeMb).createdAt(createdAt);
  }

  private static Backup available(String project, String id, Server server, long sizeMb, Instant createdAt) {
    return base(project, id, server, sizeMb, createdAt).status(BackupStatus.AVAILABLE).build();
  }

  private static Server srv(String id, String name) {
    return Server.of(id, name, "eu-de-01");
  }

  // ---------------------------------------------------------------- model-based random run

  /** Everything the docs promise about a project, computed from the backups alone. */
  private static UsageReport expectedUsage(List<Backup> counted, long offset, int limit) {
    Map<String, long[]> totals = new HashMap<>();
    Map<String, Backup> newest = new HashMap<>();
    long size = 0;
    for (Backup b : counted) {
      size += b.sizeMb();
      long[] t = totals.computeIfAbsent(b.server().id(), k -> new long[2]);
      t[0]++;
      t[1] += b.sizeMb();
      Backup n = newest.get(b.server().id());
      if (n == null || b.createdAt().isAfter(n.createdAt())
          || (b.createdAt().equals(n.createdAt()) && b.id().compareTo(n.id()) > 0)) {
        newest.put(b.server().id(), b);
      }
    }
    List<ServerUsage> lines = new ArrayList<>();
    totals.forEach((id, t) -> lines.add(new ServerUsage(id, newest.get(id).server().name(), t[0], t[1])));
    lines.sort(Comparator.comparingLong(ServerUsage::sizeMb).reversed()
        .thenComparing(Comparator.comparingLong(ServerUsage::backups).reversed())
        .thenComparing(ServerUsage::serverId));
    List<ServerUsage> page = new ArrayList<>();
    for (long i = offset; i < lines.size() && page.size() < limit; i++) {
      page.add(lines.get((int) i));
    }
    return new UsageReport(counted.size(), size, lines.size(), page);
  }

  /** My reading of the quota docs: which quota a new batch exceeds (backups checked first), or null. */
  private static String exceeded(Quota q, long backups, long sizeMb, long moreBackups, long moreMb) {
    if (q.maxBackups() != Quota.UNLIMITED && backups + moreBackups > q.maxBackups()) {
      return "backups";
    }
    if (q.maxCapacityGb() != Quota.UNLIMITED && sizeMb + moreMb > q.maxCapacityGb() * 1024) {
      return "backup_capacity";
    }
    return null;
  }

  private static Transition randomTransition(Random r) {
    switch (r.nextInt(8)) {
      case 0: return Transition.restore();
      case 1: return Transition.instantRestore();
      case 2: return Transition.delete();
      case 3: return Transition.complete();
      case 4: return Transition.fail("disk é " + r.nextInt(9));
      case 5: return Transition.reportProgress(r.nextInt(5) == 0 ? 100 : r.nextInt(102) - 1);
      case 6: return Transition.reportProgress(r.nextInt(3) * 50);
      default: return Transition.complete();
    }
  }

  @Test
  void aRandomRunAgreesWithTheLifecycleStallRuleUsageAndQuotasAtEveryStep() {
    randomRun(TEN_MIN, Duration.ofSeconds(1), 1500);
  }

  @Test
  void aRandomRunAtNanosecondsWithAThreeNanosecondThreshold() {
    randomRun(Duration.ofNanos(3), Duration.ofNanos(1), 600);
  }

  private void randomRun(Duration threshold, Duration unit, int steps) {
    long seed = Seeds.pick();  // -Dcsbs.seed=N replays a failure
    Random r = new Random(seed);
    String ctx = "seed " + seed + ", threshold " + threshold;
    FakeClock clock = FakeClock.at(T0);
    StallRule rule = StallRule.ofThreshold(threshold);
    Duration window = unit.multipliedBy(900);
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(rule).build();
    String[] projects = {"p-α", "p-b", "p-𝒞"};
    Server[][] servers = new Server[6][];
    for (int s = 0; s < 6; s++) {
      String sid = new String[] {"s-0", "\uE000", "\uD835\uDC9E", "ß", "S", "s-5"}[s];
      servers[s] = new Server[] {srv(sid, "web-" + s), srv(sid, "renamed-" + s + "-ü")};
    }
    Map<String, Map<String, Backup>> model = new TreeMap<>();
    Map<String, Quota> quotas = new HashMap<>();
    Map<String, Long> sequences = new HashMap<>();
    for (String p : projects) {
      model.put(p, new LinkedHashMap<>());
      quotas.put(p, Quota.NONE);
    }
    int next = 0;
    for (int step = 0; step < steps; step++) {
      String where = ctx + ", step " + step;
      String p = projects[r.nextInt(projects.length)];
      Map<String, Backup> backups = model.get(p);
      int action = r.nextInt(20);
      Instant now = clock.instant();
      if (action < 6) {
        // a new backup, in any state, sometimes from the clock's future
        Instant created = now.minus(unit.multipliedBy(r.nextInt(7200))).plusNanos(r.nextInt(3) - 1);
        if (r.nextInt(10) == 0) {
          created = now.plus(unit.multipliedBy(r.nextInt(1200)));
        }
        BackupStatus status = BackupStatus.values()[r.nextInt(5)];
        String id = r.nextInt(8) == 0 ? "b-" + (next - 1 - r.nextInt(Math.max(1, next))) : "b-" + next++;
        long size = r.nextInt(12) == 0 ? Backup.MAX_SIZE_MB : r.nextInt(6) == 0 ? 0
            : r.nextInt(3) == 0 ? 256L << r.nextInt(3) : r.nextInt(3000);
        Backup.Builder builder = base(p, id, servers[r.nextInt(6)][r.nextInt(2)], size, created)
            .status(status).type(r.nextBoolean() ? BackupType.ENHANCED : BackupType.COMMON);
        if (status.isIntermediate()) {
          builder.progress(Progress.of(r.nextInt(101), created.plus(unit.multipliedBy(r.nextInt(1200)))));
        }
        if (status == BackupStatus.ERROR || (status == BackupStatus.DELETING && r.nextBoolean())) {
          builder.failure(Failure.of(JobType.BACKUP, "boom", created));
        }
        for (int k = r.nextInt(3); k > 0; k--) {
          builder.addTags(Tag.of("env" + k, r.nextBoolean() ? "prod" : "тест"));
        }
        Backup b = builder.build();
        Class<?> expected = null;
        String quotaName = null;
        if (backups.containsKey(id)) {
          expected = io.csbs.catalog.DuplicateBackupException.class;
        } else {
          long used = backups.values().stream().mapToLong(Backup::sizeMb).sum();
          quotaName = exceeded(quotas.get(p), backups.size(), used, 1, size);
          expected = quotaName == null ? null : QuotaExceededException.class;
        }
        try {
          catalog.add(b);
          assertEquals(null, expected, where + ": add of " + b + " should be refused");
          backups.put(id, b);
          sequences.merge(p, 1L, Long::sum);
        } catch (RuntimeException e) {
          assertEquals(expected, e.getClass(), where + ": add of " + b + " refused: " + e);
          if (e instanceof QuotaExceededException q) {
            assertEquals(quotaName, q.quota(), where + ": " + e.getMessage());
            assertEquals(p, q.projectId(), where);
          }
        }
      } else if (action < 13 && !backups.isEmpty()) {
        List<Backup> list = new ArrayList<>(backups.values());
        Backup b = list.get(r.nextInt(list.size()));
        Transition t = randomTransition(r);
        Optional<Backup> expected = null;
        RuntimeException expectedError = null;
        try {
          expected = t.applyTo(b, now);
        } catch (IllegalTransitionException | InvalidValueException e) {
          expectedError = e;
        }
        try {
          Optional<Backup> got = catalog.apply(p, b.id(), b.version(), t);
          assertEquals(null, expectedError, where + ": " + t + " on " + b + " at " + now + " should be refused");
          assertEquals(expected, got, where + ": " + t + " on " + b);
          if (got.isEmpty() || got.get().version() != b.version()) {
            sequences.merge(p, 1L, Long::sum);
          }
          if (got.isPresent()) {
            backups.put(b.id(), got.get());
          } else {
            backups.remove(b.id());
          }
        } catch (IllegalTransitionException | InvalidValueException e) {
          assertTrue(expectedError != null, where + ": " + t + " on " + b + " at " + now + " refused: " + e);
          assertEquals(expectedError.getClass(), e.getClass(), where);
          assertEquals(expectedError.getMessage(), e.getMessage(), where);
        }
      } else if (action == 12) {
        // a batch over several projects: ids first, project by project in id order, then the quotas
        List<Backup> batch = new ArrayList<>();
        int n = 1 + r.nextInt(4);
        for (int k = 0; k < n; k++) {
          String bp = projects[r.nextInt(projects.length)];
          String id = r.nextInt(10) == 0 ? "b-" + (next - 1 - r.nextInt(Math.max(1, next))) : "b-" + next++;
          long size = r.nextInt(5) == 0 ? 0 : r.nextInt(2000);
          batch.add(available(bp, id, servers[r.nextInt(6)][r.nextInt(2)], size, now.minus(unit.multipliedBy(r.nextInt(900)))));
        }
        Class<?> expected = null;
        String expectedProject = null;
        Map<String, List<Backup>> byProject = new TreeMap<>();
        for (Backup b : batch) {
          byProject.computeIfAbsent(b.projectId(), k -> new ArrayList<>()).add(b);
        }
        outer:
        for (Map.Entry<String, List<Backup>> e : byProject.entrySet()) {
          java.util.Set<String> ids = new java.util.HashSet<>();
          for (Backup b : e.getValue()) {
            if (model.get(e.getKey()).containsKey(b.id()) || !ids.add(b.id())) {
              expected = io.csbs.catalog.DuplicateBackupException.class;
              expectedProject = e.getKey();
              break outer;
            }
          }
        }
        if (expected == null) {
          for (Map.Entry<String, List<Backup>> e : byProject.entrySet()) {
            Map<String, Backup> held = model.get(e.getKey());
            if (exceeded(quotas.get(e.getKey()), held.size(), held.values().stream().mapToLong(Backup::sizeMb).sum(),
                e.getValue().size(), e.getValue().stream().mapToLong(Backup::sizeMb).sum()) != null) {
              expected = QuotaExceededException.class;
              expectedProject = e.getKey();
              break;
            }
          }
        }
        try {
          catalog.addAll(batch);
          assertEquals(null, expected, where + ": addAll of " + batch + " should be refused in " + expectedProject);
          for (Backup b : batch) {
            model.get(b.projectId()).put(b.id(), b);
            sequences.merge(b.projectId(), 1L, Long::sum);
          }
        } catch (io.csbs.catalog.DuplicateBackupException | QuotaExceededException e) {
          assertEquals(expected, e.getClass(), where + ": addAll of " + batch + " refused: " + e);
          assertTrue(e.getMessage().contains("project " + expectedProject), where + ": " + e.getMessage());
        }
      } else if (action == 11 && !backups.isEmpty()) {
        List<Backup> list = new ArrayList<>(backups.values());
        Backup b = list.get(r.nextInt(list.size()));
        io.csbs.backup.TagUpdate u = r.nextBoolean()
            ? io.csbs.backup.TagUpdate.create(Tag.of("env" + r.nextInt(3), r.nextBoolean() ? "prod" : "тест"))
            : io.csbs.backup.TagUpdate.delete(io.csbs.backup.TagUpdate.Match.key("env" + r.nextInt(3)));
        Backup expected = null;
        RuntimeException expectedError = null;
        try {
          expected = u.applyTo(b, now);
        } catch (InvalidValueException e) {
          expectedError = e;
        }
        try {
          Backup got = catalog.updateTags(p, b.id(), b.version(), u);
          assertEquals(null, expectedError, where + ": " + u + " on " + b + " should be refused");
          assertEquals(expected, got, where + ": " + u + " on " + b);
          if (got.version() != b.version()) {
            sequences.merge(p, 1L, Long::sum);
          }
          backups.put(b.id(), got);
        } catch (InvalidValueException e) {
          assertTrue(expectedError != null, where + ": " + u + " on " + b + " refused: " + e);
          assertEquals(expectedError.getMessage(), e.getMessage(), where);
        }
      } else if (action == 13 && !backups.isEmpty()) {
        List<Backup> list = new ArrayList<>(backups.values());
        Backup b = list.get(r.nextInt(list.size()));
        catalog.remove(p, b.id(), b.version());
        backups.remove(b.id());
        sequences.merge(p, 1L, Long::sum);
      } else if (action == 14) {
        Quota q = r.nextInt(3) == 0 ? Quota.NONE
            : Quota.of(r.nextInt(4) == 0 ? -1 : r.nextInt(12),
                r.nextInt(4) == 0 ? -1 : r.nextBoolean() ? r.nextInt(4) : r.nextInt(3000));
        catalog.setQuota(p, q);
        quotas.put(p, q);
      } else {
        // the clock: a threshold exactly, a nanosecond either side, or backwards
        switch (r.nextInt(6)) {
          case 0: clock.advance(threshold); break;
          case 1: clock.advance(Duration.ofNanos(1)); break;
          case 2: clock.set(now.minusNanos(1)); break;
          case 3: clock.set(now.minus(threshold.multipliedBy(r.nextInt(3)))); break;
          default: clock.advance(unit.multipliedBy(r.nextInt(400))); break;
        }
      }
      // every promise, checked at every step
      Instant at = clock.instant();
      for (String project : projects) {
        List<Backup> all = new ArrayList<>(model.get(project).values());
        List<Backup> stalled = new ArrayList<>();
        List<Backup> running = new ArrayList<>();
        for (Backup b : all) {
          if (rule.isStalled(b, at)) {
            stalled.add(b);
          }
          if (b.status().isIntermediate()) {
            running.add(b);
          }
        }
        String w = where + ", project " + project + " at " + at;
        assertEquals((long) sequences.getOrDefault(project, 0L), catalog.sequence(project), w + ": sequence");
        assertEquals(stalled.size(), catalog.count(project, Predicates.stalled()), w + ": stalled count");
        assertEquals(expectedUsage(all, 0, 1000), catalog.usage(project, UsageQuery.firstServers(1000)), w + ": usage");
        assertEquals(expectedUsage(all, 2, 3), catalog.usage(project, UsageQuery.of(Predicates.all(), 2, 3)),
            w + ": usage page");
        assertEquals(expectedUsage(stalled, 0, 1000),
            catalog.usage(project, UsageQuery.of(Predicates.stalled(), 0, 1000)), w + ": stalled usage");
        assertEquals(expectedUsage(running, 1, 2), catalog.usage(project, UsageQuery.of(
            Predicates.status(BackupStatus.CREATING, BackupStatus.RESTORING, BackupStatus.DELETING), 1, 2)),
            w + ": running usage");
        List<Backup> notStalled = new ArrayList<>(all);
        notStalled.removeAll(stalled);
        List<Backup> stalledOrError = new ArrayList<>();
        List<Backup> stalledEnhanced = new ArrayList<>();
        List<Backup> recent = new ArrayList<>();
        for (Backup b : all) {
          if (stalled.contains(b) || b.status() == BackupStatus.ERROR) {
            stalledOrError.add(b);
          }
          if (stalled.contains(b) && b.type() == BackupType.ENHANCED) {
            stalledEnhanced.add(b);
          }
          if (!b.createdAt().isBefore(at.minus(window)) && !b.createdAt().isAfter(at)) {
            recent.add(b);
          }
        }
        assertEquals(notStalled.size(), catalog.count(project, Predicates.not(Predicates.stalled())), w + ": not stalled");
        io.csbs.query.Page page = catalog.query(project,
            io.csbs.query.Query.builder().where(Predicates.stalled()).limit(1000).build());
        assertEquals(stalled.size(), page.total(), w + ": stalled page total");
        assertEquals(new java.util.HashSet<>(stalled), new java.util.HashSet<>(page.backups()), w + ": stalled page");
        assertEquals(expectedUsage(stalledOrError, 0, 4), catalog.usage(project, UsageQuery.of(
            Predicates.or(Predicates.stalled(), Predicates.status(BackupStatus.ERROR)), 0, 4)), w + ": stalled or error");
        assertEquals(expectedUsage(stalledEnhanced, 0, 1000), catalog.usage(project, UsageQuery.of(
            Predicates.and(Predicates.type(BackupType.ENHANCED), Predicates.stalled()), 0, 1000)), w + ": stalled enhanced");
        assertEquals(recent.size(), catalog.count(project, Predicates.createdWithinLast(window)),
            w + ": created within the last 15 minutes");
        assertEquals(expectedUsage(recent, 0, 1000), catalog.usage(project, UsageQuery.of(
            Predicates.createdWithinLast(window), 0, 1000)), w + ": recent usage");
        List<Backup> prod = new ArrayList<>();
        for (Backup b : all) {
          if (b.tagValue("env1").equals(Optional.of("prod")) && b.status() != BackupStatus.ERROR) {
            prod.add(b);
          }
        }
        BackupPredicate prodWhere = Predicates.and(Predicates.tag("env1", "prod"),
            Predicates.not(Predicates.status(BackupStatus.ERROR)));
        assertEquals(prod.size(), catalog.count(project, prodWhere), w + ": tagged count");
        assertEquals(expectedUsage(prod, 0, 2), catalog.usage(project, UsageQuery.of(prodWhere, 0, 2)), w + ": tagged usage");
        long used = all.stream().mapToLong(Backup::sizeMb).sum();
        assertEquals(new QuotaUsage(quotas.get(project), all.size(), used), catalog.quotaUsage(project),
            w + ": quota usage");
      }
    }
  }

  // ---------------------------------------------------------------- targeted edges

  private static Backup running(BackupStatus status, int percent, Instant changedAt, Instant created) {
    return base("p-1", "b-run", srv("s-1", "web"), 10, created).status(status)
        .progress(Progress.of(percent, changedAt)).build();
  }

  @Test
  void theLastVersionReturnsItselfForTheSamePercentage() {
    Backup b = running(BackupStatus.RESTORING, 40, T0, T0).toBuilder().version(Long.MAX_VALUE).build();
    assertSame(b, Lifecycle.reportProgress(b, 40, T0.plusSeconds(1)));
    InvalidValueException e = assertThrows(InvalidValueException.class,
        () -> Lifecycle.reportProgress(b, 41, T0.plusSeconds(1)));
    assertEquals("version", e.field());
    assertTrue(e.getMessage().contains(String.valueOf(Long.MAX_VALUE)), e.getMessage());
    Backup tagged = available("p-1", "b-1", srv("s-1", "web"), 5, T0).toBuilder().version(Long.MAX_VALUE)
        .tags(List.of(Tag.of("k", "v"))).build();
    assertSame(tagged, io.csbs.backup.TagUpdate.create(Tag.of("k", "v")).applyTo(tagged, T0.plusSeconds(1)));
  }

  @Test
  void theLastVersionInACatalogIsRefusedAndNothingChanges() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    Backup b = available("p-1", "b-1", srv("s-1", "web"), 5, T0).toBuilder().version(Long.MAX_VALUE).build();
    catalog.add(b);
    long seq = catalog.sequence("p-1");
    clock.advance(Duration.ofSeconds(1));
    for (Transition t : List.of(Transition.restore(), Transition.delete())) {
      InvalidValueException e = assertThrows(InvalidValueException.class,
          () -> catalog.apply("p-1", "b-1", Long.MAX_VALUE, t));
      assertEquals("version", e.field());
    }
    assertEquals(b, catalog.get("p-1", "b-1"));
    assertEquals(seq, catalog.sequence("p-1"));
    // still readable, countable and removable
    catalog.remove("p-1", "b-1", Long.MAX_VALUE);
    assertEquals(0, catalog.quotaUsage("p-1").backupsUsed());
  }

  @Test
  void everyStateTimesEveryTransition() {
    Instant now = T0.plusSeconds(60);
    for (BackupType type : BackupType.values()) {
      for (BackupStatus status : BackupStatus.values()) {
        Backup.Builder builder = base("p-1", "b-" + status, srv("s-1", "web"), 1, T0).status(status).type(type);
        if (status.isIntermediate()) {
          builder.progress(Progress.of(30, T0));
        }
        if (status == BackupStatus.ERROR) {
          builder.failure(Failure.of(JobType.RESTORE, "x", T0));
        }
        Backup b = builder.build();
        for (Transition t : List.of(Transition.restore(), Transition.instantRestore(), Transition.delete(),
            Transition.reportProgress(60), Transition.complete(), Transition.fail("lost"))) {
          String name = t instanceof Transition.Start ? t.toString()
              : t instanceof Transition.ReportProgress ? "progress" : t == Transition.complete() ? "complete" : "fail";
          boolean allowed = Lifecycle.allowedTransitions(b).contains(name);
          String w = type + " " + status + " " + t;
          if (allowed) {
            Optional<Backup> next = t.applyTo(b, now);
            if (next.isPresent()) {
              assertEquals(b.version() + 1, next.get().version(), w);
              assertEquals(now, next.get().updatedAt(), w);
              assertEquals(next.get().status(), next.get().apiStatus().state().orElseThrow(), w);
            } else {
              assertEquals(BackupStatus.DELETING, status, w);
            }
          } else {
            IllegalTransitionException e = assertThrows(IllegalTransitionException.class, () -> t.applyTo(b, now), w);
            assertEquals(status, e.status(), w);
            assertEquals(name, e.attempted(), w);
            assertEquals(Lifecycle.allowedTransitions(b), e.allowed(), w);
            assertEquals(status.isIntermediate() ? ErrorCode.BACKUP_BUSY : ErrorCode.TRANSITION_NOT_ALLOWED,
                e.code(), w);
            assertTrue(e.getMessage().startsWith("backup " + b.id() + " is " + status + ": " + name + " is refused"),
                e.getMessage());
            assertTrue(e.getMessage().endsWith(status + " allows " + String.join(", ", e.allowed())), e.getMessage());
          }
        }
        // the documented table
        List<String> expected = status.isIntermediate() ? List.of("progress", "complete", "fail")
            : status == BackupStatus.ERROR ? List.of("delete")
            : type == BackupType.ENHANCED ? List.of("restore", "instant restore", "delete")
            : List.of("restore", "delete");
        assertEquals(expected, Lifecycle.allowedTransitions(b), type + " " + status);
      }
    }
  }

  @Test
  void progressAndFailureTimesAtTheEdges() {
    // a job that started in the same instant as the creation, reported at the creation instant
    Backup c = running(BackupStatus.CREATING, 0, T0, T0);
    Backup same = Lifecycle.reportProgress(c, 0, T0);
    assertSame(c, same);
    Backup hundred = Lifecycle.reportProgress(c, 100, T0);
    assertEquals(Progress.of(100, T0), hundred.progress().orElseThrow());
    assertSame(hundred, Lifecycle.reportProgress(hundred, 100, T0.plusSeconds(5)));
    InvalidValueException above = assertThrows(InvalidValueException.class,
        () -> Lifecycle.reportProgress(hundred, 101, T0));
    assertEquals("progress", above.field());
    InvalidValueException lower = assertThrows(InvalidValueException.class,
        () -> Lifecycle.reportProgress(hundred, 99, T0));
    assertEquals("progress", lower.field());
    Backup failed = Lifecycle.fail(c, "x".repeat(Failure.MAX_REASON_LENGTH), T0);
    assertEquals(T0, failed.failure().orElseThrow().failedAt());
    assertEquals(Optional.of(T0), failed.finishedAt());
    InvalidValueException tooLong = assertThrows(InvalidValueException.class,
        () -> Lifecycle.fail(c, "x".repeat(Failure.MAX_REASON_LENGTH + 1), T0));
    assertEquals("failure reason", tooLong.field());
    InvalidValueException blank = assertThrows(InvalidValueException.class, () -> Lifecycle.fail(c, " \t", T0));
    assertEquals("failure reason", blank.field());
    // the far future
    Backup far = Lifecycle.reportProgress(c, 1, Instant.MAX);
    assertEquals(Instant.MAX, far.updatedAt());
    assertEquals(Optional.of(Instant.MAX), Lifecycle.complete(far, Instant.MAX).orElseThrow().finishedAt());
    // a now one nanosecond before the last change
    InvalidValueException early = assertThrows(InvalidValueException.class,
        () -> Lifecycle.complete(hundred.toBuilder().updatedAt(T0.plusSeconds(1)).build(), T0.plusSeconds(1).minusNanos(1)));
    assertEquals("now", early.field());
  }

  @Test
  void finishedAtFollowsTheJobThatEnds() {
    Instant t1 = T0.plusSeconds(10);
    Instant t2 = T0.plusSeconds(20);
    Backup avail = available("p-1", "b-1", srv("s-1", "web"), 1, T0).toBuilder().finishedAt(T0.plusSeconds(1)).build();
    Backup restored = Lifecycle.complete(Lifecycle.restore(avail, t1), t2).orElseThrow();
    assertEquals(Optional.of(T0.plusSeconds(1)), restored.finishedAt(), "a restore does not move finishedAt");
    Backup failedRestore = Lifecycle.fail(Lifecycle.restore(avail, t1), "r", t2);
    assertEquals(Optional.of(T0.plusSeconds(1)), failedRestore.finishedAt());
    assertEquals(JobType.RESTORE, failedRestore.failure().orElseThrow().job());
    Backup failedDelete = Lifecycle.fail(Lifecycle.delete(failedRestore, t2), "d", t2);
    assertEquals(JobType.DELETE, failedDelete.failure().orElseThrow().job());
    assertEquals(Optional.of(T0.plusSeconds(1)), failedDelete.finishedAt());
    assertEquals(avail.version() + 4, failedDelete.version());
  }

  @Test
  void stallThresholdBoundariesOnACatalogWithAMovingClock() {
    FakeClock clock = FakeClock.at(T0);
    Duration threshold = Duration.ofNanos(1_000_000_007L);
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(threshold)).build();
    catalog.add(base("p-1", "b-1", srv("s-1", "web"), 7, T0).status(BackupStatus.CREATING)
        .progress(Progress.of(0, T0)).build());
    clock.set(T0.plus(threshold));
    assertEquals(0, catalog.count("p-1", Predicates.stalled()), "exactly at the threshold: not yet");
    clock.set(T0.plus(threshold).plusNanos(1));
    assertEquals(1, catalog.count("p-1", Predicates.stalled()), "one ns after");
    assertEquals(1, catalog.usage("p-1", UsageQuery.of(Predicates.stalled(), 0, 1)).backups());
    clock.set(T0.plus(threshold).minusNanos(1));
    assertEquals(0, catalog.count("p-1", Predicates.stalled()), "back one ns before");
    clock.set(T0.minusSeconds(3600));
    assertEquals(0, catalog.count("p-1", Predicates.stalled()), "clock before the progress");
    assertEquals(0, catalog.count("p-1", Predicates.not(Predicates.not(Predicates.stalled()))));
    // the same percentage again keeps the progress time: the stall keeps counting
    clock.set(T0.plus(threshold).plusNanos(1));
    Optional<Backup> same = catalog.apply("p-1", "b-1", 1, Transition.reportProgress(0));
    assertEquals(1, same.orElseThrow().version());
    assertEquals(T0, same.orElseThrow().updatedAt());
    assertEquals(1, catalog.count("p-1", Predicates.stalled()));
    assertEquals(1, catalog.sequence("p-1"));
    Backup moved = catalog.apply("p-1", "b-1", 1, Transition.reportProgress(1)).orElseThrow();
    assertEquals(0, catalog.count("p-1", Predicates.stalled()));
    assertEquals(clock.instant(), moved.progress().orElseThrow().changedAt());
    // the clock moving backwards: the change is refused naming now, nothing changes
    clock.set(clock.instant().minusNanos(1));
    InvalidValueException e = assertThrows(InvalidValueException.class,
        () -> catalog.apply("p-1", "b-1", 2, Transition.reportProgress(2)));
    assertEquals("now", e.field());
    assertEquals(moved, catalog.get("p-1", "b-1"));
    assertEquals(2, catalog.sequence("p-1"));
  }

  @Test
  void stallRuleValuesAndEdges() {
    StallRule oneNs = StallRule.ofThreshold(Duration.ofNanos(1));
    assertTrue(oneNs.isStalled(T0, T0.plusNanos(2)));
    assertFalse(oneNs.isStalled(T0, T0.plusNanos(1)));
    assertFalse(oneNs.isStalled(T0, T0.minusSeconds(1)));
    assertEquals(StallRule.DEFAULT, StallRule.ofThreshold(Duration.ofSeconds(1800)));
    assertEquals(StallRule.DEFAULT.hashCode(), new StallRule(Duration.ofMinutes(30)).hashCode());
    for (Duration bad : List.of(Duration.ZERO, Duration.ofNanos(-1))) {
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> StallRule.ofThreshold(bad));
      assertEquals("stall threshold", e.field());
    }
    Backup avail = available("p-1", "b-1", srv("s-1", "web"), 1, T0);
    assertFalse(oneNs.isStalled(avail, Instant.MAX));
    assertEquals(Instant.MIN, StallRule.DEFAULT.stalledIfChangedBefore(Instant.MIN));
    assertEquals(Instant.MAX.minus(Duration.ofMinutes(30)), StallRule.DEFAULT.stalledIfChangedBefore(Instant.MAX));
  }

  @Test
  void quotaBoundariesAsDocumented() {
    Quota q = Quota.of(2, 1);  // 2 backups, 1 GB = 1024 MB
    q.checkRoomFor("p", 0, 0, 2, 1024);              // exact fit
    q.checkRoomFor("p", 1, 1024, 1, 0);               // exactly at capacity: 0 MB still fits
    QuotaExceededException over = assertThrows(QuotaExceededException.class, () -> q.checkRoomFor("p", 0, 0, 1, 1025));
    assertEquals("backup_capacity", over.quota());
    assertEquals("quota backup_capacity of project p (limit 1 GB) is exceeded: used 0 MB, asked 1.00 GB (1025 MB) more",
        over.getMessage());
    QuotaExceededException both = assertThrows(QuotaExceededException.class, () -> q.checkRoomFor("p", 2, 1024, 1, 1));
    assertEquals("backups", both.quota());
    assertEquals("quota backups of project p (limit 2 backups) is exceeded: used 2 backups, asked 1 more",
        both.getMessage());
    QuotaExceededException beyond = assertThrows(QuotaExceededException.class, () -> q.checkRoomFor("p", 1, 1025, 0, 0));
    assertEquals("backup_capacity", beyond.quota());
    assertEquals("p", beyond.projectId());
    assertEquals(ErrorCode.QUOTA_EXCEEDED, beyond.code());
    Quota one = Quota.of(1, -1);
    QuotaExceededException single = assertThrows(QuotaExceededException.class, () -> one.checkRoomFor("p", 1, 0, 1, 0));
    assertTrue(single.getMessage().contains("(limit 1 backup)") && single.getMessage().contains("used 1 backup,"),
        single.getMessage());
    // the largest quota and sums
    Quota max = Quota.of(Long.MAX_VALUE, Quota.MAX_CAPACITY_GB);
    max.checkRoomFor("p", Long.MAX_VALUE - 1, Quota.MAX_CAPACITY_GB * 1024 - Backup.MAX_SIZE_MB, 1, Backup.MAX_SIZE_MB);
    assertThrows(QuotaExceededException.class,
        () -> max.checkRoomFor("p", 0, Quota.MAX_CAPACITY_GB * 1024 - Backup.MAX_SIZE_MB + 1, 1, Backup.MAX_SIZE_MB));
    InvalidValueException cap = assertThrows(InvalidValueException.class, () -> Quota.of(0, Quota.MAX_CAPACITY_GB + 1));
    assertEquals("backup_capacity", cap.field());
    assertEquals("backups", assertThrows(InvalidValueException.class, () -> Quota.of(-2, 0)).field());
    assertEquals("backup_capacity", assertThrows(InvalidValueException.class, () -> Quota.of(0, -2)).field());
    assertEquals(Quota.NONE, Quota.of(-1, -1));
    assertEquals("Quota[maxBackups=-1, maxCapacityGb=-1]", Quota.NONE.toString());
  }

  @Test
  void quotaUsageRemainingAndRounding() {
    QuotaUsage exact = new QuotaUsage(Quota.of(3, 2), 3, 2048);
    assertEquals(java.util.OptionalLong.of(0), exact.backupsRemaining());
    assertEquals(java.util.OptionalLong.of(0), exact.capacityRemainingMb());
    QuotaUsage over = new QuotaUsage(Quota.of(1, 1), 5, 5000);
    assertEquals(java.util.OptionalLong.of(0), over.backupsRemaining());
    assertEquals(java.util.OptionalLong.of(0), over.capacityRemainingMb());
    QuotaUsage max = new QuotaUsage(Quota.of(Long.MAX_VALUE, Quota.MAX_CAPACITY_GB), 0, 0);
    assertEquals(java.util.OptionalLong.of(Long.MAX_VALUE), max.backupsRemaining());
    assertEquals(java.util.OptionalLong.of(Quota.MAX_CAPACITY_GB * 1024), max.capacityRemainingMb());
    assertEquals(new java.math.BigDecimal("0.00"), new QuotaUsage(Quota.NONE, 1, 5).capacityUsedGb());
    assertEquals(new java.math.BigDecimal("0.01"), new QuotaUsage(Quota.NONE, 1, 6).capacityUsedGb());  // 0.00586 up
    assertEquals(new java.math.BigDecimal("1.00"), new QuotaUsage(Quota.NONE, 1, 1029).capacityUsedGb()); // 1.0049
    assertEquals(new java.math.BigDecimal("1.01"), new QuotaUsage(Quota.NONE, 1, 1030).capacityUsedGb()); // 1.0059
  }

  @Test
  void aCatalogsQuotaAtZeroExactFitOneOverAndLowered() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    String p = "проект-1";
    catalog.setQuota(p, Quota.of(-1, 0));
    catalog.add(available(p, "zero", srv("s", "w"), 0, T0));  // exactly at a 0 GB capacity: 0 MB fits
    assertThrows(QuotaExceededException.class, () -> catalog.add(available(p, "one", srv("s", "w"), 1, T0)));
    catalog.setQuota(p, Quota.of(4, 1));
    catalog.add(available(p, "b-1", srv("s", "w"), 1000, T0));
    catalog.add(available(p, "b-2", srv("s", "w"), 24, T0));    // 1024 MB: exact fit
    QuotaExceededException e = assertThrows(QuotaExceededException.class,
        () -> catalog.add(available(p, "b-3", srv("s", "w"), 1, T0)));
    assertEquals("quota backup_capacity of project " + p + " (limit 1 GB) is exceeded: used 1.00 GB (1024 MB), asked 1 MB more",
        e.getMessage());
    catalog.add(available(p, "b-0", srv("s", "w"), 0, T0));     // the fourth backup, 0 MB, at capacity
    assertEquals("backups", assertThrows(QuotaExceededException.class,
        () -> catalog.add(available(p, "b-4", srv("s", "w"), 0, T0))).quota());
    catalog.setQuota(p, Quota.of(1, 0));                        // lowered below use
    QuotaUsage u = catalog.quotaUsage(p);
    assertEquals(new QuotaUsage(Quota.of(1, 0), 4, 1024), u);
    assertEquals(java.util.OptionalLong.of(0), u.backupsRemaining());
    assertEquals(4, catalog.quotaUsage(p).backupsUsed(), "backups already there stay");
    // removing down to exactly the quota: a 0 MB backup fits again only if the backups quota allows
    catalog.setQuota(p, Quota.of(-1, 0));
    assertThrows(QuotaExceededException.class, () -> catalog.add(available(p, "z", srv("s", "w"), 0, T0)));
    catalog.remove(p, "b-1", 1);
    catalog.remove(p, "b-2", 1);
    catalog.add(available(p, "z", srv("s", "w"), 0, T0));
    assertEquals(3, catalog.quotaUsage(p).backupsUsed());
    assertEquals(new QuotaUsage(Quota.of(-1, 0), 3, 0), catalog.quotaUsage(p));
  }

  @Test
  void usagePagesAtTheirBounds() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    for (int i = 0; i < 5; i++) {
      catalog.add(available("p-1", "b-" + i, srv("s-" + i, "web-" + i), 100 * i, T0));
    }
    UsageReport far = catalog.usage("p-1", UsageQuery.of(Predicates.all(), Long.MAX_VALUE, UsageQuery.MAX_LIMIT));
    assertEquals(new UsageReport(5, 1000, 5, List.of()), far);
    UsageReport farRestricted = catalog.usage("p-1",
        UsageQuery.of(Predicates.status(BackupStatus.AVAILABLE), Long.MAX_VALUE, UsageQuery.MAX_LIMIT));
    assertEquals(new UsageReport(5, 1000, 5, List.of()), farRestricted);
    UsageReport last = catalog.usage("p-1", UsageQuery.of(Predicates.all(), 4, 1000));
    assertEquals(List.of(new ServerUsage("s-0", "web-0", 1, 0)), last.servers());
    assertEquals(new UsageReport(0, 0, 0, List.of()), catalog.usage("unknown", UsageQuery.firstServers(1)));
    assertEquals(new UsageReport(0, 0, 0, List.of()), catalog.usage("p-1", UsageQuery.of(Predicates.none(), 0, 1)));
    assertEquals(new QuotaUsage(Quota.NONE, 0, 0), catalog.quotaUsage("unknown"));
    assertEquals("limit", assertThrows(InvalidValueException.class, () -> UsageQuery.firstServers(0)).field());
    assertEquals("limit", assertThrows(InvalidValueException.class, () -> UsageQuery.firstServers(1001)).field());
    assertEquals("offset", assertThrows(InvalidValueException.class,
        () -> UsageQuery.of(Predicates.all(), -1, 1)).field());
    assertEquals(UsageQuery.firstServers(20), UsageQuery.of(Predicates.all(), 0, 20));
  }

  @Test
  void usageNamesTheServerAfterTheNewestRemainingBackup() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(available("p-1", "a", srv("s-1", "old-name"), 1, T0));
    catalog.add(available("p-1", "b", srv("s-1", "new-name"), 1, T0.plusSeconds(1)));
    // same instant, greater id as String.compareTo: "\uD835\uDC9E" (U+1D49E) sorts before "\uE000"
    catalog.add(available("p-1", "\uE000", srv("s-2", "private-use"), 1, T0));
    catalog.add(available("p-1", "\uD835\uDC9E", srv("s-2", "script-c"), 1, T0));
    UsageReport r = catalog.usage("p-1", UsageQuery.firstServers(10));
    assertEquals(List.of(new ServerUsage("s-1", "new-name", 2, 2), new ServerUsage("s-2", "private-use", 2, 2)),
        r.servers());
    catalog.remove("p-1", "b", 1);
    catalog.remove("p-1", "\uE000", 1);
    r = catalog.usage("p-1", UsageQuery.firstServers(10));
    assertEquals(List.of(new ServerUsage("s-1", "old-name", 1, 1), new ServerUsage("s-2", "script-c", 1, 1)),
        r.servers());
    // a completed deletion of the newest, through the lifecycle
    catalog.add(available("p-1", "c", srv("s-1", "newest"), 1, T0.plusSeconds(5)));
    clock.set(T0.plusSeconds(5));
    assertEquals("newest", catalog.usage("p-1", UsageQuery.firstServers(1)).servers().get(0).serverName());
    catalog.apply("p-1", "c", 1, Transition.delete());
    catalog.apply("p-1", "c", 2, Transition.complete());
    assertEquals(List.of(new ServerUsage("s-1", "old-name", 1, 1), new ServerUsage("s-2", "script-c", 1, 1)),
        catalog.usage("p-1", UsageQuery.firstServers(10)).servers());
  }

  @Test
  void sizesAtZeroAndTheLargestSumExactly() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<Backup> batch = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      batch.add(available("p-1", "b-" + i, srv("s-" + (i % 3), "w"), i % 2 == 0 ? Backup.MAX_SIZE_MB : 0, T0));
    }
    catalog.addAll(batch);
    UsageReport r = catalog.usage("p-1", UsageQuery.firstServers(3));
    assertEquals(1000 * Backup.MAX_SIZE_MB, r.sizeMb());
    assertEquals(java.math.BigDecimal.valueOf(1000L * Backup.MAX_SIZE_MB).divide(java.math.BigDecimal.valueOf(1024), 2,
        java.math.RoundingMode.HALF_UP), r.capacityGb());
    long sum = r.servers().stream().mapToLong(ServerUsage::sizeMb).sum();
    assertEquals(r.sizeMb(), sum);
    assertEquals(1000 * Backup.MAX_SIZE_MB, catalog.quotaUsage("p-1").sizeMbUsed());
    assertEquals("size", assertThrows(InvalidValueException.class,
        () -> available("p-1", "x", srv("s", "w"), Backup.MAX_SIZE_MB + 1, T0)).field());
    assertEquals("size", assertThrows(InvalidValueException.class,
        () -> available("p-1", "x", srv("s", "w"), Long.MAX_VALUE, T0)).field());
    assertEquals("size", assertThrows(InvalidValueException.class,
        () -> available("p-1", "x", srv("s", "w"), -1, T0)).field());
  }

  @Test
  void idsNamesAndTagsAtTheirLengthLimits() {
    String sixtyFour = "i".repeat(64);
    Backup b = base("p".repeat(64), sixtyFour, srv("s".repeat(64), "n".repeat(255)), 0, T0)
        .status(BackupStatus.AVAILABLE).build();
    assertEquals(sixtyFour, b.id());
    assertEquals("id", assertThrows(InvalidValueException.class, () -> available("p", "i".repeat(65), srv("s", "w"), 0, T0)).field());
    assertEquals("project id", assertThrows(InvalidValueException.class,
        () -> available("p".repeat(65), "i", srv("s", "w"), 0, T0)).field());
    assertEquals("server name", assertThrows(InvalidValueException.class, () -> srv("s", "n".repeat(256))).field());
    assertEquals("server id", assertThrows(InvalidValueException.class, () -> srv(" ", "n")).field());
    String letters255 = "\uD835\uDC9E".repeat(255);  // 255 letters, 510 chars
    assertEquals(letters255, available("p", "i", srv("s", "w"), 0, T0).toBuilder().name(letters255).build().name());
    assertEquals("name", assertThrows(InvalidValueException.class,
        () -> available("p", "i", srv("s", "w"), 0, T0).toBuilder().name(letters255 + "a").build()).field());
    List<Tag> ten = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ten.add(Tag.of("κλειδί" + i + "-".repeat(29), "v".repeat(43)));
    }
    Backup tagged = available("p", "i", srv("s", "w"), 0, T0).toBuilder().tags(ten).build();
    assertEquals(ten, tagged.tags());
    InvalidValueException eleven = assertThrows(InvalidValueException.class,
        () -> tagged.toBuilder().addTags(Tag.of("k", "")).build());
    assertEquals("tags", eleven.field());
    InvalidValueException dup = assertThrows(InvalidValueException.class,
        () -> available("p", "i", srv("s", "w"), 0, T0).toBuilder().addTags(Tag.of("k", "a"), Tag.of(" k", "b")).build());
    assertEquals("tags", dup.field());
  }

  @Test
  void valueTypesEqualsHashCodeToStringAndToBuilderRoundTrips() {
    Backup queued = base("p-1", "b-1", srv("s-1", "web"), 3, T0).status(BackupStatus.CREATING)
        .apiStatus(ApiStatus.WAITING_PROTECT).progress(Progress.of(40, T0)).addTags(Tag.of(" k ", "v"))
        .version(7).build();
    Backup copy = queued.toBuilder().build();
    assertEquals(queued, copy);
    assertEquals(queued.hashCode(), copy.hashCode());
    assertEquals(ApiStatus.WAITING_PROTECT, copy.apiStatus());
    assertEquals("Backup{b-1 " + queued.name() + " Creating 40% v7}", queued.toString());
    Backup stable = queued.toBuilder().status(BackupStatus.AVAILABLE).progress(Optional.empty()).build();
    assertEquals(ApiStatus.AVAILABLE, stable.apiStatus());
    assertEquals(7, stable.version());
    assertNotEquals(queued, stable);
    assertEquals(IllegalStateException.class, assertThrows(IllegalStateException.class,
        () -> queued.toBuilder().version(8).version(9)).getClass());
    InvalidValueException v0 = assertThrows(InvalidValueException.class, () -> queued.toBuilder().version(0).build());
    assertEquals("version", v0.field());
    // a progress of the same percentage keeps the queued raw status; a higher one moves it on
    assertSame(queued, Lifecycle.reportProgress(queued, 40, T0.plusSeconds(1)));
    assertEquals(ApiStatus.PROTECTING, Lifecycle.reportProgress(queued, 41, T0.plusSeconds(1)).apiStatus());
    assertEquals(Tag.of("k", "v"), Tag.of(" k\t", "v "));
    assertEquals(Tag.of("k", "v").hashCode(), Tag.of(" k\t", "v ").hashCode());
    assertEquals(Progress.of(0, T0), Progress.of(0, T0));
    assertEquals(Failure.of(JobType.DELETE, "r", T0), Failure.of(JobType.DELETE, "r", T0));
    assertEquals(srv("s", "n"), Server.builder().id("s").name("n").availabilityZone("eu-de-01")
        .resourceType(Server.NOVA_SERVER).build());
    assertEquals(Transition.reportProgress(40), Transition.reportProgress(40));
    assertEquals(Transition.fail("é"), Transition.fail("é"));
    assertEquals(Transition.restore(), Transition.start(io.csbs.backup.Operation.RESTORE));
    assertEquals("progress -5%", Transition.reportProgress(-5).toString());
    assertEquals("fail: ", Transition.fail("").toString());
    assertEquals("instant restore", Transition.instantRestore().toString());
  }

  @Test
  void aRefusedTransitionInACatalogNamesItsFieldAndChangesNothing() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(base("p-1", "b-1", srv("s-1", "web"), 3, T0).status(BackupStatus.RESTORING)
        .progress(Progress.of(50, T0)).build());
    List<Object> seen = new ArrayList<>();
    catalog.subscribe(seen::add);
    Backup before = catalog.get("p-1", "b-1");
    clock.advance(Duration.ofSeconds(1));
    assertEquals("progress", assertThrows(InvalidValueException.class,
        () -> catalog.apply("p-1", "b-1", 1, Transition.reportProgress(49))).field());
    assertEquals("progress", assertThrows(InvalidValueException.class,
        () -> catalog.apply("p-1", "b-1", 1, Transition.reportProgress(101))).field());
    assertEquals("failure reason", assertThrows(InvalidValueException.class,
        () -> catalog.apply("p-1", "b-1", 1, Transition.fail(" "))).field());
    assertEquals("delete", assertThrows(IllegalTransitionException.class,
        () -> catalog.apply("p-1", "b-1", 1, Transition.delete())).attempted());
    assertEquals(before, catalog.apply("p-1", "b-1", 1, Transition.reportProgress(50)).orElseThrow());
    assertEquals(before, catalog.get("p-1", "b-1"));
    assertEquals(1, catalog.sequence("p-1"));
    assertEquals(List.of(), seen);
  }

  @Test
  void builderTextShowsTagsSetOnIt() {
    assertEquals("Backup.Builder{id=b-1, tags=[k=v], version=3}",
        Backup.builder().id("b-1").tags(List.of(Tag.of("k", "v"))).version(3).toString());
    assertEquals("Backup.Builder{id=b-1, sizeMb=0, tags=[k=v, ключ=значение]}",
        Backup.builder().id("b-1").addTags(Tag.of("k", "v")).sizeMb(0).addTags(Tag.of("ключ", "значение")).toString());
  }

  @Test
  void oneReadsUsageQuotaUseAndCountsAgreeWhileWritersChangeTheProject() throws Exception {
    long seed = Seeds.pick();  // -Dcsbs.seed=N replays a failure
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(Duration.ofSeconds(5))).build();
    String p = "p-並行";
    Quota quota = Quota.of(60, 40);
    catalog.setQuota(p, quota);
    java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.ConcurrentLinkedQueue<String> wrong = new java.util.concurrent.ConcurrentLinkedQueue<>();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    List<java.util.concurrent.Future<?>> writers = new ArrayList<>();
    for (int w = 0; w < 2; w++) {
      int writer = w;
      writers.add(pool.submit(() -> {
        Random r = new Random(seed + writer);
        for (int k = 0; k < 2500; k++) {
          String id = "w" + writer + "-" + r.nextInt(80);
          try {
            Optional<Backup> b = catalog.find(p, id);
            if (b.isEmpty()) {
              catalog.add(base(p, id, srv("s-" + r.nextInt(7), "web"), r.nextInt(1500), clock.instant())
                  .status(BackupStatus.CREATING).progress(Progress.of(0, clock.instant())).build());
            } else if (r.nextInt(6) == 0) {
              catalog.remove(p, id, b.get().version());
            } else {
              catalog.apply(p, id, b.get().version(), randomTransition(r));
            }
          } catch (IllegalTransitionException | InvalidValueException | QuotaExceededException
              | io.csbs.catalog.VersionConflictException | io.csbs.catalog.BackupNotFoundException expected) {
            // refusals of a random walk
          }
          if (writer == 0 && k % 50 == 0) {
            clock.advance(Duration.ofSeconds(1));
          }
        }
        return null;
      }));
    }
    List<java.util.concurrent.Future<?>> readers = new ArrayList<>();
    for (int rd = 0; rd < 2; rd++) {
      readers.add(pool.submit(() -> {
        int reads = 0;
        while (!done.get() || reads < 10) {
          reads++;
          catalog.read(p, view -> {
            UsageReport all = view.usage(UsageQuery.firstServers(1000));
            QuotaUsage used = view.quotaUsage();
            long stalled = view.count(Predicates.stalled());
            UsageReport stalledUsage = view.usage(UsageQuery.of(Predicates.stalled(), 0, 1000));
            long count = view.count(Predicates.all());
            String text = all + " " + used + " stalled " + stalled + " " + stalledUsage + " count " + count;
            if (all.backups() != used.backupsUsed() || all.sizeMb() != used.sizeMbUsed() || count != all.backups()
                || stalled != stalledUsage.backups()
                || all.servers().stream().mapToLong(ServerUsage::sizeMb).sum() != all.sizeMb()
                || all.servers().stream().mapToLong(ServerUsage::backups).sum() != all.backups()
                || all.serverCount() != all.servers().size()
                || used.backupsUsed() > quota.maxBackups() || used.sizeMbUsed() > quota.maxCapacityGb() * 1024) {
              wrong.add(text);
            }
            return null;
          });
        }
        return null;
      }));
    }
    try {
      for (java.util.concurrent.Future<?> f : writers) {
        f.get(60, java.util.concurrent.TimeUnit.SECONDS);
      }
      done.set(true);
      for (java.util.concurrent.Future<?> f : readers) {
        f.get(60, java.util.concurrent.TimeUnit.SECONDS);
      }
    } finally {
      done.set(true);
      pool.shutdownNow();
    }
    assertEquals(List.of(), new ArrayList<>(wrong), "seed " + seed);
  }

  private static List<ServerUsage> twoSmallServers() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(T0));
    catalog.add(available("p-1", "a-1", srv("s-a", "one-backup"), 3, T0));     // 3 MB: 0.00 GB
    catalog.add(available("p-1", "b-1", srv("s-b", "two-backups"), 1, T0));    // 2 MB in 2 backups: 0.00 GB
    catalog.add(available("p-1", "b-2", srv("s-b", "two-backups"), 1, T0));
    List<ServerUsage> lines = catalog.usage("p-1", UsageQuery.firstServers(10)).servers();
    assertEquals(lines.get(0).capacityGb(), lines.get(1).capacityGb(), "both lines show the same capacity");
    return lines;
  }

  @Test
  void serversAreOrderedByExactSizeInMbNotByTheShownCapacity() {
    List<ServerUsage> lines = twoSmallServers();
    assertEquals(List.of("s-a", "s-b"), List.of(lines.get(0).serverId(), lines.get(1).serverId()));
    assertEquals(new java.math.BigDecimal("0.00"), lines.get(0).capacityGb());
  }

  @Test
  void theLastVersionCompletesADeletionAndIsGone() {
    Backup deleting = running(BackupStatus.DELETING, 90, T0, T0).toBuilder().version(Long.MAX_VALUE).build();
    assertEquals(Optional.empty(), Lifecycle.complete(deleting, T0.plusSeconds(1)));
    assertEquals("version", assertThrows(InvalidValueException.class,
        () -> Lifecycle.fail(deleting, "x", T0.plusSeconds(1))).field());
    FakeClock clock = FakeClock.at(T0.plusSeconds(1));
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(deleting);
    assertEquals(Optional.empty(), catalog.apply("p-1", deleting.id(), Long.MAX_VALUE, Transition.complete()));
    assertEquals(Optional.empty(), catalog.find("p-1", deleting.id()));
    assertEquals(2, catalog.sequence("p-1"));
    assertEquals(new QuotaUsage(Quota.NONE, 0, 0), catalog.quotaUsage("p-1"));
  }

  /** A Creating backup last changed (updatedAt) at T0, whose progress says it changed a minute later. */
  private static Backup progressAfterItsLastChange() {
    return base("p-1", "b-late", srv("s-1", "web"), 1, T0).status(BackupStatus.CREATING)
        .progress(Progress.of(10, T0.plusSeconds(60))).build();
  }

  @Test
  void aProgressTimeAfterTheLastChangeIsBuiltAndThenMovesBack() {
    Backup b = progressAfterItsLastChange();
    assertEquals(T0, b.updatedAt());
    Backup next = Lifecycle.reportProgress(b, 20, T0.plusSeconds(1));
    assertEquals(T0.plusSeconds(1), next.progress().orElseThrow().changedAt());
    assertTrue(next.progress().orElseThrow().changedAt().isBefore(b.progress().orElseThrow().changedAt()));
    // the same goes for a failure and a finish after the last change
    Backup error = base("p-1", "b-err", srv("s-1", "web"), 1, T0).status(BackupStatus.ERROR)
        .failure(Failure.of(JobType.BACKUP, "x", T0.plusSeconds(60))).finishedAt(T0.plusSeconds(90)).build();
    assertEquals(T0, error.updatedAt());
    assertEquals(BackupStatus.DELETING, Lifecycle.delete(error, T0.plusSeconds(1)).status());
  }

  @Test
  void aTransitionsResultEqualsTheSameBackupBuiltByHand() {
    Instant now = T0.plusSeconds(30);
    Backup avail = available("p-1", "b-1", srv("s-1", "web"), 9, T0).toBuilder()
        .addTags(Tag.of("a", ""), Tag.of("ä", "ö")).finishedAt(T0.plusSeconds(5)).build();
    Backup restoring = Lifecycle.restore(avail, now);
    Backup byHand = avail.toBuilder().status(BackupStatus.RESTORING).progress(Progress.of(0, now)).updatedAt(now)
        .version(2).build();
    assertEquals(byHand, restoring);
    assertEquals(byHand.hashCode(), restoring.hashCode());
    assertEquals(byHand.toString(), restoring.toString());
    assertEquals("Backup{b-1 " + avail.name() + " Restoring 0% v2}", restoring.toString());
    Backup failed = Lifecycle.fail(restoring, " spaced reason ", now);
    assertEquals(" spaced reason ", failed.failure().orElseThrow().reason());
    assertEquals("restore failed at " + now + ":  spaced reason ", failed.failure().orElseThrow().toString());
    assertEquals("Backup{b-1 " + avail.name() + " Error v3}", failed.toString());
    assertEquals(avail.tags(), failed.tags());
    assertEquals(avail.details(), failed.details());
  }

  private static List<org.junit.jupiter.api.function.Executable> blankProjectWithANullArgument(BackupCatalog c) {
    return List.of(
        () -> c.apply(" ", "b", 1, null),
        () -> c.apply(" ", null, 1, Transition.restore()),
        () -> c.setQuota(" ", null),
        () -> c.usage(" ", null),
        () -> c.remove(" ", null, 1),
        () -> c.updateTags(" ", "b", 1, null),
        () -> c.count(" ", null));
  }

  @Test
  void aNullArgumentIsRefusedBeforeABlankProject() {
    BackupCatalog c = Catalogs.indexed(FakeClock.at(T0));
    for (org.junit.jupiter.api.function.Executable call : blankProjectWithANullArgument(c)) {
      assertThrows(NullPointerException.class, call);
    }
    assertEquals("project id", assertThrows(InvalidValueException.class,
        () -> c.apply(" ", "b", 1, Transition.restore())).field());
    assertEquals("project id", assertThrows(InvalidValueException.class, () -> c.setQuota("", Quota.NONE)).field());
    assertEquals("project id", assertThrows(InvalidValueException.class,
        () -> c.usage("\t", UsageQuery.firstServers(1))).field());
    assertEquals("project id", assertThrows(InvalidValueException.class, () -> c.quotaUsage(" ")).field());
  }

  @Test
  void negativeUseIsRefusedByEveryUsageValue() {
    assertThrows(IllegalArgumentException.class, () -> new ServerUsage("s", "n", -1, 0));
    assertThrows(IllegalArgumentException.class, () -> new QuotaUsage(Quota.of(1, 1), -1, -5));
    assertThrows(IllegalArgumentException.class, () -> new UsageReport(-1, -1, -1, List.of()));
  }

  @Test
  void backupDetailsAtTheirBoundsAndRoundTrips() {
    io.csbs.backup.BackupDetails none = io.csbs.backup.BackupDetails.builder().spaceSavingRatio(0).build();
    assertSame(io.csbs.backup.BackupDetails.NONE, none);
    io.csbs.backup.BackupDetails most = io.csbs.backup.BackupDetails.builder().checkpointId("c".repeat(64))
        .spaceSavingRatio(100).averageSpeedKbps(Long.MAX_VALUE).incremental(true).build();
    assertEquals(most, most.toBuilder().build());
    assertEquals(most.hashCode(), most.toBuilder().build().hashCode());
    assertSame(io.csbs.backup.BackupDetails.NONE, io.csbs.backup.BackupDetails.builder().incremental(true).build()
        .toBuilder().incremental(false).build());
    assertEquals("checkpoint_id", assertThrows(InvalidValueException.class,
        () -> io.csbs.backup.BackupDetails.builder().checkpointId("c".repeat(65)).build()).field());
    assertEquals("checkpoint_id", assertThrows(InvalidValueException.class,
        () -> io.csbs.backup.BackupDetails.builder().checkpointId(" ").build()).field());
    assertEquals("space_saving_ratio", assertThrows(InvalidValueException.class,
        () -> io.csbs.backup.BackupDetails.builder().spaceSavingRatio(101).build()).field());
    assertEquals("space_saving_ratio", assertThrows(InvalidValueException.class,
        () -> io.csbs.backup.BackupDetails.builder().spaceSavingRatio(-1).build()).field());
    assertEquals("average_speed", assertThrows(InvalidValueException.class,
        () -> io.csbs.backup.BackupDetails.builder().averageSpeedKbps(-1).build()).field());
    // details ride along every transition unchanged
    Backup b = available("p-1", "b-1", srv("s-1", "web"), 1, T0).toBuilder().details(most).build();
    Backup deleting = Lifecycle.delete(b, T0.plusSeconds(1));
    assertSame(most, deleting.details());
    assertSame(most, Lifecycle.fail(deleting, "x", T0.plusSeconds(2)).details());
  }

  @Test
  void checkRoomForRefusesNegativeAmounts() {
    Quota q = Quota.of(3, 1);
    assertThrows(IllegalArgumentException.class, () -> q.checkRoomFor("p", 1, 1029, 0, -10));
    assertThrows(IllegalArgumentException.class, () -> q.checkRoomFor("p", 0, 0, -1, 0));
  }

}
