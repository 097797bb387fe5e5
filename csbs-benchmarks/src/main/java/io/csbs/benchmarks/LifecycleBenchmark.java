package io.csbs.benchmarks;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.lifecycle.Transition;
import io.csbs.testing.BackupGenerator;
import java.time.Instant;
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
 * Lifecycle transitions per second over a large set of backups: each call applies the next step of
 * a cycle (restore, progress, complete, delete, fail, ...) to the next backup, round robin, so that
 * the working set is the whole list, as on a catalog where many jobs run at once.
 *
 * <p>Run: {@code java -jar csbs-benchmarks/target/benchmarks.jar LifecycleBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class LifecycleBenchmark {
  /** How many backups the transitions go round. */
  @Param({"100000"})
  int backups;

  private Backup[] current;
  private int cursor;
  private Instant now;

  @Setup(Level.Trial)
  public void generate() {
    BackupGenerator generator = BackupGenerator.builder().seed(42).servers(Math.max(10, backups / 50)).build();
    List<Backup> list = generator.backups(backups);
    current = list.toArray(new Backup[0]);
    now = generator.end();
  }

  /** One transition of one backup; the result replaces it, so the next round continues its cycle. */
  @Benchmark
  public Backup transition() {
    int i = cursor;
    cursor = i + 1 == current.length ? 0 : i + 1;
    now = now.plusMillis(1);
    Backup next = step(current[i], now);
    current[i] = next;
    return next;
  }

  /**
   * The cycle: Available -restore-> Restoring -progress x4-> complete -> Available; Error -delete->
   * Deleting -progress x4-> fail -> Error (so that no backup disappears); Creating completes.
   */
  static Backup step(Backup backup, Instant now) {
    return nextTransition(backup).applyTo(backup, now).orElseThrow();
  }

  /** The next transition of {@code backup} in the cycle of {@link #step}. */
  static Transition nextTransition(Backup backup) {
    switch (backup.status()) {
      case AVAILABLE:
        return Transition.restore();
      case ERROR:
        return Transition.delete();
      default:
        int percent = backup.progress().orElseThrow().percent();
        if (percent < 100) {
          return Transition.reportProgress(Math.min(100, percent + 25));
        }
        return backup.status() == BackupStatus.DELETING ? KEEP_IT : Transition.complete();
    }
  }

  /** Fails a deletion, so that no backup disappears from the cycle. */
  private static final Transition KEEP_IT = Transition.fail("benchmark: keep the backup");
}
