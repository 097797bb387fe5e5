package io.csbs;

import static io.csbs.SeededRuns.seeded;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.BackupNotFoundException;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.DuplicateBackupException;
import io.csbs.catalog.ProjectSnapshot;
import io.csbs.catalog.ProjectStats;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.testing.FakeClock;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaExceededException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * A new user's reading of {@link BackupCatalog#stats} and {@link ProjectStats} (javadoc of
 * BackupCatalog, ProjectStats, Catalogs; README's Quick start and Benchmarks; csbs-benchmarks/README's
 * issue #12 summary) on catalogs whose backups arrive late, are removed in bulk and change from several
 * threads, with answers compared to a plain scan while reorganisations run.
 */
class NewUserStatsTest {
  static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
  static final Server WEB = Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-web-01", "eu-de-02");
  static final Server[] SERVERS = new Server[40];

  static {
    for (int i = 0; i < SERVERS.length; i++) {
      SERVERS[i] = Server.of("srv-" + i + "-ü", "ECS-Ünïcode-" + i, "eu-de-0" + (i % 3 + 1));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // helpers

  static Backup backup(String project, String id, String name, Instant created, Tag... tags) {
    return Backup.builder().id(id).name(name).projectId(project).server(WEB).status(BackupStatus.AVAILABLE)
        .sizeMb(1024).createdAt(created).addTags(tags).build();
  }

  /** A backup of odd but valid data: unicode names, several servers, a few tags. */
  static Backup odd(String project, String id, Instant created, Random r) {
    String[] stems = {"autobk_", "Ärger-", "备份_", "ΣΩ-", "x"};
    String name = stems[r.nextInt(stems.length)] + Integer.toHexString(r.nextInt(1 << 20));
    List<Tag> tags = new ArrayList<>();
    int n = r.nextInt(4);
    for (int i = 0; i < n; i++) {
      tags.add(Tag.of("k" + i, "v" + r.nextInt(5)));
    }
    return Backup.builder().id(id).name(name).projectId(project).server(SERVERS[r.nextInt(SERVERS.length)])
        .status(BackupStatus.AVAILABLE)
        .sizeMb(r.nextInt(100_000)).createdAt(created).addTags(tags.toArray(new Tag[0])).build();
  }

  static boolean allZero(ProjectStats s) {
    return s.backups() == 0 && s.estimatedIndexBytes() == 0 && s.reorganisations() == 0
        && s.reorganisationTime().isZero() && s.longestReorganisation().isZero() && s.longestSwap().isZero()
        && s.longestChangeHold().isZero() && s.lockWaits() == 0 && s.lockWaitTime().isZero();
  }

  /** What must hold inside one snapshot, whatever happened. */
  static void checkSnapshot(ProjectStats s, String what) {
    String m = what + ": " + s;
    if (s.reorganisations() == 0) {
      assertTrue(s.reorganisationTime().isZero() && s.longestReorganisation().isZero() && s.longestSwap().isZero(),
          "no reorganisation completed, but durations: " + m);
    } else {
      assertTrue(s.longestReorganisation().compareTo(s.reorganisationTime()) <= 0, "longest above total: " + m);
      assertTrue(s.reorganisationTime().compareTo(s.longestReorganisation().multipliedBy(s.reorganisations())) <= 0,
          "total above count x longest: " + m);
      assertTrue(s.longestReorganisation().compareTo(Duration.ZERO) > 0, "a reorganisation took no time: " + m);
    }
    if (s.lockWaits() == 0) {
      assertTrue(s.lockWaitTime().isZero(), "wait time without waits: " + m);
    }
    if (s.backups() == 0) {
      assertEquals(0.0, s.indexBytesPerBackup(), m);
    } else {
      assertEquals(s.estimatedIndexBytes() / (double) s.backups(), s.indexBytesPerBackup(), 1e-9, m);
    }
  }

  /** Counters that only grow, from one snapshot to a later one of the same project. */
  static void checkGrows(ProjectStats before, ProjectStats after, String what) {
    String m = what + ": " + before + " then " + after;
    assertTrue(after.reorganisations() >= before.reorganisations(), "reorganisations went back: " + m);
    assertTrue(after.reorganisationTime().compareTo(before.reorganisationTime()) >= 0, "reorganisation time went back: " + m);
    assertTrue(after.longestReorganisation().compareTo(before.longestReorganisation()) >= 0, "longest reorganisation went back: " + m);
    assertTrue(after.longestSwap().compareTo(before.longestSwap()) >= 0, "longest swap went back: " + m);
    assertTrue(after.longestChangeHold().compareTo(before.longestChangeHold()) >= 0, "longest change hold went back: " + m);
    assertTrue(after.lockWaits() >= before.lockWaits(), "lock waits went back: " + m);
    assertTrue(after.lockWaitTime().compareTo(before.lockWaitTime()) >= 0, "lock wait time went back: " + m);
  }

  /**
   * The heap in use once it stops moving: other tests' catalogs in this JVM may still be reorganising
   * on their daemon threads, whose scratch state comes and goes between two readings (a base taken
   * during one made a catalog measure 36 MB less than nothing), so read until two readings agree.
   */
  static long usedHeap() throws InterruptedException {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long previous = Long.MAX_VALUE;
    for (int i = 0; i < 20; i++) {
      System.gc();
      Thread.sleep(20);
      long used = memory.getHeapMemoryUsage().getUsed();
      if (Math.abs(used - previous) < 256 * 1024) {
        return Math.min(used, previous);
      }
      previous = used;
    }
    return previous;
  }

  static <T> T within30s(java.util.concurrent.Callable<T> body, String what) throws Exception {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
    try {
      return pool.submit(body).get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("hung for 30 s: " + what, e);
    } finally {
      pool.shutdownNow();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // the project id: unknown, blank, null, odd

  @Test
  void aProjectNeverSeenReadsAsEmptyAndNamedAsAsked() {
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    catalog.add(backup("project-1", "b-1", "autobk_1", NOW.minusSeconds(60)));
    for (String p : List.of("project-2", "PROJECT-1", "project-1 ", "projeкт-✓\uD83D\uDE00", "x".repeat(10_000), "\u0000", "a/b?c=d")) {
      // reads of the project first: they must not make it known
      catalog.count(p, Predicates.all());
      catalog.query(p, Query.all());
      catalog.find(p, "b-1");
      catalog.tagCatalogue(p);
      catalog.sequence(p);
      catalog.read(p, v -> v.count(Predicates.all()));
      ProjectStats s = catalog.stats(p);
      assertEquals(p, s.projectId());
      assertTrue(allZero(s), "not empty: " + SeededRuns.escape(s.toString().substring(0, Math.min(300, s.toString().length()))));
      assertEquals(0.0, s.indexBytesPerBackup());
    }
    assertEquals(1, catalog.stats("project-1").backups());
  }

  @Test
  void aChangeRefusedForAProjectWithoutBackupsLeavesItUnknown() {
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    assertThrows(BackupNotFoundException.class, () -> catalog.apply("ghost-1", "x", 1, Transition.delete()));
    assertThrows(BackupNotFoundException.class, () -> catalog.remove("ghost-2", "x", 1));
    assertThrows(BackupNotFoundException.class, () -> catalog.updateTags("ghost-3", "x", 1, TagUpdate.create(Tag.of("a", "b"))));
    for (String p : List.of("ghost-1", "ghost-2", "ghost-3")) {
      assertTrue(allZero(catalog.stats(p)), catalog.stats(p).toString());
    }
  }

  @Test
  void aRefusedBatchLeavesItsNewProjectsAsTheyWere() {
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    catalog.add(backup("project-1", "b-1", "autobk_1", NOW.minusSeconds(60)));
    ProjectStats before = catalog.stats("new-a");
    assertThrows(DuplicateBackupException.class, () -> catalog.addAll(List.of(
        backup("new-a", "x", "n", NOW.minusSeconds(10)), backup("project-1", "b-1", "n", NOW.minusSeconds(10)))));
    assertEquals(before, catalog.stats("new-a"));
  }

  @Test
  void blankAndNullProjectIdsAreRefusedByEveryCatalog() {
    BackupCatalog indexed = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    BackupCatalog reference = ReferenceCatalog.create(Clock.fixed(NOW, ZoneOffset.UTC));
    for (BackupCatalog catalog : List.of(indexed, reference)) {
      for (String blank : List.of("", " ", "\t\n", "\u2003", "\u3000 ")) {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> catalog.stats(blank), catalog.getClass().getSimpleName());
        assertTrue(e.getMessage().contains("project id"), e.getMessage());
      }
      assertThrows(NullPointerException.class, () -> catalog.stats(null));
    }
    // the default: no statistics kept, said as documented
    UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> reference.stats("project-1"));
    assertTrue(e.getMessage().contains("ReferenceCatalog"), e.getMessage());
  }

  @Test
  void insideAReadStatsOfTheSameProjectAgreeWithTheViewAndOfAnotherAreRefused() {
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    for (int i = 0; i < 30; i++) {
      catalog.add(backup("p-1", "b-" + i, "n" + i, NOW.minusSeconds(1000 - i)));
    }
    catalog.add(backup("p-2", "b-0", "n", NOW.minusSeconds(5)));
    long[] seen = catalog.read("p-1", view -> new long[] {view.count(Predicates.all()), catalog.stats("p-1").backups()});
    assertEquals(30, seen[0]);
    assertEquals(30, seen[1]);
    assertThrows(IllegalStateException.class, () -> catalog.read("p-1", view -> catalog.stats("p-2")));
  }

  // ---------------------------------------------------------------------------------------------
  // the value type

  @Test
  void aSnapshotIsAValueThatLaterChangesDoNotAlter() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(backup("p", "a", "n-a", NOW.minusSeconds(100)));
    ProjectStats first = catalog.stats("p");
    ProjectStats again = catalog.stats("p");
    assertEquals(first, again);
    assertEquals(first.hashCode(), again.hashCode());
    assertTrue(first.toString().contains("p") && first.toString().contains("backups=1"), first.toString());
    for (int i = 0; i < 200; i++) {
      catalog.add(backup("p", "late-" + i, "late", NOW.minusSeconds(100_000 + i)));
    }
    assertEquals(1, first.backups());
    assertEquals(again, first);
    assertEquals(201, catalog.stats("p").backups());
    assertNotEquals(first, catalog.stats("p"));
  }

  @Test
  void theConstructorRefusesNegativesAndNulls() {
    Duration z = Duration.ZERO;
    Duration neg = Duration.ofNanos(-1);
    assertThrows(IllegalArgumentException.class, () -> new ProjectStats("p", -1, 0, 0, z, z, z, z, 0, z));
    assertThrows(IllegalArgumentException.class, () -> new ProjectStats("p", 0, -1, 0, z, z, z, z, 0, z));
    assertThrows(IllegalArgumentException.class, () -> new ProjectStats("p", 0, 0, -1, z, z, z, z, 0, z));
    assertThrows(IllegalArgumentException.class, () -> new ProjectStats("p", 0, 0, 0, neg, z, z, z, 0, z));
    assertThrows(IllegalArgumentException.class, () -> new ProjectStats("p", 0, 0, 0, z, neg, z, z, 0, z));
    assertThrows(IllegalArgumentException.class, () -> new ProjectStats("p", 0, 0, 0, z, z, neg, z, 0, z));
    assertThrows(IllegalArgumentException.class, () -> new ProjectStats("p", 0, 0, 0, z, z, z, neg, 0, z));
    assertThrows(IllegalArgumentException.class, () -> new ProjectStats("p", 0, 0, 0, z, z, z, z, -1, z));
    assertThrows(IllegalArgumentException.class, () -> new ProjectStats("p", 0, 0, 0, z, z, z, z, 0, neg));
    assertThrows(NullPointerException.class, () -> new ProjectStats(null, 0, 0, 0, z, z, z, z, 0, z));
    NullPointerException npe = assertThrows(NullPointerException.class, () -> new ProjectStats("p", 0, 0, 0, z, z, null, z, 0, z));
    assertEquals("longestSwap", npe.getMessage());
    ProjectStats s = new ProjectStats("p", 3, 300, 0, z, z, z, z, 0, z);
    assertEquals(100.0, s.indexBytesPerBackup());
    assertEquals(0.0, new ProjectStats("p", 0, 300, 0, z, z, z, z, 0, z).indexBytesPerBackup());
  }

  @Test
  void theConstructorsRefusalNamesTheNegativeField() {
    Duration z = Duration.ZERO;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ProjectStats("p", 0, 0, 0, z, z, z, z, -5, z));
    assertTrue(e.getMessage().contains("lockWaits") && e.getMessage().contains("-5"), e.getMessage());
  }

  @Test
  void theConstructorRefusesABlankProjectButNotFieldsThatDisagree() {
    Duration z = Duration.ZERO;
    assertEquals("project id", assertThrows(InvalidValueException.class,
        () -> new ProjectStats(" ", 0, 0, 0, z, z, z, z, 0, z)).field());
    // documented: a snapshot reads its counts one by one beside the changes, so they are not cross-checked
    assertEquals(1, new ProjectStats("p", 0, 0, 1, z, Duration.ofSeconds(5), z, z, 0, z).reorganisations());
    assertEquals(0, new ProjectStats("p", 0, 0, 0, Duration.ofSeconds(5), z, z, z, 0, z).reorganisations());
  }

  // ---------------------------------------------------------------------------------------------
  // the backups count, exact after every change and every refusal

  @Test
  void theBackupsCountIsExactAfterEveryChangeAndRefusalInAnyArrivalOrder() {
    seeded(2, seed -> {
      Random r = new Random(seed);
      FakeClock clock = FakeClock.at(NOW);
      BackupCatalog catalog = Catalogs.indexed(clock);
      List<String> projects = List.of("p-\u00e9t\u00e9", "P-1", "project/\u4e2d\u6587");
      Map<String, Map<String, Backup>> model = new HashMap<>();
      for (String p : projects) {
        model.put(p, new LinkedHashMap<>());
      }
      int next = 0;
      for (int step = 0; step < 500; step++) {
        String p = projects.get(r.nextInt(projects.size()));
        Map<String, Backup> mine = model.get(p);
        List<String> ids = new ArrayList<>(mine.keySet());
        String pick = ids.isEmpty() ? null : ids.get(r.nextInt(ids.size()));
        Map<String, ProjectStats> before = new HashMap<>();
        for (String q : projects) {
          before.put(q, catalog.stats(q));
        }
        boolean refused = false;
        int op = r.nextInt(12);
        String what = "step " + step + " op " + op + " on " + p;
        try {
          switch (op) {
            case 0, 1, 2 -> { // a single add, late by up to a year, or newest
              Instant created = r.nextBoolean() ? NOW.minusSeconds(r.nextInt(31_536_000)) : NOW.minusMillis(next);
              Backup b = odd(p, "id-" + next++, created, r);
              catalog.add(b);
              mine.put(b.id(), b);
            }
            case 3 -> { // a batch over several projects, in any order
              List<Backup> batch = new ArrayList<>();
              int n = 1 + r.nextInt(60);
              for (int i = 0; i < n; i++) {
                String q = projects.get(r.nextInt(projects.size()));
                batch.add(odd(q, "id-" + next++, NOW.minusSeconds(r.nextInt(1_000_000)), r));
              }
              catalog.addAll(batch);
              for (Backup b : batch) {
                model.get(b.projectId()).put(b.id(), b);
              }
            }
            case 4 -> { // a batch refused for a duplicate, its other backups new
              if (pick == null) {
                continue;
              }
              List<Backup> batch = new ArrayList<>();
              for (int i = 0; i < 5; i++) {
                batch.add(odd(projects.get(r.nextInt(projects.size())), "id-" + next++, NOW.minusSeconds(r.nextInt(1_000_000)), r));
              }
              batch.add(r.nextInt(batch.size() + 1), odd(p, pick, NOW.minusSeconds(3), r));
              refused = true;
              assertThrows(DuplicateBackupException.class, () -> catalog.addAll(batch), what);
            }
            case 5 -> { // a duplicate single add
              if (pick == null) {
                continue;
              }
              refused = true;
              assertThrows(DuplicateBackupException.class, () -> catalog.add(odd(p, pick, NOW.minusSeconds(3), r)), what);
            }
            case 6, 7 -> { // a removal with the right version; or a version conflict
              if (pick == null) {
                continue;
              }
              Backup b = mine.get(pick);
              if (op == 7) {
                refused = true;
                assertThrows(VersionConflictException.class, () -> catalog.remove(p, pick, b.version() + 1), what);
              } else {
                catalog.remove(p, pick, b.version());
                mine.remove(pick);
              }
            }
            case 8 -> { // a deletion that completes: the backup leaves
              if (pick == null) {
                continue;
              }
              Backup b = mine.get(pick);
              if (b.status() == BackupStatus.DELETING) {
                assertTrue(catalog.apply(p, pick, b.version(), Transition.complete()).isEmpty(), what);
                mine.remove(pick);
              } else {
                Backup d = catalog.apply(p, pick, b.version(), Transition.delete()).orElseThrow();
                mine.put(pick, d);
              }
            }
            case 9 -> { // a refused transition: restore of a backup being deleted, or progress of an available one
              if (pick == null) {
                continue;
              }
              Backup b = mine.get(pick);
              refused = true;
              assertThrows(IllegalTransitionException.class, () -> catalog.apply(p, pick, b.version(),
                  b.status() == BackupStatus.DELETING ? Transition.restore() : Transition.reportProgress(40)), what);
            }
            case 10 -> { // a quota that refuses the next add, then none
              catalog.setQuota(p, Quota.of(mine.size(), Quota.UNLIMITED));
              before.put(p, catalog.stats(p));   // setting a quota is no refusal
              refused = true;
              assertThrows(QuotaExceededException.class, () -> catalog.add(odd(p, "id-q", NOW.minusSeconds(9), r)), what);
              assertEquals(before.get(p).estimatedIndexBytes(), catalog.stats(p).estimatedIndexBytes(),
                  what + ": a refusal moved the index bytes of " + p);
              // then a change: an empty project whose quotas are removed again holds no index bytes
              catalog.setQuota(p, Quota.NONE);
              refused = false;
            }
            default -> { // a tag update, which keeps the count
              if (pick == null) {
                continue;
              }
              Backup b = mine.get(pick);
              clock.advance(Duration.ofSeconds(1));
              Backup t = catalog.updateTags(p, pick, b.version(), TagUpdate.create(Tag.of("z" + r.nextInt(3), "v")));
              mine.put(pick, t);
            }
          }
        } catch (RuntimeException e) {
          throw new AssertionError(what + ": " + e, e);
        }
        for (String q : projects) {
          ProjectStats s = catalog.stats(q);
          checkSnapshot(s, what);
          checkGrows(before.get(q), s, what);
          assertEquals(model.get(q).size(), s.backups(), what + ": " + q);
          assertEquals(model.get(q).size(), catalog.count(q, Predicates.all()), what + ": count of " + q);
          // (an unknown project that a refused batch named: aRefusedBatchLeavesItsNewProjectsAsTheyWere)
          if (refused && s.reorganisations() == before.get(q).reorganisations() && !allZero(before.get(q))) {
            assertEquals(before.get(q).estimatedIndexBytes(), s.estimatedIndexBytes(), what + ": a refusal moved the index bytes of " + q);
          }
        }
      }
    });
  }

  // ---------------------------------------------------------------------------------------------
  // index bytes: an estimate, on data shapes of our own

  /** n backups of one project, in creation order, of a shape: names and tags as a service might make them. */
  static List<Backup> shaped(String shape, int n, Random r) {
    List<Backup> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String name;
      List<Tag> tags = new ArrayList<>();
      switch (shape) {
        case "distinct" -> name = "bk-" + Long.toHexString(r.nextLong());
        case "long" -> {
          StringBuilder b = new StringBuilder("LONG_");
          while (b.length() < 250) {
            b.append(Long.toHexString(r.nextLong()).toUpperCase());
          }
          name = b.substring(0, 250);
        }
        case "tags" -> {
          name = "autobk_" + (i % 100);
          for (int t = 0; t < Backup.MAX_TAGS; t++) {
            tags.add(Tag.of("key-" + t, "v" + r.nextInt(1_000_000)));
          }
        }
        case "cjk" -> {
          StringBuilder b = new StringBuilder("备份_");
          for (int k = 0; k < 20; k++) {
            b.append((char) (0x4e00 + r.nextInt(2000)));
          }
          name = b.toString();
        }
        default -> throw new IllegalArgumentException(shape);
      }
      out.add(Backup.builder().id(UUID.randomUUID().toString()).name(name).projectId("p")
          .server(SERVERS[r.nextInt(SERVERS.length)]).status(BackupStatus.AVAILABLE).sizeMb(1024)
          .createdAt(NOW.minusSeconds(10L * (n - i))).addTags(tags.toArray(new Tag[0])).build());
    }
    return out;
  }

  /**
   * The catalog's heap beside the backups, measured, and its own estimate, in bytes a backup. A
   * catalog that measures less than nothing was measured while something else in the JVM let go of
   * memory between the two readings: it is built and measured again (up to three times).
   */
  static double[] measured(List<Backup> backups) throws InterruptedException {
    for (int attempt = 1; ; attempt++) {
      long base = usedHeap();
      BackupCatalog catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
      catalog.addAll(backups);
      long heap = usedHeap() - base;
      ProjectStats stats = catalog.stats("p");
      assertEquals(backups.size(), stats.backups());
      double[] both = {heap / (double) backups.size(), stats.indexBytesPerBackup()};
      assertEquals(backups.size(), catalog.count("p", Predicates.all()));   // keeps the catalog alive until here
      if (heap > 0 || attempt == 3) {
        return both;
      }
    }
  }

  @Test
  void theIndexBytesEstimateFollowsTheHeapOnDataShapesOfOurOwn() throws Exception {
    long seed = io.csbs.testing.Seeds.pick();
    Random r = new Random(seed);
    for (String shape : List.of("distinct", "long", "tags")) {
      double[] m = measured(shaped(shape, shape.equals("distinct") ? 30_000 : 6_000, r));
      String what = "seed " + seed + ", " + shape + ": heap " + m[0] + " B a backup, estimate " + m[1];
      assertTrue(m[1] > 0.5 * m[0] && m[1] < 2 * m[0], what);
    }
  }

  @Test
  void mostlyDistinctShortNamesStayWithinTheDocumentedIndexBytesPerBackup() throws Exception {
    long seed = io.csbs.testing.Seeds.pick();
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    catalog.addAll(shaped("distinct", 50_000, new Random(seed)));
    ProjectStats s = catalog.stats("p");
    assertTrue(s.indexBytesPerBackup() <= 64, "seed " + seed + ": " + s);
  }

  @Test
  void distinctUnicodeOrLongNamesTakeHundredsOfIndexBytesABackupActually() throws Exception {
    long seed = io.csbs.testing.Seeds.pick();
    double[] cjk = measured(shaped("cjk", 3_000, new Random(seed)));
    assertTrue(cjk[1] > 500 && cjk[0] > 500, "seed " + seed + ": heap " + cjk[0] + ", estimate " + cjk[1]);
    double[] longNames = measured(shaped("long", 3_000, new Random(seed)));
    assertTrue(longNames[1] > 200 && longNames[0] > 200, "seed " + seed + ": heap " + longNames[0] + ", estimate " + longNames[1]);
  }

  static List<Backup> manyDistinctValues(int n, Random r) {
    List<Backup> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      List<Tag> tags = new ArrayList<>();
      for (int t = 0; t < Backup.MAX_TAGS; t++) {
        tags.add(Tag.of("k" + t, "v" + r.nextInt(1_000_000)));
      }
      out.add(Backup.builder().id("b-" + i).name("bk-" + i).projectId("p").server(Server.of("s-" + i, "ecs-" + i, "eu-de-01"))
          .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(NOW.minusSeconds(n - i)).addTags(tags.toArray(new Tag[0])).build());
    }
    return out;
  }

  @Test
  void aChangeWaitsForStatsOfAProjectOfManyDistinctValuesActually() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    catalog.addAll(manyDistinctValues(8_000, new Random(4)));
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> failed = new AtomicReference<>();
    Thread poller = new Thread(() -> {
      try {
        while (!stop.get()) {
          assertTrue(catalog.stats("p").backups() >= 8_000);
        }
      } catch (Throwable t) {
        failed.set(t);
      }
    });
    poller.start();
    try {
      within30s(() -> {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        int i = 0;
        while (catalog.stats("p").lockWaits() == 0 && System.nanoTime() < deadline) {
          catalog.add(backup("p", "w-" + i, "w", NOW.plusMillis(i)));
          i++;
        }
        return null;
      }, "adds beside stats");
    } finally {
      stop.set(true);
      poller.join(30_000);
    }
    if (failed.get() != null) {
      throw new AssertionError(failed.get());
    }
    ProjectStats s = catalog.stats("p");
    assertTrue(s.lockWaits() > 0 && s.lockWaitTime().compareTo(Duration.ZERO) > 0, "no change waited for a stats() call: " + s);
  }

  // ---------------------------------------------------------------------------------------------
  // lock waits

  @Test
  void aChangeHeldOffByAReadIsCountedAsALockWaitForAtLeastTheHold() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    catalog.add(backup("p", "a", "n", NOW.minusSeconds(100)));
    catalog.add(backup("other", "a", "n", NOW.minusSeconds(100)));
    ProjectStats before = catalog.stats("p");
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Thread reader = new Thread(() -> catalog.read("p", view -> {
      inside.countDown();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return view.count(Predicates.all());
    }));
    reader.start();
    assertTrue(inside.await(30, TimeUnit.SECONDS));
    Thread writer = new Thread(() -> catalog.add(backup("p", "b", "n", NOW.minusSeconds(50))));
    writer.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (writer.getState() != Thread.State.WAITING && writer.getState() != Thread.State.TIMED_WAITING
        && writer.getState() != Thread.State.BLOCKED && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    assertTrue(writer.isAlive(), "the add did not wait for the read");
    // a change of another project does not wait, nor count here
    within30s(() -> {
      catalog.add(backup("other", "b", "n", NOW.minusSeconds(50)));
      return null;
    }, "another project's add beside a read");
    Thread.sleep(300);
    // (stats("p") here would wait behind the waiting add, as BackupCatalog.read says a read begun then does)
    assertTrue(writer.isAlive(), "the add went through during the read");
    release.countDown();
    writer.join(30_000);
    reader.join(30_000);
    assertFalse(writer.isAlive() || reader.isAlive(), "hung");
    ProjectStats after = catalog.stats("p");
    assertEquals(2, after.backups());
    assertTrue(after.lockWaits() >= before.lockWaits() + 1, after.toString());
    assertTrue(after.lockWaitTime().minus(before.lockWaitTime()).compareTo(Duration.ofMillis(250)) >= 0,
        "the add waited at least 300 ms: " + after);
    assertEquals(0, catalog.stats("other").lockWaits(), catalog.stats("other").toString());
  }

  // ---------------------------------------------------------------------------------------------
  // late adds and retention in several projects, reorganising, with readers and a stats poller

  /** The counts a project had, op by op, for a poller to judge a count read meanwhile. */
  static final class History {
    final AtomicLongArray counts = new AtomicLongArray(40_000);
    final java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();

    History(long first) {
      for (int i = 0; i < counts.length(); i++) {
        counts.set(i, -1);
      }
      counts.set(0, first);
    }

    /** Runs a change that leaves {@code next} backups, publishing it before and after. */
    void change(long next, Runnable change) {
      int k = done.get();
      counts.set(k + 1, next);
      change.run();
      done.set(k + 1);
    }

    /** Whether {@code seen} was the count at some moment of the call that ran between the two reads. */
    boolean wasTrue(int d0, long seen, int d1) {
      long lo = Long.MAX_VALUE;
      long hi = Long.MIN_VALUE;
      for (int i = d0; i <= d1 + 1; i++) {
        long c = counts.get(i);
        if (c >= 0) {
          lo = Math.min(lo, c);
          hi = Math.max(hi, c);
        }
      }
      return seen >= lo && seen <= hi;
    }
  }

  static Page page(Query q, BackupCatalog c, String p) {
    return c.query(p, q);
  }

  static List<String> ids(Page page) {
    List<String> ids = new ArrayList<>();
    for (Backup b : page.backups()) {
      ids.add(b.id());
    }
    return ids;
  }

  /** Compares the catalog's answers with the reference's for one project; returns nothing or what differs. */
  static String compare(BackupCatalog catalog, BackupCatalog reference, String p, Random r) {
    List<Function<BackupCatalog, Object>> asks = new ArrayList<>();
    Instant from = NOW.minusSeconds(r.nextInt(400_000));
    Instant to = from.plusSeconds(r.nextInt(200_000));
    BackupPredicate window = Predicates.createdBetween(from, to);
    BackupPredicate server = Predicates.serverId(SERVERS[r.nextInt(SERVERS.length)].id());
    int offset = r.nextInt(3000);
    asks.add(c -> c.count(p, Predicates.all()));
    asks.add(c -> c.count(p, window));
    asks.add(c -> c.count(p, Predicates.and(window, Predicates.status(BackupStatus.AVAILABLE))));
    asks.add(c -> summary(c.query(p, Query.builder().limit(50).build())));
    asks.add(c -> summary(c.query(p, Query.builder().sort(Sort.parse("created_at:asc")).limit(50).build())));
    asks.add(c -> summary(c.query(p, Query.builder().where(window).offset(offset).limit(30).build())));
    asks.add(c -> summary(c.query(p, Query.builder().where(server).limit(20).build())));
    asks.add(c -> summary(c.query(p, Query.builder().where(Predicates.nameContains("ärg")).sort(Sort.parse("name:asc")).limit(20).build())));
    for (int i = 0; i < asks.size(); i++) {
      Object expected = asks.get(i).apply(reference);
      Object actual = asks.get(i).apply(catalog);
      if (!expected.equals(actual)) {
        return p + " ask " + i + " (window " + from + ".." + to + ", offset " + offset + "): expected " + expected + " but was " + actual;
      }
    }
    return null;
  }

  static String summary(Page page) {
    return page.total() + " " + page.hasMore() + " " + ids(page);
  }

  @Test
  void lateAddsAndRetentionInSeveralProjectsAnswerLikeAScanWhileReorganisingAndStatsStayTrue() throws Exception {
    seeded(1, seed -> {
      Random r = new Random(seed);
      FakeClock clock = FakeClock.at(NOW);
      BackupCatalog catalog = Catalogs.indexed(clock);
      ReferenceCatalog reference = ReferenceCatalog.create(clock);
      catalog.subscribe(change -> reference.replay(change));
      List<String> projects = List.of("ret-\u00e5", "ret-\u4e2d", "ret-3");
      Map<String, TreeMap<String, Backup>> byAge = new HashMap<>();   // "created|id" to the backup
      Map<String, History> histories = new HashMap<>();
      int initial = 2000;
      int next = 0;
      for (String p : projects) {
        List<Backup> load = new ArrayList<>();
        TreeMap<String, Backup> mine = new TreeMap<>();
        for (int i = 0; i < initial; i++) {
          Backup b = odd(p, "id-" + next++, NOW.minusSeconds(100L * (initial - i)), r);
          load.add(b);
          mine.put(key(b), b);
        }
        catalog.addAll(load);
        byAge.put(p, mine);
        histories.put(p, new History(initial));
      }
      AtomicBoolean stop = new AtomicBoolean();
      AtomicReference<Throwable> failed = new AtomicReference<>();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 2; t++) {   // pollers: stats and counts read while the writer runs
        final int me = t;
        threads.add(new Thread(() -> {
          Map<String, ProjectStats> last = new HashMap<>();
          try {
            while (!stop.get() && failed.get() == null) {
              for (String p : projects) {
                History h = histories.get(p);
                int d0 = h.done.get();
                long seen = me == 0 ? catalog.stats(p).backups() : catalog.count(p, Predicates.all());
                int d1 = h.done.get();
                assertTrue(h.wasTrue(d0, seen, d1), p + ": " + (me == 0 ? "stats" : "count") + " read " + seen
                    + ", never true between ops " + d0 + " and " + (d1 + 1));
                if (me == 0) {
                  ProjectStats s = catalog.stats(p);
                  checkSnapshot(s, p);
                  if (last.containsKey(p)) {
                    checkGrows(last.get(p), s, p);
                  }
                  last.put(p, s);
                }
              }
              Thread.sleep(1);
            }
          } catch (Throwable e) {
            failed.compareAndSet(null, e);
          }
        }));
      }
      threads.forEach(Thread::start);
      java.util.concurrent.ExecutorService readers = java.util.concurrent.Executors.newFixedThreadPool(2);
      try {
        for (int step = 0; step < 12 && failed.get() == null; step++) {
          for (String p : projects) {
            TreeMap<String, Backup> mine = byAge.get(p);
            History h = histories.get(p);
            if (step % 3 != 2) {   // late adds: older than the newest, anywhere in the project's span
              int n = 100 + r.nextInt(150);
              for (int i = 0; i < n; i++) {
                Backup b = odd(p, "id-" + next++, NOW.minusSeconds(1 + r.nextInt(100 * initial)), r);
                h.change(mine.size() + 1, () -> catalog.add(b));
                mine.put(key(b), b);
              }
            } else {   // a retention job: the oldest go
              int n = 150 + r.nextInt(300);
              for (int i = 0; i < n && mine.size() > 10; i++) {
                Backup oldest = mine.firstEntry().getValue();
                h.change(mine.size() - 1, () -> catalog.remove(p, oldest.id(), oldest.version()));
                mine.pollFirstEntry();
              }
            }
          }
          final int s = step;
          List<java.util.concurrent.Future<String>> answers = new ArrayList<>();
          for (int t = 0; t < 2; t++) {
            final long readerSeed = r.nextLong();
            answers.add(readers.submit(() -> {
              Random rr = new Random(readerSeed);
              for (int round = 0; round < 1; round++) {
                for (String p : projects) {
                  String diff = compare(catalog, reference, p, rr);
                  if (diff != null) {
                    return "after step " + s + ": " + diff;
                  }
                  if (catalog.stats(p).backups() != reference.count(p, Predicates.all())) {
                    return "after step " + s + ": stats " + catalog.stats(p) + " against " + reference.count(p, Predicates.all());
                  }
                }
              }
              return null;
            }));
          }
          for (java.util.concurrent.Future<String> a : answers) {
            String diff = a.get(30, TimeUnit.SECONDS);
            assertEquals(null, diff);
          }
          for (String p : projects) {
            assertEquals(byAge.get(p).size(), catalog.stats(p).backups(), "step " + step + " " + p);
          }
        }
      } finally {
        stop.set(true);
        readers.shutdownNow();
        for (Thread t : threads) {
          t.join(30_000);
        }
      }
      if (failed.get() != null) {
        throw new AssertionError(failed.get());
      }
      long reorganisations = 0;
      for (String p : projects) {
        reorganisations += catalog.stats(p).reorganisations();
      }
      System.out.println("NewUserStatsTest: reorganisations " + reorganisations);
      assertTrue(reorganisations > 0, "no project reorganised; the test proved less than it meant to");
    });
  }

  static String key(Backup b) {
    return String.format("%020d|%s", b.createdAt().getEpochSecond() + 10_000_000_000L, b.id());
  }

  // ---------------------------------------------------------------------------------------------
  // batches, subscribers, replicas, several catalogs

  @Test
  void aBigLateBatchIsSeenByStatsAllOrNothing() throws Exception {
    seeded(1, seed -> {
      Random r = new Random(seed);
      BackupCatalog catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
      List<Backup> first = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        first.add(odd("p", "a-" + i, NOW.minusSeconds(1000 - i), r));
      }
      catalog.addAll(first);
      List<Backup> batch = new ArrayList<>();
      for (int i = 0; i < 8_000; i++) {   // older than the newest: late, and a second project's beside
        batch.add(odd(i % 4 == 0 ? "q" : "p", "b-" + i, NOW.minusSeconds(1 + r.nextInt(5_000_000)), r));
      }
      AtomicBoolean stop = new AtomicBoolean();
      Set<Long> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
      AtomicReference<Throwable> failed = new AtomicReference<>();
      Thread poller = new Thread(() -> {
        try {
          while (!stop.get()) {
            seen.add(catalog.stats("p").backups());
          }
        } catch (Throwable t) {
          failed.set(t);
        }
      });
      poller.start();
      Thread.sleep(5);
      catalog.addAll(batch);
      seen.add(catalog.stats("p").backups());
      stop.set(true);
      poller.join(30_000);
      if (failed.get() != null) {
        throw new AssertionError(failed.get());
      }
      assertTrue(Set.of(1000L, 7_000L).containsAll(seen), "seed " + seed + ": stats saw part of a batch: " + seen);
      assertEquals(2000, catalog.stats("q").backups());
    });
  }

  @Test
  void aSubscriberReadsStatsThatIncludeTheChangeItIsGiven() {
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    List<String> wrong = new ArrayList<>();
    catalog.subscribe(change -> {
      long stats = catalog.stats(change.projectId()).backups();
      long count = catalog.count(change.projectId(), Predicates.all());
      if (stats != count) {
        wrong.add(change.sequence() + ": stats " + stats + ", count " + count);
      }
      catalog.stats("elsewhere");   // another project from a delivery: no deadlock, no refusal
    });
    Random r = new Random(11);
    for (int i = 0; i < 300; i++) {
      catalog.add(odd("p", "x-" + i, NOW.minusSeconds(r.nextInt(1_000_000)), r));
    }
    for (int i = 0; i < 300; i += 2) {
      catalog.remove("p", "x-" + i, 1);
    }
    assertEquals(List.of(), wrong);
    assertEquals(150, catalog.stats("p").backups());
  }

  @Test
  void aReplicaLoadedAndReplayedCountsItsOwnBackupsAndARefusedLoadOrReplayChangesNothing() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog primary = Catalogs.indexed(clock);
    Random r = new Random(5);
    List<Backup> initial = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      initial.add(odd("p", "i-" + i, NOW.minusSeconds(r.nextInt(1_000_000)), r));
    }
    primary.addAll(initial);
    BackupCatalog replica = Catalogs.indexed(clock);
    replica.load(new ProjectSnapshot("p", primary.sequence("p"), Quota.NONE, initial));
    assertEquals(500, replica.stats("p").backups());
    List<io.csbs.catalog.Change> changes = new ArrayList<>();
    primary.subscribe(changes::add);
    for (int i = 0; i < 200; i++) {
      primary.add(odd("p", "late-" + i, NOW.minusSeconds(r.nextInt(1_000_000)), r));
    }
    for (int i = 0; i < 100; i++) {
      primary.remove("p", "i-" + i, 1);
    }
    ProjectStats before = replica.stats("p");
    assertThrows(IllegalStateException.class, () -> replica.replay(changes.get(5)));   // a change missing
    assertThrows(IllegalStateException.class, () -> replica.load(new ProjectSnapshot("p", 0, Quota.NONE, List.of())));
    assertEquals(before.backups(), replica.stats("p").backups());
    for (io.csbs.catalog.Change c : changes) {
      assertTrue(replica.replay(c));
    }
    assertEquals(600, replica.stats("p").backups());
    assertEquals(primary.stats("p").backups(), replica.stats("p").backups());
    assertFalse(replica.replay(changes.get(0)));
    assertEquals(600, replica.stats("p").backups());
  }

  @Test
  void twoCatalogsCountTheirOwnReorganisationsOnOneSharedDaemonThread() throws Exception {
    BackupCatalog busy = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    BackupCatalog quiet = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    Random r = new Random(9);
    List<Backup> load = new ArrayList<>();
    for (int i = 0; i < 4000; i++) {
      load.add(odd("p", "a-" + i, NOW.minusSeconds(100L * (4000 - i)), r));
    }
    busy.addAll(load);
    quiet.addAll(load);
    within30s(() -> {
      int i = 0;
      while (busy.stats("p").reorganisations() == 0) {   // late adds, then searches, make one due
        busy.add(odd("p", "late-" + i++, NOW.minusSeconds(1 + r.nextInt(400_000)), r));
        busy.count("p", Predicates.status(BackupStatus.AVAILABLE));
        busy.query("p", Query.builder().where(Predicates.serverId(SERVERS[0].id())).limit(20).build());
        if (i > 20_000) {
          Thread.sleep(5);
        }
      }
      return null;
    }, "a reorganisation");
    ProjectStats s = busy.stats("p");
    checkSnapshot(s, "busy");
    assertTrue(s.longestSwap().compareTo(Duration.ZERO) > 0, "a reorganisation ended with a swap of no time: " + s);
    assertEquals(0, quiet.stats("p").reorganisations(), quiet.stats("p").toString());
    List<Thread> reorganisers = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().equals("csbs-reorganiser")) {
        reorganisers.add(t);
      }
    }
    assertEquals(1, reorganisers.size(), "threads named csbs-reorganiser: " + reorganisers);
    assertTrue(reorganisers.get(0).isDaemon());
  }

  static void awaitParked(Thread t, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING
        && t.getState() != Thread.State.BLOCKED && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    assertTrue(t.isAlive() && t.getState() != Thread.State.RUNNABLE, what + " did not wait: " + t.getState());
  }

  @Test
  void aReadBegunWhileAChangeWaitsWaitsTooAndBothAreCounted() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    catalog.add(backup("p", "a", "n", NOW.minusSeconds(100)));
    ProjectStats before = catalog.stats("p");
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Thread longRead = new Thread(() -> catalog.read("p", view -> {
      inside.countDown();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return 0;
    }));
    longRead.start();
    assertTrue(inside.await(30, TimeUnit.SECONDS));
    Thread change = new Thread(() -> catalog.add(backup("p", "b", "n", NOW.minusSeconds(50))));
    change.start();
    awaitParked(change, "the add");
    Thread.sleep(20);   // past the 10 ms after which a read lets the change go first without limit
    long[] statsSeen = new long[1];
    Thread laterRead = new Thread(() -> statsSeen[0] = catalog.stats("p").backups());
    laterRead.start();
    awaitParked(laterRead, "stats begun while the add waits");
    Thread.sleep(300);
    release.countDown();
    for (Thread t : List.of(longRead, change, laterRead)) {
      t.join(30_000);
      assertFalse(t.isAlive(), "hung");
    }
    assertEquals(2, statsSeen[0], "the change went first");
    ProjectStats after = catalog.stats("p");
    assertTrue(after.lockWaits() >= before.lockWaits() + 2, "the change and the read both waited: " + after);
    assertTrue(after.lockWaitTime().minus(before.lockWaitTime()).compareTo(Duration.ofMillis(500)) >= 0,
        "each waited at least 300 ms: " + after);
  }

  @Test
  void severalWritersOfOneProjectNeverMakeStatsThrowNorReadACountOutOfBounds() throws Exception {
    seeded(1, seed -> {
      Random setup = new Random(seed);
      FakeClock clock = FakeClock.at(NOW);
      BackupCatalog catalog = Catalogs.indexed(clock);
      int base = 3000;
      List<Backup> load = new ArrayList<>();
      for (int i = 0; i < base; i++) {
        load.add(odd("p", "base-" + i, NOW.minusSeconds(100L * (base - i)), setup));
      }
      catalog.addAll(load);
      int writers = 3;
      AtomicBoolean stop = new AtomicBoolean();
      AtomicReference<Throwable> failed = new AtomicReference<>();
      AtomicLong polls = new AtomicLong();
      List<Thread> threads = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        final long writerSeed = setup.nextLong();
        final int me = w;
        threads.add(new Thread(() -> {
          Random r = new Random(writerSeed);
          try {
            for (int i = 0; !stop.get() && failed.get() == null; i++) {
              // one backup of this writer's at a time: late, retagged, then removed
              Backup b = odd("p", "w" + me + "-" + i, NOW.minusSeconds(1 + r.nextInt(100 * base)), r);
              catalog.add(b);
              Backup t = catalog.updateTags("p", b.id(), 1, TagUpdate.create(Tag.of("w", "x" + r.nextInt(3))));
              catalog.remove("p", b.id(), t.version());
              // and a base backup retagged, which keeps the count
              String id = "base-" + r.nextInt(base);
              Backup current = catalog.get("p", id);
              try {
                catalog.updateTags("p", id, current.version(), TagUpdate.create(Tag.of("k9", "v" + r.nextInt(4))));
              } catch (VersionConflictException | InvalidValueException e) {
                // another writer was first, or the backup has its 10 tags: fine
              }
            }
          } catch (Throwable e) {
            failed.compareAndSet(null, new AssertionError("writer " + me + ", seed " + seed, e));
          }
        }));
      }
      for (int p = 0; p < 2; p++) {
        final int me = p;
        threads.add(new Thread(() -> {
          ProjectStats last = null;
          try {
            while (!stop.get() && failed.get() == null) {
              ProjectStats s = catalog.stats("p");
              long c = catalog.count("p", Predicates.all());
              assertTrue(s.backups() >= base && s.backups() <= base + writers, "stats out of bounds: " + s);
              assertTrue(c >= base && c <= base + writers, "count out of bounds: " + c);
              assertTrue(s.estimatedIndexBytes() > 0, s.toString());
              checkSnapshot(s, "poller " + me);
              if (last != null) {
                checkGrows(last, s, "poller " + me);
              }
              last = s;
              polls.incrementAndGet();
            }
          } catch (Throwable e) {
            failed.compareAndSet(null, new AssertionError("poller " + me + ", seed " + seed, e));
          }
        }));
      }
      threads.forEach(Thread::start);
      long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
      while (System.nanoTime() < end && failed.get() == null) {
        Thread.sleep(20);
      }
      stop.set(true);
      for (Thread t : threads) {
        t.join(30_000);
        assertFalse(t.isAlive(), "hung: " + t);
      }
      if (failed.get() != null) {
        throw new AssertionError(failed.get());
      }
      assertEquals(base, catalog.stats("p").backups());
      assertEquals(base, catalog.count("p", Predicates.all()));
      assertTrue(polls.get() > 0);
    });
  }

  @Test
  void catalogsBuilderOptionsAreSetOnceAndEachBuildIsItsOwnCatalog() {
    Catalogs.Builder builder = Catalogs.builder().clock(Clock.fixed(NOW, ZoneOffset.UTC));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> builder.clock(Clock.systemUTC()));
    assertTrue(e.getMessage().contains("clock"), e.getMessage());
    builder.stallRule(io.csbs.lifecycle.StallRule.DEFAULT);
    assertThrows(IllegalStateException.class, () -> builder.stallRule(io.csbs.lifecycle.StallRule.DEFAULT));
    assertThrows(NullPointerException.class, () -> Catalogs.builder().clock(null));
    assertThrows(NullPointerException.class, () -> Catalogs.indexed(null));
    BackupCatalog one = builder.build();
    BackupCatalog two = builder.build();
    one.add(backup("p", "a", "n", NOW.minusSeconds(5)));
    assertEquals(1, one.stats("p").backups());
    assertTrue(allZero(two.stats("p")), two.stats("p").toString());
  }

  @Test
  void removingTheQuotasOfAProjectThatHasNoneLeavesItUnknown() {
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    catalog.setQuota("never-used", Quota.NONE);
    assertTrue(allZero(catalog.stats("never-used")), catalog.stats("never-used").toString());
  }

  @Test
  void lookAlikeProjectIdsAreCountedApart() {
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    List<String> projects = List.of("caf\u00e9", "cafe\u0301", "CAF\u00c9", "caf\u00e9 ", "\u0441af\u00e9");
    for (int i = 0; i < projects.size(); i++) {
      for (int k = 0; k <= i; k++) {
        catalog.add(backup(projects.get(i), "same-id-" + k, "n", NOW.minusSeconds(10 + k)));
      }
    }
    for (int i = 0; i < projects.size(); i++) {
      assertEquals(i + 1, catalog.stats(projects.get(i)).backups(), SeededRuns.escape(projects.get(i)));
      assertEquals(projects.get(i), catalog.stats(projects.get(i)).projectId());
    }
  }

  @Test
  void aProjectEmptiedWhileItReorganisesReadsEmptyAndTakesBackupsAgain() throws Exception {
    seeded(1, seed -> {
      Random r = new Random(seed);
      FakeClock clock = FakeClock.at(NOW);
      BackupCatalog catalog = Catalogs.indexed(clock);
      ReferenceCatalog reference = ReferenceCatalog.create(clock);
      catalog.subscribe(change -> reference.replay(change));
      List<Backup> all = new ArrayList<>();
      for (int i = 0; i < 4000; i++) {
        all.add(odd("p", "a-" + i, NOW.minusSeconds(100L * (4000 - i)), r));
      }
      catalog.addAll(all);
      for (int i = 0; i < 2500; i++) {   // late: a reorganisation becomes due
        Backup b = odd("p", "late-" + i, NOW.minusSeconds(1 + r.nextInt(400_000)), r);
        catalog.add(b);
        all.add(b);
      }
      java.util.Collections.shuffle(all, r);
      ProjectStats last = catalog.stats("p");
      for (int i = 0; i < all.size(); i++) {
        catalog.remove("p", all.get(i).id(), 1);
        if (i % 500 == 0) {
          String diff = compare(catalog, reference, "p", r);
          assertEquals(null, diff, "after " + (i + 1) + " removals");
          ProjectStats s = catalog.stats("p");
          assertEquals(all.size() - i - 1, s.backups());
          checkSnapshot(s, "removal " + i);
          checkGrows(last, s, "removal " + i);
          last = s;
        }
      }
      ProjectStats empty = catalog.stats("p");
      assertEquals(0, empty.backups());
      assertEquals(0.0, empty.indexBytesPerBackup());
      assertEquals(0, catalog.query("p", Query.all()).total());
      assertTrue(catalog.query("p", Query.all()).backups().isEmpty());
      for (int i = 0; i < 300; i++) {
        catalog.add(odd("p", "a-" + i, NOW.minusSeconds(1 + r.nextInt(400_000)), r));   // the same ids again
      }
      assertEquals(null, compare(catalog, reference, "p", r));
      ProjectStats again = catalog.stats("p");
      assertEquals(300, again.backups());
      checkGrows(empty, again, "after emptied");
    });
  }

  @Test
  void aRetentionJobMakesAReorganisationDueOnlyPastThreeTimesTheBackupsLeft() throws Exception {
    // README.md:492: "A retention job that removes the oldest backups makes no reorganisation due until they are three
    // times the positions past them, or until the names and values no live backup has any more outnumber the live backups"
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    int n = 12_000;
    List<Backup> load = new ArrayList<>();
    for (int i = 0; i < n; i++) {   // names, servers and tags repeat: every value stays live to the end
      load.add(Backup.builder().id("b-" + i).name("autobk_" + (i % 50)).projectId("p")
          .server(SERVERS[i % SERVERS.length]).status(BackupStatus.AVAILABLE).sizeMb(1)
          .createdAt(NOW.minusSeconds(n - i)).addTags(Tag.of("env", "v" + (i % 7))).build());
    }
    catalog.addAll(load);
    int removed = 0;
    while (removed < n * 70 / 100) {   // 2.3 times the rest
      catalog.remove("p", "b-" + removed, 1);
      removed++;
    }
    for (int k = 0; k < 20; k++) {
      catalog.count("p", Predicates.status(BackupStatus.AVAILABLE));
      catalog.query("p", Query.builder().where(Predicates.tag("env", "v3")).limit(20).build());
      Thread.sleep(10);
    }
    assertEquals(0, catalog.stats("p").reorganisations(), catalog.stats("p").toString());
    while (removed < n * 80 / 100) {   // 4 times the rest
      catalog.remove("p", "b-" + removed, 1);
      removed++;
    }
    within30s(() -> {
      while (catalog.stats("p").reorganisations() == 0) {
        catalog.count("p", Predicates.status(BackupStatus.AVAILABLE));
        Thread.sleep(10);
      }
      return null;
    }, "the reorganisation a retention job made due");
    ProjectStats s = catalog.stats("p");
    checkSnapshot(s, "retention");
    assertEquals(n - removed, s.backups());
    assertEquals(n - removed, catalog.count("p", Predicates.all()));
  }

  @Test
  void everyKnownProjectHoldsKilobytesOfIndexEvenEmptiedActually() {
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    Random r = new Random(1);
    for (int i = 0; i < 20; i++) {
      catalog.add(odd("small", "b-" + i, NOW.minusSeconds(100 - i), r));
    }
    assertTrue(catalog.stats("small").indexBytesPerBackup() > 200, catalog.stats("small").toString());
    for (int i = 0; i < 20; i++) {
      catalog.remove("small", "b-" + i, 1);
    }
    ProjectStats emptied = catalog.stats("small");
    assertEquals(0, emptied.backups());
    assertEquals(0.0, emptied.indexBytesPerBackup());
    assertTrue(emptied.estimatedIndexBytes() > 4000, emptied.toString());
  }

  @Test
  void statsOfTheProjectFromInsideItsReadWhileAChangeWaitsDoesNotHang() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    catalog.add(backup("p", "a", "n", NOW.minusSeconds(100)));
    Thread[] writer = new Thread[1];
    long[] seen = within30s(() -> catalog.read("p", view -> {
      writer[0] = new Thread(() -> catalog.add(backup("p", "b", "n", NOW.minusSeconds(50))));
      writer[0].start();
      try {
        awaitParked(writer[0], "the add");
        Thread.sleep(20);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      return new long[] {catalog.stats("p").backups(), view.count(Predicates.all())};
    }), "stats inside read while a change waits");
    writer[0].join(30_000);
    assertFalse(writer[0].isAlive(), "hung");
    assertEquals(1, seen[0], "stats inside the read saw the waiting change");
    assertEquals(1, seen[1]);
    assertEquals(2, catalog.stats("p").backups());
  }
}
