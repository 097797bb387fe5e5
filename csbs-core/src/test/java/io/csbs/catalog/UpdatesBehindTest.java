package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.TagCatalogue;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
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
 * An add, a transition or a removal leaves some updates of a project's indexes (the postings of
 * fields and tags, the tag sets, names, servers, running jobs) to make after it lets go of the write
 * lock. Between the two, a search that reads those indexes waits for them and answers from the
 * state after the change, as does a change another thread makes meanwhile; a search that reads none
 * of them (the default list, a status) goes on without waiting and sees the change whole. A test
 * hook of the catalog's runs the searches on another thread in that instant.
 */
class UpdatesBehindTest {
  private static final String PROJECT = "project-a";
  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  /** Searches of every index a change may leave behind, and of none. */
  private static final List<BackupPredicate> SEARCHES = List.of(
      Predicates.stalled(),
      Predicates.tag("env", "prod"),
      Predicates.tag("app", "db"),
      Predicates.tagKey("app"),
      Predicates.and(Predicates.tag("env", "prod"), Predicates.tag("app", "db")),
      Predicates.nameContains("late"),
      Predicates.nameContains("autobk"),
      Predicates.serverNameContains("ecs-2"),
      Predicates.serverId("server-2"),
      Predicates.policyId("policy-1"),
      Predicates.status(BackupStatus.CREATING),
      Predicates.all());

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
    catalog.runOnceBeforeUpdatesBehind(() -> {
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
    catalog.runOnceBeforeUpdatesBehind(() -> {
      stalledMeanwhile.set(other.submit(() -> catalog.count(PROJECT, Predicates.stalled())));
      sleep(100);
    });
    catalog.apply(PROJECT, "job", 1, Transition.complete());
    assertEquals(0, stalledMeanwhile.get().get(10, TimeUnit.SECONDS));
    assertEquals(0, catalog.count(PROJECT, Predicates.stalled()));
    assertEquals(0, catalog.count(PROJECT, Predicates.status(BackupStatus.CREATING)));
  }

  @Test
  void searchesThatReadNoneOfThoseIndexesDoNotWaitAndSeeTheChangeWhole() throws Exception {
    IndexedCatalog catalog = catalogWithAStalledJob();
    AtomicReference<Page> listMeanwhile = new AtomicReference<>();
    AtomicReference<Long> creatingMeanwhile = new AtomicReference<>();
    catalog.runOnceBeforeUpdatesBehind(() -> {
      try {
        // on the other thread, and waited for here: a search that waited for the updates would never end
        listMeanwhile.set(CompletableFuture.supplyAsync(() -> catalog.query(PROJECT, Query.builder().build()), other)
            .get(10, TimeUnit.SECONDS));
        creatingMeanwhile.set(CompletableFuture.supplyAsync(
            () -> catalog.count(PROJECT, Predicates.status(BackupStatus.CREATING)), other).get(10, TimeUnit.SECONDS));
      } catch (Exception e) {
        throw new AssertionError("a search that reads none of the indexes behind waited for them", e);
      }
    });
    Backup added = backup("new", BackupStatus.AVAILABLE, 0).addTags(Tag.of("app", "db")).build();
    catalog.add(added);
    assertEquals(4, listMeanwhile.get().total());
    assertEquals(added, listMeanwhile.get().backups().get(0), "the newest backup");
    assertEquals(1, creatingMeanwhile.get());
    assertEquals(1, catalog.count(PROJECT, Predicates.tag("app", "db")));
  }

  @Test
  void aTagUpdateLeavesNothingBehind() {
    IndexedCatalog catalog = catalogWithAStalledJob();
    AtomicReference<Long> stalledMeanwhile = new AtomicReference<>();
    catalog.runOnceBeforeUpdatesBehind(() -> {
      try {
        // waited for here: a search that waited for updates behind would never end
        stalledMeanwhile.set(CompletableFuture.supplyAsync(() -> catalog.count(PROJECT, Predicates.stalled()), other)
            .get(10, TimeUnit.SECONDS));
      } catch (Exception e) {
        throw new AssertionError("a tag update left updates behind", e);
      }
    });
    catalog.updateTags(PROJECT, "job", 1, TagUpdate.create(Tag.of("env", "prod")));
    assertEquals(1, stalledMeanwhile.get(), "a tag update keeps the job's progress");
    assertEquals(3, catalog.count(PROJECT, Predicates.tag("env", "prod")));
  }

  @Test
  void theNewestBackupAddedIsFoundByEveryIndexMeanwhile() {
    IndexedCatalog catalog = catalogWithAStalledJob();
    searchesMeanwhileAnswerAsAfter(catalog, () -> catalog.add(tagged("new", 0, "late-new", "server-2").build()));
  }

  @Test
  void aLateBackupAddedIsFoundByEveryIndexMeanwhile() {
    IndexedCatalog catalog = catalogWithAStalledJob();
    searchesMeanwhileAnswerAsAfter(catalog, () -> catalog.add(tagged("late", 50, "late-old", "server-2").build()));
    // and a new one while the late one is in the tail: the tail's row moves, its indexes follow at once
    searchesMeanwhileAnswerAsAfter(catalog, () -> catalog.add(tagged("new", 0, "late-new", "server-1").build()));
  }

  @Test
  void aRemovedBackupLeavesEveryIndexMeanwhile() {
    IndexedCatalog catalog = catalogWithAStalledJob();
    catalog.add(tagged("late", 50, "late-old", "server-2").build());  // in the tail
    catalog.add(tagged("oldest", 60, "late-oldest", "server-2").build());
    searchesMeanwhileAnswerAsAfter(catalog, () -> catalog.remove(PROJECT, "late", 1));  // a tail row
    searchesMeanwhileAnswerAsAfter(catalog, () -> catalog.remove(PROJECT, "a2", 1));  // a sorted row
    searchesMeanwhileAnswerAsAfter(catalog, () -> catalog.remove(PROJECT, "oldest", 1));
  }

  @Test
  void aDeletionCompletedLeavesEveryIndexMeanwhile() {
    IndexedCatalog catalog = catalogWithAStalledJob();
    catalog.add(tagged("gone", 5, "late-gone", "server-2").build());
    Backup deleting = catalog.apply(PROJECT, "gone", 1, Transition.delete()).orElseThrow();
    searchesMeanwhileAnswerAsAfter(catalog, () -> catalog.apply(PROJECT, "gone", deleting.version(), Transition.complete()));
    assertEquals(java.util.Optional.empty(), catalog.find(PROJECT, "gone"));
  }

  @Test
  void aChangeMeanwhileWaitsForTheUpdatesBehind() throws Exception {
    IndexedCatalog catalog = catalogWithAStalledJob();
    AtomicReference<Future<?>> changeMeanwhile = new AtomicReference<>();
    catalog.runOnceBeforeUpdatesBehind(() -> {
      changeMeanwhile.set(other.submit(() -> catalog.remove(PROJECT, "first", 1)));
      sleep(100);  // a change that did not wait would remove the row from indexes that do not hold it yet
    });
    catalog.add(tagged("first", 0, "late-first", "server-2").build());
    changeMeanwhile.get().get(10, TimeUnit.SECONDS);
    for (BackupPredicate search : SEARCHES) {
      assertEquals(countByScan(catalog, search), catalog.count(PROJECT, search), search.toString());
    }
    assertEquals(0, catalog.count(PROJECT, Predicates.tag("app", "db")));
    assertEquals(0, catalog.count(PROJECT, Predicates.nameContains("late-first")));
  }

  /**
   * Runs {@code change}, and in the instant after it lets go of the write lock and before it makes
   * the updates it left behind, every search of {@link #SEARCHES} (a count, and a page) on the other
   * thread; each must answer as it does after the change, as must the tag catalogue.
   */
  private void searchesMeanwhileAnswerAsAfter(IndexedCatalog catalog, Runnable change) {
    List<Future<Long>> counts = new ArrayList<>();
    List<Future<Page>> pages = new ArrayList<>();
    AtomicReference<Future<TagCatalogue>> tagsMeanwhile = new AtomicReference<>();
    catalog.runOnceBeforeUpdatesBehind(() -> {
      for (BackupPredicate search : SEARCHES) {
        counts.add(other.submit(() -> catalog.count(PROJECT, search)));
        pages.add(other.submit(() -> catalog.query(PROJECT, Query.builder().where(search).build())));
      }
      tagsMeanwhile.set(other.submit(() -> catalog.tagCatalogue(PROJECT)));
      sleep(50);  // a search that did not wait would have answered by now, from indexes the change has not updated
    });
    change.run();
    try {
      for (int i = 0; i < SEARCHES.size(); i++) {
        BackupPredicate search = SEARCHES.get(i);
        assertEquals(countByScan(catalog, search), counts.get(i).get(10, TimeUnit.SECONDS), search.toString());
        assertEquals(catalog.query(PROJECT, Query.builder().where(search).build()), pages.get(i).get(10, TimeUnit.SECONDS),
            search.toString());
      }
      assertEquals(catalog.tagCatalogue(PROJECT), tagsMeanwhile.get().get(10, TimeUnit.SECONDS));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** How many of the project's backups {@code search} matches, by testing each (a plain scan). */
  private static long countByScan(IndexedCatalog catalog, BackupPredicate search) {
    Page all = catalog.query(PROJECT, Query.builder().limit(1000).build());
    return all.backups().stream().filter(b -> search.test(b, NOW, StallRule.DEFAULT)).count();
  }

  /** Two available backups and a newer one being created, its progress last changed 40 minutes ago: stalled. */
  private static IndexedCatalog catalogWithAStalledJob() {
    IndexedCatalog catalog = new IndexedCatalog(CLOCK, StallRule.DEFAULT, 8);
    catalog.add(backup("a1", BackupStatus.AVAILABLE, 3).addTags(Tag.of("env", "prod")).build());
    catalog.add(backup("a2", BackupStatus.AVAILABLE, 2).addTags(Tag.of("env", "prod"))
        .trigger(BackupTrigger.AUTOMATIC).policyId("policy-1").build());
    catalog.add(backup("job", BackupStatus.CREATING, 1)
        .progress(Progress.of(40, NOW.minus(Duration.ofMinutes(40)))).build());
    assertEquals(1, catalog.count(PROJECT, Predicates.stalled()));
    return catalog;
  }

  /** An available backup with two tags, a policy, {@code name} and server {@code serverId}. */
  private static Backup.Builder tagged(String id, long hoursAgo, String name, String serverId) {
    return backup(id, BackupStatus.AVAILABLE, hoursAgo, name,
        Server.of(serverId, "ecs-" + serverId.substring("server-".length()), "eu-de-01"))
        .addTags(Tag.of("env", "prod"), Tag.of("app", "db")).trigger(BackupTrigger.AUTOMATIC).policyId("policy-1");
  }

  private static Backup.Builder backup(String id, BackupStatus status, long hoursAgo) {
    return backup(id, status, hoursAgo, "autobk_" + id, Server.of("server-1", "ecs-1", "eu-de-01"));
  }

  private static Backup.Builder backup(String id, BackupStatus status, long hoursAgo, String name, Server server) {
    Instant created = NOW.minus(Duration.ofHours(hoursAgo)).minusSeconds(1);
    return Backup.builder().id(id).name(name).projectId(PROJECT).server(server).status(status).sizeMb(1024)
        .createdAt(created).updatedAt(created);
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
