package io.csbs.benchmarks;

import io.csbs.backup.Backup;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.lifecycle.Transition;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import java.time.Duration;
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
 * Changes per second through a csbs catalog of {@code backups} backups, index maintenance included:
 * {@code transition} applies the next step of a lifecycle cycle to the next backup, round robin (the
 * same cycle as {@link LifecycleBenchmark}, which measures the pure transitions without a catalog);
 * {@code addAndRemove} adds a new backup and removes it again, the changes that move the usage
 * totals and every field index; {@code addLateAndRemove} does the same with a backup older than the
 * newest (an import, a record that came in late), which joins the rows out of creation order;
 * {@code addLate} only adds such backups, each with a new id, so that the catalog grows by them all
 * through the trial (an import of another system's backups), the tail and the reorganisations it
 * brings included; its time includes making the backup ({@code toBuilder().id(...).build()}).
 *
 * <p>Run: {@code java -jar csbs-benchmarks/target/benchmarks.jar CatalogChangeBenchmark -p backups=1000000}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
public class CatalogChangeBenchmark {
  /** How many backups the catalog holds. */
  @Param({"100000", "1000000"})
  int backups;

  private FakeClock clock;
  private BackupCatalog catalog;
  private Backup[] current;
  private int cursor;
  private List<Backup> extra;
  private int extraCursor;
  private Backup[] late;
  private int lateCursor;
  private Backup[] stored;
  private java.util.SplittableRandom importRandom;
  private long imported;

  @Setup(Level.Trial)
  public void load() {
    BackupGenerator generator = BackupGenerator.builder().seed(42).servers(Math.max(10, backups / 50)).build();
    List<Backup> list = generator.backups(backups);
    clock = FakeClock.at(generator.end());
    catalog = Catalogs.indexed(clock);
    catalog.addAll(list);
    current = list.toArray(new Backup[0]);
    extra = generator.backups(10_000);
    java.util.Random random = new java.util.Random(42);
    late = new Backup[10_000];
    for (int i = 0; i < late.length; i++) {
      // the creation time of a random stored backup, a new id: a backup that arrives late
      late[i] = list.get(random.nextInt(list.size())).toBuilder().id("late-" + i).build();
    }
    stored = list.toArray(new Backup[0]);
    importRandom = new java.util.SplittableRandom(42);
    imported = 0;
  }

  /** One lifecycle transition of one stored backup, through the catalog (version check, indexes). */
  @Benchmark
  public Backup transition() {
    int i = cursor;
    cursor = i + 1 == current.length ? 0 : i + 1;
    clock.advance(Duration.ofMillis(1));
    Backup backup = current[i];
    Transition transition = LifecycleBenchmark.nextTransition(backup);
    Backup stored = catalog.apply(backup.projectId(), backup.id(), backup.version(), transition).orElseThrow();
    current[i] = stored;
    return stored;
  }

  /** Adds a new backup and removes it: every index and the usage totals change twice. */
  @Benchmark
  public long addAndRemove() {
    Backup backup = extra.get(extraCursor);
    extraCursor = extraCursor + 1 == extra.size() ? 0 : extraCursor + 1;
    catalog.add(backup);
    catalog.remove(backup.projectId(), backup.id(), backup.version());
    return backup.version();
  }

  /** Adds a backup older than the newest and removes it: an out-of-order add and a removal. */
  @Benchmark
  public long addLateAndRemove() {
    Backup backup = late[lateCursor];
    lateCursor = lateCursor + 1 == late.length ? 0 : lateCursor + 1;
    catalog.add(backup);
    catalog.remove(backup.projectId(), backup.id(), backup.version());
    return backup.version();
  }

  /** Adds a backup with the creation time of a random stored one and a new id: the catalog grows by each. */
  @Benchmark
  public Backup addLate() {
    Backup backup = stored[importRandom.nextInt(stored.length)].toBuilder().id("import-" + imported++).build();
    catalog.add(backup);
    return backup;
  }
}
