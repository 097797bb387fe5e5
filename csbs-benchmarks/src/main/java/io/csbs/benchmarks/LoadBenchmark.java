package io.csbs.benchmarks;

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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Loading {@code backups} backups of one project into an empty engine, one bulk call ({@code
 * addAll} for csbs and CQEngine), timed once per iteration; the previous iteration's engine is
 * dropped and collected before each.
 *
 * <p>The fork pre-touches its 8 GB heap ({@code -XX:+AlwaysPreTouch}): without it, G1 hands out
 * eden regions the process never touched before, and every large temporary array pays the kernel's
 * first-touch page faults (a 125 KB bitmap cost 340 µs instead of 40 µs), which a long-running
 * server does not see.
 *
 * <p>Run: {@code java -jar csbs-benchmarks/target/benchmarks.jar LoadBenchmark -p backups=1000000}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms8g", "-Xmx8g", "-XX:+AlwaysPreTouch"})
public class LoadBenchmark {
  /** How many backups are loaded. */
  @Param({"10000", "100000", "1000000"})
  int backups;

  /** Which implementation loads them (the in-memory ones; ReplicaStartBenchmark loads a replica from PostgreSQL). */
  @Param({"CSBS", "SCAN", "CQENGINE", "CQENGINE_INDEX_ORDERING"})
  Engine engine;

  private Workload workload;
  private BacklistEngine loaded;

  @Setup(Level.Trial)
  public void generate() {
    workload = Workload.of(backups);
  }

  @Setup(Level.Iteration)
  public void dropPrevious() {
    loaded = null;
    System.gc();
  }

  /** A new engine with every backup. */
  @Benchmark
  public BacklistEngine load() {
    BacklistEngine backlist = engine.create(workload.now);
    backlist.load(workload.backups);
    loaded = backlist;
    return backlist;
  }
}
