package io.csbs.benchmarks;

import io.csbs.postgres.PostgresCatalog;
import io.csbs.postgres.PostgresReplica;
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
 * How fast a replica applies the change feed: a replica of a project of {@code backups} backups
 * stops following ({@code close()}), the writer commits {@code changes} lifecycle transitions (the
 * cycle of {@link PostgresChangeBenchmark}), and the measured operation is the replica's {@code
 * catchUp(project)}: reading the feed from PostgreSQL in batches of 1,000 and replaying each change
 * into memory. Single shot a iteration; changes a second is {@code changes} over the time (each
 * iteration also prints it).
 *
 * <p>Runs on the change data set {@code csbs_bench_changes_<size>} (see {@link PostgresChanges}).
 *
 * <p>Run: {@code java -jar csbs-benchmarks/target/benchmarks.jar ReplicaCatchUpBenchmark -p backups=1000000}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
public class ReplicaCatchUpBenchmark {
  /** How many backups the project has. */
  @Param({"1000000"})
  int backups;

  /** How many changes the replica catches up with in each iteration. */
  @Param({"5000"})
  int changes;

  private PostgresChanges data;
  private PostgresCatalog writer;
  private PostgresCatalog otherInstance;
  private PostgresReplica replica;
  private long target;
  private long caughtUpNanos;

  @Setup(Level.Trial)
  public void setUp() {
    data = new PostgresChanges(backups);
    writer = data.catalog();
    otherInstance = data.catalog();
    replica = PostgresReplica.start(otherInstance);
    replica.close();   // stops following: the changes below wait in the feed
    data.refresh(replica);
  }

  @Setup(Level.Iteration)
  public void writeChanges() {
    long start = System.nanoTime();
    for (int i = 0; i < changes; i++) {
      data.transition(writer);
    }
    target = writer.sequence(data.workload.projectId);
    System.out.printf("# %,d changes written in %,.0f ms; the replica is at %,d, the feed at %,d%n", changes,
        (System.nanoTime() - start) / 1e6, replica.sequence(data.workload.projectId), target);
  }

  /** The replica applies every pending change. */
  @Benchmark
  public long catchUp() {
    long start = System.nanoTime();
    long reached = replica.catchUp(data.workload.projectId);
    caughtUpNanos = System.nanoTime() - start;
    return reached;
  }

  @TearDown(Level.Iteration)
  public void check() {
    long reached = replica.sequence(data.workload.projectId);
    if (reached != target) {
      throw new IllegalStateException("the replica reached change " + reached + ", not " + target);
    }
    System.out.printf("# caught up %,d changes in %,.1f ms: %,.0f changes a second%n", changes, caughtUpNanos / 1e6,
        changes / (caughtUpNanos / 1e9));
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    writer.close();
    otherInstance.close();
  }
}
