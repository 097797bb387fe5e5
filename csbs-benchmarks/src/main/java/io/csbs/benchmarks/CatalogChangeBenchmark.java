package io.csbs.benchmarks;

import io.csbs.backup.Backup;
import io.csbs.backup.Failure;
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
 * through the trial (an import of another system's backups), the tail included (at full speed the
 * late adds outrun a reorganisation, which waits until they slow down or stop: the {@code Catalogs}
 * javadoc, "Arrival order"): the catalog is not at {@code backups} but grows from it (at 1M, to 3M or 4M by the
 * end of a trial); {@code importAndRetire} adds the same late backups and removes one, so that the
 * catalog stays at its size throughout: its score is pairs a second, one add and one removal each
 * (twice as many changes). What it removes is {@link Retirement#retire}: {@code OLDEST}, the backup
 * added longest ago (the bulk load's in the order the generator made them, at random creation
 * times, then the earliest imports), an import beside a clean-up that leaves removed rows all over
 * the sorted ones (exactly {@code backups} backups throughout); {@code IMPORTS}, the import made
 * longest ago, after 5% of {@code backups} imported before the trial (a tail of 5% throughout,
 * whose positions the imports take again: no reorganisation; {@code backups} plus 5%). {@code
 * addAndRetireOldest} adds a new backup (newer than every other) and removes the oldest created: a
 * retention job beside the day's backups, pairs a second, the catalog at its size.
 *
 * <p>The late backups of {@code addLate} and {@code importAndRetire} and the new ones of {@code
 * addAndRetireOldest} are made before each measurement iteration ({@link Imports}, {@link
 * Arrivals}: half again as many as the last iteration took), so that
 * the time measured is the catalog's, not the making of the backup ({@code
 * toBuilder().id(...).build()}, its checks included: 10% to 15% of a late add's time when it was
 * measured with it). An iteration that uses up the pool (a faster one than the last) makes the rest
 * as it goes, measured with the add.
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
  /** How many backups the catalog held when it was loaded ({@link Loaded#backups}). */
  int backups;

  private FakeClock clock;
  private BackupCatalog catalog;
  private Backup[] current;
  private int cursor;
  private List<Backup> extra;
  private int extraCursor;
  private Backup[] late;
  private int lateCursor;
  /** The stored backups in the order they were made (random creation times). */
  private Backup[] stored;
  /** The stored backups, oldest created first (the catalog's row order). */
  private Backup[] byCreation;

  /**
   * The catalog loaded with {@code backups} backups, and those backups: a state of its own, which
   * the benchmark and the pools of backups ({@link Imports}, {@link Arrivals}) take, so that JMH
   * makes one for them all. The pools took the benchmark itself, and JMH then made a second instance of
   * the benchmark for them, which loaded a second catalog of {@code backups} (twice the heap for
   * {@code addLate}, {@code importAndRetire} and {@code addAndRetireOldest}, and pools made from
   * that instance's backups: equal to the measured catalog's but other objects, which it stored as
   * copies sharing its own). {@code Scope.Benchmark}: JMH 1.37 makes a thread-scoped state once for
   * each state or benchmark that takes it, a benchmark-scoped one once (the benchmarks run one thread).
   */
  @State(Scope.Benchmark)
  public static class Loaded {
    /** How many backups the catalog holds. */
    @Param({"100000", "1000000"})
    int backups;

    FakeClock clock;
    BackupCatalog catalog;
    /** The stored backups in the order they were made (random creation times). */
    Backup[] stored;
    /** The stored backups, oldest created first (the catalog's row order). */
    Backup[] byCreation;
    List<Backup> extra;

    @Setup(Level.Trial)
    public void load() {
      BackupGenerator generator = BackupGenerator.builder().seed(42).servers(Math.max(10, backups / 50)).build();
      List<Backup> list = generator.backups(backups);
      clock = FakeClock.at(generator.end());
      catalog = Catalogs.indexed(clock);
      catalog.addAll(list);
      stored = list.toArray(new Backup[0]);
      byCreation = stored.clone();
      java.util.Arrays.sort(byCreation, Workload.CREATION_ORDER);
      extra = generator.backups(10_000);
    }
  }

  @Setup(Level.Trial)
  public void load(Loaded loaded) {
    backups = loaded.backups;
    clock = loaded.clock;
    catalog = loaded.catalog;
    stored = loaded.stored;
    current = stored.clone();
    extra = loaded.extra;
    java.util.Random random = new java.util.Random(42);
    late = new Backup[10_000];
    for (int i = 0; i < late.length; i++) {
      // the creation time of a random stored backup, a new id: a backup that arrives late
      late[i] = stored[random.nextInt(stored.length)].toBuilder().id("late-" + i).build();
    }
    byCreation = loaded.byCreation;
  }

  /** What {@code importAndRetire} removes, and the backups it may remove in the order they were added. */
  @State(Scope.Thread)
  public static class Retirement {
    /** {@code OLDEST}: the backup added longest ago; {@code IMPORTS}: the import made longest ago. */
    @Param({"OLDEST", "IMPORTS"})
    String retire;
    /** The backups to remove, oldest added first; null until the trial's first call. */
    private java.util.ArrayDeque<Backup> addedOrder;

    @Setup(Level.Trial)
    public void reset() {
      addedOrder = null;
    }

    /**
     * Lists what may be removed and, for {@code IMPORTS}, imports the first 5%, at the trial's first
     * call (in its first warmup iteration), on the catalog the benchmark measures. (Done in a setup of
     * this state that took the benchmark, the imports went into another catalog: JMH makes a second
     * instance of a benchmark class that a state's setup takes; see {@link Loaded}.)
     */
    void prepare(CatalogChangeBenchmark benchmark) {
      if (retire.equals("OLDEST")) {
        addedOrder = new java.util.ArrayDeque<>(java.util.Arrays.asList(benchmark.stored));
        return;
      }
      addedOrder = new java.util.ArrayDeque<>();
      java.util.SplittableRandom random = new java.util.SplittableRandom(7);
      for (int i = 0; i < benchmark.backups / 20; i++) {
        Backup late = benchmark.stored[random.nextInt(benchmark.stored.length)].toBuilder().id("early-import-" + i).build();
        benchmark.catalog.add(late);
        addedOrder.addLast(late);
      }
    }
  }

  /**
   * Backups with new ids, made before each iteration ({@link #make()}). The pool holds half again as
   * many as the last iteration took ({@value #FIRST_POOL} before the first): every backup in it
   * survives the young collections of the iteration that follows, which copy it as they would a
   * backup a service's request made and the catalog kept, so a pool much larger than what is taken
   * makes those collections copy backups the iteration never adds (a fixed pool of a million, about
   * 150 MB, made 200 ms pauses in 2 s iterations that took 90,000 of it). When an iteration takes
   * more than the pool holds, the rest are made one by one as they are taken, inside the measured
   * call.
   */
  abstract static class Pool {
    /** The pool before the first iteration, when no iteration has said how many it takes. */
    public static final int FIRST_POOL = 1 << 17;
    final java.util.SplittableRandom random = new java.util.SplittableRandom(42);
    Backup[] stored;
    /** Ids made so far, over the trial: the next id's number, so that no id comes twice. */
    long made;
    private Backup[] pool = new Backup[0];
    private int next;
    /** Backups taken in the current iteration, from the pool or made as taken. */
    private int taken;

    /** Makes the pool of the next iteration; called by the subclass's iteration setup. */
    void refill(Loaded loaded) {
      stored = loaded.stored;
      int size = taken == 0 ? FIRST_POOL : taken + taken / 2;
      pool = null;  // the last iteration's rest is garbage before the new pool is made
      pool = new Backup[size];
      for (int i = 0; i < pool.length; i++) {
        pool[i] = make();
      }
      next = 0;
      taken = 0;
    }

    /** The next backup: from the pool, or made now once the pool is used up. */
    Backup next() {
      taken++;
      if (next < pool.length) {
        Backup backup = pool[next];
        pool[next++] = null;  // the catalog holds it from now on; the pool need not
        return backup;
      }
      return make();
    }

    abstract Backup make();
  }

  /**
   * Late backups: the creation time (and the other fields) of a random stored backup, a new id. Two
   * imports of one stored backup's time tie in the tail's order, which then orders them by id:
   * {@code importIds} says what those ids look like, {@code UUID} (random UUIDs, as the generator's
   * and most services' ids: the tail's order tells them apart by their first characters) or {@code
   * PREFIXED} ({@code import-N}: a common prefix, so that every tie reads the rows' ids).
   */
  @State(Scope.Thread)
  public static class Imports extends Pool {
    @Param({"UUID", "PREFIXED"})
    String importIds;

    @Setup(Level.Iteration)
    public void fill(Loaded loaded) {
      refill(loaded);
    }

    @Override
    Backup make() {
      String id = importId(importIds.equals("UUID"), made++, random);
      return stored[random.nextInt(stored.length)].toBuilder().id(id).build();
    }

    /**
     * The id of the {@code n}th import: a random UUID ({@code uuids}; the counter in its low half
     * keeps them distinct) or {@code import-n}. {@link LateImportReport} makes its ids alike.
     */
    static String importId(boolean uuids, long n, java.util.SplittableRandom random) {
      return uuids ? new java.util.UUID(random.nextLong(), n).toString() : "import-" + n;
    }
  }

  /**
   * New backups, each newer than every backup made before it: the fields of a random stored backup
   * without a running job, a new id, and created (and updated, and finished if it was) a millisecond
   * after the last, from the newest stored backup on.
   */
  @State(Scope.Thread)
  public static class Arrivals extends Pool {
    private java.time.Instant last;

    @Setup(Level.Iteration)
    public void fill(Loaded loaded) {
      if (last == null) {
        last = loaded.byCreation[loaded.byCreation.length - 1].createdAt();
      }
      refill(loaded);
    }

    @Override
    Backup make() {
      Backup template = stored[random.nextInt(stored.length)];
      while (template.progress().isPresent()) {  // a running job's progress has times of its own
        template = stored[random.nextInt(stored.length)];
      }
      last = last.plusMillis(1);
      return template.toBuilder().id("new-" + made++).createdAt(last).updatedAt(last)
          .finishedAt(template.finishedAt().map(finished -> last))
          .failure(template.failure().map(failure -> Failure.of(failure.job(), failure.reason(), last))).build();
    }
  }

  /** The backups {@code addAndRetireOldest} may remove, oldest created first; null until its first call. */
  @State(Scope.Thread)
  public static class Oldest {
    private java.util.ArrayDeque<Backup> first;

    @Setup(Level.Trial)
    public void reset() {
      first = null;
    }
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

  /**
   * Adds a backup with the creation time of a random stored one and a new id, made before the
   * iteration: the catalog grows by each.
   */
  @Benchmark
  public Backup addLate(Imports imports) {
    Backup backup = imports.next();
    catalog.add(backup);
    return backup;
  }

  /**
   * Adds a late backup as {@link #addLate} does and removes the one {@link Retirement#retire} names:
   * the catalog stays at its size. One call is a pair of changes.
   */
  @Benchmark
  public Backup importAndRetire(Imports imports, Retirement retirement) {
    if (retirement.addedOrder == null) {
      retirement.prepare(this);
    }
    return addThenRemoveFirst(imports.next(), retirement.addedOrder);
  }

  /**
   * Adds a new backup, newer than every stored one ({@link Arrivals}), and removes the oldest
   * created: the backups of the day beside a retention job that deletes the oldest, the catalog at
   * its size and in creation order throughout. One call is a pair of changes.
   */
  @Benchmark
  public Backup addAndRetireOldest(Arrivals arrivals, Oldest oldest) {
    if (oldest.first == null) {
      oldest.first = new java.util.ArrayDeque<>(java.util.Arrays.asList(byCreation));
    }
    return addThenRemoveFirst(arrivals.next(), oldest.first);
  }

  /** Adds {@code backup}, queues it last in {@code order} and removes the first queued: one pair. */
  private Backup addThenRemoveFirst(Backup backup, java.util.ArrayDeque<Backup> order) {
    catalog.add(backup);
    order.addLast(backup);
    Backup gone = order.pollFirst();
    catalog.remove(gone.projectId(), gone.id(), gone.version());
    return gone;
  }
}
