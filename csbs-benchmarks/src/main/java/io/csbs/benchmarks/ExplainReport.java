package io.csbs.benchmarks;

import io.csbs.postgres.SearchPlans;
import io.csbs.query.Query;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * For each console search ({@link Scenario}), the SQL the PostgreSQL catalog sends (page with its
 * total, and for the filter scenarios the count) and PostgreSQL's {@code EXPLAIN (ANALYZE, BUFFERS)}
 * of it, on the query benchmarks' data set (loaded first if needed). Each statement is run three
 * times before it is explained, so that the plan shows a warm cache as the benchmark does.
 *
 * <p>Run: {@code java -cp csbs-benchmarks/target/benchmarks.jar io.csbs.benchmarks.ExplainReport 1000000 [SCENARIO...]}
 */
public final class ExplainReport {
  private ExplainReport() {}

  public static void main(String[] args) {
    int size = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    List<Scenario> scenarios = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      scenarios.add(Scenario.valueOf(args[i]));
    }
    if (scenarios.isEmpty()) {
      scenarios.addAll(List.of(Scenario.values()));
    }
    Workload workload = Workload.of(size);
    DataSource dataSource = BenchDatabase.dataset(String.valueOf(size), workload.backups);
    System.out.println("# " + BenchDatabase.serverVersion(dataSource));
    for (Scenario scenario : scenarios) {
      Query query = scenario.query(workload);
      System.out.println("\n## " + scenario + " (page)\n" + SearchPlans.pageSql(workload.projectId, query, workload.now));
      for (int i = 0; i < 3; i++) {
        SearchPlans.explainPage(dataSource, workload.projectId, query, workload.now);
      }
      System.out.print(SearchPlans.explainPage(dataSource, workload.projectId, query, workload.now));
      System.out.println("\n## " + scenario + " (count)\n"
          + SearchPlans.countSql(workload.projectId, query.predicate(), workload.now));
      for (int i = 0; i < 3; i++) {
        SearchPlans.explainCount(dataSource, workload.projectId, query.predicate(), workload.now);
      }
      System.out.print(SearchPlans.explainCount(dataSource, workload.projectId, query.predicate(), workload.now));
    }
  }
}
