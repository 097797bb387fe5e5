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
 * the explicit calls that apply them. The catalog never changes the schema by itself: it checks the
 * version on first use and refuses a database that is not at {@link #CURRENT_VERSION}.
 *
 * <pre>{@code
 * Schema.migrate(dataSource);      // creates the tables, or upgrades them, in one transaction a version
 * Schema.distribute(dataSource);   // on Citus only: distributes every table by project_id
 * System.out.println(Schema.script(1));   // the DDL of version 1
 * }</pre>
 *
 * <p>{@code migrate} needs the right to create tables and, once, the {@code pg_trgm} extension
 * (shipped with PostgreSQL's contrib modules), whose trigram indexes answer name substrings. Several
 * instances may call it at once: they serialize on the version table, and each version is applied
 * once.
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
   * nothing on a database already there. Each version is applied in one transaction: a failure
   * leaves the database at the previous version.
   *
   * @param dataSource the database
   * @return the version the database was at before (0 for none)
   * @throws SchemaVersionException if the database is at a newer version than this library knows
   * @throws CatalogDatabaseException if a statement fails
   */
  public static int migrate(DataSource dataSource) {
    requireNonNull(dataSource, "dataSource");
    try (Connection connection = dataSource.getConnection()) {
      boolean autoCommit = connection.getAutoCommit();
      connection.setAutoCommit(false);
      try (Statement statement = connection.createStatement()) {
        // the first instances to create the version table take turns too: CREATE TABLE IF NOT EXISTS
        // run at once by several failed in all but one (the type of the table's rows made twice)
        statement.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")");
        statement.execute("CREATE TABLE IF NOT EXISTS csbs_schema_version ("
            + "version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
        // migrations of several instances take turns here; only this table is ever locked so
        statement.execute("LOCK TABLE csbs_schema_version IN EXCLUSIVE MODE");
        int before = currentVersion(statement);
        if (before > CURRENT_VERSION) {
          throw new SchemaVersionException(before, CURRENT_VERSION);
        }
        connection.commit();
        for (int version = before + 1; version <= CURRENT_VERSION; version++) {
          statement.execute("LOCK TABLE csbs_schema_version IN EXCLUSIVE MODE");
          if (currentVersion(statement) >= version) {
            connection.commit();   // another instance was first
            continue;
          }
          statement.execute(script(version));
          statement.execute("INSERT INTO csbs_schema_version (version) VALUES (" + version + ")");
          connection.commit();
        }
        return before;
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      } finally {
        connection.setAutoCommit(autoCommit);
      }
    } catch (SQLException e) {
      throw CatalogDatabaseException.of("create or upgrade the csbs schema", e);
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

  private static int versionOf(Statement statement) throws SQLException {
    try (ResultSet rows = statement.executeQuery("SELECT to_regclass('csbs_schema_version') IS NOT NULL")) {
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
