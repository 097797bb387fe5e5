package io.csbs.benchmarks;

import io.csbs.query.BackupPredicate;
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
 * The count of a console search, materializing no page (the API's {@code checkpoint_items/count}),
 * for the filter scenarios {@code RARE_STATUS} to {@code TAGS_NO_RESULT}. Both CQEngine engines
 * count the same way (ordering plays no part), so a run may pass {@code -p engine=CSBS,SCAN,CQENGINE}.
 *
 * <p>The trial's setup checks the engine's count against the plain scan's and fails otherwise.
 *
 * <p>The fork pre-touches its 8 GB heap ({@code -XX:+AlwaysPreTouch}): without it, G1 hands out
 * eden regions the process never touched before, and every large temporary array pays the kernel's
 * first-touch page faults (a 125 KB bitmap cost 340 µs instead of 40 µs), which a long-running
 * server does not see.
 *
 * <p>Run: {@code java -jar csbs-benchmarks/target/benchmarks.jar CountBenchmark}
 * <br>A reduced matrix:
 * {@code java -jar csbs-benchmarks/target/benchmarks.jar CountBenchmark -p backups=1000000 -p layout=LATE_5PCT -p engine=CSBS,SCAN,CQENGINE -f 1 -wi 2 -i 3 -w 1s -r 1s}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms8g", "-Xmx8g", "-XX:+AlwaysPreTouch"})
public class CountBenchmark {
  /** How many backups the project has. */
  @Param({"10000", "100000", "1000000"})
  int backups;

  /** How the backups arrive: in creation order, 5% late one by one, or with mostly distinct names. */
  @Param
  Layout layout;

  /** Which implementation counts. */
  @Param
  Engine engine;

  /** Which console search. */
  @Param({
    "RARE_STATUS", "COMMON_STATUS", "LAST_7_DAYS", "LAST_7_DAYS_AVAILABLE", "STATUS_30_DAYS_ONE_TAG",
    "TAGS_2", "TAGS_5", "TAGS_10", "TAGS_NO_RESULT"
  })
  Scenario scenario;

  private Workload workload;
  private BacklistEngine backlist;
  private BackupPredicate predicate;

  @Setup(Level.Trial)
  public void setUp() {
    workload = Workload.of(backups, layout);
    predicate = scenario.predicate(workload);
    backlist = engine.create(workload.now);
    workload.loadInto(engine, backlist);
    Checks.sameCountAsScan(workload, engine, backlist, scenario.name(), predicate);
  }

  /** The number of matches. */
  @Benchmark
  public long count() {
    return backlist.count(workload.projectId, predicate);
  }

  /** Closes the engine: the PostgreSQL engines hold connections and a replica's thread. */
  @TearDown(Level.Trial)
  public void tearDown() {
    backlist.close();
  }
}
