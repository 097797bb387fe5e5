package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.testing.QueryGenerator;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.testing.Seeds;
import io.csbs.usage.ServerUsage;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import io.csbs.backup.InvalidValueException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Writers apply random valid and invalid changes while readers query, for a bounded time. Readers
 * check what one read must show (a page in order with no repeats, a total that covers it, usage that
 * sums up), and what several reads of one {@link BackupCatalog#read} state must agree on (every
 * backup in exactly one state, usage equal to what the list and the search return); at the end the catalog must equal the replay of the changes it delivered, and answer
 * every query like a plain scan of that replay. Replay with {@code -Dcsbs.seed=N}.
 */
class CatalogStressTest {
  private static final Duration RUN_FOR = Duration.ofSeconds(4);
  private static final int WRITERS = 3;
  private static final int READERS = 2;

  @Test
  void concurrentReadersAndWritersKeepEveryInvariant() throws Exception {
    Seeds.run(Seeds.pick(), seed -> stress(seed, Catalogs::indexed));
  }

  /** The same with a shard reorganising after every few out-of-order or removed rows, beside it all. */
  @Test
  void invariantsHoldWhileReorganisationsRunBesideReadersAndWriters() throws Exception {
    ExecutorService reorganiser = Executors.newSingleThreadExecutor();
    try {
      Seeds.run(Seeds.pick(), seed -> stress(seed,
          clock -> new IndexedCatalog(clock, io.csbs.lifecycle.StallRule.DEFAULT, 4, reorganiser)));
    } finally {
      reorganiser.shutdown();
    }
  }

  private void stress(long seed, java.util.function.Function<FakeClock, BackupCatalog> catalogs) {
    BackupGenerator generator = BackupGenerator.builder().seed(seed).projects(3).servers(60).build();
    FakeClock clock = FakeClock.at(generator.end());
    BackupCatalog catalog = catalogs.apply(clock);
    List<Backup> initial = generator.backups(3000);
    catalog.addAll(initial);
    Map<String, Backup> replayed = new HashMap<>();
    for (Backup backup : initial) {
      replayed.put(backup.projectId() + "/" + backup.id(), backup);
    }
    ConcurrentLinkedQueue<Change> delivered = new ConcurrentLinkedQueue<>();
    catalog.subscribe(delivered::add);
    List<Backup> fresh = generator.backups(20_000);

    AtomicBoolean stop = new AtomicBoolean();
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    ExecutorService pool = Executors.newFixedThreadPool(WRITERS + READERS);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> tasks = new ArrayList<>();
    for (int w = 0; w < WRITERS; w++) {
      SplittableRandom random = new SplittableRandom(seed + w);
      int writer = w;
      tasks.add(pool.submit(() -> guard(failures, () -> {
        start.await();
        int next = writer;
        while (!stop.get()) {
          Backup target = initial.get(random.nextInt(initial.size()));
          String project = target.projectId();
          Backup current = catalog.find(project, target.id()).orElse(null);
          if (current == null || random.nextInt(50) == 0) {
            if (next < fresh.size()) {
              try {
                catalog.add(fresh.get(next));
              } catch (DuplicateBackupException expected) {
                // another writer's copy of the same fresh backup
              }
              next += WRITERS;
            }
            continue;
          }
          long version = random.nextInt(10) == 0 ? current.version() - 1 : current.version();
          try {
            catalog.apply(project, target.id(), version, randomTransition(random));
          } catch (VersionConflictException | IllegalTransitionException | InvalidValueException
              | BackupNotFoundException refused) {
            // refused changes are part of the load; they must change nothing
          }
          if (random.nextInt(100) == 0) {
            clock.advance(Duration.ofMinutes(random.nextInt(20)));
          }
        }
        return null;
      })));
    }
    for (int r = 0; r < READERS; r++) {
      SplittableRandom random = new SplittableRandom(seed * 31 + r);
      QueryGenerator queries = QueryGenerator.create(seed + r, initial);
      tasks.add(pool.submit(() -> guard(failures, () -> {
        start.await();
        while (!stop.get()) {
          String project = BackupGenerator.projectId(random.nextInt(3));
          Query query = queries.nextQuery().toBuilder().marker(null).offset(0).build();
          checkPage(query, catalog.query(project, query));
          checkUsage(catalog.usage(project, UsageQuery.firstServers(UsageQuery.MAX_LIMIT)));
          catalog.read(project, view -> {
            checkOneState(view, query);
            return null;
          });
        }
        return null;
      })));
    }
    start.countDown();
    try {
      Thread.sleep(RUN_FOR.toMillis());
      stop.set(true);
      pool.shutdown();
      assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS), "workers did not stop");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    if (!failures.isEmpty()) {
      AssertionError error = new AssertionError("a worker failed: " + failures.peek(), failures.peek());
      failures.forEach(error::addSuppressed);
      throw error;
    }

    // the end: the delivered changes, replayed on the initial state, are the catalog
    // each project numbers its changes; the subscription started after the initial backups
    Map<String, Long> sequences = new HashMap<>();
    for (Backup backup : initial) {
      sequences.merge(backup.projectId(), 1L, Long::sum);
    }
    for (Change change : delivered) {
      long expected = sequences.merge(change.projectId(), 1L, Long::sum);
      assertEquals(expected, change.sequence(), "changes of " + change.projectId() + " delivered out of order or lost");
      String key = change.projectId() + "/" + change.backupId();
      assertEquals(replayed.get(key), change.before().orElse(null), "change " + change + " skips a version");
      if (change.after().isPresent()) {
        replayed.put(key, change.after().get());
      } else {
        replayed.remove(key);
      }
    }
    ReferenceCatalog reference = ReferenceCatalog.create(clock);
    reference.addAll(replayed.values());
    QueryGenerator queries = QueryGenerator.create(seed, new ArrayList<>(replayed.values()));
    for (String project : generator.projectIds()) {
      assertEquals(sequences.getOrDefault(project, 0L), catalog.sequence(project), "sequence of " + project);
      assertEquals(reference.count(project, Predicates.all()), catalog.count(project, Predicates.all()), project);
      long byStatus = 0;
      for (BackupStatus status : BackupStatus.values()) {
        long count = catalog.count(project, Predicates.status(status));
        assertEquals(reference.count(project, Predicates.status(status)), count, project + " " + status);
        byStatus += count;
      }
      assertEquals(catalog.count(project, Predicates.all()), byStatus, "a backup in two states or in none");
      assertEquals(reference.usage(project, UsageQuery.firstServers(UsageQuery.MAX_LIMIT)),
          catalog.usage(project, UsageQuery.firstServers(UsageQuery.MAX_LIMIT)), project);
      assertEquals(reference.tagCatalogue(project), catalog.tagCatalogue(project), project);
      for (int i = 0; i < 30; i++) {
        Query query = queries.nextQuery().toBuilder().marker(null).build();
        assertEquals(reference.query(project, query), catalog.query(project, query), query.toString());
      }
    }
  }

  /** What one page must show whatever the writers do: its order, no repeats, a total that covers it. */
  private static void checkPage(Query query, Page page) {
    assertTrue(page.total() >= page.backups().size(), "total below the page size: " + page);
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < page.backups().size(); i++) {
      Backup backup = page.backups().get(i);
      assertTrue(ids.add(backup.id()), "a backup twice in one page: " + backup);
      if (i > 0) {
        assertTrue(query.sort().comparator().compare(page.backups().get(i - 1), backup) < 0, "page out of order: " + page);
      }
    }
  }

  /**
   * What several reads of one state must agree on: every backup in exactly one state, a query's
   * matches with the usage restricted by its predicate, and the whole list with the project's usage.
   */
  private static void checkOneState(ProjectView view, Query query) {
    long all = view.count(Predicates.all());
    long byState = 0;
    for (BackupStatus status : BackupStatus.values()) {
      byState += view.count(Predicates.status(status));
    }
    assertEquals(all, byState, "a backup in no state or in two");
    Page everything = view.query(Query.builder().limit(Query.MAX_LIMIT).build());
    UsageReport usage = view.usage(UsageQuery.firstServers(UsageQuery.MAX_LIMIT));
    assertEquals(everything.total(), usage.backups(), "usage counts other backups than the list");
    if (!everything.hasMore()) {
      assertEquals(everything.backups().stream().mapToLong(Backup::sizeMb).sum(), usage.sizeMb(),
          "usage differs from the sum of the listed sizes");
    }
    UsageReport matching = view.usage(UsageQuery.of(query.predicate(), 0, UsageQuery.MAX_LIMIT));
    assertEquals(view.count(query.predicate()), matching.backups(), "usage of a search and its count differ");
    assertEquals(view.query(query).total(), matching.backups(), "usage of a search and its total differ");
  }

  /** One usage report sums up: its servers add to its totals. */
  private static void checkUsage(UsageReport report) {
    if (report.serverCount() <= report.servers().size()) {
      assertEquals(report.backups(), report.servers().stream().mapToLong(ServerUsage::backups).sum(), "usage backups");
      assertEquals(report.sizeMb(), report.servers().stream().mapToLong(ServerUsage::sizeMb).sum(), "usage size");
    }
  }

  private static Transition randomTransition(SplittableRandom random) {
    switch (random.nextInt(8)) {
      case 0: return Transition.restore();
      case 1: return Transition.instantRestore();
      case 2: return Transition.delete();
      case 3:
      case 4: return Transition.reportProgress(random.nextInt(101));
      case 5:
      case 6: return Transition.complete();
      default: return Transition.fail("injected");
    }
  }

  private interface Work {
    Object run() throws Exception;
  }

  private static Object guard(ConcurrentLinkedQueue<Throwable> failures, Work work) {
    try {
      return work.run();
    } catch (Throwable t) {
      failures.add(t);
      return null;
    }
  }
}
