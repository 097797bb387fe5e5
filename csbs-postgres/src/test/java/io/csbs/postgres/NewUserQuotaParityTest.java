package io.csbs.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.DuplicateBackupException;
import io.csbs.catalog.ProjectSnapshot;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Predicates;
import io.csbs.testing.FakeClock;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.function.Function;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A new user's black-box review of quotas and space usage, the same calls on three catalogs: the
 * in-memory one ({@code Catalogs.indexed}), a {@link PostgresCatalog} and a {@link PostgresReplica},
 * each PostgreSQL one on a fresh store. Every outcome (value or refusal, with its documented accessors
 * and message) and, after every call, {@code quotaUsage} and {@code usage} are compared, and checked
 * against what the javadoc of {@code io.csbs.usage} and {@code BackupCatalog} promise.
 */
class NewUserQuotaParityTest {
  private static final int STORE = 92;
  private static final int REPLICA_STORE = 93;
  private static final Instant START = Instant.parse("2026-11-24T10:00:00Z");
  private static final String P = "prøject-ü1";

  private FakeClock clock;
  private BackupCatalog indexed;
  private PostgresCatalog postgres;
  private PostgresCatalog database;
  private PostgresReplica replica;
  private List<BackupCatalog> all;
  private final List<String> names = List.of("indexed", "postgres", "replica");

  @BeforeEach
  void open() {
    clock = FakeClock.at(START.plus(Duration.ofDays(1)));
    DataSource direct = TestDatabase.dataSource(STORE);
    DataSource behind = TestDatabase.dataSource(REPLICA_STORE);
    TestDatabase.truncate(direct);
    TestDatabase.truncate(behind);
    indexed = Catalogs.indexed(clock);
    postgres = PostgresCatalog.builder(direct).clock(clock).pollInterval(Duration.ofMillis(20)).build();
    database = PostgresCatalog.builder(behind).clock(clock).pollInterval(Duration.ofMillis(20)).build();
    replica = PostgresReplica.start(database);
    all = List.of(indexed, postgres, replica);
  }

  @AfterEach
  void close() {
    replica.close();
    database.close();
    postgres.close();
  }

  // ------------------------------------------------------------------------------------ harness

  static Backup backup(String project, String id, String serverId, String serverName, long sizeMb, long minutes) {
    return Backup.builder()
        .id(id)
        .name("bk_" + Integer.toHexString(id.hashCode()))
        .projectId(project)
        .server(Server.of(serverId, serverName, "eu-de-0" + (Math.abs(serverId.hashCode()) % 3 + 1)))
        .status(BackupStatus.AVAILABLE)
        .sizeMb(sizeMb)
        .createdAt(START.plus(Duration.ofMinutes(minutes)))
        .build();
  }

  static Backup creating(String project, String id, String serverId, long sizeMb, long minutes) {
    Instant at = START.plus(Duration.ofMinutes(minutes));
    return Backup.builder()
        .id(id)
        .name("bk_" + id)
        .projectId(project)
        .server(Server.of(serverId, "ecs-" + serverId, "eu-de-01"))
        .status(BackupStatus.CREATING)
        .progress(Progress.of(0, at))
        .sizeMb(sizeMb)
        .createdAt(at)
        .build();
  }

  /** What a call gave: its value, or the refusal's type and documented accessors and message. */
  static String outcome(Function<BackupCatalog, Object> call, BackupCatalog catalog) {
    try {
      return "ok " + call.apply(catalog);
    } catch (QuotaExceededException e) {
      return "QuotaExceeded quota=" + e.quota() + " project=" + e.projectId() + " code=" + e.code() + " msg=" + e.getMessage();
    } catch (DuplicateBackupException e) {
      return "Duplicate " + e.projectId() + "/" + e.backupId() + " inBatch=" + e.inBatch();
    } catch (InvalidValueException e) {
      return "Invalid field=" + e.field();
    } catch (RuntimeException e) {
      return e.getClass().getSimpleName();
    }
  }

  /** Runs the call on every catalog, checks every outcome is the same, then the state; returns it. */
  String same(String project, Function<BackupCatalog, Object> call) {
    List<String> outcomes = new ArrayList<>();
    for (BackupCatalog c : all) {
      outcomes.add(outcome(call, c));
    }
    for (int i = 1; i < all.size(); i++) {
      assertEquals(outcomes.get(0), outcomes.get(i), names.get(i) + " differs from indexed");
    }
    state(project);
    return outcomes.get(0);
  }

  String sameVoid(String project, java.util.function.Consumer<BackupCatalog> call) {
    return same(project, c -> {
      call.accept(c);
      return "done";
    });
  }

  /** quotaUsage, usage pages and sequence agree on the three catalogs. */
  void state(String project) {
    List<String> seen = new ArrayList<>();
    for (BackupCatalog c : all) {
      StringBuilder s = new StringBuilder();
      s.append(c.quotaUsage(project)).append('\n');
      s.append(c.usage(project, UsageQuery.firstServers(1000))).append('\n');
      s.append(c.usage(project, UsageQuery.of(Predicates.all(), 1, 2))).append('\n');
      s.append(c.usage(project, UsageQuery.of(Predicates.status(BackupStatus.AVAILABLE), 0, 1000))).append('\n');
      s.append(c.sequence(project));
      seen.add(s.toString());
    }
    for (int i = 1; i < all.size(); i++) {
      assertEquals(seen.get(0), seen.get(i), names.get(i) + "'s quota/usage differ from indexed");
    }
    // the kept-current report and one summed over the rows (a predicate every backup matches) agree
    UsageReport kept = postgres.usage(project, UsageQuery.firstServers(1000));
    assertEquals(kept, postgres.usage(project, UsageQuery.of(Predicates.createdBetween(Instant.EPOCH, START.plus(Duration.ofDays(400))), 0, 1000)),
        "postgres: kept-current usage against the summed one");
    QuotaUsage quota = postgres.quotaUsage(project);
    assertEquals(kept.backups(), quota.backupsUsed());
    assertEquals(kept.sizeMb(), quota.sizeMbUsed());
  }

  void addEverywhere(Backup b) {
    assertEquals("ok done", sameVoid(b.projectId(), c -> c.add(b)));
  }

  // ------------------------------------------------------------------------------- value types

  @Test
  void quotaRefusesOutOfRangeLimitsNamingTheApisFields() {
    assertEquals("backups", assertThrows(InvalidValueException.class, () -> Quota.of(-2, 0)).field());
    assertEquals("backup_capacity", assertThrows(InvalidValueException.class, () -> Quota.of(0, -2)).field());
    assertEquals("backup_capacity",
        assertThrows(InvalidValueException.class, () -> Quota.of(0, Quota.MAX_CAPACITY_GB + 1)).field());
    assertEquals(Quota.MAX_CAPACITY_GB, Quota.of(Long.MAX_VALUE, Quota.MAX_CAPACITY_GB).maxCapacityGb());
    assertEquals(Quota.NONE, Quota.of(-1, -1));
    assertEquals(-1, Quota.UNLIMITED);
  }

  @Test
  void quotaUsageRemainingIsZeroOverTheQuotaAndEmptyWhenUnlimited() {
    QuotaUsage over = new QuotaUsage(Quota.of(2, 1), 5, 4096);
    assertEquals(OptionalLong.of(0), over.backupsRemaining());
    assertEquals(OptionalLong.of(0), over.capacityRemainingMb());
    QuotaUsage under = new QuotaUsage(Quota.of(500, 10_240), 120, 2048 * 1024);
    assertEquals(OptionalLong.of(380), under.backupsRemaining());
    assertEquals(new BigDecimal("2048.00"), under.capacityUsedGb());
    assertEquals(OptionalLong.of(10_240L * 1024 - 2048 * 1024), under.capacityRemainingMb());
    QuotaUsage none = new QuotaUsage(Quota.NONE, 3, 3);
    assertEquals(OptionalLong.empty(), none.backupsRemaining());
    assertEquals(OptionalLong.empty(), none.capacityRemainingMb());
    assertEquals("backups used", assertThrows(InvalidValueException.class, () -> new QuotaUsage(Quota.NONE, -1, 0)).field());
    assertEquals("size mb used", assertThrows(InvalidValueException.class, () -> new QuotaUsage(Quota.NONE, 0, -1)).field());
  }

  @Test
  void capacityInGbRoundsHalfUpToTwoDecimalsAtTheEdges() {
    // 1023 MB = 0.99902 GB -> 1.00; 5 MB = 0.00488 -> 0.00; 6 MB = 0.00586 -> 0.01; 5.12 MB is 0.005 exactly (not an MB)
    assertEquals(new BigDecimal("1.00"), new QuotaUsage(Quota.NONE, 1, 1023).capacityUsedGb());
    assertEquals(new BigDecimal("1.00"), new QuotaUsage(Quota.NONE, 1, 1024).capacityUsedGb());
    assertEquals(new BigDecimal("1.00"), new QuotaUsage(Quota.NONE, 1, 1025).capacityUsedGb());
    assertEquals(new BigDecimal("0.00"), new QuotaUsage(Quota.NONE, 1, 5).capacityUsedGb());
    assertEquals(new BigDecimal("0.01"), new QuotaUsage(Quota.NONE, 1, 6).capacityUsedGb());
    // 1024 * 0.125 = 128 MB: 0.125 GB exactly, half up -> 0.13
    assertEquals(new BigDecimal("0.13"), new ServerUsage("s", "n", 1, 128).capacityGb());
    assertEquals(new BigDecimal("0.00"), new UsageReport(0, 0, 0, List.of()).capacityGb());
  }

  // ----------------------------------------------------------------------- quotas on 3 catalogs

  @Test
  void unknownProjectHasNoQuotaAndNoUse() {
    same("никто", c -> c.quotaUsage("никто"));
    assertEquals(new QuotaUsage(Quota.NONE, 0, 0), postgres.quotaUsage("никто"));
    assertEquals(new QuotaUsage(Quota.NONE, 0, 0), replica.quotaUsage("никто"));
    assertEquals(new UsageReport(0, 0, 0, List.of()), replica.usage("никто", UsageQuery.firstServers(1)));
  }

  @Test
  void capacityQuotaZeroTakesZeroMbBackupsOnlyAndBackupsQuotaZeroTakesNothing() {
    sameVoid(P, c -> c.setQuota(P, Quota.of(Quota.UNLIMITED, 0)));
    addEverywhere(backup(P, "z1", "srv-a", "a", 0, 1));
    addEverywhere(backup(P, "z2", "srv-a", "a", 0, 2));
    String refused = same(P, c -> {
      c.add(backup(P, "one", "srv-a", "a", 1, 3));
      return "done";
    });
    assertEquals("QuotaExceeded quota=backup_capacity project=" + P + " code=QUOTA_EXCEEDED msg=quota backup_capacity of project "
        + P + " (limit 0 GB) is exceeded: used 0 MB, asked 1 MB more", refused);
    sameVoid(P, c -> c.setQuota(P, Quota.of(0, Quota.UNLIMITED)));
    String none = same(P, c -> {
      c.add(backup(P, "z3", "srv-a", "a", 0, 4));
      return "done";
    });
    assertTrue(none.startsWith("QuotaExceeded quota=backups project=" + P), none);
    assertEquals(new QuotaUsage(Quota.of(0, Quota.UNLIMITED), 2, 0), postgres.quotaUsage(P));
  }

  @Test
  void capacityInGbAgainstSizesInMbAtTheRoundingEdges() {
    sameVoid(P, c -> c.setQuota(P, Quota.of(Quota.UNLIMITED, 1)));
    String big = same(P, c -> {
      c.add(backup(P, "b1025", "srv-a", "a", 1025, 1));
      return "done";
    });
    assertEquals("QuotaExceeded quota=backup_capacity project=" + P + " code=QUOTA_EXCEEDED msg=quota backup_capacity of project "
        + P + " (limit 1 GB) is exceeded: used 0 MB, asked 1.00 GB (1025 MB) more", big);
    addEverywhere(backup(P, "b1023", "srv-a", "a", 1023, 2));
    String two = same(P, c -> {
      c.add(backup(P, "b2", "srv-a", "a", 2, 3));
      return "done";
    });
    assertEquals("QuotaExceeded quota=backup_capacity project=" + P + " code=QUOTA_EXCEEDED msg=quota backup_capacity of project "
        + P + " (limit 1 GB) is exceeded: used 1023 MB, asked 2 MB more", two);
    addEverywhere(backup(P, "b1", "srv-b", "b", 1, 4));      // exactly 1024 MB
    addEverywhere(backup(P, "b0", "srv-b", "b", 0, 5));      // at the capacity, 0 MB still fits
    QuotaUsage q = indexed.quotaUsage(P);
    assertEquals(new QuotaUsage(Quota.of(-1, 1), 3, 1024), q);
    assertEquals(OptionalLong.of(0), q.capacityRemainingMb());
    assertEquals(new BigDecimal("1.00"), q.capacityUsedGb());
  }

  @Test
  void manySmallBackupsSummingToExactlyTwoGigabytesFillTheQuota() {
    sameVoid(P, c -> c.setQuota(P, Quota.of(64, 2)));
    List<Backup> batch = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      batch.add(backup(P, String.format("s%02d", i), "srv-" + (i % 5), "n" + (i % 5), 32, i));
    }
    assertEquals("ok done", sameVoid(P, c -> c.addAll(batch)));
    assertEquals(new QuotaUsage(Quota.of(64, 2), 64, 2048), postgres.quotaUsage(P));
    assertEquals(new BigDecimal("2.00"), replica.quotaUsage(P).capacityUsedGb());
    String both = same(P, c -> {
      c.add(backup(P, "extra", "srv-0", "n0", 1, 100));
      return "done";
    });
    assertTrue(both.startsWith("QuotaExceeded quota=backups "), "both exceeded: backups is named first: " + both);
    sameVoid(P, c -> c.setQuota(P, Quota.of(65, 2)));
    String cap = same(P, c -> {
      c.add(backup(P, "extra", "srv-0", "n0", 1, 100));
      return "done";
    });
    assertEquals("QuotaExceeded quota=backup_capacity project=" + P + " code=QUOTA_EXCEEDED msg=quota backup_capacity of project "
        + P + " (limit 2 GB) is exceeded: used 2.00 GB (2048 MB), asked 1 MB more", cap);
    addEverywhere(backup(P, "extra0", "srv-0", "n0", 0, 101));
  }

  @Test
  void theJavadocExampleOfQuotaExceededExceptionOnEveryCatalog() {
    sameVoid("project-1", c -> c.setQuota("project-1", Quota.of(500, 100)));
    addEverywhere(backup("project-1", "have", "srv", "ecs", 101_888, 1));
    String msg = same("project-1", c -> {
      c.add(backup("project-1", "more", "srv", "ecs", 600, 2));
      return "done";
    });
    assertEquals("QuotaExceeded quota=backup_capacity project=project-1 code=QUOTA_EXCEEDED msg=quota backup_capacity of project "
        + "project-1 (limit 100 GB) is exceeded: used 99.50 GB (101888 MB), asked 600 MB more", msg);
  }

  @Test
  void aLoweredQuotaRefusesEvenZeroMbUntilDeletionsFreeSpace() {
    for (int i = 0; i < 4; i++) {
      addEverywhere(backup(P, "l" + i, "srv-" + i, "n", 1024, i));
    }
    sameVoid(P, c -> c.setQuota(P, Quota.of(10, 2)));     // 4 GB used, 2 GB allowed: backups stay
    assertEquals(new QuotaUsage(Quota.of(10, 2), 4, 4096), replica.quotaUsage(P));
    assertEquals(OptionalLong.of(0), postgres.quotaUsage(P).capacityRemainingMb());
    String zero = same(P, c -> {
      c.add(backup(P, "zero", "srv-9", "n", 0, 10));
      return "done";
    });
    assertEquals("QuotaExceeded quota=backup_capacity project=" + P + " code=QUOTA_EXCEEDED msg=quota backup_capacity of project "
        + P + " (limit 2 GB) is exceeded: used 4.00 GB (4096 MB), asked 0 MB more", zero);
    // a deletion started still counts (Deleting takes space); completing it frees the space
    same(P, c -> c.apply(P, "l0", 1, Transition.delete()).map(Backup::status));
    assertEquals(4, postgres.quotaUsage(P).backupsUsed());
    same(P, c -> c.apply(P, "l0", 2, Transition.complete()).isPresent());
    assertEquals(new QuotaUsage(Quota.of(10, 2), 3, 3072), replica.quotaUsage(P));
    sameVoid(P, c -> c.remove(P, "l1", 1));
    same(P, c -> {
      c.add(backup(P, "zero", "srv-9", "n", 0, 10));   // exactly at 2 GB: 0 MB fits
      return "done";
    });
    assertEquals(new QuotaUsage(Quota.of(10, 2), 3, 2048), indexed.quotaUsage(P));
    same(P, c -> {
      c.add(backup(P, "one", "srv-9", "n", 1, 11));
      return "done";
    });
    sameVoid(P, c -> c.setQuota(P, Quota.NONE));
    addEverywhere(backup(P, "one", "srv-9", "n", 1, 11));
    assertEquals(new QuotaUsage(Quota.NONE, 4, 2049), postgres.quotaUsage(P));
  }

  @Test
  void addAllCrossingAQuotaInItsMiddleAddsNothingOnAnyCatalog() {
    sameVoid("p-a", c -> c.setQuota("p-a", Quota.of(3, Quota.UNLIMITED)));
    sameVoid("p-b", c -> c.setQuota("p-b", Quota.of(Quota.UNLIMITED, 1)));
    List<Backup> crossing = List.of(
        backup("p-b", "x1", "s", "n", 512, 1),
        backup("p-a", "a1", "s", "n", 1, 1),
        backup("p-b", "x2", "s", "n", 512, 2),
        backup("p-a", "a2", "s", "n", 1, 2),
        backup("p-b", "x3", "s", "n", 1, 3));        // p-b's third crosses 1 GB
    String refused = same("p-a", c -> {
      c.addAll(crossing);
      return "done";
    });
    assertTrue(refused.startsWith("QuotaExceeded quota=backup_capacity project=p-b"), refused);
    assertTrue(refused.endsWith("used 0 MB, asked 1.00 GB (1025 MB) more"), refused);
    state("p-b");
    for (BackupCatalog c : all) {
      assertEquals(0, c.quotaUsage("p-a").backupsUsed(), c + ": all or nothing");
      assertEquals(0, c.sequence("p-b"));
    }
    List<Backup> fits = new ArrayList<>(crossing.subList(0, 4));
    assertEquals("ok done", same("p-a", c -> {
      c.addAll(fits);
      return "done";
    }));
    state("p-b");
    List<Backup> backupsOver = List.of(backup("p-a", "a3", "s", "n", 0, 3), backup("p-a", "a4", "s", "n", 0, 4));
    String over = same("p-a", c -> {
      c.addAll(backupsOver);
      return "done";
    });
    assertEquals("QuotaExceeded quota=backups project=p-a code=QUOTA_EXCEEDED msg=quota backups of project p-a (limit 3 backups)"
        + " is exceeded: used 2 backups, asked 2 more", over);
    assertEquals(2, replica.quotaUsage("p-a").backupsUsed());
  }

  @Test
  void addAllChecksDuplicatesBeforeQuotas() {
    sameVoid("p-a", c -> c.setQuota("p-a", Quota.of(0, 0)));
    addEverywhere(backup("p-b", "dup", "s", "n", 1, 1));
    List<Backup> batch = List.of(backup("p-a", "a1", "s", "n", 1, 1), backup("p-b", "dup", "s", "n", 1, 2));
    assertEquals("Duplicate p-b/dup inBatch=false", same("p-a", c -> {
      c.addAll(batch);
      return "done";
    }));
  }

  @Test
  void everyStateCountsAndOnlyACompletedDeletionOrARemovalFreesSpace() {
    addEverywhere(creating(P, "c1", "srv-c", 100, 1));
    addEverywhere(creating(P, "e1", "srv-e", 200, 2));
    same(P, c -> c.apply(P, "e1", 1, Transition.fail("disk full")).map(Backup::status));
    addEverywhere(backup(P, "a1", "srv-a", "a", 400, 3));
    addEverywhere(backup(P, "d1", "srv-d", "d", 800, 4));
    addEverywhere(backup(P, "r1", "srv-r", "r", 1600, 5));
    same(P, c -> c.apply(P, "d1", 1, Transition.delete()).map(Backup::status));
    same(P, c -> c.apply(P, "r1", 1, Transition.restore()).map(Backup::status));
    for (BackupCatalog c : all) {
      UsageReport r = c.usage(P, UsageQuery.firstServers(10));
      assertEquals(5, r.backups(), c.toString());
      assertEquals(3100, r.sizeMb());
      assertEquals(5, r.serverCount());
      assertEquals(List.of("srv-r", "srv-d", "srv-a", "srv-e", "srv-c"),
          r.servers().stream().map(ServerUsage::serverId).toList());
      assertEquals(new QuotaUsage(Quota.NONE, 5, 3100), c.quotaUsage(P));
      assertEquals(1, c.usage(P, UsageQuery.of(Predicates.status(BackupStatus.ERROR), 0, 5)).backups());
    }
    same(P, c -> c.apply(P, "d1", 2, Transition.complete()).isPresent());
    sameVoid(P, c -> c.remove(P, "e1", 2));
    sameVoid(P, c -> c.remove(P, "c1", 1));
    for (BackupCatalog c : all) {
      assertEquals(new QuotaUsage(Quota.NONE, 2, 2000), c.quotaUsage(P));
      assertEquals(2, c.usage(P, UsageQuery.firstServers(10)).serverCount());
    }
  }

  @Test
  void usagePagesByOffsetAndLimitWithTiesAgreeAndFollowTheDocumentedOrder() {
    // ties in MB: more backups first, then server id char by char
    addEverywhere(backup(P, "t1", "srv-b", "b", 100, 1));
    addEverywhere(backup(P, "t2", "srv-a", "a", 100, 2));
    addEverywhere(backup(P, "t3", "srv-c", "c", 60, 3));
    addEverywhere(backup(P, "t4", "srv-c", "c", 40, 4));
    addEverywhere(backup(P, "t5", "Srv-Z", "z", 100, 5));
    addEverywhere(backup(P, "t6", "srv-ä", "ä", 101, 6));
    addEverywhere(backup(P, "t7", "srv-0", "0", 0, 7));
    List<String> order = List.of("srv-ä", "srv-c", "Srv-Z", "srv-a", "srv-b", "srv-0");
    for (BackupCatalog c : all) {
      for (int offset = 0; offset <= 7; offset++) {
        for (int limit = 1; limit <= 7; limit++) {
          UsageReport r = c.usage(P, UsageQuery.of(Predicates.all(), offset, limit));
          List<String> want = order.subList(Math.min(offset, 6), Math.min(offset + limit, 6));
          assertEquals(want, r.servers().stream().map(ServerUsage::serverId).toList(), c + " offset " + offset + " limit " + limit);
          assertEquals(6, r.serverCount());
          assertEquals(7, r.backups());
          assertEquals(501, r.sizeMb());
        }
      }
      UsageReport far = c.usage(P, UsageQuery.of(Predicates.all(), Long.MAX_VALUE, 1000));
      assertEquals(List.of(), far.servers());
      assertEquals(6, far.serverCount());
    }
  }

  @Test
  void usageWithPredicatesAgrees() {
    Random random = new Random(4242);
    for (int i = 0; i < 24; i++) {
      String server = "srv-" + random.nextInt(8);
      addEverywhere(backup(P, "p" + i, server, "n" + random.nextInt(3), random.nextInt(3000), i));
    }
    same(P, c -> c.apply(P, "p3", 1, Transition.delete()).map(Backup::status));
    addEverywhere(creating(P, "stuck", "srv-1", 50, 30));
    clock.advance(Duration.ofDays(2));   // the Creating job and the deletion have made no progress for days: stalled
    List<io.csbs.query.BackupPredicate> predicates = List.of(
        Predicates.availabilityZone("eu-de-01"), Predicates.status(BackupStatus.DELETING),
        Predicates.nameContains("p1"), Predicates.none(), Predicates.not(Predicates.serverId("srv-1")),
        Predicates.serverNameContains("N1"), Predicates.stalled(), Predicates.not(Predicates.stalled()));
    for (io.csbs.query.BackupPredicate where : predicates) {
      same(P, c -> List.of(c.usage(P, UsageQuery.of(where, 0, 3)), c.usage(P, UsageQuery.of(where, 2, 3)),
          c.usage(P, UsageQuery.of(where, Long.MAX_VALUE, 1000))));
    }
  }

  @Test
  void aProjectWithManyServersAgreesOnEveryPage() {
    List<Backup> batch = new ArrayList<>();
    for (int i = 0; i < 170; i++) {
      batch.add(backup(P, "m" + i, "srv-" + (i % 150), "name-" + i, (i * 37) % 7, i));
    }
    sameVoid(P, c -> c.addAll(batch));
    for (int offset = 0; offset < 200; offset += 70) {
      final int o = offset;
      String s = same(P, c -> c.usage(P, UsageQuery.of(Predicates.all(), o, 60)));
      assertTrue(s.contains("serverCount=150"), s);
    }
  }

  @Test
  void aRenamedServerIsNamedByItsNewestBackupOnEveryCatalog() {
    addEverywhere(backup(P, "r1", "srv-1", "old-name", 10, 1));
    addEverywhere(backup(P, "r2", "srv-1", "new-name", 10, 5));
    addEverywhere(backup(P, "r3", "srv-1", "middle-name", 10, 3));   // created between: not the newest
    for (BackupCatalog c : all) {
      assertEquals("new-name", c.usage(P, UsageQuery.firstServers(5)).servers().get(0).serverName(), c.toString());
    }
    // same instant: the greatest id
    addEverywhere(backup(P, "r4a", "srv-1", "tie-a", 10, 5));
    for (BackupCatalog c : all) {
      assertEquals("tie-a", c.usage(P, UsageQuery.firstServers(5)).servers().get(0).serverName(), c.toString());
    }
    // the newest goes: the name is the newest remaining one's
    sameVoid(P, c -> c.remove(P, "r4a", 1));
    for (BackupCatalog c : all) {
      assertEquals("new-name", c.usage(P, UsageQuery.firstServers(5)).servers().get(0).serverName(), c.toString());
    }
    same(P, c -> c.apply(P, "r2", 1, Transition.delete()).map(Backup::version));
    for (BackupCatalog c : all) {
      assertEquals("new-name", c.usage(P, UsageQuery.firstServers(5)).servers().get(0).serverName(), "Deleting still counts");
    }
    same(P, c -> c.apply(P, "r2", 2, Transition.complete()).isPresent());
    for (BackupCatalog c : all) {
      assertEquals("middle-name", c.usage(P, UsageQuery.firstServers(5)).servers().get(0).serverName(), c.toString());
    }
    // with a predicate: the newest counted backup names it
    for (BackupCatalog c : all) {
      assertEquals("old-name", c.usage(P, UsageQuery.of(Predicates.backupId("r1"), 0, 5)).servers().get(0).serverName(), c.toString());
    }
  }

  @Test
  void aQuotaSetOnTheDatabaseReachesTheReplicaAndItsWritesAreCheckedThere() {
    database.setQuota(P, Quota.of(1, 5));
    database.add(backup(P, "q1", "srv", "n", 10, 1));
    assertTrue(replica.awaitSequence(P, 1, Duration.ofSeconds(30)));
    assertEquals(new QuotaUsage(Quota.of(1, 5), 1, 10), replica.quotaUsage(P));
    QuotaExceededException e = assertThrows(QuotaExceededException.class, () -> replica.add(backup(P, "q2", "srv", "n", 0, 2)));
    assertEquals("backups", e.quota());
    assertEquals(P, e.projectId());
  }

  @Test
  void aQuotaChangedOnTheDatabaseAfterTheReplicaKnowsTheProjectReachesIt() throws Exception {
    database.add(backup(P, "q1", "srv", "n", 10, 1));
    assertTrue(replica.awaitSequence(P, 1, Duration.ofSeconds(30)));
    database.setQuota(P, Quota.of(7, 9));     // by another instance: no change in the feed
    database.add(backup(P, "q2", "srv", "n", 10, 2));
    assertTrue(replica.awaitSequence(P, 2, Duration.ofSeconds(30)));
    replica.catchUp(P);
    assertEquals(new QuotaUsage(Quota.of(7, 9), 2, 20), replica.quotaUsage(P));
  }

  @Test
  void theLargestQuotaAndMaximumSizeBackupsAgree() {
    sameVoid(P, c -> c.setQuota(P, Quota.of(Long.MAX_VALUE, Quota.MAX_CAPACITY_GB)));
    addEverywhere(backup(P, "max1", "srv", "n", Backup.MAX_SIZE_MB, 1));
    addEverywhere(backup(P, "max2", "srv2", "n", Backup.MAX_SIZE_MB, 2));
    same(P, c -> c.quotaUsage(P).capacityRemainingMb());
    sameVoid(P, c -> c.setQuota(P, Quota.of(Long.MAX_VALUE, 2048L * 1024)));   // exactly 2 * 2^30 MB
    String over = same(P, c -> {
      c.add(backup(P, "max3", "srv", "n", 1, 3));
      return "done";
    });
    assertTrue(over.endsWith("used 2097152.00 GB (2147483648 MB), asked 1 MB more"), over);
  }

  @Test
  void loadKeepsTheSnapshotsQuotaAndBackupsBeyondIt() {
    List<Backup> backups = List.of(backup(P, "s1", "srv", "n", 2048, 1), backup(P, "s2", "srv", "n", 2048, 2));
    String loaded = sameVoid(P, c -> c.load(new ProjectSnapshot(P, 5, Quota.of(1, 1), backups)));
    assertEquals("ok done", loaded);
    for (BackupCatalog c : all) {
      assertEquals(new QuotaUsage(Quota.of(1, 1), 2, 4096), c.quotaUsage(P), c.toString());
      assertEquals(5, c.sequence(P));
    }
    String refused = same(P, c -> {
      c.add(backup(P, "s3", "srv", "n", 0, 3));
      return "done";
    });
    assertTrue(refused.startsWith("QuotaExceeded quota=backups"), refused);
  }

  @Test
  void setQuotaRefusalsAreAlike() {
    same(P, c -> {
      c.setQuota(P, null);
      return "done";
    });
    List<String> blank = new ArrayList<>();
    for (BackupCatalog c : all) {
      blank.add(outcome(x -> {
        x.setQuota(" ", Quota.NONE);
        return "done";
      }, c));
    }
    assertEquals(List.of("Invalid field=project id", "Invalid field=project id", "Invalid field=project id"), blank);
    same(P, c -> {
      c.setQuota(null, Quota.NONE);
      return "done";
    });
    same(P, c -> c.quotaUsage(P));
  }

  @Test
  void setQuotaDoesNotRaiseTheSequence() {
    addEverywhere(backup(P, "s1", "srv", "n", 1, 1));
    sameVoid(P, c -> c.setQuota(P, Quota.of(3, 3)));
    for (BackupCatalog c : all) {
      assertEquals(1, c.sequence(P), c.toString());
    }
  }

  @Test
  void quotaUsageInsideAReadAgrees() {
    sameVoid(P, c -> c.setQuota(P, Quota.of(9, 9)));
    addEverywhere(backup(P, "s1", "srv", "n", 1000, 1));
    same(P, c -> c.read(P, view -> List.of(view.quotaUsage(), view.usage(UsageQuery.firstServers(3)))));
  }

  @Test
  void usageQueryRefusesItsPageNamingOffsetOrLimit() {
    assertEquals("offset", assertThrows(InvalidValueException.class, () -> UsageQuery.of(Predicates.all(), -1, 1)).field());
    assertEquals("limit", assertThrows(InvalidValueException.class, () -> UsageQuery.of(Predicates.all(), 0, 0)).field());
    assertEquals("limit", assertThrows(InvalidValueException.class, () -> UsageQuery.firstServers(1001)).field());
    assertEquals(1000, UsageQuery.firstServers(UsageQuery.MAX_LIMIT).limit());
    assertThrows(IllegalArgumentException.class, () -> new ServerUsage("s", "n", -1, 0));
    assertEquals("server count", assertThrows(InvalidValueException.class, () -> new UsageReport(0, 0, -1, List.of())).field());
  }

  @Test
  void addAllOverTwoProjectsBeyondTheirQuotasNamesTheFirstProjectInIdOrder() {
    sameVoid("p-b", c -> c.setQuota("p-b", Quota.of(0, Quota.UNLIMITED)));
    sameVoid("p-a", c -> c.setQuota("p-a", Quota.of(0, Quota.UNLIMITED)));
    List<Backup> batch = List.of(backup("p-b", "b1", "s", "n", 1, 1), backup("p-a", "a1", "s", "n", 1, 1));
    String o = same("p-a", c -> {
      c.addAll(batch);
      return "done";
    });
    assertTrue(o.startsWith("QuotaExceeded quota=backups project=p-a "), o);
  }

  @Test
  void addAllOverProjectsWhoseIdsOrderDifferentlyByCharAndByCodePointAgrees() {
    String bmp = "p-\uFB00";             // U+FB00: after the surrogates char by char, before them by code point
    String astral = "p-\uD83D\uDE00";    // U+1F600
    sameVoid(bmp, c -> c.setQuota(bmp, Quota.of(0, Quota.UNLIMITED)));
    sameVoid(astral, c -> c.setQuota(astral, Quota.of(0, Quota.UNLIMITED)));
    List<Backup> batch = List.of(backup(bmp, "b1", "s", "n", 1, 1), backup(astral, "a1", "s", "n", 1, 1));
    String o = same(bmp, c -> {
      c.addAll(batch);
      return "done";
    });
    assertTrue(o.contains("project=" + astral + " "), "char by char, the astral id comes first: " + o);
  }

  @Test
  void replayDoesNotCheckQuotasOnAnyCatalog() {
    BackupCatalog source = Catalogs.indexed(clock);
    List<io.csbs.catalog.Change> heard = new ArrayList<>();
    source.subscribe(heard::add);
    source.add(backup(P, "rp1", "srv", "n", 5000, 1));
    source.add(backup(P, "rp2", "srv", "n", 0, 2));
    sameVoid(P, c -> c.setQuota(P, Quota.of(1, 1)));
    for (io.csbs.catalog.Change change : heard) {
      assertEquals("ok true", same(P, c -> c.replay(change)));
    }
    for (BackupCatalog c : all) {
      assertEquals(new QuotaUsage(Quota.of(1, 1), 2, 5000), c.quotaUsage(P), c.toString());
    }
    // replayed deletions and removals free space and rename the server after the newest remaining backup
    heard.clear();
    source.add(backup(P, "rp3", "srv", "newest", 10, 3));
    source.apply(P, "rp3", 1, Transition.delete());
    source.apply(P, "rp3", 2, Transition.complete());
    source.remove(P, "rp1", 1);
    for (io.csbs.catalog.Change change : heard) {
      assertEquals("ok true", same(P, c -> c.replay(change)));
    }
    for (BackupCatalog c : all) {
      assertEquals(new QuotaUsage(Quota.of(1, 1), 1, 0), c.quotaUsage(P), c.toString());
      assertEquals(List.of(new ServerUsage("srv", "n", 1, 0)), c.usage(P, UsageQuery.firstServers(3)).servers(), c.toString());
    }
  }

  @Test
  void theBackupsQuotaMessageNamesTheLimitUseAndAsk() {
    sameVoid(P, c -> c.setQuota(P, Quota.of(1, Quota.UNLIMITED)));
    addEverywhere(backup(P, "one", "srv", "n", 3, 1));
    String o = same(P, c -> {
      c.add(backup(P, "two", "srv", "n", 3, 2));
      return "done";
    });
    assertEquals("QuotaExceeded quota=backups project=" + P + " code=QUOTA_EXCEEDED msg=quota backups of project " + P
        + " (limit 1 backup) is exceeded: used 1 backup, asked 1 more", o);
  }

  /** Two backups of one server at one instant, ids ordered differently char by char and by code point. */
  private void addNameTie() {
    for (BackupCatalog c : all) {
      c.add(backup(P, "id-\uFB00", "srv-t", "named-by-fb00", 10, 7));          // greatest char by char
      c.add(backup(P, "id-\uD83D\uDE00", "srv-t", "named-by-astral", 10, 7));  // greatest by code point
    }
  }

  @Test
  void aServerNameTieAtOneInstantGoesToTheGreatestIdByCodePointOnPostgres() {
    addNameTie();
    assertEquals("named-by-fb00", indexed.usage(P, UsageQuery.firstServers(5)).servers().get(0).serverName());
    assertEquals("named-by-fb00", replica.usage(P, UsageQuery.firstServers(5)).servers().get(0).serverName());
    assertEquals("named-by-astral", postgres.usage(P, UsageQuery.firstServers(5)).servers().get(0).serverName());
    assertEquals("named-by-astral",
        postgres.usage(P, UsageQuery.of(Predicates.serverId("srv-t"), 0, 5)).servers().get(0).serverName());
    assertEquals("named-by-fb00",
        indexed.usage(P, UsageQuery.of(Predicates.serverId("srv-t"), 0, 5)).servers().get(0).serverName());
  }

  @Test
  void checkRoomForNamesNegativeAmountsAndFollowsTheZeroMbRules() {
    Quota q = Quota.of(5, 1);
    assertEquals("backups", assertThrows(InvalidValueException.class, () -> q.checkRoomFor(P, -1, 0, 0, 0)).field());
    assertEquals("size mb", assertThrows(InvalidValueException.class, () -> q.checkRoomFor(P, 0, -1, 0, 0)).field());
    assertEquals("more backups", assertThrows(InvalidValueException.class, () -> q.checkRoomFor(P, 0, 0, -1, 0)).field());
    assertEquals("more mb", assertThrows(InvalidValueException.class, () -> q.checkRoomFor(P, 0, 0, 0, -1)).field());
    q.checkRoomFor(P, 4, 1024, 1, 0);                          // exactly at the capacity: 0 MB fits
    QuotaExceededException beyond = assertThrows(QuotaExceededException.class, () -> q.checkRoomFor(P, 1, 1025, 1, 0));
    assertEquals("backup_capacity", beyond.quota());
    assertEquals(P, beyond.projectId());
    assertEquals("backups", assertThrows(QuotaExceededException.class, () -> q.checkRoomFor(P, 6, 5000, 1, 0)).quota());
    Quota.NONE.checkRoomFor(P, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);
    Quota.of(Long.MAX_VALUE, Quota.MAX_CAPACITY_GB).checkRoomFor(P, Long.MAX_VALUE - 1, 0, 1, Quota.MAX_CAPACITY_GB * 1024);
  }

  @Test
  void aProjectIdPostgresCannotHoldIsRefusedBySetQuotaAndFindsNothingInReads() {
    String nul = "p\u0000x";
    assertEquals("project id", assertThrows(InvalidValueException.class, () -> postgres.setQuota(nul, Quota.of(1, 1))).field());
    assertEquals("project id", assertThrows(InvalidValueException.class, () -> replica.setQuota(nul, Quota.of(1, 1))).field());
    assertEquals(new QuotaUsage(Quota.NONE, 0, 0), postgres.quotaUsage(nul));
    assertEquals(new UsageReport(0, 0, 0, List.of()), postgres.usage(nul, UsageQuery.firstServers(3)));
    assertEquals(new QuotaUsage(Quota.NONE, 0, 0), replica.quotaUsage(nul));
    assertEquals(new UsageReport(0, 0, 0, List.of()), replica.usage(nul, UsageQuery.of(Predicates.nameContains("x"), 0, 3)));
    assertEquals(new QuotaUsage(Quota.NONE, 0, 0), postgres.read(nul, view -> view.quotaUsage()));
  }

  @Test
  void aRestrictedUsageOfAProjectIdPostgresCannotHoldFindsNothing() {
    String nul = "p\u0000x";
    assertEquals(new UsageReport(0, 0, 0, List.of()), postgres.usage(nul, UsageQuery.of(Predicates.nameContains("x"), 0, 3)));
    assertEquals(new UsageReport(0, 0, 0, List.of()), postgres.usage(nul, UsageQuery.of(Predicates.all(), 0, 3)));
    assertEquals(new UsageReport(0, 0, 0, List.of()),
        postgres.read(nul, view -> view.usage(UsageQuery.of(Predicates.status(BackupStatus.ERROR), 0, 3))));
  }

  /** Project "p?" with a quota and a backup, on every catalog. */
  private void questionMarkProject() {
    sameVoid("p?", c -> c.setQuota("p?", Quota.of(4, 4)));
    addEverywhere(backup("p?", "h1", "srv", "n", 7, 1));
  }

  @Test
  void aRestrictedUsageOfAHalfSurrogateProjectIdFindsNothingRatherThanProjectQuestionMark() {
    questionMarkProject();
    String half = "p\uD800";
    for (BackupCatalog c : all) {
      assertEquals(new UsageReport(0, 0, 0, List.of()), c.usage(half, UsageQuery.of(Predicates.nameContains("bk"), 0, 3)),
          c.toString());
      assertEquals(new UsageReport(0, 0, 0, List.of()),
          c.read(half, v -> v.usage(UsageQuery.of(Predicates.nameContains("bk"), 0, 3))), c.toString());
    }
  }

  @Test
  void randomBatchesOverSeveralProjectsWithQuotasAgreeOnEveryCatalog() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    List<String> projects = List.of("q-a", "q-B", "q-e\u0301", "q-\u00e9", "q-1");
    int next = 0;
    try {
      for (String project : projects) {
        long backups = random.nextInt(3) == 0 ? -1 : random.nextInt(6);
        long gb = random.nextInt(3) == 0 ? -1 : random.nextInt(3);
        sameVoid(project, c -> c.setQuota(project, Quota.of(backups, gb)));
      }
      for (int round = 0; round < 10; round++) {
        List<Backup> batch = new ArrayList<>();
        for (int k = 1 + random.nextInt(5); k > 0; k--) {
          String project = projects.get(random.nextInt(projects.size()));
          long size = new long[] {0, 1, 300, 1023, 1024, 1025}[random.nextInt(6)];
          batch.add(backup(project, "b" + next++, "srv-" + random.nextInt(3), "n" + random.nextInt(2), size, next));
        }
        same(projects.get(0), c -> {
          c.addAll(batch);
          return "done";
        });
        for (String project : batch.stream().map(Backup::projectId).distinct().toList()) {
          state(project);
        }
      }
    } catch (AssertionError e) {
      throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
    }
  }

  @Test
  void loadReplacesAQuotaSetBeforeAndIsRefusedOnceTheProjectHasChanges() {
    sameVoid(P, c -> c.setQuota(P, Quota.of(9, 9)));
    List<Backup> backups = List.of(backup(P, "s1", "srv", "n", 100, 1));
    assertEquals("ok done", sameVoid(P, c -> c.load(new ProjectSnapshot(P, 3, Quota.NONE, backups))));
    assertEquals(new QuotaUsage(Quota.NONE, 1, 100), postgres.quotaUsage(P));
    sameVoid(P, c -> c.remove(P, "s1", 1));
    String refused = same(P, c -> {
      c.load(new ProjectSnapshot(P, 0, Quota.of(1, 1), List.of()));
      return "done";
    });
    assertEquals("IllegalStateException", refused);
    assertEquals(new QuotaUsage(Quota.NONE, 0, 0), replica.quotaUsage(P));
  }

  @Test
  void aReadsQuotaUsageAndUsageAgreeWhileAWriterAddsAndRemoves() throws Exception {
    for (BackupCatalog c : all) {
      Thread writer = new Thread(() -> {
        for (int i = 0; i < 14; i++) {
          c.add(backup("rw", "w" + i, "srv-" + (i % 4), "n", 1 + i, i));
          if (i % 3 == 0) {
            c.remove("rw", "w" + (i / 2), 1);
          }
        }
      });
      writer.start();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (writer.isAlive()) {
        List<Object> both = c.read("rw", v -> List.of(v.quotaUsage(), v.usage(UsageQuery.firstServers(10)),
            v.usage(UsageQuery.of(Predicates.not(Predicates.stalled()), 0, 10))));
        QuotaUsage q = (QuotaUsage) both.get(0);
        UsageReport u = (UsageReport) both.get(1);
        assertEquals(q.backupsUsed(), u.backups(), c.toString());
        assertEquals(q.sizeMbUsed(), u.sizeMb(), c.toString());
        assertEquals(u.sizeMb(), u.servers().stream().mapToLong(ServerUsage::sizeMb).sum(), c.toString());
        assertEquals(u.sizeMb(), ((UsageReport) both.get(2)).sizeMb(), c.toString());
        assertTrue(System.nanoTime() < deadline, "the writer hangs");
      }
      writer.join(30_000);
    }
    state("rw");
  }

  @Test
  void serverUsageRefusesANegativeCountNamingItAsTheOtherUsageValuesDo() {
    InvalidValueException e = assertThrows(InvalidValueException.class, () -> new ServerUsage("s", "n", -1, 0));
    assertEquals("backups", e.field());
    assertEquals("size mb", assertThrows(InvalidValueException.class, () -> new ServerUsage("s", "n", 0, -1)).field());
  }

  @Test
  void randomSequencesOfQuotaCallsAgreeOnEveryCatalog() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    Map<String, Long> versions = new LinkedHashMap<>();
    int next = 0;
    try {
      for (int round = 0; round < 40; round++) {
        int op = random.nextInt(10);
        if (op == 0) {
          long backups = random.nextInt(4) == 0 ? -1 : random.nextInt(12);
          long gb = random.nextInt(4) == 0 ? -1 : random.nextInt(4);
          sameVoid(P, c -> c.setQuota(P, Quota.of(backups, gb)));
        } else if (op <= 4) {
          long size = new long[] {0, 1, 511, 1023, 1024, 1025, 2048}[random.nextInt(7)];
          Backup b = backup(P, "r" + next++, "srv-" + random.nextInt(5), "n" + random.nextInt(4), size, next);
          String o = same(P, c -> {
            c.add(b);
            return "done";
          });
          if (o.equals("ok done")) {
            versions.put(b.id(), 1L);
          }
        } else if (op == 5) {
          List<Backup> batch = new ArrayList<>();
          for (int k = random.nextInt(4); k >= 0; k--) {
            batch.add(backup(P, "r" + next++, "srv-" + random.nextInt(5), "n", random.nextInt(700), next));
          }
          if (same(P, c -> {
            c.addAll(batch);
            return "done";
          }).equals("ok done")) {
            batch.forEach(b -> versions.put(b.id(), 1L));
          }
        } else if (!versions.isEmpty()) {
          List<String> ids = new ArrayList<>(versions.keySet());
          String id = ids.get(random.nextInt(ids.size()));
          long v = versions.get(id);
          if (op == 6) {
            sameVoid(P, c -> c.remove(P, id, v));
            versions.remove(id);
          } else {
            Transition t = op == 7 ? Transition.delete() : op == 8 ? Transition.complete() : Transition.restore();
            String o = same(P, c -> c.apply(P, id, v, t).map(Backup::version));
            if (o.startsWith("ok Optional[")) {
              versions.put(id, v + 1);
            } else if (o.equals("ok Optional.empty")) {
              versions.remove(id);
            }
          }
        }
        clock.advance(Duration.ofSeconds(1));
      }
    } catch (AssertionError e) {
      throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
    }
  }
}
