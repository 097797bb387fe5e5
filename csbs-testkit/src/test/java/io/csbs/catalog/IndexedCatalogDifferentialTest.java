package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.csbs.backup.Backup;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Query;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.testing.QueryGenerator;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.testing.Seeds;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.UsageQuery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.RepeatedTest;

/**
 * The indexed catalog against the plain scan of {@link ReferenceCatalog}, on random multi-project
 * catalogs under random changes: every page, total, count, tag catalogue and refusal must be the
 * same. Shards rebuild after a few out-of-order or removed rows here, so that rebuilds, the
 * out-of-order tail and removed rows are all exercised. Replay with {@code -Dcsbs.seed=N}.
 */
class IndexedCatalogDifferentialTest {
  private static final int PROJECTS = 3;

  @RepeatedTest(60)
  void indexedAnswersEqualAPlainScanUnderRandomChanges() {
    Seeds.run(Seeds.pick(), this::compare);
  }

  private void compare(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    BackupGenerator generator = BackupGenerator.builder().seed(seed).projects(PROJECTS).servers(40).build();
    FakeClock clock = FakeClock.at(generator.end());
    StallRule stallRule = StallRule.DEFAULT;
    IndexedCatalog indexed = new IndexedCatalog(clock, stallRule, 1 + random.nextInt(8));
    ReferenceCatalog reference = ReferenceCatalog.create(clock, stallRule);

    List<Backup> initial = generator.backups(random.nextInt(400));
    Collections.shuffle(initial, new Random(seed));
    int batch = initial.size() / 2;
    indexed.addAll(initial.subList(0, batch));
    reference.addAll(initial.subList(0, batch));
    for (Backup backup : initial.subList(batch, initial.size())) {
      indexed.add(backup);
      reference.add(backup);
    }
    List<Backup> known = new ArrayList<>(initial);
    QueryGenerator queries = QueryGenerator.create(seed, known.isEmpty() ? generator.backups(5) : known);

    for (int step = 0; step < 300; step++) {
      String project = BackupGenerator.projectId(random.nextInt(PROJECTS));
      String context = "step " + step + " in " + project;
      int action = random.nextInt(10);
      if (action < 4) {
        Query query = queries.nextQuery();
        same(() -> reference.query(project, query), () -> indexed.query(project, query), context + " " + query);
      } else if (action == 4) {
        BackupPredicate predicate = queries.nextPredicate();
        assertEquals(reference.count(project, predicate), indexed.count(project, predicate), context + " count " + predicate);
        assertEquals(reference.countAllProjects(predicate), indexed.countAllProjects(predicate), context + " count all " + predicate);
      } else if (action == 5) {
        assertEquals(reference.tagCatalogue(project), indexed.tagCatalogue(project), context);
        UsageQuery usage = random.nextBoolean()
            ? UsageQuery.firstServers(1 + random.nextInt(30))
            : UsageQuery.of(queries.nextPredicate(), random.nextInt(5), 1 + random.nextInt(30));
        assertEquals(reference.usage(project, usage), indexed.usage(project, usage), context + " " + usage);
        assertEquals(reference.quotaUsage(project), indexed.quotaUsage(project), context);
        Query query = queries.nextQuery();
        same(() -> reference.queryAllProjects(query), () -> indexed.queryAllProjects(query), context + " all " + query);
      } else if (action < 9 && !known.isEmpty()) {
        Backup target = known.get(random.nextInt(known.size()));
        Optional<Backup> current = reference.find(target.projectId(), target.id());
        long version = current.map(Backup::version).orElse(target.version());
        if (random.nextInt(10) == 0) {
          version--; // a stale change
        }
        Transition transition = randomTransition(random);
        long base = version;
        String where = random.nextInt(20) == 0 ? project : target.projectId(); // sometimes the wrong project
        same(() -> reference.apply(where, target.id(), base, transition),
            () -> indexed.apply(where, target.id(), base, transition), context + " " + transition + " on " + target);
        if (random.nextInt(30) == 0) {
          same(() -> { reference.remove(where, target.id(), base); return null; },
              () -> { indexed.remove(where, target.id(), base); return null; }, context + " remove " + target);
        }
      } else if (random.nextInt(4) == 0) {
        QuotaUsage used = reference.quotaUsage(project);
        Quota quota = random.nextBoolean() ? Quota.NONE
            : Quota.of(used.backupsUsed() + random.nextInt(3), used.sizeMbUsed() / 1024 + random.nextInt(200));
        reference.setQuota(project, quota);
        indexed.setQuota(project, quota);
      } else {
        Backup fresh = generator.next();
        same(() -> { reference.add(fresh); return null; }, () -> { indexed.add(fresh); return null; }, context + " add");
        known.add(fresh);
      }
      if (random.nextInt(8) == 0) {
        clock.advance(Duration.ofSeconds(random.nextInt(3600)));
      }
    }
    for (String project : generator.projectIds()) {
      walkAllPagesByMarker(reference, indexed, project, queries);
    }
  }

  /** A batch large enough that the shard builds its indexes on two threads, and rebuilds of that size. */
  @RepeatedTest(2)
  void largeBatchesAnswerLikeAPlainScan() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      BackupGenerator generator = BackupGenerator.builder().seed(seed).servers(500).build();
      FakeClock clock = FakeClock.at(generator.end());
      IndexedCatalog indexed = new IndexedCatalog(clock, StallRule.DEFAULT, 1024);
      ReferenceCatalog reference = ReferenceCatalog.create(clock);
      List<Backup> backups = generator.backups(40_000);
      indexed.addAll(backups);
      reference.addAll(backups);
      // removals past the rebuild slack make the shard rebuild with a parallel batch too
      for (int i = 0; i < 3000; i++) {
        Backup gone = backups.get(random.nextInt(backups.size()));
        if (reference.find(gone.projectId(), gone.id()).isPresent()) {
          reference.remove(gone.projectId(), gone.id(), gone.version());
          indexed.remove(gone.projectId(), gone.id(), gone.version());
        }
      }
      QueryGenerator queries = QueryGenerator.create(seed, backups);
      String project = BackupGenerator.projectId(0);
      for (int i = 0; i < 40; i++) {
        Query query = queries.nextQuery();
        same(() -> reference.query(project, query), () -> indexed.query(project, query), "query " + query);
      }
      assertEquals(reference.tagCatalogue(project), indexed.tagCatalogue(project));
      assertEquals(reference.usage(project, UsageQuery.firstServers(50)), indexed.usage(project, UsageQuery.firstServers(50)));
    });
  }

  /**
   * A bulk load into an empty project large enough to build its text indexes beside the rows (the
   * names' index then reads names from the batch, the rows being placed on the other thread), in any
   * arrival order, with names mostly distinct, some repeated in other cases: then adds of the same
   * names, removals and a rebuild, each answer the plain scan's.
   */
  @RepeatedTest(2)
  void aLargeLoadOfMostlyDistinctNamesAnswersLikeAPlainScan() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      BackupGenerator generator = BackupGenerator.builder().seed(seed).projects(1).servers(300).build();
      FakeClock clock = FakeClock.at(generator.end());
      IndexedCatalog indexed = new IndexedCatalog(clock, StallRule.DEFAULT, 512);
      ReferenceCatalog reference = ReferenceCatalog.create(clock);
      List<Backup> backups = new ArrayList<>();
      for (Backup backup : generator.backups(17_000 + random.nextInt(20_000))) {
        int shape = random.nextInt(10);
        String name = shape < 6 ? backup.name() + "-" + Integer.toHexString(random.nextInt())
            : shape < 8 ? backup.name().toUpperCase(java.util.Locale.ROOT) : backup.name();
        backups.add(backup.toBuilder().name(name).build());
      }
      Collections.shuffle(backups, new Random(seed));
      indexed.addAll(backups);
      reference.addAll(backups);
      String project = BackupGenerator.projectId(0);
      QueryGenerator queries = QueryGenerator.create(seed, backups);
      for (int i = 0; i < 30; i++) {
        Query query = queries.nextQuery();
        same(() -> reference.query(project, query), () -> indexed.query(project, query), "query " + query);
      }
      // the names' index reads the rows again: new rows with names of loaded ones, and removals
      for (int i = 0; i < 2_000; i++) {
        Backup some = backups.get(random.nextInt(backups.size()));
        if (random.nextBoolean()) {
          Backup again = some.toBuilder().id("again-" + i).version(1).build();
          indexed.add(again);
          reference.add(again);
        } else if (reference.find(project, some.id()).isPresent()) {
          reference.remove(project, some.id(), some.version());
          indexed.remove(project, some.id(), some.version());
        }
      }
      for (int i = 0; i < 30; i++) {
        Query query = queries.nextQuery();
        same(() -> reference.query(project, query), () -> indexed.query(project, query), "after changes, query " + query);
      }
      assertEquals(reference.usage(project, UsageQuery.firstServers(50)), indexed.usage(project, UsageQuery.firstServers(50)));
    });
  }

  private static void walkAllPagesByMarker(ReferenceCatalog reference, IndexedCatalog indexed, String project, QueryGenerator queries) {
    Query query = queries.nextQuery().toBuilder().offset(0).marker(null).limit(7).build();
    for (int pages = 0; pages < 200; pages++) {
      Page expected = reference.query(project, query);
      assertEquals(expected, indexed.query(project, query), "page " + pages + " of " + query);
      if (expected.nextMarker().isEmpty()) {
        return;
      }
      query = query.after(expected.nextMarker().get());
    }
  }

  private static Transition randomTransition(SplittableRandom random) {
    switch (random.nextInt(7)) {
      case 0: return Transition.restore();
      case 1: return Transition.instantRestore();
      case 2: return Transition.delete();
      case 3: return Transition.reportProgress(random.nextInt(101));
      case 4:
      case 5: return Transition.complete();
      default: return Transition.fail("injected");
    }
  }

  /**
   * The same answer, or the same refusal (class and message); the answer, or null after a refusal.
   * Shared with {@link AllProjectsDifferentialTest} and {@link ChangeFoundAheadTest}.
   */
  static <T> T same(Supplier<T> expected, Supplier<T> actual, String context) {
    T want;
    try {
      want = expected.get();
    } catch (RuntimeException e) {
      try {
        T got = actual.get();
        throw new AssertionError(context + ": expected " + e + " but got " + got);
      } catch (RuntimeException a) {
        assertEquals(e.getClass(), a.getClass(), context + ": " + a.getMessage());
        assertEquals(e.getMessage(), a.getMessage(), context);
        return null;
      }
    }
    assertEquals(want, actual.get(), context);
    return want;
  }
}
