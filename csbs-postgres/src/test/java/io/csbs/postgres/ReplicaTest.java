package io.csbs.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.BackupNotFoundException;
import io.csbs.catalog.Change;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.testing.QueryGenerator;
import io.csbs.testing.Seeds;
import io.csbs.usage.Quota;
import io.csbs.usage.UsageQuery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Several replicas following one database while writers change it concurrently: after catching up,
 * every replica answers every query exactly as the database does, and a replica started late, or
 * started again, catches up with nothing lost or applied twice.
 */
class ReplicaTest {
  private static final int WRITERS = 3;
  private static final int CHANGES_PER_WRITER = 150;

  @Test
  void replicasFedByConcurrentWritersAnswerEveryQueryAsTheDatabaseDoes() {
    Seeds.run(Seeds.pick(), this::replicasAgreeWithTheDatabase);
  }

  private void replicasAgreeWithTheDatabase(long seed) {
    DataSource store = TestDatabase.dataSource(0);
    TestDatabase.truncate(store);
    BackupGenerator generator = BackupGenerator.builder().seed(seed).projects(3).servers(12).build();
    FakeClock clock = FakeClock.at(generator.end());
    List<Backup> initial = generator.backups(300);
    List<AutoCloseable> opened = new ArrayList<>();
    try {
      PostgresCatalog database = PostgresCatalog.builder(store).clock(clock).pollInterval(Duration.ofMillis(20)).build();
      opened.add(database);
      database.addAll(initial);
      database.setQuota(generator.projectIds().get(0), Quota.of(10_000, 100_000));
      PostgresReplica early = PostgresReplica.start(database);
      PostgresReplica other = PostgresReplica.start(database);
      PostgresReplica stopped = PostgresReplica.start(database);
      opened.addAll(List.of(early, other, stopped));
      // what each replica's subscribers see: every change once, in order, numbered as the database numbers it
      Map<String, List<Change>> delivered = new ConcurrentHashMap<>();
      early.subscribe(change -> delivered.computeIfAbsent(change.projectId(), p -> Collections.synchronizedList(new ArrayList<>()))
          .add(change));

      runWriters(seed, database, early, initial, generator, () -> stopped.close());
      PostgresReplica late = PostgresReplica.start(database);   // started after the writes: loads their result
      PostgresReplica restarted = PostgresReplica.start(database); // "stopped" started again
      opened.addAll(List.of(late, restarted));

      for (String project : generator.projectIds()) {
        long head = database.sequence(project);
        for (PostgresReplica replica : List.of(early, other, late, restarted)) {
          assertTrue(replica.awaitSequence(project, head, Duration.ofSeconds(20)), replica + " reached " + head);
          assertEquals(head, replica.sequence(project), "a replica went past the database");
        }
        assertTrue(stopped.sequence(project) <= head);
        List<Change> seen = delivered.getOrDefault(project, List.of());
        List<Change> after = database.changes(project, 0, 10_000).stream()
            .filter(c -> c.sequence() > head - seen.size()).toList();
        assertEquals(after, seen, "the early replica delivered each change of " + project + " once, in order");
      }
      QueryGenerator queries = QueryGenerator.create(seed, initial);
      for (String project : generator.projectIds()) {
        assertEquals(database.tagCatalogue(project), late.tagCatalogue(project));
        assertEquals(database.quotaUsage(project), early.quotaUsage(project));
        assertEquals(database.usage(project, UsageQuery.firstServers(50)), other.usage(project, UsageQuery.firstServers(50)));
        for (int i = 0; i < 40; i++) {
          Query query = queries.nextQuery();
          Object expected = outcome(database, project, query);
          for (BackupCatalog replica : List.of(early, other, late, restarted)) {
            assertEquals(expected, outcome(replica, project, query), replica + ", " + project + ", " + query);
          }
        }
      }
    } finally {
      for (AutoCloseable closeable : opened) {
        try {
          closeable.close();
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }
    }
  }

  /** Writers change backups through the database and through a replica at once; midway, {@code midway} runs. */
  private static void runWriters(long seed, PostgresCatalog database, PostgresReplica replica, List<Backup> initial,
      BackupGenerator generator, Runnable midway) {
    ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
    // taken by one writer each: poll, not a check then a remove, which two writers could race
    java.util.concurrent.ConcurrentLinkedDeque<Backup> fresh =
        new java.util.concurrent.ConcurrentLinkedDeque<>(generator.backups(WRITERS * 20));
    try {
      List<Future<?>> writers = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        BackupCatalog through = w == 0 ? replica : database;   // a replica's writes go to the database too
        SplittableRandom random = new SplittableRandom(seed + w);
        writers.add(pool.submit(() -> {
          for (int i = 0; i < CHANGES_PER_WRITER && !Thread.currentThread().isInterrupted(); i++) {
            if (i == CHANGES_PER_WRITER / 2 && random.nextInt(WRITERS) == 0) {
              midway.run();
            }
            Backup target = initial.get(random.nextInt(initial.size()));
            Backup current = database.find(target.projectId(), target.id()).orElse(null);
            try {
              if (current == null || random.nextInt(10) == 0) {
                Backup next = fresh.pollLast();
                if (next != null) {
                  through.add(next);
                }
              } else if (current.status().isIntermediate()) {
                int percent = current.progress().orElseThrow().percent();
                Transition next = random.nextInt(3) == 0 ? Transition.complete()
                    : random.nextInt(8) == 0 ? Transition.fail("agent lost") : Transition.reportProgress(Math.min(100, percent + 7));
                through.apply(current.projectId(), current.id(), current.version(), next);
              } else if (random.nextInt(6) == 0) {
                through.remove(current.projectId(), current.id(), current.version());
              } else {
                through.apply(current.projectId(), current.id(), current.version(),
                    current.status() == BackupStatus.ERROR || random.nextBoolean() ? Transition.delete() : Transition.restore());
              }
            } catch (VersionConflictException | IllegalTransitionException | BackupNotFoundException e) {
              // another writer was first (changed or removed it): fine, the next change reads again
            }
          }
          return null;
        }));
      }
      midway.run();
      for (Future<?> writer : writers) {
        writer.get(120, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      throw new AssertionError("a writer failed", e);
    } finally {
      pool.shutdownNow();
      try {
        // no writer may outlive the test and write into the next one's store
        pool.awaitTermination(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static Object outcome(BackupCatalog catalog, String project, Query query) {
    try {
      return List.of(catalog.query(project, query), catalog.count(project, query.predicate()));
    } catch (RuntimeException e) {
      return e.getClass().getName();
    }
  }

  @Test
  void aReplicaReportsTheStatisticsOfItsMemoryAndTheDatabaseCatalogKeepsNone() {
    DataSource store = TestDatabase.dataSource(0);
    TestDatabase.truncate(store);
    BackupGenerator generator = BackupGenerator.builder().seed(6).projects(1).build();
    try (PostgresCatalog database = PostgresCatalog.create(store, FakeClock.at(generator.end()))) {
      String project = generator.projectIds().get(0);
      database.addAll(generator.backups(50));
      try (PostgresReplica replica = PostgresReplica.start(database)) {
        assertEquals(50, replica.stats(project).backups());
        assertTrue(replica.stats(project).estimatedIndexBytes() > 0);
      }
      assertThrows(UnsupportedOperationException.class, () -> database.stats(project));
    }
  }

  @Test
  void aReplicaReadsItsOwnWritesAndWaitsForOthers() {
    DataSource store = TestDatabase.dataSource(0);
    TestDatabase.truncate(store);
    BackupGenerator generator = BackupGenerator.builder().seed(5).projects(1).build();
    FakeClock clock = FakeClock.at(generator.end());
    // a poll interval of an hour: only its own writes, a notification or awaitSequence bring changes in
    try (PostgresCatalog database = PostgresCatalog.builder(store).clock(clock).pollInterval(Duration.ofHours(1)).build();
        PostgresCatalog elsewhere = PostgresCatalog.create(store, clock);
        PostgresReplica replica = PostgresReplica.start(database)) {
      String project = generator.projectIds().get(0);
      Backup mine = generator.next();
      replica.add(mine);
      assertEquals(mine, replica.get(project, mine.id()), "its own write, at once");

      Backup theirs = generator.next();
      elsewhere.add(theirs);
      long written = elsewhere.sequence(project);
      assertTrue(replica.awaitSequence(project, written, Duration.ofSeconds(10)));
      assertEquals(theirs, replica.get(project, theirs.id()));
      assertFalse(replica.awaitSequence(project, written + 1, Duration.ofMillis(50)), "a change nobody made");
      assertEquals(2, replica.count(project, Predicates.all()));
    }
  }

  @Test
  void aSubscriberMayAwaitItsProjectsSequenceWhileTheReplicaDeliversToIt() throws Exception {
    DataSource store = TestDatabase.dataSource(0);
    TestDatabase.truncate(store);
    BackupGenerator generator = BackupGenerator.builder().seed(7).projects(1).build();
    FakeClock clock = FakeClock.at(generator.end());
    try (PostgresCatalog database = PostgresCatalog.builder(store).clock(clock).pollInterval(Duration.ofMillis(20)).build();
        PostgresCatalog elsewhere = PostgresCatalog.create(store, clock);
        PostgresReplica replica = PostgresReplica.start(database)) {
      String project = generator.projectIds().get(0);
      // called back from inside the project's catch-up: it may not wait for a thread that waits for it
      java.util.concurrent.CompletableFuture<Boolean> awaited = new java.util.concurrent.CompletableFuture<>();
      replica.subscribe(change -> {
        if (change.sequence() == 2) {
          awaited.complete(replica.awaitSequence(project, 3, Duration.ofSeconds(5)));
        }
      });
      elsewhere.addAll(generator.backups(3));
      assertTrue(awaited.get(10, TimeUnit.SECONDS), "the next change is applied, from the delivering thread");
      assertTrue(replica.awaitSequence(project, 3, Duration.ofSeconds(10)));
    }
  }
}
