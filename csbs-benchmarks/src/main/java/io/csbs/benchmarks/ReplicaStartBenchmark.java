package io.csbs.benchmarks;

import io.csbs.postgres.PostgresCatalog;
import io.csbs.postgres.PostgresReplica;
import io.csbs.query.Predicates;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
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
 * Loading a replica from PostgreSQL: the time of {@code PostgresReplica.start} on a database of
 * {@code backups} backups of one project (the query benchmarks' data set): one {@code REPEATABLE
 * READ} snapshot read in rows of 10,000, decoded, and bulk-loaded into the in-memory catalog. Single
 * shot a iteration; the previous replica is closed and collected before each.
 *
 * <p>Run: {@code java -jar csbs-benchmarks/target/benchmarks.jar ReplicaStartBenchmark -p backups=1000000}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms8g", "-Xmx8g", "-XX:+AlwaysPreTouch"})
public class ReplicaStartBenchmark {
  /** How many backups the database holds. */
  @Param({"1000000"})
  int backups;

  private Workload workload;
  private PostgresCatalog database;
  private PostgresReplica replica;

  @Setup(Level.Trial)
  public void setUp() {
    workload = Workload.of(backups);
    database = PostgresCatalog.create(BenchDatabase.dataset(String.valueOf(backups), workload.backups),
        Clock.fixed(workload.now, ZoneOffset.UTC));
  }

  @Setup(Level.Iteration)
  public void dropPrevious() {
    replica = null;
    System.gc();
  }

  /** A replica, loaded. */
  @Benchmark
  public PostgresReplica start() {
    replica = PostgresReplica.start(database);
    return replica;
  }

  @TearDown(Level.Iteration)
  public void check() {
    long held = replica.count(workload.projectId, Predicates.all());
    replica.close();
    if (held != backups) {
      throw new IllegalStateException("the replica holds " + held + " backups, not " + backups);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    database.close();
  }
}
