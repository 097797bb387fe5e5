package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.testing.Seeds;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * Sorts by name, which walk the distinct names in order ({@link EntryOrder}) once a project has been
 * sorted by name: pages, offsets, whole walks by marker and counts equal the plain scan's, with the
 * generator's names, mostly distinct names, a few names in several cases, or one name for every
 * backup; with backups created at the same instant, late adds (a tail), removals and changes of
 * state between the checks, under every second key. Replay with {@code -Dcsbs.seed=N}.
 */
class NameSortTest {
  private static final String[] FEW_NAMES = {"daily", "Daily", "DAILY", "weekly", "a", "Z", "ä_db", "daily-2", "db_1"};

  @RepeatedTest(8)  // each kind of names twice a run on average; every run new seeds
  void nameSortsEqualTheScanWhateverTheNames() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      int kind = (int) Math.floorMod(seed, 4L);  // every kind of names in every few seeds
      BackupGenerator generator = BackupGenerator.builder().seed(seed).projects(1).servers(25).build();
      FakeClock clock = FakeClock.at(generator.end());
      IndexedCatalog indexed = new IndexedCatalog(clock, StallRule.DEFAULT, 64 + random.nextInt(600));
      ReferenceCatalog reference = ReferenceCatalog.create(clock, StallRule.DEFAULT);
      String project = BackupGenerator.projectId(0);
      List<Backup> made = generator.backups(1000 + random.nextInt(1500));
      List<Backup> backups = new ArrayList<>();
      for (Backup backup : made) {
        backups.add(backup.toBuilder().name(name(kind, backup, random)).build());
      }
      int atOnce = backups.size() / 2;
      indexed.addAll(backups.subList(0, atOnce));
      reference.addAll(backups.subList(0, atOnce));
      List<Backup> rest = new ArrayList<>(backups.subList(atOnce, backups.size()));
      Collections.shuffle(rest, new Random(seed));  // most of them late: a tail of rows out of order
      for (Backup backup : rest) {
        indexed.add(backup);
        reference.add(backup);
      }
      String at = "seed " + seed + ", names of kind " + kind;
      // the first sort by name sorts the names there and then; the shard keeps the order from then
      // on, through the reorganisations below (these catalogs reorganise on the caller's thread)
      check(indexed, reference, project, random, at + ", before the order");
      assertTrue(indexed.keepsNameOrder(project), at + ": a sort by name made the shard keep its names in order");
      for (int round = 0; round < 6; round++) {
        check(indexed, reference, project, random, at + ", round " + round);
        change(indexed, reference, project, backups, random, kind, round);
      }
      check(indexed, reference, project, random, at + ", at the end");
      assertTrue(indexed.keepsNameOrder(project), at + ": the order survives reorganisations");
    });
  }

  /**
   * Thousands of distinct names: the first sort by name sorts them there and then, under the read
   * lock, without a reorganisation, and walks the order; later sorts by name walk it too, while
   * backups of new names come and others go (whose names the index lets go of), and every answer
   * equals the scan's. Replay with {@code -Dcsbs.seed=N}.
   */
  @RepeatedTest(2)
  void theFirstSortByNameSortsTheNamesAndTheOrderFollowsTheChanges() {
    Seeds.run(Seeds.pick(), seed -> {
      DistinctNames loaded = DistinctNames.load(seed, 20_000, 20_000, 7);
      SplittableRandom random = loaded.random;
      BackupGenerator generator = loaded.generator;
      IndexedCatalog indexed = loaded.indexed;
      ReferenceCatalog reference = loaded.reference;
      String project = loaded.project;
      List<Backup> stored = loaded.stored;
      assertFalse(indexed.keepsNameOrder(project), "an order before any sort by name");
      Query byName = Query.builder().sort(Sort.by(SortKey.desc(SortField.NAME))).limit(20).build();
      assertEquals(reference.query(project, byName), indexed.query(project, byName), "the first sort by name");
      assertTrue(indexed.keepsNameOrder(project), "the first sort by name built no order");
      for (int step = 0; step < 4_000; step++) {
        if (random.nextBoolean()) {
          Backup fresh = generator.next().toBuilder().name("n-" + random.nextInt(1 << 30) + "-new-" + step).build();
          indexed.add(fresh);
          reference.add(fresh);
          stored.add(fresh);
        } else {
          int i = random.nextInt(stored.size());
          Backup gone = stored.get(i);
          stored.set(i, stored.get(stored.size() - 1));
          stored.remove(stored.size() - 1);
          indexed.remove(project, gone.id(), gone.version());
          reference.remove(project, gone.id(), gone.version());
        }
      }
      assertEquals(0, indexed.stats(project).reorganisations(), "a reorganisation ran");
      for (Sort sort : sorts()) {
        for (int offset : new int[] {0, 1, 19, 777, stored.size() - 5}) {
          Query query = Query.builder().sort(sort).limit(20).offset(offset).build();
          assertEquals(reference.query(project, query), indexed.query(project, query), query.toString());
        }
      }
    });
  }

  /**
   * Readers whose first sorts by name come at once, while a writer waits for the lock they hold: one
   * of them sorts the names, the others wait for it (the build is synchronized) and walk the same
   * order, every answer equals the scan's, and the writer's change goes in after them. Replay with
   * {@code -Dcsbs.seed=N}.
   */
  @RepeatedTest(3)
  void firstSortsByNameAtOnceShareOneOrder() {
    Seeds.run(Seeds.pick(), seed -> {
      DistinctNames loaded = DistinctNames.load(seed, 30_000, 0, 5);
      SplittableRandom random = loaded.random;
      BackupGenerator generator = loaded.generator;
      IndexedCatalog indexed = loaded.indexed;
      ReferenceCatalog reference = loaded.reference;
      String project = loaded.project;
      List<Backup> stored = loaded.stored;
      List<Query> queries = new ArrayList<>();
      for (Sort sort : sorts()) {
        queries.add(Query.builder().sort(sort).limit(20).offset(random.nextInt(stored.size())).build());
      }
      List<Page> expected = new ArrayList<>();
      for (Query query : queries) {
        expected.add(reference.query(project, query));
      }
      Backup late = generator.next().toBuilder().name("n-late").build();
      java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(queries.size() + 1);
      try {
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        List<java.util.concurrent.Future<Page>> answers = new ArrayList<>();
        for (Query query : queries) {
          answers.add(threads.submit(() -> {
            start.await();
            return indexed.query(project, query);
          }));
        }
        java.util.concurrent.Future<?> writer = threads.submit(() -> {
          start.await();
          indexed.add(late);
          return null;
        });
        start.countDown();
        writer.get(120, java.util.concurrent.TimeUnit.SECONDS);
        for (int i = 0; i < queries.size(); i++) {
          Page answer = answers.get(i).get(120, java.util.concurrent.TimeUnit.SECONDS);
          // each reader saw the catalog before or after the writer's add
          reference.add(late);
          Page after = reference.query(project, queries.get(i));
          reference.remove(project, late.id(), late.version());
          assertTrue(answer.equals(expected.get(i)) || answer.equals(after), queries.get(i) + ": " + answer);
        }
      } catch (Exception e) {
        throw new AssertionError(e);
      } finally {
        threads.shutdownNow();
      }
      assertTrue(indexed.keepsNameOrder(project), "no order after the first sorts by name");
      reference.add(late);
      for (Query query : queries) {
        assertEquals(reference.query(project, query), indexed.query(project, query), query.toString());
      }
    });
  }

  /**
   * A project of {@code least} (plus up to {@code spread} more) backups of mostly distinct names,
   * {@code n-<random>-<index mod suffixes>}, in an indexed catalog that does not reorganise under
   * the tests' changes (far under its slack) and in the reference catalog.
   */
  private static final class DistinctNames {
    final SplittableRandom random;
    final BackupGenerator generator;
    final IndexedCatalog indexed;
    final ReferenceCatalog reference;
    final String project = BackupGenerator.projectId(0);
    final List<Backup> stored = new ArrayList<>();

    private DistinctNames(long seed) {
      random = new SplittableRandom(seed);
      generator = BackupGenerator.builder().seed(seed).projects(1).servers(50).build();
      FakeClock clock = FakeClock.at(generator.end());
      indexed = new IndexedCatalog(clock, StallRule.DEFAULT, 1_000_000);
      reference = ReferenceCatalog.create(clock, StallRule.DEFAULT);
    }

    static DistinctNames load(long seed, int least, int spread, int suffixes) {
      DistinctNames loaded = new DistinctNames(seed);
      int count = least + (spread > 0 ? loaded.random.nextInt(spread) : 0);
      for (Backup backup : loaded.generator.backups(count)) {
        loaded.stored.add(backup.toBuilder()
            .name("n-" + loaded.random.nextInt(1 << 30) + "-" + loaded.stored.size() % suffixes).build());
      }
      loaded.indexed.addAll(loaded.stored);
      loaded.reference.addAll(loaded.stored);
      return loaded;
    }
  }

  /** One name, none, a column of sorted names: the edges of the walk. */
  @Test
  void edgesOfTheWalk() {
    BackupGenerator generator = BackupGenerator.builder().seed(7).projects(1).servers(3).build();
    FakeClock clock = FakeClock.at(generator.end());
    IndexedCatalog indexed = new IndexedCatalog(clock, StallRule.DEFAULT, 64);
    ReferenceCatalog reference = ReferenceCatalog.create(clock, StallRule.DEFAULT);
    String project = BackupGenerator.projectId(0);
    Query byName = Query.builder().sort(Sort.by(SortKey.asc(SortField.NAME))).limit(5).build();
    assertEquals(reference.query(project, byName), indexed.query(project, byName), "no backups");
    List<Backup> backups = generator.backups(300);
    Backup first = backups.get(0).toBuilder().name("m").build();
    indexed.add(first);
    reference.add(first);
    for (int round = 0; round < 3; round++) {
      for (Sort sort : sorts()) {
        for (int offset : new int[] {0, 1, 2, 299, 300, 301}) {
          Query query = Query.builder().sort(sort).limit(3).offset(offset).build();
          assertEquals(reference.query(project, query), indexed.query(project, query), round + ": " + query);
        }
      }
      // names before, after and between the first one's, then the same name again
      for (int i = 1; i < 100; i++) {
        Backup backup = backups.get(i + 100 * round).toBuilder().name(round == 2 ? "m" : (i % 2 == 0 ? "a" : "z") + i)
            .build();
        indexed.add(backup);
        reference.add(backup);
      }
    }
    assertTrue(indexed.keepsNameOrder(project));
  }

  private static String name(int kind, Backup backup, SplittableRandom random) {
    switch (kind) {
      case 0:
        return backup.name();
      case 1:
        return random.nextInt(10) == 0 ? backup.name() : backup.name() + "-" + Integer.toHexString(random.nextInt());
      case 2:
        return FEW_NAMES[random.nextInt(FEW_NAMES.length)];
      default:
        return "same_name";
    }
  }

  private static void change(IndexedCatalog indexed, ReferenceCatalog reference, String project, List<Backup> backups,
      SplittableRandom random, int kind, int round) {
    for (int i = 0; i < 80; i++) {
      Backup some = backups.get(random.nextInt(backups.size()));
      Backup current = indexed.find(project, some.id()).orElse(null);
      int action = random.nextInt(4);
      if (action == 0) {
        // a late backup created at the same instant as another, with a name of the same kind
        Backup late = some.toBuilder().id("late-" + round + "-" + i).version(1).name(name(kind, some, random)).build();
        indexed.add(late);
        reference.add(late);
      } else if (current == null) {
        continue;
      } else if (action == 1) {
        indexed.remove(project, current.id(), current.version());
        reference.remove(project, current.id(), current.version());
      } else if (current.status() == BackupStatus.AVAILABLE) {
        Transition start = action == 2 ? Transition.restore() : Transition.delete();
        assertEquals(reference.apply(project, current.id(), current.version(), start),
            indexed.apply(project, current.id(), current.version(), start));
      } else if (current.status().isIntermediate()) {
        assertEquals(reference.apply(project, current.id(), current.version(), Transition.complete()),
            indexed.apply(project, current.id(), current.version(), Transition.complete()));
      }
    }
  }

  private static List<Sort> sorts() {
    return List.of(
        Sort.by(SortKey.asc(SortField.NAME)),
        Sort.by(SortKey.desc(SortField.NAME)),
        Sort.by(SortKey.asc(SortField.NAME), SortKey.asc(SortField.CREATED_AT)),
        Sort.by(SortKey.desc(SortField.NAME), SortKey.desc(SortField.CREATED_AT)),
        Sort.by(SortKey.asc(SortField.NAME), SortKey.desc(SortField.CREATED_AT)),
        Sort.by(SortKey.desc(SortField.NAME), SortKey.asc(SortField.CREATED_AT)),
        Sort.by(SortKey.asc(SortField.NAME), SortKey.asc(SortField.STATUS), SortKey.desc(SortField.UPDATED_AT)),
        Sort.by(SortKey.desc(SortField.NAME), SortKey.desc(SortField.ID)));
  }

  private static void check(IndexedCatalog indexed, ReferenceCatalog reference, String project, SplittableRandom random,
      String at) {
    List<Backup> some = reference.query(project, Query.builder().limit(1000).build()).backups();
    if (some.isEmpty()) {
      return;
    }
    Backup picked = some.get(random.nextInt(some.size()));
    String part = picked.name().substring(0, Math.min(picked.name().length(), 2 + random.nextInt(3)));
    List<BackupPredicate> wheres = List.of(
        Predicates.all(),
        Predicates.status(BackupStatus.AVAILABLE),
        Predicates.status(BackupStatus.ERROR, BackupStatus.RESTORING),
        Predicates.nameContains(part),
        Predicates.serverId(picked.server().id()),
        Predicates.not(Predicates.status(BackupStatus.AVAILABLE)));
    for (Sort sort : sorts()) {
      for (BackupPredicate where : wheres) {
        for (int limit : new int[] {1, 20, 100}) {
          long offset = random.nextInt(4) == 0 ? 0 : random.nextInt(random.nextBoolean() ? 50 : 3000);
          Query query = Query.builder().where(where).sort(sort).limit(limit).offset(offset).build();
          assertEquals(reference.query(project, query), indexed.query(project, query), at + ": " + query);
        }
        Query fromMarker = Query.builder().where(where).sort(sort).limit(20).marker(picked.id()).build();
        assertEquals(reference.query(project, fromMarker), indexed.query(project, fromMarker), at + ": " + fromMarker);
      }
      walkByMarker(indexed, reference, project, sort, wheres.get(random.nextInt(wheres.size())), at);
    }
  }

  private static void walkByMarker(IndexedCatalog indexed, ReferenceCatalog reference, String project, Sort sort,
      BackupPredicate where, String at) {
    List<String> expected = new ArrayList<>();
    for (int offset = 0; ; offset += Query.MAX_LIMIT) {
      Page part = reference.query(project, Query.builder().where(where).sort(sort).limit(Query.MAX_LIMIT).offset(offset)
          .build());
      part.backups().forEach(backup -> expected.add(backup.id()));
      if (!part.hasMore()) {
        break;
      }
    }
    List<String> walked = new ArrayList<>();
    Query query = Query.builder().where(where).sort(sort).limit(97).build();
    while (true) {
      Page page = indexed.query(project, query);
      page.backups().forEach(backup -> walked.add(backup.id()));
      if (!page.hasMore()) {
        break;
      }
      query = Query.builder().where(where).sort(sort).limit(97).marker(walked.get(walked.size() - 1)).build();
    }
    assertEquals(expected, walked, at + ": the walk by marker, " + sort + ", " + where);
  }
}
