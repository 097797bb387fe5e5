package io.csbs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.util.Collection;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs every benchmark once, at the smallest size and with minimal iterations, so that the
 * benchmarks keep working; it measures nothing (see {@code csbs-benchmarks/README.md} for real runs).
 * The PostgreSQL engines and benchmarks run on one embedded PostgreSQL started once, in a data
 * directory of its own ({@code target/pgdata-smoke}), or on {@code -Dcsbs.jdbc.url}.
 */
class BenchmarksSmokeTest {
  @Test
  void everyBenchmarkRunsAtTheSmallestSize() throws RunnerException {
    if (System.getProperty("csbs.bench.pgdata", "").isBlank()) {
      System.setProperty("csbs.bench.pgdata", new File("target/pgdata-smoke").getAbsolutePath());
    }
    Options options = new OptionsBuilder()
        .include("io\\.csbs\\..*")
        .param("backups", "1000")
        .param("changes", "50")
        .forks(0)
        .warmupIterations(0)
        .measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(20))
        .shouldFailOnError(true)
        .build();
    Collection<RunResult> results = new Runner(options).run();
    assertFalse(results.isEmpty(), "no benchmark ran");
    for (RunResult result : results) {
      assertTrue(result.getPrimaryResult().getSampleCount() > 0, result.getParams().getBenchmark());
    }
  }
}
