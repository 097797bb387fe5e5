package io.csbs.benchmarks;

import io.csbs.backup.Backup;
import io.csbs.catalog.BackupCatalog;
import io.csbs.lifecycle.Transition;
import io.csbs.postgres.PostgresCatalog;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import javax.sql.DataSource;

/**
 * What the PostgreSQL change benchmarks share: the data set they change ({@code
 * csbs_bench_changes_<size>}, the query workload loaded once and changed by every run since, never
 * the query benchmarks' data set), a clock that is never behind a stored change, and the round
 * robin of lifecycle transitions over a sample of its backups.
 */
final class PostgresChanges {
  /** How many backups the round robin cycles through, spread over the whole project. */
  static final int SAMPLE = 10_000;

  final Workload workload;
  final DataSource dataSource;
  final Clock clock;
  private final Backup[] current;
  private int cursor;

  /** The data set of {@code size} backups and a sample of them, each as {@code catalog} holds it now. */
  PostgresChanges(int size) {
    this.workload = Workload.of(size);
    this.dataSource = BenchDatabase.dataset("changes_" + size, workload.backups);
    this.clock = clockAfterEveryChange(dataSource);
    int sample = Math.min(SAMPLE, size);
    this.current = new Backup[sample];
    for (int i = 0; i < sample; i++) {
      current[i] = workload.backups.get((int) ((long) i * size / sample));
    }
  }

  /** Reads the sample's current versions (earlier runs changed them) from {@code catalog}. */
  void refresh(BackupCatalog catalog) {
    for (int i = 0; i < current.length; i++) {
      String id = current[i].id();
      current[i] = catalog.find(workload.projectId, id)
          .orElseThrow(() -> new IllegalStateException("backup " + id + " is missing from the change data set"));
    }
  }

  /** Applies the next transition of the cycle ({@link LifecycleBenchmark#nextTransition}) to the next backup. */
  Backup transition(BackupCatalog catalog) {
    int i = cursor;
    cursor = i + 1 == current.length ? 0 : i + 1;
    Backup backup = current[i];
    Transition transition = LifecycleBenchmark.nextTransition(backup);
    Backup stored = catalog.apply(backup.projectId(), backup.id(), backup.version(), transition).orElseThrow();
    current[i] = stored;
    return stored;
  }

  /** A catalog on the data set with the clock. */
  PostgresCatalog catalog() {
    return PostgresCatalog.create(dataSource, clock);
  }

  /**
   * The system clock, moved ahead when the stored backups changed later than now (the generated
   * data ends at 2026-01-01, and earlier runs changed backups), since a change may not go back.
   */
  private static Clock clockAfterEveryChange(DataSource dataSource) {
    try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery("SELECT max(updated_at) FROM csbs_backup")) {
      row.next();
      Timestamp last = row.getTimestamp(1);
      Instant now = Instant.now();
      Duration ahead = last == null || last.toInstant().isBefore(now) ? Duration.ZERO
          : Duration.between(now, last.toInstant()).plusSeconds(1);
      return Clock.offset(Clock.systemUTC(), ahead);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read the latest change of the change data set", e);
    }
  }

  /** Percentiles of {@code nanos[0..n)} in µs, for the benchmark's output. */
  static String percentiles(long[] nanos, int n) {
    long[] sorted = java.util.Arrays.copyOf(nanos, n);
    java.util.Arrays.sort(sorted);
    StringBuilder out = new StringBuilder();
    for (double p : List.of(0.5, 0.9, 0.99, 1.0)) {
      int index = (int) Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1));
      out.append(out.length() == 0 ? "" : ", ").append(p == 1.0 ? "max" : "p" + Math.round(p * 100)).append(' ')
          .append(String.format(Locale.ROOT, "%,.0f", sorted[index] / 1e3));
    }
    return out.append(" µs (").append(n).append(" changes)").toString();
  }
}
