package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.lifecycle.StallRule;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.testing.QueryGenerator;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.testing.Seeds;
import io.csbs.usage.UsageQuery;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * Removed rows at either end of the sorted rows: a retention job that removes the oldest backups in
 * runs (their rows form a dead prefix, whose row chunks the shard lets go), beside new backups, some
 * of them removed again soon after (they leave the sorted rows), late ones and a few other removals.
 * Shards of several row chunks, so that every search runs with released rows below the live ones;
 * every page, total, count and usage report stays the plain scan's. The dead prefix makes no
 * reorganisation due until it is {@link ProjectShard#DEAD_PREFIX_RATIO} times the positions past it,
 * or the names and values without a live backup outnumber the live ones ({@link
 * ProjectShard#deadKeys()}: the generator's names come again only now and then in a shard of this
 * size), and one once either does. Replay with {@code -Dcsbs.seed=N}.
 */
class RetentionTest {
  private static final String PROJECT = BackupGenerator.projectId(0);

  @RepeatedTest(1)  // a new seed every run; a run takes 5 s of a CI budget that is thin
  void retentionOfTheOldestAnswersLikeAScanAndReorganisesOnceDue() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      Start start = new Start(seed, random, clock -> new IndexedCatalog(clock, StallRule.DEFAULT, ProjectShard.MIN_REBUILD_SLACK));
      BackupGenerator generator = start.generator;
      IndexedCatalog indexed = start.indexed;
      ReferenceCatalog reference = start.reference;
      List<Backup> initial = start.initial;
      ArrayDeque<Backup> oldestFirst = new ArrayDeque<>(initial);
      QueryGenerator queries = QueryGenerator.create(seed, initial);
      // the first sort by name makes the one reorganisation that builds the order of the names
      Query byName = Query.builder().sort(Sort.by(SortKey.asc(SortField.NAME))).limit(50).build();
      assertEquals(reference.query(PROJECT, byName), indexed.query(PROJECT, byName));
      long reorganisations = indexed.reorganisations(PROJECT);
      int late = 0;
      int retired = 0;
      // well below half the positions: no reorganisation (the few late and random removals stay
      // below the slack of the tail and of the holes, the dead keys below the live backups)
      int limit = initial.size() * 2 / 5;
      while (retired < limit) {
        String at = "after " + retired + " retired of " + initial.size();
        int run = Math.min(limit - retired, 200 + random.nextInt(initial.size() / 8));
        retired += retire(oldestFirst, run, indexed, reference, random);
        for (int i = random.nextInt(20); i > 0; i--) {
          Backup fresh = generator.next();
          indexed.add(fresh);
          reference.add(fresh);
        }
        // short-lived backups: the first may move a tail row or take a new tail position, the next
        // ones take what it left, so that the positions stop growing
        int positions = -1;
        for (int i = random.nextInt(4); i > 0; i--) {
          Backup fresh = generator.next();
          indexed.add(fresh);
          reference.add(fresh);
          remove(fresh, indexed, reference);
          if (positions >= 0) {
            assertEquals(positions, indexed.positions(PROJECT), at + ": positions after an add and its removal");
          }
          positions = indexed.positions(PROJECT);
        }
        if (late < 300) {
          late += addLate(random.nextInt(30), late, initial, indexed, reference, random);
        }
        for (int i = random.nextInt(10); i > 0; i--) {
          remove(initial.get(random.nextInt(initial.size())), indexed, reference);
        }
        compare(random, queries, indexed, reference, at);
      }
      assertEquals(reorganisations, indexed.reorganisations(PROJECT), "a dead prefix of two fifths of the positions reorganised");
      walkByMarker(queries, indexed, reference, "before the reorganisation");
      // the removals go on until the dead keys (or the prefix) make a reorganisation due, which lays
      // the live rows out from position 0
      while (!oldestFirst.isEmpty() && indexed.reorganisations(PROJECT) == reorganisations) {
        retire(oldestFirst, 1000, indexed, reference, random);
      }
      assertEquals(reorganisations + 1, indexed.reorganisations(PROJECT),
          "retention of every backup did not reorganise");
      // laid out from position 0; the rest of the run that made it due removed up to 999 more
      long live = reference.count(PROJECT, io.csbs.query.Predicates.all());
      assertTrue(indexed.positions(PROJECT) < live + 1000,
          "positions after the reorganisation: " + indexed.positions(PROJECT) + " for " + live + " backups");
      compare(random, queries, indexed, reference, "after the reorganisation");
      walkByMarker(queries, indexed, reference, "after the reorganisation");
    });
  }

  /**
   * Retention while reorganisations run on a thread of their own (a small slack, and late backups,
   * make them due again and again): each builds a new shard from a copy and catches up the changes
   * made meanwhile, removals of the oldest among them, on a shard of several row chunks. Answers
   * stay the plain scan's, and no reorganisation fails (a failed one leaves the old state, whose
   * answers would still be right, so the failures are collected from the reorganiser's thread).
   */
  @Test  // one seed a run (each run draws its own; -Dcsbs.seed replays one): several cost CI seconds
  void retentionBesideReorganisationsOnAThreadOfTheirOwn() throws InterruptedException {
    java.util.concurrent.ExecutorService thread = java.util.concurrent.Executors.newSingleThreadExecutor();
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.Executor reorganiser = task -> thread.execute(() -> {
      try {
        task.run();
      } catch (RuntimeException | Error e) {
        // a reorganisation that ends after the test shut the thread down may find the next one due
        // and be refused it: the teardown's, not a failed reorganisation
        if (!(e instanceof java.util.concurrent.RejectedExecutionException && thread.isShutdown())) {
          failures.add(e);
        }
        throw e;
      }
    });
    try {
      Seeds.run(Seeds.pick(), seed -> {
        SplittableRandom random = new SplittableRandom(seed);
        Start start = new Start(seed, random, clock -> new IndexedCatalog(clock, StallRule.DEFAULT, 64, reorganiser));
        BackupGenerator generator = start.generator;
        IndexedCatalog indexed = start.indexed;
        ReferenceCatalog reference = start.reference;
        List<Backup> initial = start.initial;
        ArrayDeque<Backup> oldestFirst = new ArrayDeque<>(initial);
        QueryGenerator queries = QueryGenerator.create(seed, initial);
        int late = 0;
        while (oldestFirst.size() > initial.size() / 5) {
          String at = oldestFirst.size() + " of " + initial.size() + " left to retire";
          retire(oldestFirst, 200 + random.nextInt(initial.size() / 8), indexed, reference, random);
          late += addLate(random.nextInt(200), late, initial, indexed, reference, random);
          for (int i = random.nextInt(50); i > 0; i--) {
            Backup fresh = generator.next();
            indexed.add(fresh);
            reference.add(fresh);
          }
          compare(random, queries, indexed, reference, at);
          assertTrue(failures.isEmpty(), at + ": a reorganisation failed: " + failures);
        }
        walkByMarker(queries, indexed, reference, "at the end");
        assertTrue(indexed.reorganisations(PROJECT) > 0, "no reorganisation ran");
      });
    } finally {
      thread.shutdown();
      assertTrue(thread.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS));
    }
    assertTrue(failures.isEmpty(), "a reorganisation failed: " + failures);
  }

  /**
   * A window that slides: each new backup is newer than every stored one, and the oldest is removed,
   * so that the dead prefix grows by a position a step while the positions in use stay the live
   * backups. With names, tags and policies that come again (a pool of 256 names), the dead prefix
   * costs no bitmap words (they start past it, whatever its length) and makes no reorganisation due
   * until it is {@link ProjectShard#DEAD_PREFIX_RATIO} times the positions past it; then one, which
   * lays the live rows out from position 0.
   */
  @Test  // one seed a run, as above
  void aSlidingWindowKeepsItsDeadPrefixForFreeUntilItsRatio() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      int window = 4096 + random.nextInt(2048);
      Slide slide = new Slide(seed, window, (ProjectShard.DEAD_PREFIX_RATIO + 1) * window + 2048,
          (backup, i) -> backup.toBuilder().name("autobk_" + (i % 256)).build());
      IndexedCatalog indexed = slide.indexed;
      int ratio = ProjectShard.DEAD_PREFIX_RATIO;
      long boundPerBitmap = 2L * Bits.wordsFor(window + 64) + 64;
      int steps = 0;
      while (indexed.reorganisations(PROJECT) == 0) {
        int prefix = indexed.deadPrefix(PROJECT);
        int inUse = indexed.positions(PROJECT) - prefix;
        String at = "after " + steps + " steps: prefix " + prefix + ", " + inUse + " positions past it";
        assertTrue(prefix <= (long) ratio * inUse + 1, at + ": no reorganisation");
        assertTrue(indexed.bitmapWords(PROJECT) <= (2 + BackupStatus.values().length) * boundPerBitmap,
            at + ": bitmap words " + indexed.bitmapWords(PROJECT));
        if (steps % (window / 3) == 0) {
          compare(random, slide.queries, indexed, slide.reference, at);
        }
        assertTrue(slide.step(), at + ": the window ran out before the prefix made a reorganisation due");
        steps++;
      }
      assertTrue(steps >= ratio * window - 1024, "reorganised after only " + steps + " steps of a window of " + window);
      assertEquals(1, indexed.reorganisations(PROJECT), "reorganisations");
      assertTrue(indexed.positions(PROJECT) < window + 1024, "positions after the reorganisation: " + indexed.positions(PROJECT));
      assertEquals(0, indexed.deadPrefix(PROJECT), "the dead prefix after the reorganisation");
      compare(random, slide.queries, indexed, slide.reference, "after the reorganisation");
      walkByMarker(slide.queries, indexed, slide.reference, "after the reorganisation");
    });
  }

  /**
   * The same window over backups named each their own way: each removed backup leaves a name entry
   * without rows, which costs about what a live one does, so a reorganisation is due once they
   * outnumber the live backups, well before the prefix's ratio; it lets go of them.
   */
  @Test  // one seed a run, as above
  void aSlidingWindowOfDistinctNamesReorganisesOnceTheirDeadEntriesOutnumberTheLive() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      int window = 8192 + random.nextInt(4096);
      Slide slide = new Slide(seed, window, 3 * window,
          (backup, i) -> backup.toBuilder().name("backup-" + i + "-" + backup.name()).build());
      IndexedCatalog indexed = slide.indexed;
      int deadKeys = 0;
      int steps = 0;
      while (indexed.reorganisations(PROJECT) == 0) {
        deadKeys = indexed.deadKeys(PROJECT);
        assertTrue(deadKeys <= window + 1, "after " + steps + " steps: " + deadKeys + " dead keys, no reorganisation");
        if (steps % (window / 2) == 0) {
          compare(random, slide.queries, indexed, slide.reference, "after " + steps + " steps");
        }
        assertTrue(slide.step(), "after " + steps + " steps: the window ran out before the dead names made a reorganisation due");
        steps++;
      }
      assertTrue(deadKeys >= window - 1, "reorganised with " + deadKeys + " dead keys for " + window + " live backups");
      assertTrue(steps < 2 * window, "reorganised after " + steps + " steps of a window of " + window);
      assertTrue(indexed.deadKeys(PROJECT) < 64, "dead keys after the reorganisation: " + indexed.deadKeys(PROJECT));
      compare(random, slide.queries, indexed, slide.reference, "after the reorganisation");
      walkByMarker(slide.queries, indexed, slide.reference, "after the reorganisation");
    });
  }

  /**
   * Both catalogs loaded with the oldest {@code window} of {@code total} backups of a seed, in
   * creation order, each passed through {@code shape} with its index in that order; {@link #step()}
   * adds the next and removes the oldest stored.
   */
  private static final class Slide {
    final IndexedCatalog indexed;
    final ReferenceCatalog reference;
    final QueryGenerator queries;
    private final List<Backup> backups;
    private int next;
    private int oldest;

    Slide(long seed, int window, int total, java.util.function.BiFunction<Backup, Integer, Backup> shape) {
      BackupGenerator generator = BackupGenerator.builder().seed(seed).projects(1).servers(40).build();
      FakeClock clock = FakeClock.at(generator.end());
      List<Backup> generated = new ArrayList<>(generator.backups(total));
      generated.sort(ProjectShard.ROW_ORDER);
      backups = new ArrayList<>(total);
      for (int i = 0; i < total; i++) {
        backups.add(shape.apply(generated.get(i), i));
      }
      indexed = new IndexedCatalog(clock, StallRule.DEFAULT, ProjectShard.MIN_REBUILD_SLACK);
      reference = ReferenceCatalog.create(clock, StallRule.DEFAULT);
      List<Backup> first = backups.subList(0, window);
      indexed.addAll(first);
      reference.addAll(first);
      next = window;
      queries = QueryGenerator.create(seed, first);
    }

    /** Adds the next backup and removes the oldest; false once every backup was added. */
    boolean step() {
      if (next == backups.size()) {
        return false;
      }
      Backup added = backups.get(next++);
      indexed.add(added);
      reference.add(added);
      remove(backups.get(oldest++), indexed, reference);
      return true;
    }
  }

  /** Every sorted row removed, oldest first, then new backups: the newest dead row is the one kept. */
  @Test
  void aShardWhoseSortedRowsAllDiedTakesNewAndLateBackups() {
    BackupGenerator generator = BackupGenerator.builder().seed(7).projects(1).servers(10).build();
    FakeClock clock = FakeClock.at(generator.end());
    IndexedCatalog indexed = new IndexedCatalog(clock, StallRule.DEFAULT, 1_000_000);
    ReferenceCatalog reference = ReferenceCatalog.create(clock, StallRule.DEFAULT);
    List<Backup> initial = new ArrayList<>(generator.backups(2 * RowArray.CHUNK + 100));
    indexed.addAll(initial);
    reference.addAll(initial);
    initial.sort(ProjectShard.ROW_ORDER);
    retire(new ArrayDeque<>(initial), initial.size(), indexed, reference, new SplittableRandom(7));
    assertEquals(0, indexed.count(PROJECT, io.csbs.query.Predicates.all()));
    // older than every removed row (the tail), then newer (the sorted rows)
    Backup old = initial.get(5).toBuilder().id("late-old").version(1).build();
    indexed.add(old);
    reference.add(old);
    List<Backup> fresh = generator.backups(50);
    indexed.addAll(fresh);
    reference.addAll(fresh);
    QueryGenerator queries = QueryGenerator.create(7, fresh);
    compare(new SplittableRandom(7), queries, indexed, reference, "after every sorted row died");
    walkByMarker(queries, indexed, reference, "after every sorted row died");
  }

  /** Removes up to {@code count} of the oldest backups still stored; returns how many it took. */
  /**
   * Removes up to {@code count} of the oldest backups still stored, in a random order (a job that
   * deletes what is past its age in id order): removed rows ahead of the first live one, so that
   * its removal moves the prefix's end over them, across row chunks. Returns how many it took.
   */
  private static int retire(ArrayDeque<Backup> oldestFirst, int count, IndexedCatalog indexed,
      ReferenceCatalog reference, SplittableRandom random) {
    List<Backup> run = new ArrayList<>();
    while (run.size() < count && !oldestFirst.isEmpty()) {
      run.add(oldestFirst.pollFirst());
    }
    java.util.Collections.shuffle(run, new java.util.Random(random.nextLong()));
    for (Backup backup : run) {
      remove(backup, indexed, reference);
    }
    return run.size();
  }

  private static void remove(Backup backup, IndexedCatalog indexed, ReferenceCatalog reference) {
    Optional<Backup> current = reference.find(PROJECT, backup.id());
    if (current.isPresent()) {
      reference.remove(PROJECT, backup.id(), current.get().version());
      indexed.remove(PROJECT, backup.id(), current.get().version());
    }
  }

  private static void compare(SplittableRandom random, QueryGenerator queries, IndexedCatalog indexed,
      ReferenceCatalog reference, String at) {
    int live = (int) reference.count(PROJECT, io.csbs.query.Predicates.all());
    for (int i = 0; i < 12; i++) {
      Query query = queries.nextQuery();
      if (i % 4 == 0 && query.marker().isEmpty()) {
        query = query.toBuilder().offset(random.nextInt(live + 1)).build();
      }
      Query asked = query;
      same(() -> reference.query(PROJECT, asked), () -> indexed.query(PROJECT, asked), at + ": " + query);
    }
    for (int i = 0; i < 4; i++) {
      BackupPredicate predicate = queries.nextPredicate();
      assertEquals(reference.count(PROJECT, predicate), indexed.count(PROJECT, predicate), at + ": count " + predicate);
    }
    assertEquals(reference.usage(PROJECT, UsageQuery.firstServers(50)), indexed.usage(PROJECT, UsageQuery.firstServers(50)),
        at + ": usage");
  }

  /** Both catalogs loaded with two to three row chunks of a seed's backups, and those backups oldest first. */
  private static final class Start {
    final BackupGenerator generator;
    final IndexedCatalog indexed;
    final ReferenceCatalog reference;
    final List<Backup> initial;

    Start(long seed, SplittableRandom random, java.util.function.Function<FakeClock, IndexedCatalog> catalogs) {
      generator = BackupGenerator.builder().seed(seed).projects(1).servers(40).build();
      FakeClock clock = FakeClock.at(generator.end());
      indexed = catalogs.apply(clock);
      reference = ReferenceCatalog.create(clock, StallRule.DEFAULT);
      initial = new ArrayList<>(generator.backups(2 * RowArray.CHUNK + random.nextInt(RowArray.CHUNK)));
      indexed.addAll(initial);
      reference.addAll(initial);
      initial.sort(ProjectShard.ROW_ORDER);
    }
  }

  /**
   * Adds {@code count} late backups (a stored backup's creation time and fields, ids {@code
   * late-<first>} on) to both catalogs; returns {@code count}.
   */
  private static int addLate(int count, int first, List<Backup> stored, IndexedCatalog indexed,
      ReferenceCatalog reference, SplittableRandom random) {
    for (int i = 0; i < count; i++) {
      Backup backup = stored.get(random.nextInt(stored.size())).toBuilder().id("late-" + (first + i)).version(1).build();
      indexed.add(backup);
      reference.add(backup);
    }
    return count;
  }

  /** Equal answers, or the same exception (a marker whose backup the retention removed). */
  private static <T> void same(Supplier<T> expected, Supplier<T> actual, String at) {
    T want;
    try {
      want = expected.get();
    } catch (RuntimeException e) {
      RuntimeException got = assertThrows(RuntimeException.class, actual::get, at);
      assertEquals(e.getClass(), got.getClass(), at + ": " + got.getMessage());
      assertEquals(e.getMessage(), got.getMessage(), at);
      return;
    }
    assertEquals(want, actual.get(), at);
  }

  private static void walkByMarker(QueryGenerator queries, IndexedCatalog indexed, ReferenceCatalog reference,
      String at) {
    Query query = queries.nextQuery().toBuilder().offset(0).marker(null).limit(1000).build();
    for (int pages = 0; pages < 100; pages++) {
      Page expected = reference.query(PROJECT, query);
      assertEquals(expected, indexed.query(PROJECT, query), at + ", page " + pages + " of " + query);
      if (expected.nextMarker().isEmpty()) {
        return;
      }
      query = query.after(expected.nextMarker().get());
    }
  }
}
