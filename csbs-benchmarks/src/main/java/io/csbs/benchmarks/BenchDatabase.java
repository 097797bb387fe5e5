package io.csbs.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.csbs.backup.Backup;
import io.csbs.backup.Tag;
import io.csbs.postgres.PostgresCatalog;
import io.csbs.postgres.Schema;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The PostgreSQL of the benchmarks: the database of {@code -Dcsbs.jdbc.url=jdbc:postgresql://...} if
 * given, otherwise an embedded PostgreSQL 17 (zonky's binaries from Maven Central) whose data
 * directory persists, by default {@code csbs-benchmarks/target/pgdata} (beside the jar or the test
 * classes; {@code -Dcsbs.bench.pgdata=DIR} chooses another). Its server settings are PostgreSQL's
 * defaults (durable commits: {@code fsync} and {@code synchronous_commit} on) except {@code
 * max_connections}.
 *
 * <p>Each data set lives in a schema of its own ({@code csbs_bench_1000000}, ...) with the csbs
 * schema and a marker table, {@code csbs_bench_dataset}, that records what was loaded: the number
 * of backups, a SHA-256 digest of them and the loader's version. A JMH fork (one per parameter
 * combination) reuses the data when the marker matches, and otherwise empties the schema and loads
 * the backups through {@link PostgresCatalog#addAll} in chunks of {@value #CHUNK}, then runs {@code
 * VACUUM ANALYZE}; the marker is written last, so an interrupted load is redone. Loading 1,000,000
 * backups takes minutes; progress goes to stderr.
 */
final class BenchDatabase {
  /** Raise when the way a data set is loaded changes, so that stored data sets are loaded again. */
  static final int LOADER_VERSION = 1;
  static final int CHUNK = 10_000;

  private static String url;
  private static final Map<String, HikariDataSource> POOLS = new HashMap<>();

  private BenchDatabase() {}

  /**
   * The schema {@code csbs_bench_<name>} holding exactly {@code backups}: loaded now unless the
   * marker says it holds them already. For data sets that benchmarks change ({@code mutable}), the
   * marker is checked against what was loaded, not against the changes made since.
   */
  static synchronized DataSource dataset(String name, List<Backup> backups) {
    String schema = "csbs_bench_" + name;
    DataSource dataSource = pool(schema);
    String digest = digest(backups);
    if (holds(dataSource, backups.size(), digest)) {
      System.err.println("# " + schema + " holds the " + backups.size() + " backups already (digest "
          + digest.substring(0, 12) + ")");
      return dataSource;
    }
    load(schema, dataSource, backups, digest);
    return dataSource;
  }

  /** A pooled data source on {@code schema}, created and migrated on first use. */
  static synchronized DataSource pool(String schema) {
    HikariDataSource existing = POOLS.get(schema);
    if (existing != null) {
      return existing;
    }
    PGSimpleDataSource admin = plain();
    execute(admin, "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public");
    execute(admin, "CREATE SCHEMA IF NOT EXISTS " + schema);
    PGSimpleDataSource physical = plain();
    physical.setCurrentSchema(schema + ",public");   // pg_trgm's operator classes live in public
    HikariConfig config = new HikariConfig();
    config.setDataSource(physical);
    config.setPoolName(schema);
    config.setMaximumPoolSize(8);
    config.setMinimumIdle(2);
    HikariDataSource pool = new HikariDataSource(config);
    Schema.migrate(pool);
    execute(pool, "CREATE TABLE IF NOT EXISTS csbs_bench_dataset (size bigint NOT NULL, digest text NOT NULL, "
        + "loader_version integer NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now(), load_seconds double precision)");
    POOLS.put(schema, pool);
    return pool;
  }

  /** The server's version, e.g. "PostgreSQL 17.6 on x86_64-pc-linux-gnu, ...". */
  static String serverVersion(DataSource dataSource) {
    try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery("SELECT version()")) {
      row.next();
      return row.getString(1);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read the server version", e);
    }
  }

  private static boolean holds(DataSource dataSource, int size, String digest) {
    try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT size, digest, loader_version FROM csbs_bench_dataset")) {
      int markers = 0;
      boolean same = false;
      while (rows.next()) {
        markers++;
        same = rows.getLong(1) == size && rows.getString(2).equals(digest) && rows.getInt(3) == LOADER_VERSION;
      }
      return markers == 1 && same;
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read the data set marker", e);
    }
  }

  private static void load(String schema, DataSource dataSource, List<Backup> backups, String digest) {
    long start = System.nanoTime();
    System.err.println("# " + schema + ": loading " + backups.size() + " backups into PostgreSQL ("
        + CHUNK + " a transaction; 1,000,000 take minutes)");
    execute(dataSource, "TRUNCATE csbs_bench_dataset, csbs_backup, csbs_change, csbs_tag, csbs_server_usage, csbs_project");
    PostgresCatalog catalog = PostgresCatalog.create(dataSource, Clock.systemUTC());
    try {
      long lastReport = start;
      for (int from = 0; from < backups.size(); from += CHUNK) {
        catalog.addAll(backups.subList(from, Math.min(backups.size(), from + CHUNK)));
        long now = System.nanoTime();
        if (now - lastReport > 10_000_000_000L || from + CHUNK >= backups.size()) {
          lastReport = now;
          System.err.printf("#   %,d of %,d backups, %.0f s%n", Math.min(backups.size(), from + CHUNK), backups.size(),
              (now - start) / 1e9);
        }
      }
    } finally {
      catalog.close();
    }
    long loaded = System.nanoTime();
    execute(dataSource, "VACUUM ANALYZE");
    double seconds = (System.nanoTime() - start) / 1e9;
    try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(
        "INSERT INTO csbs_bench_dataset (size, digest, loader_version, load_seconds) VALUES (?, ?, ?, ?)")) {
      statement.setLong(1, backups.size());
      statement.setString(2, digest);
      statement.setInt(3, LOADER_VERSION);
      statement.setDouble(4, seconds);
      statement.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException("cannot write the data set marker", e);
    }
    System.err.printf("# %s: loaded in %.0f s (VACUUM ANALYZE %.0f s)%n", schema, seconds, (System.nanoTime() - loaded) / 1e9);
  }

  /** A digest of every field the benchmarks search, in list order: equal lists, equal digests. */
  static String digest(List<Backup> backups) {
    // in the order of the rows' keys, not of the list: a layout that hands over the same backups in
    // another order (LATE_5PCT) is the same data set, and reloading 1M rows takes minutes
    List<Backup> sorted = new ArrayList<>(backups);
    sorted.sort(Comparator.comparing(Backup::projectId).thenComparing(Backup::id));
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      StringBuilder line = new StringBuilder(256);
      for (Backup backup : sorted) {
        line.setLength(0);
        line.append(backup.projectId()).append('\0').append(backup.id()).append('\0').append(backup.name()).append('\0')
            .append(backup.server().id()).append('\0').append(backup.server().name()).append('\0')
            .append(backup.status().name()).append('\0').append(backup.createdAt()).append('\0')
            .append(backup.updatedAt()).append('\0').append(backup.version()).append('\0').append(backup.sizeMb());
        for (Tag tag : backup.tags()) {
          line.append('\0').append(tag.key()).append('=').append(tag.value());
        }
        line.append('\n');
        sha.update(line.toString().getBytes(StandardCharsets.UTF_8));
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static void execute(DataSource dataSource, String sql) {
    try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("the benchmark database refused " + sql, e);
    }
  }

  /** A data source on the database, no schema chosen; starts the embedded server first if needed. */
  static synchronized PGSimpleDataSource plain() {
    if (url == null) {
      String given = System.getProperty("csbs.jdbc.url", "");
      url = given.isBlank() ? startEmbedded() : given;
    }
    PGSimpleDataSource dataSource = new PGSimpleDataSource();
    dataSource.setURL(url);
    return dataSource;
  }

  private static String startEmbedded() {
    File directory = dataDirectory();
    System.err.println("# embedded PostgreSQL, data directory " + directory);
    try {
      EmbeddedPostgres postgres = EmbeddedPostgres.builder()
          .setDataDirectory(directory)
          .setCleanDataDirectory(false)            // kept: the next fork finds its data sets loaded
          .setServerConfig("max_connections", "100")
          .start();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          postgres.close();
        } catch (IOException e) {
          // the JVM is going away
        }
      }));
      return postgres.getJdbcUrl("postgres", "postgres");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + directory, e);
    }
  }

  /** {@code -Dcsbs.bench.pgdata}, else {@code pgdata} in the directory of the jar or of the classes' parent. */
  private static File dataDirectory() {
    String given = System.getProperty("csbs.bench.pgdata", "");
    if (!given.isBlank()) {
      return new File(given).getAbsoluteFile();
    }
    try {
      Path code = Path.of(BenchDatabase.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      // target/benchmarks.jar or target/classes: both give target/pgdata
      return code.getParent().resolve("pgdata").toFile();
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot locate the benchmarks' classes", e);
    }
  }
}
