package io.csbs.postgres;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Server;
import io.csbs.catalog.Change;
import io.csbs.catalog.Subscription;
import io.csbs.lifecycle.StallRule;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A new user's look at PostgresCatalog / PostgresReplica construction and at the change feed as a
 * consumer uses it (subscribe, subscribe(positions), changes, close), written from the README and
 * the javadoc, on data of its own (unicode project ids, odd names).
 */
class NewUserFeedConsumerTest {
  private static final Instant NOW = Instant.parse("2026-03-01T10:00:00.123456Z");
  private static final String P1 = "projekt-ä";
  private static final String P2 = "项目-2";
  private static final String P3 = "p\u00e9-\ud83d\ude00";  // an emoji (above U+FFFF) in the project id

  private DataSource store;
  private PostgresCatalog catalog;
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private int counter;

  @BeforeEach
  void freshStore() {
    store = TestDatabase.dataSource(0);
    TestDatabase.truncate(store);
    catalog = open(Clock.fixed(NOW, ZoneOffset.UTC));
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    catalog.close();
  }

  private PostgresCatalog open(Clock clock) {
    PostgresCatalog c = PostgresCatalog.builder(store).clock(clock).pollInterval(Duration.ofMillis(20)).build();
    toClose.add(c);
    return c;
  }

  private Backup backup(String project) {
    counter++;
    return Backup.builder()
        .id(String.format("00000000-0000-4000-8000-%012d", counter))
        .name("naïve_名前-" + counter)
        .projectId(project)
        .server(Server.of("s-" + (counter % 3), "serveur-é", "eu-de-02"))
        .status(BackupStatus.AVAILABLE)
        .sizeMb(counter)
        .createdAt(NOW.minus(Duration.ofHours(counter)))
        .build();
  }

  private void write(String project, int n) {
    for (int i = 0; i < n; i++) {
      catalog.add(backup(project));
    }
  }

  private static void await(String what, BooleanSupplier condition) {
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        fail("waited 30 s for " + what);
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }

  private static List<Long> seqs(List<Change> changes, String project) {
    List<Long> out = new ArrayList<>();
    for (Change c : changes) {
      if (c.projectId().equals(project)) {
        out.add(c.sequence());
      }
    }
    return out;
  }

  private static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(i);
    }
    return out;
  }

  private static void assertNames(Throwable e, String name) {
    assertTrue(e.getMessage() != null && e.getMessage().contains(name),
        "message should name '" + name + "': " + e.getMessage());
  }

  // ------------------------------------------------------------------ the builder

  @Test
  void pollIntervalOutsideOneMillisecondToOneHourIsRefusedNamingIt() {
    for (Duration bad : List.of(Duration.ZERO, Duration.ofMillis(-1), Duration.ofNanos(999_999),
        Duration.ofHours(1).plusNanos(1), Duration.ofDays(100_000), Duration.ofSeconds(Long.MIN_VALUE))) {
      InvalidValueException e = assertThrows(InvalidValueException.class,
          () -> PostgresCatalog.builder(store).pollInterval(bad), bad.toString());
      assertNames(e, "poll interval");
    }
    for (Duration good : List.of(Duration.ofMillis(1), Duration.ofHours(1), Duration.ofSeconds(59, 999_999_999))) {
      assertDoesNotThrow(() -> PostgresCatalog.builder(store).pollInterval(good).build().close(), good.toString());
    }
  }

  @Test
  void aRefusedPollIntervalLeavesTheBuilderUsable() {
    PostgresCatalog.Builder b = PostgresCatalog.builder(store).pollInterval(Duration.ofMillis(20));
    assertThrows(InvalidValueException.class, () -> b.pollInterval(Duration.ZERO));
    PostgresCatalog c = b.clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();
    toClose.add(c);
    List<Change> got = new CopyOnWriteArrayList<>();
    c.subscribe(got::add);
    write(P1, 1);
    await("the change", () -> got.size() == 1);
  }

  @Test
  void nullArgumentsOfTheFactoriesAndTheBuilderAreRefusedNamingThem() {
    assertNames(assertThrows(NullPointerException.class, () -> PostgresCatalog.builder(null)), "dataSource");
    assertNames(assertThrows(NullPointerException.class, () -> PostgresCatalog.create(null, Clock.systemUTC())),
        "dataSource");
    assertNames(assertThrows(NullPointerException.class, () -> PostgresCatalog.create(store, null)), "clock");
    PostgresCatalog.Builder b = PostgresCatalog.builder(store);
    assertNames(assertThrows(NullPointerException.class, () -> b.clock(null)), "clock");
    assertNames(assertThrows(NullPointerException.class, () -> b.stallRule(null)), "stallRule");
    assertNames(assertThrows(NullPointerException.class, () -> b.pollInterval(null)), "pollInterval");
    assertNames(assertThrows(NullPointerException.class, () -> PostgresReplica.start(null)), "database");
  }

  @Test
  void aClockSetTwiceIsTheLastOneAndOneBuilderBuildsIndependentCatalogs() {
    Instant later = NOW.plus(Duration.ofDays(3));
    PostgresCatalog.Builder b = PostgresCatalog.builder(store)
        .clock(Clock.fixed(NOW, ZoneOffset.UTC))
        .stallRule(StallRule.DEFAULT)
        .clock(Clock.fixed(later, ZoneOffset.UTC));
    PostgresCatalog first = b.build();
    PostgresCatalog second = b.build();
    toClose.add(second);
    Backup one = backup(P1);
    first.add(one);
    first.apply(P1, one.id(), one.version(), io.csbs.lifecycle.Transition.restore());
    Backup after = second.find(P1, one.id()).orElseThrow();
    assertEquals(later, after.updatedAt(), "the last clock set dates the change");
    first.close();
    // closing one built catalog leaves the other working, subscriptions included
    List<Change> got = new CopyOnWriteArrayList<>();
    second.subscribe(got::add);
    second.add(backup(P1));
    await("the change through the second catalog", () -> got.size() == 1);
  }

  // ------------------------------------------------------------------ subscribe(positions, ...)

  @Test
  void positionsOfSeveralProjectsResumeAfterThemAndAnAbsentProjectFromItsFirstChange() {
    write(P1, 4);
    write(P2, 3);
    write(P3, 2);
    Map<String, Long> positions = new HashMap<>();
    positions.put(P1, 2L);
    positions.put(P2, 0L);
    List<Change> got = new CopyOnWriteArrayList<>();
    Subscription s = catalog.subscribe(positions, got::add);
    toClose.add(s::cancel);
    await("3 projects delivered", () -> got.size() >= 2 + 3 + 2);
    assertEquals(List.of(3L, 4L), seqs(got, P1));
    assertEquals(List.of(1L, 2L, 3L), seqs(got, P2));
    assertEquals(List.of(1L, 2L), seqs(got, P3));
    // and later changes follow, also of a brand-new project
    write(P3, 1);
    write("new-项目", 2);
    await("later changes", () -> seqs(got, P3).size() == 3 && seqs(got, "new-项目").size() == 2);
    assertEquals(List.of(1L, 2L, 3L), seqs(got, P3));
    assertEquals(List.of(1L, 2L), seqs(got, "new-项目"));
  }

  @Test
  void positionsChangedByTheCallerAfterSubscribingChangeNothing() throws Exception {
    write(P1, 3);
    Map<String, Long> positions = new HashMap<>(Map.of(P1, 3L));
    List<Change> got = new CopyOnWriteArrayList<>();
    Subscription s = catalog.subscribe(positions, got::add);
    toClose.add(s::cancel);
    positions.put(P1, 0L);
    positions.put(P2, 99L);
    write(P2, 1);
    write(P1, 1);
    await("P1's 4th and P2's 1st", () -> seqs(got, P1).contains(4L) && seqs(got, P2).contains(1L));
    assertEquals(List.of(4L), seqs(got, P1));
    assertEquals(List.of(1L), seqs(got, P2));
  }

  @Test
  void badPositionsAreRefusedNamingTheParameter() {
    Map<String, Long> nullValue = new HashMap<>();
    nullValue.put(P1, null);
    assertNames(assertThrows(InvalidValueException.class, () -> catalog.subscribe(nullValue, c -> { })), "after");
    InvalidValueException negative = assertThrows(InvalidValueException.class,
        () -> catalog.subscribe(Map.of(P1, 0L, P2, Long.MIN_VALUE), c -> { }));
    assertEquals("after[" + P2 + "]", negative.field());   // the bad entry, not the whole map
    assertNames(negative, String.valueOf(Long.MIN_VALUE));
    assertNames(assertThrows(InvalidValueException.class, () -> catalog.subscribe(Map.of(" ", 0L), c -> { })),
        "project id");
    assertNames(assertThrows(NullPointerException.class, () -> catalog.subscribe((Map<String, Long>) null, c -> { })),
        "after");
    assertNames(assertThrows(NullPointerException.class, () -> catalog.subscribe(Map.of(), null)), "subscriber");
    assertNames(assertThrows(NullPointerException.class, () -> catalog.subscribe((java.util.function.Consumer<Change>) null)),
        "subscriber");
  }

  @Test
  void anEmptyPositionsMapDeliversEveryProjectFromItsFirstChange() {
    write(P1, 2);
    write(P2, 2);
    List<Change> got = new CopyOnWriteArrayList<>();
    Subscription s = catalog.subscribe(Collections.emptyMap(), got::add);
    toClose.add(s::cancel);
    await("4 changes", () -> got.size() >= 4);
    assertEquals(List.of(1L, 2L), seqs(got, P1));
    assertEquals(List.of(1L, 2L), seqs(got, P2));
  }

  /** The docs are silent on a position past the project's head; what happens: accepted, and the changes up to it are never delivered. */
  @Test
  void aPositionBeyondTheProjectsLastSequenceIsAcceptedAndSkipsTheChangesUpToIt() throws Exception {
    write(P1, 3);
    List<Change> got = new CopyOnWriteArrayList<>();
    Subscription s = catalog.subscribe(Map.of(P1, 5L), got::add);
    toClose.add(s::cancel);
    write(P1, 2);   // 4, 5
    write(P2, 1);
    await("P2's change", () -> seqs(got, P2).size() == 1);
    Thread.sleep(150);
    assertEquals(List.of(), seqs(got, P1), "changes 4 and 5 are at or before the position");
    write(P1, 1);   // 6
    await("P1's 6th", () -> seqs(got, P1).size() == 1);
    assertEquals(List.of(6L), seqs(got, P1));
  }

  @Test
  void aConsumerThatThrowsOnOneChangeGetsTheSameChangeAgainThenTheRestInOrder() {
    write(P3, 4);
    List<Long> got = new CopyOnWriteArrayList<>();
    AtomicBoolean thrown = new AtomicBoolean();
    Subscription s = catalog.subscribe(Map.of(P3, 1L), c -> {
      got.add(c.sequence());
      if (c.sequence() == 3 && thrown.compareAndSet(false, true)) {
        throw new IllegalStateException("consumer down once");
      }
    });
    toClose.add(s::cancel);
    await("changes 2 to 4", () -> got.contains(4L));
    assertEquals(List.of(2L, 3L, 3L, 4L), got);
  }

  @Test
  void aCancelledSubscriptionReceivesNothingMoreAndCancellingAgainIsHarmless() throws Exception {
    List<Change> cancelled = new CopyOnWriteArrayList<>();
    List<Change> live = new CopyOnWriteArrayList<>();
    Subscription s = catalog.subscribe(cancelled::add);
    Subscription other = catalog.subscribe(Map.of(), live::add);
    toClose.add(other::cancel);
    write(P1, 1);
    await("both got the first change", () -> cancelled.size() == 1 && live.size() == 1);
    s.cancel();
    s.cancel();
    write(P1, 2);
    write(P2, 1);
    await("the live one got every change", () -> live.size() == 4);
    Thread.sleep(100);
    assertEquals(1, cancelled.size(), "the cancelled subscription got " + cancelled);
  }

  @Test
  void twoSubscriptionsAtOnceEachGetEveryChangeInOrderWithinEachProject() {
    List<Change> a = new CopyOnWriteArrayList<>();
    List<Change> b = new CopyOnWriteArrayList<>();
    write(P1, 2);
    Subscription sa = catalog.subscribe(a::add);                 // from now on
    Subscription sb = catalog.subscribe(Map.of(P1, 0L), b::add); // from the start
    toClose.add(sa::cancel);
    toClose.add(sb::cancel);
    java.util.Random random = new java.util.Random(32);
    List<String> projects = List.of(P1, P2, P3);
    Map<String, Integer> written = new LinkedHashMap<>(Map.of(P1, 2, P2, 0, P3, 0));
    for (int i = 0; i < 30; i++) {
      String p = projects.get(random.nextInt(3));
      write(p, 1);
      written.merge(p, 1, Integer::sum);
    }
    await("a has every new change", () -> a.size() == 30);
    await("b has every change", () -> b.size() == 32);
    assertEquals(range(3, written.get(P1)), seqs(a, P1), "seed 32");
    assertEquals(range(1, written.get(P2)), seqs(a, P2), "seed 32");
    assertEquals(range(1, written.get(P3)), seqs(a, P3), "seed 32");
    for (String p : projects) {
      assertEquals(range(1, written.get(p)), seqs(b, p), "seed 32, " + p);
    }
  }

  // ------------------------------------------------------------------ close

  @Test
  void closeIsIdempotentAndAClosedCatalogStillPullsTheFeed() {
    write(P1, 2);
    catalog.close();
    catalog.close();
    assertEquals(2, catalog.changes(P1, 0, 10).size());
  }

  /** What happens: subscribing to a closed catalog throws IllegalStateException("the catalog is closed"). */
  @Test
  void subscribingToAClosedCatalogThrowsIllegalStateException() {
    catalog.close();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> catalog.subscribe(c -> { }));
    assertNames(e, "closed");
    assertThrows(IllegalStateException.class, () -> catalog.subscribe(Map.of(), c -> { }));
  }

  @Test
  void theJavadocOfSubscribeDocumentsTheRefusalAfterClose() throws Exception {
    // the doc's promise would be a @throws IllegalStateException on subscribe; read it from the source jar's javadoc
    String source = new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of(
        "src/main/java/io/csbs/postgres/PostgresCatalog.java")), java.nio.charset.StandardCharsets.UTF_8);
    int at = source.indexOf("public Subscription subscribe(Map<String, Long> after");
    String javadoc = source.substring(source.lastIndexOf("/**", at), at);
    assertTrue(javadoc.contains("IllegalStateException"), javadoc);
  }

  @Test
  void aSubscriptionOpenAtCloseGetsNothingMoreAndItsCancelIsHarmless() throws Exception {
    List<Change> got = new CopyOnWriteArrayList<>();
    Subscription s = catalog.subscribe(got::add);
    write(P1, 1);
    await("the first change", () -> got.size() == 1);
    catalog.close();
    PostgresCatalog other = open(Clock.fixed(NOW, ZoneOffset.UTC));
    other.add(backup(P1));
    List<Change> witness = new CopyOnWriteArrayList<>();
    other.subscribe(Map.of(), witness::add);
    await("the witness saw both", () -> witness.size() == 2);
    Thread.sleep(100);
    assertEquals(1, got.size());
    assertDoesNotThrow(s::cancel);
  }

  // ------------------------------------------------------------------ changes(...)

  @Test
  void changesPagesTheFeedToItsEdges() {
    write(P2, 25);
    List<Long> all = new ArrayList<>();
    long after = 0;
    int pages = 0;
    while (true) {
      List<Change> page = catalog.changes(P2, after, 10);
      if (page.isEmpty()) {
        break;
      }
      assertTrue(page.size() <= 10);
      pages++;
      for (Change c : page) {
        assertEquals(P2, c.projectId());
        all.add(c.sequence());
      }
      after = page.get(page.size() - 1).sequence();
    }
    assertEquals(3, pages);
    assertEquals(range(1, 25), all);
    assertEquals(List.of(25L), seqs(catalog.changes(P2, 24, 10_000), P2));
    assertEquals(List.of(), catalog.changes(P2, 25, 1));
    assertEquals(List.of(), catalog.changes(P2, 26, 1));
    assertEquals(List.of(), catalog.changes(P2, Long.MAX_VALUE, 1));
    assertEquals(List.of(), catalog.changes("no-such-项目", 0, 1));
    assertEquals(25, catalog.changes(P2, 0, 10_000).size());
    assertEquals(List.of(1L), seqs(catalog.changes(P2, 0, 1), P2));
  }

  @Test
  void changesRefusesItsArgumentsNamingThem() {
    for (int limit : new int[] {0, -1, 10_001, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
      assertNames(assertThrows(InvalidValueException.class, () -> catalog.changes(P1, 0, limit)), "limit");
    }
    assertNames(assertThrows(InvalidValueException.class, () -> catalog.changes(P1, -1, 1)), "after sequence");
    assertNames(assertThrows(InvalidValueException.class, () -> catalog.changes(P1, Long.MIN_VALUE, 1)),
        "after sequence");
    assertNames(assertThrows(InvalidValueException.class, () -> catalog.changes("  ", 0, 1)), "project id");
    assertThrows(NullPointerException.class, () -> catalog.changes(null, 0, 1));
  }

  @Test
  void changesOfTheFeedCarryTheBackupBeforeAndAfter() {
    Backup b = backup(P3);
    catalog.add(b);
    catalog.apply(P3, b.id(), b.version(), io.csbs.lifecycle.Transition.restore());
    List<Change> feed = catalog.changes(P3, 0, 10);
    assertEquals(2, feed.size());
    assertTrue(feed.get(0).isAdded());
    assertEquals(b, feed.get(0).after().orElseThrow());
    assertEquals(feed.get(0).after(), feed.get(1).before());
    assertEquals(BackupStatus.RESTORING, feed.get(1).after().orElseThrow().status());
  }

  // ------------------------------------------------------------------ the replica

  @Test
  void aReplicaCloseIsIdempotentAndItsSubscribersGetItsWritesInOrder() {
    PostgresReplica replica = PostgresReplica.start(catalog);
    List<Change> got = new CopyOnWriteArrayList<>();
    Subscription s = replica.subscribe(got::add);
    for (int i = 0; i < 3; i++) {
      replica.add(backup(P1));
    }
    await("3 changes", () -> got.size() == 3);
    assertEquals(List.of(1L, 2L, 3L), seqs(got, P1));
    s.cancel();
    replica.close();
    replica.close();
    assertEquals(3, replica.sequence(P1));
  }

  /** The docs are silent on starting a replica of a closed catalog: it starts, and follows by polling. */
  @Test
  void aReplicaOfAClosedCatalogStartsAndCatchesUpWhenAsked() {
    write(P1, 2);
    catalog.close();
    PostgresReplica replica = PostgresReplica.start(catalog);
    toClose.add(replica);
    assertEquals(2, replica.sequence(P1));
    PostgresCatalog other = open(Clock.fixed(NOW, ZoneOffset.UTC));
    other.add(backup(P1));
    assertEquals(3, replica.catchUp(P1));
  }

  @Test
  void aSubscriptionOfACatalogPollingHourlyIsWokenByAnotherInstancesChange() {
    PostgresCatalog hourly = PostgresCatalog.builder(store).clock(Clock.fixed(NOW, ZoneOffset.UTC))
        .pollInterval(Duration.ofHours(1)).build();
    toClose.add(hourly);
    write(P2, 2);
    List<Change> got = new CopyOnWriteArrayList<>();
    hourly.subscribe(Map.of(P2, 1L), got::add);
    await("the second change, at once", () -> got.size() == 1);
    PostgresCatalog elsewhere = open(Clock.fixed(NOW, ZoneOffset.UTC));
    elsewhere.add(backup(P2));
    elsewhere.add(backup(P1));
    await("the changes made elsewhere (woken by a notification, well before an hour)", () -> got.size() == 3);
    assertEquals(List.of(2L, 3L), seqs(got, P2));
    assertEquals(List.of(1L), seqs(got, P1));
  }

  @Test
  void closeWhileASubscriberIsBusyReturnsAndNoLaterChangeIsDelivered() throws Exception {
    write(P1, 3);
    java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    List<Long> got = new CopyOnWriteArrayList<>();
    catalog.subscribe(Map.of(), c -> {
      got.add(c.sequence());
      inside.countDown();
      try {
        release.await(30, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertTrue(inside.await(30, java.util.concurrent.TimeUnit.SECONDS));
    Thread closer = new Thread(catalog::close);
    closer.start();
    closer.join(30_000);
    assertTrue(!closer.isAlive(), "close() waited for the busy subscriber");
    release.countDown();
    Thread.sleep(150);
    assertEquals(List.of(1L), got);
  }

  @Test
  void aClosedReplicasSubscribersStillHearItsOwnWrites() {
    PostgresReplica replica = PostgresReplica.start(catalog);
    replica.close();
    List<Change> got = new CopyOnWriteArrayList<>();
    replica.subscribe(got::add);
    replica.add(backup(P3));
    await("the write through the closed replica", () -> got.size() == 1);
    assertEquals(List.of(1L), seqs(got, P3));
  }

  // ------------------------------------------------------------------ cancelled subscriptions let go

  /** A subscriber object whose reachability a weak reference shows. */
  private static final class Counting implements java.util.function.Consumer<Change> {
    final List<Change> got = new CopyOnWriteArrayList<>();

    @Override
    public void accept(Change change) {
      got.add(change);
    }
  }

  private java.lang.ref.WeakReference<Counting> subscribeAndCancel() {
    Counting subscriber = new Counting();
    Subscription s = catalog.subscribe(subscriber);
    write(P1, 1);
    await("the subscriber got its change", () -> subscriber.got.size() == 1);
    s.cancel();
    return new java.lang.ref.WeakReference<>(subscriber);
  }

  private static boolean clearedWithin(java.lang.ref.WeakReference<?> ref, int rounds) throws InterruptedException {
    for (int i = 0; i < rounds && ref.get() != null; i++) {
      System.gc();
      Thread.sleep(20);
    }
    return ref.get() == null;
  }

  @Test
  void aCancelledSubscriberIsNoLongerHeldByTheCatalog() throws Exception {
    java.lang.ref.WeakReference<Counting> ref = subscribeAndCancel();
    assertTrue(clearedWithin(ref, 50), "the cancelled subscriber is still reachable from the open catalog");
  }

  @Test
  void subscribedChangesEqualThePulledOnesOfAnEmojiProject() {
    List<Change> got = new CopyOnWriteArrayList<>();
    catalog.subscribe(Map.of(), got::add);
    Backup b = backup(P3);
    catalog.add(b);
    catalog.apply(P3, b.id(), b.version(), io.csbs.lifecycle.Transition.restore());
    await("two changes", () -> got.size() == 2);
    assertEquals(catalog.changes(P3, 0, 10), got);
  }

  /** The docs are silent on a replica whose catalog is closed: it goes on following, by polling. */
  @Test
  void aReplicaGoesOnFollowingAfterItsCatalogIsClosed() {
    PostgresReplica replica = PostgresReplica.start(catalog);
    toClose.add(replica);
    catalog.close();
    PostgresCatalog elsewhere = open(Clock.fixed(NOW, ZoneOffset.UTC));
    elsewhere.add(backup(P2));
    await("the replica follows the change made elsewhere", () -> replica.sequence(P2) == 1);
  }

  /** subscribe racing close: a subscription handed out (not refused) must not outlive close(). */
  @Test
  void aSubscriptionRacingCloseDoesNotOutliveIt() throws Exception {
    List<List<Change>> survivors = new CopyOnWriteArrayList<>();
    long seed = 3232;
    java.util.Random random = new java.util.Random(seed);
    for (int round = 0; round < 200; round++) {
      PostgresCatalog racing = open(Clock.fixed(NOW, ZoneOffset.UTC));
      java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
      Thread[] threads = new Thread[2];
      for (int t = 0; t < threads.length; t++) {
        threads[t] = new Thread(() -> {
          try {
            go.await();
          } catch (InterruptedException e) {
            return;
          }
          List<Change> got = new CopyOnWriteArrayList<>();
          try {
            racing.subscribe(Map.of(P1, Long.MAX_VALUE - 1), got::add);
            survivors.add(got);
          } catch (IllegalStateException refused) {
            // closed first: fine
          }
        });
        threads[t].start();
      }
      go.countDown();
      if (random.nextBoolean()) {
        Thread.yield();
      }
      racing.close();
      for (Thread t : threads) {
        t.join(30_000);
      }
    }
    // every catalog is closed: its readers must be gone. A change elsewhere must reach none of them.
    write(P2, 1);
    Thread.sleep(300);
    for (List<Change> got : survivors) {
      assertEquals(List.of(), got, "seed " + seed + ": a subscription of a closed catalog still delivers");
    }
    int live = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("csbs-feed-") && t.isAlive()) {
        live++;
      }
    }
    System.out.println("PROBE live feed threads " + live + " survivors " + survivors.size());
  }
}
