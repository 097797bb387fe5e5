package io.csbs.benchmarks;

import io.csbs.backup.Backup;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.query.Predicates;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.ServerUsage;
import io.csbs.usage.UsageReport;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
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
 * <p>The baseline is what a user without csbs writes, over a {@code List<Backup>} or a CQEngine
 * collection alike (CQEngine has no aggregation): {@code scanTopServers} and {@code scanOneZone}
 * group the backups by server in one pass and sort the servers. The trial's setup checks that both
 * give the same reports, and fails otherwise.
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

  private static final String ZONE = "eu-de-02";
  private static final int TOP = 20;

  private BackupCatalog catalog;
  private List<Backup> list;
  private String project;
  private UsageQuery zone;

  @Setup(Level.Trial)
  public void load() {
    BackupGenerator generator = BackupGenerator.builder().seed(42).servers(Math.max(10, backups / 50)).build();
    catalog = Catalogs.indexed(FakeClock.at(generator.end()));
    list = generator.backups(backups);
    catalog.addAll(list);
    project = BackupGenerator.projectId(0);
    zone = UsageQuery.of(Predicates.availabilityZone(ZONE), 0, TOP);
    check("top servers", topServers(), scanTopServers());
    check("one zone", oneZone(), scanOneZone());
  }

  private static void check(String what, UsageReport csbs, UsageReport scan) {
    if (!csbs.equals(scan)) {
      throw new IllegalStateException(what + ": csbs reports " + csbs + ", the scan " + scan);
    }
  }

  /** The dialog: the project's used storage and its 20 largest servers. */
  @Benchmark
  public UsageReport topServers() {
    return catalog.usage(project, UsageQuery.firstServers(20));
  }

  /**
   * The usage of one availability zone (a third of the servers; a sixth of the backups at 10,000, a
   * quarter at 1,000,000), summed when asked.
   */
  @Benchmark
  public UsageReport oneZone() {
    return catalog.usage(project, zone);
  }

  /** The baseline of {@link #topServers}: one pass grouping by server, then a sort of the servers. */
  @Benchmark
  public UsageReport scanTopServers() {
    return scanUsage(backup -> backup.projectId().equals(project));
  }

  /** The baseline of {@link #oneZone}. */
  @Benchmark
  public UsageReport scanOneZone() {
    return scanUsage(backup -> backup.projectId().equals(project) && backup.server().availabilityZone().equals(ZONE));
  }

  /**
   * The largest {@link #TOP} servers of the backups that pass {@code filter}, by size, then number of
   * backups, then id; a server is named as its newest backup names it, as csbs reports it.
   */
  private UsageReport scanUsage(Predicate<Backup> filter) {
    Map<String, long[]> countAndSize = new HashMap<>();
    Map<String, Backup> newest = new HashMap<>();
    long count = 0;
    long sizeMb = 0;
    for (Backup backup : list) {
      if (filter.test(backup)) {
        String server = backup.server().id();
        long[] sums = countAndSize.computeIfAbsent(server, s -> new long[2]);
        sums[0]++;
        sums[1] += backup.sizeMb();
        newest.merge(server, backup, (a, b) -> NEWEST.compare(a, b) >= 0 ? a : b);
        count++;
        sizeMb += backup.sizeMb();
      }
    }
    List<ServerUsage> servers = new ArrayList<>(countAndSize.size());
    countAndSize.forEach((server, sums) ->
        servers.add(new ServerUsage(server, newest.get(server).server().name(), sums[0], sums[1])));
    servers.sort(LARGEST_FIRST);
    return new UsageReport(count, sizeMb, servers.size(), servers.subList(0, Math.min(TOP, servers.size())));
  }

  private static final Comparator<Backup> NEWEST = Comparator.comparing(Backup::createdAt).thenComparing(Backup::id);
  private static final Comparator<ServerUsage> LARGEST_FIRST = Comparator.comparingLong(ServerUsage::sizeMb).reversed()
      .thenComparing(Comparator.comparingLong(ServerUsage::backups).reversed())
      .thenComparing(ServerUsage::serverId);
}
