package io.csbs.benchmarks;

import io.csbs.query.Query;
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
 * One page of the backup list per console search ({@link Scenario}): csbs, the plain scan and
 * CQEngine with and without index ordering, side by side on the same backups of one project.
 *
 * <p>The trial's setup loads the engine, then checks that its page (ids in order) and total equal
 * the plain scan's for the scenario, and fails the benchmark with an {@link IllegalStateException}
 * otherwise.
 *
 * <p>The fork pre-touches its 8 GB heap ({@code -XX:+AlwaysPreTouch}): without it, G1 hands out
 * eden regions the process never touched before, and every large temporary array pays the kernel's
 * first-touch page faults (a 125 KB bitmap cost 340 µs instead of 40 µs), which a long-running
 * server does not see.
 *
 * <p>Run (all sizes, engines and scenarios; long):
 * {@code java -jar csbs-benchmarks/target/benchmarks.jar QueryBenchmark}
 * <br>A reduced matrix:
 * {@code java -jar csbs-benchmarks/target/benchmarks.jar QueryBenchmark -p backups=1000000 -p layout=LATE_5PCT -f 1 -wi 2 -i 3 -w 1s -r 1s}
 * <br>One scenario: {@code ... QueryBenchmark -p scenario=TAGS_2 -p engine=CSBS,CQENGINE_INDEX_ORDERING}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms8g", "-Xmx8g", "-XX:+AlwaysPreTouch"})
public class QueryBenchmark {
  /** How many backups the project has. */
  @Param({"10000", "100000", "1000000"})
  int backups;

  /** How the backups arrive: in creation order, 5% late one by one, or with mostly distinct names. */
  @Param
  Layout layout;

  /** Which implementation answers. */
  @Param
  Engine engine;

  /** Which console search. */
  @Param
  Scenario scenario;

  private Workload workload;
  private BacklistEngine backlist;
  private Query query;

  /**
   * The last in-memory engine loaded in this JVM, with its workload: the searches only read, so
   * trials of one size, layout and engine in one JVM ({@code -f 0}) share one load (at 5M backups
   * added one by one a load takes minutes). Forked trials load their own, as before.
   */
  private static BacklistEngine shared;
  private static Workload sharedWorkload;
  private static Engine sharedEngine;

  @Setup(Level.Trial)
  public void setUp() {
    workload = Workload.of(backups, layout);
    query = scenario.query(workload);
    boolean inMemory = engine != Engine.POSTGRES && engine != Engine.POSTGRES_REPLICA;
    synchronized (QueryBenchmark.class) {
      if (inMemory && shared != null && sharedWorkload == workload && sharedEngine == engine) {
        backlist = shared;
        Checks.samePageAsScan(workload, engine, backlist, scenario.name(), query);
        return;
      }
      if (shared != null) {
        shared.close();
        shared = null;  // let it go before the next load
      }
      backlist = Checks.loadedAndChecked(workload, engine, scenario.name(), query);
      if (inMemory) {
        shared = backlist;
        sharedWorkload = workload;
        sharedEngine = engine;
      }
    }
  }

  /** The page and its total. */
  @Benchmark
  public BacklistEngine.Hits page() {
    return backlist.page(workload.projectId, query);
  }

  /** Closes the engine: the PostgreSQL engines hold connections and a replica's thread. */
  @TearDown(Level.Trial)
  public void tearDown() {
    synchronized (QueryBenchmark.class) {
      if (backlist != shared) {
        backlist.close();  // a shared one is closed when the next load replaces it
      }
    }
  }
}
