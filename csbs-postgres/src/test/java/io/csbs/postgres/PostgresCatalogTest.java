package io.csbs.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.catalog.BackupCatalog;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.KeywordField;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.TimeRange;
import io.csbs.testing.FakeClock;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.usage.Quota;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** What the PostgreSQL catalog adds to the contract: the database's limits, failures and schema. */
class PostgresCatalogTest {
  private static final String PROJECT = "project-a";
  private static final Instant NOW = FakeClock.DEFAULT_START;

  private DataSource store;
  private FakeClock clock;
  private PostgresCatalog catalog;

  @BeforeEach
  void emptyStore() {
    store = TestDatabase.dataSource(0);
    TestDatabase.truncate(store);
    clock = FakeClock.at(NOW);
    catalog = PostgresCatalog.create(store, clock);
  }

  private static Backup backup(String id, String serverName, Duration age, Tag... tags) {
    return Backup.builder().id(id).name("autobk_" + id).projectId(PROJECT)
        .server(Server.of("srv-" + id, serverName, "eu-de-01")).status(BackupStatus.AVAILABLE)
        .sizeMb(1024).createdAt(NOW.minus(age)).addTags(tags).build();
  }

  // ---------------------------------------------------------------- user text is data, never SQL

  @Test
  void keywordsWithLikeWildcardsAndBackslashesMatchLiterally() {
    List<Backup> backups = List.of(
        backup("b1", "web_01", Duration.ofHours(1)),
        backup("b2", "web-01", Duration.ofHours(2)),
        backup("b3", "50% off", Duration.ofHours(3)),
        backup("b4", "500 off", Duration.ofHours(4)),
        backup("b5", "c:\\data\\x", Duration.ofHours(5)),
        backup("b6", "c:data", Duration.ofHours(6)),
        backup("b7", "it's; DROP TABLE csbs_backup; --", Duration.ofHours(7)));
    ReferenceCatalog reference = ReferenceCatalog.create(clock);
    reference.addAll(backups);
    catalog.addAll(backups);

    for (String keyword : List.of("_", "b_", "%", "0%", "\\", "c:\\d", "\\x", "'", "; drop table", "--", "%_\\")) {
      for (KeywordField field : List.of(KeywordField.SERVER_NAME, KeywordField.BACKUP_NAME)) {
        BackupPredicate predicate = Predicates.keyword(field, keyword);
        assertEquals(reference.query(PROJECT, Query.where(predicate)), catalog.query(PROJECT, Query.where(predicate)),
            field + " contains " + keyword);
      }
      assertEquals(reference.count(PROJECT, Predicates.backupId(keyword)), catalog.count(PROJECT, Predicates.backupId(keyword)));
    }
    assertEquals(List.of("b1"), catalog.query(PROJECT, Query.where(Predicates.serverNameContains("b_"))).ids());
    assertEquals(List.of("b3"), catalog.query(PROJECT, Query.where(Predicates.serverNameContains("0%"))).ids());
    assertEquals(7, catalog.count(PROJECT, Predicates.all()), "the table is still there");
  }

  // ---------------------------------------------------------------- what PostgreSQL cannot hold

  @Test
  void refusesTimesFinerThanAMicrosecondNamingTheFieldAndWritesNothing() {
    Backup fine = Backup.builder().id("fine").name("autobk_fine").projectId(PROJECT)
        .server(Server.of("srv", "web", "eu-de-01")).status(BackupStatus.CREATING)
        .progress(Progress.of(10, NOW.minusNanos(1))).sizeMb(1).createdAt(NOW.minusSeconds(60)).build();
    InvalidValueException e = assertThrows(InvalidValueException.class, () -> catalog.add(fine));
    assertEquals("progress changed at", e.field());
    assertTrue(e.getMessage().contains("microsecond"), e.getMessage());

    Backup created = backup("created", "web", Duration.ofNanos(1500));
    assertEquals("created at", assertThrows(InvalidValueException.class, () -> catalog.addAll(List.of(created))).field());
    Backup ancient = backup("ancient", "web", Duration.ofDays(365L * 10_000));
    assertEquals("created at", assertThrows(InvalidValueException.class, () -> catalog.add(ancient)).field());

    assertEquals(0, catalog.count(PROJECT, Predicates.all()));
    assertEquals(0, catalog.sequence(PROJECT));
  }

  @Test
  void refusesTextWithANulCharAndFindsNothingForIt() {
    Backup nul = Backup.builder().id("a\0b").name("autobk_x").projectId(PROJECT)
        .server(Server.of("srv", "web", "eu-de-01")).status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(NOW).build();
    assertEquals("id", assertThrows(InvalidValueException.class, () -> catalog.add(nul)).field());
    catalog.add(backup("b1", "web", Duration.ofHours(1)));

    assertEquals(0, catalog.count(PROJECT, Predicates.backupId("a\0b")));
    assertEquals(0, catalog.count(PROJECT, Predicates.serverNameContains("w\0")));
    assertEquals(0, catalog.count(PROJECT, Predicates.serverId("srv\ud800")));
  }

  @Test
  void changesAreDatedToTheMicrosecondAndSearchesCompareNanosecondsExactly() {
    catalog.add(backup("b1", "web", Duration.ofHours(1)));
    clock.set(NOW.plusNanos(1_234_567));
    Backup restoring = catalog.apply(PROJECT, "b1", 1, Transition.restore()).orElseThrow();
    assertEquals(NOW.plusNanos(1_234_000), restoring.updatedAt(), "the clock's instant cut to the microsecond");
    assertEquals(restoring, catalog.get(PROJECT, "b1"));

    Instant created = NOW.minus(Duration.ofHours(1));
    ReferenceCatalog reference = ReferenceCatalog.create(clock);
    reference.add(backup("b1", "web", Duration.ofHours(1)));
    for (Instant bound : List.of(created.minusNanos(1), created, created.plusNanos(1), created.plusNanos(999),
        created.plusNanos(1000), created.minusNanos(1001))) {
      for (TimeRange range : List.of(TimeRange.from(bound), TimeRange.before(bound), TimeRange.until(bound),
          TimeRange.of(bound, false, null, true))) {
        assertEquals(reference.count(PROJECT, Predicates.createdIn(range)), catalog.count(PROJECT, Predicates.createdIn(range)),
            "created in " + range);
      }
    }
    assertEquals(1, catalog.count(PROJECT, Predicates.createdIn(TimeRange.before(Instant.MAX))));
    assertEquals(0, catalog.count(PROJECT, Predicates.createdIn(TimeRange.from(Instant.MAX))));
  }

  // ---------------------------------------------------------------- failures lose nothing committed

  @Test
  void aConnectionLostAtAnyStepOfAChangeLeavesNothingHalfWritten() throws SQLException {
    FailingDataSource failing = new FailingDataSource(store);
    PostgresCatalog flaky = PostgresCatalog.create(failing, clock);
    catalog.setQuota(PROJECT, Quota.of(100, Quota.UNLIMITED));
    catalog.add(backup("b1", "web", Duration.ofHours(2), Tag.of("env", "prod")));
    catalog.add(backup("b2", "db", Duration.ofHours(3), Tag.of("env", "dev")));
    Backup deleting = catalog.apply(PROJECT, "b2", 1, Transition.delete()).orElseThrow();

    List<Consumer<BackupCatalog>> changes = List.of(
        c -> c.add(backup("b3", "web", Duration.ofHours(1), Tag.of("env", "prod"), Tag.of("app", "shop"))),
        c -> c.addAll(List.of(backup("b4", "app", Duration.ofHours(4)), backup("b5", "app", Duration.ofHours(5)))),
        c -> c.apply(PROJECT, "b1", 1, Transition.restore()),
        c -> c.apply(PROJECT, "b2", deleting.version(), Transition.complete()),
        c -> c.remove(PROJECT, "b1", 1),
        c -> c.setQuota(PROJECT, Quota.of(5, 5)));
    for (int kind = 0; kind < changes.size(); kind++) {
      for (int step = 1; ; step++) {
        String before = tables();
        failing.failAt(step);
        try {
          changes.get(kind).accept(flaky);
        } catch (CatalogDatabaseException e) {
          assertTrue(failing.fired(), "failed without the injected failure: " + e);
          assertTrue(e.isRetryable(), "a lost connection is transient: " + e);
          assertTrue(e.getMessage().contains("connection") || e.getMessage().contains("shutting down"), e.getMessage());
          assertEquals(before, tables(), "change " + kind + " failed at step " + step + " and left something written");
          continue;
        } finally {
          failing.failAt(0);
        }
        // the step is past the change's last: it committed whole
        assertFalse(tables().equals(before), "change " + kind + " committed nothing");
        break;
      }
      emptyStore();
      catalog.setQuota(PROJECT, Quota.of(100, Quota.UNLIMITED));
      catalog.add(backup("b1", "web", Duration.ofHours(2), Tag.of("env", "prod")));
      catalog.add(backup("b2", "db", Duration.ofHours(3), Tag.of("env", "dev")));
      catalog.apply(PROJECT, "b2", 1, Transition.delete());
    }
  }

  @Test
  void aSerializationFailureOrDeadlockIsRetriedAndTheChangeCommitsOnce() {
    FailingDataSource failing = new FailingDataSource(store);
    PostgresCatalog flaky = PostgresCatalog.create(failing, clock);
    catalog.add(backup("b1", "web", Duration.ofHours(1)));
    flaky.count(PROJECT, Predicates.all());   // the schema check, before the refusals
    for (String state : List.of("40001", "40P01")) {
      for (int step = 1; step <= 4; step++) {
        Backup current = catalog.get(PROJECT, "b1");
        long sequence = catalog.sequence(PROJECT);
        failing.refuseAt(step, state);
        Transition next = current.status() == BackupStatus.AVAILABLE ? Transition.restore() : Transition.complete();
        Backup after = flaky.apply(PROJECT, "b1", current.version(), next).orElseThrow();
        assertTrue(failing.fired(), "the refusal was injected at step " + step);
        assertEquals(current.version() + 1, after.version());
        assertEquals(sequence + 1, catalog.sequence(PROJECT), "committed once, after the retry");
      }
    }
    // a refusal on every attempt reaches the caller, retryable
    java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();
    FailingDataSource always = new FailingDataSource(store) {
      @Override
      public Connection getConnection() throws SQLException {
        if (armed.get()) {
          refuseAt(1, "40001");
        }
        return super.getConnection();
      }
    };
    PostgresCatalog unlucky = PostgresCatalog.create(always, clock);
    long version = unlucky.get(PROJECT, "b1").version();   // the schema check, before the refusals
    armed.set(true);
    CatalogDatabaseException e = assertThrows(CatalogDatabaseException.class,
        () -> unlucky.apply(PROJECT, "b1", version, Transition.restore()));
    assertEquals("40001", e.sqlState());
    assertTrue(e.isRetryable());
    assertTrue(e.getMessage().contains("serialization failure"), e.getMessage());
  }

  @Test
  void aStatementTimeoutIsRetryableAndChangesNothing() throws SQLException {
    catalog.add(backup("b1", "web", Duration.ofHours(1)));
    PGSimpleDataSource impatient = TestDatabase.plain();
    impatient.setCurrentSchema("csbs_test_0,public");
    impatient.setOptions("-c statement_timeout=300");
    PostgresCatalog hurried = PostgresCatalog.create(impatient, clock);
    String before = tables();
    try (Connection blocker = store.getConnection(); Statement statement = blocker.createStatement()) {
      blocker.setAutoCommit(false);
      statement.execute("SELECT * FROM csbs_project WHERE project_id = '" + PROJECT + "' FOR UPDATE");

      CatalogDatabaseException e = assertThrows(CatalogDatabaseException.class,
          () -> hurried.apply(PROJECT, "b1", 1, Transition.restore()));
      assertEquals("57014", e.sqlState());
      assertTrue(e.isRetryable());
      assertTrue(e.getMessage().contains("timed out"), e.getMessage());
      blocker.rollback();
    }
    assertEquals(before, tables());
    assertEquals(2, hurried.apply(PROJECT, "b1", 1, Transition.restore()).orElseThrow().version(), "the retry goes through");
  }

  @Test
  void transientStatesAreRetryableAndSaySoOthersAreNot() {
    for (String state : new String[] {"08006", "08001", "40001", "40P01", "57014", "55P03", "25P03", "25P04", "57P01",
        "57P05", "53300"}) {
      CatalogDatabaseException e = new CatalogDatabaseException("count", new java.sql.SQLException("x", state));
      assertTrue(e.isRetryable(), state);
      assertTrue(e.getMessage().endsWith("; nothing was half-written, and the call may be retried"), e.getMessage());
    }
    for (String state : new String[] {"42501", "23505", "22001", "57P04", "XX000", null}) {
      CatalogDatabaseException e = new CatalogDatabaseException("count", new java.sql.SQLException("x", state));
      assertFalse(e.isRetryable(), state);
    }
    assertTrue(new CatalogDatabaseException("add", new java.sql.SQLException("x", "55P03")).getMessage()
        .contains("lock not granted in time (SQLState 55P03)"));
  }

  @Test
  void aDatabaseWithoutTheSchemaOrWithANewerOneIsRefused() {
    TestDatabase.execute(TestDatabase.plain(), "DROP SCHEMA IF EXISTS csbs_test_empty CASCADE");
    TestDatabase.execute(TestDatabase.plain(), "CREATE SCHEMA csbs_test_empty");
    PGSimpleDataSource empty = TestDatabase.plain();
    empty.setCurrentSchema("csbs_test_empty,public");
    PostgresCatalog unready = PostgresCatalog.create(empty, clock);

    SchemaVersionException none = assertThrows(SchemaVersionException.class, () -> unready.count(PROJECT, Predicates.all()));
    assertEquals(0, none.databaseVersion());
    assertTrue(none.getMessage().contains("Schema.migrate"), none.getMessage());
    assertFalse(none.isRetryable());
    assertEquals(0, Schema.version(empty));

    assertEquals(0, Schema.migrate(empty));
    assertEquals(Schema.CURRENT_VERSION, Schema.migrate(empty), "a second migration does nothing");
    assertEquals(0, unready.count(PROJECT, Predicates.all()));

    TestDatabase.execute(empty, "INSERT INTO csbs_schema_version (version) VALUES (" + (Schema.CURRENT_VERSION + 1) + ")");
    SchemaVersionException newer = assertThrows(SchemaVersionException.class, () -> Schema.migrate(empty));
    assertTrue(newer.getMessage().contains("upgrade the library"), newer.getMessage());
    PostgresCatalog stale = PostgresCatalog.create(empty, clock);
    assertThrows(SchemaVersionException.class, () -> stale.add(backup("b1", "web", Duration.ofHours(1))));
    TestDatabase.execute(TestDatabase.plain(), "DROP SCHEMA csbs_test_empty CASCADE");
  }

  @Test
  void theSchemaScriptIsReadableDdl() {
    String ddl = Schema.script(1);
    assertTrue(ddl.contains("CREATE TABLE csbs_backup"), ddl);
    assertTrue(ddl.contains("PRIMARY KEY (project_id, id)"), ddl);
    assertThrows(IllegalArgumentException.class, () -> Schema.script(Schema.CURRENT_VERSION + 1));
  }

  // ---------------------------------------------------------------- counters

  @Test
  void totalsOfStatesComeFromCountersThatAgreeWithTheRows() {
    for (int i = 0; i < 30; i++) {
      catalog.add(backup("b" + i, "web", Duration.ofHours(i + 1)));
    }
    for (int i = 0; i < 10; i++) {
      catalog.apply(PROJECT, "b" + i, 1, Transition.delete());
    }
    for (int i = 0; i < 5; i++) {
      catalog.apply(PROJECT, "b" + i, 2, Transition.complete());
    }
    catalog.apply(PROJECT, "b5", 2, Transition.fail("disk gone"));
    assertEquals(25, catalog.count(PROJECT, Predicates.all()));
    assertEquals(20, catalog.count(PROJECT, Predicates.status(BackupStatus.AVAILABLE)));
    assertEquals(5, catalog.count(PROJECT, Predicates.status(BackupStatus.DELETING, BackupStatus.ERROR)));
    assertEquals(counted("SELECT count(*) FROM csbs_backup WHERE status IN (3, 4)"),
        catalog.count(PROJECT, Predicates.status(BackupStatus.DELETING, BackupStatus.ERROR)));
  }

  private long counted(String sql) {
    try (Connection connection = store.getConnection(); Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(sql)) {
      rows.next();
      return rows.getLong(1);
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  /** Every row of every table of the store, as text: equal exactly when nothing was written. */
  private String tables() {
    List<String> all = new ArrayList<>();
    try (Connection connection = store.getConnection(); Statement statement = connection.createStatement()) {
      for (String table : List.of("csbs_project", "csbs_backup", "csbs_change", "csbs_tag", "csbs_server_usage")) {
        try (ResultSet rows = statement.executeQuery(
            "SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '') FROM " + table + " t")) {
          rows.next();
          all.add(table + ":\n" + rows.getString(1));
        }
      }
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
    return String.join("\n", all);
  }
}
