package io.csbs.benchmarks;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
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
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * An import in one batch: {@code addAll} of {@code latePercent}% as many backups as a project of
 * {@code backups} (loaded in creation order) holds, each the creation time of a random stored backup
 * with a new id (older than the newest: late). {@code addLateBatch} times the batch once per
 * iteration, on a freshly loaded project (ms); {@code searchAfter} times a search (µs) in the
 * project the batch left, made before each iteration and untimed: {@code RARE_STATUS} (the first page
 * of the backups Restoring or in Error, with its total) and {@code DEEP_OFFSET} (the default list's
 * page at offset 4,000). A batch of late backups at least half the project's lays the project out
 * again with them; a smaller one joins the tail, backup by backup, as single adds do, which the
 * searches then read through until a reorganisation (in the background, beside them) lays the rows
 * out again.
 *
 * <p>Run: {@code java -jar csbs-benchmarks/target/benchmarks.jar LateBatchBenchmark -p backups=1000000}
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xms8g", "-Xmx8g", "-XX:+AlwaysPreTouch"})
public class LateBatchBenchmark {
  /** How many backups the project holds before the batch. */
  @Param({"100000", "1000000"})
  int backups;

  /** The batch's size, in percent of {@link #backups}. */
  @Param({"10", "60", "100"})
  int latePercent;

  private Workload workload;
  private List<Backup> late;
  private BackupCatalog catalog;

  /** The search {@code searchAfter} times (a state of its own: {@code addLateBatch} runs once whatever it is). */
  @State(Scope.Benchmark)
  public static class Search {
    /** {@code RARE_STATUS} or {@code DEEP_OFFSET}. */
    @Param({"RARE_STATUS", "DEEP_OFFSET"})
    String search;

    private Query query;

    @Setup(Level.Trial)
    public void make() {
      query = search.equals("RARE_STATUS")
          ? Query.builder().where(Predicates.status(BackupStatus.RESTORING, BackupStatus.ERROR)).limit(Workload.PAGE).build()
          : Query.builder().offset(4_000).limit(Workload.PAGE).build();
    }
  }

  @Setup(Level.Trial)
  public void generate() {
    workload = Workload.of(backups);
    SplittableRandom random = new SplittableRandom(Workload.SEED);
    late = new ArrayList<>(backups / 100 * latePercent);
    for (int i = 0; i < backups / 100 * latePercent; i++) {
      Backup stored = workload.backups.get(random.nextInt(workload.backups.size()));
      late.add(stored.toBuilder().id("import-" + i).build());
    }
  }

  /** A project of {@link #backups} backups loaded in creation order, the previous one collected. */
  @Setup(Level.Iteration)
  public void load(BenchmarkParams params) {
    catalog = null;
    System.gc();
    catalog = Catalogs.indexed(Clock.fixed(workload.now, ZoneOffset.UTC));
    catalog.addAll(workload.backups);
    if (params.getBenchmark().endsWith("searchAfter")) {
      catalog.addAll(late);
      System.gc();
    }
  }

  /** The batch alone. */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 2)
  @Measurement(iterations = 5)
  public BackupCatalog addLateBatch() {
    catalog.addAll(late);
    return catalog;
  }

  /** A search in the project the batch left. */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  @Warmup(iterations = 1, time = 1)
  @Measurement(iterations = 3, time = 1)
  public Page searchAfter(Search search) {
    return catalog.query(workload.projectId, search.query);
  }
}
