package io.csbs.benchmarks;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.testing.ReferenceCatalog;
import java.util.List;
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
 * The operators' all-projects view ({@link BackupCatalog#queryAllProjects}, {@link
 * BackupCatalog#countAllProjects}) on {@code backups} backups spread over {@code projects} projects
 * (the generator's, a few large and many small): the first page of 20 of every backup and of the
 * Available ones, newest first; the page after the 10,000th backup (by marker) and page 500 (by
 * offset); the first page by name; and the two counts. The trial's setup checks every answer against
 * the testkit's plain scan ({@link ReferenceCatalog}), and fails otherwise.
 *
 * <p>Run: {@code java -jar csbs-benchmarks/target/benchmarks.jar AllProjectsBenchmark -p backups=1000000}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
public class AllProjectsBenchmark {
  /** How many backups the catalog holds. */
  @Param({"100000", "1000000"})
  int backups;

  /** How many projects they belong to. */
  @Param({"1000"})
  int projects;

  private static final int PAGE = 20;
  private static final int DEEP = 10_000;

  private BackupCatalog catalog;
  private Query firstPage;
  private Query available;
  private Query afterMarker;
  private Query byOffset;
  private Query byName;
  private BackupPredicate availableOnly;

  @Setup(Level.Trial)
  public void load() {
    BackupGenerator generator = BackupGenerator.builder().seed(42).projects(projects)
        .servers(Math.max(10, backups / 50)).build();
    List<Backup> list = generator.backups(backups);
    FakeClock clock = FakeClock.at(generator.end());
    catalog = Catalogs.indexed(clock);
    catalog.addAll(list);
    availableOnly = Predicates.status(BackupStatus.AVAILABLE);
    firstPage = Query.builder().limit(PAGE).build();
    available = Query.builder().where(availableOnly).limit(PAGE).build();
    Page deep = catalog.queryAllProjects(Query.builder().offset(Math.min(DEEP, backups / 2) - 1).limit(1).build());
    afterMarker = Query.builder().marker(deep.backups().get(0).id()).limit(PAGE).build();
    byOffset = Query.builder().offset(Math.min(DEEP - PAGE, backups / 2)).limit(PAGE).build();
    byName = Query.builder().sort(Sort.parse("name:asc")).limit(PAGE).build();

    BackupCatalog scan = ReferenceCatalog.create(clock);
    scan.addAll(list);
    for (Query query : List.of(firstPage, available, afterMarker, byOffset, byName)) {
      Page expected = scan.queryAllProjects(query);
      Page actual = catalog.queryAllProjects(query);
      if (!expected.equals(actual)) {
        throw new IllegalStateException("all projects, " + query + ": csbs " + actual.ids() + " of " + actual.total()
            + ", the scan " + expected.ids() + " of " + expected.total());
      }
    }
    for (BackupPredicate predicate : List.of(Predicates.all(), availableOnly)) {
      if (scan.countAllProjects(predicate) != catalog.countAllProjects(predicate)) {
        throw new IllegalStateException("all projects, count of " + predicate + " differs from the scan's");
      }
    }
  }

  /** The first page of every project's backups, newest first, with the total. */
  @Benchmark
  public Page firstPage() {
    return catalog.queryAllProjects(firstPage);
  }

  /** The first page of the Available backups of every project. */
  @Benchmark
  public Page availableFirstPage() {
    return catalog.queryAllProjects(available);
  }

  /** The page after the 10,000th backup, by marker. */
  @Benchmark
  public Page pageAfterMarker() {
    return catalog.queryAllProjects(afterMarker);
  }

  /** Page 500, by offset. */
  @Benchmark
  public Page pageByOffset() {
    return catalog.queryAllProjects(byOffset);
  }

  /** The first page by backup name. */
  @Benchmark
  public Page firstPageByName() {
    return catalog.queryAllProjects(byName);
  }

  /** Every project's backups, counted. */
  @Benchmark
  public long countAll() {
    return catalog.countAllProjects(Predicates.all());
  }

  /** Every project's Available backups, counted. */
  @Benchmark
  public long countAvailable() {
    return catalog.countAllProjects(availableOnly);
  }
}
