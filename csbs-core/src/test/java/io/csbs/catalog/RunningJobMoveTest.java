package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A transition that changes a running job's progress moves the job in the shard's running jobs
 * after it lets go of the write lock. Between the two, a search for stalled jobs waits for the move
 * and answers from the state after the transition; any other search goes on without waiting and
 * sees the transition whole.
 */
class RunningJobMoveTest {
  private static final String PROJECT = "project-a";
  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  private ExecutorService other;

  @BeforeEach
  void startTheOtherThread() {
    other = Executors.newSingleThreadExecutor();
  }

  @AfterEach
  void stopTheOtherThread() throws InterruptedException {
    other.shutdownNow();
    other.awaitTermination(10, TimeUnit.SECONDS);
  }

  @Test
  void aStalledSearchBetweenTheTransitionAndItsMoveAnswersFromAfterTheTransition() throws Exception {
    IndexedCatalog catalog = catalogWithAStalledJob();
    AtomicReference<Future<Long>> stalledMeanwhile = new AtomicReference<>();
    AtomicReference<Future<Page>> stalledPageMeanwhile = new AtomicReference<>();
    catalog.runOnceBeforeRunningJobMove(() -> {
      stalledMeanwhile.set(other.submit(() -> catalog.count(PROJECT, Predicates.stalled())));
      stalledPageMeanwhile.set(other.submit(() -> catalog.query(PROJECT, Query.builder().where(Predicates.stalled()).build())));
      sleep(100);  // a search that did not wait would have answered by now, from the running jobs before the move
    });
    catalog.apply(PROJECT, "job", 1, Transition.reportProgress(60));
    assertEquals(0, stalledMeanwhile.get().get(10, TimeUnit.SECONDS));
    Page page = stalledPageMeanwhile.get().get(10, TimeUnit.SECONDS);
    assertEquals(0, page.total());
    assertEquals(List.of(), page.backups());
    assertEquals(0, catalog.count(PROJECT, Predicates.stalled()));
  }

  @Test
  void aJobThatStopsRunningLeavesTheStalledSearchesOnceTheyAnswer() throws Exception {
    IndexedCatalog catalog = catalogWithAStalledJob();
    AtomicReference<Future<Long>> stalledMeanwhile = new AtomicReference<>();
    catalog.runOnceBeforeRunningJobMove(() -> {
      stalledMeanwhile.set(other.submit(() -> catalog.count(PROJECT, Predicates.stalled())));
      sleep(100);
    });
    catalog.apply(PROJECT, "job", 1, Transition.complete());
    assertEquals(0, stalledMeanwhile.get().get(10, TimeUnit.SECONDS));
    assertEquals(0, catalog.count(PROJECT, Predicates.stalled()));
    assertEquals(0, catalog.count(PROJECT, Predicates.status(BackupStatus.CREATING)));
  }

  @Test
  void otherSearchesDoNotWaitForTheMoveAndSeeTheTransitionWhole() throws Exception {
    IndexedCatalog catalog = catalogWithAStalledJob();
    AtomicReference<Page> listMeanwhile = new AtomicReference<>();
    AtomicReference<Long> creatingMeanwhile = new AtomicReference<>();
    catalog.runOnceBeforeRunningJobMove(() -> {
      try {
        // on the other thread, and waited for here: a search that waited for the move would never end
        listMeanwhile.set(CompletableFuture.supplyAsync(() -> catalog.query(PROJECT, Query.builder().build()), other)
            .get(10, TimeUnit.SECONDS));
        creatingMeanwhile.set(CompletableFuture.supplyAsync(
            () -> catalog.count(PROJECT, Predicates.status(BackupStatus.CREATING)), other).get(10, TimeUnit.SECONDS));
      } catch (Exception e) {
        throw new AssertionError("a search that does not ask for stalled jobs waited for the move", e);
      }
    });
    Backup next = catalog.apply(PROJECT, "job", 1, Transition.reportProgress(60)).orElseThrow();
    assertEquals(Progress.of(60, NOW), next.progress().orElseThrow());
    assertEquals(3, listMeanwhile.get().total());
    assertEquals(next, listMeanwhile.get().backups().get(0), "the newest backup, in its version after the transition");
    assertEquals(1, creatingMeanwhile.get());
  }

  @Test
  void aChangeThatLeavesTheProgressAloneLeavesNoMoveBehind() {
    IndexedCatalog catalog = catalogWithAStalledJob();
    AtomicReference<Long> stalledMeanwhile = new AtomicReference<>();
    catalog.runOnceBeforeRunningJobMove(() -> {
      try {
        // waited for here: a stalled search that waited for a move would never end
        stalledMeanwhile.set(CompletableFuture.supplyAsync(() -> catalog.count(PROJECT, Predicates.stalled()), other)
            .get(10, TimeUnit.SECONDS));
      } catch (Exception e) {
        throw new AssertionError("a tag update left a move of the running jobs behind", e);
      }
    });
    catalog.updateTags(PROJECT, "job", 1, TagUpdate.create(Tag.of("env", "prod")));
    assertEquals(1, stalledMeanwhile.get(), "a tag update keeps the job's progress");
    assertEquals(1, catalog.count(PROJECT, Predicates.stalled()));
  }

  /** Two available backups and a newer one being created, its progress last changed 40 minutes ago: stalled. */
  private static IndexedCatalog catalogWithAStalledJob() {
    IndexedCatalog catalog = new IndexedCatalog(CLOCK, StallRule.DEFAULT, 8);
    catalog.add(backup("a1", BackupStatus.AVAILABLE, 3).build());
    catalog.add(backup("a2", BackupStatus.AVAILABLE, 2).build());
    catalog.add(backup("job", BackupStatus.CREATING, 1)
        .progress(Progress.of(40, NOW.minus(Duration.ofMinutes(40)))).build());
    assertEquals(1, catalog.count(PROJECT, Predicates.stalled()));
    return catalog;
  }

  private static Backup.Builder backup(String id, BackupStatus status, long hoursAgo) {
    return Backup.builder().id(id).name("autobk_" + id).projectId(PROJECT)
        .server(Server.of("server-1", "ecs-1", "eu-de-01"))
        .status(status)
        .sizeMb(1024)
        .createdAt(NOW.minus(Duration.ofHours(hoursAgo)))
        .updatedAt(NOW.minus(Duration.ofHours(hoursAgo)));
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
