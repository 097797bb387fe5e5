package io.csbs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs every benchmark and search once in one arrival layout, and each other layout's set-up with one
 * search, at the smallest size and with minimal iterations, so that the benchmarks keep working; it
 * measures nothing (see {@code csbs-benchmarks/README.md} for real runs).
 * The PostgreSQL engines and benchmarks run on one embedded PostgreSQL started once, in a data
 * directory of its own ({@code target/pgdata-smoke}), or on {@code -Dcsbs.jdbc.url}.
 */
class BenchmarksSmokeTest {
  @Test
  void everyBenchmarkRunsAtTheSmallestSize() throws RunnerException {
    if (System.getProperty("csbs.bench.pgdata", "").isBlank()) {
      System.setProperty("csbs.bench.pgdata", new File("target/pgdata-smoke").getAbsolutePath());
    }
    // every benchmark and search in one arrival layout, then the layouts' set-ups with one search:
    // every combination (892 runs, 37 s of the CI's 10-minute budget) would add nothing a run did not
    Collection<RunResult> results = new ArrayList<>(run(smallest()
        .include("io\\.csbs\\..*")
        .param("layout", "LATE_5PCT")));
    results.addAll(run(smallest()
        .include("io\\.csbs\\.benchmarks\\.(QueryBenchmark\\.page|CountBenchmark\\.count)$")
        .param("layout", "IN_ORDER", "RANDOM_ORDER", "DISTINCT_NAMES", "RETAINED")
        .param("scenario", "TAGS_2")));
    assertFalse(results.isEmpty(), "no benchmark ran");
    for (RunResult result : results) {
      assertTrue(result.getPrimaryResult().getSampleCount() > 0, result.getParams().getBenchmark());
    }
    Set<String> layouts = new TreeSet<>();
    for (RunResult result : results) {
      String layout = result.getParams().getParam("layout");
      if (layout != null) {
        layouts.add(layout);
      }
    }
    Set<String> every = new TreeSet<>();
    for (Layout layout : Layout.values()) {
      every.add(layout.name());
    }
    assertEquals(every, layouts, "every layout's set-up ran");
  }

  private static ChainedOptionsBuilder smallest() {
    return new OptionsBuilder()
        .param("backups", "1000")
        .param("changes", "50")
        .forks(0)
        .warmupIterations(0)
        .measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(2))
        .shouldFailOnError(true);
  }

  private static Collection<RunResult> run(ChainedOptionsBuilder options) throws RunnerException {
    return new Runner(options.build()).run();
  }
}
