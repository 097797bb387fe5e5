package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Server;
import io.csbs.lifecycle.StallRule;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * How readers and writers of one project wait for its lock: a wait is counted in {@link
 * ProjectStats}, whether it ended while the thread spun or after it parked, and a reader searching
 * in a loop does not starve a writer.
 */
class LockWaitTest {
  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  @Test
  void aChangeThatWaitsForALongReadCountsTheWait() throws Exception {
    IndexedCatalog catalog = new IndexedCatalog(CLOCK, StallRule.DEFAULT, 8);
    catalog.add(backup("b0", 0));
    CountDownLatch reading = new CountDownLatch(1);
    Thread reader = new Thread(() -> catalog.read("project-a", view -> {
      reading.countDown();
      sleep(80);  // far past the spin: the writer parks
      return view.sequence();
    }));
    reader.start();
    reading.await();
    long before = System.nanoTime();
    catalog.add(backup("b1", 1));
    long waited = System.nanoTime() - before;
    reader.join();
    ProjectStats stats = catalog.stats("project-a");
    assertEquals(1, stats.lockWaits(), stats.toString());
    assertTrue(stats.lockWaitTime().compareTo(Duration.ofMillis(40)) >= 0, stats.toString());
    assertTrue(stats.lockWaitTime().toNanos() <= waited, stats.toString());
    assertEquals(2, catalog.stats("project-a").backups());
  }

  @Test
  void aReaderSearchingInALoopDoesNotStarveAWriter() {
    IndexedCatalog catalog = new IndexedCatalog(CLOCK, StallRule.DEFAULT, 8);
    for (int i = 0; i < 2_000; i++) {
      catalog.add(backup("b" + i, i));
    }
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong searches = new AtomicLong();
    Thread[] readers = new Thread[2];
    for (int r = 0; r < readers.length; r++) {
      readers[r] = new Thread(() -> {
        while (!stop.get()) {
          catalog.read("project-a", view -> {
            // a search that holds the lock a while, so that readers overlap
            long total = view.query(Query.builder().limit(50).build()).total();
            searches.incrementAndGet();
            return total;
          });
        }
      });
      readers[r].setDaemon(true);
      readers[r].start();
    }
    try {
      assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
        for (int i = 0; i < 500; i++) {
          catalog.add(backup("late" + i, i - 1_000_000));  // late: each joins the tail
        }
      });
    } finally {
      stop.set(true);
    }
    assertEquals(2_500, catalog.stats("project-a").backups());
    assertTrue(searches.get() > 0);
  }

  @Test
  void aReaderLetsAWaitingWriterGoFirst() throws Exception {
    IndexedCatalog catalog = new IndexedCatalog(CLOCK, StallRule.DEFAULT, 8);
    catalog.add(backup("b0", 0));
    CountDownLatch reading = new CountDownLatch(1);
    CountDownLatch letGo = new CountDownLatch(1);
    Thread longRead = new Thread(() -> catalog.read("project-a", view -> {
      reading.countDown();
      await(letGo);
      return view.sequence();
    }));
    longRead.start();
    reading.await();
    Thread writer = new Thread(() -> catalog.add(backup("b1", 1)));
    writer.start();
    awaitParked(writer);  // spun, then parked behind the long read
    AtomicLong seen = new AtomicLong(-1);
    // a search that reads under the lock (the first page and counts of all or of states read without it)
    Thread reader = new Thread(() -> seen.set(catalog.count("project-a", Predicates.nameContains("autobk"))));
    reader.start();
    awaitParked(reader);  // a reader that passed the waiting writer would have counted 1 by now
    letGo.countDown();
    for (Thread thread : new Thread[] {longRead, writer, reader}) {
      thread.join(10_000);
    }
    assertEquals(2, seen.get(), "the reader came in after the writer that waited before it");
  }

  /** Waits until {@code thread} parks or ends (a thread that never parks fails the test that expects it to, by its answer). */
  static void awaitParked(Thread thread) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (thread.getState() != Thread.State.WAITING && thread.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
  }

  static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static Backup backup(String id, long second) {
    return Backup.builder().id(id).name("autobk_" + id).projectId("project-a")
        .server(Server.of("server-1", "ecs-1", "eu-de-01"))
        .status(BackupStatus.AVAILABLE)
        .sizeMb(1024)
        .createdAt(NOW.minusSeconds(10_000_000).plusSeconds(second))
        .updatedAt(NOW.minusSeconds(10_000_000).plusSeconds(second))
        .build();
  }
}
