package io.csbs.benchmarks;

import io.csbs.backup.Backup;
import io.csbs.catalog.VersionConflictException;
import io.csbs.query.Query;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Query latency percentiles while another thread changes the same catalog, against the same queries
 * with no writer: does a console search slow down, or stall, while jobs report their progress, while
 * old backups are imported, while a retention job deletes?
 *
 * <p>Four JMH groups, in {@link Mode#SampleTime} (JMH samples each call's time and prints p0.50 to
 * p1.0, in µs):
 *
 * <ul>
 *   <li>{@code alone}: one reader thread, {@code queryAlone}, on a catalog no one changes;
 *   <li>{@code withWriter}: one reader thread, {@code queryWithWriter}, the same query, and one writer
 *       thread, {@code transition}, on the same catalog (lifecycle transitions);
 *   <li>{@code withImporter}: the reader ({@code queryWithImporter}) beside {@code importOrRemove},
 *       which adds backups out of creation order and removes them again a round later;
 *   <li>{@code withDeleter}: the reader ({@code queryWithDeleter}) beside {@code deleteOrRestore}, a
 *       retention job removing the oldest backups, then adding them back (out of order).
 * </ul>
 *
 * <p>The importer and the deleter change the catalog a tenth of its size a round, flat out; both
 * keep its size within 10% of {@code backups}, so that a trial measures the same catalog from start
 * to end. Their removals and late adds make the csbs catalog reorganise in the background: the
 * readers' high percentiles show what those cost them.
 *
 * <p>The query latency is on the lines {@code alone} and {@code alone:p0.50} ... {@code alone:p1.00}
 * (the group has only the reader, so JMH prints no {@code alone:queryAlone}), and {@code
 * withWriter:queryWithWriter} and {@code withWriter:queryWithWriter:p0.50} ... (likewise {@code
 * withImporter:queryWithImporter} and {@code withDeleter:queryWithDeleter}). The plain {@code
 * withWriter} and {@code withWriter:p0.50} ... lines are JMH's aggregate of both threads' samples,
 * reader and writer mixed: ignore them. {@code withWriter:transition} is the writer's time per change
 * while the reader runs (its throughput beside a reader is 1 over its mean).
 *
 * <p>The writer goes round every backup in turn and applies the next step of {@link
 * LifecycleBenchmark#nextTransition}'s cycle (restore, progress x4, complete; delete, progress x4,
 * fail; Creating completes), which never removes a backup, through {@link BacklistEngine#apply}: for
 * csbs {@code catalog.apply(project, id, version, transition)}; for CQEngine a lookup by id, a version
 * check and {@code update(remove old, add new)} (see {@link CqEngine}). It keeps its own view of each
 * backup's current version; on a {@link VersionConflictException}, which cannot happen with one
 * writer, it reads the backup again and retries. The writer runs flat out, so it is the heaviest
 * write load a catalog sees, not a typical one; its changes accumulate over the trial, so scenarios
 * with a status ({@code RARE_STATUS}, {@code STATUS_30_DAYS_ONE_TAG}) match a moving set (Creating
 * backups complete and do not come back; Available ones go through Restoring). Every change happens
 * at the engine's fixed "now" (the generator's end), which the lifecycle accepts. Garbage collection
 * caused by the writer's new versions is part of what the reader's high percentiles show.
 *
 * <p>This class is a {@code Scope.Group} state: each group gets its own engine, loaded once per
 * trial (fork), and the writer's cursor lives beside it. One writer per group by design: {@code -tg}
 * with more writers is not supported (they would share the cursor unsynchronized).
 *
 * <p>Engines: csbs and CQEngine with index ordering (its better mode in the query benchmarks). The
 * plain scan has no write path ({@link ScanEngine#apply} throws), and CQEngine's default mode
 * shares index ordering's write path but is the slower reader, so both are left out. csbs queries see each change whole or
 * not at all; CQEngine's {@code ConcurrentIndexedCollection} does not isolate a query from a
 * concurrent update (it may miss the backup, or see both versions); the measurement does not check
 * answers under way.
 *
 * <p>Scenarios, each on another of csbs's indexes: the default list (rows in creation order), a rare
 * status (status bitmaps, which starting and ending a job move), two tags (tag postings), a name substring
 * (trigram index) and status with a 30-day window and a tag (a combination). Each call is the first
 * page of 20, newest first, with its total, as in {@link QueryBenchmark}. CQEngine's name substring
 * walks its whole creation-time index (about a second at 1M backups), so there its percentiles rest on
 * a handful of samples.
 *
 * <p>Correctness: the trial's setup checks that the engine's page and total equal the plain scan's
 * before any write; its teardown, after the writer stopped, checks them again against a scan of the
 * writer's view of every backup (a lost or misindexed change fails the benchmark with an {@link
 * IllegalStateException}).
 *
 * <p>Both threads need a core each: on a 2-core machine anything else running shows in the results.
 * The fork pre-touches its 8 GB heap, as {@link QueryBenchmark}'s does. A full run at 1M (2 engines,
 * 5 scenarios, 4 groups: 40 forks of 8 s measured, each loading the backups) takes about 20 to 30
 * minutes; pick groups with a regular expression, as in the second command.
 *
 * <p>Run: {@code java -jar csbs-benchmarks/target/benchmarks.jar ReadsDuringWritesBenchmark -p backups=1000000},
 * or {@code java -jar csbs-benchmarks/target/benchmarks.jar 'ReadsDuringWritesBenchmark.(alone|withImporter|withDeleter)' -p engine=CSBS}
 */
@State(Scope.Group)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms8g", "-Xmx8g", "-XX:+AlwaysPreTouch"})
public class ReadsDuringWritesBenchmark {
  /** How many backups the project has. */
  @Param({"100000", "1000000"})
  int backups;

  /** Which implementation answers and changes; only engines with a write path. */
  @Param({"CSBS", "CQENGINE_INDEX_ORDERING"})
  Engine engine;

  /** Which console search the reader repeats. */
  @Param({"DEFAULT_LIST", "RARE_STATUS", "TAGS_2", "NAME_SUBSTRING", "STATUS_30_DAYS_ONE_TAG"})
  Scenario scenario;

  private Workload workload;
  private BacklistEngine backlist;
  private Query query;
  /** The writer's view: the version of each backup it last stored. */
  private Backup[] current;
  private int cursor;
  private long transitions;
  /** The importer's backups, a slot each: the one it added last, or null once it removed it. */
  private Backup[] imports;
  private int importCursor;
  private long imported;
  private SplittableRandom importRandom;
  /** The stored backups, oldest first: the order a retention job deletes them in. */
  private Backup[] oldestFirst;
  /** How many of {@link #oldestFirst} the deleter has removed (or, once all are back, 0). */
  private int deleted;
  /** How many of the removed ones it has added back, while {@link #deleted} is the retention's batch. */
  private int restored;
  private long deletions;

  @Setup(Level.Trial)
  public void setUp() {
    workload = Workload.of(backups);
    query = scenario.query(workload);
    backlist = Checks.loadedAndChecked(workload, engine, scenario.name(), query);
    current = workload.backups.toArray(new Backup[0]);
    cursor = 0;
    transitions = 0;
    imports = new Backup[Math.max(1, backups / 10)];
    importCursor = 0;
    imported = 0;
    importRandom = new SplittableRandom(42);
    oldestFirst = current.clone();
    Arrays.sort(oldestFirst, Workload.CREATION_ORDER);
    deleted = 0;
    restored = 0;
    deletions = 0;
  }

  /** Fails unless the engine, now that the writer stopped, answers as a scan of the writer's view. */
  @TearDown(Level.Trial)
  public void checkAfterWrites() {
    if (transitions == 0 && imported == 0 && deletions == 0) {
      return;
    }
    ScanEngine scan = new ScanEngine(workload.now);
    scan.load(writersView());
    BacklistEngine.Hits expected = scan.page(workload.projectId, query);
    BacklistEngine.Hits actual = backlist.page(workload.projectId, query);
    if (!actual.ids().equals(expected.ids()) || actual.total() != expected.total()
        || !actual.backups().equals(expected.backups())) {
      throw new IllegalStateException(engine + " differs from the scan of the writer's view on " + scenario
          + " after " + writes() + " at " + backups + " backups: expected " + expected + ", got " + actual);
    }
    System.out.println("# after " + writes() + ", " + engine + " agrees with the scan on " + scenario + ": "
        + expected.total() + " match");
  }

  private String writes() {
    return transitions + " transitions, " + imported + " imports, " + deletions + " deletions";
  }

  /** The backups the catalog holds by the writer's account, whichever writer ran. */
  private List<Backup> writersView() {
    List<Backup> view = new ArrayList<>(Arrays.asList(current));
    for (Backup backup : imports) {
      if (backup != null) {
        view.add(backup);
      }
    }
    if (deleted > restored) {  // the retention's batch not added back yet
      Set<String> gone = new HashSet<>();
      for (int i = restored; i < deleted; i++) {
        gone.add(oldestFirst[i].id());
      }
      view.removeIf(backup -> gone.contains(backup.id()));
    }
    return view;
  }

  /** The query, no writer: the baseline. */
  @Benchmark
  @Group("alone")
  @GroupThreads(1)
  public BacklistEngine.Hits queryAlone() {
    return backlist.page(workload.projectId, query);
  }

  /** The same query while {@link #transition} changes the catalog. */
  @Benchmark
  @Group("withWriter")
  @GroupThreads(1)
  public BacklistEngine.Hits queryWithWriter() {
    return backlist.page(workload.projectId, query);
  }

  /** The writer: the next step of the next backup's lifecycle cycle, round robin. */
  @Benchmark
  @Group("withWriter")
  @GroupThreads(1)
  public Backup transition() {
    int i = cursor;
    cursor = i + 1 == current.length ? 0 : i + 1;
    Backup backup = current[i];
    while (true) {
      try {
        Backup stored = backlist.apply(
                backup.projectId(), backup.id(), backup.version(), LifecycleBenchmark.nextTransition(backup))
            .orElseThrow(() -> new IllegalStateException("the benchmark's cycle removed " + current[i]));
        current[i] = stored;
        transitions++;
        return stored;
      } catch (VersionConflictException e) {
        // someone else changed it (not with one writer): continue the cycle from the stored version
        backup = backlist.find(backup.projectId(), backup.id()).orElseThrow();
      }
    }
  }

  /** The same query while {@link #importOrRemove} imports old backups and removes them again. */
  @Benchmark
  @Group("withImporter")
  @GroupThreads(1)
  public BacklistEngine.Hits queryWithImporter() {
    return backlist.page(workload.projectId, query);
  }

  /**
   * The importer: adds a backup with a new id and the creation time of a random stored one (a backup
   * of another system imported id by id, which arrives out of creation order), into the next of
   * {@code backups / 10} slots; when the slot holds one it added a round before, it removes that one
   * instead. So the catalog grows by a tenth and shrinks back, round after round, all of it out of
   * order: late adds, and removals of late rows.
   */
  @Benchmark
  @Group("withImporter")
  @GroupThreads(1)
  public Backup importOrRemove() {
    int slot = importCursor;
    importCursor = slot + 1 == imports.length ? 0 : slot + 1;
    Backup present = imports[slot];
    if (present != null) {
      backlist.remove(present.projectId(), present.id(), present.version());
      imports[slot] = null;
      return present;
    }
    Backup template = current[importRandom.nextInt(current.length)];
    Backup late = template.toBuilder().id("import-" + imported++).build();
    backlist.add(late);
    imports[slot] = late;
    return late;
  }

  /** The same query while {@link #deleteOrRestore} deletes the oldest backups and adds them back. */
  @Benchmark
  @Group("withDeleter")
  @GroupThreads(1)
  public BacklistEngine.Hits queryWithDeleter() {
    return backlist.page(workload.projectId, query);
  }

  /**
   * The deleter: a retention job that removes the oldest backups one by one, a tenth of the catalog,
   * then adds them back one by one (older than every stored backup: out of order), so that the
   * catalog does not empty over a trial, and starts over.
   */
  @Benchmark
  @Group("withDeleter")
  @GroupThreads(1)
  public Backup deleteOrRestore() {
    int batch = Math.max(1, backups / 10);
    if (deleted < batch && restored == 0) {
      Backup oldest = oldestFirst[deleted++];
      backlist.remove(oldest.projectId(), oldest.id(), oldest.version());
      deletions++;
      return oldest;
    }
    Backup back = oldestFirst[restored++];
    backlist.add(back);
    if (restored == deleted) {
      deleted = 0;
      restored = 0;
    }
    return back;
  }
}
