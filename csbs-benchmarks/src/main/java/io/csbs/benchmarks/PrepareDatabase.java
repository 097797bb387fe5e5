package io.csbs.benchmarks;

import javax.sql.DataSource;

/**
 * Loads the PostgreSQL data sets of the benchmarks ahead of a run, so that no fork of a benchmark
 * spends minutes loading: the query data set ({@code csbs_bench_<size>}, which {@code POSTGRES} and
 * {@code POSTGRES_REPLICA} read) and the data set the change benchmarks change ({@code
 * csbs_bench_changes_<size>}). Each is loaded only if its marker says it does not hold the workload.
 *
 * <p>Run: {@code java -cp csbs-benchmarks/target/benchmarks.jar io.csbs.benchmarks.PrepareDatabase 1000000}
 */
public final class PrepareDatabase {
  private PrepareDatabase() {}

  public static void main(String[] args) {
    for (String arg : args.length == 0 ? new String[] {"1000000"} : args) {
      int size = Integer.parseInt(arg);
      Workload workload = Workload.of(size);
      DataSource queries = BenchDatabase.dataset(String.valueOf(size), workload.backups);
      BenchDatabase.dataset("changes_" + size, workload.backups);
      System.out.println("# " + size + " backups ready on " + BenchDatabase.serverVersion(queries));
    }
  }
}
