package io.csbs.postgres;

import static io.csbs.postgres.NewUserPostgresTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.ErrorCode;
import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Change;
import io.csbs.catalog.DuplicateBackupException;
import io.csbs.catalog.Subscription;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaExceededException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A new user's review of csbs-postgres from its javadoc and the README's section "A durable, shared
 * catalog": every {@code {@code}} example of PostgresCatalog (and its builder), PostgresReplica,
 * Schema, SchemaVersionException, CatalogDatabaseException and the package, run with only the set-up
 * it leaves out, and the claims the earlier reviews (NewUserPostgresTest, NewUserPostgresTextTest) do
 * not test. Stores 40 to 49 only.
 */
class NewUserJavadocPostgresTest {
  private static final int STORE = 40;
  private static final int OTHER_STORE = 41;
  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00.654321Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final Server WEB = Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-ggao", "eu-de-02");

  private DataSource dataSource;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeEach
  void emptyStore() {
    dataSource = TestDatabase.dataSource(STORE);
    TestDatabase.truncate(dataSource);
    TestDatabase.truncate(TestDatabase.dataSource(OTHER_STORE));
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    toClose.clear();
  }

  private <T extends AutoCloseable> T closing(T closeable) {
    toClose.add(closeable);
    return closeable;
  }

  private PostgresCatalog pg(DataSource ds) {
    return closing(PostgresCatalog.builder(ds).clock(CLOCK).pollInterval(Duration.ofMillis(20)).build());
  }

  private static Backup backup(String project, String id, Instant created) {
    return backup(project, id, created, 1024);
  }

  private static Backup backup(String project, String id, Instant created, long sizeMb) {
    return Backup.builder().id(id).name("autobk_" + id).projectId(project).server(WEB)
        .status(BackupStatus.AVAILABLE).sizeMb(sizeMb).createdAt(created).build();
  }

  /** A schema of its own, without the csbs tables, on the test database. */
  private static PGSimpleDataSource rawSchema(String prefix) {
    String schema = prefix + "_" + System.nanoTime();
    TestDatabase.execute(TestDatabase.plain(), "CREATE SCHEMA " + schema);
    PGSimpleDataSource fresh = TestDatabase.plain();
    fresh.setCurrentSchema(schema + ",public");
    return fresh;
  }

  private static void drop(PGSimpleDataSource ds) {
    String schema = ds.getCurrentSchema().split(",")[0];
    TestDatabase.execute(TestDatabase.plain(), "DROP SCHEMA " + schema + " CASCADE");
  }

  // ====================================================================== examples

  // package-info and PostgresCatalog's class javadoc: migrate, create, start, add, query.
  @Test
  void thePackageAndClassExamplesRunAsWritten() {
    Schema.migrate(dataSource);
    PostgresCatalog database = closing(PostgresCatalog.create(dataSource, Clock.systemUTC()));
    PostgresReplica catalog = closing(PostgresReplica.start(database));
    Backup backup = backup("project-1", "7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12",
        Instant.now().truncatedTo(ChronoUnit.MICROS).minus(Duration.ofDays(1)));

    database.add(backup);
    Page page = database.query("project-1", Query.where(Predicates.status(BackupStatus.AVAILABLE)));
    assertEquals(List.of(backup.id()), page.ids());
    assertEquals(1, page.total());
    // the replica sees a change made through the database by its feed
    assertTrue(catalog.awaitSequence("project-1", 1, Duration.ofSeconds(5)));
    assertEquals(backup, catalog.get("project-1", backup.id()));
  }

  // PostgresReplica's class javadoc: "replica.apply(...) // written to the database, then applied here;
  // replica.query(...) // answered from memory, sees the change".
  @Test
  void theReplicaExampleRunsAsWritten() {
    PostgresCatalog database = closing(PostgresCatalog.create(dataSource, CLOCK));
    database.add(backup("project-1", "b1", NOW.minusSeconds(3600)));
    String id = "b1";
    long version = 1;
    Query query = Query.where(Predicates.status(BackupStatus.DELETING));
    PostgresReplica kept;
    try (PostgresReplica replica = PostgresReplica.start(database)) {
      kept = replica;
      replica.apply("project-1", id, version, Transition.delete());
      Page page = replica.query("project-1", query);
      assertEquals(List.of("b1"), page.ids());
    }
    assertEquals(BackupStatus.DELETING, database.get("project-1", "b1").status());
    // "A replica that stopped is not resumed: start a new one, which loads the database's current state."
    database.add(backup("project-1", "b2", NOW.minusSeconds(60)));
    try (PostgresReplica fresh = PostgresReplica.start(database)) {
      assertEquals(2, fresh.count("project-1", Predicates.all()));
      assertEquals(database.sequence("project-1"), fresh.sequence("project-1"));
    }
    // "Stops following the database; reads go on answering from the state reached."
    assertEquals(1, kept.count("project-1", Predicates.all()));
  }

  // PostgresCatalog.Builder's example, every option: the stall rule judges the stalled criterion, the
  // clock anchors relative windows and dates changes.
  @Test
  void theBuilderExampleRunsAndItsStallRuleAndClockAreUsed() {
    Clock clock = CLOCK;
    PostgresCatalog catalog = closing(PostgresCatalog.builder(dataSource)
        .clock(clock)                                        // default: Clock.systemUTC()
        .stallRule(StallRule.ofThreshold(Duration.ofMinutes(10)))  // default: StallRule.DEFAULT
        .pollInterval(Duration.ofMillis(100))                // default: 250 ms
        .build());
    Instant progressed = NOW.minus(Duration.ofMinutes(15));
    catalog.add(Backup.builder().id("running").name("running").projectId("p").server(WEB)
        .status(BackupStatus.CREATING).sizeMb(10).createdAt(NOW.minus(Duration.ofHours(1)))
        .progress(Progress.of(20, progressed)).updatedAt(progressed).build());
    Instant exactly = NOW.minus(Duration.ofMinutes(10));
    catalog.add(Backup.builder().id("edge").name("edge").projectId("p").server(WEB)
        .status(BackupStatus.CREATING).sizeMb(10).createdAt(NOW.minus(Duration.ofHours(1)))
        .progress(Progress.of(20, exactly)).updatedAt(exactly).build());
    catalog.add(backup("p", "old", NOW.minus(Duration.ofDays(2))));
    // 15 minutes without progress: stalled under 10 minutes, not under the default 30; at exactly the
    // threshold it is not yet (StallRule)
    assertEquals(List.of("running"), catalog.query("p", Query.where(Predicates.stalled())).ids());
    PostgresCatalog defaults = closing(PostgresCatalog.create(dataSource, clock));
    assertEquals(0, defaults.count("p", Predicates.stalled()));
    // the clock anchors relative windows: the last day at the clock's instant
    assertEquals(2, catalog.count("p", Predicates.createdWithinLast(Duration.ofDays(1))));
    PostgresCatalog later = closing(PostgresCatalog.create(dataSource, Clock.fixed(NOW.plus(Duration.ofDays(3)), ZoneOffset.UTC)));
    assertEquals(0, later.count("p", Predicates.createdWithinLast(Duration.ofDays(1))));
    // and dates changes, cut to the microsecond
    Backup deleting = catalog.apply("p", "old", 1, Transition.delete()).orElseThrow();
    assertEquals(NOW, deleting.updatedAt());
  }

  // The builder: "every option is optional"; clock "Clock.systemUTC() by default".
  @Test
  void aBuilderWithNoOptionDatesChangesByTheSystemClock() {
    PostgresCatalog catalog = closing(PostgresCatalog.builder(dataSource).build());
    Instant before = Instant.now().truncatedTo(ChronoUnit.MICROS);
    catalog.add(backup("p", "a", before.minusSeconds(60)));
    Backup deleting = catalog.apply("p", "a", 1, Transition.delete()).orElseThrow();
    Instant after = Instant.now();
    Instant at = deleting.updatedAt();
    assertFalse(at.isBefore(before), at + " before " + before);
    assertFalse(at.isAfter(after), at + " after " + after);
    assertEquals(0, at.getNano() % 1000, "cut to the microsecond: " + at);
  }

  // Builder.build: "it checks the schema version on first use, not here"; SchemaVersionException's
  // example ("e.databaseVersion(); // 0: the schema was never created") and its advice: migrate, then
  // the catalog works.
  @Test
  void aCatalogBuiltBeforeTheSchemaIsRefusedThenWorksOnceMigrated() {
    PGSimpleDataSource fresh = rawSchema("h29e_raw");
    try {
      PostgresCatalog catalog = pg(fresh);   // no exception here
      try {
        catalog.count("project-1", Predicates.all());
        throw new AssertionError("a database without the schema was read");
      } catch (SchemaVersionException e) {
        assertEquals(0, e.databaseVersion());   // 0: the schema was never created
        assertEquals(Schema.CURRENT_VERSION, e.libraryVersion());
        assertTrue(e.getMessage().contains("Schema.migrate"), e.getMessage());
      }
      assertThrows(SchemaVersionException.class, () -> catalog.add(backup("project-1", "a", NOW.minusSeconds(5))));
      assertEquals(0, Schema.version(fresh), "nothing was written");
      assertEquals(0, Schema.migrate(fresh));
      catalog.add(backup("project-1", "a", NOW.minusSeconds(5)));
      assertEquals(1, catalog.count("project-1", Predicates.all()));
    } finally {
      drop(fresh);
    }
  }

  // SchemaVersionException: "an older one (call Schema.migrate to upgrade) ... Nothing was read or
  // written"; a catalog at version 1 writes nothing into the old tables.
  @Test
  void aDatabaseAtAnOlderVersionIsNeitherReadNorWritten() {
    PGSimpleDataSource v1 = rawSchema("h29e_v1");
    try {
      TestDatabase.execute(v1, "CREATE TABLE csbs_schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
      TestDatabase.execute(v1, Schema.script(1));
      TestDatabase.execute(v1, "INSERT INTO csbs_schema_version (version) VALUES (1)");
      PostgresCatalog catalog = pg(v1);
      SchemaVersionException e = assertThrows(SchemaVersionException.class,
          () -> catalog.add(backup("project-1", "a", NOW.minusSeconds(5))));
      assertEquals(1, e.databaseVersion());
      assertTrue(e.getMessage().contains("migrate"), e.getMessage());
      assertThrows(SchemaVersionException.class, () -> catalog.setQuota("project-1", Quota.of(5, 5)));
      assertEquals(1, Schema.migrate(v1));
      assertEquals(0, catalog.count("project-1", Predicates.all()));
      assertEquals(0, catalog.sequence("project-1"));
      assertEquals(Quota.NONE, catalog.quotaUsage("project-1").quota());
    } finally {
      drop(v1);
    }
  }

  // Schema's example: migrate "does nothing on a database already there" (returns the version before);
  // script(1) "the DDL of version 1"; script "1 to CURRENT_VERSION".
  @Test
  void theSchemaExampleRunsAndMigratingAgainChangesNothing() {
    PostgresCatalog catalog = pg(dataSource);
    catalog.add(backup("project-1", "a", NOW.minusSeconds(5)));
    assertEquals(Schema.CURRENT_VERSION, Schema.migrate(dataSource));      // creates the tables, or upgrades them
    assertEquals(Schema.CURRENT_VERSION, Schema.version(dataSource));
    assertEquals(1, catalog.count("project-1", Predicates.all()));
    assertEquals(1, catalog.sequence("project-1"));
    String ddl = Schema.script(1);
    assertTrue(ddl.contains("csbs_change"), "the feed table is csbs_change");
    assertTrue(ddl.toUpperCase(java.util.Locale.ROOT).contains("CREATE TABLE"));
    for (int v = 1; v <= Schema.CURRENT_VERSION; v++) {
      assertFalse(Schema.script(v).isBlank(), "version " + v);
    }
    assertThrows(IllegalArgumentException.class, () -> Schema.script(-1));
    assertThrows(IllegalArgumentException.class, () -> Schema.script(Integer.MAX_VALUE));
  }

  // SchemaVersionException's public constructor and accessors; "Not retryable"; its code.
  @Test
  void aSchemaVersionExceptionSaysBothVersionsAndIsNotRetryable() {
    SchemaVersionException newer = new SchemaVersionException(7, 2);
    assertEquals(7, newer.databaseVersion());
    assertEquals(2, newer.libraryVersion());
    assertFalse(newer.isRetryable());
    assertEquals(ErrorCode.SCHEMA_VERSION_MISMATCH, newer.code());
    assertTrue(newer.getMessage().contains("7") && newer.getMessage().contains("2"), newer.getMessage());
    assertTrue(newer instanceof CatalogDatabaseException);
    SchemaVersionException older = new SchemaVersionException(1, 2);
    assertTrue(older.getMessage().contains("migrate"), older.getMessage());
  }

  // CatalogDatabaseException(what, cause): "@throws NullPointerException if what or cause is null";
  // isRetryable's list of states; "the message says what the catalog was doing"; "the cause is the
  // driver's SQLException with its SQLState".
  @Test
  void catalogDatabaseExceptionClassifiesEveryDocumentedState() {
    Map<String, Boolean> states = new java.util.LinkedHashMap<>();
    for (String s : List.of("08000", "08003", "08006", "08P01", "40001", "40P01", "57014", "57P01", "57P02", "57P03", "53300")) {
      states.put(s, true);
    }
    for (String s : List.of("23505", "22001", "42P01", "57P04", "53200", "40002", "25006")) {
      states.put(s, false);
    }
    for (Map.Entry<String, Boolean> state : states.entrySet()) {
      SQLException cause = new SQLException("invented", state.getKey());
      CatalogDatabaseException e = new CatalogDatabaseException("count the backups of project-1", cause);
      assertEquals(state.getValue(), e.isRetryable(), state.getKey());
      assertEquals(state.getKey(), e.sqlState());
      assertSame(cause, e.getCause());
      assertEquals(ErrorCode.DATABASE_FAILURE, e.code());
      assertTrue(e.getMessage().contains("count the backups of project-1"), e.getMessage());
    }
    CatalogDatabaseException none = new CatalogDatabaseException("read", new SQLException("no state"));
    assertEquals(null, none.sqlState());
    assertFalse(none.isRetryable());
    assertThrows(NullPointerException.class, () -> new CatalogDatabaseException(null, new SQLException("x", "08006")));
    assertThrows(NullPointerException.class, () -> new CatalogDatabaseException("read", null));
  }

  // CatalogDatabaseException's example and its claim: "if the failed attempt did commit (the connection
  // broke during the commit, so the answer was lost), the retry is refused with a VersionConflictException
  // or a DuplicateBackupException, and reading the backup tells where it stands"; README: "a lost
  // connection loses nothing committed".
  @Test
  void aCommitWhoseAnswerWasLostIsRefusedOnRetryAndKept() {
    LosingCommits losing = new LosingCommits(dataSource);
    PostgresCatalog catalog = pg(losing);
    Backup a = backup("project-1", "a", NOW.minusSeconds(60));
    losing.loseNextCommit.set(true);
    CatalogDatabaseException lostAdd = assertThrows(CatalogDatabaseException.class, () -> catalog.add(a));
    assertTrue(lostAdd.isRetryable(), lostAdd.getMessage());
    assertThrows(DuplicateBackupException.class, () -> catalog.add(a));
    assertEquals(a, catalog.get("project-1", "a"));

    String id = "a";
    long version = 1;
    losing.loseNextCommit.set(true);
    try {
      catalog.apply("project-1", id, version, Transition.delete());
      throw new AssertionError("the lost commit was not reported");
    } catch (CatalogDatabaseException e) {
      if (e.isRetryable()) {
        // back off, read the backup again, and retry on its current version
        assertThrows(VersionConflictException.class, () -> catalog.apply("project-1", id, version, Transition.delete()));
        Backup now = catalog.get("project-1", id);
        assertEquals(BackupStatus.DELETING, now.status());
        assertEquals(2, now.version());
      } else {
        throw new AssertionError("a lost connection is retryable: " + e.getMessage());
      }
    }
    List<Change> feed = catalog.changes("project-1", 0, 100);
    assertEquals(List.of(1L, 2L), feed.stream().map(Change::sequence).toList());
  }

  // CatalogDatabaseException's example: a transient failure, then the retry on the current version works.
  @Test
  void aTransientFailureIsRetriedOnTheCurrentVersion() {
    LosingCommits flaky = new LosingCommits(dataSource);
    PostgresCatalog catalog = pg(flaky);
    catalog.add(backup("project-1", "a", NOW.minusSeconds(60)));
    flaky.refuseNextConnection.set(true);
    CatalogDatabaseException e = assertThrows(CatalogDatabaseException.class,
        () -> catalog.apply("project-1", "a", 1, Transition.delete()));
    assertTrue(e.isRetryable());
    assertEquals("08006", e.sqlState());
    assertEquals(BackupStatus.AVAILABLE, catalog.get("project-1", "a").status(), "nothing half-written");
    Backup current = catalog.get("project-1", "a");
    catalog.apply("project-1", "a", current.version(), Transition.delete());
    assertEquals(BackupStatus.DELETING, catalog.get("project-1", "a").status());
    assertEquals(2, catalog.sequence("project-1"));
  }

  // PostgresCatalog.changes's example (a consumer that pulls), its limits and "empty when there are none
  // after afterSequence".
  @Test
  void theChangesExamplePullsTheFeedInOrder() {
    PostgresCatalog catalog = pg(dataSource);
    for (int i = 1; i <= 5; i++) {
      catalog.add(backup("project-1", "b" + i, NOW.minusSeconds(i)));
    }
    catalog.apply("project-1", "b1", 1, Transition.delete());
    PullingStore store = new PullingStore();
    store.last.put("project-1", 2L);   // it had handled two before
    long handled = store.lastSequence("project-1");      // kept by the consumer with what it wrote
    for (Change change : catalog.changes("project-1", handled, 500)) {
      store.apply(change);                               // then remembers change.sequence()
    }
    assertEquals(List.of(3L, 4L, 5L, 6L), store.seen);
    assertEquals(6L, store.lastSequence("project-1"));
    assertEquals(List.of(), catalog.changes("project-1", 6, 500));
    assertEquals(List.of(), catalog.changes("project-1", 600, 1));
    assertEquals(List.of(1L), catalog.changes("project-1", 0, 1).stream().map(Change::sequence).toList());
    Change last = catalog.changes("project-1", 5, 10_000).get(0);
    assertEquals("b1", last.backupId());
    assertEquals(Optional.of(Transition.delete()), last.transition());
    assertEquals(List.of(), catalog.changes("project-2", 0, 10));
  }

  /** A store that keeps what it handled: the consumer of the feed's examples. */
  static final class PullingStore {
    final Map<String, Long> last = new ConcurrentHashMap<>();
    final List<Long> seen = new CopyOnWriteArrayList<>();

    long lastSequence(String project) {
      return last.getOrDefault(project, 0L);
    }

    Map<String, Long> lastSequences() {
      return new HashMap<>(last);
    }

    void apply(Change change) {
      if (change.sequence() <= lastSequence(change.projectId())) {
        return;   // at least once: ignore a sequence already handled
      }
      seen.add(change.sequence());
      last.put(change.projectId(), change.sequence());
    }
  }

  // subscribe(Map, Consumer)'s example and README: "a consumer that keeps another store in step resumes
  // where it stopped, even after a crash".
  @Test
  void theResumingSubscriptionExampleLosesNothingAcrossACrash() {
    PostgresCatalog catalog = pg(dataSource);
    PullingStore store = new PullingStore();
    catalog.add(backup("project-1", "a", NOW.minusSeconds(9)));
    catalog.add(backup("project-2", "a", NOW.minusSeconds(9)));
    Map<String, Long> handled = store.lastSequences();   // persisted with what the consumer wrote
    Subscription s = catalog.subscribe(handled, change -> store.apply(change));
    await(() -> store.lastSequence("project-1") == 1 && store.lastSequence("project-2") == 1, "first changes");
    s.cancel();   // the consumer stops ("crashes")
    catalog.add(backup("project-1", "b", NOW.minusSeconds(8)));
    catalog.apply("project-2", "a", 1, Transition.delete());
    catalog.add(backup("project-3", "c", NOW.minusSeconds(8)));
    PostgresCatalog restarted = pg(dataSource);   // another instance, as after a restart
    Subscription again = restarted.subscribe(store.lastSequences(), change -> store.apply(change));
    await(() -> store.lastSequence("project-1") == 2 && store.lastSequence("project-2") == 2
        && store.lastSequence("project-3") == 1, "the changes made while the consumer was down");
    again.cancel();
    assertEquals(Map.of("project-1", 2L, "project-2", 2L, "project-3", 1L), store.last);
  }

  // subscribe(Map, Consumer): "A subscriber that throws is logged and gets the same change again after a
  // pause ...; other projects go on meanwhile."
  @Test
  void aSubscriberThatKeepsRefusingOneProjectDoesNotHoldUpTheOthers() {
    PostgresCatalog catalog = pg(dataSource);
    AtomicInteger attempts = new AtomicInteger();
    List<String> delivered = new CopyOnWriteArrayList<>();
    Subscription s = closingSubscription(catalog.subscribe(Map.of(), change -> {
      if (change.projectId().equals("stuck")) {
        attempts.incrementAndGet();
        throw new IllegalStateException("the consumer cannot handle this project yet (invented)");
      }
      delivered.add(change.projectId() + "#" + change.sequence());
    }));
    catalog.add(backup("stuck", "a", NOW.minusSeconds(9)));
    catalog.add(backup("fine", "a", NOW.minusSeconds(9)));
    catalog.add(backup("fine", "b", NOW.minusSeconds(8)));
    await(() -> delivered.size() == 2, "the other project's changes while one keeps failing");
    assertEquals(List.of("fine#1", "fine#2"), delivered);
    await(() -> attempts.get() >= 2, "the refused change again");
    s.cancel();
  }

  private Subscription closingSubscription(Subscription subscription) {
    toClose.add(subscription::cancel);
    return subscription;
  }

  // subscribe: "one change at a time, on a thread of the subscription", "in order within each project".
  @Test
  void aSubscriberGetsOneChangeAtATimeInOrderWithinEachProject() throws Exception {
    PostgresCatalog catalog = pg(dataSource);
    AtomicInteger inside = new AtomicInteger();
    AtomicBoolean overlapped = new AtomicBoolean();
    Map<String, List<Long>> seen = new ConcurrentHashMap<>();
    AtomicInteger total = new AtomicInteger();
    closingSubscription(catalog.subscribe(change -> {
      if (inside.incrementAndGet() > 1) {
        overlapped.set(true);
      }
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      seen.computeIfAbsent(change.projectId(), p -> new CopyOnWriteArrayList<>()).add(change.sequence());
      total.incrementAndGet();
      inside.decrementAndGet();
    }));
    List<Thread> writers = new ArrayList<>();
    for (int p = 0; p < 3; p++) {
      String project = "project-" + p;
      PostgresCatalog instance = pg(dataSource);
      writers.add(new Thread(() -> {
        for (int i = 0; i < 8; i++) {
          instance.add(backup(project, "b" + i, NOW.minusSeconds(i)));
        }
      }));
    }
    writers.forEach(Thread::start);
    for (Thread w : writers) {
      w.join();
    }
    await(() -> total.get() >= 24, "24 changes");
    assertFalse(overlapped.get(), "two changes were delivered at once");
    for (int p = 0; p < 3; p++) {
      List<Long> got = seen.get("project-" + p);
      List<Long> distinct = got.stream().distinct().toList();
      assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), distinct, "project-" + p + ": " + got);
    }
  }

  // Change: "1, 2, 3, ... without gaps"; README: "numbered per project without gaps, written by the
  // transaction that commits the change": a refused change takes no number and writes no row.
  @Test
  void refusedChangesTakeNoSequenceAndLeaveTheFeedWithoutGaps() {
    PostgresCatalog catalog = pg(dataSource);
    PostgresCatalog other = pg(dataSource);
    catalog.setQuota("project-1", Quota.of(2, Quota.UNLIMITED));
    catalog.add(backup("project-1", "a", NOW.minusSeconds(9)));
    assertThrows(VersionConflictException.class, () -> other.apply("project-1", "a", 2, Transition.delete()));
    assertThrows(DuplicateBackupException.class, () -> other.add(backup("project-1", "a", NOW.minusSeconds(9))));
    catalog.apply("project-1", "a", 1, Transition.restore());
    assertThrows(IllegalTransitionException.class, () -> other.apply("project-1", "a", 2, Transition.delete()));
    catalog.add(backup("project-1", "b", NOW.minusSeconds(9)));
    assertThrows(QuotaExceededException.class, () -> other.addAll(List.of(backup("project-1", "c", NOW.minusSeconds(9)))));
    assertThrows(DuplicateBackupException.class, () -> other.addAll(List.of(backup("project-1", "d", NOW.minusSeconds(9)),
        backup("project-1", "d", NOW.minusSeconds(8)))));
    other.apply("project-1", "a", 2, Transition.complete());
    List<Long> sequences = catalog.changes("project-1", 0, 100).stream().map(Change::sequence).toList();
    assertEquals(List.of(1L, 2L, 3L, 4L), sequences);
    assertEquals(4, other.sequence("project-1"));
    assertEquals(2, catalog.count("project-1", Predicates.all()));
    assertEquals(2, catalog.quotaUsage("project-1").backupsUsed());
  }

  // PostgresCatalog: "The catalog holds no connection between calls".
  @Test
  void theCatalogHoldsNoConnectionBetweenCalls() {
    Counting counting = new Counting(dataSource);
    PostgresCatalog catalog = pg(counting);
    catalog.add(backup("project-1", "a", NOW.minusSeconds(9)));
    assertEquals(0, counting.open.get(), "after add");
    catalog.query("project-1", Query.all());
    catalog.read("project-1", view -> view.count(Predicates.all()));
    catalog.changes("project-1", 0, 10);
    catalog.apply("project-1", "a", 1, Transition.delete());
    assertThrows(VersionConflictException.class, () -> catalog.apply("project-1", "a", 1, Transition.delete()));
    assertEquals(0, counting.open.get(), "after reads, a change and a refusal");
    // a read whose reads throw: the same exception, and its transaction's connection given back
    IllegalArgumentException mine = new IllegalArgumentException("the caller's own failure (invented)");
    assertSame(mine, assertThrows(IllegalArgumentException.class, () -> catalog.read("project-1", view -> {
      view.count(Predicates.all());
      throw mine;
    })));
    // BackupCatalog.read: "Inside reads the calling thread may read the same project (through the view or
    // the catalog)": a read inside a read of the same project answers from the same state
    assertEquals(List.of(1L, 1L), catalog.read("project-1", view -> List.of(view.count(Predicates.all()),
        catalog.read("project-1", inner -> inner.count(Predicates.all())))));
    assertEquals(0, counting.open.get(), "after a read that threw and a nested read");
    assertTrue(counting.opened.get() >= 6, "the calls went through the data source: " + counting.opened.get());
  }

  // PostgresCatalog: "Close it to stop its feed threads"; README: "a restart loses nothing".
  @Test
  void aClosedCatalogDeliversNothingMoreAndARestartLosesNothing() throws Exception {
    PostgresCatalog first = pg(dataSource);
    List<Change> heard = new CopyOnWriteArrayList<>();
    first.subscribe(heard::add);
    first.add(backup("project-1", "a", NOW.minusSeconds(9)));
    await(() -> heard.size() == 1, "the first change");
    first.close();
    PostgresCatalog second = pg(dataSource);
    second.add(backup("project-1", "b", NOW.minusSeconds(9)));
    second.apply("project-1", "a", 1, Transition.delete());
    Thread.sleep(300);
    assertEquals(1, heard.size(), "a closed catalog's subscriber heard " + heard);
    PostgresCatalog third = pg(dataSource);
    assertEquals(3, third.sequence("project-1"));
    assertEquals(BackupStatus.DELETING, third.get("project-1", "a").status());
    assertEquals(backup("project-1", "b", NOW.minusSeconds(9)), third.get("project-1", "b"));
  }

  // README: "every instance of a service shares one truth"; "no update is lost": a change based on a
  // version another instance already changed is refused; a quota set by one instance binds another,
  // and its replica.
  @Test
  void twoInstancesShareVersionsAndQuotas() {
    PostgresCatalog one = pg(dataSource);
    PostgresCatalog two = pg(dataSource);
    PostgresReplica replicaOfTwo = closing(PostgresReplica.start(two));
    one.add(backup("project-1", "a", NOW.minusSeconds(9), 2048));
    Backup readByTwo = two.get("project-1", "a");
    one.apply("project-1", "a", 1, Transition.restore());
    VersionConflictException conflict = assertThrows(VersionConflictException.class,
        () -> two.apply("project-1", "a", readByTwo.version(), Transition.delete()));
    assertNotNull(conflict.getMessage());
    assertEquals(BackupStatus.RESTORING, one.get("project-1", "a").status());
    assertEquals(2, one.sequence("project-1"));

    one.setQuota("project-1", Quota.of(2, 3));   // 2 backups, 3 GB
    assertEquals(Quota.of(2, 3), two.quotaUsage("project-1").quota());
    assertThrows(QuotaExceededException.class, () -> two.add(backup("project-1", "big", NOW.minusSeconds(9), 2048)));
    assertThrows(QuotaExceededException.class, () -> replicaOfTwo.add(backup("project-1", "big", NOW.minusSeconds(9), 2048)));
    replicaOfTwo.add(backup("project-1", "small", NOW.minusSeconds(9), 1024));
    assertThrows(QuotaExceededException.class, () -> one.add(backup("project-1", "third", NOW.minusSeconds(9), 1)));
    assertEquals(2, one.count("project-1", Predicates.all()));
    assertEquals(3, two.sequence("project-1"));
  }

  // PostgresReplica.awaitSequence's example: "after a change made elsewhere".
  @Test
  void theAwaitSequenceExampleSeesAChangeMadeElsewhere() {
    PostgresCatalog database = closing(PostgresCatalog.builder(dataSource).clock(CLOCK).pollInterval(Duration.ofHours(1)).build());
    PostgresReplica replica = closing(PostgresReplica.start(database));
    PostgresCatalog elsewhere = pg(dataSource);
    elsewhere.add(backup("project-1", "a", NOW.minusSeconds(9)));
    elsewhere.apply("project-1", "a", 1, Transition.delete());
    long written = database.sequence("project-1");         // after a change made elsewhere
    assertEquals(2, written);
    assertTrue(replica.awaitSequence("project-1", written, Duration.ofSeconds(1)));
    assertEquals(2, replica.sequence("project-1"));
    assertEquals(BackupStatus.DELETING, replica.get("project-1", "a").status());
    assertTrue(replica.awaitSequence("project-1", 1, Duration.ZERO), "a sequence already reached");
  }

  // PostgresReplica.catchUp: "Applies every change the database has committed for the project so far,
  // and its quota. @return the project's sequence the replica reached".
  @Test
  void catchUpAppliesChangesAndTheQuotaSetElsewhere() {
    PostgresCatalog database = closing(PostgresCatalog.builder(dataSource).clock(CLOCK).pollInterval(Duration.ofHours(1)).build());
    PostgresReplica replica = closing(PostgresReplica.start(database));
    PostgresCatalog elsewhere = pg(dataSource);
    elsewhere.add(backup("project-1", "a", NOW.minusSeconds(9)));
    elsewhere.add(backup("project-1", "b", NOW.minusSeconds(8)));
    elsewhere.setQuota("project-1", Quota.of(10, 20));
    assertEquals(2, replica.catchUp("project-1"));
    assertEquals(2, replica.count("project-1", Predicates.all()));
    assertEquals(Quota.of(10, 20), replica.quotaUsage("project-1").quota());
    assertEquals(0, replica.catchUp("project-none"));
  }

  // PostgresReplica.subscribe: "Delivers the changes the replica applies, in order within each project,
  // numbered by the database" - its own writes and those made elsewhere.
  @Test
  void aReplicasSubscriberHearsEveryChangeNumberedByTheDatabase() {
    PostgresCatalog database = pg(dataSource);
    PostgresReplica replica = closing(PostgresReplica.start(database));
    List<String> heard = new CopyOnWriteArrayList<>();
    closingSubscription(replica.subscribe(change -> heard.add(change.projectId() + "#" + change.sequence() + " " + change.backupId())));
    PostgresCatalog elsewhere = pg(dataSource);
    replica.add(backup("project-1", "mine", NOW.minusSeconds(9)));
    elsewhere.add(backup("project-1", "theirs", NOW.minusSeconds(9)));
    replica.apply("project-1", "mine", 1, Transition.delete());
    await(() -> heard.size() >= 3, "three changes");
    assertEquals(List.of("project-1#1 mine", "project-1#2 theirs", "project-1#3 mine"), heard);
    assertEquals(3, database.changes("project-1", 0, 10).size());
  }

  // PostgresCatalog: "A refused change rolls back whole": a batch refused by the quota of its second
  // project leaves the first project as it was too.
  @Test
  void aRefusedBatchAcrossProjectsLeavesTheDatabaseAsItWas() {
    PostgresCatalog catalog = pg(dataSource);
    catalog.add(backup("project-1", "a", NOW.minusSeconds(9)));
    catalog.setQuota("project-2", Quota.of(1, Quota.UNLIMITED));
    assertThrows(QuotaExceededException.class, () -> catalog.addAll(List.of(
        backup("project-1", "b", NOW.minusSeconds(9)),
        backup("project-2", "x", NOW.minusSeconds(9)),
        backup("project-2", "y", NOW.minusSeconds(9)))));
    assertEquals(1, catalog.count("project-1", Predicates.all()));
    assertEquals(0, catalog.count("project-2", Predicates.all()));
    assertEquals(1, catalog.sequence("project-1"));
    assertEquals(0, catalog.sequence("project-2"));
    assertEquals(1, catalog.changes("project-1", 0, 10).size());
    assertEquals(1, catalog.quotaUsage("project-1").backupsUsed());
    assertEquals(1024, catalog.quotaUsage("project-1").sizeMbUsed());
    assertEquals(1, catalog.countAllProjects(Predicates.all()));
    // a batch whose last backup has text PostgreSQL cannot hold: refused naming the field, nothing added
    InvalidValueException text = assertThrows(InvalidValueException.class, () -> catalog.addAll(List.of(
        backup("project-3", "fine", NOW.minusSeconds(9)),
        backup("project-1", "odd", NOW.minusSeconds(9)).toBuilder().name("half \uD800").build())));
    assertEquals("name", text.field());
    assertEquals(1, catalog.countAllProjects(Predicates.all()));
    assertEquals(0, catalog.sequence("project-3"));
    assertEquals(List.of(), catalog.changes("project-1", 1, 10));
    assertEquals(List.of(), catalog.changes("project-1", Long.MAX_VALUE, 10_000));
  }

  // Backup's, BackupDetails's, VmMetadata's, FailCode's and Failure's examples, every field at its
  // largest, stored and read back exactly: by the database, its feed, and a replica that loads it.
  @Test
  void aBackupWithEveryFieldAtItsLimitsRoundTripsThroughDatabaseFeedAndReplica() {
    PostgresCatalog database = pg(dataSource);
    String supplementary = "\uD801\uDC00".repeat(32);   // 64 chars, 32 letters outside the BMP
    Backup backup = Backup.builder()
        .id("7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12")
        .name("autobk_a61d")
        .projectId("project-1")
        .server(Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-ggao", "eu-de-02"))
        .status(BackupStatus.AVAILABLE)
        .trigger(io.csbs.backup.BackupTrigger.AUTOMATIC)
        .policyId("policy-daily")
        .sizeMb(Backup.MAX_SIZE_MB)
        .createdAt(Instant.parse("2018-08-14T07:53:15.663766Z"))
        .finishedAt(Instant.parse("2018-08-14T08:31:08.720800Z"))
        .addTags(io.csbs.backup.Tag.of("env", "prod"))
        .details(io.csbs.backup.BackupDetails.builder()
            .checkpointId("f672a1bb-6912-446a-816c-72792c5263e0")
            .vm(io.csbs.backup.VmMetadata.builder().regionName(supplementary).cloudServiceType("ßerver-İ")
                .diskGb(Integer.MAX_VALUE).imageType("").ramMb(Integer.MAX_VALUE).vcpus(Integer.MAX_VALUE)
                .eip("2001:db8::1").privateIp("192.168.0.12").build())
            .incremental(true)
            .spaceSavingRatio(100)
            .averageSpeedKbps(Long.MAX_VALUE)
            .restoreMode(io.csbs.backup.RestoreMode.SNAPSHOT)
            .copyStatus(io.csbs.backup.CopyStatus.WAITING_COPY)
            .failCode(new io.csbs.backup.FailCode(Long.MIN_VALUE, "The disk is detached. \u00e9\uD83D\uDE00 'quoted' \\ %_"))
            .build())
        .version(Long.MAX_VALUE)
        .build();
    Backup failed = Backup.builder().id("e").name("e").projectId("project-1").server(WEB)
        .status(BackupStatus.ERROR).sizeMb(0).createdAt(Instant.parse("-4712-01-01T00:00:00Z"))
        .updatedAt(Instant.parse("+294276-12-31T23:59:59.999999Z"))
        .failure(io.csbs.backup.Failure.of(io.csbs.backup.JobType.RESTORE,
            "\uD83D\uDCA5".repeat(512), Instant.parse("+294276-12-31T23:59:59.999999Z")))
        .build();
    database.add(backup);
    database.add(failed);
    assertEquals(backup, database.get("project-1", backup.id()));
    assertEquals(failed, database.get("project-1", "e"));
    List<Change> feed = database.changes("project-1", 0, 10);
    assertEquals(Optional.of(backup), feed.get(0).after());
    assertEquals(Optional.of(failed), feed.get(1).after());
    PostgresReplica replica = closing(PostgresReplica.start(database));
    assertEquals(backup, replica.get("project-1", backup.id()));
    assertEquals(failed, replica.get("project-1", "e"));
    assertEquals(Backup.MAX_SIZE_MB + 0, database.quotaUsage("project-1").sizeMbUsed());
  }

  // README: "a backup ... with text PostgreSQL cannot hold (a NUL char, half a surrogate pair), is refused
  // with an InvalidValueException naming the field". The texts of the details (checkpoint id, VM
  // metadata, fail_code description) are not refused: they are kept exactly (in a binary column), by the
  // database, its feed and a replica. Nothing in the docs says which texts are refused and which kept.
  @Test
  void detailsWithNulOrHalfASurrogatePairAreKeptExactly() {
    PostgresCatalog database = pg(dataSource);
    Backup base = backup("project-1", "d", NOW.minusSeconds(60));
    List<io.csbs.backup.BackupDetails> cases = List.of(
        io.csbs.backup.BackupDetails.builder().failCode(new io.csbs.backup.FailCode(64003, "disk\0detached")).build(),
        io.csbs.backup.BackupDetails.builder().failCode(new io.csbs.backup.FailCode(64003, "disk \uD800")).build(),
        io.csbs.backup.BackupDetails.builder().checkpointId("cp\0\uDC00").build(),
        io.csbs.backup.BackupDetails.builder().vm(io.csbs.backup.VmMetadata.builder().regionName("eu\0de")
            .imageType("gold\uDFFF").eip("\0").privateIp("\uD83D").cloudServiceType("server\0").build()).build());
    PostgresReplica replica = closing(PostgresReplica.start(database));
    for (int i = 0; i < cases.size(); i++) {
      Backup b = base.toBuilder().id("d" + i).details(cases.get(i)).build();
      database.add(b);
      assertEquals(b, database.get("project-1", b.id()));
      assertEquals(Optional.of(b), database.changes("project-1", i, 1).get(0).after());
      assertTrue(replica.awaitSequence("project-1", i + 1, Duration.ofSeconds(5)));
      assertEquals(b, replica.get("project-1", b.id()));
    }
    // the texts the docs speak of are refused, naming the field
    assertEquals("description", assertThrows(InvalidValueException.class,
        () -> database.add(base.toBuilder().id("x").description("a\0").build())).field());
  }

  // README: "a backup with a finer ... time ... is refused with an InvalidValueException naming the
  // field": the times the earlier reviews did not try (finished at, the failure's time, a change's
  // failure time from fail()).
  @Test
  void finerTimesOfEveryFieldAreRefusedNamingTheField() {
    PostgresCatalog database = pg(dataSource);
    List<String> wrong = new ArrayList<>();
    Instant fine = NOW.minusSeconds(5).plusNanos(1);
    Map<String, Backup> cases = new java.util.LinkedHashMap<>();
    cases.put("finished at", backup("project-1", "a", NOW.minusSeconds(60)).toBuilder().finishedAt(fine).build());
    cases.put("failed at", Backup.builder().id("a").name("a").projectId("project-1").server(WEB)
        .status(BackupStatus.ERROR).sizeMb(1).createdAt(NOW.minusSeconds(60)).updatedAt(NOW.minusSeconds(5))
        .failure(io.csbs.backup.Failure.of(io.csbs.backup.JobType.BACKUP, "x", fine)).build());
    cases.put("finished at, late", backup("project-1", "a", NOW.minusSeconds(60)).toBuilder()
        .finishedAt(Instant.parse("+294277-01-01T00:00:00Z")).build());
    cases.put("failed at, late", Backup.builder().id("a").name("a").projectId("project-1").server(WEB)
        .status(BackupStatus.ERROR).sizeMb(1).createdAt(NOW.minusSeconds(60)).updatedAt(NOW.minusSeconds(5))
        .failure(io.csbs.backup.Failure.of(io.csbs.backup.JobType.BACKUP, "x", Instant.parse("+294277-01-01T00:00:00Z"))).build());
    for (Map.Entry<String, Backup> c : cases.entrySet()) {
      try {
        database.add(c.getValue());
        wrong.add(c.getKey() + ": accepted, read back as " + database.get("project-1", "a"));
        TestDatabase.truncate(dataSource);
      } catch (InvalidValueException refused) {
        if (refused.field() == null || refused.field().isBlank()) {
          wrong.add(c.getKey() + ": refused naming no field");
        }
      } catch (RuntimeException other) {
        wrong.add(c.getKey() + ": " + other);
      }
    }
    assertEquals(List.of(), wrong);
  }

  private static Backup running(String project, String id, Instant progressAt) {
    return Backup.builder().id(id).name(id).projectId(project).server(WEB).status(BackupStatus.CREATING).sizeMb(10)
        .createdAt(progressAt.minus(Duration.ofHours(1))).progress(Progress.of(20, progressAt)).updatedAt(progressAt).build();
  }

  // PostgresReplica: "Reads answer from memory, like Catalogs#indexed", of the catalog it follows: the
  // stalled criterion under the database's stall rule, relative windows at the database's clock.
  @Test
  void aReplicaJudgesStalledJobsAndWindowsAsItsDatabaseDoes() {
    PostgresCatalog database = closing(PostgresCatalog.builder(dataSource).clock(CLOCK)
        .stallRule(StallRule.ofThreshold(Duration.ofMinutes(10))).pollInterval(Duration.ofMillis(20)).build());
    database.add(running("p", "quiet-15min", NOW.minus(Duration.ofMinutes(15))));
    database.add(running("p", "quiet-5min", NOW.minus(Duration.ofMinutes(5))));
    database.add(backup("p", "two-days", NOW.minus(Duration.ofDays(2))));
    PostgresReplica replica = closing(PostgresReplica.start(database));
    assertEquals(List.of("quiet-15min"), database.query("p", Query.where(Predicates.stalled())).ids());
    assertEquals(List.of("quiet-15min"), replica.query("p", Query.where(Predicates.stalled())).ids());
    assertEquals(2, database.count("p", Predicates.createdWithinLast(Duration.ofDays(1))));
    assertEquals(2, replica.count("p", Predicates.createdWithinLast(Duration.ofDays(1))));
  }

  // PostgresReplica: "never shows half of a change". A batch made elsewhere is one transaction in the
  // database (no read of the database sees part of it), but the replica applies it change by change:
  // its readers see part of the batch (counts such as 269 of 300 were seen), a state the database never
  // had. Each state seen is whole changes (its count is its sequence), which is what the doc promises;
  // that an addAll is several changes, shown one by one, is what a user must be told.
  @Test
  void aReplicaShowsABatchMadeElsewhereChangeByChange() throws Exception {
    PostgresCatalog database = pg(dataSource);
    PostgresReplica replica = closing(PostgresReplica.start(database));
    PostgresCatalog elsewhere = pg(dataSource);
    List<Backup> batch = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      batch.add(backup("p", String.format("b%03d", i), NOW.minusSeconds(i)));
    }
    List<String> torn = new CopyOnWriteArrayList<>();
    java.util.Set<Long> seen = ConcurrentHashMap.newKeySet();
    AtomicBoolean stop = new AtomicBoolean();
    Thread reader = new Thread(() -> {
      while (!stop.get()) {
        replica.read("p", view -> {
          long count = view.count(Predicates.all());
          long total = view.query(Query.all()).total();
          long sequence = view.sequence();
          seen.add(count);
          if (count != sequence || total != count) {
            torn.add("count " + count + ", total " + total + ", sequence " + sequence);
          }
          return null;
        });
      }
    });
    reader.start();
    elsewhere.addAll(batch);
    assertTrue(replica.awaitSequence("p", 300, Duration.ofSeconds(10)));
    Thread.sleep(20);
    stop.set(true);
    reader.join();
    assertEquals(List.of(), torn);
    assertTrue(seen.stream().allMatch(n -> n >= 0 && n <= 300), "counts seen: " + seen);
    assertEquals(300, replica.count("p", Predicates.all()));
  }

  // PostgresReplica: "at most a poll interval behind the database (less when notifications wake it)";
  // README: "LISTEN/NOTIFY only wakes readers early": with an hour between polls, a change made by
  // another instance still arrives early.
  @Test
  void aReplicaThatPollsHourlyIsWokenByAnotherInstancesChange() {
    PostgresCatalog database = closing(PostgresCatalog.builder(dataSource).clock(CLOCK).pollInterval(Duration.ofHours(1)).build());
    PostgresReplica replica = closing(PostgresReplica.start(database));
    List<Change> heard = new CopyOnWriteArrayList<>();
    closingSubscription(database.subscribe(heard::add));
    PostgresCatalog elsewhere = closing(PostgresCatalog.builder(dataSource).clock(CLOCK).pollInterval(Duration.ofHours(1)).build());
    elsewhere.add(backup("p", "a", NOW.minusSeconds(9)));
    await(() -> replica.find("p", "a").isPresent(), "the replica woken by the notification");
    await(() -> heard.size() == 1, "the subscriber woken by the notification");
  }

  // PostgresReplica: "Writes go to the database": quotas, snapshots and replays too.
  @Test
  void aReplicasQuotaLoadAndReplayGoToTheDatabase() {
    PostgresCatalog database = pg(dataSource);
    PostgresReplica replica = closing(PostgresReplica.start(database));
    replica.setQuota("p", Quota.of(5, 10));
    assertEquals(Quota.of(5, 10), database.quotaUsage("p").quota());
    assertEquals(Quota.of(5, 10), replica.quotaUsage("p").quota());
    Backup loaded = backup("q", "l", NOW.minusSeconds(60)).toBuilder().version(7).build();
    replica.load(new io.csbs.catalog.ProjectSnapshot("q", 41, Quota.NONE, List.of(loaded)));
    assertEquals(loaded, database.get("q", "l"));
    assertEquals(41, database.sequence("q"));
    assertEquals(41, replica.sequence("q"));
    assertEquals(loaded, replica.get("q", "l"));
    Backup changed = loaded.toBuilder().version(8).name("renamed").build();
    assertTrue(replica.replay(new Change(42, "q", "l", Optional.of(loaded), Optional.of(changed), Optional.empty())));
    assertEquals(changed, database.get("q", "l"));
    assertEquals(changed, replica.get("q", "l"));
    assertFalse(replica.replay(new Change(42, "q", "l", Optional.of(loaded), Optional.of(changed), Optional.empty())));
    assertEquals(42, database.sequence("q"));
  }

  // BackupCatalog.sequence: "an apply that changes nothing (the same progress again) does not" raise
  // the sequence; PostgresCatalog writes no change for it, and a replica delivers none.
  @Test
  void theSameProgressAgainIsNoChange() {
    PostgresCatalog database = pg(dataSource);
    PostgresReplica replica = closing(PostgresReplica.start(database));
    database.add(running("p", "r", NOW.minusSeconds(30)));
    Backup at40 = database.apply("p", "r", 1, Transition.reportProgress(40)).orElseThrow();
    assertEquals(2, database.sequence("p"));
    database.apply("p", "r", at40.version(), Transition.reportProgress(40));
    assertEquals(2, database.sequence("p"));
    assertEquals(2, database.changes("p", 0, 10).size());
    assertEquals(at40, database.get("p", "r"));
    replica.apply("p", "r", at40.version(), Transition.reportProgress(40));
    assertEquals(2, replica.sequence("p"));
    assertEquals(at40, replica.get("p", "r"));
  }

  // BackupCatalog.read: "Inside reads the calling thread may read the same project ... but not change any
  // project, nor read another project ... refuses both with an IllegalStateException" - on a replica.
  @Test
  void aReplicasReadIsOneStateAndRefusesChangesAndOtherProjects() {
    PostgresCatalog database = pg(dataSource);
    PostgresReplica replica = closing(PostgresReplica.start(database));
    replica.add(backup("p", "a", NOW.minusSeconds(9)));
    replica.add(backup("p2", "a", NOW.minusSeconds(9)));
    assertEquals(List.of(1L, 1L, 1L), replica.read("p", view -> List.of(view.count(Predicates.all()),
        replica.count("p", Predicates.all()), view.sequence())));
    assertThrows(IllegalStateException.class, () -> replica.read("p", view -> replica.count("p2", Predicates.all())));
    assertThrows(IllegalStateException.class, () -> replica.read("p", view -> {
      replica.add(backup("p", "b", NOW.minusSeconds(9)));
      return null;
    }));
    assertEquals(1, database.count("p", Predicates.all()));
    assertEquals(1, database.sequence("p"));
    assertEquals(1, replica.stats("p").backups());
  }

  /** The store's schema through a plain, unpooled data source, with extra server options. */
  private static PGSimpleDataSource plainStore(String options) {
    PGSimpleDataSource plain = TestDatabase.plain();
    plain.setCurrentSchema("csbs_test_" + STORE + ",public");
    if (options != null) {
      plain.setOptions(options);
    }
    return plain;
  }

  // CatalogDatabaseException: "a statement times out or is cancelled ... isRetryable ... a cancelled or
  // timed-out statement (57014)"; "Nothing is ever half-written"; the retry then succeeds.
  @Test
  void aStatementTimeoutIsARetryableFailureThatWritesNothing() throws Exception {
    PostgresCatalog catalog = pg(dataSource);
    catalog.add(backup("p", "a", NOW.minusSeconds(9)));
    PostgresCatalog impatient = pg(plainStore("-c statement_timeout=300"));
    try (Connection blocker = dataSource.getConnection()) {
      blocker.setAutoCommit(false);
      try (java.sql.Statement st = blocker.createStatement()) {
        st.execute("LOCK TABLE csbs_project IN ACCESS EXCLUSIVE MODE");
      }
      CatalogDatabaseException e = assertThrows(CatalogDatabaseException.class,
          () -> impatient.apply("p", "a", 1, Transition.delete()));
      assertEquals("57014", e.sqlState(), e.getMessage());
      assertTrue(e.isRetryable());
      blocker.rollback();
    }
    assertEquals(BackupStatus.AVAILABLE, catalog.get("p", "a").status());
    assertEquals(1, catalog.sequence("p"));
    impatient.apply("p", "a", 1, Transition.delete());
    assertEquals(BackupStatus.DELETING, catalog.get("p", "a").status());
    assertEquals(2, catalog.changes("p", 0, 10).size());
  }

  // CatalogDatabaseException: "the server shuts down" / "a lost or refused connection": a connection
  // ended by the server in the middle of a change is a retryable failure, and nothing is half-written.
  @Test
  void aConnectionEndedByTheServerMidChangeIsRetryableAndWritesNothing() throws Exception {
    PostgresCatalog catalog = pg(dataSource);
    catalog.add(backup("p", "a", NOW.minusSeconds(9)));
    PGSimpleDataSource victimSource = plainStore(null);
    victimSource.setApplicationName("h29e_victim");
    PostgresCatalog victim = pg(victimSource);
    try (Connection blocker = dataSource.getConnection()) {
      blocker.setAutoCommit(false);
      try (java.sql.Statement st = blocker.createStatement()) {
        st.execute("LOCK TABLE csbs_project IN ACCESS EXCLUSIVE MODE");
      }
      java.util.concurrent.CompletableFuture<Object> attempt = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          victim.add(backup("p", "b", NOW.minusSeconds(9)));
          return "added";
        } catch (RuntimeException e) {
          return e;
        }
      });
      await(() -> {
        try (Connection c = TestDatabase.plain().getConnection(); java.sql.Statement st = c.createStatement();
            java.sql.ResultSet rows = st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'h29e_victim' AND wait_event_type = 'Lock'")) {
          rows.next();
          return rows.getLong(1) > 0;
        } catch (SQLException e) {
          throw new AssertionError(e);
        }
      }, "the change waiting for the lock");
      TestDatabase.execute(TestDatabase.plain(),
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'h29e_victim'");
      Object outcome = attempt.get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertTrue(outcome instanceof CatalogDatabaseException, String.valueOf(outcome));
      CatalogDatabaseException e = (CatalogDatabaseException) outcome;
      assertTrue(e.isRetryable(), e.sqlState() + ": " + e.getMessage());
      blocker.rollback();
    }
    assertEquals(1, catalog.count("p", Predicates.all()));
    assertEquals(1, catalog.sequence("p"));
    victim.add(backup("p", "b", NOW.minusSeconds(9)));
    assertEquals(2, catalog.sequence("p"));
  }

  // PostgresReplica: "a replica is at most a poll interval behind the database": a quota set by another
  // instance reaches it too (quotaUsage answers from memory), without catchUp.
  @Test
  void aQuotaSetElsewhereReachesTheReplica() {
    PostgresCatalog database = pg(dataSource);
    PostgresReplica replica = closing(PostgresReplica.start(database));
    PostgresCatalog elsewhere = pg(dataSource);
    elsewhere.add(backup("p", "a", NOW.minusSeconds(9)));
    assertTrue(replica.awaitSequence("p", 1, Duration.ofSeconds(5)));
    elsewhere.setQuota("p", Quota.of(3, 4));
    await(() -> replica.quotaUsage("p").quota().equals(Quota.of(3, 4)), "the quota set elsewhere on the replica");
    elsewhere.setQuota("fresh", Quota.of(1, 1));
    await(() -> replica.quotaUsage("fresh").quota().equals(Quota.of(1, 1)), "the quota of a project with no backup");
    elsewhere.setQuota("p", Quota.of(9, 9));
    elsewhere.setQuota("p", Quota.NONE);   // "Quota.NONE removes them"
    elsewhere.add(backup("p", "b", NOW.minusSeconds(9)));
    assertTrue(replica.awaitSequence("p", 2, Duration.ofSeconds(5)));
    await(() -> replica.quotaUsage("p").quota().equals(Quota.NONE), "the quota removed elsewhere");
  }

  // PostgresCatalog.changes: "Changes before a project's loaded snapshot are not in the feed";
  // subscribe(Map, ...): "a project it does not name is delivered from its first change".
  @Test
  void aProjectLoadedFromASnapshotFeedsOnlyItsLaterChanges() {
    PostgresCatalog database = pg(dataSource);
    Backup loaded = backup("q", "l", NOW.minusSeconds(60));
    database.load(new io.csbs.catalog.ProjectSnapshot("q", 41, Quota.NONE, List.of(loaded)));
    assertEquals(List.of(), database.changes("q", 0, 10));
    assertEquals(41, database.sequence("q"));
    database.apply("q", "l", 1, Transition.delete());
    assertEquals(List.of(42L), database.changes("q", 0, 10).stream().map(Change::sequence).toList());
    List<Long> heard = new CopyOnWriteArrayList<>();
    closingSubscription(database.subscribe(Map.of(), change -> heard.add(change.sequence())));
    await(() -> heard.size() >= 1, "the first change after the snapshot");
    assertEquals(List.of(42L), heard);
    PostgresReplica replica = closing(PostgresReplica.start(database));
    assertEquals(BackupStatus.DELETING, replica.get("q", "l").status());
    assertEquals(42, replica.sequence("q"));
  }

  // PostgresReplica.start: "@throws CatalogDatabaseException if the database cannot be read" - one
  // without the schema (SchemaVersionException is one).
  @Test
  void aReplicaOfADatabaseWithoutTheSchemaIsRefused() {
    PGSimpleDataSource fresh = rawSchema("h29e_noschema");
    try {
      PostgresCatalog database = pg(fresh);
      CatalogDatabaseException e = assertThrows(CatalogDatabaseException.class, () -> PostgresReplica.start(database));
      assertTrue(e instanceof SchemaVersionException, e.toString());
      PGSimpleDataSource nowhere = new PGSimpleDataSource();
      nowhere.setURL("jdbc:postgresql://127.0.0.1:1/none?connectTimeout=2");
      CatalogDatabaseException lost = assertThrows(CatalogDatabaseException.class, () -> PostgresReplica.start(pg(nowhere)));
      assertTrue(lost.isRetryable());
    } finally {
      drop(fresh);
    }
  }

  // PostgresCatalog: "A page and its total come from one statement, hence one snapshot": while another
  // instance adds and removes, every page that holds all matches has as many ids as its total.
  @Test
  void aPageAndItsTotalAgreeWhileWritersGoOn() throws Exception {
    PostgresCatalog database = pg(dataSource);
    PostgresCatalog writer = pg(dataSource);
    for (int i = 0; i < 20; i++) {
      database.add(backup("p", "base" + i, NOW.minusSeconds(100 + i)));
    }
    AtomicBoolean stop = new AtomicBoolean();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    Thread churn = new Thread(() -> {
      int i = 0;
      while (!stop.get()) {
        try {
          String id = "churn" + i++;
          writer.add(backup("p", id, NOW.minusSeconds(i % 50)));
          writer.remove("p", id, 1);
        } catch (Throwable t) {
          failures.add(t);
          return;
        }
      }
    });
    churn.start();
    List<String> torn = new ArrayList<>();
    try {
      for (int n = 0; n < 150; n++) {
        Page page = database.query("p", Query.builder().limit(1000).build());
        if (page.ids().size() != page.total()) {
          torn.add(page.ids().size() + " ids, total " + page.total());
        }
      }
    } finally {
      stop.set(true);
      churn.join();
    }
    assertEquals(List.of(), failures);
    assertEquals(List.of(), torn);
  }

  // A closed replica: "Stops following the database; reads go on answering from the state reached".
  // What a write through it does is not said; it still goes to the database and is read back (the
  // class javadoc: "Writes go to the database ...; then the replica catches up with the project").
  @Test
  void aWriteThroughAClosedReplicaStillGoesToTheDatabase() {
    PostgresCatalog database = pg(dataSource);
    PostgresReplica replica = PostgresReplica.start(database);
    replica.close();
    Object outcome;
    try {
      replica.add(backup("p", "after-close", NOW.minusSeconds(9)));
      outcome = "written; replica sees it: " + replica.find("p", "after-close").isPresent();
    } catch (RuntimeException e) {
      outcome = e;
    }
    assertEquals("written; replica sees it: true", String.valueOf(outcome));
    assertEquals(1, database.sequence("p"));
  }

  // PostgresCatalog: "an id, project id or marker of that kind [NUL, half a surrogate pair] given to a
  // read or a change of a stored backup finds nothing, as any id no backup has", "as is such a project id
  // given to setQuota, load or replay" refused naming the field - through the feed and a replica too.
  @Test
  void projectIdsPostgresqlCannotHoldFindNothingEverywhere() {
    PostgresCatalog database = pg(dataSource);
    PostgresReplica replica = closing(PostgresReplica.start(database));
    database.add(backup("p", "a", NOW.minusSeconds(9)));
    List<String> wrong = new ArrayList<>();
    for (String odd : List.of("p\0", "p\uD800", "\uDC00")) {
      Map<String, java.util.function.Supplier<Object>> reads = new java.util.LinkedHashMap<>();
      reads.put("changes", () -> database.changes(odd, 0, 10).isEmpty());
      reads.put("sequence", () -> database.sequence(odd) == 0);
      reads.put("tagCatalogue", () -> database.tagCatalogue(odd).equals(database.tagCatalogue("nobody")));
      reads.put("usage", () -> database.usage(odd, io.csbs.usage.UsageQuery.firstServers(5)).equals(
          database.usage("nobody", io.csbs.usage.UsageQuery.firstServers(5))));
      reads.put("quotaUsage", () -> database.quotaUsage(odd).equals(database.quotaUsage("nobody")));
      reads.put("read", () -> database.read(odd, view -> view.count(Predicates.all())) == 0);
      reads.put("query", () -> database.query(odd, Query.all()).total() == 0);
      reads.put("updateTags", () -> {
        try {
          database.updateTags(odd, "a", 1, io.csbs.backup.TagUpdate.create(io.csbs.backup.Tag.of("k", "v")));
          return false;
        } catch (io.csbs.catalog.BackupNotFoundException e) {
          return true;
        }
      });
      reads.put("replica awaitSequence", () -> !replica.awaitSequence(odd, 1, Duration.ofMillis(50)));
      reads.put("replica catchUp", () -> replica.catchUp(odd) == 0);
      reads.put("replica sequence", () -> replica.sequence(odd) == 0);
      reads.put("subscribe", () -> {
        Subscription s = database.subscribe(Map.of(odd, 0L), change -> { });
        s.cancel();
        return true;
      });
      reads.put("setQuota", () -> {
        try {
          database.setQuota(odd, Quota.of(1, 1));
          return false;
        } catch (InvalidValueException e) {
          return "project id".equals(e.field());
        }
      });
      reads.put("replica setQuota", () -> {
        try {
          replica.setQuota(odd, Quota.of(1, 1));
          return false;
        } catch (InvalidValueException e) {
          return "project id".equals(e.field());
        }
      });
      for (Map.Entry<String, java.util.function.Supplier<Object>> read : reads.entrySet()) {
        try {
          Object answer = read.getValue().get();
          if (!Boolean.TRUE.equals(answer)) {
            wrong.add(read.getKey() + "(" + odd.codePoints().mapToObj(Integer::toHexString).toList() + "): " + answer);
          }
        } catch (RuntimeException e) {
          wrong.add(read.getKey() + "(" + odd.codePoints().mapToObj(Integer::toHexString).toList() + "): " + e);
        }
      }
    }
    assertEquals(List.of(), wrong);
    assertEquals(1, database.sequence("p"));
    assertEquals(Quota.NONE, database.quotaUsage("p").quota());
  }

  // Schema.migrate: "Each version is applied in one transaction: a failure leaves the database at the
  // previous version"; "@throws CatalogDatabaseException if a statement fails".
  @Test
  void aFailedUpgradeLeavesTheDatabaseAtThePreviousVersion() {
    PGSimpleDataSource v1 = rawSchema("h29e_failing_v2");
    try {
      TestDatabase.execute(v1, "CREATE TABLE csbs_schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
      TestDatabase.execute(v1, Schema.script(1));
      TestDatabase.execute(v1, "INSERT INTO csbs_schema_version (version) VALUES (1)");
      // a column of version 2's name, made by hand: version 2's script cannot add it
      TestDatabase.execute(v1, "ALTER TABLE csbs_backup ADD COLUMN details text");
      CatalogDatabaseException e = assertThrows(CatalogDatabaseException.class, () -> Schema.migrate(v1));
      assertFalse(e instanceof SchemaVersionException);
      assertNotNull(e.sqlState());
      assertFalse(e.isRetryable(), e.getMessage());
      assertEquals(1, Schema.version(v1));
      // the failed version left nothing behind: its other column is not there
      try (Connection c = v1.getConnection(); java.sql.Statement st = c.createStatement();
          java.sql.ResultSet rows = st.executeQuery("SELECT count(*) FROM information_schema.columns "
              + "WHERE table_schema = current_schema() AND table_name = 'csbs_backup' AND column_name = 'api_status'")) {
        rows.next();
        assertEquals(0, rows.getLong(1));
      } catch (SQLException sql) {
        throw new AssertionError(sql);
      }
      TestDatabase.execute(v1, "ALTER TABLE csbs_backup DROP COLUMN details");
      assertEquals(1, Schema.migrate(v1));
      assertEquals(Schema.CURRENT_VERSION, Schema.version(v1));
    } finally {
      drop(v1);
    }
  }

  // PostgresReplica: a project loaded from a snapshot by another instance, then changed there, holds
  // the state (this passes).
  @Test
  void aReplicaFollowsAProjectLoadedElsewhereAndChangedThere() {
    PostgresCatalog database = pg(dataSource);
    PostgresReplica replica = closing(PostgresReplica.start(database));
    PostgresCatalog elsewhere = pg(dataSource);
    Backup one = backup("q", "one", NOW.minusSeconds(60));
    Backup two = backup("q", "two", NOW.minusSeconds(50));
    elsewhere.load(new io.csbs.catalog.ProjectSnapshot("q", 41, Quota.of(10, 10), List.of(one, two)));
    elsewhere.apply("q", "one", 1, Transition.delete());
    assertTrue(replica.awaitSequence("q", 42, Duration.ofSeconds(5)));
    assertEquals(2, replica.count("q", Predicates.all()));
    assertEquals(BackupStatus.DELETING, replica.get("q", "one").status());
    assertEquals(two, replica.get("q", "two"));
    assertEquals(Quota.of(10, 10), replica.quotaUsage("q").quota());
  }

  // PostgresReplica.subscribe: "Delivers the changes the replica applies, in order within each project,
  // numbered by the database"; BackupCatalog.subscribe: "Delivers every change committed from now on";
  // BackupCatalog.load: "Subscribers are not told (a snapshot is where a feed starts)" - the snapshot
  // at 41, not change 42 committed after it. When the replica first looks at the project after change
  // 42 (here: its database's connections held back meanwhile; in production: within one poll, or
  // while it is busy), it loads the project's current state, change 42 included, and its subscribers
  // never hear of change 42.
  @Test
  void aReplicasSubscriberHearsTheFirstChangeAfterASnapshotLoadedElsewhere() {
    Gate gate = new Gate(dataSource);
    PostgresCatalog database = pg(gate);
    PostgresReplica replica = closing(PostgresReplica.start(database));
    List<String> heard = new CopyOnWriteArrayList<>();
    closingSubscription(replica.subscribe(change -> heard.add(change.projectId() + "#" + change.sequence())));
    PostgresCatalog elsewhere = pg(dataSource);
    gate.close();   // the replica's database is slow for a moment
    elsewhere.load(new io.csbs.catalog.ProjectSnapshot("q", 41, Quota.NONE, List.of(backup("q", "one", NOW.minusSeconds(60)))));
    elsewhere.apply("q", "one", 1, Transition.delete());
    elsewhere.add(backup("p", "fresh", NOW.minusSeconds(9)));   // a project whose feed starts at 1
    gate.open();
    assertTrue(replica.awaitSequence("q", 42, Duration.ofSeconds(5)));
    assertTrue(replica.awaitSequence("p", 1, Duration.ofSeconds(5)));
    await(() -> heard.contains("p#1"), "change p#1 on the replica's subscriber");
    await(() -> heard.contains("q#42"), "change q#42 on the replica's subscriber");
  }

  // The same for a project loaded elsewhere at sequence 0 with backups, then changed several times
  // (a transition, a removal, an add) before the replica meets it: the replica rolls the project back
  // to the load and replays the three changes, which its subscriber hears in order.
  @Test
  void aReplicasSubscriberHearsEveryChangeAfterALoadAtSequenceZeroElsewhere() {
    Gate gate = new Gate(dataSource);
    PostgresReplica replica = closing(PostgresReplica.start(pg(gate)));
    List<String> heard = new CopyOnWriteArrayList<>();
    closingSubscription(replica.subscribe(change -> heard.add(change.projectId() + "#" + change.sequence())));
    PostgresCatalog elsewhere = pg(dataSource);
    gate.close();
    elsewhere.load(new io.csbs.catalog.ProjectSnapshot("r", 0, Quota.NONE,
        List.of(backup("r", "a", NOW.minusSeconds(60)), backup("r", "b", NOW.minusSeconds(50)))));
    elsewhere.apply("r", "a", 1, Transition.restore());
    elsewhere.remove("r", "b", 1);
    elsewhere.add(backup("r", "c", NOW.minusSeconds(40)));
    gate.open();
    assertTrue(replica.awaitSequence("r", 3, Duration.ofSeconds(5)));
    await(() -> heard.contains("r#3"), "change r#3 on the replica's subscriber");
    assertEquals(List.of("r#1", "r#2", "r#3"), heard.stream().filter(h -> h.startsWith("r#")).collect(Collectors.toList()));
    Query all = Query.builder().sort(io.csbs.query.Sort.parse("id:asc")).build();
    assertEquals(elsewhere.query("r", all).backups(), replica.query("r", all).backups());
  }

  // PostgresReplica: "A change made elsewhere (another instance, another replica) arrives by the feed":
  // two replicas of two instances each read the other's writes after awaitSequence; a version conflict
  // from the other replica's write.
  @Test
  void twoReplicasOfTwoInstancesSeeEachOthersWrites() {
    PostgresReplica left = closing(PostgresReplica.start(pg(dataSource)));
    PostgresReplica right = closing(PostgresReplica.start(pg(dataSource)));
    left.add(backup("p", "a", NOW.minusSeconds(9)));
    assertTrue(right.awaitSequence("p", 1, Duration.ofSeconds(5)));
    right.apply("p", "a", 1, Transition.restore());
    assertThrows(VersionConflictException.class, () -> left.apply("p", "a", 1, Transition.delete()));
    // the refusal came from the database; the writer's replica then holds the current version
    assertTrue(left.awaitSequence("p", 2, Duration.ofSeconds(5)));
    assertEquals(BackupStatus.RESTORING, left.get("p", "a").status());
    assertEquals(2, left.get("p", "a").version());
    assertEquals(left.get("p", "a"), right.get("p", "a"));
  }

  // PostgresReplica.awaitSequence: "Waits until the replica has applied the project's change sequence
  // ..., or until timeout passes"; "@param timeout how long to wait at most". While another session
  // holds a lock on the catalog's tables (a DBA's ALTER TABLE, a VACUUM FULL, a long migration), the
  // catch-up awaitSequence runs on the caller's thread waits for the lock, past the timeout.
  @Test
  void awaitSequenceWaitsAtMostItsTimeoutWhileATableIsLocked() throws Exception {
    PostgresCatalog database = pg(dataSource);
    PostgresReplica replica = closing(PostgresReplica.start(database));
    database.add(backup("p", "a", NOW.minusSeconds(9)));
    java.util.concurrent.CompletableFuture<Boolean> waiting;
    Boolean reached;
    long millis;
    try (Connection blocker = dataSource.getConnection()) {
      blocker.setAutoCommit(false);
      try (java.sql.Statement st = blocker.createStatement()) {
        st.execute("LOCK TABLE csbs_project IN ACCESS EXCLUSIVE MODE");
      }
      long start = System.nanoTime();
      waiting = java.util.concurrent.CompletableFuture.supplyAsync(
          () -> replica.awaitSequence("p", 5, Duration.ofMillis(200)));
      try {
        reached = waiting.get(3, java.util.concurrent.TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        reached = null;
      }
      millis = (System.nanoTime() - start) / 1_000_000;
      blocker.rollback();
    }
    assertEquals(Boolean.FALSE, reached, "awaitSequence with a 200 ms timeout still waiting after " + millis + " ms");
  }

  // PostgresReplica.awaitSequence: "@return whether the replica reached sequence"; no exception is
  // documented. While its database refuses connections it throws the CatalogDatabaseException of the
  // catch-up it runs (catchUp does not document one either).
  @Test
  void awaitSequenceAndCatchUpThrowWhileTheDatabaseIsDown() {
    LosingCommits flaky = new LosingCommits(dataSource);
    PostgresCatalog database = pg(flaky);
    PostgresReplica replica = closing(PostgresReplica.start(database));
    replica.add(backup("p", "a", NOW.minusSeconds(9)));
    flaky.down.set(true);
    try {
      CatalogDatabaseException e = assertThrows(CatalogDatabaseException.class,
          () -> replica.awaitSequence("p", 5, Duration.ofMillis(100)));
      assertTrue(e.isRetryable());
      assertThrows(CatalogDatabaseException.class, () -> replica.catchUp("p"));
      assertEquals(1, replica.count("p", Predicates.all()), "reads go on from memory");
    } finally {
      flaky.down.set(false);
    }
  }

  // PostgresCatalog.subscribe(Consumer): "Delivers every change committed from now on": a project loaded
  // from a snapshot by another instance later is delivered from its first change after the snapshot.
  @Test
  void aSubscriberFromNowOnHearsAProjectLoadedLater() {
    PostgresCatalog database = pg(dataSource);
    List<String> heard = new CopyOnWriteArrayList<>();
    closingSubscription(database.subscribe(change -> heard.add(change.projectId() + "#" + change.sequence())));
    PostgresCatalog elsewhere = pg(dataSource);
    elsewhere.load(new io.csbs.catalog.ProjectSnapshot("q", 41, Quota.NONE, List.of(backup("q", "one", NOW.minusSeconds(60)))));
    elsewhere.apply("q", "one", 1, Transition.delete());
    await(() -> heard.contains("q#42"), "q#42");
    assertEquals(List.of("q#42"), heard.stream().distinct().toList());
  }

  // PostgresCatalog.Builder.pollInterval: "the longest delay of a change made by another instance while
  // notifications are lost"; README: "LISTEN/NOTIFY only wakes readers early; the table is the feed".
  // The listening connection is ended by the server: replica and subscriber still follow, by polling.
  @Test
  void whenNotificationsAreLostReplicasAndSubscribersStillFollowByPolling() {
    PGSimpleDataSource named = plainStore(null);
    named.setApplicationName("h29e_listener");
    PostgresCatalog database = closing(PostgresCatalog.builder(named).clock(CLOCK).pollInterval(Duration.ofMillis(100)).build());
    PostgresReplica replica = closing(PostgresReplica.start(database));
    List<String> heard = new CopyOnWriteArrayList<>();
    closingSubscription(database.subscribe(change -> heard.add(change.projectId() + "#" + change.sequence())));
    PostgresCatalog elsewhere = pg(dataSource);
    elsewhere.add(backup("p", "before", NOW.minusSeconds(9)));
    await(() -> heard.contains("p#1") && replica.find("p", "before").isPresent(), "the first change");
    await(() -> {
      try (Connection c = TestDatabase.plain().getConnection(); java.sql.Statement st = c.createStatement();
          java.sql.ResultSet rows = st.executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
              + "WHERE application_name = 'h29e_listener' AND query LIKE 'LISTEN%'")) {
        rows.next();
        return rows.getLong(1) > 0;
      } catch (SQLException e) {
        throw new AssertionError(e);
      }
    }, "the listening connection, ended");
    for (int i = 0; i < 3; i++) {
      elsewhere.add(backup("p", "after" + i, NOW.minusSeconds(9)));
      String expected = "p#" + (i + 2);
      String id = "after" + i;
      await(() -> heard.contains(expected) && replica.find("p", id).isPresent(), "change " + expected + " by polling");
    }
    assertEquals(4, replica.count("p", Predicates.all()));
  }

  // PostgresCatalog: "The time of a change is the clock's instant cut to the microsecond, which is what
  // PostgreSQL keeps; a backup given ... with a time outside the range kept ... is refused with an
  // InvalidValueException naming the field". A clock past PostgreSQL's end dates a change out of range.
  @Test
  void aChangeDatedByAClockPastTheRangeIsRefusedAndChangesNothing() {
    PostgresCatalog catalog = pg(dataSource);
    catalog.add(backup("p", "a", NOW.minusSeconds(9)));
    PostgresCatalog future = closing(PostgresCatalog.create(dataSource,
        Clock.fixed(Instant.parse("+294277-01-01T00:00:00Z"), ZoneOffset.UTC)));
    Object outcome;
    try {
      outcome = future.apply("p", "a", 1, Transition.delete());
    } catch (RuntimeException e) {
      outcome = e;
    }
    assertTrue(outcome instanceof InvalidValueException, String.valueOf(outcome));
    assertFalse(((InvalidValueException) outcome).field().isBlank());
    assertEquals(BackupStatus.AVAILABLE, catalog.get("p", "a").status());
    assertEquals(1, catalog.sequence("p"));
    PostgresCatalog last = closing(PostgresCatalog.create(dataSource,
        Clock.fixed(Instant.parse("+294276-12-31T23:59:59.999999999Z"), ZoneOffset.UTC)));
    Backup deleting = last.apply("p", "a", 1, Transition.delete()).orElseThrow();
    assertEquals(Instant.parse("+294276-12-31T23:59:59.999999Z"), deleting.updatedAt());
    assertEquals(deleting, catalog.get("p", "a"));
  }

  // PostgresCatalog: "The totals of every backup and of some states come from the project's counters, the
  // total of one server id from its usage row; other totals are exact counts": after every kind of change
  // (add, batch, transitions, a completed deletion, a failure, remove, replay, load), the counted totals
  // agree with exact counts, with the in-memory catalog given the same changes, and with a replica.
  @Test
  void countersAgreeWithExactCountsAfterEveryKindOfChange() {
    PostgresCatalog database = pg(dataSource);
    BackupCatalog memory = io.csbs.catalog.Catalogs.indexed(CLOCK);
    Server other = Server.of("srv-2", "ecs-db", "eu-de-01");
    for (BackupCatalog c : List.of(database, memory)) {
      c.add(backup("p", "a", NOW.minusSeconds(100)));
      c.addAll(List.of(backup("p", "b", NOW.minusSeconds(90)),
          backup("p", "c", NOW.minusSeconds(80)).toBuilder().server(other).build(),
          backup("p", "d", NOW.minusSeconds(70), 0), running("p", "e", NOW.minusSeconds(60))));
      c.apply("p", "a", 1, Transition.restore());
      c.apply("p", "b", 1, Transition.delete());
      c.apply("p", "b", 2, Transition.complete());      // the deletion completes: b is gone
      c.apply("p", "e", 1, Transition.fail("disk full"));
      c.remove("p", "d", 1);
      c.apply("p", "c", 1, Transition.delete());
    }
    Backup replayedBefore = database.get("p", "c");
    Backup replayedAfter = replayedBefore.toBuilder().version(replayedBefore.version() + 1).status(BackupStatus.AVAILABLE)
        .apiStatus(io.csbs.backup.ApiStatus.AVAILABLE).progress(Optional.empty()).server(WEB).build();
    Change replayed = new Change(database.sequence("p") + 1, "p", "c", Optional.of(replayedBefore), Optional.of(replayedAfter), Optional.empty());
    assertTrue(database.replay(replayed));
    assertTrue(memory.replay(replayed));
    io.csbs.catalog.ProjectSnapshot snapshot = new io.csbs.catalog.ProjectSnapshot("q", 7, Quota.NONE, List.of(
        backup("q", "x", NOW.minusSeconds(50)), running("q", "y", NOW.minusSeconds(40)),
        backup("q", "z", NOW.minusSeconds(30)).toBuilder().server(other).build()));
    database.load(snapshot);
    memory.load(snapshot);
    PostgresReplica replica = closing(PostgresReplica.start(database));
    List<String> wrong = new ArrayList<>();
    for (String project : List.of("p", "q")) {
      List<io.csbs.query.BackupPredicate> counted = new ArrayList<>();
      counted.add(Predicates.all());
      for (BackupStatus status : BackupStatus.values()) {
        counted.add(Predicates.status(status));
      }
      counted.add(Predicates.status(BackupStatus.AVAILABLE, BackupStatus.ERROR));
      counted.add(Predicates.serverId(WEB.id()));
      counted.add(Predicates.serverId(other.id()));
      for (io.csbs.query.BackupPredicate predicate : counted) {
        long exact = database.count(project, Predicates.and(predicate, Predicates.createdBetween(Instant.parse("2000-01-01T00:00:00Z"), NOW)));
        long[] answers = {database.count(project, predicate), database.query(project, Query.where(predicate)).total(),
            memory.count(project, predicate), replica.count(project, predicate)};
        for (long answer : answers) {
          if (answer != exact) {
            wrong.add(project + " " + predicate + ": exact " + exact + ", answers " + java.util.Arrays.toString(answers));
            break;
          }
        }
      }
      if (!database.quotaUsage(project).equals(memory.quotaUsage(project))) {
        wrong.add(project + " quota usage " + database.quotaUsage(project) + " vs " + memory.quotaUsage(project));
      }
      if (!database.usage(project, io.csbs.usage.UsageQuery.firstServers(10)).equals(memory.usage(project, io.csbs.usage.UsageQuery.firstServers(10)))) {
        wrong.add(project + " usage " + database.usage(project, io.csbs.usage.UsageQuery.firstServers(10)) + " vs "
            + memory.usage(project, io.csbs.usage.UsageQuery.firstServers(10)));
      }
    }
    assertEquals(List.of(), wrong);
  }

  // Schema: "versioned SQL scripts shipped in this jar (io/csbs/postgres/V1__catalog.sql, ...), which a
  // DBA can read before anything runs"; script(1): "The SQL of schema version 1, as migrate runs it".
  @Test
  void theFirstScriptIsTheOneShippedInTheJar() throws Exception {
    try (java.io.InputStream in = Schema.class.getResourceAsStream("/io/csbs/postgres/V1__catalog.sql")) {
      assertNotNull(in, "io/csbs/postgres/V1__catalog.sql is not in the jar");
      assertEquals(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8), Schema.script(1));
    }
    assertEquals(2, Schema.CURRENT_VERSION);
  }

  // PostgresReplica.start: "loaded before this returns (each project from one snapshot)": every project,
  // its quota and its sequence, at once.
  @Test
  void aStartedReplicaHoldsEveryProjectAtOnce() {
    PostgresCatalog database = pg(dataSource);
    for (int p = 0; p < 5; p++) {
      for (int i = 0; i <= p; i++) {
        database.add(backup("project-" + p, "b" + i, NOW.minusSeconds(i)));
      }
      database.setQuota("project-" + p, Quota.of(100 + p, Quota.UNLIMITED));
    }
    database.apply("project-4", "b0", 1, Transition.delete());
    try (PostgresReplica replica = PostgresReplica.start(database)) {
      for (int p = 0; p < 5; p++) {
        String project = "project-" + p;
        assertEquals(p + 1, replica.count(project, Predicates.all()), project);
        assertEquals(database.sequence(project), replica.sequence(project), project);
        assertEquals(database.quotaUsage(project), replica.quotaUsage(project), project);
      }
      assertEquals(database.countAllProjects(Predicates.all()), replica.countAllProjects(Predicates.all()));
      assertEquals(BackupStatus.DELETING, replica.get("project-4", "b0").status());
    }
  }

  // PostgresCatalog: "Close it to stop its feed threads" - only those: a closed catalog still reads and
  // writes (it holds no connection between calls).
  @Test
  void aClosedCatalogStillReadsAndWrites() {
    PostgresCatalog catalog = pg(dataSource);
    catalog.add(backup("p", "a", NOW.minusSeconds(9)));
    catalog.close();
    catalog.add(backup("p", "b", NOW.minusSeconds(8)));
    assertEquals(2, catalog.count("p", Predicates.all()));
    assertEquals(2, catalog.changes("p", 0, 10).size());
  }

  // PostgresCatalog: a project id PostgreSQL cannot hold is refused "with an InvalidValueException naming
  // the field, as is such a project id given to setQuota, load or replay"; nothing is written.
  @Test
  void loadAndReplayRefuseAProjectIdPostgresqlCannotHoldNamingIt() {
    PostgresCatalog database = pg(dataSource);
    for (String odd : List.of("p\0", "p\uD800", "\uDFFF")) {
      InvalidValueException load = assertThrows(InvalidValueException.class,
          () -> database.load(new io.csbs.catalog.ProjectSnapshot(odd, 3, Quota.NONE, List.of())));
      assertEquals("project id", load.field());
      Backup b = Backup.builder().id("a").name("a").projectId(odd).server(WEB).status(BackupStatus.AVAILABLE)
          .sizeMb(1).createdAt(NOW.minusSeconds(9)).build();
      InvalidValueException replay = assertThrows(InvalidValueException.class,
          () -> database.replay(new Change(1, odd, "a", Optional.empty(), Optional.of(b), Optional.empty())));
      assertEquals("project id", replay.field());
    }
    assertEquals(0, database.countAllProjects(Predicates.all()));
    assertEquals(0, database.sequence("p"));
  }

  // BackupCatalog.subscribe: "A subscriber that throws ... keeps its subscription; the catalog and the
  // other subscribers are unaffected"; Subscription.cancel "Stops the deliveries to this subscriber" -
  // also when it cancels itself from inside a delivery.
  @Test
  void subscribersAreIndependentAndOneMayCancelItself() throws Exception {
    PostgresCatalog catalog = pg(dataSource);
    AtomicInteger refusals = new AtomicInteger();
    closingSubscription(catalog.subscribe(change -> {
      refusals.incrementAndGet();
      throw new IllegalStateException("always refused (invented)");
    }));
    List<Long> calm = new CopyOnWriteArrayList<>();
    closingSubscription(catalog.subscribe(change -> calm.add(change.sequence())));
    List<Long> once = new CopyOnWriteArrayList<>();
    Subscription[] self = new Subscription[1];
    java.util.concurrent.CountDownLatch subscribed = new java.util.concurrent.CountDownLatch(1);
    self[0] = closingSubscription(catalog.subscribe(change -> {
      try {
        subscribed.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      once.add(change.sequence());
      self[0].cancel();
    }));
    subscribed.countDown();
    for (int i = 0; i < 4; i++) {
      catalog.add(backup("p", "b" + i, NOW.minusSeconds(i)));
    }
    await(() -> calm.size() >= 4, "the calm subscriber's four changes");
    Thread.sleep(200);
    assertEquals(List.of(1L, 2L, 3L, 4L), calm.stream().distinct().toList());
    assertEquals(List.of(1L), once);
    assertTrue(refusals.get() >= 1);
    assertEquals(4, catalog.sequence("p"));
  }

  // README: "Times are kept to the microsecond, from 1 January 4713 BC [ISO year -4712]: a backup with ...
  // an earlier time ... is refused with an InvalidValueException naming the field": the first instant
  // kept exactly in every time field, the microsecond before it refused.
  @Test
  void theFirstMicrosecondOf4713BcIsKeptAndTheOneBeforeRefusedInEveryField() {
    PostgresCatalog database = pg(dataSource);
    Instant first = Instant.parse("-4712-01-01T00:00:00Z");
    Instant before = first.minusNanos(1000);
    Backup kept = Backup.builder().id("k").name("k").projectId("p").server(WEB).status(BackupStatus.ERROR).sizeMb(1)
        .createdAt(first).updatedAt(first).finishedAt(first)
        .failure(io.csbs.backup.Failure.of(io.csbs.backup.JobType.BACKUP, "x", first)).build();
    database.add(kept);
    assertEquals(kept, database.get("p", "k"));
    assertEquals(1, database.count("p", Predicates.createdBetween(first, first)));
    InvalidValueException created = assertThrows(InvalidValueException.class,
        () -> database.add(backup("p", "e", before)));
    assertEquals("created at", created.field());
    assertEquals(1, database.sequence("p"));
    PostgresReplica replica = closing(PostgresReplica.start(database));
    assertEquals(kept, replica.get("p", "k"));
  }

  /** A clock that moves on by {@code step} each time it is read. */
  static final class Ticking extends Clock {
    private final AtomicInteger reads = new AtomicInteger();
    private final Instant start;
    private final Duration step;

    Ticking(Instant start, Duration step) {
      this.start = start;
      this.step = step;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return start.plus(step.multipliedBy(reads.getAndIncrement()));
    }
  }

  // BackupCatalog.read: "every call on the ProjectView ... answers from the same backups at the same
  // instant (the "now" of relative time windows and stalled jobs)"; PostgresCatalog: read is one
  // transaction with "its instant". A clock that moves on by ten minutes at every reading.
  @Test
  void aReadAnswersEveryRelativeWindowAtOneInstant() {
    PostgresCatalog database = closing(PostgresCatalog.builder(dataSource).clock(new Ticking(NOW, Duration.ofMinutes(10)))
        .stallRule(StallRule.ofThreshold(Duration.ofMinutes(25))).build());
    for (int i = 0; i < 6; i++) {
      database.add(backup("p", "b" + i, NOW.minus(Duration.ofMinutes(10L * i + 5))));
    }
    database.add(running("p", "r", NOW.minus(Duration.ofMinutes(20))));
    io.csbs.query.BackupPredicate lastHour = Predicates.createdWithinLast(Duration.ofHours(1));
    List<Long> answers = database.read("p", view -> List.of(view.count(lastHour), view.count(lastHour),
        view.query(Query.where(lastHour)).total(), view.count(Predicates.stalled()), view.count(Predicates.stalled()),
        database.count("p", Predicates.stalled())));
    assertEquals(answers.get(0), answers.get(1), "windows inside one read: " + answers);
    assertEquals(answers.get(0), answers.get(2), "window and page total inside one read: " + answers);
    // outside a read, each call reads the clock anew: the window moves on
    long first = database.count("p", lastHour);
    long second = database.count("p", lastHour);
    assertTrue(second < first, "the ticking clock moved the window: " + first + ", " + second);
    PostgresReplica replica = closing(PostgresReplica.start(database));
    List<Long> onReplica = replica.read("p", view -> List.of(view.count(lastHour), view.count(lastHour),
        view.query(Query.where(lastHour)).total(), view.count(Predicates.stalled()), replica.count("p", Predicates.stalled())));
    assertEquals(onReplica.get(0), onReplica.get(1), "replica: " + onReplica);
    assertEquals(onReplica.get(0), onReplica.get(2), "replica: " + onReplica);
    assertEquals(onReplica.get(3), onReplica.get(4), "replica: " + onReplica);
    assertEquals(answers.get(3), answers.get(4), "stalled inside one read: " + answers);
    assertEquals(answers.get(3), answers.get(5), "stalled through the catalog inside the read: " + answers);
  }

  // Quota.checkRoomFor: "A project already beyond a quota (lowered after its backups came) may take nothing
  // more, not even 0 MB"; BackupCatalog.setQuota: "Backups already there stay" - across two instances,
  // and a replica; transitions of the backups there go on.
  @Test
  void aProjectBeyondALoweredQuotaTakesNothingMoreOnAnyInstance() {
    PostgresCatalog one = pg(dataSource);
    PostgresCatalog two = pg(dataSource);
    PostgresReplica replica = closing(PostgresReplica.start(two));
    one.addAll(List.of(backup("p", "a", NOW.minusSeconds(9), 2048), backup("p", "b", NOW.minusSeconds(8), 2048)));
    one.setQuota("p", Quota.of(5, 3));   // 3 GB, below the 4 GB there
    assertEquals(2, two.count("p", Predicates.all()));
    assertThrows(QuotaExceededException.class, () -> two.add(backup("p", "zero", NOW.minusSeconds(7), 0)));
    assertThrows(QuotaExceededException.class, () -> replica.add(backup("p", "zero", NOW.minusSeconds(7), 0)));
    assertThrows(QuotaExceededException.class, () -> one.addAll(List.of(backup("p", "zero", NOW.minusSeconds(7), 0))));
    replica.apply("p", "a", 1, Transition.restore());
    assertEquals(3, one.sequence("p"));
    one.remove("p", "b", 1);
    two.add(backup("p", "fits", NOW.minusSeconds(7), 1024));   // 2 + 1 GB: at the quota
    assertEquals(5, one.sequence("p"));
    assertEquals(3072, one.quotaUsage("p").sizeMbUsed());
  }

  // BackupCatalog.replay installs a change "exactly as committed"; PostgresCatalog refuses a backup with a
  // finer time "naming the field", and a refused change rolls back whole - on replay as well.
  @Test
  void aReplayedChangeWithAFinerTimeIsRefusedNamingTheField() {
    PostgresCatalog database = pg(dataSource);
    Backup fine = backup("p", "a", NOW.minusSeconds(9).plusNanos(1));
    InvalidValueException e = assertThrows(InvalidValueException.class,
        () -> database.replay(new Change(1, "p", "a", Optional.empty(), Optional.of(fine), Optional.empty())));
    assertEquals("created at", e.field());
    assertEquals(0, database.sequence("p"));
    assertEquals(List.of(), database.changes("p", 0, 10));
  }

  // ====================================================================== data sources

  /** A data source that counts the connections it handed out and those still open. */
  static final class Counting extends DelegatingDataSource {
    final AtomicInteger open = new AtomicInteger();
    final AtomicInteger opened = new AtomicInteger();

    Counting(DataSource target) {
      super(target);
    }

    @Override
    public Connection getConnection() throws SQLException {
      Connection real = target.getConnection();
      opened.incrementAndGet();
      open.incrementAndGet();
      AtomicBoolean closed = new AtomicBoolean();
      return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
          (proxy, method, args) -> {
            if (method.getName().equals("close") && closed.compareAndSet(false, true)) {
              open.decrementAndGet();
            }
            return invoke(real, method, args);
          });
    }
  }

  /** A data source that refuses its next connection, or loses the answer of its next commit, on demand. */
  static final class LosingCommits extends DelegatingDataSource {
    final AtomicBoolean loseNextCommit = new AtomicBoolean();
    final AtomicBoolean refuseNextConnection = new AtomicBoolean();
    final AtomicBoolean down = new AtomicBoolean();

    LosingCommits(DataSource target) {
      super(target);
    }

    @Override
    public Connection getConnection() throws SQLException {
      if (down.get() || refuseNextConnection.compareAndSet(true, false)) {
        throw new SQLException("connection refused (invented)", "08006");
      }
      Connection real = target.getConnection();
      return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
          (proxy, method, args) -> {
            Object result = invoke(real, method, args);
            if (method.getName().equals("commit") && loseNextCommit.compareAndSet(true, false)) {
              throw new SQLException("connection lost while committing (invented)", "08006");
            }
            return result;
          });
    }
  }

  /** A data source whose connections wait while it is closed. */
  static final class Gate extends DelegatingDataSource {
    private boolean closed;

    Gate(DataSource target) {
      super(target);
    }

    synchronized void close() {
      closed = true;
    }

    synchronized void open() {
      closed = false;
      notifyAll();
    }

    @Override
    public Connection getConnection() throws SQLException {
      synchronized (this) {
        while (closed) {
          try {
            wait();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted", "08006");
          }
        }
      }
      return target.getConnection();
    }
  }

  static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
