package io.csbs.benchmarks;

import io.csbs.backup.Backup;
import io.csbs.postgres.PostgresCatalog;
import io.csbs.postgres.PostgresReplica;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Lifecycle transitions through the PostgreSQL catalog, one at a time on one thread (hence one
 * connection at a time), on a project of {@code backups} backups: the cycle of {@link
 * CatalogChangeBenchmark} (restore, progress x4, complete; delete, progress x4, fail) round robin
 * over 10,000 of its backups. Each change is one transaction (the project's row locked, the
 * backup's version checked, the row, counters, change feed and notification written) committed
 * with PostgreSQL's default durability.
 *
 * <ul>
 *   <li>{@code transition}: the latency of one change, from the call to the commit (sample time:
 *       p50, p99; changes a second is one over the mean).
 *   <li>{@code transitionSeenByReplica}: the same change, then the wait until a replica of another
 *       catalog instance (as another instance of a service would hold one; woken by the
 *       database's notification, not by this process) has applied it. Besides JMH's figure for the
 *       whole, the trial prints the percentiles of the lag alone: from the writer's commit
 *       returning to the replica's {@code sequence} reaching the change.
 * </ul>
 *
 * <p>They run on {@code csbs_bench_changes_<size>}, a data set of their own that every run changes
 * further (see {@link PostgresChanges}); the query benchmarks' data set stays as loaded.
 *
 * <p>Run: {@code java -jar csbs-benchmarks/target/benchmarks.jar PostgresChangeBenchmark -p backups=1000000}
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
public class PostgresChangeBenchmark {
  /** The writer: a catalog on the change data set and the round robin of transitions. */
  @State(Scope.Benchmark)
  public static class Writer {
    /** How many backups the project has. */
    @Param({"1000000"})
    int backups;

    PostgresChanges changes;
    PostgresCatalog catalog;
    long sequence;

    @Setup(Level.Trial)
    public void setUp() {
      changes = new PostgresChanges(backups);
      catalog = changes.catalog();
      changes.refresh(catalog);
      sequence = catalog.sequence(changes.workload.projectId);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      catalog.close();
    }
  }

  /** A replica of a second catalog instance on the same database, and the lags it showed. */
  @State(Scope.Benchmark)
  public static class Follower {
    PostgresCatalog otherInstance;
    PostgresReplica replica;
    long[] lags = new long[1 << 20];
    int lagCount;

    @Setup(Level.Trial)
    public void setUp(Writer writer) {
      otherInstance = writer.changes.catalog();
      replica = PostgresReplica.start(otherInstance);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      System.out.println("# lag from commit to applied by the other instance's replica: "
          + PostgresChanges.percentiles(lags, lagCount));
      replica.close();
      otherInstance.close();
    }
  }

  /** One change, committed. */
  @Benchmark
  public Backup transition(Writer writer) {
    Backup stored = writer.changes.transition(writer.catalog);
    writer.sequence++;
    return stored;
  }

  /** One change, committed, then applied by the replica of another catalog instance. */
  @Benchmark
  public Backup transitionSeenByReplica(Writer writer, Follower follower) {
    Backup stored = writer.changes.transition(writer.catalog);
    long sequence = ++writer.sequence;
    long committed = System.nanoTime();
    String projectId = writer.changes.workload.projectId;
    while (follower.replica.sequence(projectId) < sequence) {
      LockSupport.parkNanos(5_000);
      if (System.nanoTime() - committed > 10_000_000_000L) {
        throw new IllegalStateException("the replica did not apply change " + sequence + " within 10 s");
      }
    }
    if (follower.lagCount < follower.lags.length) {
      follower.lags[follower.lagCount++] = System.nanoTime() - committed;
    }
    return stored;
  }
}
