package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Server;
import io.csbs.query.Predicates;
import io.csbs.testing.FakeClock;
import io.csbs.testing.Seeds;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Batches over several projects take their projects' locks without holding one while they wait for
 * another (IndexedCatalog.lockAllForChange): batches over the same projects in every combination,
 * beside long reads of each project and single adds, all end, and every backup is added once.
 */
class BatchLocksTest {
  private static final List<String> PROJECTS = List.of("a", "b", "c", "d");
  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
  private static final Server SERVER = Server.of("s-1", "ecs-1", "az-1");

  @Test
  void batchesOverlappingInEveryWayBesideLongReadsAllEnd() {
    Seeds.run(Seeds.pick(), seed -> {
      BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
      AtomicInteger ids = new AtomicInteger();
      List<Thread> threads = new ArrayList<>();
      int[] added = new int[PROJECTS.size()];
      Object count = new Object();
      for (int w = 0; w < 3; w++) {
        SplittableRandom random = new SplittableRandom(seed + w);
        threads.add(new Thread(() -> {
          for (int round = 0; round < 300; round++) {
            List<Backup> batch = new ArrayList<>();
            int[] mine = new int[PROJECTS.size()];
            for (int p = 0; p < PROJECTS.size(); p++) {
              if (random.nextInt(3) != 0) {
                batch.add(backup(PROJECTS.get(p), "b" + ids.incrementAndGet()));
                mine[p]++;
              }
            }
            if (batch.size() == 1 && random.nextBoolean()) {
              catalog.add(batch.get(0));
            } else {
              catalog.addAll(batch);
            }
            synchronized (count) {
              for (int p = 0; p < mine.length; p++) {
                added[p] += mine[p];
              }
            }
          }
        }, "batches-" + w));
      }
      SplittableRandom readerRandom = new SplittableRandom(seed - 1);
      threads.add(new Thread(() -> {
        for (int round = 0; round < 200; round++) {
          catalog.read(PROJECTS.get(readerRandom.nextInt(PROJECTS.size())), view -> {
            LockSupport.parkNanos(readerRandom.nextInt(200_000));  // a read that takes its time
            return view.count(Predicates.all());
          });
        }
      }, "long-reads"));
      threads.forEach(Thread::start);
      for (Thread thread : threads) {
        try {
          thread.join(60_000);
        } catch (InterruptedException e) {
          throw new AssertionError(e);
        }
        assertFalse(thread.isAlive(), thread.getName() + " still runs after a minute: a deadlock?");
      }
      for (int p = 0; p < PROJECTS.size(); p++) {
        assertEquals(added[p], catalog.count(PROJECTS.get(p), Predicates.all()), PROJECTS.get(p));
        assertEquals(added[p], catalog.sequence(PROJECTS.get(p)), PROJECTS.get(p));
      }
    });
  }

  private static Backup backup(String project, String id) {
    return Backup.builder().id(id).name("n_" + id).projectId(project).server(SERVER)
        .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(NOW.minusSeconds(1)).build();
  }
}
