package io.csbs.benchmarks;

import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.query.Predicates;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
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
 * The console's space usage dialog on a csbs catalog of {@code backups} backups: {@code topServers}
 * reads the kept-current report (the project's total and its 20 largest servers); {@code oneZone}
 * sums the report of one availability zone's backups when asked. The cost a change adds to keep the
 * report current is part of {@link CatalogChangeBenchmark#addAndRemove}.
 *
 * <p>Run: {@code java -jar csbs-benchmarks/target/benchmarks.jar UsageBenchmark -p backups=1000000}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
public class UsageBenchmark {
  /** How many backups the catalog holds. */
  @Param({"10000", "100000", "1000000"})
  int backups;

  private BackupCatalog catalog;
  private String project;
  private UsageQuery zone;

  @Setup(Level.Trial)
  public void load() {
    BackupGenerator generator = BackupGenerator.builder().seed(42).servers(Math.max(10, backups / 50)).build();
    catalog = Catalogs.indexed(FakeClock.at(generator.end()));
    catalog.addAll(generator.backups(backups));
    project = BackupGenerator.projectId(0);
    zone = UsageQuery.of(Predicates.availabilityZone("eu-de-02"), 0, 20);
  }

  /** The dialog: the project's used storage and its 20 largest servers. */
  @Benchmark
  public UsageReport topServers() {
    return catalog.usage(project, UsageQuery.firstServers(20));
  }

  /** The usage of one availability zone (a third of the backups), summed when asked. */
  @Benchmark
  public UsageReport oneZone() {
    return catalog.usage(project, zone);
  }
}
