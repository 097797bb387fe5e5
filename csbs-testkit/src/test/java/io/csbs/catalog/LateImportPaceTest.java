package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.lifecycle.StallRule;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.testing.Seeds;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * Late adds that come in faster than a reorganisation could lay the rows out make none due on their
 * own (it would end with a tail as long as the one it removed, and slow them down meanwhile): the
 * tail grows until they slow down or stop, then the next change, read or wake-up reorganises it.
 * Reads that have paid for the tail still reorganise it during the import.
 *
 * <p>The first tests move time themselves: a ticker that stands still but when the test moves it, or
 * while a bulk load or a reorganisation runs, when each reading moves it on by a second (so that a
 * row seems to take a layout {@code 1 s / rows}); reorganisations run inline. The last runs on real
 * time with the catalog's own wake-ups.
 */
class LateImportPaceTest {
  private static final int SLACK = 64;
  private static final long SECOND = 1_000_000_000L;

  private final BackupGenerator generator = BackupGenerator.builder().seed(5).projects(1).servers(20).build();
  private final FakeClock clock = FakeClock.at(generator.end());
  private final PaceTicker ticker = new PaceTicker(SECOND);
  private final IndexedCatalog indexed = new IndexedCatalog(clock, StallRule.DEFAULT, SLACK, ticker.inline(),
      ProjectShard.WRITERS_PAUSE, ticker);
  private final ReferenceCatalog reference = ReferenceCatalog.create(clock, StallRule.DEFAULT);
  private final String project = BackupGenerator.projectId(0);
  private List<Backup> older;
  private int lateAdded;

  /** Loads 2,000 backups, as if in a few seconds (a layout of a millisecond or more a row), and lets the pause pass. */
  private void loadAndWaitOutThePause() {
    List<Backup> initial = generator.backups(2000);
    ticker.busyDuring(() -> indexed.addAll(initial));
    reference.addAll(initial);
    Instant newest = initial.stream().map(Backup::createdAt).max(Comparator.naturalOrder()).get();
    older = initial.stream().filter(backup -> backup.createdAt().isBefore(newest)).toList();
    ticker.now.addAndGet(1000 * SECOND);
  }

  /** Adds {@code count} late backups, moving time on by {@code apart} nanoseconds before each. */
  private void addLate(int count, long apart) {
    for (int i = 0; i < count; i++) {
      ticker.now.addAndGet(apart);
      Backup late = older.get(lateAdded * 7 % older.size()).toBuilder().id("late-" + lateAdded++).version(1).build();
      indexed.add(late);
      reference.add(late);
    }
  }

  @Test
  void lateAddsFasterThanAReorganisationLeaveTheTailUntilTheySlowDown() {
    loadAndWaitOutThePause();
    // a thousand a second, for three seconds: at a millisecond or more a row laid out, a
    // reorganisation of the 2,000-odd rows would take seconds, and end with thousands caught up
    int fast = 3000;
    addLate(fast, SECOND / 1000);
    assertEquals(0, indexed.stats(project).reorganisations(), "the late adds outran it, yet one was due");
    assertEquals(fast, indexed.tailRows(project));
    compare("a tail of " + fast + " during the import");

    // the import stops: once its rate has fallen, the next read reorganises
    ticker.now.addAndGet(10_000 * SECOND);
    indexed.count(project, Predicates.all());
    assertEquals(1, indexed.stats(project).reorganisations(), "no reorganisation once the import stopped");
    assertEquals(0, indexed.tailRows(project));
    compare("after the import");
  }

  @Test
  void aChangeReorganisesOnceTheLateAddsSlowDown() {
    loadAndWaitOutThePause();
    addLate(3000, SECOND / 1000);
    assertEquals(0, indexed.stats(project).reorganisations());
    // one late add a minute: the rate falls until a change finds the tail due
    for (int i = 0; i < 100 && indexed.stats(project).reorganisations() == 0; i++) {
      addLate(1, 60 * SECOND);
    }
    assertEquals(1, indexed.stats(project).reorganisations(), "slow late adds left the tail of the fast ones");
    assertTrue(indexed.tailRows(project) <= SLACK, "tail " + indexed.tailRows(project));
    compare("after the slow adds");
  }

  @Test
  void lateAddsSlowerThanAReorganisationReorganiseAsBefore() {
    loadAndWaitOutThePause();
    // one a minute: past the slack (64 of 2,064 rows), the change that finds it reorganises
    addLate(SLACK + 1, 60 * SECOND);
    assertEquals(1, indexed.stats(project).reorganisations(), "slow late adds past the slack made none due");
    assertEquals(0, indexed.tailRows(project));
    compare("after the slow import");
  }

  @Test
  void readsThatPaidForTheTailReorganiseItDuringTheImport() {
    loadAndWaitOutThePause();
    addLate(3000, SECOND / 1000);
    assertEquals(0, indexed.stats(project).reorganisations());
    // each read pays the tail's length; 64 a live row in all makes one due (ProjectShard.TAIL_READS_PER_ROW)
    long budget = (long) ProjectShard.TAIL_READS_PER_ROW * indexed.positions(project);
    long reads = budget / indexed.tailRows(project) + 1;
    for (long i = 0; i < reads; i++) {
      indexed.query(project, Query.builder().limit(20).build());
    }
    assertEquals(1, indexed.stats(project).reorganisations(), "the reads paid for the tail, yet none was due");
    compare("after the reads' reorganisation");
  }

  /**
   * Late adds at random paces (bursts a microsecond apart, a trickle a minute apart), new backups,
   * removals and reads, so that the late adds outrun a reorganisation at some times and not at
   * others: every answer is the plain scan's, and once they stop and time passes, the next read
   * lays the tail out. Replay with {@code -Dcsbs.seed=N}.
   */
  @RepeatedTest(4)
  void randomPacesAnswerLikeAScan() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      BackupGenerator generator = BackupGenerator.builder().seed(seed).projects(1).servers(10).build();
      FakeClock clock = FakeClock.at(generator.end());
      PaceTicker ticker = new PaceTicker(SECOND);
      IndexedCatalog catalog = new IndexedCatalog(clock, StallRule.DEFAULT, SLACK, ticker.inline(),
          ProjectShard.WRITERS_PAUSE, ticker);
      BesideScan both = new BesideScan(catalog, generator, clock, generator.backups(500 + random.nextInt(1500)));
      ticker.busyDuring(() -> catalog.addAll(both.live));
      long[] apart = {1_000, SECOND / 1000, SECOND / 10, 60 * SECOND};
      long pace = apart[random.nextInt(apart.length)];
      for (int step = 0; step < 4000; step++) {
        int action = random.nextInt(100);
        if (action < 3) {
          pace = apart[random.nextInt(apart.length)];  // the import speeds up or slows down
        } else if (action < 63 && !both.live.isEmpty()) {
          ticker.now.addAndGet(pace);
          both.addLate(random, "late-" + step);
        } else if (action < 75) {
          both.addNew(random);
        } else if (action < 85 && !both.live.isEmpty()) {
          both.removeAny(random);
        } else {
          both.compare(random, "step " + step + ", seed " + seed);
        }
      }
      ticker.now.addAndGet(10_000 * SECOND);  // the import stopped long ago
      catalog.count(project, Predicates.all());
      int tail = catalog.tailRows(project);
      assertTrue(tail <= Math.max(SLACK, catalog.positions(project) / 256),
          "a tail of " + tail + " past the slack long after the last late add, and a read found none due");
      both.compare(random, "end, seed " + seed);
    });
  }

  /**
   * On real time: an import as fast as one thread goes, past the load's pause, then nothing: no
   * change or read is left to look at the tail, yet it is laid out on its own. Whether the adds
   * outran a reorganisation (none ran, a wake-up a second after they stopped starts one) or not
   * (one ran beside them and caught up a tail, which its own pause's wake-up lays out) depends on
   * the machine's speed of adds against layouts; the tail goes either way.
   */
  @Test
  void aTailLeftByAFastImportIsReorganisedOnItsOwnOnceItStops() throws InterruptedException {
    BackupGenerator big = BackupGenerator.builder().seed(9).projects(1).servers(50).build();
    IndexedCatalog catalog = new IndexedCatalog(FakeClock.at(big.end()), StallRule.DEFAULT, SLACK,
        Reorganiser.newBackground("csbs-reorganiser-of-a-test"), ProjectShard.WRITERS_PAUSE, System::nanoTime, true);
    List<Backup> initial = big.backups(50_000);
    long loading = System.nanoTime();
    catalog.addAll(initial);
    long loaded = System.nanoTime() - loading;
    Instant newest = initial.stream().map(Backup::createdAt).max(Comparator.naturalOrder()).get();
    List<Backup> old = initial.stream().filter(backup -> backup.createdAt().isBefore(newest)).toList();
    // past the pause (three times the load) and two seconds more, as fast as it goes
    long until = System.nanoTime() + (ProjectShard.WRITERS_PAUSE + 1) * loaded + 2 * ProjectShard.LATE_RATE_RECHECK_NANOS;
    int added = 0;
    while (System.nanoTime() < until) {
      for (int i = 0; i < 64; i++, added++) {
        catalog.add(old.get(added * 7 % old.size()).toBuilder().id("late-" + added).version(1).build());
      }
    }
    int tailAtTheEnd = catalog.tailRows(project);
    long reorganisedDuring = catalog.reorganisations(project) + (catalog.reorganising(project) ? 1 : 0);
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (catalog.tailRows(project) > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(0, catalog.tailRows(project), "the import's tail outlived it with nothing to reorganise it: "
        + tailAtTheEnd + " rows when it stopped, " + reorganisedDuring + " reorganisations begun during it");
    assertTrue(catalog.reorganisations(project) >= 1);
    assertEquals(initial.size() + added, catalog.positions(project));
  }

  /** Searches of several shapes and counts against the scan. */
  private void compare(String at) {
    BesideScan.compare(reference, indexed, project, new SplittableRandom(at.hashCode()), at);
  }
}
