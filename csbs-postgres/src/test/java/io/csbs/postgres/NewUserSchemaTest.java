package io.csbs.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.csbs.ErrorCode;
import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.BackupType;
import io.csbs.backup.Failure;
import io.csbs.backup.JobType;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.ServerUsage;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.sql.DataSource;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A new user's review of csbs-postgres's {@link Schema} ({@code migrate}, {@code version}, {@code
 * script}, {@code distribute}), {@link SchemaVersionException} and {@link CatalogDatabaseException}
 * on the databases a real service meets, from the README's section "A durable, shared catalog" and
 * the javadoc only. One embedded PostgreSQL (the module's {@link TestDatabase}); every test works in
 * databases of its own, made with {@code CREATE DATABASE}, so that no test sees another's tables
 * (made ahead by a thread of their own, and reached through a small pool per data source, so that
 * the class stays within its time budget on two cores).
 *
 * <p>Its findings, all fixed or documented since: migrate on a current database needed CREATE rights
 * and a writable database; the scripts did not show the version table; where pg_trgm lives was not
 * said, and two schemas migrated at once raced on it; {@code version()} and migrate disagreed on a
 * search path over another catalog; a failed first migrate left the version table; a version table
 * below 1 made migrate throw IllegalArgumentException; {@code new SchemaVersionException(2, 2)} said
 * "newer"; name searches failed with standard_conforming_strings off; a LATIN1 database was migrated
 * and failed on its first CJK letter.
 */
class NewUserSchemaTest {
  private static final Instant NOW = Instant.parse("2026-12-04T06:00:00.123456Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final AtomicInteger DATABASES = new AtomicInteger();
  private static final List<String> MADE = new ArrayList<>();
  private static final List<String> ROLES = new ArrayList<>();
  private static final String RUN = Long.toString(System.nanoTime() % 1_000_000_000L, 36);
  private static PGSimpleDataSource admin;
  private static String migratedTemplate;

  @BeforeAll
  static void start() {
    PGSimpleDataSource plain = TestDatabase.plain();
    admin = new Db();
    admin.setURL(plain.getURL());
    admin.setUser(plain.getUser());
    admin.setPassword(plain.getPassword());
    makeAhead(16, 9);
  }

  @AfterEach
  void closePools() {
    List<Db> open;
    synchronized (OPEN) {
      open = new ArrayList<>(OPEN);
      OPEN.clear();
    }
    for (Db db : open) {
      db.closePool();
    }
  }

  private static final List<Db> OPEN = new ArrayList<>();

  /**
   * A data source on one database as one user (what a service configures), whose connections come
   * from a small pool of its own: a new server process costs more than the statements of a test.
   * Each data source made by {@link #on} has its own connections; all are closed after each test.
   */
  private static final class Db extends PGSimpleDataSource {
    private static final long serialVersionUID = 1L;
    private transient HikariDataSource pool;

    @Override
    public synchronized Connection getConnection() throws SQLException {
      if (pool == null) {
        PGSimpleDataSource physical = new PGSimpleDataSource();
        physical.setURL(getURL());
        physical.setUser(getUser());
        physical.setPassword(getPassword());
        physical.setDatabaseName(getDatabaseName());
        physical.setCurrentSchema(getCurrentSchema());
        physical.setOptions(getOptions());
        HikariConfig config = new HikariConfig();
        config.setDataSource(physical);
        config.setMaximumPoolSize(3);
        config.setMinimumIdle(0);
        config.setInitializationFailTimeout(-1);
        config.setConnectionTimeout(30_000);
        pool = new HikariDataSource(config);
        synchronized (OPEN) {
          OPEN.add(this);
        }
      }
      return pool.getConnection();
    }

    synchronized void closePool() {
      if (pool != null) {
        pool.close();
        pool = null;
      }
    }
  }

  @AfterAll
  static void dropAll() {
    done = true;
    if (!TestDatabase.external()) {
      return;   // the embedded server and its directory go away with the JVM
    }
    for (String name : MADE) {
      try {
        TestDatabase.execute(admin, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      } catch (RuntimeException e) {
        // left for the DBA
      }
    }
    for (String role : ROLES) {
      try {
        TestDatabase.execute(admin, "DROP ROLE IF EXISTS " + role);
      } catch (RuntimeException e) {
        // still owns something in a database not dropped
      }
    }
    ((Db) admin).closePool();
  }

  // ====================================================================== helpers

  /** A new, empty database (plain PostgreSQL, template1), and a data source on it as the admin. */
  private static PGSimpleDataSource freshDatabase() {
    String made = FRESH.poll();
    return made != null ? on(made, null, null) : on(newDatabase("template1"), null, null);
  }

  /**
   * A new database that {@link Schema#migrate} has created the csbs schema in (a copy of one such
   * database, migrated once for the class: a database per test at a tenth of the cost).
   */
  private static PGSimpleDataSource migratedDatabase() {
    String made = MIGRATED.poll();
    return made != null ? on(made, null, null) : on(newDatabase(migratedTemplate()), null, null);
  }

  private static synchronized String migratedTemplate() {
    if (migratedTemplate == null) {
      PGSimpleDataSource template = on(newDatabase("template1"), null, null);
      assertEquals(0, Schema.migrate(template));
      ((Db) template).closePool();   // a template has no session
      migratedTemplate = template.getDatabaseName();
    }
    return migratedTemplate;
  }

  private static String newDatabase(String template) {
    String name = "h32b_" + RUN + "_" + DATABASES.incrementAndGet();
    // FILE_COPY: a tiny database is copied in a fraction of WAL_LOG's time
    TestDatabase.execute(TestDatabase.plain(), "CREATE DATABASE " + name + " TEMPLATE " + template + " STRATEGY FILE_COPY");
    synchronized (MADE) {
      MADE.add(name);
    }
    return name;
  }

  /** Databases made ahead by a thread of their own while the tests run (each is handed out once). */
  private static final java.util.concurrent.BlockingQueue<String> FRESH = new java.util.concurrent.LinkedBlockingQueue<>();
  private static final java.util.concurrent.BlockingQueue<String> MIGRATED = new java.util.concurrent.LinkedBlockingQueue<>();
  private static volatile boolean done;

  private static void makeAhead(int fresh, int migrated) {
    Thread maker = new Thread(() -> {
      try {
        for (int i = 0; !done && (i < fresh || i < migrated); i++) {
          if (i < fresh) {
            FRESH.add(newDatabase("template1"));
          }
          if (i < migrated && !done) {
            MIGRATED.add(newDatabase(migratedTemplate()));
          }
        }
      } catch (RuntimeException | Error e) {
        // the tests make their databases themselves
      }
    }, "NewUserSchemaTest databases");
    maker.setDaemon(true);
    maker.start();
  }

  /** A data source on database {@code name}, as {@code user} (null: the admin), with {@code currentSchema}. */
  private static PGSimpleDataSource on(String name, String user, String currentSchema) {
    PGSimpleDataSource ds = new Db();
    ds.setURL(admin.getURL());
    ds.setUser(admin.getUser());
    ds.setPassword(admin.getPassword());
    ds.setDatabaseName(name);
    if (user != null) {
      ds.setUser(user);
      ds.setPassword(null);
    }
    if (currentSchema != null) {
      ds.setCurrentSchema(currentSchema);
    }
    return ds;
  }

  /** A data source of the driver alone, without a pool: a connection a call. */
  private static PGSimpleDataSource raw(String name) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(admin.getURL());
    ds.setUser(admin.getUser());
    ds.setDatabaseName(name);
    return ds;
  }

  private static PGSimpleDataSource as(PGSimpleDataSource base, String user) {
    return on(base.getDatabaseName(), user, base.getCurrentSchema());
  }

  private static PGSimpleDataSource withSchema(PGSimpleDataSource base, String currentSchema) {
    return on(base.getDatabaseName(), null, currentSchema);
  }

  private static String newRole() {
    String role = "h32b_" + RUN + "_r" + DATABASES.incrementAndGet();
    TestDatabase.execute(admin, "CREATE ROLE " + role + " LOGIN");
    synchronized (ROLES) {
      ROLES.add(role);
    }
    return role;
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

  private static long longOf(DataSource ds, String query) {
    try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rows = st.executeQuery(query)) {
      assertTrue(rows.next(), query);
      return rows.getLong(1);
    } catch (SQLException e) {
      throw new AssertionError(query, e);
    }
  }

  private static List<String> rows(DataSource ds, String query) {
    try (Connection c = ds.getConnection()) {
      return rows(c, query);
    } catch (SQLException e) {
      throw new AssertionError(query, e);
    }
  }

  private static List<String> rows(Connection c, String query) {
    List<String> out = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rows = st.executeQuery(query)) {
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

  private static final String USER_SCHEMAS =
      "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";

  /**
   * What a DBA would compare before and after: schemas, relations (tables, indexes, sequences,
   * views), columns, index definitions, extensions, and every row of every user table.
   */
  private static String listing(DataSource source) {
    try (Connection ds = source.getConnection()) {
      return listing(ds);
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  private static String listing(Connection ds) {
    StringBuilder out = new StringBuilder();
    out.append("schemas ").append(rows(ds, "SELECT n.nspname, pg_get_userbyid(n.nspowner) FROM pg_namespace n WHERE "
        + USER_SCHEMAS + " ORDER BY 1")).append('\n');
    out.append("extensions ").append(rows(ds, "SELECT e.extname, n.nspname, e.extversion FROM pg_extension e "
        + "JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY 1")).append('\n');
    List<String> relations = rows(ds, "SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n "
        + "ON n.oid = c.relnamespace WHERE " + USER_SCHEMAS + " ORDER BY 1, 2");
    out.append("relations ").append(relations).append('\n');
    out.append("columns ").append(rows(ds, "SELECT table_schema, table_name, column_name, data_type, collation_name, "
        + "is_nullable, column_default FROM information_schema.columns WHERE table_schema NOT IN "
        + "('pg_catalog', 'information_schema') ORDER BY 1, 2, ordinal_position")).append('\n');
    out.append("indexes ").append(rows(ds, "SELECT schemaname, indexname, indexdef FROM pg_indexes WHERE schemaname "
        + "NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2")).append('\n');
    for (String relation : relations) {
      String[] parts = relation.split(" \\| ");
      if (parts[2].equals("r")) {
        String table = "\"" + parts[0] + "\".\"" + parts[1] + "\"";
        out.append(table).append(' ').append(rows(ds, "SELECT t::text FROM " + table + " t ORDER BY 1")).append('\n');
      }
    }
    return out.toString();
  }

  /** The csbs tables (and where they are) of database {@code ds}, whatever its search path. */
  private static List<String> csbsTables(DataSource ds) {
    return rows(ds, "SELECT schemaname || '.' || tablename FROM pg_tables WHERE tablename LIKE 'csbs\\_%' ORDER BY 1");
  }

  private static PostgresCatalog catalog(PGSimpleDataSource ds) {
    return PostgresCatalog.create(ds, CLOCK);
  }

  private static Backup backup(String project, String id, Instant created) {
    return Backup.builder().id(id).name("autobk_" + id.replaceAll("[^\\p{L}\\p{N}_-]", "_")).projectId(project)
        .server(Server.of("srv-" + project, "ecs-" + project, "eu-de-01")).status(BackupStatus.AVAILABLE).sizeMb(10)
        .createdAt(created).build();
  }

  /** The database of version 1 exactly as migrate would have left it, written by hand from script(1). */
  private static void makeVersionOne(DataSource ds) {
    sql(ds, "CREATE TABLE csbs_schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
        Schema.script(1),
        "INSERT INTO csbs_schema_version (version) VALUES (1)");
  }

  private static <T extends Throwable> T thrown(Class<T> type, Runnable call) {
    return assertThrows(type, call::run);
  }

  // ====================================================================== an empty database

  // Schema.migrate: "Creates the schema in an empty database ... @return the version the database was
  // at before (0 for none)"; version: "0 when it has no csbs schema"; reading the version changes nothing.
  @Test
  void anEmptyDatabaseIsCreatedAtTheCurrentVersionAndMigratingAgainChangesNothing() {
    PGSimpleDataSource db = freshDatabase();
    String empty = listing(db);
    assertEquals(0, Schema.version(db));
    assertEquals(empty, listing(db), "version() changed the database");

    assertEquals(0, Schema.migrate(db));
    assertEquals(Schema.CURRENT_VERSION, Schema.version(db));
    assertEquals(List.of("1", "2"), rows(db, "SELECT version FROM csbs_schema_version ORDER BY 1"));
    Set<String> tables = new TreeSet<>(csbsTables(db));
    for (String t : List.of("csbs_schema_version", "csbs_project", "csbs_backup", "csbs_change", "csbs_tag",
        "csbs_server_usage")) {
      assertTrue(tables.contains("public." + t), t + " in " + tables);
    }
    String migrated = listing(db);
    // "does nothing on a database already there": returns the version, and no table, index, column
    // or row (not even applied_at) differs
    assertEquals(Schema.CURRENT_VERSION, Schema.migrate(db));
    assertEquals(Schema.CURRENT_VERSION, Schema.migrate(db));
    assertEquals(migrated, listing(db));
  }

  // The same on a database already at the current version holding data of several projects with
  // odd ids: migrate returns the version and leaves every row as it was; the catalog reads them.
  @Test
  void migratingADatabaseInUseChangesNoRow() {
    PGSimpleDataSource db = migratedDatabase();
    List<String> projects = List.of("project-1", "проект-ü", "p\u4e2d\u6587", "p'\"; DROP TABLE csbs_backup; --", " p ");
    try (PostgresCatalog catalog = catalog(db)) {
      for (String p : projects) {
        catalog.add(backup(p, "a-" + p.hashCode(), NOW.minusSeconds(60)));
        catalog.setQuota(p, Quota.of(7, 100));
      }
      catalog.apply("project-1", "a-" + "project-1".hashCode(), 1, Transition.restore());
      String before = listing(db);
      assertEquals(Schema.CURRENT_VERSION, Schema.migrate(db));
      assertEquals(before, listing(db));
      for (String p : projects) {
        assertEquals(1, catalog.count(p, Predicates.all()), p);
        assertEquals(Quota.of(7, 100), catalog.quotaUsage(p).quota(), p);
      }
      assertEquals(BackupStatus.RESTORING, catalog.get("project-1", "a-" + "project-1".hashCode()).status());
    }
  }

  // Schema.version: "0 when it has no csbs schema" on a database that has tables of its own (an
  // application's), one of them even named like a csbs column; nothing is created by reading.
  @Test
  void aDatabaseWithOnlyOtherTablesIsAtVersionZero() {
    PGSimpleDataSource db = freshDatabase();
    sql(db, "CREATE TABLE orders (id serial PRIMARY KEY, version integer)", "INSERT INTO orders (version) VALUES (9)",
        "CREATE TABLE schema_version (version integer)", "INSERT INTO schema_version VALUES (2)");
    String before = listing(db);
    assertEquals(0, Schema.version(db));
    assertEquals(before, listing(db));

  }

  // ====================================================================== version 1 with data

  private static final String[] STATUS_CODES = {"AVAILABLE", "CREATING", "RESTORING", "DELETING", "ERROR"};

  /** Writes {@code b} as a row of version 1's csbs_backup, following the comments of V1__catalog.sql. */
  private static void insertVersionOneRow(Connection c, Backup b) throws SQLException {
    try (PreparedStatement insert = c.prepareStatement("INSERT INTO csbs_backup (project_id, id, name, name_lower, "
        + "description, server_id, server_name, server_name_lower, resource_type, availability_zone, status, progress, "
        + "progress_at, backup_type, backup_trigger, policy_id, size_mb, created_at, updated_at, finished_at, failed_job, "
        + "failure_reason, failed_at, tags, tag_keys, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        + "?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      int i = 1;
      insert.setString(i++, b.projectId());
      insert.setString(i++, b.id());
      insert.setString(i++, b.name());
      insert.setString(i++, b.name().toLowerCase(Locale.ROOT));
      insert.setString(i++, b.description().orElse(null));
      insert.setString(i++, b.server().id());
      insert.setString(i++, b.server().name());
      insert.setString(i++, b.server().name().toLowerCase(Locale.ROOT));
      insert.setString(i++, b.server().resourceType());
      insert.setString(i++, b.server().availabilityZone());
      insert.setShort(i++, (short) List.of(STATUS_CODES).indexOf(b.status().name()));
      if (b.progress().isPresent()) {
        insert.setShort(i++, (short) b.progress().get().percent());
        insert.setObject(i++, OffsetDateTime.ofInstant(b.progress().get().changedAt(), ZoneOffset.UTC));
      } else {
        insert.setNull(i++, java.sql.Types.SMALLINT);
        insert.setNull(i++, java.sql.Types.TIMESTAMP_WITH_TIMEZONE);
      }
      insert.setString(i++, b.type().name());
      insert.setString(i++, b.trigger().name());
      insert.setString(i++, b.policyId().orElse(null));
      insert.setLong(i++, b.sizeMb());
      insert.setObject(i++, OffsetDateTime.ofInstant(b.createdAt(), ZoneOffset.UTC));
      insert.setObject(i++, OffsetDateTime.ofInstant(b.updatedAt(), ZoneOffset.UTC));
      insert.setObject(i++, b.finishedAt().map(t -> OffsetDateTime.ofInstant(t, ZoneOffset.UTC)).orElse(null),
          java.sql.Types.TIMESTAMP_WITH_TIMEZONE);
      insert.setString(i++, b.failure().map(f -> f.job().name()).orElse(null));
      insert.setString(i++, b.failure().map(Failure::reason).orElse(null));
      insert.setObject(i++, b.failure().map(f -> OffsetDateTime.ofInstant(f.failedAt(), ZoneOffset.UTC)).orElse(null),
          java.sql.Types.TIMESTAMP_WITH_TIMEZONE);
      insert.setArray(i++, c.createArrayOf("text", b.tags().stream().map(t -> t.key() + "=" + t.value()).toArray()));
      insert.setArray(i++, c.createArrayOf("text", b.tags().stream().map(Tag::key).toArray()));
      insert.setLong(i++, b.version());
      insert.executeUpdate();
    }
  }

  /** Writes the project rows, the tag catalogue and the usage per server that version 1 keeps for {@code backups}. */
  private static void insertVersionOneCounters(Connection c, List<Backup> backups, Map<String, Quota> quotas,
      Map<String, Long> lastSequences) throws SQLException {
    Map<String, List<Backup>> byProject = new TreeMap<>();
    for (Backup b : backups) {
      byProject.computeIfAbsent(b.projectId(), k -> new ArrayList<>()).add(b);
    }
    for (String p : quotas.keySet()) {
      byProject.computeIfAbsent(p, k -> new ArrayList<>());
    }
    for (Map.Entry<String, List<Backup>> e : byProject.entrySet()) {
      long[] states = new long[5];
      long size = 0;
      Map<String, Long> tags = new TreeMap<>();
      Map<String, long[]> servers = new TreeMap<>();
      for (Backup b : e.getValue()) {
        states[b.status().ordinal()]++;
        size += b.sizeMb();
        for (Tag t : b.tags()) {
          tags.merge(t.key() + "\u0000" + t.value(), 1L, Long::sum);
        }
        long[] s = servers.computeIfAbsent(b.server().id(), k -> new long[2]);
        s[0]++;
        s[1] += b.sizeMb();
      }
      Quota quota = quotas.getOrDefault(e.getKey(), Quota.NONE);
      try (PreparedStatement p = c.prepareStatement("INSERT INTO csbs_project (project_id, last_sequence, max_backups, "
          + "max_capacity_gb, quota_version, backups, size_mb, available, creating, restoring, deleting, error) "
          + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        p.setString(1, e.getKey());
        p.setLong(2, lastSequences.getOrDefault(e.getKey(), 0L));
        p.setLong(3, quota.maxBackups());
        p.setLong(4, quota.maxCapacityGb());
        p.setLong(5, quotas.containsKey(e.getKey()) ? 1 : 0);
        p.setLong(6, e.getValue().size());
        p.setLong(7, size);
        for (int s = 0; s < 5; s++) {
          p.setLong(8 + s, states[s]);
        }
        p.executeUpdate();
      }
      for (Map.Entry<String, Long> t : tags.entrySet()) {
        String[] kv = t.getKey().split("\u0000", -1);
        try (PreparedStatement p = c.prepareStatement(
            "INSERT INTO csbs_tag (project_id, tag_key, tag_value, backups) VALUES (?, ?, ?, ?)")) {
          p.setString(1, e.getKey());
          p.setString(2, kv[0]);
          p.setString(3, kv[1]);
          p.setLong(4, t.getValue());
          p.executeUpdate();
        }
      }
      for (Map.Entry<String, long[]> s : servers.entrySet()) {
        try (PreparedStatement p = c.prepareStatement(
            "INSERT INTO csbs_server_usage (project_id, server_id, backups, size_mb) VALUES (?, ?, ?, ?)")) {
          p.setString(1, e.getKey());
          p.setString(2, s.getKey());
          p.setLong(3, s.getValue()[0]);
          p.setLong(4, s.getValue()[1]);
          p.executeUpdate();
        }
      }
    }
  }

  /** Every row of the tables of version 1, in version 1's columns. */
  private static String versionOneRows(DataSource db) {
    StringBuilder out = new StringBuilder();
    for (String table : List.of("csbs_project", "csbs_backup", "csbs_change", "csbs_tag", "csbs_server_usage")) {
      List<String> columns = rows(db, "SELECT attname FROM pg_attribute WHERE attrelid = '" + table + "'::regclass "
          + "AND attnum > 0 AND NOT attisdropped AND attname NOT IN ('api_status', 'details') ORDER BY attnum");
      out.append(table).append(rows(db, "SELECT row(" + String.join(", ", columns) + ")::text FROM " + table + " ORDER BY 1"))
          .append('\n');
    }
    return out.toString();
  }

  /** Backups of every state and option, with odd (but valid) texts, on {@code projects} projects. */
  private static List<Backup> versionOneBackups(Random random, int projects) {
    List<Backup> out = new ArrayList<>();
    String[] names = {"autobk_a61d", "Ünïcödé_名前", "manualbk-ÄÖ", "x", "Z".repeat(255), "ολυμπος_9"};
    String[] projectIds = {"project-1", "Projekt_ß", "项目", "p", "tenant/with/slashes", "p-" + "q".repeat(62)};
    for (int p = 0; p < projects; p++) {
      String project = projectIds[p % projectIds.length];
      int count = 1 + random.nextInt(6);
      for (int i = 0; i < count; i++) {
        BackupStatus status = BackupStatus.values()[random.nextInt(5)];
        Instant created = NOW.minusSeconds(86_400 + random.nextInt(1_000_000)).minusNanos(1000L * random.nextInt(1_000_000));
        Backup.Builder b = Backup.builder().id("id-" + p + "-" + i + "-" + Integer.toHexString(random.nextInt()))
            .name(names[random.nextInt(names.length)]).projectId(project)
            .server(Server.of("srv-" + random.nextInt(3), "ecs-Ü" + random.nextInt(3), "eu-de-0" + random.nextInt(3)))
            .status(status).sizeMb(random.nextInt(2) == 0 ? 0 : random.nextInt(1 << 30))
            .createdAt(created).updatedAt(created.plusSeconds(100)).version(1 + random.nextInt(9))
            .type(random.nextBoolean() ? BackupType.COMMON : BackupType.ENHANCED);
        if (random.nextBoolean()) {
          b.trigger(BackupTrigger.AUTOMATIC).policyId("policy-" + random.nextInt(5));
        }
        if (random.nextBoolean()) {
          b.description(random.nextBoolean() ? "" : "beschreibung ✓ «quoted» 'single' \"double\"");
        }
        if (status.isIntermediate()) {
          b.progress(Progress.of(random.nextInt(101), created.plusSeconds(50)));
        }
        if (status == BackupStatus.ERROR) {
          b.failure(Failure.of(JobType.values()[random.nextInt(JobType.values().length)], "disk ☠ full", created.plusSeconds(60)));
        }
        if (status == BackupStatus.AVAILABLE && random.nextBoolean()) {
          b.finishedAt(created.plusSeconds(90));
        }
        int tags = random.nextInt(4);
        for (int t = 0; t < tags; t++) {
          b.addTags(Tag.of("k" + t + (t == 2 ? "_ключ" : ""), random.nextBoolean() ? "" : "v-" + random.nextInt(3)));
        }
        out.add(b.build());
      }
    }
    return out;
  }

  // CHANGELOG: "csbs-postgres schema version 2 (... NULL by default, so version 1 rows need no
  // rewrite)"; Schema.migrate "upgrades it to CURRENT_VERSION", "@return the version the database
  // was at before". Rows written as version 1 keeps them read back equal through PostgresCatalog:
  // backups, totals, tags, usage, quotas, and the feed goes on from the project's last change.
  @Test
  void aVersionOneDatabaseWithDataIsUpgradedAndReadsBackEqual() throws SQLException {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    String why = "seed " + seed;
    PGSimpleDataSource db = freshDatabase();
    makeVersionOne(db);
    List<Backup> backups = versionOneBackups(random, 6);
    Map<String, Quota> quotas = Map.of("project-1", Quota.of(50, 1L << 40), "项目", Quota.of(0, 0), "quota-only", Quota.of(3, 4));
    Map<String, Long> sequences = new TreeMap<>();
    for (Backup b : backups) {
      sequences.merge(b.projectId(), 0L, Long::sum);
    }
    sequences.put("project-1", 41L);
    try (Connection c = db.getConnection()) {
      for (Backup b : backups) {
        insertVersionOneRow(c, b);
      }
      insertVersionOneCounters(c, backups, quotas, sequences);
    }
    assertEquals(1, Schema.version(db), why);
    String v1Rows = versionOneRows(db);
    assertEquals(1, Schema.migrate(db), why);
    assertEquals(Schema.CURRENT_VERSION, Schema.version(db), why);
    assertEquals(v1Rows, versionOneRows(db), why + ": the upgrade rewrites no row");
    assertEquals(List.of(), rows(db, "SELECT id FROM csbs_backup WHERE api_status IS NOT NULL OR details IS NOT NULL"),
        why + ": version 2's columns are NULL on old rows");

    try (PostgresCatalog catalog = catalog(db)) {
      Map<String, List<Backup>> byProject = new TreeMap<>();
      for (Backup b : backups) {
        byProject.computeIfAbsent(b.projectId(), k -> new ArrayList<>()).add(b);
      }
      for (Map.Entry<String, List<Backup>> e : byProject.entrySet()) {
        String p = e.getKey();
        for (Backup b : e.getValue()) {
          assertEquals(b, catalog.get(p, b.id()), why + ": " + b);
        }
        assertEquals(e.getValue().size(), catalog.count(p, Predicates.all()), why + " " + p);
        for (BackupStatus s : BackupStatus.values()) {
          assertEquals(e.getValue().stream().filter(b -> b.status() == s).count(), catalog.count(p, Predicates.status(s)),
              why + " " + p + " " + s);
        }
        Page page = catalog.query(p, Query.all());
        assertEquals(e.getValue().size(), page.total(), why);
        List<Backup> expected = new ArrayList<>(e.getValue());
        expected.sort(Comparator.comparing(Backup::createdAt).thenComparing(Backup::id).reversed());
        assertEquals(expected, page.backups(), why + ": newest first");
        Map<String, Set<String>> tags = new TreeMap<>();
        for (Backup b : e.getValue()) {
          for (Tag t : b.tags()) {
            tags.computeIfAbsent(t.key(), k -> new TreeSet<>()).add(t.value());
          }
        }
        assertEquals(tags, new TreeMap<>(catalog.tagCatalogue(p).asMap()), why + " " + p);
        long size = e.getValue().stream().mapToLong(Backup::sizeMb).sum();
        QuotaUsage usage = catalog.quotaUsage(p);
        assertEquals(new QuotaUsage(quotas.getOrDefault(p, Quota.NONE), e.getValue().size(), size), usage, why + " " + p);
        UsageReport report = catalog.usage(p, UsageQuery.firstServers(100));
        assertEquals(e.getValue().size(), report.backups(), why);
        assertEquals(size, report.sizeMb(), why);
        assertEquals(e.getValue().stream().map(b -> b.server().id()).distinct().count(), report.serverCount(), why);
        long tagged = e.getValue().stream().filter(b -> b.tags().contains(Tag.of("k0", ""))).count();
        assertEquals(tagged, catalog.count(p, Predicates.tag("k0", "")), why);
        long unicode = e.getValue().stream().filter(b -> b.name().toLowerCase(Locale.ROOT).contains("ünïc")).count();
        assertEquals(unicode, catalog.count(p, Predicates.nameContains("ÜNÏC")), why);
        for (ServerUsage s : report.servers()) {
          assertEquals(e.getValue().stream().filter(b -> b.server().id().equals(s.serverId())).count(), s.backups(), why);
        }
        assertEquals((long) sequences.get(p), catalog.sequence(p), why + " " + p);
      }
      assertEquals(Quota.of(3, 4), catalog.quotaUsage("quota-only").quota(), why);
      // a replica loads the upgraded rows as the catalog reads them
      try (PostgresReplica replica = PostgresReplica.start(catalog)) {
        for (Map.Entry<String, List<Backup>> e : byProject.entrySet()) {
          assertEquals(catalog.query(e.getKey(), Query.all()), replica.query(e.getKey(), Query.all()), why + " " + e.getKey());
        }
      }

      // an old row changes as any: the next version, the feed numbered after the project's last change
      Backup old = byProject.get("project-1").stream().filter(b -> b.status() == BackupStatus.AVAILABLE).findFirst()
          .orElse(null);
      if (old != null) {
        Backup deleting = catalog.apply("project-1", old.id(), old.version(), Transition.delete()).orElseThrow();
        assertEquals(old.version() + 1, deleting.version(), why);
        assertEquals(42, catalog.sequence("project-1"), why);
        assertEquals(42, catalog.changes("project-1", 41, 10).get(0).sequence(), why);
        assertEquals(deleting, catalog.get("project-1", old.id()), why);
      }
      Backup fresh = backup("project-1", "after-upgrade", NOW.minusSeconds(1));
      catalog.add(fresh);
      assertEquals(fresh, catalog.get("project-1", "after-upgrade"), why);
    }
  }

  // ====================================================================== a half-created schema

  // A version table that says the current version, but a table is missing (dropped by hand): the docs
  // promise a version check only. What happens: migrate does nothing (no repair) and a change that
  // needs the table fails with a CatalogDatabaseException naming it; nothing is half-written.
  @Test
  void aMissingTableUnderACurrentVersionIsReportedByNameAndNothingIsHalfWritten() {
    PGSimpleDataSource db = migratedDatabase();
    sql(db, "DROP TABLE csbs_tag");
    String before = listing(db);
    assertEquals(Schema.CURRENT_VERSION, Schema.migrate(db));
    assertEquals(before, listing(db), "migrate does not repair");
    try (PostgresCatalog catalog = catalog(db)) {
      Backup tagged = Backup.builder().id("t1").name("tagged").projectId("p").server(Server.of("s", "s", "az"))
          .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(NOW.minusSeconds(9)).addTags(Tag.of("env", "prod")).build();
      CatalogDatabaseException e = thrown(CatalogDatabaseException.class, () -> catalog.add(tagged));
      assertFalse(e instanceof SchemaVersionException, e.toString());
      assertTrue(e.getMessage().contains("csbs_tag"), e.getMessage());
      assertEquals("42P01", e.sqlState());
      assertFalse(e.isRetryable());
      assertEquals(before, listing(db), "nothing half-written");
      assertEquals(0, catalog.count("p", Predicates.all()));
    }
  }

  // The sibling: what happens.
  @Test
  void aDatabaseWithTheTablesButNoVersionTableIsRefusedAndCannotBeMigrated() {
    PGSimpleDataSource db = migratedDatabase();
    sql(db, "DROP TABLE csbs_schema_version");
    assertEquals(0, Schema.version(db));
    try (PostgresCatalog catalog = catalog(db)) {
      SchemaVersionException e = thrown(SchemaVersionException.class, () -> catalog.count("p", Predicates.all()));
      assertEquals(0, e.databaseVersion());
      assertTrue(e.getMessage().contains("no csbs schema"), e.getMessage());
    }
    String before = listing(db);
    CatalogDatabaseException e = thrown(CatalogDatabaseException.class, () -> Schema.migrate(db));
    assertEquals("42P07", e.sqlState());
    assertTrue(e.getMessage().contains("create or upgrade the csbs schema"), e.getMessage());
    assertTrue(e.getMessage().contains("csbs_project"), e.getMessage());
    assertEquals(0, Schema.version(db));
    assertEquals(before, listing(db), "the failed migrate leaves the database as it was");
  }

  // Schema.migrate: "Each version is applied in one transaction: a failure leaves the database at the
  // previous version". A database of an application that already has a table named like one of
  // csbs's: migrate fails naming it, version 1 is not half-applied (no csbs table but the version
  // table), the application's table and rows are untouched.
  @Test
  void aNameTakenByAnApplicationTableFailsTheFirstVersionWhole() {
    PGSimpleDataSource db = freshDatabase();
    sql(db, "CREATE TABLE csbs_change (x int)", "INSERT INTO csbs_change VALUES (1), (2)");
    CatalogDatabaseException e = thrown(CatalogDatabaseException.class, () -> Schema.migrate(db));
    assertFalse(e instanceof SchemaVersionException);
    assertTrue(e.getMessage().contains("csbs_change"), e.getMessage());
    assertFalse(e.isRetryable());
    assertEquals(0, Schema.version(db));
    assertEquals(List.of("public.csbs_change"), csbsTables(db), "the version table rolled back with version 1");
    assertEquals(List.of("1", "2"), rows(db, "SELECT x FROM csbs_change ORDER BY 1"));
    assertEquals(List.of(), rows(db, "SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'"),
        "version 1's CREATE EXTENSION rolled back with it");
  }

  // The same database, checked the way a DBA checks "a failure leaves the database at the previous
  // version" (and CatalogDatabaseException's "Nothing is ever half-written"): a listing of the
  // database before and after the failed migrate.
  @Test
  void aFailedFirstMigrateLeavesTheDatabaseAsItWas() {
    PGSimpleDataSource db = freshDatabase();
    sql(db, "CREATE TABLE csbs_change (x int)");
    String before = listing(db);
    assertThrows(CatalogDatabaseException.class, () -> Schema.migrate(db));
    assertEquals(before, listing(db));
  }

  // ====================================================================== a newer database

  // Schema.migrate: "@throws SchemaVersionException if the database is at a newer version than this
  // library knows"; SchemaVersionException: "a newer one written by a later release of the library
  // (upgrade the library). Nothing was read or written. Not retryable", its accessors and its code.
  @Test
  void aNewerDatabaseIsRefusedByEveryEntryAndNothingIsChanged() {
    PGSimpleDataSource db = migratedDatabase();
    try (PostgresCatalog writer = catalog(db)) {
      writer.add(backup("p", "kept", NOW.minusSeconds(5)));
    }
    int newer = Schema.CURRENT_VERSION + 5;
    sql(db, "INSERT INTO csbs_schema_version (version) VALUES (" + newer + ")");
    String before = listing(db);
    assertEquals(newer, Schema.version(db));

    SchemaVersionException e = thrown(SchemaVersionException.class, () -> Schema.migrate(db));
    assertEquals(newer, e.databaseVersion());
    assertEquals(Schema.CURRENT_VERSION, e.libraryVersion());
    assertEquals(ErrorCode.SCHEMA_VERSION_MISMATCH, e.code());
    assertFalse(e.isRetryable());
    assertTrue(e.getMessage().contains(Integer.toString(newer)), e.getMessage());
    assertTrue(e.getMessage().contains("version " + Schema.CURRENT_VERSION), e.getMessage());
    assertTrue(e.getMessage().contains("upgrade the library"), e.getMessage());
    assertEquals(before, listing(db));

    try (PostgresCatalog catalog = catalog(db)) {
      List<Function<PostgresCatalog, Object>> calls = List.of(
          c -> c.find("p", "kept"), c -> c.count("p", Predicates.all()), c -> c.query("p", Query.all()),
          c -> c.sequence("p"), c -> c.quotaUsage("p"), c -> c.tagCatalogue("p"),
          c -> c.usage("p", UsageQuery.firstServers(10)), c -> c.changes("p", 0, 10),
          c -> c.queryAllProjects(Query.all()),
          c -> { c.add(backup("p", "new", NOW.minusSeconds(1))); return null; },
          c -> { c.setQuota("p", Quota.of(1, 1)); return null; },
          c -> c.apply("p", "kept", 1, Transition.delete()),
          c -> { c.remove("p", "kept", 1); return null; });
      for (int i = 0; i < calls.size(); i++) {
        Function<PostgresCatalog, Object> call = calls.get(i);
        SchemaVersionException refused = assertThrows(SchemaVersionException.class, () -> call.apply(catalog), "call " + i);
        assertEquals(newer, refused.databaseVersion(), "call " + i);
        assertEquals(Schema.CURRENT_VERSION, refused.libraryVersion());
      }
    }
    assertThrows(SchemaVersionException.class, () -> PostgresReplica.start(catalog(db)).close());
    assertEquals(before, listing(db), "nothing read or written");
  }

  // SchemaVersionException(databaseVersion, libraryVersion): "An exception for a database at
  // databaseVersion where the library needs libraryVersion"; the class: "Thrown when the database's
  // csbs schema is not the version this library reads and writes". Equal versions are no mismatch.
  @Test
  void aSchemaVersionExceptionOfEqualVersionsIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SchemaVersionException(2, 2));
    assertTrue(e.getMessage().contains("databaseVersion"), e.getMessage());
  }

  // ====================================================================== a database not migrated

  // Schema: "The catalog never changes the schema by itself: it checks the version on first use and
  // refuses a database that is not at CURRENT_VERSION"; SchemaVersionException's message names the
  // versions and the call to make. On an empty database and on one at version 1.
  @Test
  void aCatalogOnADatabaseNotMigratedIsRefusedNamingTheVersionsAndCreatesNothing() {
    PGSimpleDataSource empty = freshDatabase();
    String before = listing(empty);
    try (PostgresCatalog catalog = catalog(empty)) {
      SchemaVersionException e = thrown(SchemaVersionException.class, () -> catalog.add(backup("p", "a", NOW.minusSeconds(1))));
      assertEquals(0, e.databaseVersion());
      assertEquals(Schema.CURRENT_VERSION, e.libraryVersion());
      assertTrue(e.getMessage().contains("version " + Schema.CURRENT_VERSION), e.getMessage());
      assertTrue(e.getMessage().contains("Schema.migrate(dataSource)"), e.getMessage());
      assertNull(e.sqlState());
      assertFalse(e.isRetryable());
      assertEquals(ErrorCode.SCHEMA_VERSION_MISMATCH, e.code());
      assertThrows(SchemaVersionException.class, () -> catalog.setQuota("p", Quota.of(1, 1)));
      assertThrows(SchemaVersionException.class, () -> catalog.countAllProjects(Predicates.all()));
      assertThrows(SchemaVersionException.class, () -> PostgresReplica.start(catalog));
    }
    assertEquals(before, listing(empty), "the catalog created nothing");

    PGSimpleDataSource v1 = freshDatabase();
    makeVersionOne(v1);
    String v1Before = listing(v1);
    try (PostgresCatalog catalog = catalog(v1)) {
      SchemaVersionException e = thrown(SchemaVersionException.class, () -> catalog.find("p", "a"));
      assertEquals(1, e.databaseVersion());
      assertTrue(e.getMessage().contains("version 1"), e.getMessage());
      assertTrue(e.getMessage().contains("version " + Schema.CURRENT_VERSION), e.getMessage());
      assertTrue(e.getMessage().contains("Schema.migrate"), e.getMessage());
      assertThrows(SchemaVersionException.class, () -> catalog.add(backup("p", "a", NOW.minusSeconds(1))));
      assertEquals(v1Before, listing(v1), "the catalog upgraded nothing");
      // once migrated, the same catalog works: it "checks the version on first use"
      assertEquals(1, Schema.migrate(v1));
      catalog.add(backup("p", "a", NOW.minusSeconds(1)));
      assertEquals(1, catalog.count("p", Predicates.all()));
    }
  }

  // ====================================================================== scripts

  // Schema.script: "The SQL of schema version version, as migrate runs it ... @param version a schema
  // version, 1 to CURRENT_VERSION ... @throws IllegalArgumentException if this library has no such
  // version"; the class javadoc names the resources (io/csbs/postgres/V1__catalog.sql, ...).
  @Test
  void everyScriptIsTheShippedResourceAndEveryOtherVersionIsRefusedNamingIt() throws Exception {
    for (int v = 1; v <= Schema.CURRENT_VERSION; v++) {
      String script = Schema.script(v);
      assertFalse(script.isBlank(), "version " + v);
      assertEquals(script, Schema.script(v));
      assertTrue(script.contains("version " + v), "the script says its version: " + v);
    }
    try (InputStream in = Schema.class.getResourceAsStream("/io/csbs/postgres/V1__catalog.sql")) {
      assertNotNull(in, "io/csbs/postgres/V1__catalog.sql is in the jar");
      assertEquals(new String(in.readAllBytes(), StandardCharsets.UTF_8), Schema.script(1));
    }
    try (InputStream in = Schema.class.getResourceAsStream("/io/csbs/postgres/V2__api_details.sql")) {
      assertNotNull(in);
      assertEquals(new String(in.readAllBytes(), StandardCharsets.UTF_8), Schema.script(2));
    }
    for (int v : new int[] {0, -1, Schema.CURRENT_VERSION + 1, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Schema.script(v), "version " + v);
      assertTrue(e.getMessage().contains(Integer.toString(v)), e.getMessage());
      assertTrue(e.getMessage().contains("1 to " + Schema.CURRENT_VERSION), e.getMessage());
    }
  }

  // The sibling: a DBA applies the scripts as shipped.
  @Test
  void aSchemaAppliedFromTheScriptsByHandIsRefusedAsVersionZeroAndCannotBeMigrated() {
    PGSimpleDataSource db = freshDatabase();
    sql(db, Schema.script(1), Schema.script(2));
    assertEquals(0, Schema.version(db));
    try (PostgresCatalog catalog = catalog(db)) {
      assertEquals(0, thrown(SchemaVersionException.class, () -> catalog.count("p", Predicates.all())).databaseVersion());
    }
    CatalogDatabaseException e = thrown(CatalogDatabaseException.class, () -> Schema.migrate(db));
    assertEquals("42P07", e.sqlState(), e.getMessage());
    // Schema's javadoc: a DBA running the scripts by hand also creates the version table and its rows
    sql(db, "CREATE TABLE csbs_schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
        "INSERT INTO csbs_schema_version (version) VALUES (1), (2)");
    assertEquals(Schema.CURRENT_VERSION, Schema.version(db));
    assertEquals(Schema.CURRENT_VERSION, Schema.migrate(db));
    try (PostgresCatalog catalog = catalog(db)) {
      assertEquals(0, catalog.count("p", Predicates.all()));
    }
  }

  // ====================================================================== distribute

  // Schema.distribute: "@throws CatalogDatabaseException if the database is not Citus or refuses"; the
  // message says what it was doing; nothing is changed. Before and after migrate.
  @Test
  void distributeOnPlainPostgresIsRefusedAndChangesNothing() {
    org.junit.jupiter.api.Assumptions.assumeFalse(TestDatabase.citus(), "plain PostgreSQL only");
    PGSimpleDataSource db = freshDatabase();
    String empty = listing(db);
    CatalogDatabaseException before = thrown(CatalogDatabaseException.class, () -> Schema.distribute(db));
    assertFalse(before instanceof SchemaVersionException);
    assertEquals(empty, listing(db));
    Schema.migrate(db);
    try (PostgresCatalog catalog = catalog(db)) {
      catalog.add(backup("p", "a", NOW.minusSeconds(3)));
    }
    String migrated = listing(db);
    CatalogDatabaseException e = thrown(CatalogDatabaseException.class, () -> Schema.distribute(db));
    assertTrue(e.getMessage().contains("distribute"), e.getMessage());
    assertTrue(e.getMessage().contains("Citus"), e.getMessage());
    assertFalse(e.isRetryable(), e.getMessage());
    assertNotNull(e.sqlState());
    assertTrue(e.getCause() instanceof SQLException);
    assertEquals(ErrorCode.DATABASE_FAILURE, e.code());
    assertEquals(migrated, listing(db));
    assertEquals(Schema.CURRENT_VERSION, Schema.migrate(db));
  }

  // ====================================================================== null arguments

  @Test
  void nullDataSourcesAreRefusedNamingTheParameter() {
    for (Runnable call : List.<Runnable>of(() -> Schema.migrate(null), () -> Schema.version(null),
        () -> Schema.distribute(null))) {
      NullPointerException e = assertThrows(NullPointerException.class, call::run);
      assertEquals("dataSource", e.getMessage());
    }
  }

  // ====================================================================== concurrency

  // Schema: "Several instances may call it at once: they serialize on the version table, and each
  // version is applied once." Threads of their own connections, started together on an empty
  // database and on one at version 1: all return, none fails, each version has one row.
  // The version 1 round runs where the transactions default to SERIALIZABLE (as some services
  // configure their pools): nothing in the docs says migrate needs READ COMMITTED.
  @Test
  void severalInstancesMigratingAtOnceAllReturnAndEachVersionIsAppliedOnce() throws Exception {
    migrateAtOnce(freshDatabase(), 0, null);
    PGSimpleDataSource v1 = freshDatabase();
    makeVersionOne(v1);
    migrateAtOnce(v1, 1, "-c default_transaction_isolation=serializable");
  }

  private static void migrateAtOnce(PGSimpleDataSource db, int start, String options) throws Exception {
    int instances = 4;
    ExecutorService pool = Executors.newFixedThreadPool(instances);
    try {
      CyclicBarrier together = new CyclicBarrier(instances);
      List<Future<Integer>> calls = new ArrayList<>();
      for (int t = 0; t < instances; t++) {
        calls.add(pool.submit((Callable<Integer>) () -> {
          PGSimpleDataSource own = on(db.getDatabaseName(), null, null);
          if (options != null) {
            own.setOptions(options);
          }
          together.await(30, TimeUnit.SECONDS);
          return Schema.migrate(own);
        }));
      }
      List<Integer> returned = new ArrayList<>();
      List<Throwable> failed = new ArrayList<>();
      for (Future<Integer> call : calls) {
        try {
          returned.add(call.get(60, TimeUnit.SECONDS));
        } catch (java.util.concurrent.ExecutionException e) {
          failed.add(e.getCause());
        }
      }
      assertEquals(List.of(), failed, "every instance returns");
      for (int r : returned) {
        assertTrue(r >= start && r <= Schema.CURRENT_VERSION, "returned " + returned);
      }
      assertTrue(returned.contains(start), "one of them saw the database as it was: " + returned);
      assertEquals(Schema.CURRENT_VERSION, Schema.version(db));
      assertEquals(List.of("1", "2"), rows(db, "SELECT version FROM csbs_schema_version ORDER BY 1"));
      try (PostgresCatalog catalog = catalog(db)) {
        catalog.add(backup("p", "a", NOW.minusSeconds(1)));
        assertEquals(1, catalog.count("p", Predicates.all()));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // CatalogDatabaseException.isRetryable: "a lock not granted in time (lock_timeout, 55P03)". A
  // migration that waits behind another (which holds the version table) past its lock_timeout is
  // refused, retryable, and changes nothing; once the other is done, it upgrades.
  @Test
  void aMigrationThatWaitsPastItsLockTimeoutIsRetryableAndChangesNothing() throws Exception {
    PGSimpleDataSource db = freshDatabase();
    makeVersionOne(db);
    PGSimpleDataSource impatient = on(db.getDatabaseName(), null, null);
    impatient.setOptions("-c lock_timeout=100");
    String before;
    try (Connection other = db.getConnection(); Statement st = other.createStatement()) {
      before = listing(db);
      other.setAutoCommit(false);
      st.execute("LOCK TABLE csbs_schema_version IN EXCLUSIVE MODE");
      CatalogDatabaseException e = thrown(CatalogDatabaseException.class, () -> Schema.migrate(impatient));
      assertEquals("55P03", e.sqlState(), e.getMessage());
      assertTrue(e.isRetryable(), e.getMessage());
      assertTrue(e.getMessage().contains("lock not granted in time"), e.getMessage());
      assertTrue(e.getMessage().contains("create or upgrade the csbs schema"), e.getMessage());
      other.rollback();
    }
    assertEquals(before, listing(db));
    assertEquals(1, Schema.migrate(impatient));
    assertEquals(Schema.CURRENT_VERSION, Schema.version(db));
  }

  // ====================================================================== schemas and search paths

  // The docs say nothing of PostgreSQL schemas. A data source with currentSchema= (a tenant schema
  // alone on the search path): the tables, the version and the catalog follow it.
  @Test
  void aCatalogFollowsTheSchemaOfTheSearchPath() {
    PGSimpleDataSource db = freshDatabase();
    sql(db, "CREATE SCHEMA tenant_ä");
    PGSimpleDataSource tenant = withSchema(db, "tenant_ä");
    assertEquals(0, Schema.migrate(tenant));
    assertEquals(Schema.CURRENT_VERSION, Schema.version(tenant));
    assertEquals(0, Schema.version(db), "public has no csbs schema");
    for (String t : csbsTables(db)) {
      assertTrue(t.startsWith("tenant_ä."), t);
    }
    try (PostgresCatalog catalog = catalog(tenant)) {
      catalog.add(backup("p", "a", NOW.minusSeconds(1)));
      assertEquals(1, catalog.count("p", Predicates.nameContains("UTOBK")));
    }
    try (PostgresCatalog onPublic = catalog(db)) {
      assertEquals(0, thrown(SchemaVersionException.class, () -> onPublic.count("p", Predicates.all())).databaseVersion());
    }
    // a schema name misspelt in the URL: no schema at all on the search path
    PGSimpleDataSource typo = withSchema(db, "tenant_a");
    String before = listing(db);
    assertEquals(0, Schema.version(typo));
    CatalogDatabaseException e = thrown(CatalogDatabaseException.class, () -> Schema.migrate(typo));
    assertEquals("3F000", e.sqlState(), e.getMessage());
    assertTrue(e.getMessage().contains("no schema has been selected"), e.getMessage());
    assertEquals(before, listing(db));
  }

  // The sibling: what happens.
  @Test
  void aSecondTenantSchemaFailsToMigrateWithoutTheSchemaOfPgTrgmOnItsPath() {
    PGSimpleDataSource db = freshDatabase();
    sql(db, "CREATE SCHEMA tenant_a", "CREATE SCHEMA tenant_b");
    assertEquals(0, Schema.migrate(withSchema(db, "tenant_a")));
    assertEquals(List.of("pg_trgm | tenant_a"), rows(db, "SELECT e.extname, n.nspname FROM pg_extension e "
        + "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"), "in the tenant's schema");
    PGSimpleDataSource second = withSchema(db, "tenant_b");
    CatalogDatabaseException e = thrown(CatalogDatabaseException.class, () -> Schema.migrate(second));
    assertTrue(e.getMessage().contains("gin_trgm_ops"), e.getMessage());
    assertEquals(0, Schema.version(second));
    // with the first tenant's schema on its path, it works
    assertEquals(0, Schema.migrate(withSchema(db, "tenant_b,tenant_a")));
  }

  @Test
  void aDatabaseWhosePgTrgmLivesInItsOwnSchemaNeedsThatSchemaOnThePath() {
    PGSimpleDataSource db = freshDatabase();
    sql(db, "CREATE SCHEMA extensions", "CREATE EXTENSION pg_trgm SCHEMA extensions");
    CatalogDatabaseException e = thrown(CatalogDatabaseException.class, () -> Schema.migrate(db));
    assertEquals("42704", e.sqlState(), e.getMessage());
    assertTrue(e.getMessage().contains("gin_trgm_ops"), e.getMessage());
    assertEquals(0, Schema.version(db));
    assertEquals(List.of(), csbsTables(db), "nothing left, the version table included");
    PGSimpleDataSource withExtensions = withSchema(db, "public,extensions");
    assertEquals(0, Schema.migrate(withExtensions));
    try (PostgresCatalog catalog = catalog(withExtensions)) {
      catalog.add(backup("p", "a", NOW.minusSeconds(1)));
      assertEquals(1, catalog.count("p", Predicates.nameContains("TOBK_")));
    }
  }

  // Schema.version: "The schema version of the database"; migrate: "@return the version the database
  // was at before". A tenant schema with public after it on the search path (where pg_trgm usually
  // is), in a database whose public schema holds another catalog: version() reads public's version
  // table, while migrate creates the tenant's tables and returns 0. The two must agree.
  @Test
  void versionAndMigrateAgreeOnASearchPathOverAnotherCatalog() {
    PGSimpleDataSource db = migratedDatabase();
    sql(db, "CREATE SCHEMA tenant_c");
    PGSimpleDataSource tenant = withSchema(db, "tenant_c,public");
    int version = Schema.version(tenant);
    assertEquals(version, Schema.migrate(tenant));
  }

  // ====================================================================== rights

  // Schema: "migrate needs the right to create tables"; CatalogDatabaseException: "The message says
  // what the catalog was doing, and the cause is the driver's SQLException with its SQLState". A user
  // without CREATE on the schema: refused, naming the action, not retryable, nothing created.
  @Test
  void aUserWithoutCreateRightsIsRefusedNamingTheActionAndNothingIsCreated() {
    PGSimpleDataSource db = freshDatabase();
    String role = newRole();
    sql(db, "REVOKE CREATE ON SCHEMA public FROM PUBLIC");
    PGSimpleDataSource app = as(db, role);
    String before = listing(db);
    assertEquals(0, Schema.version(app));
    CatalogDatabaseException e = thrown(CatalogDatabaseException.class, () -> Schema.migrate(app));
    assertFalse(e instanceof SchemaVersionException);
    assertEquals("42501", e.sqlState(), e.getMessage());
    assertTrue(e.getMessage().contains("create or upgrade the csbs schema"), e.getMessage());
    assertTrue(e.getMessage().contains("permission denied"), e.getMessage());
    assertFalse(e.isRetryable());
    assertTrue(e.getCause() instanceof SQLException);
    assertEquals(before, listing(db), "nothing created");
  }

  /** A database migrated by its owner, and a service user with the rights to read and write the rows only. */
  private static PGSimpleDataSource applicationUserOnMigratedDatabase(PGSimpleDataSource db) {
    String role = newRole();
    sql(db, "REVOKE CREATE ON SCHEMA public FROM PUBLIC", "GRANT USAGE ON SCHEMA public TO " + role,
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + role);
    return as(db, role);
  }

  // The user a service runs as often has the rights on the rows only (the DBA migrates). The catalog
  // works for it, and version() too.
  @Test
  void aUserWithRowRightsOnlyUsesTheCatalog() {
    PGSimpleDataSource db = migratedDatabase();
    PGSimpleDataSource app = applicationUserOnMigratedDatabase(db);
    assertEquals(Schema.CURRENT_VERSION, Schema.version(app));
    try (PostgresCatalog catalog = catalog(app)) {
      catalog.add(backup("p", "a", NOW.minusSeconds(1)));
      catalog.apply("p", "a", 1, Transition.delete());
      assertEquals(1, catalog.count("p", Predicates.status(BackupStatus.DELETING)));
    }
  }

  // Schema.migrate: "does nothing on a database already there"; README: "Schema.migrate(dataSource);
  // // once, explicitly". A service that calls migrate at start (csbs-server's --migrate does) as a
  // user with the rights on the rows only, on a database the DBA has already migrated.
  @Test
  void migrateOnACurrentDatabaseNeedsNoRightsItDoesNotUse() {
    PGSimpleDataSource db = migratedDatabase();
    PGSimpleDataSource app = applicationUserOnMigratedDatabase(db);
    assertEquals(Schema.CURRENT_VERSION, Schema.migrate(app));
  }

  // The same claim on a database that refuses writes (a read-only default, as on a standby or during
  // maintenance): migrate of a current database has nothing to write.
  @Test
  void migrateOnACurrentReadOnlyDatabaseReturnsItsVersion() {
    PGSimpleDataSource db = migratedDatabase();
    sql(admin, "ALTER DATABASE " + db.getDatabaseName() + " SET default_transaction_read_only = on");
    assertEquals(Schema.CURRENT_VERSION, Schema.migrate(on(db.getDatabaseName(), null, null)));
  }

  // Schema: "migrate needs the right to create tables and, once, the pg_trgm extension". Once the
  // DBA has created the extension, a user who may create tables in the schema (but not extensions in
  // the database) migrates.
  @Test
  void aUserWhoMayCreateTablesMigratesOnceTheExtensionIsThere() {
    PGSimpleDataSource db = freshDatabase();
    String role = newRole();
    sql(db, "REVOKE CREATE ON SCHEMA public FROM PUBLIC", "GRANT CREATE, USAGE ON SCHEMA public TO " + role);
    PGSimpleDataSource owner = as(db, role);
    CatalogDatabaseException e = thrown(CatalogDatabaseException.class, () -> Schema.migrate(owner));
    assertEquals("42501", e.sqlState(), e.getMessage());
    assertTrue(e.getMessage().contains("pg_trgm"), "the message names the extension: " + e.getMessage());
    assertEquals(0, Schema.version(owner));
    sql(db, "CREATE EXTENSION pg_trgm");
    assertEquals(0, Schema.migrate(owner));
    try (PostgresCatalog catalog = catalog(owner)) {
      catalog.add(backup("p", "a", NOW.minusSeconds(1)));
      assertEquals(1, catalog.count("p", Predicates.nameContains("autobk_A")));
    }
  }

  // Schema.version: "@throws CatalogDatabaseException if the database cannot be read"; a user that may
  // not read the version table: the message names what was done; the catalog's first use says the same
  // kind of failure (not a SchemaVersionException: the version is not known).
  @Test
  void aUserThatMayNotReadTheVersionTableGetsACatalogDatabaseException() {
    PGSimpleDataSource db = migratedDatabase();
    String role = newRole();
    sql(db, "REVOKE CREATE ON SCHEMA public FROM PUBLIC");
    PGSimpleDataSource stranger = as(db, role);
    CatalogDatabaseException e = thrown(CatalogDatabaseException.class, () -> Schema.version(stranger));
    assertFalse(e instanceof SchemaVersionException);
    assertEquals("42501", e.sqlState());
    assertTrue(e.getMessage().contains("read the csbs schema version"), e.getMessage());
    assertTrue(e.getMessage().contains("csbs_schema_version"), e.getMessage());
    try (PostgresCatalog catalog = catalog(stranger)) {
      CatalogDatabaseException first = thrown(CatalogDatabaseException.class, () -> catalog.count("p", Predicates.all()));
      assertFalse(first instanceof SchemaVersionException, first.toString());
      assertEquals("42501", first.sqlState());
    }
  }

  // Schema.migrate: "@throws SchemaVersionException if the database is at a newer version ... @throws
  // CatalogDatabaseException if a statement fails". A version table holding a version below 1 (written
  // by hand or another tool) is an odd database; migrate should say so with one of its documented
  // exceptions, or upgrade it.
  @Test
  void aVersionTableBelowOneGetsADocumentedAnswer() {
    PGSimpleDataSource db = freshDatabase();
    sql(db, "CREATE TABLE csbs_schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
        "INSERT INTO csbs_schema_version (version) VALUES (-1)");
    try {
      Schema.migrate(db);
    } catch (CatalogDatabaseException documented) {
      return;
    }
  }

  // Schema: "Several instances may call it at once". Two services, each with its tenant schema first
  // on the search path and public after it (where pg_trgm goes), start together on a new database:
  // both create pg_trgm "once". Made deterministic: the other instance's CREATE EXTENSION is held
  // uncommitted while migrate runs into it, then committed.
  @Test
  void twoSchemasOfOneNewDatabaseMigratedAtOnceBothSucceed() throws Exception {
    for (int round = 0; round < 3; round++) {
      PGSimpleDataSource db = freshDatabase();
      // as Schema's javadoc says for several schemas of one database: pg_trgm first, in a shared schema
      sql(db, "CREATE SCHEMA tenant_x", "CREATE SCHEMA tenant_y", "CREATE EXTENSION pg_trgm SCHEMA public");
      List<PGSimpleDataSource> tenants = List.of(withSchema(db, "tenant_x,public"), withSchema(db, "tenant_y,public"));
      ExecutorService threads = Executors.newFixedThreadPool(2);
      try {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Integer>> migrations = new ArrayList<>();
        for (PGSimpleDataSource tenant : tenants) {
          migrations.add(threads.submit(() -> {
            start.await();
            return Schema.migrate(tenant);
          }));
        }
        start.countDown();
        for (Future<Integer> migration : migrations) {
          assertEquals(0, migration.get(30, TimeUnit.SECONDS), "round " + round);
        }
      } finally {
        threads.shutdown();
      }
      for (PGSimpleDataSource tenant : tenants) {
        assertEquals(Schema.CURRENT_VERSION, Schema.version(tenant), "round " + round);
      }
    }
  }

  // ====================================================================== odd databases

  // CatalogDatabaseException: "The message says what the catalog was doing, and the cause is the
  // driver's SQLException with its SQLState"; isRetryable: "a lost or refused connection (class 08)".
  // A database that does not exist (not retryable) and a server that refuses connections (retryable).
  @Test
  void aMissingDatabaseAndARefusedConnectionSayWhatWasBeingDone() throws Exception {
    PGSimpleDataSource missing = raw("h32b_" + RUN + "_never_created");
    CatalogDatabaseException noDb = thrown(CatalogDatabaseException.class, () -> Schema.version(missing));
    assertEquals("3D000", noDb.sqlState());
    assertFalse(noDb.isRetryable());
    assertTrue(noDb.getMessage().contains("read the csbs schema version"), noDb.getMessage());
    CatalogDatabaseException noMigrate = thrown(CatalogDatabaseException.class, () -> Schema.migrate(missing));
    assertTrue(noMigrate.getMessage().contains("create or upgrade the csbs schema"), noMigrate.getMessage());

    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    PGSimpleDataSource refused = raw("postgres");
    refused.setServerNames(new String[] {"127.0.0.1"});
    refused.setPortNumbers(new int[] {closedPort});
    refused.setConnectTimeout(5);
    CatalogDatabaseException down = thrown(CatalogDatabaseException.class, () -> Schema.migrate(refused));
    assertTrue(down.sqlState().startsWith("08"), down.sqlState());
    assertTrue(down.isRetryable());
    assertTrue(down.getMessage().contains("connection lost or refused"), down.getMessage());
    assertTrue(down.getMessage().contains("create or upgrade the csbs schema"), down.getMessage());
    CatalogDatabaseException downDistribute = thrown(CatalogDatabaseException.class, () -> Schema.distribute(refused));
    assertTrue(downDistribute.isRetryable(), downDistribute.getMessage());
  }

  // ---------------------------------------------------------------------- databases set up otherwise

  /** A migrated database with {@code setting} (ALTER DATABASE ... SET) for every session. */
  private static PGSimpleDataSource migratedDatabaseWith(String setting) {
    PGSimpleDataSource db = migratedDatabase();
    sql(admin, "ALTER DATABASE " + db.getDatabaseName() + " SET " + setting);
    return db;
  }

  // README: "every search, sort, page and total is compiled to SQL with bound parameters"; a name
  // keyword is a search like any. A database with the legacy standard_conforming_strings = off (a
  // setting PostgreSQL and its JDBC driver still support) reads backslashes in literals as escapes.
  @Test
  void aNameSearchWorksWithoutStandardConformingStrings() {
    PGSimpleDataSource db = migratedDatabaseWith("standard_conforming_strings = off");
    try (PostgresCatalog catalog = catalog(db)) {
      catalog.add(backup("p", "a", NOW.minusSeconds(1)));
      assertEquals(1, catalog.count("p", Predicates.nameContains("autobk")));
    }
  }

  @Test
  void aDatabaseNotEncodedInUtf8IsRefusedByMigrateAndNothingIsCreated() {
    PGSimpleDataSource db = latin1Database();
    String before = listing(db);
    CatalogDatabaseException e = thrown(CatalogDatabaseException.class, () -> Schema.migrate(db));
    assertTrue(e.getMessage().contains("LATIN1") && e.getMessage().contains("UTF8"), e.getMessage());
    assertFalse(e.isRetryable());
    assertEquals(before, listing(db));
    assertEquals(0, Schema.version(db));
  }

  private static PGSimpleDataSource latin1Database() {
    String name = "h32b_" + RUN + "_" + DATABASES.incrementAndGet();
    TestDatabase.execute(admin, "CREATE DATABASE " + name + " TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' "
        + "LC_CTYPE 'C' STRATEGY FILE_COPY");
    synchronized (MADE) {
      MADE.add(name);
    }
    return on(name, null, null);
  }
}
