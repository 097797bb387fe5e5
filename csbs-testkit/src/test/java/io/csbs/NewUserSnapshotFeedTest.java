package io.csbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.Change;
import io.csbs.catalog.ProjectSnapshot;
import io.csbs.catalog.Subscription;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.testing.FakeClock;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaExceededException;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.UsageQuery;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Keeping a second copy of a catalog, as a new user reads the README ("A replica follows another
 * catalog or a database with replay(change), starting from load(ProjectSnapshot)"; "The in-memory
 * catalog delivers each change once, on the writer's thread") and the javadoc of {@code
 * BackupCatalog#subscribe}, {@code #sequence}, {@code #replay}, {@code #load}, {@code
 * ProjectSnapshot}, {@code Change} and {@code Subscription}: on the indexed catalog and on the
 * testkit's {@code ReferenceCatalog} alike, with data of this test's own (odd project and backup
 * ids, unicode names and tags, many projects).
 */
class NewUserSnapshotFeedTest {
  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
  private static final Server WEB = Server.of("srv-wéb", "ECS-Wëb-01", "eu-de-02");
  private static final Server DB = Server.of("srv-数据库", "ecs-db-01", "eu-de-01");
  private static final Server THIRD = Server.of(" srv 3 ", "ecs-straße-İ", "eu-de-03");
  private static final List<Server> SERVERS = List.of(WEB, DB, THIRD);

  /** Project ids a new user might meet: case-distinct, unicode, spaces, the longest allowed, an emoji. */
  private static final List<String> PROJECTS = List.of(
      "p", "P", "项目-ü", " spaced project ", "x".repeat(64), "😀-proj", "p-1", "p-10");

  /** The two catalogs a user may hold: the library's and the testkit's oracle. */
  private static final List<Function<FakeClock, BackupCatalog>> KINDS =
      List.of(Catalogs::indexed, ReferenceCatalog::create);

  private static String kind(BackupCatalog c) {
    return c.getClass().getSimpleName();
  }

  private static Backup backup(String project, String id, Instant createdAt) {
    return backup(project, id, "bk_" + Math.abs(id.hashCode() % 1000), WEB, 1024, createdAt, List.of());
  }

  private static Backup backup(String project, String id, String name, Server server, long sizeMb, Instant createdAt,
      List<Tag> tags) {
    return Backup.builder().id(id).name(name).projectId(project).server(server)
        .status(BackupStatus.AVAILABLE).sizeMb(sizeMb).createdAt(createdAt).addAllTags(tags).build();
  }

  // =============================================================================================
  // Subscription.cancel

  /**
   * Subscription#cancel: "Stops the deliveries to this subscriber". A subscription made twice with
   * one consumer delivers each change twice; cancelling the first subscription twice must leave the
   * second one delivering (a second cancel of a subscription is a no-op in any well-kept library).
   */
  @Test
  void cancellingASubscriptionTwiceLeavesAnotherSubscriptionOfTheSameConsumer() {
    for (Function<FakeClock, BackupCatalog> k : KINDS) {
      BackupCatalog c = k.apply(FakeClock.at(NOW));
      List<Long> seen = new ArrayList<>();
      Consumer<Change> subscriber = change -> seen.add(change.sequence());
      Subscription first = c.subscribe(subscriber);
      c.subscribe(subscriber);
      c.add(backup("p", "a", NOW));
      first.cancel();
      first.cancel();
      c.add(backup("p", "b", NOW));
      assertEquals(List.of(1L, 1L, 2L), seen, kind(c) + ": the second subscription still delivers");
    }
  }

  /**
   * Distinct subscribers: cancel twice is harmless; a subscriber cancelling itself or a later one
   * inside a delivery gets nothing after ("changes being delivered may still arrive" covers the
   * current one only); a subscription made inside a delivery starts delivering.
   */
  @Test
  void cancelInsideADeliveryStopsLaterChangesAndIsIdempotentForDistinctSubscribers() {
    for (Function<FakeClock, BackupCatalog> k : KINDS) {
      BackupCatalog c = k.apply(FakeClock.at(NOW));
      List<String> log = new ArrayList<>();
      Subscription[] later = new Subscription[1];
      Subscription[] self = new Subscription[1];
      self[0] = c.subscribe(change -> {
        log.add("self " + change.sequence());
        if (change.sequence() == 2) {
          self[0].cancel();
          self[0].cancel();
          later[0].cancel();
        }
      });
      later[0] = c.subscribe(change -> log.add("later " + change.sequence()));
      Subscription bystander = c.subscribe(change -> log.add("bystander " + change.sequence()));
      c.add(backup("p", "a", NOW));
      c.add(backup("p", "b", NOW));
      c.add(backup("p", "c", NOW));
      bystander.cancel();
      bystander.cancel();
      c.add(backup("p", "d", NOW));
      List<String> expectedStart = List.of("self 1", "later 1", "bystander 1", "self 2");
      assertEquals(expectedStart, log.subList(0, 4), kind(c) + " " + log);
      List<String> rest = new ArrayList<>(log.subList(4, log.size()));
      rest.remove("later 2");   // "changes being delivered may still arrive"
      assertEquals(List.of("bystander 2", "bystander 3"), rest, kind(c) + " " + log);
    }
  }

  // =============================================================================================
  // Sequences at the top of their range

  /**
   * ProjectSnapshot accepts any sequence of at least 0, Long.MAX_VALUE included; #sequence: every
   * committed change "raises it by exactly one", and a refused change "leaves the catalog exactly as
   * it was". A project at Long.MAX_VALUE cannot number another change: a well-kept catalog refuses
   * either the snapshot or the next change, and then stores nothing of it.
   */
  @Test
  void aProjectLoadedAtTheLargestSequenceRefusesItsNextChangeAndStaysAsItWas() {
    for (Function<FakeClock, BackupCatalog> k : KINDS) {
      for (boolean subscribed : new boolean[] {false, true}) {
        BackupCatalog c = k.apply(FakeClock.at(NOW));
        String what = kind(c) + (subscribed ? " with a subscriber" : "");
        List<Change> seen = new ArrayList<>();
        if (subscribed) {
          c.subscribe(seen::add);
        }
        try {
          c.load(new ProjectSnapshot("p", Long.MAX_VALUE, Quota.NONE, List.of(backup("p", "a", NOW))));
        } catch (IllegalArgumentException | IllegalStateException refusedAtLoad) {
          continue;   // refusing such a snapshot is fine too
        }
        assertThrows(RuntimeException.class, () -> c.add(backup("p", "b", NOW)), what);
        assertEquals(Long.MAX_VALUE, c.sequence("p"), what);
        assertEquals(Optional.empty(), c.find("p", "b"), what + ": nothing of a refused change");
        assertEquals(List.of(), seen, what);
      }
    }
  }

  // =============================================================================================
  // Subscribing inside a delivery

  /**
   * #subscribe: "Delivers every change committed from now on". A subscriber that, inside its
   * delivery of change 1, makes change 2 and then subscribes a second subscriber: change 2 was
   * committed before that subscribe, so the second subscriber's first change is 3.
   */
  @Test
  void aSubscriptionMadeInsideADeliveryGetsOnlyChangesCommittedAfterIt() {
    for (Function<FakeClock, BackupCatalog> k : KINDS) {
      BackupCatalog c = k.apply(FakeClock.at(NOW));
      List<Long> late = subscribeInsideADeliveryAfterAChange(c);
      assertEquals(List.of(3L), late, kind(c));
    }
  }

  private static List<Long> subscribeInsideADeliveryAfterAChange(BackupCatalog c) {
    List<Long> late = new ArrayList<>();
    boolean[] done = {false};
    c.subscribe(change -> {
      if (!done[0]) {
        done[0] = true;
        c.add(backup("p", "second", NOW));     // change 2, committed here
        assertEquals(2, c.sequence("p"));
        c.subscribe(ch -> late.add(ch.sequence()));
      }
    });
    c.add(backup("p", "first", NOW));
    c.add(backup("p", "third", NOW));
    return late;
  }

  /** A subscriber that subscribes inside a delivery with nothing queued gets the next changes only. */
  @Test
  void aSubscriptionMadeInsideADeliveryWithNothingQueuedStartsAtTheNextChange() {
    for (Function<FakeClock, BackupCatalog> k : KINDS) {
      BackupCatalog c = k.apply(FakeClock.at(NOW));
      List<Long> late = new ArrayList<>();
      Subscription[] outer = new Subscription[1];
      outer[0] = c.subscribe(change -> {
        c.subscribe(ch -> late.add(ch.sequence()));
        outer[0].cancel();
      });
      c.add(backup("q", "first", NOW));
      c.add(backup("q", "second", NOW));
      assertEquals(List.of(2L), late, kind(c));
    }
  }

  // =============================================================================================
  // The writer's thread (README) with a slow subscriber

  /** What happens: the second writer returns at once; its change is delivered by the first writer. */
  @Test
  @Timeout(60)
  void actuallyAChangeWaitsForTheRunningDeliveryAndGoesOutOnTheOtherWritersThread() throws Exception {
    Map<String, String> deliveredOn = slowSubscriberAndASecondWriter();
    assertEquals("first-writer", deliveredOn.get("p/a"), deliveredOn.toString());
    assertEquals("first-writer", deliveredOn.get("q/b"), deliveredOn.toString());
    assertEquals("returned before delivery", deliveredOn.get("second returned"), deliveredOn.toString());
  }

  private static Map<String, String> slowSubscriberAndASecondWriter() throws Exception {
    BackupCatalog c = Catalogs.indexed(FakeClock.at(NOW));
    Map<String, String> deliveredOn = Collections.synchronizedMap(new LinkedHashMap<>());
    CountDownLatch inDelivery = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    c.subscribe(change -> {
      deliveredOn.put(change.projectId() + "/" + change.backupId(), Thread.currentThread().getName());
      if (change.backupId().equals("a")) {
        inDelivery.countDown();
        try {
          assertTrue(release.await(30, TimeUnit.SECONDS), "released");
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    });
    ExecutorService first = Executors.newSingleThreadExecutor(r -> new Thread(r, "first-writer"));
    ExecutorService second = Executors.newSingleThreadExecutor(r -> new Thread(r, "second-writer"));
    try {
      Future<?> a = first.submit(() -> c.add(backup("p", "a", NOW)));
      assertTrue(inDelivery.await(30, TimeUnit.SECONDS), "the first delivery began");
      Future<?> b = second.submit(() -> c.add(backup("q", "b", NOW)));
      boolean returned;
      try {
        b.get(20, TimeUnit.SECONDS);
        returned = true;
      } catch (java.util.concurrent.TimeoutException stillWaiting) {
        returned = false;
      }
      if (returned) {
        deliveredOn.put("second returned", deliveredOn.containsKey("q/b") ? "after delivery" : "returned before delivery");
      }
      assertEquals(1, c.sequence("q"), "committed");
      release.countDown();
      a.get(30, TimeUnit.SECONDS);
      b.get(30, TimeUnit.SECONDS);
      return deliveredOn;
    } finally {
      release.countDown();
      first.shutdownNow();
      second.shutdownNow();
    }
  }

  // =============================================================================================
  // Swapping subscribers while a delivery runs

  /**
   * #subscribe: "the changes of one project arrive numbered 1, 2, 3, ... (from where the subscription
   * starts) without gaps". A service swaps its subscriber (cancels the old one, subscribes a new one)
   * while another writer's delivery is slow: p's change 1 is committed while the old subscriber is
   * there, change 2 while no one is, then the new one subscribes and change 3 is committed. Whatever
   * the new subscriber's first change, the ones after it follow without a gap.
   */
  @Test
  @Timeout(60)
  void aSubscriberThatReplacesTheOnlyOneWhileADeliveryRunsGetsNoGap() throws Exception {
    List<Long> got = sequences(swapTheOnlySubscriberWhileADeliveryRuns());
    for (int i = 1; i < got.size(); i++) {
      assertEquals(got.get(i - 1) + 1, got.get(i), "no gap: " + got);
    }
    assertEquals(3L, got.get(got.size() - 1), got.toString());
  }

  private static List<Long> sequences(List<Change> changes) {
    return changes.stream().map(Change::sequence).collect(java.util.stream.Collectors.toList());
  }

  private static List<Change> swapTheOnlySubscriberWhileADeliveryRuns() throws Exception {
    BackupCatalog c = Catalogs.indexed(FakeClock.at(NOW));
    CountDownLatch inDelivery = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Subscription old = c.subscribe(change -> {
      if (change.projectId().equals("q")) {
        inDelivery.countDown();
        try {
          assertTrue(release.await(30, TimeUnit.SECONDS), "released");
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    });
    ExecutorService other = Executors.newSingleThreadExecutor();
    try {
      Future<?> slow = other.submit(() -> c.add(backup("q", "slow", NOW)));
      assertTrue(inDelivery.await(30, TimeUnit.SECONDS), "the slow delivery began");
      c.add(backup("p", "one", NOW));      // p's change 1, while the old subscriber is there
      old.cancel();
      c.add(backup("p", "two", NOW));      // change 2, no subscriber
      List<Change> got = Collections.synchronizedList(new ArrayList<>());
      c.subscribe(change -> {
        if (change.projectId().equals("p")) {
          got.add(change);
        }
      });
      c.add(backup("p", "three", NOW));    // change 3
      assertEquals(3, c.sequence("p"));
      release.countDown();
      slow.get(30, TimeUnit.SECONDS);
      c.add(backup("q", "after", NOW));    // drains anything left, on this thread
      return new ArrayList<>(got);
    } finally {
      release.countDown();
      other.shutdownNow();
    }
  }

  // =============================================================================================
  // Quotas of a replica

  /** What happens: the replica keeps its own quota (none, or the snapshot's), and counts the same use. */
  @Test
  void actuallyAReplicaKeepsTheSnapshotsQuotaAndCountsTheSameUse() {
    for (Function<FakeClock, BackupCatalog> k : KINDS) {
      BackupCatalog primary = k.apply(FakeClock.at(NOW));
      primary.setQuota("p", Quota.of(5, 100));
      primary.add(backup("p", "a", NOW));
      ProjectSnapshot snapshot = snapshotOf(primary, "p");
      assertEquals(Quota.of(5, 100), snapshot.quota());
      BackupCatalog replica = k.apply(FakeClock.at(NOW));
      replica.load(snapshot);
      primary.subscribe(replica::replay);
      primary.setQuota("p", Quota.of(2, 100));
      primary.add(backup("p", "b", NOW));
      assertEquals(Quota.of(2, 100), primary.quotaUsage("p").quota());
      assertEquals(Quota.of(5, 100), replica.quotaUsage("p").quota(), kind(primary));
      assertEquals(primary.quotaUsage("p").backupsUsed(), replica.quotaUsage("p").backupsUsed());
      assertEquals(primary.quotaUsage("p").sizeMbUsed(), replica.quotaUsage("p").sizeMbUsed());
      // the primary refuses a third backup; the replica, with the old quota, would take it
      assertThrows(QuotaExceededException.class, () -> primary.add(backup("p", "c", NOW)));
      assertEquals(2, replica.sequence("p"));
    }
  }

  // =============================================================================================
  // load

  /**
   * #load "its backups as they are (versions kept), its quota, and its change sequence"; replay's
   * "quotas are not checked" says nothing of load: a snapshot beyond its own quota is loaded as it is
   * (the source decided), and the next add is refused by that quota.
   */
  @Test
  void aSnapshotBeyondItsQuotaIsLoadedAsItIsAndTheNextAddIsRefused() {
    for (Function<FakeClock, BackupCatalog> k : KINDS) {
      BackupCatalog c = k.apply(FakeClock.at(NOW));
      List<Change> seen = new ArrayList<>();
      c.subscribe(seen::add);
      c.load(new ProjectSnapshot("项目-ü", 3, Quota.of(1, 1),
          List.of(backup("项目-ü", "ü-1", NOW.minusSeconds(5)), backup("项目-ü", "ü-2", NOW))));
      assertEquals(new QuotaUsage(Quota.of(1, 1), 2, 2048), c.quotaUsage("项目-ü"), kind(c));
      assertThrows(QuotaExceededException.class, () -> c.add(backup("项目-ü", "ü-3", NOW)));
      assertEquals(3, c.sequence("项目-ü"));
      assertEquals(List.of(), seen, kind(c) + ": a load tells no subscriber; a refusal neither");
    }
  }

  /**
   * #load "where the project has no backups and sequence 0": a project that only had a quota set
   * takes the snapshot, whose quota replaces it (Quota.NONE included); a snapshot of no backups at 0
   * leaves the project loadable again; one at a sequence above 0 does not.
   */
  @Test
  void loadReplacesALocalQuotaAndAnEmptySnapshotAtZeroLeavesTheProjectLoadable() {
    for (Function<FakeClock, BackupCatalog> k : KINDS) {
      BackupCatalog c = k.apply(FakeClock.at(NOW));
      c.setQuota("p", Quota.of(1, 1));
      c.load(new ProjectSnapshot("p", 0, Quota.NONE, List.of()));
      assertEquals(new QuotaUsage(Quota.NONE, 0, 0), c.quotaUsage("p"), kind(c));
      assertEquals(0, c.sequence("p"));
      c.load(new ProjectSnapshot("p", 0, Quota.of(7, 70), List.of()));
      assertEquals(Quota.of(7, 70), c.quotaUsage("p").quota(), kind(c));
      c.load(new ProjectSnapshot("p", 5, Quota.of(8, 80), List.of()));
      assertEquals(5, c.sequence("p"));
      IllegalStateException again = assertThrows(IllegalStateException.class,
          () -> c.load(new ProjectSnapshot("p", 5, Quota.NONE, List.of())), kind(c));
      assertTrue(again.getMessage().contains("p") && again.getMessage().contains("5"), again.getMessage());
      assertEquals(Quota.of(8, 80), c.quotaUsage("p").quota(), kind(c) + ": a refused load changes nothing");
      // the next change of the loaded empty project is 6
      List<Change> seen = new ArrayList<>();
      c.subscribe(seen::add);
      c.add(backup("p", "a", NOW));
      assertEquals(1, seen.size());
      assertEquals(6, seen.get(0).sequence(), kind(c));
    }
  }

  /**
   * A refused load ("IllegalStateException if the project already has backups or a sequence above 0
   * here") names the project and leaves it, its quota and every other project as they were.
   */
  @Test
  void aRefusedLoadNamesTheProjectAndLeavesEverythingAsItWas() {
    for (Function<FakeClock, BackupCatalog> k : KINDS) {
      FakeClock clock = FakeClock.at(NOW);
      BackupCatalog c = k.apply(clock);
      String p = " spaced project ";
      c.setQuota(p, Quota.of(10, 10));
      c.add(backup(p, "a", NOW));
      c.add(backup("other", "a", NOW));
      Page before = c.query(p, Query.all());
      List<Change> seen = new ArrayList<>();
      c.subscribe(seen::add);
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> c.load(new ProjectSnapshot(p, 0, Quota.NONE, List.of(backup(p, "b", NOW)))), kind(c));
      assertTrue(e.getMessage().contains(p), e.getMessage());
      assertEquals(before, c.query(p, Query.all()));
      assertEquals(Quota.of(10, 10), c.quotaUsage(p).quota());
      assertEquals(1, c.sequence(p));
      // removed again: no backups, but at change 2
      c.remove(p, "a", 1);
      assertThrows(IllegalStateException.class,
          () -> c.load(new ProjectSnapshot(p, 0, Quota.NONE, List.of(backup(p, "b", NOW)))), kind(c));
      assertEquals(Optional.empty(), c.find(p, "b"));
      assertEquals(2, c.sequence(p));
      assertEquals(1, seen.size(), kind(c) + ": only the removal was delivered");
      // another project of the same catalog loads
      c.load(new ProjectSnapshot(p.strip(), 9, Quota.NONE, List.of(backup(p.strip(), "b", NOW))));
      assertEquals(9, c.sequence(p.strip()));
      assertEquals(2, c.sequence(p));
    }
  }

  /**
   * #load into a project that was only read before (every kind of answer, the sort by name and the
   * stalled search among them): afterwards it answers from the snapshot, as the reference does, and
   * the replayed feed continues on it.
   */
  @Test
  void aProjectReadBeforeItIsLoadedAnswersFromTheSnapshotAfter() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog indexed = Catalogs.indexed(clock);
    BackupCatalog reference = ReferenceCatalog.create(clock);
    String p = "项目-ü";
    for (BackupCatalog c : List.of(indexed, reference)) {
      answers(c, p, true);
      allProjectsAnswers(c);
      c.read(p, view -> view.query(Query.builder().sort(Sort.parse("name:asc")).build()));
    }
    Random r = new Random(11);
    List<Backup> backups = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      Backup b = randomBackup(r, p, i, NOW.minusSeconds(3_700 + r.nextInt(5_000)));
      if (i % 5 == 0) {
        b = io.csbs.lifecycle.Lifecycle.restore(b, NOW.minusSeconds(3_600));   // stalled by now
      }
      backups.add(b);
    }
    ProjectSnapshot snapshot = new ProjectSnapshot(p, 77, Quota.of(400, 400_000), backups);
    indexed.load(snapshot);
    reference.load(snapshot);
    assertEquals(answers(reference, p, true), answers(indexed, p, true));
    assertEquals(60, indexed.count(p, Predicates.stalled()));
    assertEquals(allProjectsAnswers(reference), allProjectsAnswers(indexed));
    Backup first = backups.get(1);
    Change next = new Change(78, p, first.id(), Optional.of(first), Optional.empty(), Optional.empty());
    assertTrue(indexed.replay(next));
    assertTrue(reference.replay(next));
    assertEquals(answers(reference, p, true), answers(indexed, p, true));
  }

  /**
   * #read: "The view does not see changes committed while reads runs. In the in-memory catalog
   * changes to the project wait until reads returns"; README: "writers wait until read returns".
   * A replay and a load of a project being read wait too (a project the catalog has met: one with
   * a backup, one with only a quota), and the view keeps answering the state it began with.
   */
  @Test
  @Timeout(60)
  void aReplayAndALoadWaitForARunningReadOfAProjectTheCatalogHasMet() throws Exception {
    BackupCatalog c = Catalogs.indexed(FakeClock.at(NOW));
    String p = " spaced project ";
    c.add(backup(p, "ü-0", NOW));
    c.setQuota("fresh", Quota.of(9, 9));
    Change second = new Change(2, p, "ü-1", Optional.empty(), Optional.of(backup(p, "ü-1", NOW)), Optional.empty());
    ExecutorService other = Executors.newSingleThreadExecutor();
    try {
      for (boolean load : new boolean[] {true, false}) {
        String project = load ? "fresh" : p;
        List<Object> seenInside = readWhileAnotherThreadChanges(c, project, other, () -> {
          if (load) {
            c.load(new ProjectSnapshot(project, 5, Quota.of(1, 1), List.of(backup(project, "x", NOW))));
          } else {
            c.replay(second);
          }
        });
        long before = load ? 0 : 1;
        Quota quota = load ? Quota.of(9, 9) : Quota.NONE;
        assertEquals(List.of(false, before, before, before, before, quota), seenInside, load ? "load" : "replay");
        assertEquals(load ? 5 : 2, c.sequence(project));
        assertEquals(load ? 1 : 2, c.count(project, Predicates.all()));
      }
    } finally {
      other.shutdownNow();
    }
  }

  /** What happens: the change commits at once; inside the read the catalog shows it, the view does not. */
  @Test
  @Timeout(60)
  void actuallyAChangeToAProjectNotMetYetCommitsDuringItsReadAndTheCatalogShowsItInside() throws Exception {
    for (String kind : List.of("load", "replay", "add")) {
      BackupCatalog c = Catalogs.indexed(FakeClock.at(NOW));
      ExecutorService other = Executors.newSingleThreadExecutor();
      try {
        Runnable change = firstChangeOf(c, kind);
        List<Object> seen = c.read("new", view -> {
          try {
            other.submit(change).get(30, TimeUnit.SECONDS);   // does not wait for the read
          } catch (Exception e) {
            throw new AssertionError(e);
          }
          return List.of(view.sequence(), view.count(Predicates.all()), view.find("x").isPresent(),
              c.sequence("new"), c.count("new", Predicates.all()), c.find("new", "x").isPresent());
        });
        long sequence = kind.equals("load") ? 5 : 1;
        assertEquals(List.of(0L, 0L, false, sequence, 1L, true), seen, kind);
      } finally {
        other.shutdownNow();
      }
    }
  }

  private static Runnable firstChangeOf(BackupCatalog c, String kind) {
    Backup x = backup("new", "x", NOW);
    return switch (kind) {
      case "load" -> () -> c.load(new ProjectSnapshot("new", 5, Quota.NONE, List.of(x)));
      case "replay" -> () -> c.replay(new Change(1, "new", "x", Optional.empty(), Optional.of(x), Optional.empty()));
      default -> () -> c.add(x);
    };
  }

  /**
   * Inside a read of {@code project}: starts {@code change} on {@code other}, waits 150 ms, and
   * returns [the change done?, view's sequence, catalog's sequence, view's count, catalog's count,
   * view's quota]; then waits for the change to end.
   */
  private static List<Object> readWhileAnotherThreadChanges(BackupCatalog c, String project, ExecutorService other,
      Runnable change) throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicReference<Future<?>> future = new java.util.concurrent.atomic.AtomicReference<>();
    List<Object> seen = c.read(project, view -> {
      future.set(other.submit(() -> {
        started.countDown();
        change.run();
      }));
      try {
        assertTrue(started.await(30, TimeUnit.SECONDS));
        Thread.sleep(150);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return List.of(future.get().isDone(), view.sequence(), c.sequence(project), view.count(Predicates.all()),
          c.count(project, Predicates.all()), view.quotaUsage().quota());
    });
    future.get().get(30, TimeUnit.SECONDS);
    return seen;
  }

  /** A load made by a subscriber inside a delivery is allowed ("A subscriber may change the catalog") and delivers nothing. */
  @Test
  void aSubscriberMayLoadAnotherProjectAndNoOneHearsOfIt() {
    for (Function<FakeClock, BackupCatalog> k : KINDS) {
      BackupCatalog c = k.apply(FakeClock.at(NOW));
      List<Change> seen = new ArrayList<>();
      c.subscribe(change -> {
        seen.add(change);
        if (change.projectId().equals("p")) {
          c.load(new ProjectSnapshot("loaded", 40, Quota.NONE, List.of(backup("loaded", "x", NOW))));
        }
      });
      c.add(backup("p", "a", NOW));
      assertEquals(1, seen.size(), kind(c));
      assertEquals(40, c.sequence("loaded"));
      assertTrue(c.find("loaded", "x").isPresent());
    }
  }

  /** Versions, states and times of a snapshot are kept; the replay continues on them. */
  @Test
  void aLoadedBackupKeepsItsVersionAndStateAndTheFeedContinuesOnIt() {
    FakeClock clock = FakeClock.at(NOW);
    for (Function<FakeClock, BackupCatalog> k : KINDS) {
      BackupCatalog primary = k.apply(clock);
      String p = "😀-proj";
      primary.add(backup(p, "😀", "名前_1", DB, 4096, NOW.minusSeconds(90), List.of(Tag.of("ключ", "значение"))));
      primary.apply(p, "😀", 1, Transition.restore());
      primary.apply(p, "😀", 2, Transition.reportProgress(30));
      primary.updateTags(p, "😀", 3, TagUpdate.create(Tag.of("env", "prod")));
      ProjectSnapshot snapshot = snapshotOf(primary, p);
      assertEquals(4, snapshot.sequence());
      BackupCatalog replica = k.apply(FakeClock.at(Instant.EPOCH));
      replica.load(snapshot);
      assertEquals(primary.get(p, "😀"), replica.get(p, "😀"));
      assertEquals(4, replica.get(p, "😀").version());
      List<Change> feed = new ArrayList<>();
      primary.subscribe(feed::add);
      primary.apply(p, "😀", 4, Transition.complete());
      primary.apply(p, "😀", 5, Transition.delete());
      primary.apply(p, "😀", 6, Transition.complete());
      assertEquals(Optional.empty(), primary.find(p, "😀"));
      List<Change> replicaSaw = new ArrayList<>();
      replica.subscribe(replicaSaw::add);
      for (Change change : feed) {
        assertTrue(replica.replay(change), change.toString());
      }
      assertEquals(feed, replicaSaw, kind(primary) + ": delivered as replayed, transition included");
      assertEquals(Optional.of(Transition.complete()), replicaSaw.get(2).transition());
      assertTrue(replicaSaw.get(2).isRemoved());
      assertEquals(Optional.empty(), replica.find(p, "😀"));
      assertEquals(7, replica.sequence(p));
      assertEquals(primary.usage(p, UsageQuery.firstServers(10)), replica.usage(p, UsageQuery.firstServers(10)));
      assertEquals(primary.tagCatalogue(p), replica.tagCatalogue(p));
    }
  }

  // =============================================================================================
  // Batches and refused changes in the feed

  /**
   * #sequence: "each backup of an addAll" raises it by one (the example: addAll(List.of(second,
   * third)) is changes 2 and 3, in the order given); each project numbers its own; a refused batch
   * (a repeat in the second project) delivers nothing and raises no sequence anywhere.
   */
  @Test
  void aBatchOverSeveralProjectsIsNumberedPerProjectInTheOrderGiven() {
    for (Function<FakeClock, BackupCatalog> k : KINDS) {
      BackupCatalog c = k.apply(FakeClock.at(NOW));
      c.add(backup("P", "first", NOW));
      List<Change> seen = new ArrayList<>();
      c.subscribe(seen::add);
      List<Backup> batch = List.of(
          backup("p", "z-newest", NOW), backup("P", "ü", NOW.minusSeconds(9)), backup("p", "a-oldest", NOW.minusSeconds(99)),
          backup("P", "b", NOW.plusSeconds(1)), backup("p", "m", NOW.minusSeconds(5)));
      c.addAll(batch);
      Map<String, List<String>> perProject = new HashMap<>();
      Map<String, List<Long>> sequences = new HashMap<>();
      for (Change change : seen) {
        perProject.computeIfAbsent(change.projectId(), x -> new ArrayList<>()).add(change.backupId());
        sequences.computeIfAbsent(change.projectId(), x -> new ArrayList<>()).add(change.sequence());
        assertTrue(change.isAdded());
        assertEquals(Optional.empty(), change.transition());
      }
      assertEquals(List.of("z-newest", "a-oldest", "m"), perProject.get("p"), kind(c));
      assertEquals(List.of("ü", "b"), perProject.get("P"), kind(c));
      assertEquals(List.of(1L, 2L, 3L), sequences.get("p"));
      assertEquals(List.of(2L, 3L), sequences.get("P"));
      seen.clear();
      assertThrows(io.csbs.catalog.DuplicateBackupException.class, () -> c.addAll(List.of(
          backup("p", "new-1", NOW), backup("q", "q-1", NOW), backup("q", "q-1", NOW.minusSeconds(1)))));
      assertEquals(List.of(), seen, kind(c));
      assertEquals(3, c.sequence("p"));
      assertEquals(0, c.sequence("q"));
      assertEquals(Optional.empty(), c.find("p", "new-1"));
    }
  }

  // =============================================================================================
  // Taking a snapshot

  /**
   * README: "A replica follows another catalog or a database with replay(change), starting from
   * load(ProjectSnapshot)"; BackupCatalog#replay's example follows an in-memory primary. A new user
   * looks for the call that gives a project's snapshot of the primary: neither BackupCatalog nor
   * ProjectView has one, and the docs show a snapshot only "read in one transaction of the database".
   */
  @Test
  void aCatalogGivesTheSnapshotOfAProjectThatAReplicaLoads() {
    for (Function<FakeClock, BackupCatalog> k : KINDS) {
      FakeClock clock = FakeClock.at(NOW);
      BackupCatalog primary = k.apply(clock);
      String p = "P Ω";
      primary.setQuota(p, Quota.of(3_000, 2_000_000));
      Random r = new Random(11);
      List<Backup> many = new ArrayList<>();
      for (int i = 0; i < 2_001; i++) {
        many.add(randomBackup(r, p, i, NOW.minusSeconds(i % 3)));
      }
      primary.addAll(many);
      ProjectSnapshot snapshot = primary.read(p, io.csbs.catalog.ProjectView::snapshot);
      assertEquals(snapshotOf(primary, p), snapshot, kind(primary));
      BackupCatalog replica = k.apply(clock);
      replica.load(snapshot);
      assertEquals(snapshot, replica.read(p, io.csbs.catalog.ProjectView::snapshot), kind(primary));
    }
  }


  /** What a user has to write instead ({@link #snapshotOf}), checked on both catalogs: it loads into an equal replica. */
  @Test
  void actuallyAUserTakesASnapshotInOneReadPagingByMarker() {
    for (Function<FakeClock, BackupCatalog> k : KINDS) {
      FakeClock clock = FakeClock.at(NOW);
      BackupCatalog primary = k.apply(clock);
      String p = "P";
      primary.setQuota(p, Quota.of(3_000, 2_000_000));
      Random r = new Random(7);
      List<Backup> many = new ArrayList<>();
      for (int i = 0; i < 2_001; i++) {   // three pages of at most 1000
        many.add(randomBackup(r, p, i, NOW.minusSeconds(i % 3)));
      }
      primary.addAll(many);
      ProjectSnapshot snapshot = snapshotOf(primary, p);
      assertEquals(2_001, snapshot.backups().size(), kind(primary));
      assertEquals(2_001, snapshot.sequence());
      assertEquals(Quota.of(3_000, 2_000_000), snapshot.quota());
      BackupCatalog replica = k.apply(clock);
      replica.load(snapshot);
      assertEquals(snapshot, snapshotOf(replica, p), kind(primary));
      assertEquals(primary.usage(p, UsageQuery.firstServers(10)), replica.usage(p, UsageQuery.firstServers(10)));
      assertEquals(primary.quotaUsage(p), replica.quotaUsage(p));
    }
  }

  // =============================================================================================
  // Snapshots of several pages taken while a writer changes the project

  /**
   * README: "When several answers must agree, read them from one state"; ProjectView#sequence: "The
   * sequence of the project's last change committed in the state the view reads". A snapshot taken
   * in one read, three pages by marker (1,100 backups created within 40 seconds: pages end inside
   * ties), while another thread changes the project, is the project at
   * its sequence exactly: the feed up to that sequence folds to its backups, and a replica loaded
   * from it that replays the whole feed ends equal to the primary. Both catalogs.
   */
  @Test
  @Timeout(60)
  void snapshotsOfSeveralPagesTakenWhileAWriterRunsAreTheProjectAtTheirSequence() throws Exception {
    long seed = new Random().nextLong();
    for (Function<FakeClock, BackupCatalog> k : KINDS) {
      FakeClock clock = FakeClock.at(NOW);
      BackupCatalog primary = k.apply(clock);
      String p = "项目-ü";
      List<Change> feed = Collections.synchronizedList(new ArrayList<>());
      primary.subscribe(feed::add);
      Random r = new Random(seed);
      List<Backup> first = new ArrayList<>();
      for (int i = 0; i < 1_100; i++) {
        first.add(randomBackup(r, p, i, NOW.minusSeconds(r.nextInt(40))));   // many ties: the marker must break them
      }
      primary.addAll(first);
      java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
      ExecutorService writer = Executors.newSingleThreadExecutor();
      try {
        Future<Integer> changes = writer.submit(() -> {
          Random w = new Random(seed + 1);
          int made = 0;
          int next = 10_000;
          while (!stop.get() && made < 500) {
            String id = first.get(w.nextInt(first.size())).id();
            Optional<Backup> now = primary.find(p, id);
            try {
              if (now.isEmpty()) {
                primary.add(randomBackup(w, p, next++, NOW.minusSeconds(w.nextInt(40))).toBuilder().id(id).build());
              } else if (w.nextInt(3) == 0) {
                primary.remove(p, id, now.get().version());
              } else if (w.nextBoolean()) {
                primary.updateTags(p, id, now.get().version(), TagUpdate.create(Tag.of("env", "w" + w.nextInt(5))));
              } else {
                primary.apply(p, id, now.get().version(), now.get().status() == BackupStatus.AVAILABLE
                    ? Transition.restore() : Transition.complete());
              }
              made++;
            } catch (RuntimeException refused) {
              // a state that refuses the step: try another backup
            }
          }
          return made;
        });
        List<ProjectSnapshot> snapshots = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          // the first as the writer starts, the others once it has changed the project (up to 30 s)
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
          while (i > 0 && primary.sequence(p) < 1_100 + 40L * i && !changes.isDone() && System.nanoTime() < deadline) {
            Thread.sleep(1);
          }
          snapshots.add(snapshotOf(primary, p));
        }
        stop.set(true);
        changes.get(30, TimeUnit.SECONDS);
        List<Change> all = new ArrayList<>(feed);
        assertEquals(primary.sequence(p), all.size(), kind(primary));
        List<Object> expected = List.of(snapshotOf(primary, p), primary.usage(p, UsageQuery.firstServers(50)),
            primary.tagCatalogue(p), primary.count(p, Predicates.tag("env", "w1")));
        for (ProjectSnapshot snapshot : snapshots) {
          String what = kind(primary) + " seed " + seed + " snapshot at " + snapshot.sequence();
          Map<String, Backup> folded = new HashMap<>();
          for (Change c : all.subList(0, (int) snapshot.sequence())) {
            if (c.after().isPresent()) {
              folded.put(c.backupId(), c.after().get());
            } else {
              folded.remove(c.backupId());
            }
          }
          Map<String, Backup> held = new HashMap<>();
          snapshot.backups().forEach(b -> held.put(b.id(), b));
          assertEquals(snapshot.backups().size(), held.size(), what + ": no backup twice across the pages");
          assertTrue(folded.equals(held), what + ": the snapshot is the project at its sequence");
          BackupCatalog replica = k.apply(clock);
          replica.load(snapshot);
          for (Change c : all) {
            assertEquals(c.sequence() > snapshot.sequence(), replica.replay(c), what + " " + c);
          }
          assertEquals(expected, List.of(snapshotOf(replica, p), replica.usage(p, UsageQuery.firstServers(50)),
              replica.tagCatalogue(p), replica.count(p, Predicates.tag("env", "w1"))), what);
        }
      } finally {
        stop.set(true);
        writer.shutdownNow();
      }
    }
  }

  // =============================================================================================
  // A feed from a database: afters that no transition of this catalog would make

  /**
   * #replay: "change.after() becomes the stored backup ... with its version, times and everything;
   * no transition is re-derived". A database's feed may carry any after: a backup re-created at
   * another time (older or newer than every other), renamed, moved to another server, resized,
   * retagged, in another state. An indexed and a reference replica, loaded from one snapshot of
   * 1,200 backups at sequence 500, replay 1,200 such changes (adds out of creation order, removals,
   * replacements) and answer alike at every checkpoint, through the reorganisations the indexed one
   * may run meanwhile.
   */
  @Test
  void replicasReplayingAftersOfAnyContentAnswerAlike() {
    long seed = new Random().nextLong();
    try {
      arbitraryAfters(seed);
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
    }
  }

  private static void arbitraryAfters(long seed) {
    Random r = new Random(seed);
    FakeClock clock = FakeClock.at(NOW);
    String p = "x".repeat(64);
    List<Backup> initial = new ArrayList<>();
    for (int i = 0; i < 1_200; i++) {
      initial.add(randomBackup(r, p, i, NOW.minusSeconds(86_400 + r.nextInt(86_400))).toBuilder().version(1 + r.nextInt(9)).build());
    }
    ProjectSnapshot snapshot = new ProjectSnapshot(p, 500, Quota.of(5_000, 1_000_000), initial);
    BackupCatalog indexed = Catalogs.indexed(clock);
    BackupCatalog reference = ReferenceCatalog.create(clock);
    indexed.load(snapshot);
    reference.load(snapshot);
    List<Change> heardI = new ArrayList<>();
    List<Change> heardR = new ArrayList<>();
    indexed.subscribe(heardI::add);
    reference.subscribe(heardR::add);
    Map<String, Backup> live = new LinkedHashMap<>();
    initial.forEach(b -> live.put(b.id(), b));
    List<String> ids = new ArrayList<>(live.keySet());
    long sequence = 500;
    int n = 10_000;
    for (int step = 1; step <= 1_200; step++) {
      int op = r.nextInt(10);
      Change change;
      if (op < 4 || ids.isEmpty()) {
        Instant at = r.nextInt(8) == 0 ? NOW.plusSeconds(r.nextInt(600)) : NOW.minusSeconds(86_400 + r.nextInt(86_400));
        Backup added = randomBackup(r, p, n++, at);
        change = new Change(++sequence, p, added.id(), Optional.empty(), Optional.of(added), Optional.empty());
        ids.add(added.id());
        live.put(added.id(), added);
      } else {
        int at = r.nextInt(ids.size());
        String id = ids.get(at);
        Backup before = live.get(id);
        if (op < 7) {
          ids.set(at, ids.get(ids.size() - 1));
          ids.remove(ids.size() - 1);
          live.remove(id);
          change = new Change(++sequence, p, id, Optional.of(before), Optional.empty(),
              r.nextBoolean() ? Optional.of(Transition.complete()) : Optional.empty());
        } else {
          Instant created = NOW.minusSeconds(r.nextInt(300_000));
          Backup after = randomBackup(r, p, n++, created).toBuilder().id(id).build();
          if (r.nextInt(3) == 0) {
            after = io.csbs.lifecycle.Lifecycle.restore(after, created.plusSeconds(60));
            if (r.nextBoolean()) {
              after = io.csbs.lifecycle.Lifecycle.reportProgress(after, 1 + r.nextInt(99), created.plusSeconds(120));
            }
          }
          after = after.toBuilder().version(before.version() + 1 + r.nextInt(3)).build();
          live.put(id, after);
          change = new Change(++sequence, p, id, Optional.of(before), Optional.of(after), Optional.empty());
        }
      }
      assertTrue(indexed.replay(change), "indexed " + change);
      assertTrue(reference.replay(change), "reference " + change);
      if (step % 600 == 0) {
        assertEquals(answers(reference, p, true), answers(indexed, p, true), "after change " + sequence);
        for (String id : List.of(ids.get(0), ids.get(ids.size() - 1))) {
          assertEquals(Optional.of(live.get(id)), indexed.find(p, id), id);
        }
      }
    }
    assertEquals(heardR, heardI, "both deliver each replayed change as it is");
    assertEquals(1_200, heardI.size());
    assertEquals(answers(reference, p, true), answers(indexed, p, true), "at the end");
    assertEquals(allProjectsAnswers(reference), allProjectsAnswers(indexed));
    assertEquals(live.size(), indexed.count(p, Predicates.all()));
    // the indexed replica reorganises the project on its own thread: once it has, it answers alike too
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
    while (indexed.stats(p).reorganisations() == 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    assertEquals(answers(reference, p, true), answers(indexed, p, true), "after "
        + indexed.stats(p).reorganisations() + " reorganisations");
  }

  // =============================================================================================
  // Random workloads: replicas from the start, chained, and from a snapshot taken midway

  /** A snapshot of one project as a user takes it from an in-memory catalog: in one read, paging by marker. */
  static ProjectSnapshot snapshotOf(BackupCatalog catalog, String project) {
    return catalog.read(project, view -> {
      List<Backup> backups = new ArrayList<>();
      Query query = Query.builder().limit(Query.MAX_LIMIT).build();
      while (true) {
        Page page = view.query(query);
        backups.addAll(page.backups());
        if (!page.hasMore()) {
          break;
        }
        query = query.after(page.nextMarker().orElseThrow());
      }
      return new ProjectSnapshot(project, view.sequence(), view.quotaUsage().quota(), backups);
    });
  }

  private static final List<BackupPredicate> PREDICATES = List.of(
      Predicates.all(),
      Predicates.status(BackupStatus.AVAILABLE),
      Predicates.status(BackupStatus.RESTORING, BackupStatus.DELETING),
      Predicates.status(BackupStatus.ERROR),
      Predicates.tag("env", "prod"),
      Predicates.tagKey("ключ"),
      Predicates.nameContains("ü"),
      Predicates.nameContains("BK"),
      Predicates.serverId(DB.id()),
      Predicates.stalled(),
      Predicates.createdWithinLast(Duration.ofMinutes(30)),
      Predicates.not(Predicates.status(BackupStatus.AVAILABLE)));

  private static final List<Sort> SORTS = List.of(Sort.parse("name:asc"), Sort.parse("created_at:asc,name:desc"));

  /** Every answer a user reads of a project: pages, counts, tags, usage, quota use, sequence. */
  private static List<Object> answers(BackupCatalog c, String project, boolean withQuota) {
    List<Object> out = new ArrayList<>();
    out.add(c.sequence(project));
    for (BackupPredicate predicate : PREDICATES) {
      out.add(c.count(project, predicate));
      for (Sort sort : SORTS) {
        out.add(c.query(project, Query.builder().where(predicate).sort(sort).limit(Query.MAX_LIMIT).build()));
      }
      out.add(c.query(project, Query.builder().where(predicate).limit(3).offset(2).build()));   // newest first
    }
    out.add(c.tagCatalogue(project));
    out.add(c.usage(project, UsageQuery.firstServers(50)));
    out.add(c.usage(project, UsageQuery.of(Predicates.status(BackupStatus.AVAILABLE), 1, 1)));
    QuotaUsage quota = c.quotaUsage(project);
    out.add(withQuota ? quota : List.of(quota.backupsUsed(), quota.sizeMbUsed()));
    return out;
  }

  private static List<Object> allProjectsAnswers(BackupCatalog c) {
    return List.of(c.queryAllProjects(Query.builder().limit(Query.MAX_LIMIT).build()),
        c.queryAllProjects(Query.builder().sort(Sort.parse("name:asc")).limit(Query.MAX_LIMIT).build()),
        c.countAllProjects(Predicates.status(BackupStatus.AVAILABLE)),
        c.countAllProjects(Predicates.all()));
  }

  /** One of the test's backups: odd ids and names, unicode tags, three servers, sizes 0 to 1 TB. */
  private static Backup randomBackup(Random r, String project, int n, Instant createdAt) {
    String id = switch (r.nextInt(5)) {
      case 0 -> "ü-" + n;
      case 1 -> " " + n + " ";
      case 2 -> String.format("%064d", n);
      case 3 -> "😀" + n;
      default -> "id-" + n;
    };
    String name = switch (r.nextInt(4)) {
      case 0 -> "Ünïcødé_" + n;
      case 1 -> "名前_" + (n % 7);
      case 2 -> "bk_" + (n % 3);
      default -> "autobk-" + n;
    };
    List<Tag> tags = new ArrayList<>();
    if (r.nextBoolean()) {
      tags.add(Tag.of("env", r.nextBoolean() ? "prod" : "test"));
    }
    if (r.nextInt(3) == 0) {
      tags.add(Tag.of("ключ", r.nextBoolean() ? "значение" : ""));
    }
    long size = r.nextInt(10) == 0 ? 0 : r.nextInt(1 << 20);
    return backup(project, id, name, SERVERS.get(r.nextInt(SERVERS.size())), size, createdAt, tags);
  }

  /** What one call did: its result, or the class of its refusal. */
  private static Object outcome(Runnable call) {
    try {
      call.run();
      return "ok";
    } catch (RuntimeException e) {
      return e.getClass().getSimpleName();
    }
  }

  /**
   * Twice 180 random changes over eight projects of odd ids, made in lockstep on an indexed and
   * a reference primary: the two agree on every outcome and answer; an indexed replica follows the
   * indexed primary by subscription, a reference replica follows that replica (a replayed change is
   * "delivered to this catalog's subscribers with its own sequence"), and two replicas loaded from
   * snapshots taken midway (in one read, by marker) replay the whole feed, ignoring what they hold.
   * Every replica answers every query, count, tag catalogue, usage and quota use as the primaries;
   * each project's deliveries are 1, 2, 3, ... in order, their befores chain, and a refused change
   * delivers nothing.
   */
  @Test
  void randomWorkloadsReplicasAnswerAsThePrimaries() {
    long seed = new Random().nextLong();
    for (int run = 0; run < 2; run++) {
      long runSeed = seed + run;
      try {
        randomWorkload(runSeed, 180);
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError("seed " + runSeed + ": " + e.getMessage(), e);
      }
    }
  }

  private static List<Change> byProject(List<Change> feed, String project) {
    return feed.stream().filter(c -> c.projectId().equals(project)).collect(java.util.stream.Collectors.toList());
  }

  private static void randomWorkload(long seed, int steps) {
    Random r = new Random(seed);
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog indexed = Catalogs.indexed(clock);
    BackupCatalog reference = ReferenceCatalog.create(clock);
    BackupCatalog followerI = Catalogs.indexed(clock);
    BackupCatalog chainedR = ReferenceCatalog.create(clock);
    List<Change> feed = new ArrayList<>();
    List<Change> referenceFeed = new ArrayList<>();
    indexed.subscribe(feed::add);
    reference.subscribe(referenceFeed::add);
    indexed.subscribe(change -> assertTrue(followerI.replay(change), change.toString()));
    List<Change> followerFeed = new ArrayList<>();
    followerI.subscribe(followerFeed::add);
    followerI.subscribe(change -> assertTrue(chainedR.replay(change), change.toString()));
    for (int i = 0; i < 3; i++) {
      String p = PROJECTS.get(r.nextInt(PROJECTS.size()));
      Quota q = Quota.of(40 + r.nextInt(40), 30_000);
      indexed.setQuota(p, q);
      reference.setQuota(p, q);
    }
    Map<String, Map<String, Backup>> model = new HashMap<>();
    Map<String, List<String>> gone = new HashMap<>();
    PROJECTS.forEach(p -> model.put(p, new LinkedHashMap<>()));
    PROJECTS.forEach(p -> gone.put(p, new ArrayList<>()));
    int n = 0;
    Map<String, ProjectSnapshot> snapshots = new HashMap<>();
    int snapshotAt = steps / 3 + r.nextInt(steps / 3);
    for (int step = 0; step < steps; step++) {
      if (step == snapshotAt) {
        for (String p : PROJECTS) {
          ProjectSnapshot s = snapshotOf(indexed, p);
          assertEquals(s, snapshotOf(reference, p), "snapshots of " + p);
          snapshots.put(p, s);
        }
      }
      clock.advance(Duration.ofSeconds(r.nextInt(120)));
      String p = PROJECTS.get(r.nextInt(PROJECTS.size()));
      Map<String, Backup> live = model.get(p);
      List<String> ids = new ArrayList<>(live.keySet());
      int feedBefore = feed.size();
      long seqBefore = indexed.sequence(p);
      Object oi;
      Object or;
      int op = r.nextInt(10);
      if (op <= 1 || ids.isEmpty()) {
        Backup b = randomBackup(r, p, n++, clock.instant().minusSeconds(r.nextInt(7200)));
        if (r.nextInt(8) == 0 && !ids.isEmpty()) {   // a duplicate id
          b = randomBackup(r, p, n++, clock.instant()).toBuilder().id(ids.get(r.nextInt(ids.size()))).build();
        } else if (r.nextInt(4) == 0 && !gone.get(p).isEmpty()) {   // the id of a removed backup, again
          String again = gone.get(p).get(r.nextInt(gone.get(p).size()));
          b = b.toBuilder().id(again).build();
          gone.get(p).remove(again);
        }
        Backup added = b;
        oi = outcome(() -> indexed.add(added));
        or = outcome(() -> reference.add(added));
      } else if (op == 2) {
        List<Backup> batch = new ArrayList<>();
        int size = 1 + r.nextInt(6);
        for (int i = 0; i < size; i++) {
          String bp = PROJECTS.get(r.nextInt(PROJECTS.size()));
          batch.add(randomBackup(r, bp, n++, clock.instant().minusSeconds(r.nextInt(100_000))));
        }
        if (r.nextInt(6) == 0) {
          batch.add(batch.get(0));   // a repeat: refused, all or none
        }
        oi = outcome(() -> indexed.addAll(batch));
        or = outcome(() -> reference.addAll(batch));
      } else {
        String id = ids.get(r.nextInt(ids.size()));
        long version = indexed.find(p, id).map(Backup::version).orElse(1L);
        if (r.nextInt(10) == 0) {
          version += r.nextBoolean() ? 1 : -1;   // stale or future: a conflict
        }
        long v = version;
        if (op <= 6) {
          Transition t = switch (r.nextInt(6)) {
            case 0 -> Transition.restore();
            case 1 -> Transition.delete();
            case 2 -> Transition.reportProgress(r.nextInt(101));
            case 3, 4 -> Transition.complete();
            default -> Transition.fail("boom ü");
          };
          oi = outcome(() -> indexed.apply(p, id, v, t));
          or = outcome(() -> reference.apply(p, id, v, t));
        } else if (op <= 8) {
          TagUpdate u = r.nextBoolean()
              ? TagUpdate.create(Tag.of("env", r.nextBoolean() ? "prod" : "test"))
              : TagUpdate.delete(TagUpdate.Match.key(r.nextBoolean() ? "env" : "ключ"));
          oi = outcome(() -> indexed.updateTags(p, id, v, u));
          or = outcome(() -> reference.updateTags(p, id, v, u));
        } else {
          oi = outcome(() -> indexed.remove(p, id, v));
          or = outcome(() -> reference.remove(p, id, v));
        }
      }
      assertEquals(oi, or, "step " + step + " outcome on both catalogs");
      if (!"ok".equals(oi)) {
        assertEquals(feedBefore, feed.size(), "step " + step + ": a refused change (" + oi + ") delivers nothing");
        assertEquals(seqBefore, indexed.sequence(p), "step " + step + ": nor raises the sequence");
      }
      for (int i = feedBefore; i < feed.size(); i++) {   // keep the model from the feed
        Change c = feed.get(i);
        Map<String, Backup> m = model.get(c.projectId());
        assertEquals(Optional.ofNullable(m.get(c.backupId())), c.before(), "before chains: " + c);
        if (c.after().isPresent()) {
          m.put(c.backupId(), c.after().get());
        } else {
          m.remove(c.backupId());
          gone.get(c.projectId()).add(c.backupId());
        }
      }
    }
    // "changes of different projects may interleave in any way": compared project by project
    // (a batch over several projects comes out in the order given on the reference catalog and
    // project by project on the indexed one)
    for (String p : PROJECTS) {
      assertTrue(byProject(feed, p).equals(byProject(referenceFeed, p)), "the same feed of " + p + " from both primaries");
    }
    assertTrue(feed.equals(followerFeed), "the follower delivers each change as replayed, in the same order");
    // per project: 1, 2, 3, ... in delivery order
    Map<String, Long> last = new HashMap<>();
    for (Change c : feed) {
      long expected = last.getOrDefault(c.projectId(), 0L) + 1;
      assertEquals(expected, c.sequence(), "gap-free per project: " + c);
      last.put(c.projectId(), c.sequence());
    }
    // replicas from the snapshots: replay everything, the held part returns false
    BackupCatalog loadedI = Catalogs.indexed(clock);
    BackupCatalog loadedR = ReferenceCatalog.create(clock);
    for (String p : PROJECTS) {
      loadedI.load(snapshots.get(p));
      loadedR.load(snapshots.get(p));
    }
    for (Change c : feed) {
      boolean expected = c.sequence() > snapshots.get(c.projectId()).sequence();
      assertEquals(expected, loadedI.replay(c), "loaded indexed replays " + c);
      assertEquals(expected, loadedR.replay(c), "loaded reference replays " + c);
    }
    for (Change c : feed) {
      assertFalse(loadedI.replay(c), "again " + c);
      assertFalse(chainedR.replay(c), "again " + c);
    }
    for (int round = 0; round < 2; round++) {
      for (String p : PROJECTS) {
        List<Object> expected = answers(indexed, p, true);
        assertEquals(new ArrayList<>(model.get(p).keySet()).size(), indexed.count(p, Predicates.all()), p);
        assertEquals(expected, answers(reference, p, true), "reference primary, project " + p);
        assertEquals(expected, answers(loadedI, p, true), "indexed replica from a snapshot, project " + p);
        assertEquals(expected, answers(loadedR, p, true), "reference replica from a snapshot, project " + p);
        List<Object> withoutQuota = answers(indexed, p, false);
        assertEquals(withoutQuota, answers(followerI, p, false), "indexed follower, project " + p);
        assertEquals(withoutQuota, answers(chainedR, p, false), "chained reference follower, project " + p);
      }
      List<Object> all = allProjectsAnswers(indexed);
      for (BackupCatalog c : List.of(reference, followerI, chainedR, loadedI, loadedR)) {
        assertEquals(all, allProjectsAnswers(c), "all projects on " + kind(c));
      }
      clock.advance(Duration.ofMinutes(31));   // relative windows and stalls move for all alike
    }
  }
}
