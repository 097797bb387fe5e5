package io.csbs.server;

import io.csbs.postgres.CatalogDatabaseException;
import io.csbs.postgres.PostgresCatalog;
import io.csbs.postgres.PostgresReplica;
import io.csbs.postgres.Schema;
import io.csbs.postgres.SchemaVersionException;
import io.csbs.query.Predicates;
import java.io.PrintStream;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * {@link Main}'s {@code --jdbc-url}: the database's catalog served through a replica. A class of its
 * own, the only one of {@code Main}'s that names csbs-postgres and the driver, so that {@code Main}
 * loads and serves a generated catalog without them (csbs-postgres is an optional dependency of
 * csbs-server: on the module path it is read only when asked for).
 */
final class ServedDatabase {
  private ServedDatabase() {}

  /** A replica of the database's catalog, served; the database and the replica close with the server. */
  static Main.Running serve(String jdbcUrl, boolean migrate, int port, PrintStream out) {
    try {
      return replicaServed(jdbcUrl, migrate, port, out);
    } catch (CatalogDatabaseException e) {
      throw new Main.StartFailure(e.getMessage(), e);
    }
  }

  private static Main.Running replicaServed(String jdbcUrl, boolean migrate, int port, PrintStream out) {
    long started = System.nanoTime();
    PGSimpleDataSource dataSource = new PGSimpleDataSource();
    try {
      dataSource.setURL(jdbcUrl);
    } catch (IllegalArgumentException e) {
      // the driver's message quotes the url, whose query may hold a password
      throw new IllegalArgumentException("--jdbc-url " + Main.withoutQuery(jdbcUrl) + " is invalid: "
          + String.valueOf(e.getMessage()).replace(jdbcUrl, Main.withoutQuery(jdbcUrl)));
    }
    if (migrate) {
      Schema.migrate(dataSource);
    }
    PostgresCatalog database = PostgresCatalog.create(dataSource, Clock.systemUTC());
    PostgresReplica replica;
    try {
      replica = PostgresReplica.start(database);
    } catch (SchemaVersionException e) {
      database.close();
      // the library's advice names its Java call; the program's user has an option for it
      String message = e.getMessage();
      throw new Main.StartFailure(message.contains("Schema.migrate(dataSource)")
          ? message.replace("Schema.migrate(dataSource)", "--migrate") : message + " (--migrate does it)", e);
    } catch (RuntimeException e) {
      database.close();
      throw e;
    }
    CsbsServer server;
    try {
      server = CsbsServer.builder(replica).port(port).build().start();
    } catch (RuntimeException e) {
      replica.close();
      database.close();
      throw e;
    }
    out.printf(Locale.ROOT, "csbs-server: the csbs catalog of %s, %,d backups loaded into a replica, ready in %.1f s%n",
        Main.withoutQuery(jdbcUrl), replica.countAllProjects(Predicates.all()), (System.nanoTime() - started) / 1e9);
    Main.printExamples(server, "{project_id}", out);
    return new Main.Running(server, List.of(database, replica));
  }
}
