package io.csbs.benchmarks;

import io.csbs.backup.Backup;
import io.csbs.catalog.BackupCatalog;
import io.csbs.lifecycle.Transition;
import io.csbs.postgres.PostgresCatalog;
import io.csbs.postgres.PostgresReplica;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Query;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * {@link Engine#POSTGRES} and {@link Engine#POSTGRES_REPLICA}: a {@link PostgresCatalog} on a
 * HikariCP pool of the benchmark database ({@link BenchDatabase}), on a clock fixed at {@code now};
 * for the replica, a {@link PostgresReplica} started on that catalog, which answers from memory.
 *
 * <p>{@link #load} makes the database hold the backups (loading them only if the data set's marker
 * says otherwise), then starts the replica: the backups are loaded into the database once for
 * every fork of a size, not once per trial.
 */
final class PostgresEngine implements BacklistEngine {
  private final Instant now;
  private final boolean replica;
  private PostgresCatalog database;
  private PostgresReplica follower;
  private BackupCatalog catalog;

  PostgresEngine(Instant now, boolean replica) {
    this.now = now;
    this.replica = replica;
  }

  @Override
  public void load(List<Backup> backups) {
    if (catalog != null) {
      throw new IllegalStateException("loaded already");
    }
    DataSource dataSource = BenchDatabase.dataset(String.valueOf(backups.size()), backups);
    database = PostgresCatalog.create(dataSource, Clock.fixed(now, ZoneOffset.UTC));
    if (replica) {
      long start = System.nanoTime();
      follower = PostgresReplica.start(database);
      System.err.printf("# replica started in %.2f s%n", (System.nanoTime() - start) / 1e9);
      catalog = follower;
    } else {
      catalog = database;
    }
  }

  @Override
  public Hits page(String projectId, Query query) {
    Page page = catalog.query(projectId, query);
    return new Hits(page.backups(), page.total());
  }

  @Override
  public long count(String projectId, BackupPredicate predicate) {
    return catalog.count(projectId, predicate);
  }

  /** Changes the benchmark's data set: no benchmark of these engines calls it. */
  @Override
  public Optional<Backup> apply(String projectId, String backupId, long expectedVersion, Transition transition) {
    throw new UnsupportedOperationException("the PostgreSQL engines serve the query benchmarks' data set, which "
        + "changes would spoil; PostgresChangeBenchmark changes a copy of its own");
  }

  @Override
  public Optional<Backup> find(String projectId, String backupId) {
    return catalog.find(projectId, backupId);
  }

  @Override
  public void close() {
    if (follower != null) {
      follower.close();
    }
    if (database != null) {
      database.close();
    }
  }
}
