package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.testing.QueryGenerator;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.testing.Seeds;
import io.csbs.usage.UsageQuery;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A project that grows past several chunks of rows and several drains of its id table, one change
 * at a time (late adds, new backups, transitions, removals), while its reorganisations run on a
 * thread of their own and a reader checks every state it sees: one {@link BackupCatalog#read} must
 * show the same total in its count, its page and its states, and find every backup it lists. Every
 * few thousand changes the answers of random queries are compared with a plain scan, whatever the
 * reorganiser is doing then. Replay with {@code -Dcsbs.seed=N}.
 */
class GrowthBesideReadersTest {

  @Test
  void answersStayThoseOfAPlainScanWhileRowsAndIdsGrowBesideReorganisations() throws Exception {
    ExecutorService reorganiser = Executors.newSingleThreadExecutor();
    ExecutorService reader = Executors.newSingleThreadExecutor();
    try {
      Seeds.run(Seeds.pick(), seed -> grow(seed, reorganiser, reader));
    } finally {
      reorganiser.shutdown();
      reader.shutdownNow();
      assertTrue(reorganiser.awaitTermination(60, TimeUnit.SECONDS));
      assertTrue(reader.awaitTermination(60, TimeUnit.SECONDS));
    }
  }

  private void grow(long seed, ExecutorService reorganiser, ExecutorService readerThread) {
    SplittableRandom random = new SplittableRandom(seed);
    BackupGenerator generator = BackupGenerator.builder().seed(seed).projects(1).servers(200).build();
    FakeClock clock = FakeClock.at(generator.end());
    IndexedCatalog indexed = new IndexedCatalog(clock, StallRule.DEFAULT, ProjectShard.MIN_REBUILD_SLACK, reorganiser);
    ReferenceCatalog reference = ReferenceCatalog.create(clock, StallRule.DEFAULT);
    String project = BackupGenerator.projectId(0);
    List<Backup> initial = generator.backups(RowArray.CHUNK / 2);
    indexed.addAll(initial);
    reference.addAll(initial);
    QueryGenerator queries = QueryGenerator.create(seed, initial);

    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong statesChecked = new AtomicLong();
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    Future<?> reading = readerThread.submit(() -> {
      try {
        while (!stop.get()) {
          indexed.read(project, view -> {
            checkOneState(view);
            return null;
          });
          statesChecked.incrementAndGet();
          // a pause between reads: still thousands of states read beside the growth, but the reader
          // no longer takes a whole core from the writer and the other tests of the build
          java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
      } catch (Throwable e) {
        failures.add(e);
      }
    });

    List<Backup> known = new ArrayList<>(initial);
    int changes = RowArray.CHUNK * 2 + random.nextInt(RowArray.CHUNK / 2);
    for (int step = 0; step < changes && failures.isEmpty(); step++) {
      int kind = random.nextInt(10);
      if (kind < 4) {
        // late: the creation time of a stored backup, a new id
        Backup late = known.get(random.nextInt(known.size())).toBuilder().id("late-" + step).version(1).build();
        indexed.add(late);
        reference.add(late);
        known.add(late);
      } else if (kind < 6) {
        Backup fresh = generator.next();
        indexed.add(fresh);
        reference.add(fresh);
        known.add(fresh);
      } else {
        int at = random.nextInt(known.size());
        Optional<Backup> current = reference.find(project, known.get(at).id());
        if (current.isEmpty()) {
          continue;
        }
        Backup backup = current.get();
        if (kind < 8 && (backup.status() == BackupStatus.AVAILABLE || backup.status() == BackupStatus.RESTORING)) {
          Transition transition = backup.status() == BackupStatus.AVAILABLE ? Transition.restore() : Transition.complete();
          Optional<Backup> expected = reference.apply(project, backup.id(), backup.version(), transition);
          assertEquals(expected, indexed.apply(project, backup.id(), backup.version(), transition), "step " + step);
        } else {
          reference.remove(project, backup.id(), backup.version());
          indexed.remove(project, backup.id(), backup.version());
        }
      }
      if (step % 4000 == 0) {
        compare(reference, indexed, project, queries, random, "step " + step);
      }
    }
    stop.set(true);
    try {
      reading.get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    if (!failures.isEmpty()) {
      throw new AssertionError("a reader saw an inconsistent state", failures.peek());
    }
    compare(reference, indexed, project, queries, random, "at the end");
    assertTrue(indexed.reorganisations(project) > 0, "no reorganisation ran");
    assertTrue(statesChecked.get() > 0, "the reader checked no state");
    System.out.println("GrowthBesideReadersTest: " + statesChecked.get() + " states read beside " + changes + " changes");
  }

  private static void compare(ReferenceCatalog reference, IndexedCatalog indexed, String project,
      QueryGenerator queries, SplittableRandom random, String context) {
    assertEquals(reference.count(project, Predicates.all()), indexed.count(project, Predicates.all()), context);
    assertEquals(reference.usage(project, UsageQuery.firstServers(50)), indexed.usage(project, UsageQuery.firstServers(50)),
        context + ": usage");
    for (int i = 0; i < 10; i++) {
      Query query = queries.nextQuery();
      if (random.nextInt(4) == 0 && query.marker().isEmpty()) {
        query = query.toBuilder().offset(random.nextInt(2000)).build();
      }
      Page expected;
      try {
        expected = reference.query(project, query);
      } catch (RuntimeException refused) {
        continue;  // a marker the changes removed, say: the differential tests compare refusals
      }
      assertEquals(expected, indexed.query(project, query), context + ": " + query);
      BackupPredicate predicate = queries.nextPredicate();
      assertEquals(reference.count(project, predicate), indexed.count(project, predicate), context + ": count " + predicate);
    }
  }

  /** What any one state must show, whichever changes and reorganisations it comes between. */
  private static void checkOneState(ProjectView view) {
    long total = view.count(Predicates.all());
    long byState = 0;
    for (BackupStatus status : BackupStatus.values()) {
      byState += view.count(Predicates.status(status));
    }
    assertEquals(total, byState, "every backup in exactly one state");
    Page page = view.query(Query.builder().limit(50).build());
    assertEquals(total, page.total(), "the page's total");
    Backup newer = null;
    for (Backup backup : page.backups()) {
      assertEquals(Optional.of(backup), view.find(backup.id()), "a listed backup is found");
      if (newer != null) {
        assertTrue(ProjectShard.ROW_ORDER.compare(newer, backup) > 0, "newest first: " + newer.id() + ", " + backup.id());
      }
      newer = backup;
    }
  }
}
