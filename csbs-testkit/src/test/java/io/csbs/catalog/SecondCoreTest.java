package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.lifecycle.StallRule;
import io.csbs.query.Predicates;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.testing.ReferenceCatalog;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * {@link SecondCore}: work split between the caller, who may hold a shard's lock, and the common
 * pool, whose threads may all be busy with tasks of the service's own (on two cores the pool has one
 * thread), some of them waiting for that lock. The caller must never wait for a part no pool thread
 * has started: while every pool thread is held and other threads submit to the pool beside (a
 * submission on top of the part keeps the caller from taking it back, which a plain {@code join()}
 * relies on), a first sort by name's build and a bulk load end, their answers right.
 */
class SecondCoreTest {
  private static final String PROJECT = BackupGenerator.projectId(0);

  @Test
  void aLargeNameOrderIsBuiltWhileEveryPoolThreadIsHeld() {
    int size = 3 * EntryOrder.PARALLEL;
    String[] texts = new String[size];
    for (int i = 0; i < size; i++) {
      texts[i] = "autobk_" + Integer.toHexString(i * 0x9E3779B9);  // distinct (an odd multiplier), out of order
    }
    withEveryPoolThreadHeld(() -> {
      Set<Thread> readers = ConcurrentHashMap.newKeySet();
      AtomicBoolean submitted = new AtomicBoolean();
      EntryOrder order = EntryOrder.sorted(size, e -> {
        if (readers.add(Thread.currentThread()) && submitted.compareAndSet(false, true)) {
          // a submission from this thread lies on top of the build's part in this thread's queue
          ForkJoinPool.commonPool().execute(() -> { });
        }
        return texts[e];
      });
      assertEquals(Set.of(Thread.currentThread()), readers, "the threads that read the texts");
      List<String> walked = new ArrayList<>();
      for (long c = order.first(); c != EntryOrder.END; c = order.next(c)) {
        walked.add(texts[order.at(c)]);
      }
      List<String> expected = new ArrayList<>(List.of(texts));
      Collections.sort(expected);
      assertEquals(expected, walked);
    });
  }

  @Test
  void aBulkLoadEndsWhileEveryPoolThreadIsHeld() {
    List<Backup> backups = BackupGenerator.builder().seed(11).projects(1).build()
        .backups(2 * ProjectShard.PARALLEL_BATCH + 100);
    FakeClock clock = FakeClock.create();
    ReferenceCatalog reference = ReferenceCatalog.create(clock);
    reference.addAll(backups);
    withEveryPoolThreadHeld(() -> {
      BackupCatalog catalog = Catalogs.indexed(clock);
      catalog.addAll(backups);  // its rows here, its texts beside (under the write lock), or here after
      assertEquals(backups.size(), catalog.count(PROJECT, Predicates.all()), "count");
      for (String text : List.of("autobk_1", "manual", "a0", "ecs-db")) {
        assertEquals(reference.count(PROJECT, Predicates.nameContains(text)),
            catalog.count(PROJECT, Predicates.nameContains(text)), "names containing " + text);
        assertEquals(reference.count(PROJECT, Predicates.serverNameContains(text)),
            catalog.count(PROJECT, Predicates.serverNameContains(text)), "server names containing " + text);
      }
    });
  }

  @Test
  void thePoolsPartRunsHereWhenNoPoolThreadTakesIt() {
    Set<Thread> ran = ConcurrentHashMap.newKeySet();
    withEveryPoolThreadHeld(() -> {
      // here's own submission lies on top of the pool's part in this thread's queue: a join could
      // not take the part back and would wait for a pool thread
      SecondCore.run(() -> ForkJoinPool.commonPool().execute(() -> { }), () -> ran.add(Thread.currentThread()));
      assertEquals(Set.of(Thread.currentThread()), ran, "the threads that ran the pool's part");
    });
  }

  @Test
  void aFailureHereLeavesThePoolsPartUnstartedOrWaitsForItsEnd() {
    RuntimeException failure = new IllegalStateException("here");
    AtomicBoolean besideRan = new AtomicBoolean();
    withEveryPoolThreadHeld(() -> {
      RuntimeException thrown = assertThrows(IllegalStateException.class,
          () -> SecondCore.run(() -> { throw failure; }, () -> besideRan.set(true)));
      assertSame(failure, thrown);
      assertFalse(besideRan.get(), "the pool's part, which no thread had started, ran");
    });
    // with a pool thread free, the part may have started: the failure is thrown after its end
    CountDownLatch besideStarted = new CountDownLatch(1);
    AtomicBoolean besideEnded = new AtomicBoolean();
    RuntimeException thrown = assertThrows(IllegalStateException.class, () -> SecondCore.run(() -> {
      awaitQuietly(besideStarted);
      throw failure;
    }, () -> {
      besideStarted.countDown();
      sleepQuietly(50);
      besideEnded.set(true);
    }));
    assertSame(failure, thrown);
    assertTrue(besideEnded.get(), "the failure was thrown before the pool's part ended");
  }

  /** Run by a pool thread, the failure comes as {@code join()} throws it: maybe a copy, of its type, caused by it. */
  @Test
  void thePoolsFailureIsThrownToTheCaller() {
    RuntimeException failure = new IllegalStateException("beside");
    for (int round = 0; round < 20; round++) {  // the pool's thread or this one runs it, as it comes
      RuntimeException thrown = assertThrows(IllegalStateException.class, () -> SecondCore.run(() -> sleepQuietly(1),
          () -> {
            throw failure;
          }));
      assertTrue(thrown == failure || thrown.getCause() == failure, () -> "thrown: " + thrown);
    }
    withEveryPoolThreadHeld(() -> assertSame(failure,
        assertThrows(IllegalStateException.class, () -> SecondCore.run(() -> { }, () -> {
          throw failure;
        }))));
  }

  @Test
  void aloneRunsBothPartsHereOneAfterTheOtherAndEndsWithTheWork() {
    List<String> ran = Collections.synchronizedList(new ArrayList<>());
    Thread caller = Thread.currentThread();
    SecondCore.alone(() -> {
      SecondCore.run(() -> ran.add("here on " + (Thread.currentThread() == caller)),
          () -> ran.add("beside on " + (Thread.currentThread() == caller)));
      SecondCore.alone(() -> { });  // nested: the outer work stays alone after it
      SecondCore.run(() -> ran.add("here again"), () -> ran.add("beside again on " + (Thread.currentThread() == caller)));
    });
    assertEquals(List.of("here on true", "beside on true", "here again", "beside again on true"), ran);

    RuntimeException failure = new IllegalStateException("here");
    AtomicBoolean besideRan = new AtomicBoolean();
    assertSame(failure, assertThrows(IllegalStateException.class,
        () -> SecondCore.alone(() -> SecondCore.run(() -> { throw failure; }, () -> besideRan.set(true)))));
    assertFalse(besideRan.get(), "beside ran after here failed");

    // after it (even after a failure), the pool's part runs beside again: here waits until it starts
    CountDownLatch besideStarted = new CountDownLatch(1);
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> SecondCore.run(
        () -> assertTrue(awaitQuietly(besideStarted), "the pool's part did not start while here ran"),
        besideStarted::countDown));
  }

  /**
   * A reorganisation runs beside the service's threads and must leave them the other core: its
   * build of a large shard (texts beside rows in a bulk load) hands nothing to the common pool. With
   * every pool thread held, a part handed to it would stay queued.
   */
  @Test
  void aReorganisationHandsNoWorkToThePool() {
    FakeClock clock = FakeClock.create();
    List<Backup> backups = BackupGenerator.builder().seed(12).projects(1).build()
        .backups(ProjectShard.PARALLEL_BATCH + 2_000);
    List<Backup> loaded = backups.subList(0, ProjectShard.PARALLEL_BATCH + 1_000);
    ReferenceCatalog reference = ReferenceCatalog.create(clock);
    reference.addAll(loaded);
    // reorganisations run on the thread of the change that makes one due, past a slack of 64 late rows
    IndexedCatalog catalog = new IndexedCatalog(clock, StallRule.DEFAULT, 64, Runnable::run);
    catalog.addAll(loaded);
    ForkJoinPool pool = ForkJoinPool.commonPool();
    CountDownLatch release = holdEveryPoolThread();
    try {
      long queued = pool.getQueuedSubmissionCount();
      // the rest, added one by one, each made older than every row loaded: every one late
      List<Backup> late = backups.subList(loaded.size(), backups.size());
      Instant firstLoaded = loaded.stream().map(Backup::createdAt).min(Instant::compareTo).orElseThrow();
      int added = 0;
      for (Backup backup : late) {
        Backup older = backup.toBuilder().createdAt(firstLoaded.minusSeconds(late.size() - added)).build();
        catalog.add(older);
        reference.add(older);
        added++;
        if (catalog.stats(PROJECT).reorganisations() > 0) {
          break;
        }
      }
      assertTrue(catalog.stats(PROJECT).reorganisations() > 0, "no reorganisation after " + added + " late adds");
      assertEquals(queued, pool.getQueuedSubmissionCount(), "work handed to the pool");
    } finally {
      release.countDown();
    }
    assertEquals(reference.count(PROJECT, Predicates.all()), catalog.count(PROJECT, Predicates.all()), "count");
    for (String text : List.of("autobk_1", "manual", "a0", "ecs-db")) {
      assertEquals(reference.count(PROJECT, Predicates.nameContains(text)),
          catalog.count(PROJECT, Predicates.nameContains(text)), "names containing " + text);
      assertEquals(reference.count(PROJECT, Predicates.serverNameContains(text)),
          catalog.count(PROJECT, Predicates.serverNameContains(text)), "server names containing " + text);
    }
  }

  /** Makes every thread of the common pool wait, once each has started, until the latch it returns is counted down. */
  private static CountDownLatch holdEveryPoolThread() {
    ForkJoinPool pool = ForkJoinPool.commonPool();
    int threads = pool.getParallelism();
    CountDownLatch started = new CountDownLatch(threads);
    CountDownLatch release = new CountDownLatch(1);
    for (int i = 0; i < threads; i++) {
      pool.execute(() -> {
        started.countDown();
        awaitQuietly(release);
      });
    }
    if (!awaitQuietly(started)) {
      release.countDown();
      throw new AssertionError("the pool's threads did not all start");
    }
    return release;
  }

  /**
   * Runs {@code work} (within 60 s) while every thread of the common pool waits on a latch and eight
   * threads submit empty tasks to the pool.
   */
  private static void withEveryPoolThreadHeld(Runnable work) {
    ForkJoinPool pool = ForkJoinPool.commonPool();
    CountDownLatch release = holdEveryPoolThread();
    AtomicBoolean working = new AtomicBoolean(true);
    List<Thread> submitters = new ArrayList<>();
    try {
      for (int i = 0; i < 8; i++) {
        Thread submitter = new Thread(() -> {
          for (int n = 0; n < 20_000 && working.get(); n++) {
            pool.execute(() -> { });
            Thread.yield();
          }
        });
        submitter.start();
        submitters.add(submitter);
      }
      assertTimeoutPreemptively(Duration.ofSeconds(60), work::run);
    } finally {
      working.set(false);
      release.countDown();
      for (Thread submitter : submitters) {
        try {
          submitter.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  private static boolean awaitQuietly(CountDownLatch latch) {
    try {
      return latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
