package io.csbs.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Change;
import io.csbs.catalog.DuplicateBackupException;
import io.csbs.catalog.ProjectSnapshot;
import io.csbs.catalog.Subscription;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaExceededException;
import io.csbs.usage.UsageQuery;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A new user's look at {@link PostgresReplica}: its start, its reads right after start and after a
 * write, the ways to wait for a change made elsewhere ({@code awaitSequence}, {@code catchUp}), the
 * writes it forwards (and refuses inside a read), its subscribers, its close, and the database
 * going away under it; written from the README and the javadoc, on data of its own (unicode,
 * emoji and 64-char project ids, many projects).
 */
class NewUserReplicaTest {
  private static final Instant NOW = Instant.parse("2026-05-17T08:30:00.654321Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final String P1 = "projet-été";
  private static final String P2 = "проект-2";
  private static final String P3 = "p-\ud83d\ude80-火箭";   // an emoji above U+FFFF
  private static final String LONG = "L".repeat(60) + "-ü\u00df9";   // 64 chars, the most an id holds

  private static DataSource store;

  private Switchable source;
  private PostgresCatalog database;
  private final List<AutoCloseable> opened = new ArrayList<>();
  private int counter;

  /** A data source that can refuse every connection, or the connections of one thread after some. */
  static final class Switchable extends DelegatingDataSource {
    volatile boolean down;
    volatile Thread thread;
    /** How many more connections any thread gets before every one is refused; negative: no limit. */
    final AtomicInteger everyone = new AtomicInteger(-1);
    final AtomicInteger allowance = new AtomicInteger();

    Switchable(DataSource target) {
      super(target);
    }

    /** The current thread's next {@code allowed} connections are handed out, the ones after refused. */
    void refuseThisThreadAfter(int allowed) {
      allowance.set(allowed);
      thread = Thread.currentThread();
    }

    @Override
    public Connection getConnection() throws SQLException {
      if (down) {
        throw new SQLException("Connection refused (the test's database is away)", "08001");
      }
      if (everyone.get() >= 0 && everyone.getAndDecrement() <= 0) {
        everyone.set(0);
        throw new SQLException("Connection refused (the test's database went away)", "08001");
      }
      if (thread == Thread.currentThread() && allowance.getAndDecrement() <= 0) {
        throw new SQLException("Connection refused (the test's database is away for this thread)", "08001");
      }
      return target.getConnection();
    }
  }

  @BeforeAll
  static void database() {
    store = TestDatabase.dataSource(0);
  }

  @BeforeEach
  void fresh() {
    TestDatabase.truncate(store);
    source = new Switchable(store);
    database = open(Duration.ofMillis(20));
  }

  @AfterEach
  void closeAll() throws Exception {
    source.down = false;
    source.thread = null;
    source.everyone.set(-1);
    for (int i = opened.size() - 1; i >= 0; i--) {
      opened.get(i).close();
    }
  }

  private PostgresCatalog open(Duration poll) {
    PostgresCatalog c = PostgresCatalog.builder(source).clock(CLOCK).pollInterval(poll).build();
    opened.add(c);
    return c;
  }

  private PostgresReplica start(PostgresCatalog of) {
    PostgresReplica r = PostgresReplica.start(of);
    opened.add(r);
    return r;
  }

  private Backup backup(String project) {
    return backup(project, "bk-ñ-" + (counter + 1));
  }

  private Backup backup(String project, String name) {
    counter++;
    return Backup.builder()
        .id(String.format("c0ffee00-0000-4000-8000-%012d", counter))
        .name(name)
        .projectId(project)
        .server(Server.of("srv-" + (counter % 4), "сервер-" + (counter % 4), "eu-de-02"))
        .status(BackupStatus.AVAILABLE)
        .sizeMb(1000 + counter)
        .tags(List.of(Tag.of("env", counter % 2 == 0 ? "prod" : "dev")))
        .createdAt(NOW.minus(Duration.ofMinutes(counter)))
        .build();
  }

  private static void await(String what, BooleanSupplier condition) {
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        fail("waited 30 s for " + what);
      }
      try {
        Thread.sleep(3);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }

  /** Every read the replica serves answers as the database does for {@code project}. */
  private static void assertAgrees(BackupCatalog db, PostgresReplica replica, String project) {
    String where = project + ": ";
    assertEquals(db.sequence(project), replica.sequence(project), where + "sequence");
    assertEquals(db.count(project, Predicates.all()), replica.count(project, Predicates.all()), where + "count");
    assertEquals(db.query(project, Query.all()), replica.query(project, Query.all()), where + "query");
    assertEquals(db.tagCatalogue(project), replica.tagCatalogue(project), where + "tag catalogue");
    assertEquals(db.quotaUsage(project), replica.quotaUsage(project), where + "quota usage");
    assertEquals(db.usage(project, UsageQuery.firstServers(50)), replica.usage(project, UsageQuery.firstServers(50)),
        where + "usage");
    assertEquals(db.count(project, Predicates.all()), replica.stats(project).backups(), where + "stats' backups");
  }

  // ====================================================================== options and refusals

  @Test
  void startRefusesNullNamingDatabase() {
    NullPointerException e = assertThrows(NullPointerException.class, () -> PostgresReplica.start(null));
    assertTrue(String.valueOf(e.getMessage()).contains("database"), e.getMessage());
  }

  @Test
  void pollIntervalBoundsAreOneMillisecondToOneHourNamingPollInterval() {
    PostgresCatalog.Builder b = PostgresCatalog.builder(source);
    for (Duration bad : List.of(Duration.ZERO, Duration.ofNanos(999_999), Duration.ofMillis(-5),
        Duration.ofHours(1).plusNanos(1), Duration.ofDays(365), Duration.ofSeconds(Long.MAX_VALUE))) {
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> b.pollInterval(bad), bad.toString());
      assertEquals("poll interval", e.field(), e.getMessage());
    }
    NullPointerException npe = assertThrows(NullPointerException.class, () -> b.pollInterval(null));
    assertTrue(String.valueOf(npe.getMessage()).contains("pollInterval"), npe.getMessage());
    b.pollInterval(Duration.ofMillis(1));
    b.pollInterval(Duration.ofHours(1));
    assertNotNull(b.build());
  }

  @Test
  void awaitSequenceAndCatchUpRefuseBadArgumentsNamingThem() {
    PostgresReplica replica = start(database);
    for (String blank : List.of("", " ", "\t\n")) {
      InvalidValueException e = assertThrows(InvalidValueException.class,
          () -> replica.awaitSequence(blank, 1, Duration.ofSeconds(1)));
      assertEquals("project id", e.field());
      e = assertThrows(InvalidValueException.class, () -> replica.catchUp(blank));
      assertEquals("project id", e.field());
    }
    assertThrows(NullPointerException.class, () -> replica.awaitSequence(null, 1, Duration.ofSeconds(1)));
    assertThrows(NullPointerException.class, () -> replica.catchUp(null));
    NullPointerException e = assertThrows(NullPointerException.class, () -> replica.awaitSequence(P1, 1, null));
    assertTrue(String.valueOf(e.getMessage()).contains("timeout"), e.getMessage());
  }

  /** The docs are silent on a zero, negative or huge timeout and a sequence at or below 0: what happens. */
  @Test
  void awaitSequenceOnEdgesOfItsArguments() {
    database.add(backup(P1));
    PostgresReplica replica = start(database);
    assertTrue(replica.awaitSequence(P1, 1, Duration.ZERO), "reached already, no wait");
    assertTrue(replica.awaitSequence(P1, 0, Duration.ofMillis(-1)));
    assertTrue(replica.awaitSequence(P1, -7, Duration.ofSeconds(Long.MAX_VALUE)), "a huge timeout does not overflow");
    assertTrue(replica.awaitSequence("nobody-" + P2, 0, Duration.ofSeconds(1)), "an unknown project is at 0");
    long before = System.nanoTime();
    assertFalse(replica.awaitSequence(P1, 2, Duration.ofMillis(-100)), "a change nobody made, negative timeout");
    assertFalse(replica.awaitSequence(P1, Long.MAX_VALUE, Duration.ZERO));
    assertFalse(replica.awaitSequence("nobody-" + P2, 1, Duration.ofMillis(30)));
    assertTrue(System.nanoTime() - before < Duration.ofSeconds(20).toNanos(), "no long wait");
  }

  /** "an id, project id or marker of that kind given to a read ... finds nothing, as any id no backup has". */
  @Test
  void projectIdsPostgresCannotHoldFindNothingInAwaitAndCatchUp() {
    database.add(backup(P1));
    PostgresReplica replica = start(database);
    for (String odd : List.of("p\u0000x", "p\ud800", P1 + "\u0000")) {
      assertEquals(0, replica.catchUp(odd), odd);
      assertFalse(replica.awaitSequence(odd, 1, Duration.ofMillis(20)), odd);
      assertTrue(replica.find(odd, "x").isEmpty());
      assertEquals(0, replica.sequence(odd));
    }
  }

  // ====================================================================== start

  @Test
  void startLoadsEveryProjectBeforeReturningAndAnswersAsTheDatabase() {
    Random random = new Random(33);
    long seed = random.nextLong();
    random = new Random(seed);
    List<String> projects = new ArrayList<>(List.of(P1, P2, P3, LONG, "a b", "x".repeat(64),
        "case-A", "case-a", "trail ", "trail", " lead", "pct_%", "quote'\"", "back\\slash"));
    for (int i = 0; i < 24; i++) {
      projects.add("proj-" + i + (i % 3 == 0 ? "-ÿ" : "") + (i % 5 == 0 ? "-\ud83d\udc0d" : ""));
    }
    List<Backup> all = new ArrayList<>();
    for (String p : projects) {
      int n = random.nextInt(4);
      for (int i = 0; i < n; i++) {
        all.add(backup(p, "n" + random.nextInt(1000) + "-é"));
      }
    }
    database.addAll(all);
    database.setQuota(P1, Quota.of(50, 1000));
    database.setQuota("proj-7", Quota.of(9, 99));   // a project with a quota alone, maybe no backups
    Backup b = all.get(0);
    database.apply(b.projectId(), b.id(), b.version(), Transition.restore());
    PostgresReplica replica = start(database);
    projects.add("proj-7");
    for (String p : projects) {
      assertAgrees(database, replica, p + " (seed " + seed + ")");
    }
    assertEquals(database.queryAllProjects(Query.all()), replica.queryAllProjects(Query.all()), "seed " + seed);
    assertEquals(database.countAllProjects(Predicates.all()), replica.countAllProjects(Predicates.all()));
    assertEquals(Quota.of(9, 99), replica.quotaUsage("proj-7").quota());
  }

  @Test
  void aReplicaOfAnEmptyDatabaseStartsAndSeesTheFirstChangeMadeElsewhere() {
    PostgresReplica replica = start(database);
    assertEquals(0, replica.countAllProjects(Predicates.all()));
    PostgresCatalog elsewhere = open(Duration.ofMillis(20));
    elsewhere.add(backup(P3));
    assertTrue(replica.awaitSequence(P3, 1, Duration.ofSeconds(20)));
    assertAgrees(database, replica, P3);
  }

  // ====================================================================== writes: read your writes

  @Test
  void everyWriteThroughTheReplicaIsVisibleInItWhenTheCallReturns() {
    PostgresCatalog hourly = open(Duration.ofHours(1));
    PostgresReplica replica = start(hourly);
    Backup a = backup(P1);
    replica.add(a);
    assertEquals(a, replica.get(P1, a.id()));
    assertAgrees(database, replica, P1);

    List<Backup> batch = List.of(backup(P2), backup(P3), backup(LONG), backup(P2));
    replica.addAll(batch);
    for (Backup x : batch) {
      assertEquals(x, replica.get(x.projectId(), x.id()), "addAll, " + x.projectId());
    }
    assertAgrees(database, replica, P2);
    assertAgrees(database, replica, LONG);

    Backup restoring = replica.apply(P1, a.id(), a.version(), Transition.restore()).orElseThrow();
    assertEquals(restoring, replica.get(P1, a.id()));
    Backup tagged = replica.updateTags(P2, batch.get(0).id(), batch.get(0).version(),
        TagUpdate.create(Tag.of("team", "réseau"), Tag.of("env", "staging")));
    assertEquals(tagged, replica.get(P2, tagged.id()));
    assertAgrees(database, replica, P2);
    replica.remove(P3, batch.get(1).id(), batch.get(1).version());
    assertTrue(replica.find(P3, batch.get(1).id()).isEmpty());
    assertAgrees(database, replica, P3);

    replica.setQuota(LONG, Quota.of(7, 77));
    assertEquals(Quota.of(7, 77), replica.quotaUsage(LONG).quota(), "setQuota, read back at once");
    replica.setQuota("quota-only-ß", Quota.of(0, 0));
    assertEquals(Quota.of(0, 0), replica.quotaUsage("quota-only-ß").quota());

    Backup loaded = backup("loaded-ł");
    replica.load(new ProjectSnapshot("loaded-ł", 41, Quota.of(3, 30), List.of(loaded)));
    assertEquals(41, replica.sequence("loaded-ł"));
    assertEquals(loaded, replica.get("loaded-ł", loaded.id()));
    assertAgrees(database, replica, "loaded-ł");

    // replay: a change as committed elsewhere, the next of project "replayed"
    Backup fresh = backup("replayed");
    Change change = new Change(1, "replayed", fresh.id(), java.util.Optional.empty(), java.util.Optional.of(fresh),
        java.util.Optional.empty());
    assertTrue(replica.replay(change));
    assertEquals(fresh, replica.get("replayed", fresh.id()));
    assertFalse(replica.replay(change), "already installed");
    assertAgrees(database, replica, "replayed");
  }

  @Test
  void refusedWritesThroughTheReplicaChangeNeitherItNorTheDatabase() {
    PostgresReplica replica = start(database);
    Backup a = backup(P1);
    replica.add(a);
    replica.setQuota(P1, Quota.of(1, 1000));
    long seq = database.sequence(P1);
    assertThrows(DuplicateBackupException.class, () -> replica.add(a));
    assertThrows(QuotaExceededException.class, () -> replica.add(backup(P1)));
    assertThrows(VersionConflictException.class, () -> replica.apply(P1, a.id(), a.version() + 1, Transition.delete()));
    assertThrows(VersionConflictException.class, () -> replica.remove(P1, a.id(), 99));
    assertThrows(IllegalStateException.class, () -> replica.load(new ProjectSnapshot(P1, 5, Quota.NONE, List.of())));
    assertEquals(seq, database.sequence(P1));
    assertAgrees(database, replica, P1);
  }

  @Test
  void writesInsideTheReplicasReadAreRefusedAndReachNothing() {
    PostgresReplica replica = start(database);
    Backup a = backup(P2);
    replica.add(a);
    List<Runnable> writes = List.of(
        () -> replica.add(backup(P2)),
        () -> replica.addAll(List.of(backup(P1))),
        () -> replica.apply(P2, a.id(), a.version(), Transition.delete()),
        () -> replica.updateTags(P2, a.id(), a.version(), TagUpdate.create(Tag.of("k", "v"))),
        () -> replica.remove(P2, a.id(), a.version()),
        () -> replica.setQuota(P2, Quota.of(1, 1)),
        () -> replica.load(new ProjectSnapshot("other", 0, Quota.NONE, List.of(backup("other")))));
    for (Runnable write : writes) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> replica.read(P2, view -> {
            write.run();
            return null;
          }));
      assertTrue(e.getMessage().contains(P2), "the message names the project read: " + e.getMessage());
    }
    assertEquals(1, database.sequence(P2));
    assertEquals(0, database.sequence(P1));
    assertEquals(0, database.sequence("other"));
    assertEquals(Quota.NONE, database.quotaUsage(P2).quota());
    assertAgrees(database, replica, P2);
    // after the read, writes go through again
    replica.add(backup(P2));
    assertEquals(2, replica.sequence(P2));
  }

  // ====================================================================== changes made elsewhere

  /** "a replica is at most a poll interval behind the database (less when notifications wake it)". */
  @Test
  void aChangeMadeByAnotherInstanceArrivesByNotificationDespiteAnHourlyPoll() {
    PostgresCatalog hourly = open(Duration.ofHours(1));
    PostgresReplica replica = start(hourly);
    PostgresCatalog elsewhere = open(Duration.ofHours(1));
    Backup b = backup(P3);
    elsewhere.add(b);
    await("the other instance's add, by notification", () -> replica.find(P3, b.id()).isPresent());
    elsewhere.apply(P3, b.id(), b.version(), Transition.restore());
    await("the other instance's restore", () -> replica.sequence(P3) == 2);
    assertAgrees(elsewhere, replica, P3);
    elsewhere.setQuota(P3, Quota.of(123, 4567));
    await("the other instance's quota", () -> replica.quotaUsage(P3).quota().equals(Quota.of(123, 4567)));
  }

  @Test
  void awaitSequenceAndCatchUpBringAChangeMadeElsewhereAtOnce() {
    PostgresCatalog hourly = open(Duration.ofHours(1));
    PostgresReplica replica = start(hourly);
    PostgresCatalog elsewhere = open(Duration.ofHours(1));
    elsewhere.addAll(List.of(backup(LONG), backup(LONG), backup(LONG)));
    long written = elsewhere.sequence(LONG);
    assertEquals(3, written);
    assertTrue(replica.awaitSequence(LONG, written, Duration.ofSeconds(20)));
    assertTrue(replica.sequence(LONG) >= written);
    assertAgrees(elsewhere, replica, LONG);
    elsewhere.setQuota(LONG, Quota.of(2, 2));
    elsewhere.add(backup(P1));
    assertEquals(1, replica.catchUp(P1));
    assertEquals(3, replica.catchUp(LONG), "catchUp returns the sequence reached");
    assertEquals(Quota.of(2, 2), replica.quotaUsage(LONG).quota(), "catchUp applies the quota");
    assertAgrees(elsewhere, replica, P1);
  }

  /** Many projects changed elsewhere, in a seeded random order, all reached. */
  @Test
  void manyProjectsChangedElsewhereAreAllFollowed() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    PostgresReplica replica = start(database);
    PostgresCatalog elsewhere = open(Duration.ofMillis(20));
    List<String> projects = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      projects.add("many-" + i + "-" + (char) ('α' + i));
    }
    List<Backup> batch = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      batch.add(backup(projects.get(random.nextInt(projects.size()))));
    }
    elsewhere.addAll(batch);
    for (int i = 0; i < 20; i++) {
      Backup b = batch.get(random.nextInt(batch.size()));
      Backup current = elsewhere.find(b.projectId(), b.id()).orElseThrow();
      if (current.status() == BackupStatus.AVAILABLE) {
        elsewhere.apply(b.projectId(), b.id(), current.version(), Transition.delete());
      }
    }
    for (String p : projects) {
      long head = elsewhere.sequence(p);
      await(p + " at " + head + " (seed " + seed + ")", () -> replica.sequence(p) >= head);
      assertAgrees(elsewhere, replica, p + "");
    }
    assertEquals(elsewhere.countAllProjects(Predicates.all()), replica.countAllProjects(Predicates.all()), "seed " + seed);
  }

  // ====================================================================== subscribers

  @Test
  void subscribersHearChangesMadeElsewhereNumberedAsTheDatabaseNumbersThem() {
    Backup first = backup(P2);
    database.add(first);
    PostgresReplica replica = start(database);
    List<Change> heard = new CopyOnWriteArrayList<>();
    AtomicInteger thrown = new AtomicInteger();
    Subscription s = replica.subscribe(change -> {
      heard.add(change);
      if (change.sequence() == 2) {
        thrown.incrementAndGet();
        throw new IllegalStateException("a subscriber that throws (test)");
      }
    });
    PostgresCatalog elsewhere = open(Duration.ofMillis(20));
    elsewhere.apply(P2, first.id(), first.version(), Transition.restore());
    elsewhere.add(backup(P2));
    elsewhere.add(backup(P1));
    await("three changes", () -> heard.size() >= 3);
    List<Change> p2 = heard.stream().filter(c -> c.projectId().equals(P2)).toList();
    assertEquals(database.changes(P2, 1, 10), p2, "from the subscription on, in order, once; a throw gets the next");
    assertEquals(1, thrown.get());
    assertEquals(database.changes(P1, 0, 10), heard.stream().filter(c -> c.projectId().equals(P1)).toList());
    s.cancel();
    elsewhere.add(backup(P2));
    assertTrue(replica.awaitSequence(P2, 4, Duration.ofSeconds(20)));
    assertEquals(3, heard.size(), "a cancelled subscription hears nothing more");
  }

  /** BackupCatalog.subscribe: "A subscriber may change the catalog; each subscriber still sees each project's changes in sequence order." */
  @Test
  void aSubscriberMayWriteThroughTheReplicaToTheSameProject() throws Exception {
    PostgresReplica replica = start(database);
    List<Long> heard = new CopyOnWriteArrayList<>();
    AtomicReference<Throwable> problem = new AtomicReference<>();
    replica.subscribe(change -> {
      heard.add(change.sequence());
      if (change.after().isPresent() && change.after().get().name().equals("ping")) {
        try {
          replica.add(backup(P1, "pong"));
        } catch (RuntimeException | Error e) {
          problem.set(e);
        }
      }
    });
    Thread writer = new Thread(() -> replica.add(backup(P1, "ping")));
    writer.setDaemon(true);
    writer.start();
    writer.join(30_000);
    assertFalse(writer.isAlive(), "the write whose subscriber writes again hung");
    await("the pong", () -> replica.count(P1, Predicates.all()) == 2);
    assertEquals(null, problem.get());
    await("both changes heard", () -> heard.size() == 2);
    assertEquals(List.of(1L, 2L), heard);
    assertAgrees(database, replica, P1);
  }

  /**
   * BackupCatalog.subscribe: "A subscriber may change the catalog". Two writers through the replica,
   * each on a project of its own, whose subscriber writes to the other project: no deadlock (one
   * thread delivers at a time, so the two deliveries never overlap).
   */
  @Test
  void subscribersWritingAcrossProjectsFromTwoWritersDoNotDeadlock() throws Exception {
    PostgresReplica replica = start(database);
    CyclicBarrier both = new CyclicBarrier(2);
    AtomicReference<Throwable> problem = new AtomicReference<>();
    replica.subscribe(change -> {
      if (change.after().isEmpty() || !change.after().get().name().startsWith("trigger")) {
        return;
      }
      try {
        both.await(100, TimeUnit.MILLISECONDS);   // both deliveries under way at once, if the replica allows it
      } catch (Exception e) {
        // one thread delivered both: go on
      }
      try {
        replica.add(backup(change.projectId().equals(P1) ? P2 : P1, "echo"));
      } catch (RuntimeException | Error e) {
        problem.set(e);
      }
    });
    Thread one = new Thread(() -> replica.add(backup(P1, "trigger-1")));
    Thread two = new Thread(() -> replica.add(backup(P2, "trigger-2")));
    for (Thread t : List.of(one, two)) {
      t.setDaemon(true);
      t.start();
    }
    one.join(30_000);
    two.join(30_000);
    assertFalse(one.isAlive() || two.isAlive(), "the two writers are deadlocked");
    await("both echoes", () -> replica.count(P1, Predicates.all()) == 2 && replica.count(P2, Predicates.all()) == 2);
    assertEquals(null, problem.get());
  }

  // ====================================================================== close

  private static Set<Thread> followers() {
    Set<Thread> found = new HashSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("csbs-replica-") && !t.getName().startsWith("csbs-replica-catch-up-") && t.isAlive()) {
        found.add(t);
      }
    }
    return found;
  }

  @Test
  void closeIsIdempotentStopsTheFollowingThreadAndKeepsAnswering() throws Exception {
    Set<Thread> before = followers();
    Backup b = backup(P1);
    database.add(b);
    PostgresReplica replica = start(database);
    Set<Thread> mine = followers();
    mine.removeAll(before);
    assertEquals(1, mine.size(), "one following thread: " + mine);
    Thread follower = mine.iterator().next();
    replica.close();
    replica.close();
    follower.join(30_000);
    assertFalse(follower.isAlive(), "close stops the following thread");
    assertTrue(replica.toString().contains("closed"), replica.toString());
    assertEquals(b, replica.get(P1, b.id()), "reads go on answering");
    assertAgrees(database, replica, P1);

    // only the following in the background stops: a change elsewhere waits for catchUp / awaitSequence
    PostgresCatalog elsewhere = open(Duration.ofMillis(20));
    Backup other = backup(P1);
    elsewhere.add(other);
    Thread.sleep(100);   // five poll intervals of its catalog
    assertEquals(1, replica.sequence(P1), "a closed replica does not follow by itself");
    assertTrue(replica.awaitSequence(P1, 2, Duration.ofSeconds(20)));
    assertEquals(other, replica.get(P1, other.id()));
    elsewhere.add(backup(P1));
    assertEquals(3, replica.catchUp(P1));
    // writes still go to the database and show here once they return
    Backup mineToo = backup(P2);
    replica.add(mineToo);
    assertEquals(mineToo, replica.get(P2, mineToo.id()));
    assertEquals(mineToo, database.get(P2, mineToo.id()));
  }

  // ====================================================================== the database away

  @Test
  void whileTheDatabaseIsAwayReadsAnswerFromMemoryAndAwaitAndCatchUpThrow() {
    Backup b = backup(P3);
    database.add(b);
    PostgresReplica replica = start(database);
    source.down = true;
    try {
      assertEquals(b, replica.get(P3, b.id()), "reads answer from memory");
      assertEquals(1, replica.count(P3, Predicates.all()));
      assertTrue(replica.awaitSequence(P3, 1, Duration.ofSeconds(1)), "reached already: no database needed");
      CatalogDatabaseException e = assertThrows(CatalogDatabaseException.class,
          () -> replica.awaitSequence(P3, 2, Duration.ofSeconds(20)));
      assertTrue(e.isRetryable(), "a refused connection is retryable: " + e.getMessage());
      assertThrows(CatalogDatabaseException.class, () -> replica.catchUp(P3));
      assertThrows(CatalogDatabaseException.class, () -> replica.add(backup(P3)));
      assertEquals(1, replica.sequence(P3), "a failed write shows nothing");
    } finally {
      source.down = false;
    }
    PostgresCatalog elsewhere = open(Duration.ofMillis(20));
    elsewhere.add(backup(P3));
    await("the replica follows again once the database is back", () -> replica.sequence(P3) == 2);
    assertAgrees(database, replica, P3);
  }

  /** "A write that committed returns, even if the database fails while the replica reads it back". */
  @Test
  void aWriteThatCommittedReturnsThoughItsReadBackFailsAndShowsLater() {
    PostgresCatalog hourly = open(Duration.ofHours(1));
    PostgresReplica replica = start(hourly);
    replica.add(backup(P2));   // the catalog's schema check and first write behind it
    Backup b = backup(P2);
    source.refuseThisThreadAfter(1);   // the write's own connection, then none for this thread
    try {
      replica.add(b);
    } finally {
      source.thread = null;
    }
    assertEquals(b, database.get(P2, b.id()), "committed");
    assertTrue(replica.awaitSequence(P2, 2, Duration.ofSeconds(20)));
    assertEquals(b, replica.get(P2, b.id()));
  }

  /** Docs are silent on a replica started over a closed catalog: it starts, loaded, and follows. */
  @Test
  void aReplicaStartedOverAClosedCatalogLoadsAndFollowsByPolling() {
    database.add(backup(P1));
    database.close();
    PostgresReplica replica = start(database);
    assertEquals(1, replica.sequence(P1));
    PostgresCatalog elsewhere = open(Duration.ofMillis(20));
    elsewhere.add(backup(P1));
    await("the change elsewhere, by polling", () -> replica.sequence(P1) == 2);
    replica.add(backup(P1));
    assertEquals(3, replica.sequence(P1), "writes through a closed catalog's replica");
  }

  // ====================================================================== more edges

  @Test
  void startWhileTheDatabaseIsAwayThrowsCatalogDatabaseExceptionAndLeavesNoThread() {
    database.add(backup(P1));
    Set<Thread> before = followers();
    source.down = true;
    try {
      CatalogDatabaseException e = assertThrows(CatalogDatabaseException.class, () -> start(database));
      assertTrue(e.isRetryable(), e.getMessage());
    } finally {
      source.down = false;
    }
    Set<Thread> after = followers();
    after.removeAll(before);
    assertEquals(Set.of(), after, "a failed start leaves no following thread");
    PostgresReplica replica = start(database);
    assertAgrees(database, replica, P1);
  }

  @Test
  void subscribeRefusesNull() {
    PostgresReplica replica = start(database);
    assertThrows(NullPointerException.class, () -> replica.subscribe(null));
  }

  /**
   * "Waits until the replica has applied the project's change sequence ..., or until timeout passes:
   * also when the database is slow to answer (a lock held on its tables ...)".
   */
  @Test
  void awaitSequenceReturnsWithinItsTimeoutWhileATableIsLocked() throws Exception {
    PostgresCatalog hourly = open(Duration.ofHours(1));
    PostgresReplica replica = start(hourly);
    PostgresCatalog elsewhere = open(Duration.ofHours(1));
    Backup b = backup(P2);
    elsewhere.add(b);
    try (Connection locker = store.getConnection()) {
      locker.setAutoCommit(false);
      try (java.sql.Statement st = locker.createStatement()) {
        st.execute("LOCK TABLE csbs_project, csbs_change IN ACCESS EXCLUSIVE MODE");
      }
      long start = System.nanoTime();
      boolean reached = replica.awaitSequence(P2, 1, Duration.ofMillis(200));
      long took = System.nanoTime() - start;
      assertTrue(took < Duration.ofSeconds(20).toNanos(), "awaitSequence waited for the lock: " + took / 1_000_000 + " ms");
      assertEquals(reached, replica.sequence(P2) >= 1, "the answer says what the replica reached");
      locker.rollback();
    }
    assertTrue(replica.awaitSequence(P2, 1, Duration.ofSeconds(20)));
    assertEquals(b, replica.get(P2, b.id()));
  }

  /**
   * BackupCatalog.read: "Inside reads the calling thread may read the same project ... but not change
   * any project, nor read another project: either could deadlock against other threads, so the
   * catalog refuses both with an IllegalStateException." A catchUp inside the replica's read applies
   * changes: refused. Here the replica follows the database, and its following thread is applying
   * a change of the project (waiting for the read to end) when the read calls catchUp.
   */
  @Test
  void catchUpInsideTheReplicasReadWhileItFollowsAChangeIsRefusedNotADeadlock() throws Exception {
    Set<Thread> before = followers();
    PostgresReplica replica = start(database);
    Set<Thread> mine = followers();
    mine.removeAll(before);
    Thread follower = mine.iterator().next();
    replica.add(backup(P1));
    PostgresCatalog elsewhere = open(Duration.ofMillis(20));
    java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch added = new java.util.concurrent.CountDownLatch(1);
    AtomicReference<Object> outcome = new AtomicReference<>();
    Thread reader = new Thread(() -> {
      try {
        outcome.set(replica.read(P1, view -> {
          inside.countDown();
          try {
            added.await(20, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            throw new AssertionError(e);
          }
          return replica.catchUp(P1);
        }));
      } catch (RuntimeException | Error e) {
        outcome.set(e);
      }
    });
    reader.setDaemon(true);
    reader.start();
    assertTrue(inside.await(20, TimeUnit.SECONDS));
    elsewhere.add(backup(P1));
    // the follower applies it: it waits for the read to end, inside its catch-up of P1
    await("the follower waiting to apply the change", () -> follower.getState() != Thread.State.RUNNABLE
        && java.util.Arrays.stream(follower.getStackTrace()).anyMatch(f -> f.getMethodName().equals("replay")));
    added.countDown();
    reader.join(30_000);
    assertFalse(reader.isAlive(), "catchUp inside the replica's read deadlocks with the replica's follower");
    assertTrue(outcome.get() instanceof IllegalStateException, "refused as a change inside a read: " + outcome.get());
  }

  /** The sibling: a closed replica (no follower) refuses a catchUp inside its read that has a change to apply. */
  @Test
  void catchUpInsideTheReadOfAClosedReplicaIsRefused() throws Exception {
    PostgresReplica replica = start(database);
    replica.add(backup(P1));
    replica.close();   // no following in the background: the change below waits for catchUp
    PostgresCatalog elsewhere = open(Duration.ofMillis(20));
    elsewhere.add(backup(P1));
    AtomicReference<Object> outcome = new AtomicReference<>();
    Thread reader = new Thread(() -> {
      try {
        outcome.set(replica.read(P1, view -> replica.catchUp(P1)));
      } catch (RuntimeException | Error e) {
        outcome.set(e);
      }
    });
    reader.setDaemon(true);
    reader.start();
    reader.join(30_000);
    assertFalse(reader.isAlive(), "catchUp inside the replica's read of the same project hangs");
    assertTrue(outcome.get() instanceof IllegalStateException, "refused as a change inside a read: " + outcome.get());
    assertEquals(2, replica.catchUp(P1), "after the read, catchUp applies it");
  }

  /** The actual behaviour beside it: inside a read, awaitSequence times out; catchUp with nothing to apply returns. */
  @Test
  void insideTheReplicasReadAwaitSequenceTimesOutAndTheChangeArrivesAfter() throws Exception {
    PostgresReplica replica = start(database);
    replica.add(backup(P1));
    replica.close();
    IllegalStateException refused = assertThrows(IllegalStateException.class, () -> replica.read(P1, view -> replica.catchUp(P1)),
        "refused inside a read, even with nothing to apply");
    assertTrue(refused.getMessage().contains("catchUp") && refused.getMessage().contains(P1), refused.getMessage());
    PostgresCatalog elsewhere = open(Duration.ofMillis(20));
    elsewhere.add(backup(P1));
    AtomicReference<Object> outcome = new AtomicReference<>();
    Thread reader = new Thread(() -> {
      try {
        outcome.set(replica.read(P1, view -> replica.awaitSequence(P1, 2, Duration.ofMillis(100))));
      } catch (RuntimeException | Error e) {
        outcome.set(e);
      }
    });
    reader.setDaemon(true);
    reader.start();
    reader.join(30_000);
    assertFalse(reader.isAlive(), "awaitSequence inside the replica's read hangs");
    assertEquals(Boolean.FALSE, outcome.get(), "the catch-up waits for the read to end");
    assertTrue(replica.awaitSequence(P1, 2, Duration.ofSeconds(20)));
  }

  /** BackupCatalog.read: "nor read another project ... refuses ... with an IllegalStateException". */
  @Test
  void readingAnotherProjectInsideTheReplicasReadIsRefused() {
    PostgresReplica replica = start(database);
    replica.add(backup(P1));
    replica.add(backup(P2));
    assertThrows(IllegalStateException.class, () -> replica.read(P1, view -> replica.count(P2, Predicates.all())));
    assertThrows(IllegalStateException.class, () -> replica.read(P1, view -> replica.catchUp(P2)));
    assertEquals(1L, (long) replica.read(P1, view -> replica.count(P1, Predicates.all())), "the same project: allowed");
  }

  // ====================================================================== the catalog's options, batches, quotas

  /** The replica is "a csbs catalog that follows" the database: relative searches use the catalog's clock and stall rule. */
  @Test
  void stalledAndRelativeSearchesUseTheCatalogsClockAndStallRule() {
    PostgresCatalog twoHours = PostgresCatalog.builder(source).clock(CLOCK)
        .stallRule(io.csbs.lifecycle.StallRule.ofThreshold(Duration.ofHours(2))).pollInterval(Duration.ofMillis(20)).build();
    opened.add(twoHours);
    for (int hours : new int[] {1, 3}) {
      counter++;
      twoHours.add(Backup.builder()
          .id(String.format("5ta11ed0-0000-4000-8000-%012d", counter))
          .name("job-" + hours + "h")
          .projectId(P3)
          .server(Server.of("srv-j", "сервер-j", "eu-de-02"))
          .status(BackupStatus.CREATING)
          .progress(io.csbs.backup.Progress.of(40, NOW.minus(Duration.ofHours(hours))))
          .sizeMb(0)
          .createdAt(NOW.minus(Duration.ofHours(hours)).minusSeconds(5))
          .build());
    }
    PostgresReplica replica = start(twoHours);
    assertEquals(1, twoHours.count(P3, Predicates.stalled()), "the database: only the 3 h old progress is stalled");
    assertEquals(twoHours.count(P3, Predicates.stalled()), replica.count(P3, Predicates.stalled()), "the replica's stall rule");
    assertEquals(twoHours.query(P3, Query.where(Predicates.stalled())), replica.query(P3, Query.where(Predicates.stalled())));
    assertEquals(twoHours.count(P3, Predicates.createdWithinLast(Duration.ofMinutes(90))),
        replica.count(P3, Predicates.createdWithinLast(Duration.ofMinutes(90))), "the replica's clock");
    assertEquals(1, replica.count(P3, Predicates.createdWithinLast(Duration.ofMinutes(90))));
  }

  /** More changes than one read of the feed, made elsewhere in one batch: all applied, each heard once. */
  @Test
  void aBigBatchMadeElsewhereIsAppliedWholeAndEachChangeHeardOnce() {
    PostgresReplica replica = start(database);
    List<Long> heard = new CopyOnWriteArrayList<>();
    replica.subscribe(change -> heard.add(change.sequence()));
    List<Backup> batch = new ArrayList<>();
    for (int i = 0; i < 1010; i++) {
      batch.add(backup(LONG, "batch-" + i));
    }
    PostgresCatalog elsewhere = open(Duration.ofMillis(20));
    elsewhere.addAll(batch);
    assertTrue(replica.awaitSequence(LONG, 1010, Duration.ofSeconds(20)));
    assertAgrees(elsewhere, replica, LONG);
    await("1010 changes heard", () -> heard.size() >= 1010);
    List<Long> expected = new ArrayList<>();
    for (long i = 1; i <= 1010; i++) {
      expected.add(i);
    }
    assertEquals(expected, heard);
  }

  @Test
  void aRefusedBatchThroughTheReplicaChangesNoProject() {
    PostgresReplica replica = start(database);
    Backup there = backup(P2);
    replica.add(there);
    List<Backup> batch = List.of(backup(P1), backup(P3), there);   // the last one is a duplicate
    assertThrows(DuplicateBackupException.class, () -> replica.addAll(batch));
    for (String p : List.of(P1, P2, P3)) {
      assertAgrees(database, replica, p);
    }
    assertEquals(0, replica.sequence(P1));
    assertEquals(0, replica.sequence(P3));
  }

  @Test
  void catchUpOfAProjectWithAQuotaAloneAppliesTheQuota() {
    PostgresReplica replica = start(database);
    PostgresCatalog elsewhere = open(Duration.ofHours(1));
    elsewhere.setQuota("quota-ü", Quota.of(11, 22));
    assertEquals(0, replica.catchUp("quota-ü"));
    assertEquals(Quota.of(11, 22), replica.quotaUsage("quota-ü").quota());
    assertEquals(elsewhere.quotaUsage("quota-ü"), replica.quotaUsage("quota-ü"));
    elsewhere.addAll(List.of(backup(P1), backup(P1), backup(P1)));
    elsewhere.setQuota(P1, Quota.of(1, 1));   // below the usage: "Backups already there stay"
    assertEquals(3, replica.catchUp(P1));
    assertEquals(elsewhere.quotaUsage(P1), replica.quotaUsage(P1));
    assertEquals(3, replica.count(P1, Predicates.all()));
    replica.setQuota("quota-ü", Quota.NONE);
    assertEquals(Quota.NONE, replica.quotaUsage("quota-ü").quota(), "a quota lifted through the replica");
    assertEquals(Quota.NONE, elsewhere.quotaUsage("quota-ü").quota());
  }

  // ====================================================================== a long read and the following

  /** A reader holding the replica's read of {@code project} until {@code release} counts down (10 s at most). */
  private static Thread holdRead(PostgresReplica replica, String project, java.util.concurrent.CountDownLatch inside,
      java.util.concurrent.CountDownLatch release) {
    Thread reader = new Thread(() -> replica.read(project, view -> {
      inside.countDown();
      try {
        return release.await(60, TimeUnit.SECONDS);   // released by the test; 10 s ran out once on Citus
      } catch (InterruptedException e) {
        return false;
      }
    }));
    reader.setDaemon(true);
    reader.start();
    return reader;
  }

  /** Blocks the replica's follower on P1 (a change of P1 waiting for a read of P1), then changes P2 elsewhere. */
  private Thread followerBlockedOnP1(PostgresReplica replica, Thread follower, PostgresCatalog elsewhere,
      java.util.concurrent.CountDownLatch release) throws InterruptedException {
    java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
    Thread reader = holdRead(replica, P1, inside, release);
    assertTrue(inside.await(20, TimeUnit.SECONDS));
    elsewhere.add(backup(P1));
    await("the follower waiting to apply P1's change", () -> follower.getState() != Thread.State.RUNNABLE
        && java.util.Arrays.stream(follower.getStackTrace()).anyMatch(f -> f.getMethodName().equals("replay")));
    elsewhere.add(backup(P2));
    return reader;
  }

  private Thread startedFollower(Set<Thread> before) {
    Set<Thread> mine = followers();
    mine.removeAll(before);
    assertEquals(1, mine.size(), mine.toString());
    return mine.iterator().next();
  }

  /**
   * PostgresReplica: "a replica is at most a poll interval behind the database (less when
   * notifications wake it)"; BackupCatalog.read: "changes to the project wait until reads returns"
   * (that project's). A read of P1 should not hold up the changes of P2.
   */
  /** The sibling: P2's change waits for the read of P1 to end (awaitSequence still brings it at once). */
  @Test
  void aReadOfOneProjectHoldsUpTheFollowingOfAnotherUntilItEnds() throws Exception {
    PostgresCatalog elsewhere = open(Duration.ofMillis(20));
    elsewhere.add(backup(P1));
    elsewhere.add(backup(P2));
    Set<Thread> before = followers();
    PostgresReplica replica = start(database);
    Thread follower = startedFollower(before);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    Thread reader;
    try {
      reader = followerBlockedOnP1(replica, follower, elsewhere, release);
      Thread.sleep(100);   // five poll intervals
      assertEquals(1, replica.sequence(P2), "the follower is held up at P1");
      assertTrue(replica.awaitSequence(P2, 2, Duration.ofSeconds(20)), "awaitSequence brings P2's change meanwhile");
    } finally {
      release.countDown();
    }
    reader.join(30_000);
    await("P1's change once the read ended", () -> replica.sequence(P1) == 2);
  }

  /** Docs are silent on an interrupted caller of awaitSequence: it returns what was reached and keeps the interrupt. */
  @Test
  void anInterruptedAwaitSequenceReturnsAndKeepsTheInterrupt() {
    PostgresReplica replica = start(database);
    Thread.currentThread().interrupt();
    try {
      assertFalse(replica.awaitSequence(P1, 5, Duration.ofSeconds(20)));
      assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");
    } finally {
      Thread.interrupted();
    }
  }

  /**
   * PostgresReplica.close: "Stops following the database; reads go on answering from the state
   * reached." Here the follower is applying a change (waiting for a read of its project) when close
   * is called.
   */
  /** The sibling: close returns at once; the change under way is applied after it, then the follower ends. */
  @Test
  void closeDoesNotWaitForTheChangeTheFollowerIsApplying() throws Exception {
    PostgresCatalog elsewhere = open(Duration.ofMillis(20));
    elsewhere.add(backup(P1));
    elsewhere.add(backup(P2));
    Set<Thread> before = followers();
    PostgresReplica replica = start(database);
    Thread follower = startedFollower(before);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    Thread reader;
    try {
      reader = followerBlockedOnP1(replica, follower, elsewhere, release);
      replica.close();
      assertTrue(follower.isAlive(), "close returned with the follower still applying");
      // no replica.sequence(P1) here: a read of P1 that begins once the change has waited 10 ms waits
      // behind it (BackupCatalog.read), so behind the held read: on a loaded machine, until its timeout
    } finally {
      release.countDown();
    }
    reader.join(30_000);
    follower.join(30_000);
    assertFalse(follower.isAlive());
    assertEquals(2, replica.sequence(P1), "the change under way was applied after close");
    assertEquals(1, replica.sequence(P2), "nothing more");
  }

  // ====================================================================== the catalog closed, connections killed

  /**
   * Neither PostgresReplica nor PostgresCatalog.close says what closing the catalog does to a
   * replica following it. A user reads "a replica is at most a poll interval behind the database
   * (less when notifications wake it)" and expects the replica to go on as before.
   */
  /** The sibling: once its catalog is closed the replica is not woken; awaitSequence and catchUp still bring changes. */
  @Test
  void aReplicaWhoseCatalogIsClosedFollowsByPollingOnlyAndStillCatchesUpWhenAsked() throws Exception {
    PostgresCatalog hourly = open(Duration.ofHours(1));
    Set<Thread> before = followers();
    PostgresReplica replica = start(hourly);
    Thread follower = startedFollower(before);
    await("the follower waiting for its next poll", () -> follower.getState() == Thread.State.TIMED_WAITING);
    PostgresCatalog elsewhere = open(Duration.ofHours(1));
    hourly.close();
    elsewhere.add(backup(P2));
    Thread.sleep(150);
    assertEquals(0, replica.sequence(P2), "no wake-up: the next look is a poll interval (an hour) away");
    assertTrue(replica.awaitSequence(P2, 1, Duration.ofSeconds(20)));
    replica.add(backup(P2));
    assertEquals(2, replica.sequence(P2), "writes still go through and show at once");
    assertAgrees(elsewhere, replica, P2);
  }

  /** "a database connection lost and back": a follower's connection killed; it follows again, equal to the database. */
  @Test
  void aFollowersConnectionKilledMidwayFollowsAgain() {
    FailingDataSource failing = new FailingDataSource(store);
    PostgresCatalog killed = PostgresCatalog.builder(failing).clock(CLOCK).pollInterval(Duration.ofMillis(10)).build();
    opened.add(killed);
    killed.add(backup(P3));
    PostgresReplica replica = start(killed);
    PostgresCatalog elsewhere = open(Duration.ofMillis(20));
    for (int step = 1; step <= 3; step++) {
      failing.failAt(step);
      while (!failing.fired()) {   // the follower's statements, or these, meet the killed connection
        try {
          killed.sequence(P3);
        } catch (CatalogDatabaseException e) {
          assertTrue(e.isRetryable(), e.getMessage());
        }
      }
      elsewhere.add(backup(P3));
      long head = elsewhere.sequence(P3);
      await("the replica at " + head + " after a connection killed at step " + step, () -> replica.sequence(P3) == head);
    }
    failing.failAt(0);
    assertAgrees(elsewhere, replica, P3);
  }

  // ====================================================================== a change this version cannot read

  /**
   * An open replica that follows nothing by itself (its catalog closed, an hourly poll), a change
   * of {@code P1} made elsewhere and written in a form this version cannot read (as a newer version
   * writes it during a rolling upgrade); returns the mend.
   */
  private Runnable unreadableChangeOfP1(PostgresReplica[] out) {
    PostgresCatalog hourly = open(Duration.ofHours(1));
    hourly.add(backup(P1));
    Set<Thread> before = followers();
    PostgresReplica replica = start(hourly);
    Thread follower = startedFollower(before);
    await("the follower waiting for its next poll", () -> follower.getState() == Thread.State.TIMED_WAITING);
    hourly.close();   // no wake-ups: the follower looks again in an hour
    PostgresCatalog elsewhere = open(Duration.ofHours(1));
    Backup b = backup(P1);
    elsewhere.add(b);
    elsewhere.apply(P1, b.id(), b.version(), Transition.restore());   // change 3, a restore
    TestDatabase.execute(store, "UPDATE csbs_change SET transition = 'restore-v9' WHERE sequence = 3 AND project_id = '"
        + P1 + "'");
    assertThrows(IllegalStateException.class, () -> database.changes(P1, 2, 10), "the change cannot be read");
    out[0] = replica;
    return () -> TestDatabase.execute(store, "UPDATE csbs_change SET transition = 'restore' WHERE sequence = 3 AND project_id = '"
        + P1 + "'");
  }

  /**
   * PostgresReplica: "A write that committed returns, even if the database fails while the replica
   * reads it back ...; a write that throws is refused or failed as PostgresCatalog's does." Here the
   * read back meets an earlier change it cannot read.
   */
  @Test
  void aWriteThatCommittedReturnsThoughItsReadBackMeetsAnUnreadableChange() {
    PostgresReplica[] r = new PostgresReplica[1];
    Runnable mend = unreadableChangeOfP1(r);
    PostgresReplica replica = r[0];
    Backup mine = backup(P1);
    try {
      replica.add(mine);   // committed: the javadoc says it returns
      assertEquals(mine, database.get(P1, mine.id()));
      assertThrows(DuplicateBackupException.class, () -> replica.add(mine), "a retry is refused: it committed");
      assertThrows(IllegalStateException.class, () -> replica.catchUp(P1), "the change it cannot read, as documented");
      assertThrows(IllegalStateException.class, () -> replica.awaitSequence(P1, 4, Duration.ofSeconds(20)));
    } finally {
      mend.run();
    }
    assertTrue(replica.awaitSequence(P1, 4, Duration.ofSeconds(20)));
    assertEquals(mine, replica.get(P1, mine.id()));
  }

  // ====================================================================== concurrent writers, a database without the schema

  /** "then the replica catches up with the project before returning, so that the writer reads its own write": from several threads. */
  @Test
  void concurrentWritersThroughTheReplicaEachReadTheirOwnWrites() throws Exception {
    long seed = new Random().nextLong();
    PostgresReplica replica = start(database);
    PostgresCatalog elsewhere = open(Duration.ofMillis(20));
    List<String> projects = List.of(P1, P2, LONG);
    List<String> problems = new CopyOnWriteArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      int writer = t;
      Random random = new Random(seed + t);
      List<Backup> mine = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        synchronized (this) {
          mine.add(backup(projects.get(random.nextInt(projects.size())), "w" + writer + "-" + i));
        }
      }
      Thread thread = new Thread(() -> {
        try {
          for (Backup b : mine) {
            BackupCatalog through = random.nextInt(4) == 0 ? elsewhere : replica;   // some changes made elsewhere
            through.add(b);
            if (through == replica && !replica.find(b.projectId(), b.id()).equals(java.util.Optional.of(b))) {
              problems.add("add of " + b.id() + " not read back");
            }
            Backup next = replica.apply(b.projectId(), b.id(), b.version(), Transition.restore()).orElseThrow();
            if (!replica.find(b.projectId(), b.id()).equals(java.util.Optional.of(next))) {
              problems.add("restore of " + b.id() + " not read back: " + replica.find(b.projectId(), b.id()));
            }
          }
        } catch (RuntimeException | Error e) {
          problems.add(e.toString());
        }
      });
      thread.setDaemon(true);
      threads.add(thread);
    }
    threads.forEach(Thread::start);
    for (Thread thread : threads) {
      thread.join(30_000);
      assertFalse(thread.isAlive(), "a writer hangs (seed " + seed + ")");
    }
    assertEquals(List.of(), problems, "seed " + seed);
    for (String p : projects) {
      assertTrue(replica.awaitSequence(p, database.sequence(p), Duration.ofSeconds(20)));
      assertAgrees(database, replica, p);
    }
  }

  @Test
  void startOnADatabaseWithoutTheSchemaIsRefusedWithSchemaVersionException() {
    TestDatabase.execute(store, "CREATE SCHEMA IF NOT EXISTS csbs_nothing_33");
    org.postgresql.ds.PGSimpleDataSource empty = TestDatabase.plain();
    empty.setCurrentSchema("csbs_nothing_33");
    PostgresCatalog bare = PostgresCatalog.create(empty, CLOCK);
    opened.add(bare);
    assertThrows(SchemaVersionException.class, () -> PostgresReplica.start(bare));
  }

  // ====================================================================== a project met late, with a long feed

  /**
   * PostgresReplica.subscribe: "every change of the feed committed after the subscription, also in a
   * project the replica meets only then (one another instance loaded: the replica loads it as it was
   * before the feed's first change, then replays the feed)". Here the project, loaded elsewhere, has
   * 10,001 changes when the replica meets it. (No enabled sibling: 10,001 changes are too slow for
   * this class's time budget; the subscriber hears none of them.)
   */
  /** start: "loaded before this returns (each project from one snapshot)", while another instance writes. */
  @Test
  void aReplicaStartedWhileAnotherInstanceWritesIsLoadedFromOneSnapshotAndHasEverythingCommittedBefore() throws Exception {
    PostgresCatalog elsewhere = open(Duration.ofMillis(20));
    List<Backup> adds = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      adds.add(backup(P3, "during-" + i));
    }
    java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
    AtomicReference<Throwable> problem = new AtomicReference<>();
    Thread writer = new Thread(() -> {
      try {
        for (int i = 0; i < adds.size(); i++) {
          elsewhere.add(adds.get(i));
          if (i == 5) {
            started.countDown();
          }
        }
      } catch (RuntimeException | Error e) {
        problem.set(e);
        started.countDown();
      }
    });
    writer.setDaemon(true);
    writer.start();
    assertTrue(started.await(30, TimeUnit.SECONDS));
    long committedBefore = database.sequence(P3);
    PostgresReplica replica = start(database);
    long reached = replica.sequence(P3);
    long count = replica.count(P3, Predicates.all());
    assertTrue(reached >= committedBefore, "everything committed before start: " + reached + " < " + committedBefore);
    assertEquals(reached, count, "one snapshot: as many backups as adds up to its sequence");
    writer.join(30_000);
    assertEquals(null, problem.get());
    assertTrue(replica.awaitSequence(P3, 60, Duration.ofSeconds(20)));
    assertAgrees(database, replica, P3);
  }

  /**
   * README: "writes go to the database and are visible to the writer when the call returns". The
   * javadoc qualifies it (a write whose read-back fails returns and shows later); the README does not.
   */
  /** The sibling: the call returns, the write is not visible yet, and shows once the replica reaches the database. */
  @Test
  void aWriteWhoseDatabaseGoesAwayAfterItsCommitReturnsAndShowsLater() {
    PostgresCatalog hourly = open(Duration.ofHours(1));
    Set<Thread> before = followers();
    PostgresReplica replica = start(hourly);
    Thread follower = startedFollower(before);
    replica.add(backup(P2));
    Backup b = backup(P2);
    await("the follower waiting for its next poll", () -> follower.getState() == Thread.State.TIMED_WAITING);
    source.everyone.set(1);
    try {
      replica.add(b);
      assertEquals(java.util.Optional.empty(), replica.find(P2, b.id()), "not visible yet");
    } finally {
      source.everyone.set(-1);
    }
    assertEquals(b, database.get(P2, b.id()), "committed");
    assertTrue(replica.awaitSequence(P2, 2, Duration.ofSeconds(20)));
    assertEquals(b, replica.get(P2, b.id()));
  }

  // ====================================================================== awaitSequence from a subscriber

  /** A subscriber that, on change 1 of P1, awaits change 2, which another instance commits a moment later. */
  private Object[] awaitFromASubscriber() throws Exception {
    PostgresReplica replica = start(database);
    PostgresCatalog elsewhere = open(Duration.ofMillis(20));
    java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CompletableFuture<Object[]> answer = new java.util.concurrent.CompletableFuture<>();
    replica.subscribe(change -> {
      if (change.projectId().equals(P1) && change.sequence() == 1) {
        inside.countDown();
        long start = System.nanoTime();
        try {
          boolean reached = replica.awaitSequence(P1, 2, Duration.ofSeconds(10));
          answer.complete(new Object[] {reached, (System.nanoTime() - start) / 1_000_000});
        } catch (RuntimeException | Error e) {
          answer.completeExceptionally(e);
        }
      }
    });
    elsewhere.add(backup(P1));
    assertTrue(inside.await(30, TimeUnit.SECONDS));
    try {
      answer.get(500, TimeUnit.MILLISECONDS);   // a subscriber that waits as documented is still waiting
    } catch (java.util.concurrent.TimeoutException e) {
      // waiting: commit the change it waits for
    }
    elsewhere.add(backup(P1));   // change 2, committed a moment later
    Object[] got = answer.get(30, TimeUnit.SECONDS);
    assertTrue(replica.awaitSequence(P1, 2, Duration.ofSeconds(20)));
    return got;
  }

  /**
   * awaitSequence: "Waits until the replica has applied the project's change sequence ..., or until
   * timeout passes". ReplicaTest shows a subscriber may call it; here the change comes a moment later.
   */
  @Test
  void awaitSequenceFromASubscriberWaitsForAChangeCommittedAMomentLater() throws Exception {
    Object[] got = awaitFromASubscriber();
    assertEquals(true, got[0], "change 2, committed well within the 10 s timeout (returned after " + got[1] + " ms)");
  }

}
