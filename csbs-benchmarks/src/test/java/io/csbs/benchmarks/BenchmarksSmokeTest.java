package io.csbs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 */
class BenchmarksSmokeTest {
  @Test
  void everyBenchmarkRunsAtTheSmallestSize() throws RunnerException {
    Options options = new OptionsBuilder()
        .include("io\\.csbs\\..*")
        .param("backups", "1000")
        .forks(0)
        .warmupIterations(0)
        .measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(200))
        .shouldFailOnError(true)
        .build();
    Collection<RunResult> results = new Runner(options).run();
    assertFalse(results.isEmpty(), "no benchmark ran");
    for (RunResult result : results) {
      assertTrue(result.getPrimaryResult().getSampleCount() > 0, result.getParams().getBenchmark());
    }
  }
}
