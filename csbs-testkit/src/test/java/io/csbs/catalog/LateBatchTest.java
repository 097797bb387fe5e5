package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.lifecycle.StallRule;
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
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * A batch ({@code addAll}) of backups older than a project's newest, at least half as many as the
 * project has, lays the project out again with them (no tail left), under the batch's lock; a smaller
 * one joins the tail as single adds do. Either way every answer is the plain scan's, before and
 * after the changes that follow. Replay with {@code -Dcsbs.seed=N}.
 */
class LateBatchTest {
  /** Reorganisations that never run: what the project's layout is comes from the batch alone. */
  private static final Executor NEVER = task -> { };

  @Test
  void aLateBatchOfHalfTheProjectLeavesNoTail() {
    BackupGenerator generator = BackupGenerator.builder().seed(7).projects(1).servers(20).build();
    FakeClock clock = FakeClock.at(generator.end());
    IndexedCatalog indexed = new IndexedCatalog(clock, StallRule.DEFAULT, 16, NEVER);
    List<Backup> loaded = generator.backups(1_000);
    indexed.addAll(loaded);
    String project = BackupGenerator.projectId(0);

    indexed.addAll(lateCopies(loaded, 499, "small-"));
    assertEquals(499, indexed.tailRows(project), "below half the project's backups: the tail, as single adds");

    indexed.addAll(lateCopies(loaded, 750, "large-"));
    assertEquals(0, indexed.tailRows(project), "750 late backups into 1,499: laid out again");
    assertEquals(2_249, indexed.stats(project).backups());
    assertNull(indexed.countersAgainstBits(project));
  }

  @Test
  void aLateBatchIntoAProjectWhoseBackupsWereAllRemoved() {
    BackupGenerator generator = BackupGenerator.builder().seed(5).projects(1).servers(10).build();
    FakeClock clock = FakeClock.at(generator.end());
    IndexedCatalog indexed = new IndexedCatalog(clock, StallRule.DEFAULT, 16, NEVER);
    ReferenceCatalog reference = ReferenceCatalog.create(clock, StallRule.DEFAULT);
    String project = BackupGenerator.projectId(0);
    List<Backup> loaded = generator.backups(600);
    indexed.addAll(loaded);
    reference.addAll(loaded);
    List<Backup> late = lateCopies(loaded, 100, "tail-");  // a tail, then every backup removed
    indexed.addAll(late);
    reference.addAll(late);
    List<Backup> gone = new ArrayList<>(loaded);
    gone.addAll(late);
    Collections.shuffle(gone, new Random(5));
    for (Backup backup : gone) {
      indexed.remove(project, backup.id(), backup.version());
      reference.remove(project, backup.id(), backup.version());
    }
    List<Backup> batch = lateCopies(loaded, 300, "again-");
    indexed.addAll(batch);
    reference.addAll(batch);
    assertEquals(0, indexed.tailRows(project));
    assertNull(indexed.countersAgainstBits(project));
    QueryGenerator queries = QueryGenerator.create(5, batch);
    for (int i = 0; i < 100; i++) {
      Query query = queries.nextQuery();
      LayoutDifferentialTest.same(() -> reference.query(project, query), () -> indexed.query(project, query), query.toString());
    }
  }

  @Test
  void aLateBatchPastTheParallelBuildAnswersLikeAPlainScan() {
    BackupGenerator generator = BackupGenerator.builder().seed(11).projects(1).servers(200).build();
    FakeClock clock = FakeClock.at(generator.end());
    IndexedCatalog indexed = new IndexedCatalog(clock, StallRule.DEFAULT, 64, NEVER);
    ReferenceCatalog reference = ReferenceCatalog.create(clock, StallRule.DEFAULT);
    List<Backup> loaded = generator.backups(ProjectShard.PARALLEL_BATCH);
    indexed.addAll(loaded);
    reference.addAll(loaded);
    List<Backup> late = lateCopies(loaded, ProjectShard.PARALLEL_BATCH / 2 + 10, "late-");
    late.addAll(generator.backups(100));  // newer ones in the same batch
    Collections.shuffle(late, new Random(11));
    indexed.addAll(late);
    reference.addAll(late);
    String project = BackupGenerator.projectId(0);
    assertEquals(0, indexed.tailRows(project));
    List<Backup> all = new ArrayList<>(loaded);
    all.addAll(late);
    QueryGenerator queries = QueryGenerator.create(11, all);
    for (int i = 0; i < 200; i++) {
      Query query = queries.nextQuery();
      assertEquals(reference.query(project, query), indexed.query(project, query), query.toString());
    }
  }

  @RepeatedTest(6)
  void lateBatchesOfEverySizeAnswerLikeAPlainScan() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      int slack = 1 + random.nextInt(32);
      BackupGenerator generator = BackupGenerator.builder().seed(seed).projects(1).servers(1 + random.nextInt(40)).build();
      FakeClock clock = FakeClock.at(generator.end());
      IndexedCatalog indexed = random.nextBoolean()
          ? new IndexedCatalog(clock, StallRule.DEFAULT, slack)  // reorganises on the changing thread
          : new IndexedCatalog(clock, StallRule.DEFAULT, slack, NEVER);
      ReferenceCatalog reference = ReferenceCatalog.create(clock, StallRule.DEFAULT);
      String project = BackupGenerator.projectId(0);
      List<Backup> known = new ArrayList<>(generator.backups(50 + random.nextInt(600)));
      indexed.addAll(known);
      reference.addAll(known);
      QueryGenerator queries = QueryGenerator.create(seed, known);
      if (random.nextBoolean()) {  // a project sorted by name keeps the order of its names through the batch
        Query byName = Query.builder().sort(Sort.by(SortKey.asc(SortField.NAME))).limit(20).build();
        assertEquals(reference.query(project, byName), indexed.query(project, byName));
      }
      int batches = 0;
      for (int step = 0; step < 120; step++) {
        String at = "slack " + slack + ", step " + step;
        int action = random.nextInt(12);
        if (action < 4) {
          Query query = queries.nextQuery();  // its marker may name a removed backup: both refuse it alike
          LayoutDifferentialTest.same(() -> reference.query(project, query), () -> indexed.query(project, query), at + " " + query);
        } else if (action == 4 && batches < 4) {
          // a batch of late copies (below, at or past half the project), with or without newer ones;
          // at most 1,500 and four batches, for a project of thousands at most
          int live = (int) reference.count(project, io.csbs.query.Predicates.all());
          int size = 1 + random.nextInt(Math.max(1, Math.min(1_500, live + live / 2)));
          List<Backup> batch = lateCopies(known, size, "batch-" + step + "-");
          if (random.nextBoolean()) {
            batch.addAll(generator.backups(1 + random.nextInt(20)));
          }
          Collections.shuffle(batch, new Random(seed + step));
          indexed.addAll(batch);
          reference.addAll(batch);
          known.addAll(batch);
          batches++;
        } else {
          int kind = action < 7 ? 0 : Math.min(3, action - 6);  // late, removed, transition, new
          LayoutDifferentialTest.changeBoth(kind, step, random, known, generator, clock, reference, indexed, project, at);
        }
        String countersWrong = indexed.countersAgainstBits(project);
        assertNull(countersWrong, () -> at + ": " + countersWrong);
        assertEquals(reference.count(project, io.csbs.query.Predicates.all()), indexed.stats(project).backups(), at);
      }
      assertTrue(batches > 0, "no batch in 120 steps");
      for (int walk = 0; walk < 2; walk++) {
        Query query = queries.nextQuery().toBuilder().offset(0).marker(null).limit(1 + walk * 30).build();
        for (int pages = 0; pages < 400; pages++) {
          Page expected = reference.query(project, query);
          assertEquals(expected, indexed.query(project, query), "page " + pages + " of " + query);
          if (expected.nextMarker().isEmpty()) {
            break;
          }
          query = query.after(expected.nextMarker().get());
        }
      }
    });
  }

  /**
   * Readers on another thread see the project before a batch or after it, never during its layout:
   * each read (one view: the total, the Available count, the first page) is one of the states the
   * batches leave, while large and small late batches go in and reorganisations run on a thread of
   * their own.
   */
  @Test
  void readersBesideLateBatchesSeeWholeStates() throws Exception {
    BackupGenerator generator = BackupGenerator.builder().seed(13).projects(1).servers(50).build();
    FakeClock clock = FakeClock.at(generator.end());
    java.util.concurrent.ExecutorService reorganiser = java.util.concurrent.Executors.newSingleThreadExecutor();
    java.util.concurrent.ExecutorService readers = java.util.concurrent.Executors.newSingleThreadExecutor();
    try {
      IndexedCatalog indexed = new IndexedCatalog(clock, StallRule.DEFAULT, 16, reorganiser);
      ReferenceCatalog reference = ReferenceCatalog.create(clock, StallRule.DEFAULT);
      String project = BackupGenerator.projectId(0);
      List<Backup> loaded = generator.backups(3_000);
      indexed.addAll(loaded);
      reference.addAll(loaded);
      Query firstPage = Query.builder().limit(20).build();
      io.csbs.query.BackupPredicate available = io.csbs.query.Predicates.status(io.csbs.backup.BackupStatus.AVAILABLE);
      java.util.function.Function<ProjectView, List<Object>> state =
          view -> List.of(view.count(io.csbs.query.Predicates.all()), view.count(available), view.query(firstPage));
      // the states, worked out on the plain scan before the batches go in
      List<List<Backup>> batches = new ArrayList<>();
      java.util.Set<List<Object>> states = new java.util.HashSet<>();
      states.add(reference.read(project, state));
      List<Backup> known = new ArrayList<>(loaded);
      int[] sizes = {2_000, 300, 4_000, 50, 6_000};
      for (int b = 0; b < sizes.length; b++) {
        List<Backup> batch = lateCopies(known, sizes[b], "batch-" + b + "-");
        batches.add(batch);
        reference.addAll(batch);
        known.addAll(batch);
        states.add(reference.read(project, state));
      }
      java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
      java.util.concurrent.Future<Integer> reads = readers.submit(() -> {
        int count = 0;
        while (!done.get()) {
          List<Object> seen = indexed.read(project, state);
          assertTrue(states.contains(seen), () -> "a state no batch leaves: " + seen.subList(0, 2));
          count++;
        }
        return count;
      });
      for (List<Backup> batch : batches) {
        indexed.addAll(batch);
        Thread.sleep(20);
      }
      Thread.sleep(50);
      done.set(true);
      assertTrue(reads.get(60, java.util.concurrent.TimeUnit.SECONDS) > 0);
      assertEquals(reference.read(project, state), indexed.read(project, state));
    } finally {
      readers.shutdownNow();
      reorganiser.shutdown();
      assertTrue(reorganiser.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS));
    }
  }

  /**
   * {@code count} copies, with new ids, of random backups of {@code from} created before the newest
   * (a copy of the newest may sort after it, by id: not late).
   */
  private static List<Backup> lateCopies(List<Backup> from, int count, String idPrefix) {
    java.time.Instant newest = from.stream().map(Backup::createdAt).max(java.util.Comparator.naturalOrder()).orElseThrow();
    List<Backup> older = from.stream().filter(b -> b.createdAt().isBefore(newest)).collect(java.util.stream.Collectors.toList());
    Random random = new Random(count * 31L + idPrefix.hashCode());
    List<Backup> late = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      late.add(older.get(random.nextInt(older.size())).toBuilder().id(idPrefix + i).version(1).build());
    }
    return late;
  }
}
