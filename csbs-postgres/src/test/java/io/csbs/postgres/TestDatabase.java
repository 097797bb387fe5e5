package io.csbs.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The database of the tests: PostgreSQL started once per test JVM from Maven Central's binaries, or
 * the database of {@code -Dcsbs.jdbc.url=jdbc:postgresql://...} (any PostgreSQL-compatible server,
 * a Citus coordinator among them). Each numbered store is a schema of its own ({@code csbs_test_0},
 * {@code csbs_test_1}, ...), created and migrated on first use, so that a test can hold two
 * independent catalogs (a source and a replica of its changes).
 */
final class TestDatabase {
  private static String url;
  private static boolean citus;
  private static final Map<Integer, DataSource> STORES = new HashMap<>();

  private TestDatabase() {}

  /** Whether the database of the stores handed out is a Citus coordinator (read with the first store). */
  static synchronized boolean citus() {
    return citus;
  }

  /** Store 0: the catalog most tests use. */
  static DataSource dataSource() {
    return dataSource(0);
  }

  /** Store {@code number}, with the csbs schema, created on first use. */
  static synchronized DataSource dataSource(int number) {
    DataSource existing = STORES.get(number);
    if (existing != null) {
      return existing;
    }
    String schema = "csbs_test_" + number;
    PGSimpleDataSource admin = plain();
    // the stores share one pg_trgm, in public, on each one's search path
    execute(admin, "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public");
    execute(admin, "CREATE SCHEMA IF NOT EXISTS " + schema);
    PGSimpleDataSource physical = plain();
    physical.setCurrentSchema(schema + ",public");   // pg_trgm's operator classes live in public
    HikariConfig pool = new HikariConfig();
    pool.setDataSource(physical);
    pool.setPoolName(schema);
    pool.setMaximumPoolSize(16);
    pool.setMinimumIdle(2);
    HikariDataSource store = new HikariDataSource(pool);
    Schema.migrate(store);
    if (citus) {
      Schema.distribute(store);
    }
    STORES.put(number, store);
    return store;
  }

  /** Whether the tests run on a database given by URL rather than their own. */
  static synchronized boolean external() {
    plain();
    return !System.getProperty("csbs.jdbc.url", "").isBlank();
  }

  /** Empties every table of the store, for a test that starts from nothing. */
  static void truncate(DataSource store) {
    execute(store, "TRUNCATE csbs_backup, csbs_change, csbs_tag, csbs_server_usage, csbs_project");
  }

  /** A data source on the test database, with no schema chosen; starts the database first. */
  static synchronized PGSimpleDataSource plain() {
    if (url == null) {
      String given = System.getProperty("csbs.jdbc.url", "");
      url = given.isBlank() ? startEmbedded() : given;
      PGSimpleDataSource probe = new PGSimpleDataSource();
      probe.setURL(url);
      try (Connection connection = probe.getConnection(); Statement statement = connection.createStatement();
          ResultSet rows = statement.executeQuery("SELECT count(*) FROM pg_extension WHERE extname = 'citus'")) {
        rows.next();
        citus = rows.getLong(1) > 0;
      } catch (SQLException e) {
        throw new IllegalStateException("cannot reach the test database at " + url, e);
      }
    }
    PGSimpleDataSource dataSource = new PGSimpleDataSource();
    dataSource.setURL(url);
    return dataSource;
  }

  static void execute(DataSource dataSource, String sql) {
    try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("the test database refused " + sql, e);
    }
  }

  private static String startEmbedded() {
    try {
      EmbeddedPostgres postgres = EmbeddedPostgres.builder()
          .setServerConfig("fsync", "off")               // a test database: speed over durability
          .setServerConfig("synchronous_commit", "off")
          .setServerConfig("full_page_writes", "off")
          .setServerConfig("max_connections", "200")
          .start();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          postgres.close();
        } catch (IOException e) {
          // the JVM is going away; the server's directory is temporary
        }
      }));
      return postgres.getJdbcUrl("postgres", "postgres");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded PostgreSQL of the tests", e);
    }
  }
}
