package io.csbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.junit.jupiter.api.Disabled;
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
    long seed = System.nanoTime();
    Random r = new Random(seed);
    String ctx = "seed " + seed;
    FakeClock clock = FakeClock.at(T0);
    StallRule rule = StallRule.ofThreshold(TEN_MIN);
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(rule).build();
    String[] projects = {"p-α", "p-b", "p-𝒞"};
    Server[][] servers = new Server[6][];
    for (int s = 0; s < 6; s++) {
      servers[s] = new Server[] {srv("s-" + s, "web-" + s), srv("s-" + s, "renamed-" + s + "-ü")};
    }
    Map<String, Map<String, Backup>> model = new TreeMap<>();
    Map<String, Quota> quotas = new HashMap<>();
    for (String p : projects) {
      model.put(p, new LinkedHashMap<>());
      quotas.put(p, Quota.NONE);
    }
    int next = 0;
    for (int step = 0; step < 1500; step++) {
      String where = ctx + ", step " + step;
      String p = projects[r.nextInt(projects.length)];
      Map<String, Backup> backups = model.get(p);
      int action = r.nextInt(20);
      Instant now = clock.instant();
      if (action < 6) {
        // a new backup, in any state, sometimes from the clock's future
        Instant created = now.minus(Duration.ofSeconds(r.nextInt(7200))).plusNanos(r.nextInt(3) - 1);
        if (r.nextInt(10) == 0) {
          created = now.plus(Duration.ofMinutes(r.nextInt(20)));
        }
        BackupStatus status = BackupStatus.values()[r.nextInt(5)];
        String id = r.nextInt(8) == 0 ? "b-" + (next - 1 - r.nextInt(Math.max(1, next))) : "b-" + next++;
        long size = r.nextInt(12) == 0 ? Backup.MAX_SIZE_MB : r.nextInt(6) == 0 ? 0 : r.nextInt(3000);
        Backup.Builder builder = base(p, id, servers[r.nextInt(6)][r.nextInt(2)], size, created)
            .status(status).type(r.nextBoolean() ? BackupType.ENHANCED : BackupType.COMMON);
        if (status.isIntermediate()) {
          builder.progress(Progress.of(r.nextInt(101), created.plus(Duration.ofSeconds(r.nextInt(1200)))));
        }
        if (status == BackupStatus.ERROR || (status == BackupStatus.DELETING && r.nextBoolean())) {
          builder.failure(Failure.of(JobType.BACKUP, "boom", created));
        }
        Backup b = builder.build();
        Class<?> expected = null;
        if (backups.containsKey(id)) {
          expected = io.csbs.catalog.DuplicateBackupException.class;
        } else {
          long used = backups.values().stream().mapToLong(Backup::sizeMb).sum();
          try {
            quotas.get(p).checkRoomFor(p, backups.size(), used, 1, size);
          } catch (QuotaExceededException e) {
            expected = QuotaExceededException.class;
          }
        }
        try {
          catalog.add(b);
          assertEquals(null, expected, where + ": add of " + b + " should be refused");
          backups.put(id, b);
        } catch (RuntimeException e) {
          assertEquals(expected, e.getClass(), where + ": add of " + b + " refused: " + e);
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
      } else if (action == 13 && !backups.isEmpty()) {
        List<Backup> list = new ArrayList<>(backups.values());
        Backup b = list.get(r.nextInt(list.size()));
        catalog.remove(p, b.id(), b.version());
        backups.remove(b.id());
      } else if (action == 14) {
        Quota q = r.nextInt(3) == 0 ? Quota.NONE
            : Quota.of(r.nextInt(4) == 0 ? -1 : r.nextInt(12), r.nextInt(4) == 0 ? -1 : r.nextInt(3000));
        catalog.setQuota(p, q);
        quotas.put(p, q);
      } else {
        // the clock: a threshold exactly, a nanosecond either side, or backwards
        switch (r.nextInt(6)) {
          case 0: clock.advance(TEN_MIN); break;
          case 1: clock.advance(Duration.ofNanos(1)); break;
          case 2: clock.set(now.minusNanos(1)); break;
          case 3: clock.set(now.minus(Duration.ofMinutes(r.nextInt(15)))); break;
          default: clock.advance(Duration.ofSeconds(r.nextInt(400))); break;
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
        assertEquals(stalled.size(), catalog.count(project, Predicates.stalled()), w + ": stalled count");
        assertEquals(expectedUsage(all, 0, 1000), catalog.usage(project, UsageQuery.firstServers(1000)), w + ": usage");
        assertEquals(expectedUsage(all, 2, 3), catalog.usage(project, UsageQuery.of(Predicates.all(), 2, 3)),
            w + ": usage page");
        assertEquals(expectedUsage(stalled, 0, 1000),
            catalog.usage(project, UsageQuery.of(Predicates.stalled(), 0, 1000)), w + ": stalled usage");
        assertEquals(expectedUsage(running, 1, 2), catalog.usage(project, UsageQuery.of(
            Predicates.status(BackupStatus.CREATING, BackupStatus.RESTORING, BackupStatus.DELETING), 1, 2)),
            w + ": running usage");
        long used = all.stream().mapToLong(Backup::sizeMb).sum();
        assertEquals(new QuotaUsage(quotas.get(project), all.size(), used), catalog.quotaUsage(project),
            w + ": quota usage");
      }
    }
  }
}
