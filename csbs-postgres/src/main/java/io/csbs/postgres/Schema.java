package io.csbs.postgres;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * The database schema of {@link PostgresCatalog}: versioned SQL scripts shipped in this jar
 * ({@code io/csbs/postgres/V1__catalog.sql}, ...), which a DBA can read before anything runs, and
 * the explicit calls that apply them. Read a script with {@link #script(int)} (or from the jar, {@code
 * unzip -p csbs-postgres.jar io/csbs/postgres/V1__catalog.sql}): on the module path the package is
 * encapsulated, so another module's {@code getResourceAsStream} of that name finds nothing. The
 * catalog never changes the schema by itself: it checks the version on first use and refuses a
 * database that is not at {@link #CURRENT_VERSION}.
 *
 * <pre>{@code
 * Schema.migrate(dataSource);      // creates the tables, or upgrades them, in one transaction a version
 * Schema.distribute(dataSource);   // on Citus only: distributes every table by project_id
 * System.out.println(Schema.script(1));   // the DDL of version 1
 * }</pre>
 *
 * <p>{@code migrate} needs the right to create tables and, once, the {@code pg_trgm} extension
 * (shipped with PostgreSQL's contrib modules), whose trigram indexes answer name substrings: version
 * 1 runs {@code CREATE EXTENSION IF NOT EXISTS pg_trgm}, which puts it in the first schema of the
 * search path when the database lacks it. Its operator classes are then looked up along the search
 * path, so the search path of every schema csbs lives in must hold the schema of {@code pg_trgm}
 * (with {@code currentSchema=tenant_a,public}, {@code public}): for several schemas of one
 * database, create it first in a schema they share ({@code CREATE EXTENSION pg_trgm SCHEMA public}).
 * Several instances may call it at once, on one schema or several of one database: they take turns
 * on a database-wide advisory lock, and each version is applied once.
 *
 * <p>The scripts are the tables, indexes and types; {@code migrate} also keeps the version table
 * {@code csbs_schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT
 * now())} with a row a version applied. A DBA who runs the scripts by hand instead creates that table
 * and inserts those rows ({@code INSERT INTO csbs_schema_version (version) VALUES (1), (2)}) in the
 * same transactions, or the catalog refuses the database as version 0.
 */
public final class Schema {
  /** The schema version this library reads and writes. */
  public static final int CURRENT_VERSION = 2;

  /** The tables distributed by project_id on Citus, the first one the others are colocated with. */
  private static final List<String> DISTRIBUTED_TABLES =
      List.of("csbs_project", "csbs_backup", "csbs_change", "csbs_tag", "csbs_server_usage");

  /** The key of the transaction's advisory lock under which the version table is created ('csbs'). */
  private static final long MIGRATION_LOCK = 0x63736273L;

  private Schema() {}

  /**
   * Creates the schema in an empty database, or upgrades it to {@link #CURRENT_VERSION}; does
   * nothing on a database already there (and then needs no right beyond reading the version table,
   * so a service whose user may only read and write rows may call it on every start). Each version
   * is applied in one transaction, the first one with the version table: a failure leaves the
   * database at the previous version, and a failed first migrate leaves nothing behind.
   *
   * <p>The tables are made in the current schema, the first schema of the connection's search path
   * that exists and on which the role has {@code USAGE} ({@code currentSchema=tenant_a,public} in the
   * JDBC URL makes {@code tenant_a}'s; without {@code USAGE} on it PostgreSQL passes over it to the
   * next, which may be another tenant's), which is where {@link #version} and the catalog look for
   * them. The database must be encoded in UTF8, which holds every letter a backup's texts may hold:
   * this is checked on every call, the database already current included.
   *
   * @param dataSource the database
   * @return the version the database was at before (0 for none)
   * @throws SchemaVersionException if the database is at a newer version than this library knows, or
   *     its version table holds a version no release writes (below 0)
   * @throws CatalogDatabaseException if a statement fails, or the database is not encoded in UTF8
   */
  public static int migrate(DataSource dataSource) {
    requireNonNull(dataSource, "dataSource");
    try (Connection connection = dataSource.getConnection()) {
      boolean autoCommit = connection.getAutoCommit();
      try (Statement statement = connection.createStatement()) {
        int found = versionOf(statement);
        refuseUnknown(found);
        requireUtf8(statement);   // a database made by hand in another encoding too: no right needed
        if (found == CURRENT_VERSION) {
          return found;   // nothing to do: no lock taken, nothing created
        }
      } finally {
        if (!autoCommit) {
          // a pool's connection without auto-commit: the reads began a transaction, in which the
          // isolation level below cannot be set; ended quietly, so as not to hide a refusal above
          try {
            connection.rollback();
          } catch (SQLException ignored) {
            // the connection broke: the next statement says so
          }
        }
      }
      int isolation = connection.getTransactionIsolation();
      connection.setAutoCommit(false);
      // each transaction reads the version after it got the lock, so it must see what committed before
      connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
      try (Statement statement = connection.createStatement()) {
        Integer before = null;   // read in the first transaction, under the lock
        while (true) {
          // migrations of one database take turns, whatever their schema: two schemas migrated at
          // once raced on CREATE EXTENSION pg_trgm, and two instances on the version table's type
          statement.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")");
          statement.execute("CREATE TABLE IF NOT EXISTS csbs_schema_version ("
              + "version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
          int now = currentVersion(statement);
          if (before == null) {
            before = now;
          }
          refuseUnknown(now);
          if (now >= CURRENT_VERSION) {
            connection.commit();   // another instance was first
            return before;
          }
          int version = now + 1;
          statement.execute(script(version));
          statement.execute("INSERT INTO csbs_schema_version (version) VALUES (" + version + ")");
          connection.commit();
        }
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      } finally {
        connection.setTransactionIsolation(isolation);
        connection.setAutoCommit(autoCommit);
      }
    } catch (SQLException e) {
      throw CatalogDatabaseException.of("create or upgrade the csbs schema", e);
    }
  }

  /** Refuses a version newer than this library's, or one below 0 that no release writes. */
  private static void refuseUnknown(int version) {
    if (version > CURRENT_VERSION || version < 0) {
      throw new SchemaVersionException(version, CURRENT_VERSION);
    }
  }

  /** Refuses a database whose encoding cannot hold every letter (LATIN1 failed on the first CJK name). */
  private static void requireUtf8(Statement statement) throws SQLException {
    try (ResultSet rows = statement.executeQuery("SELECT pg_encoding_to_char(encoding) FROM pg_database "
        + "WHERE datname = current_database()")) {
      rows.next();
      String encoding = rows.getString(1);
      if (!"UTF8".equals(encoding)) {
        throw new SQLException("the database is encoded in " + encoding + ", which cannot hold every letter of "
            + "a backup's texts: csbs needs a database encoded in UTF8 (CREATE DATABASE ... ENCODING 'UTF8')",
            "22021");
      }
    }
  }

  /**
   * The schema version of the database: 0 when it has no csbs schema.
   *
   * @param dataSource the database
   * @return the version, 0 for none
   * @throws CatalogDatabaseException if the database cannot be read
   */
  public static int version(DataSource dataSource) {
    requireNonNull(dataSource, "dataSource");
    try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
      return versionOf(statement);
    } catch (SQLException e) {
      throw CatalogDatabaseException.of("read the csbs schema version", e);
    }
  }

  /**
   * On a Citus coordinator, distributes every csbs table by {@code project_id}, colocated, so that
   * the statements of one project run on one worker; does nothing for tables already distributed.
   * Call it after {@link #migrate}, before the tables fill up (Citus copies existing rows).
   *
   * @param dataSource the Citus coordinator
   * @throws CatalogDatabaseException if the database is not Citus or refuses
   */
  public static void distribute(DataSource dataSource) {
    requireNonNull(dataSource, "dataSource");
    try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
      for (String table : DISTRIBUTED_TABLES) {
        boolean distributed;
        try (ResultSet rows = statement.executeQuery(
            "SELECT count(*) FROM pg_dist_partition WHERE logicalrelid = '" + table + "'::regclass")) {
          rows.next();
          distributed = rows.getLong(1) > 0;
        }
        if (!distributed) {
          String colocation = table.equals(DISTRIBUTED_TABLES.get(0)) ? "" : ", colocate_with => 'csbs_project'";
          statement.execute("SELECT create_distributed_table('" + table + "', 'project_id'" + colocation + ")");
        }
      }
    } catch (SQLException e) {
      throw CatalogDatabaseException.of("distribute the csbs tables by project_id (is this a Citus coordinator?)", e);
    }
  }

  /**
   * The SQL of schema version {@code version}, as {@link #migrate} runs it.
   *
   * @param version a schema version, 1 to {@link #CURRENT_VERSION}
   * @return the SQL script
   * @throws IllegalArgumentException if this library has no such version
   */
  public static String script(int version) {
    if (version < 1 || version > CURRENT_VERSION) {
      throw new IllegalArgumentException("schema version " + version + " is unknown: must be 1 to " + CURRENT_VERSION);
    }
    String name = scriptNames().get(version - 1);
    try (InputStream in = Schema.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("the jar lacks " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + name, e);
    }
  }

  /** Checks that the database is at {@link #CURRENT_VERSION}; the catalog calls it on first use. */
  static void check(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      int version = versionOf(statement);
      if (version != CURRENT_VERSION) {
        throw new SchemaVersionException(version, CURRENT_VERSION);
      }
    }
  }

  private static List<String> scriptNames() {
    List<String> names = new ArrayList<>();
    names.add("V1__catalog.sql");
    names.add("V2__api_details.sql");
    return names;
  }

  /** The version in the current schema's version table (0 without one): where migrate makes it. */
  private static int versionOf(Statement statement) throws SQLException {
    // not to_regclass('csbs_schema_version') alone, which looks along the whole search path: over a
    // csbs schema in public, currentSchema=tenant,public read public's version while migrate made tenant's
    try (ResultSet rows = statement.executeQuery("SELECT current_schema() IS NOT NULL AND "
        + "to_regclass(quote_ident(current_schema()) || '.csbs_schema_version') IS NOT NULL")) {
      rows.next();
      if (!rows.getBoolean(1)) {
        return 0;
      }
    }
    return currentVersion(statement);
  }

  private static int currentVersion(Statement statement) throws SQLException {
    try (ResultSet rows = statement.executeQuery("SELECT coalesce(max(version), 0) FROM csbs_schema_version")) {
      rows.next();
      return rows.getInt(1);
    }
  }
}
