package io.csbs.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Server;
import io.csbs.catalog.Change;
import io.csbs.catalog.Subscription;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.usage.Quota;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A DBA's and a service engineer's review of the README's section "A durable, shared catalog:
 * csbs-postgres", bullet by bullet, on the module's embedded PostgreSQL: rights of migrate, encodings,
 * tenants in schemas of one database, clocks of two instances, the listening connection, a pool with
 * no connection free, what statements name, and the schema scripts. Written from the README and the
 * javadoc only; each test names the sentence it checks. Everything made here (schemas, roles,
 * databases) is named {@code h35p_<run>_...} and dropped at the end.
 *
 * <p>Its findings, fixed or documented since: a closed catalog handed its pooled connection back still
 * LISTENing; on a pool with auto-commit off the LISTEN was never committed; migrate through such a pool
 * failed on the isolation level; a LATIN1 database already current passed migrate; a quota of a project
 * id PostgreSQL's index cannot key failed with a database error; a role without USAGE on the first
 * schema of its search path uses the next schema's catalog, a subscription polls every project's head
 * in one statement naming none, and a catalog on a LATIN1 database made by hand fails at the first letter
 * LATIN1 lacks (these three documented).
 */
class NewUserDbaTest {
  private static final String RUN = Long.toString(System.nanoTime() % 1_000_000_000L, 36);
  private static final Instant NOW = Instant.parse("2026-12-04T06:00:00.123456Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final Duration WAIT = Duration.ofSeconds(30);

  private static PGSimpleDataSource admin;
  /** The admin through a small pool: for the many catalog reads of listings and pg_stat_activity. */
  private static HikariDataSource looker;
  private static final List<String> SCHEMAS = new ArrayList<>();
  private static final List<String> ROLES = new ArrayList<>();
  private static final List<String> DATABASES = new ArrayList<>();
  private static final List<AutoCloseable> CLOSE = new CopyOnWriteArrayList<>();
  private static int counter;

  @BeforeAll
  static void start() {
    TestDatabase.dataSource();   // the database started, pg_trgm in public
    admin = TestDatabase.plain();
    looker = pool(raw(null, null, null), 2, 30_000);
  }

  @AfterAll
  static void dropAll() {
    // the catalogs and replicas at once (each may wait for its listener's half-second poll), then the pools
    List<AutoCloseable> pools = new ArrayList<>();
    List<Thread> closers = new ArrayList<>();
    for (AutoCloseable c : CLOSE) {
      if (c instanceof HikariDataSource) {
        pools.add(c);
      } else {
        Thread closer = new Thread(() -> {
          try {
            c.close();
          } catch (Exception e) {
            // closing what is left
          }
        });
        closer.start();
        closers.add(closer);
      }
    }
    for (Thread closer : closers) {
      try {
        closer.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (AutoCloseable pool : pools) {
      try {
        pool.close();
      } catch (Exception e) {
        // closing what is left
      }
    }
    for (String database : DATABASES) {
      quietly("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    }
    for (String schema : SCHEMAS) {
      quietly("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }
    for (String role : ROLES) {
      quietly("DROP OWNED BY " + role);
      quietly("DROP ROLE IF EXISTS " + role);
    }
  }

  private static void quietly(String sql) {
    try {
      TestDatabase.execute(admin, sql);
    } catch (RuntimeException e) {
      System.err.println("NewUserDbaTest: left behind: " + sql + ": " + e.getMessage());
    }
  }

  // ====================================================================== helpers

  private static synchronized String name(String what) {
    return "h35p_" + RUN + "_" + what + (++counter);
  }

  /** A new schema of the test database. */
  private static String schema(String what) {
    String schema = name(what);
    TestDatabase.execute(admin, "CREATE SCHEMA " + schema);
    synchronized (SCHEMAS) {
      SCHEMAS.add(schema);
    }
    return schema;
  }

  private static String role() {
    String role = name("r");
    TestDatabase.execute(admin, "CREATE ROLE " + role + " LOGIN");
    synchronized (ROLES) {
      ROLES.add(role);
    }
    return role;
  }

  /** A data source of the driver alone (a connection a call) on {@code database}, as {@code user}, with a search path. */
  private static PGSimpleDataSource raw(String database, String user, String currentSchema) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(admin.getURL());
    ds.setUser(admin.getUser());
    ds.setPassword(admin.getPassword());
    if (database != null) {
      ds.setDatabaseName(database);
    }
    if (user != null) {
      ds.setUser(user);
      ds.setPassword(null);
    }
    if (currentSchema != null) {
      ds.setCurrentSchema(currentSchema);
    }
    return ds;
  }

  /** What a service configures: a pool of its own on {@code ds}. */
  private static HikariDataSource pool(PGSimpleDataSource ds, int size, long connectionTimeoutMillis) {
    HikariConfig config = new HikariConfig();
    config.setDataSource(ds);
    config.setMaximumPoolSize(size);
    config.setMinimumIdle(0);
    config.setConnectionTimeout(connectionTimeoutMillis);
    config.setPoolName(name("pool"));
    HikariDataSource pool = new HikariDataSource(config);
    CLOSE.add(pool);
    return pool;
  }

  /** A tenant: its own schema of the test database, {@code currentSchema=tenant,public}, migrated. */
  private static HikariDataSource tenant() {
    String schema = schema("t");
    HikariDataSource ds = pool(raw(null, null, schema + ",public"), 4, 30_000);
    assertEquals(0, Schema.migrate(ds));
    return ds;
  }

  private static HikariDataSource shared;

  /** One migrated tenant for the tests that need no schema of their own (each uses its own project ids). */
  private static synchronized HikariDataSource shared() {
    if (shared == null) {
      shared = tenant();
    }
    return shared;
  }

  private static HikariDataSource shared2;

  /** A second shared tenant, for the tests of two schemas. */
  private static synchronized HikariDataSource shared2() {
    if (shared2 == null) {
      shared2 = tenant();
    }
    return shared2;
  }

  private static <T extends AutoCloseable> T closing(T c) {
    CLOSE.add(c);
    return c;
  }

  private static PostgresCatalog catalog(DataSource ds, Clock clock) {
    return closing(PostgresCatalog.builder(ds).clock(clock).pollInterval(Duration.ofMillis(50)).build());
  }

  private static Backup backup(String project, String id, String name, Instant created) {
    return Backup.builder().id(id).name(name).projectId(project)
        .server(Server.of("srv-" + id, "ecs-" + id, "eu-de-01")).status(BackupStatus.AVAILABLE).sizeMb(7)
        .createdAt(created).build();
  }

  private static void sql(DataSource ds, String... statements) {
    try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
      for (String s : statements) {
        st.execute(s);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("the test database refused one of " + List.of(statements), e);
    }
  }

  private static List<String> rows(DataSource ds, String query) {
    List<String> out = new ArrayList<>();
    try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rows = st.executeQuery(query)) {
      int columns = rows.getMetaData().getColumnCount();
      while (rows.next()) {
        StringBuilder row = new StringBuilder();
        for (int i = 1; i <= columns; i++) {
          row.append(i == 1 ? "" : " | ").append(rows.getString(i));
        }
        out.add(row.toString());
      }
    } catch (SQLException e) {
      throw new AssertionError(query, e);
    }
    return out;
  }

  /** The relations and rows of schema {@code schema}: what a DBA compares before and after. */
  private static String listing(DataSource ds, String schema) {
    StringBuilder out = new StringBuilder();
    List<String> tables = rows(ds, "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = "
        + "c.relnamespace WHERE n.nspname = '" + schema + "' ORDER BY 1");
    out.append(tables).append('\n');
    for (String t : tables) {
      String[] parts = t.split(" \\| ");
      if (parts[1].equals("r")) {
        out.append(parts[0]).append(rows(ds, "SELECT x::text FROM " + schema + "." + parts[0] + " x ORDER BY 1"))
            .append('\n');
      }
    }
    return out.toString();
  }

  private static void await(String what, BooleanSupplier condition) {
    long end = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        fail("not within " + WAIT + ": " + what);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted");
      }
    }
  }

  // ====================================================================== migrate's rights

  /** A role that may use {@code schema} and read its version table, nothing else. */
  private static String versionReader(String schema) {
    String role = role();
    sql(admin, "GRANT USAGE ON SCHEMA " + schema + " TO " + role,
        "GRANT SELECT ON " + schema + ".csbs_schema_version TO " + role);
    return role;
  }

  // README: "`migrate` on a database already current needs no right beyond reading its version table".
  // A tenant schema the DBA migrated; the service's role has USAGE on it and SELECT on the version
  // table only (no right on the catalog's tables, no CREATE anywhere, public's CREATE revoked for it).
  @Test
  void migrateOnACurrentTenantSchemaNeedsOnlyUsageAndSelectOnItsVersionTable() {
    HikariDataSource owner = shared();
    String schema = schemaOf(owner);
    String role = versionReader(schema);
    PGSimpleDataSource service = raw(null, role, schema + ",public");
    String before = listing(looker, schema);
    assertEquals(Schema.CURRENT_VERSION, Schema.migrate(service));
    assertEquals(Schema.CURRENT_VERSION, Schema.migrate(service), "every start");
    assertEquals(Schema.CURRENT_VERSION, Schema.version(service));
    assertEquals(before, listing(looker, schema), "nothing changed");
    // the same in read-only transactions (a standby's or a maintenance window's default)
    PGSimpleDataSource readOnly = raw(null, role, schema + ",public");
    readOnly.setOptions("-c default_transaction_read_only=on");
    assertEquals(Schema.CURRENT_VERSION, Schema.migrate(readOnly));
  }

  private static String schemaOf(HikariDataSource ds) {
    return ((PGSimpleDataSource) ds.getDataSource()).getCurrentSchema().split(",")[0];
  }

  // Schema.migrate: "@throws CatalogDatabaseException if a statement fails"; CatalogDatabaseException:
  // "The message says what the catalog was doing". The same reader on a tenant schema still at
  // version 1 (migrate has work to do): refused, not a SchemaVersionException, naming the action and
  // the right it lacks, not retryable; the schema still at version 1, nothing changed.
  @Test
  void aVersionReaderOnAnOlderSchemaIsRefusedNamingTheActionAndNothingChanges() {
    String schema = schema("v1");
    PGSimpleDataSource owner = raw(null, null, schema + ",public");
    sql(owner, "CREATE TABLE csbs_schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL "
        + "DEFAULT now())", Schema.script(1), "INSERT INTO csbs_schema_version (version) VALUES (1)");
    String role = versionReader(schema);
    PGSimpleDataSource service = raw(null, role, schema + ",public");
    assertEquals(1, Schema.version(service));
    String before = listing(looker, schema);
    CatalogDatabaseException e = assertThrows(CatalogDatabaseException.class, () -> Schema.migrate(service));
    assertFalse(e instanceof SchemaVersionException, e.toString());
    assertEquals("42501", e.sqlState(), e.getMessage());
    assertTrue(e.getMessage().contains("create or upgrade the csbs schema"), e.getMessage());
    assertTrue(e.getMessage().contains("permission denied"), e.getMessage());
    assertFalse(e.isRetryable());
    assertEquals(before, listing(looker, schema));
    assertEquals(1, Schema.version(owner));
    // and the catalog, for this role, says the version and what to do
    PostgresCatalog catalog = catalog(service, CLOCK);
    SchemaVersionException refused = assertThrows(SchemaVersionException.class, () -> catalog.sequence("p"));
    assertEquals(1, refused.databaseVersion());
    assertEquals(Schema.CURRENT_VERSION, refused.libraryVersion());
    assertTrue(refused.getMessage().contains("Schema.migrate"), refused.getMessage());
    assertFalse(refused.isRetryable());
    // the owner upgrades it; then the reader's migrate is a no-op
    assertEquals(1, Schema.migrate(owner));
    assertEquals(Schema.CURRENT_VERSION, Schema.migrate(service));
  }

  // A role without CREATE on a fresh tenant schema: the failure names the schema it may not create in.
  @Test
  void aRoleWithoutCreateOnAFreshTenantSchemaIsRefusedNamingTheSchema() {
    String schema = schema("fresh");
    String role = role();
    sql(admin, "GRANT USAGE ON SCHEMA " + schema + " TO " + role);
    PGSimpleDataSource service = raw(null, role, schema + ",public");
    assertEquals(0, Schema.version(service));
    String before = listing(looker, schema);
    CatalogDatabaseException e = assertThrows(CatalogDatabaseException.class, () -> Schema.migrate(service));
    assertFalse(e instanceof SchemaVersionException);
    assertEquals("42501", e.sqlState(), e.getMessage());
    assertTrue(e.getMessage().contains(schema), "names the schema: " + e.getMessage());
    assertTrue(e.getMessage().contains("create or upgrade the csbs schema"), e.getMessage());
    assertFalse(e.isRetryable());
    assertEquals(before, listing(looker, schema));
    assertEquals(0, Schema.version(service));
  }

  // A schema at a newer version than the library, seen by the reader role: SchemaVersionException
  // (not a permission failure), naming both versions and "upgrade the library", nothing changed.
  @Test
  void aVersionReaderOnANewerSchemaGetsTheSchemaVersionExceptionAndNothingChanges() {
    String schema = schema("newer");
    PGSimpleDataSource owner = raw(null, null, schema + ",public");
    int newer = Schema.CURRENT_VERSION + 1;
    // what a later release's migrate leaves (its tables aside): the version table at version 3
    sql(owner, "CREATE TABLE csbs_schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL "
        + "DEFAULT now())", "INSERT INTO csbs_schema_version (version) VALUES (1), (2), (" + newer + ")");
    String role = versionReader(schema);
    PGSimpleDataSource service = raw(null, role, schema + ",public");
    String before = listing(looker, schema);
    SchemaVersionException e = assertThrows(SchemaVersionException.class, () -> Schema.migrate(service));
    assertEquals(newer, e.databaseVersion());
    assertEquals(Schema.CURRENT_VERSION, e.libraryVersion());
    assertTrue(e.getMessage().contains(Integer.toString(newer)) && e.getMessage().contains(
        Integer.toString(Schema.CURRENT_VERSION)), e.getMessage());
    assertTrue(e.getMessage().contains("upgrade the library"), e.getMessage());
    assertFalse(e.isRetryable());
    assertEquals(before, listing(looker, schema));
  }

  // ====================================================================== the scripts by hand

  // Schema: "A DBA who runs the scripts by hand instead creates that table and inserts those rows
  // (INSERT INTO csbs_schema_version (version) VALUES (1), (2)) in the same transactions". Every
  // script from 1 to CURRENT_VERSION, run by hand in a tenant schema, one transaction a version: the
  // catalog works, migrate then has nothing to do, and the tables are where the search path says.
  @Test
  void everyScriptRunByHandInATenantSchemaMakesAUsableCatalog() throws SQLException {
    String schema = schema("hand");
    PGSimpleDataSource owner = raw(null, null, schema + ",public");
    try (Connection c = owner.getConnection(); Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      for (int v = 1; v <= Schema.CURRENT_VERSION; v++) {
        String script = Schema.script(v);
        assertFalse(script.isBlank(), "script " + v);
        assertFalse(script.contains("public."), "script " + v + " names no schema of its own");
        if (v == 1) {
          st.execute("CREATE TABLE csbs_schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL "
              + "DEFAULT now())");
        }
        st.execute(script);
        st.execute("INSERT INTO csbs_schema_version (version) VALUES (" + v + ")");
        c.commit();
      }
    }
    assertEquals(Schema.CURRENT_VERSION, Schema.version(owner));
    String before = listing(looker, schema);
    assertEquals(Schema.CURRENT_VERSION, Schema.migrate(owner));
    assertEquals(before, listing(looker, schema));
    for (String t : rows(looker, "SELECT schemaname FROM pg_tables WHERE tablename LIKE 'csbs\\_%' AND schemaname = '"
        + schema + "'")) {
      assertEquals(schema, t);
    }
    PostgresCatalog catalog = catalog(owner, CLOCK);
    catalog.add(backup("hand-made", "h-1", "Zürich_夜_backup", NOW.minusSeconds(5)));
    assertEquals(1, catalog.count("hand-made", Predicates.nameContains("ZÜRICH")));
    assertEquals(1, catalog.sequence("hand-made"));
    assertThrows(IllegalArgumentException.class, () -> Schema.script(0));
    IllegalArgumentException above = assertThrows(IllegalArgumentException.class,
        () -> Schema.script(Schema.CURRENT_VERSION + 1));
    assertTrue(above.getMessage().contains(Integer.toString(Schema.CURRENT_VERSION + 1)), above.getMessage());
  }

  // ====================================================================== encodings

  private static String database(String encoding) {
    String name = name("db");
    TestDatabase.execute(admin, "CREATE DATABASE " + name + " TEMPLATE template0 ENCODING '" + encoding
        + "' LC_COLLATE 'C' LC_CTYPE 'C' STRATEGY FILE_COPY");
    synchronized (DATABASES) {
      DATABASES.add(name);
    }
    return name;
  }

  // README: "The database must be encoded in UTF8"; Schema.migrate: "@throws CatalogDatabaseException
  // if ... the database is not encoded in UTF8". A SQL_ASCII database (which stores any byte and checks
  // none): refused, naming the encoding found and the one needed, not retryable, nothing created.
  @Test
  void aSqlAsciiDatabaseIsRefusedByMigrateNamingBothEncodingsAndNothingIsCreated() {
    String db = database("SQL_ASCII");
    PGSimpleDataSource ds = raw(db, null, null);
    String before = listing(ds, "public") + rows(ds, "SELECT extname FROM pg_extension ORDER BY 1");
    CatalogDatabaseException e = assertThrows(CatalogDatabaseException.class, () -> Schema.migrate(ds));
    assertFalse(e instanceof SchemaVersionException);
    assertTrue(e.getMessage().contains("SQL_ASCII") && e.getMessage().contains("UTF8"), e.getMessage());
    assertFalse(e.isRetryable());
    assertEquals(before, listing(ds, "public") + rows(ds, "SELECT extname FROM pg_extension ORDER BY 1"));
    assertEquals(0, Schema.version(ds));
  }

  /** A LATIN1 database whose DBA ran the scripts by hand (migrate would refuse it), as the javadoc tells. */
  private static PGSimpleDataSource latin1;

  private static synchronized PGSimpleDataSource latin1ByHand() {
    if (latin1 == null) {
      latin1 = makeLatin1ByHand();
    }
    return latin1;
  }

  private static PGSimpleDataSource makeLatin1ByHand() {
    String db = database("LATIN1");
    PGSimpleDataSource ds = raw(db, null, null);
    StringBuilder all = new StringBuilder("CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE TABLE csbs_schema_version "
        + "(version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());");
    for (int v = 1; v <= Schema.CURRENT_VERSION; v++) {
      all.append(Schema.script(v)).append(";INSERT INTO csbs_schema_version (version) VALUES (").append(v).append(");");
    }
    sql(ds, all.toString());
    return ds;
  }

  // README: "The database must be encoded in UTF8". The catalog checks the schema "on first use"; on a
  // database that is not UTF8 a user expects the same early refusal (naming the encoding) rather than
  // a catalog that works until the first letter the encoding lacks.
  @Test
  void aCatalogOnALatin1DatabaseWorksUntilALetterLatin1LacksWhichFailsWithADatabaseException() {
    PGSimpleDataSource ds = latin1ByHand();
    PostgresCatalog catalog = catalog(ds, CLOCK);
    String p = "latin-" + RUN;
    assertEquals(0, catalog.sequence(p));
    catalog.add(backup(p, "l-1", "Größe_café", NOW.minusSeconds(3)));
    assertEquals(1, catalog.count(p, Predicates.nameContains("GRÖ")));
    CatalogDatabaseException e = assertThrows(CatalogDatabaseException.class,
        () -> catalog.add(backup(p, "l-2", "夜の_backup", NOW.minusSeconds(2))));
    assertEquals("22P05", e.sqlState(), e.getMessage());
    assertFalse(e.isRetryable());
    assertEquals(1, catalog.sequence(p), "nothing half-written");
    assertEquals(Optional.empty(), catalog.find(p, "l-2"));
  }

  // Schema.migrate: "@throws CatalogDatabaseException if a statement fails, or the database is not
  // encoded in UTF8". A LATIN1 database whose schema a DBA made by hand (so it is current): a service
  // calling migrate at every start should hear that the database is not UTF8.
  @Test
  void migrateOnACurrentLatin1DatabaseSaysItIsNotUtf8() {
    PGSimpleDataSource ds = latin1ByHand();
    CatalogDatabaseException e = assertThrows(CatalogDatabaseException.class, () -> Schema.migrate(ds));
    assertTrue(e.getMessage().contains("LATIN1"), e.getMessage());
  }

  // ====================================================================== tenants in one database

  // README: "the tables live in the current schema (the first of the search path,
  // currentSchema=tenant_a,public in the URL)". Two tenants of one database, the same project id and
  // backup ids in both: each sees its own backups, numbers its feed on its own, keeps its own quota,
  // its all-projects view holds its own projects, and a subscriber of one never gets the other's changes
  // (the LISTEN channel is the database's: a wake-up only).
  @Test
  void twoTenantsOfOneDatabaseAreKeptApartWithTheSameProjectAndBackupIds() throws Exception {
    HikariDataSource a = tenant();
    HikariDataSource b = shared2();   // its other projects are other tests'; names "of_tenant_b_" are this test's
    PostgresCatalog ca = catalog(a, CLOCK);
    PostgresCatalog cb = catalog(b, CLOCK);
    String p = "projekt-ü 🦊";
    List<Change> seenByA = new CopyOnWriteArrayList<>();
    Subscription sub = ca.subscribe(Map.of(), seenByA::add);
    CLOSE.add(sub::cancel);
    for (int i = 0; i < 3; i++) {
      cb.add(backup(p, "same-" + i, "of_tenant_b_" + i, NOW.minusSeconds(10 + i)));
    }
    cb.setQuota(p, Quota.of(5, 100));
    ca.add(backup(p, "same-0", "of_tenant_a", NOW.minusSeconds(1)));
    await("tenant a's change reaches its subscriber", () -> !seenByA.isEmpty());
    ca.add(backup(p, "only-a", "of_tenant_a_too", NOW.minusSeconds(2)));
    await("tenant a's second change", () -> seenByA.size() >= 2);
    Thread.sleep(150);   // three poll intervals: any of b's changes would have come by now
    assertEquals(2, seenByA.size(), "only a's changes: " + seenByA);
    for (Change c : seenByA) {
      assertTrue(c.after().orElseThrow().name().contains("tenant_a"), c.toString());
    }
    assertEquals(List.of(1L, 2L), seenByA.stream().map(Change::sequence).toList());
    assertEquals(2, ca.sequence(p));
    assertEquals(3, cb.sequence(p), "a quota is no change of the feed");
    assertEquals("of_tenant_a", ca.get(p, "same-0").name());
    assertEquals("of_tenant_b_0", cb.get(p, "same-0").name());
    assertEquals(2, ca.count(p, Predicates.all()));
    assertEquals(3, cb.count(p, Predicates.all()));
    assertEquals(2, ca.countAllProjects(Predicates.all()));
    assertEquals(3, cb.queryAllProjects(Query.where(Predicates.nameContains("of_tenant_b_"))).total());
    assertEquals(0, cb.countAllProjects(Predicates.nameContains("of_tenant_a")));
    assertEquals(Quota.of(5, 100), cb.quotaUsage(p).quota());
    assertFalse(Quota.of(5, 100).equals(ca.quotaUsage(p).quota()), "b's quota is b's: " + ca.quotaUsage(p));
    assertEquals(2, ca.changes(p, 0, 100).size());
    assertEquals(3, cb.changes(p, 0, 100).size());
    // a replica of tenant a loads tenant a only, and waits for a's sequence, not b's
    PostgresReplica ra = closing(PostgresReplica.start(ca));
    assertEquals(2, ra.count(p, Predicates.all()));
    assertFalse(ra.awaitSequence(p, 3, Duration.ofMillis(200)), "b's third change is not a's");
  }

  /**
   * Tenant T (migrated, the role may not use it) first on the role's search path, tenant S (migrated,
   * the role may read and write its rows) second: what the role's Schema.version and catalog see.
   */
  private static String[] aRoleWithoutUsageOnItsFirstSchema() {
    HikariDataSource t = shared2();
    HikariDataSource fallback = shared();
    String first = schemaOf(t);
    String second = schemaOf(fallback);
    String role = role();
    sql(admin, "GRANT USAGE ON SCHEMA " + second + " TO " + role,
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + second + " TO " + role);
    return new String[] {first, second, role};
  }

  // README: "the tables live in the current schema (the first of the search path,
  // currentSchema=tenant_a,public in the URL)"; Schema.migrate: "the first schema of the connection's
  // search path that exists ... which is where version and the catalog look for them". A service role
  // the DBA forgot to GRANT USAGE on its tenant schema: the first schema of its search path exists, so
  // reading it should fail (permission denied), not fall through to the next schema's catalog.
  @Test
  void aRoleWithoutUsageOnTheFirstSchemaOfItsPathUsesTheNextSchemasCatalog() {
    String[] setup = aRoleWithoutUsageOnItsFirstSchema();
    PGSimpleDataSource service = raw(null, setup[2], setup[0] + "," + setup[1] + ",public");
    assertEquals(Schema.CURRENT_VERSION, Schema.version(service));
    assertEquals(Schema.CURRENT_VERSION, Schema.migrate(service));
    PostgresCatalog catalog = catalog(service, CLOCK);
    catalog.add(backup("where-am-i", "w-1", "w-1", NOW.minusSeconds(1)));
    assertEquals(List.of("1"), rows(looker, "SELECT count(*) FROM " + setup[1] + ".csbs_backup WHERE project_id = 'where-am-i'"));
    assertEquals(List.of("0"), rows(looker, "SELECT count(*) FROM " + setup[0] + ".csbs_backup WHERE project_id = 'where-am-i'"));
  }

  // ====================================================================== clocks

  // README: "a change is dated by the instance's clock, and one dated before a backup's last change
  // (made by an instance whose clock is ahead) is refused with an InvalidValueException naming now";
  // and "the catalog's clock is read to the microsecond". At the boundaries: the same instant is not
  // "before" (accepted); one microsecond behind is refused; behind by less than a microsecond, within
  // the same microsecond, reads as the same instant (accepted).
  @Test
  void aClockBehindByOneMicrosecondIsRefusedButTheSameMicrosecondIsNot() {
    DataSource store = shared();
    Instant t = Instant.parse("2026-12-04T07:00:00.000001500Z");   // 1.5 µs past the second
    PostgresCatalog ahead = catalog(store, Clock.fixed(t, ZoneOffset.UTC));
    PostgresCatalog same = catalog(store, Clock.fixed(t.minusNanos(400), ZoneOffset.UTC));       // 1.1 µs: same µs
    PostgresCatalog oneBehind = catalog(store, Clock.fixed(t.minusNanos(1000), ZoneOffset.UTC));  // 0.5 µs
    String p = "clocks";
    ahead.add(backup(p, "c-1", "c-1", NOW));
    Backup restoring = ahead.apply(p, "c-1", 1, Transition.restore()).orElseThrow();
    assertEquals(Instant.parse("2026-12-04T07:00:00.000001Z"), restoring.updatedAt(), "dated to the microsecond");
    long sequence = ahead.sequence(p);
    InvalidValueException e = assertThrows(InvalidValueException.class,
        () -> oneBehind.apply(p, "c-1", restoring.version(), Transition.complete()));
    assertEquals("now", e.field(), e.getMessage());
    assertEquals(restoring, ahead.get(p, "c-1"), "nothing changed");
    assertEquals(sequence, ahead.sequence(p));
    Backup done = same.apply(p, "c-1", restoring.version(), Transition.complete()).orElseThrow();
    assertEquals(BackupStatus.AVAILABLE, done.status());
    assertEquals(restoring.updatedAt(), done.updatedAt());
  }

  // Two instances with their clocks 2 s apart, taking turns on several backups of a unicode project:
  // the behind instance is refused naming now exactly when the backup's last change came from the
  // instance ahead, and every refusal leaves the backup and the feed as they were.
  @Test
  void instancesTwoSecondsApartAreRefusedExactlyWhenTheLastChangeCameFromTheOneAhead() {
    DataSource store = shared();
    PostgresCatalog ahead = catalog(store, Clock.offset(CLOCK, Duration.ofSeconds(2)));
    PostgresCatalog behind = catalog(store, CLOCK);
    String p = "時計-⏰";
    for (int i = 0; i < 4; i++) {
      String id = "k-" + i;
      behind.add(backup(p, id, id, NOW.minusSeconds(60)));
      PostgresCatalog first = i % 2 == 0 ? ahead : behind;
      Backup restoring = first.apply(p, id, 1, Transition.restore()).orElseThrow();
      long sequence = behind.sequence(p);
      if (i % 2 == 0) {
        InvalidValueException e = assertThrows(InvalidValueException.class,
            () -> behind.apply(p, id, restoring.version(), Transition.complete()), id);
        assertEquals("now", e.field(), id + ": " + e.getMessage());
        assertEquals(restoring, behind.get(p, id), id);
        assertEquals(sequence, behind.sequence(p), id);
        ahead.apply(p, id, restoring.version(), Transition.complete());   // the instance ahead may
      } else {
        ahead.apply(p, id, restoring.version(), Transition.complete());   // ahead after behind: fine
      }
    }
  }

  // The add is the odd one: it keeps the backup's times as given (Backup.updatedAt: "createdAt by
  // default"), not the instance's clock, so an add by the instance ahead does not stop the instance
  // behind from changing the backup next.
  @Test
  void anAddByTheInstanceAheadDoesNotStopTheInstanceBehind() {
    DataSource store = shared();
    PostgresCatalog ahead = catalog(store, Clock.offset(CLOCK, Duration.ofSeconds(2)));
    PostgresCatalog behind = catalog(store, CLOCK);
    ahead.add(backup("add-first", "a-1", "a-1", NOW.minusSeconds(60)));
    assertEquals(NOW.minusSeconds(60), behind.get("add-first", "a-1").updatedAt());
    assertEquals(BackupStatus.RESTORING,
        behind.apply("add-first", "a-1", 1, Transition.restore()).orElseThrow().status());
  }

  // ====================================================================== the listening connection

  private static List<String> listeners(String application) {
    return rows(looker, "SELECT query FROM pg_stat_activity WHERE application_name = '" + application + "'");
  }

  // README: "A catalog that has subscribers (or a replica following it) keeps one connection
  // listening until it is closed". One connection however many subscriptions and replicas; one per
  // catalog; none after close.
  @Test
  void oneListeningConnectionPerCatalogWhateverItsSubscriptionsAndReplicas() {
    String schema = schemaOf(shared());
    String app1 = name("app");
    PGSimpleDataSource ds1 = raw(null, null, schema + ",public");
    ds1.setApplicationName(app1);
    HikariDataSource pooled = pool(ds1, 4, 30_000);
    PostgresCatalog one = PostgresCatalog.builder(pooled).clock(CLOCK).build();
    try {
      one.sequence("listened");
      List<Subscription> subs = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        subs.add(one.subscribe(change -> { }));
      }
      subs.add(one.subscribe(Map.of("listened", 0L), change -> { }));
      PostgresReplica replica = PostgresReplica.start(one);
      await("a listener of the catalog", () -> listeners(app1).stream().anyMatch(q -> q.contains("LISTEN")));
      one.add(backup("listened", "x", "x", NOW.minusSeconds(1)));
      assertTrue(replica.awaitSequence("listened", 1, WAIT));
      assertEquals(1, listeners(app1).stream().filter(q -> q.contains("LISTEN")).count(),
          "one listening connection for four subscriptions and a replica: " + listeners(app1));
      subs.forEach(Subscription::cancel);
      replica.close();
      assertEquals(1, listeners(app1).stream().filter(q -> q.contains("LISTEN")).count(), "kept until closed");
    } finally {
      one.close();
    }
  }

  /** The channels the pool's connection listens to once a subscribed catalog on it was closed. */
  private static List<String> channelsLeftOnThePoolAfterClose(List<String> pending) throws SQLException {
    HikariDataSource onlyOne = pool(raw(null, null, schemaOf(shared()) + ",public"), 1, 10_000);
    PostgresCatalog catalog = PostgresCatalog.builder(onlyOne).clock(CLOCK).build();
    Subscription s = catalog.subscribe(change -> { });
    await("the catalog listens", () -> onlyOne.getHikariPoolMXBean().getActiveConnections() == 1);
    s.cancel();
    catalog.close();
    PostgresCatalog other = catalog(shared(), CLOCK);
    try (Connection c = onlyOne.getConnection()) {
      List<String> channels = new ArrayList<>();
      try (Statement st = c.createStatement(); ResultSet rows = st.executeQuery("SELECT pg_listening_channels()")) {
        while (rows.next()) {
          channels.add(rows.getString(1));
        }
      }
      // another instance's changes meanwhile: what reaches whoever borrows this connection next
      for (int i = 0; i < 3; i++) {
        other.add(backup("after-close", "ac-" + System.nanoTime(), "ac", NOW.minusSeconds(1)));
      }
      try (Statement st = c.createStatement()) {
        st.execute("SELECT 1");
      }
      org.postgresql.PGNotification[] got = c.unwrap(org.postgresql.PGConnection.class).getNotifications();
      if (got != null) {
        for (org.postgresql.PGNotification n : got) {
          pending.add(n.getName());
        }
      }
      return channels;
    }
  }

  // README: "A catalog that has subscribers ... keeps one connection listening until it is closed";
  // PostgresCatalog: "Close it to stop its feed threads and let that connection go". A service's pool
  // gets the connection back: it should no longer listen (UNLISTEN), or the next borrower of that
  // connection collects csbs's notifications, which pile up in the driver and in the server's queue.
  @Test
  void aClosedCatalogHandsItsListeningConnectionBackListeningToNothing() throws SQLException {
    List<String> pending = new ArrayList<>();
    assertEquals(List.of(), channelsLeftOnThePoolAfterClose(pending));
    assertEquals(List.of(), pending);
  }

  // ====================================================================== no pooled connection free

  // README: "A database failure raises CatalogDatabaseException, which says what failed and whether it
  // is retryable (... no pooled connection free in time)". Reads, the feed and Schema's calls on a pool
  // of one whose connection the service holds elsewhere: each retryable, each naming what it was
  // doing; each succeeds once the connection is back.
  @Test
  void everyKindOfCallWithNoPooledConnectionFreeInTimeIsRetryableAndSaysWhatFailed() throws Exception {
    HikariDataSource owner = shared();
    String schema = schemaOf(owner);
    HikariDataSource one = pool(raw(null, null, schema + ",public"), 1, 250);
    PostgresCatalog catalog = catalog(one, CLOCK);
    String p = "busy-ß";
    catalog.add(backup(p, "b-1", "b-1", NOW.minusSeconds(1)));
    Map<String, Consumer<PostgresCatalog>> calls = new java.util.LinkedHashMap<>();
    calls.put("find", c -> c.find(p, "b-1"));
    calls.put("setQuota", c -> c.setQuota(p, Quota.of(10, 10)));
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, Consumer<PostgresCatalog>> call : calls.entrySet()) {
      CatalogDatabaseException e;
      try (Connection held = one.getConnection()) {
        e = assertThrows(CatalogDatabaseException.class, () -> call.getValue().accept(catalog), call.getKey());
      }
      if (!e.isRetryable()) {
        problems.add(call.getKey() + " not retryable: " + e.getMessage());
      }
      System.out.println("NewUserDbaTest: busy pool, " + call.getKey() + ": " + e.getMessage() + " [" + e.sqlState() + "]");
      if (e.getMessage() == null || e.getMessage().isBlank()) {
        problems.add(call.getKey() + " says nothing");
      }
      call.getValue().accept(catalog);   // the connection back: the same call succeeds
    }
    // a replica started while no connection is free: refused as retryable, and started once one is
    HikariDataSource two = pool(raw(null, null, schema + ",public"), 2, 250);
    PostgresCatalog forReplica = catalog(two, CLOCK);
    forReplica.sequence(p);
    try (Connection held = two.getConnection(); Connection held2 = two.getConnection()) {
      CatalogDatabaseException e = assertThrows(CatalogDatabaseException.class, () -> closing(PostgresReplica.start(forReplica)));
      System.out.println("NewUserDbaTest: busy pool, replica start: " + e.getMessage());
      if (!e.isRetryable()) {
        problems.add("replica start not retryable: " + e.getMessage());
      }
    }
    PostgresReplica replica = closing(PostgresReplica.start(forReplica));   // the pool's connections back
    assertEquals(1, replica.count(p, Predicates.all()));
    for (String what : List.of("migrate")) {
      CatalogDatabaseException e;
      try (Connection held = one.getConnection()) {
        e = assertThrows(CatalogDatabaseException.class,
            () -> {
              if (what.equals("version")) {
                Schema.version(one);
              } else {
                Schema.migrate(one);
              }
            }, what);
      }
      if (!e.isRetryable()) {
        problems.add(what + " not retryable: " + e.getMessage());
      }
      assertTrue(e.getMessage().contains("csbs schema"), what + ": " + e.getMessage());
    }
    assertEquals(List.of(), problems);
  }

  // README: "bring your own connection pool". Many services' pools hand out connections with
  // auto-commit off (HikariCP's autoCommit=false, the default of some frameworks); the pool rolls back
  // what is left open when a connection comes back. Every kind of write must still commit, as seen by
  // another instance on an ordinary pool, and the feed must reach a subscriber.
  @Test
  void aPoolWhoseConnectionsComeWithoutAutoCommitStillCommitsEveryKindOfWrite() {
    String schema = schemaOf(shared());
    HikariConfig config = new HikariConfig();
    PGSimpleDataSource physical = raw(null, null, schema + ",public");
    String application = name("nac");
    physical.setApplicationName(application);
    config.setDataSource(physical);
    config.setAutoCommit(false);
    config.setMaximumPoolSize(3);
    config.setPoolName(name("noautocommit"));
    HikariDataSource noAutoCommit = closing(new HikariDataSource(config));
    PostgresCatalog writer = catalog(noAutoCommit, CLOCK);
    PostgresCatalog checker = catalog(shared(), CLOCK);
    String p = "no-autocommit-" + RUN;
    List<Change> got = new CopyOnWriteArrayList<>();
    Subscription s = writer.subscribe(Map.of(), got::add);
    CLOSE.add(s::cancel);
    writer.add(backup(p, "na-1", "na-1", NOW.minusSeconds(3)));
    writer.addAll(List.of(backup(p, "na-2", "na-2", NOW.minusSeconds(2))));
    writer.setQuota(p, Quota.of(9, 9));
    Backup b = writer.apply(p, "na-1", 1, Transition.restore()).orElseThrow();
    writer.updateTags(p, "na-2", 1, io.csbs.backup.TagUpdate.create(io.csbs.backup.Tag.of("k", "v")));
    writer.remove(p, "na-2", 2);
    assertEquals(b, checker.get(p, "na-1"));
    assertEquals(Optional.empty(), checker.find(p, "na-2"));
    assertEquals(Quota.of(9, 9), checker.quotaUsage(p).quota());
    assertEquals(5, checker.sequence(p));
    await("the feed through the no-auto-commit pool", () -> got.stream().filter(c -> c.projectId().equals(p)).count() == 5);
    // and its reads: a read of several answers, a page, a replica's load
    assertEquals(1L, (long) writer.read(p, view -> view.count(Predicates.all())));
    assertEquals(1, writer.query(p, Query.where(Predicates.all())).total());
    assertEquals(b, closing(PostgresReplica.start(writer)).get(p, "na-1"));
  }

  /** A pool handing out connections with auto-commit off, its sessions named {@code application}. */
  private static HikariDataSource noAutoCommitPool(String application) {
    PGSimpleDataSource physical = raw(null, null, schemaOf(shared()) + ",public");
    physical.setApplicationName(application);
    HikariConfig config = new HikariConfig();
    config.setDataSource(physical);
    config.setAutoCommit(false);
    config.setMaximumPoolSize(3);
    config.setPoolName(name("noautocommit"));
    return closing(new HikariDataSource(config));
  }

  /** A fresh schema and a pool of one connection on it with auto-commit off; [0] the schema. */
  private static HikariDataSource noAutoCommitPoolOnAFreshSchema(String[] schemaOut) {
    String schema = schema("nacm");
    schemaOut[0] = schema;
    HikariConfig config = new HikariConfig();
    config.setDataSource(raw(null, null, schema + ",public"));
    config.setAutoCommit(false);
    config.setMaximumPoolSize(1);
    config.setPoolName(name("noautocommit"));
    return closing(new HikariDataSource(config));
  }

  // README: "Schema.migrate(dataSource); // once, explicitly: creates or upgrades the tables" and
  // "bring your own connection pool". Through a pool with auto-commit off (HikariCP autoCommit=false):
  // the schema is created and committed, as another connection sees.
  @Test
  void migrateThroughAPoolWithoutAutoCommitCommitsTheSchema() {
    String[] schema = new String[1];
    HikariDataSource pool = noAutoCommitPoolOnAFreshSchema(schema);
    assertEquals(0, Schema.migrate(pool));
    assertEquals(Schema.CURRENT_VERSION, Schema.version(raw(null, null, schema[0] + ",public")));
  }

  // README: "LISTEN/NOTIFY only wakes readers early"; PostgresCatalog.Builder.pollInterval: "the
  // longest delay of a change made by another instance while notifications are lost". On a pool with
  // auto-commit off, a subscribed catalog polling hourly should still be woken by another instance's
  // change, as on any pool.
  @Test
  void aCatalogOnAPoolWithoutAutoCommitIsWokenByAnotherInstancesChange() {
    PostgresCatalog hourly = closing(PostgresCatalog.builder(noAutoCommitPool(name("nac"))).clock(CLOCK)
        .pollInterval(Duration.ofHours(1)).build());
    String p = "woken-" + RUN;
    List<Change> got = new CopyOnWriteArrayList<>();
    hourly.sequence(p);
    Subscription s = hourly.subscribe(Map.of(), got::add);
    CLOSE.add(s::cancel);
    try {
      Thread.sleep(1000);   // the first look at the feed done; now only a notification wakes it
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    catalog(shared(), CLOCK).add(backup(p, "w-1", "w-1", NOW.minusSeconds(1)));
    await("another instance's change wakes the hourly subscriber", () -> got.stream().anyMatch(c -> c.projectId().equals(p)));
  }

  // ====================================================================== what statements name

  /** A data source whose connections record the SQL of every statement they prepare or execute. */
  private static DataSource recording(DataSource target, List<String> statements) {
    return new DelegatingDataSource(target) {
      @Override
      public Connection getConnection() throws SQLException {
        Connection real = target.getConnection();
        InvocationHandler handler = (proxy, method, args) -> {
          if ((method.getName().startsWith("prepare")) && args != null && args.length > 0 && args[0] instanceof String s) {
            statements.add(s);
          }
          Object result;
          try {
            result = method.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
          if (result instanceof Statement st && method.getName().equals("createStatement")) {
            return Proxy.newProxyInstance(NewUserDbaTest.class.getClassLoader(), new Class<?>[] {Statement.class},
                (p2, m2, a2) -> {
                  if (m2.getName().startsWith("execute") && a2 != null && a2.length > 0 && a2[0] instanceof String s2) {
                    statements.add(s2);
                  }
                  try {
                    return m2.invoke(st, a2);
                  } catch (InvocationTargetException e) {
                    throw e.getCause();
                  }
                });
          }
          return result;
        };
        return (Connection) Proxy.newProxyInstance(NewUserDbaTest.class.getClassLoader(),
            new Class<?>[] {Connection.class}, handler);
      }
    };
  }

  /** The statements on csbs's tables that name no project: no {@code project_id} in them. */
  private static List<String> naming(List<String> statements) {
    List<String> out = new ArrayList<>();
    for (String s : statements) {
      String lower = s.toLowerCase(java.util.Locale.ROOT);
      boolean onCatalogTable = lower.matches("(?s).*\\bcsbs_(project|backup|change|tag|server_usage)\\b.*");
      if (onCatalogTable && !lower.startsWith("select pg_notify(") && !lower.contains("project_id =") && !lower.contains("project_id=")
          && !lower.contains("(project_id")) {
        out.add(s);
      }
    }
    return out;
  }

  // README: "every statement names one project (the all-projects view aside), so each runs on one
  // worker". The writes and reads of one project name it.
  @Test
  void theWritesAndReadsOfOneProjectEachNameTheProject() {
    DataSource store = shared();
    List<String> statements = new CopyOnWriteArrayList<>();
    PostgresCatalog catalog = catalog(recording(store, statements), CLOCK);
    String p = "named";
    catalog.add(backup(p, "n-1", "n-1", NOW.minusSeconds(1)));
    catalog.addAll(List.of(backup(p, "n-2", "n-2", NOW.minusSeconds(2)), backup(p, "n-3", "n-3", NOW.minusSeconds(3))));
    Backup b = catalog.get(p, "n-1");
    b = catalog.apply(p, "n-1", b.version(), Transition.restore()).orElseThrow();
    catalog.setQuota(p, Quota.of(50, 50));
    catalog.query(p, Query.where(Predicates.nameContains("n")));
    catalog.count(p, Predicates.status(BackupStatus.RESTORING));
    catalog.quotaUsage(p);
    catalog.changes(p, 0, 10);
    catalog.tagCatalogue(p);
    catalog.usage(p, io.csbs.usage.UsageQuery.firstServers(5));
    catalog.read(p, view -> view.count(Predicates.all()));
    catalog.updateTags(p, "n-3", catalog.get(p, "n-3").version(),
        io.csbs.backup.TagUpdate.create(io.csbs.backup.Tag.of("env", "prod")));
    catalog.remove(p, "n-2", catalog.get(p, "n-2").version());
    assertTrue(statements.size() > 5, statements.toString());
    assertEquals(List.of(), naming(statements));
  }

  @Test
  void aSubscriptionPollsEveryProjectsHeadInOneStatementNamingNone() {
    List<String> unnamed = subscriptionStatements();
    assertTrue(unnamed.stream().anyMatch(s -> s.contains("FROM csbs_project") && !s.contains("project_id =")), unnamed.toString());
  }

  private static List<String> subscriptionStatements() {
    DataSource store = tenant();
    List<String> statements = new CopyOnWriteArrayList<>();
    PostgresCatalog catalog = catalog(recording(store, statements), CLOCK);
    String p = "fed";
    catalog.add(backup(p, "f-1", "f-1", NOW.minusSeconds(1)));
    List<Change> got = new CopyOnWriteArrayList<>();
    Subscription s = catalog.subscribe(Map.of(), got::add);
    await("the change delivered", () -> got.size() == 1);
    s.cancel();
    return naming(statements);
  }

  /** A project id of {@code chars} random CJK letters (3 bytes each in UTF8, hardly compressible). */
  private static String longProjectId(long seed, int chars) {
    java.util.Random random = new java.util.Random(seed);
    StringBuilder id = new StringBuilder();
    for (int i = 0; i < chars; i++) {
      id.append((char) (0x4E00 + random.nextInt(0x5000)));
    }
    return id.toString();
  }

  // BackupCatalog.setQuota: "Any non-blank project id is taken (one no backup can have, longer than 64
  // chars, keeps a quota that nothing uses)". A long project id (1,000 letters, 3,000 bytes) on
  // PostgreSQL: taken, and its quota read back, as on the in-memory catalog.
  @Test
  void aQuotaOfALongProjectIdIsRefusedNamingTheProjectId() {
    // BackupCatalog.setQuota: "the PostgreSQL catalog refuses one of more than 2,000 bytes of UTF-8"
    long seed = System.nanoTime();
    String id = longProjectId(seed, 1000);   // 3,000 bytes
    PostgresCatalog catalog = catalog(shared(), CLOCK);
    io.csbs.backup.InvalidValueException e = assertThrows(io.csbs.backup.InvalidValueException.class,
        () -> catalog.setQuota(id, Quota.of(3, 3)), "seed " + seed);
    assertEquals("project id", e.field(), "seed " + seed + ": " + e.getMessage());
    assertEquals(Quota.NONE, catalog.quotaUsage(id).quota());
    assertEquals(0, catalog.sequence(id));
    String atTheBound = "q".repeat(2000);
    catalog.setQuota(atTheBound, Quota.of(3, 3));
    assertEquals(Quota.of(3, 3), catalog.quotaUsage(atTheBound).quota());
  }

  // ====================================================================== resuming with another store's positions

  // README: "subscribe(positions, ...) resumes after the last sequence a consumer handled". A consumer
  // kept its positions of store A, then (a crash, a fail-over to a store restored from an older copy)
  // subscribes to store B with them: B's changes up to those sequences are taken as handled, and only
  // the later ones arrive, in order; a project absent from the positions starts at its first change.
  @Test
  void positionsHandedToAnotherStoreSkipItsChangesUpToThem() {
    DataSource a = shared();
    DataSource b = shared2();
    PostgresCatalog ca = catalog(a, CLOCK);
    PostgresCatalog cb = catalog(b, CLOCK);
    String p = "resume-Ω";
    String other = "other-" + RUN;
    for (int i = 0; i < 5; i++) {
      ca.add(backup(p, "a-" + i, "a-" + i, NOW.minusSeconds(100 + i)));
    }
    for (int i = 0; i < 3; i++) {
      cb.add(backup(p, "b-" + i, "b-" + i, NOW.minusSeconds(100 + i)));
    }
    cb.add(backup(other, "o-1", "o-1", NOW.minusSeconds(1)));
    Map<String, Long> positions = Map.of(p, ca.sequence(p));   // 5
    List<Change> got = new CopyOnWriteArrayList<>();
    Subscription s = cb.subscribe(positions, got::add);
    CLOSE.add(s::cancel);
    await("the other project's change", () -> got.stream().anyMatch(c -> c.projectId().equals(other)));
    for (int i = 3; i < 8; i++) {
      cb.add(backup(p, "b-" + i, "b-" + i, NOW.minusSeconds(200 + i)));
    }
    await("changes 6 to 8 of " + p, () -> got.stream().filter(c -> c.projectId().equals(p)).count() >= 3);
    List<Long> sequences = got.stream().filter(c -> c.projectId().equals(p)).map(Change::sequence).toList();
    assertEquals(List.of(6L, 7L, 8L), sequences);
    assertNotNull(cb.get(p, "b-7"));
  }
}
