package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.lifecycle.StallRule;
import io.csbs.query.Predicates;
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

/**
 * After a reorganisation (or a bulk load) a tail past the slack makes another due only once the
 * pause is over ({@link ProjectShard#WRITERS_PAUSE}): late backups pour into the tail meanwhile, the
 * first change (or read) after the pause reorganises, and every answer stays the plain scan's, with
 * a tail many times the slack as with none. Time is a ticker the test moves: inside a reorganisation
 * or a bulk load each reading moves it on, so that they seem to take a while, and outside it stands
 * still until the test moves it. Replay with {@code -Dcsbs.seed=N}.
 */
class ReorganisationPauseTest {
  private static final int SLACK = 64;
  /** What each reading of the ticker inside a reorganisation or a load moves it on by. */
  private static final long STEP = 1_000;
  /** Far past any pause the test's reorganisations and loads start. */
  private static final long PAST_ANY_PAUSE = 1_000_000 * STEP;

  @RepeatedTest(5)
  void lateBackupsWaitOutThePauseAndAnswerLikeAScan() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      BackupGenerator generator = BackupGenerator.builder().seed(seed).projects(1).servers(20).build();
      FakeClock clock = FakeClock.at(generator.end());
      PaceTicker ticker = new PaceTicker(STEP);
      IndexedCatalog indexed = new IndexedCatalog(clock, StallRule.DEFAULT, SLACK, ticker.inline(),
          ProjectShard.WRITERS_PAUSE, ticker);
      ReferenceCatalog reference = ReferenceCatalog.create(clock, StallRule.DEFAULT);
      String project = BackupGenerator.projectId(0);
      List<Backup> initial = generator.backups(2000);
      ticker.busyDuring(() -> indexed.addAll(initial));  // a bulk load that seems to take a while
      reference.addAll(initial);
      Instant newest = initial.stream().map(Backup::createdAt).max(Comparator.naturalOrder()).get();
      List<Backup> older = initial.stream().filter(backup -> backup.createdAt().isBefore(newest)).toList();
      int[] lateAdded = {0};
      Runnable addLate = () -> {
        Backup late = older.get(random.nextInt(older.size())).toBuilder().id("late-" + lateAdded[0]++).version(1).build();
        indexed.add(late);
        reference.add(late);
      };

      // the pause after the load: many times the slack go to the tail, no reorganisation
      int pastSlack = SLACK * (5 + random.nextInt(10));
      for (int i = 0; i < pastSlack; i++) {
        addLate.run();
      }
      assertEquals(0, indexed.stats(project).reorganisations(), "the changes reorganised during the load's pause");
      assertEquals(initial.size() + pastSlack, indexed.positions(project), "the late backups are not all in the tail");
      BesideScan.compare(reference, indexed, project, random, "tail of " + pastSlack + " in the pause");

      // the pause is over: the next late add reorganises
      ticker.now.addAndGet(PAST_ANY_PAUSE);
      addLate.run();
      assertEquals(1, indexed.stats(project).reorganisations(), "no reorganisation once the load's pause was over");
      assertEquals(initial.size() + lateAdded[0], indexed.positions(project), "the reorganisation left a tail");
      BesideScan.compare(reference, indexed, project, random, "after the first reorganisation");

      // the pause after that reorganisation: the tail grows past the slack again, nothing due
      for (int i = 0; i < pastSlack; i++) {
        addLate.run();
      }
      assertEquals(1, indexed.stats(project).reorganisations(), "the changes reorganised during the pause");
      BesideScan.compare(reference, indexed, project, random, "tail of " + pastSlack + " in the reorganisation's pause");

      // the changes stop; once the pause is over, the next read reorganises (one read pays far less
      // than the reads' budget, so it is the pause that ended, not the budget)
      int live = initial.size() + lateAdded[0];
      assertTrue(live - initial.size() < (long) ProjectShard.TAIL_READS_PER_ROW * live, "one read would pay the budget");
      ticker.now.addAndGet(PAST_ANY_PAUSE);
      indexed.count(project, Predicates.all());
      assertEquals(2, indexed.stats(project).reorganisations(), "no reorganisation at the read after the pause");
      assertEquals(live, indexed.positions(project), "the reorganisation left a tail");
      BesideScan.compare(reference, indexed, project, random, "after the read's reorganisation");
    });
  }

  /**
   * Changes that stop during the pause (the end of an import) leave a tail past the slack, which
   * neither a change nor a read is left to reorganise: the shard looks again when the pause ends, on
   * its own. Real time and the catalog's background reorganiser; the project is not read meanwhile
   * (the test's reads of its tail and stats do not pay for the tail).
   */
  @org.junit.jupiter.api.Test
  void aTailLeftWhenTheChangesStopDuringThePauseIsReorganisedWhenItEnds() throws InterruptedException {
    BackupGenerator generator = BackupGenerator.builder().seed(7).projects(1).servers(20).build();
    IndexedCatalog indexed = onRealTime(generator);
    String project = BackupGenerator.projectId(0);
    List<Backup> initial = generator.backups(50_000);
    indexed.addAll(initial);  // the bulk load starts a pause three times as long as it took
    List<Backup> older = olderThanNewest(initial);
    int late = 4 * Math.max(SLACK, initial.size() / 256);
    for (int i = 0; i < late; i++) {
      indexed.add(older.get(i * 7 % older.size()).toBuilder().id("late-" + i).version(1).build());
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(indexed.reorganisations(project) == 0
        && indexed.tailRows(project) == late, "the late adds outlasted the load's pause on this machine");
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (indexed.tailRows(project) > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(0, indexed.tailRows(project), "the tail outlived the pause with nothing to reorganise it");
    assertEquals(1, indexed.stats(project).reorganisations());
    assertEquals(initial.size() + late, indexed.positions(project));
  }

  /**
   * Late adds that go on while a reorganisation runs and stop before it ends: it catches them up into
   * the new state's tail, past the slack, and its own swap starts the pause, during which no change
   * is left to arrange a wake-up. The reorganisation looks again when it ends and arranges it: the
   * tail is gone once the pause is over. Here the late adds start once the load's pause is over, so
   * that no wake-up is arranged before the reorganisation.
   */
  @org.junit.jupiter.api.Test
  void aTailCaughtUpByAReorganisationIsReorganisedWhenItsPauseEnds() throws InterruptedException {
    lateAddsDuringAReorganisationLeaveNoTail(true);
  }

  /**
   * As above, but the late adds start during the load's pause and arrange a wake-up at its end, which
   * waits on the reorganiser behind the reorganisation they then start: that wake-up finds a new
   * pause and arranges one at its end.
   */
  @org.junit.jupiter.api.Test
  void aWakeUpThatFindsANewPauseWaitsForItsEnd() throws InterruptedException {
    lateAddsDuringAReorganisationLeaveNoTail(false);
  }

  /**
   * A catalog on real time, with a background reorganiser of its own (the shared one may still be
   * busy with an earlier test's catalog, which would hold this one's reorganisation back while the
   * test's late adds, meant to come during it, all come before it), the catalog's pause and wake-ups.
   */
  private static IndexedCatalog onRealTime(BackupGenerator generator) {
    return new IndexedCatalog(FakeClock.at(generator.end()), StallRule.DEFAULT, SLACK, Reorganiser.newBackground("csbs-reorganiser-of-a-test"),
        ProjectShard.WRITERS_PAUSE, System::nanoTime, true);
  }

  /** The backups older than the newest of {@code backups}: once they are loaded, copies of these are late. */
  private static List<Backup> olderThanNewest(List<Backup> backups) {
    Instant newest = backups.stream().map(Backup::createdAt).max(Comparator.naturalOrder()).get();
    return backups.stream().filter(backup -> backup.createdAt().isBefore(newest)).toList();
  }

  private void lateAddsDuringAReorganisationLeaveNoTail(boolean afterTheLoadsPause) throws InterruptedException {
    BackupGenerator generator = BackupGenerator.builder().seed(11).projects(1).servers(50).build();
    IndexedCatalog indexed = onRealTime(generator);
    String project = BackupGenerator.projectId(0);
    List<Backup> initial = generator.backups(40_000);
    long loading = System.nanoTime();
    indexed.addAll(initial);
    if (afterTheLoadsPause) {  // the pause lasts WRITERS_PAUSE times the load
      Thread.sleep(Duration.ofNanos((ProjectShard.WRITERS_PAUSE + 1) * (System.nanoTime() - loading)).toMillis() + 50);
    }
    List<Backup> older = olderThanNewest(initial);
    // late adds until one starts a reorganisation; then more while it runs. Past the slack they come
    // a hundred a second: at full speed they would outrun a reorganisation, which they then make
    // none due (LateImportPaceTest)
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    int added = 0;
    while (indexed.reorganisations(project) == 0 && !indexed.reorganising(project) && System.nanoTime() < deadline) {
      indexed.add(older.get(added * 7 % older.size()).toBuilder().id("late-" + added).version(1).build());
      added++;
      if (indexed.tailRows(project) > Math.max(SLACK, indexed.positions(project) / 256)) {
        Thread.sleep(10);
      }
    }
    while (indexed.reorganising(project) && !indexed.recordingChanges(project)) {
      Thread.onSpinWait();  // claimed, not begun: adds now would be laid out with the rest
    }
    int duringReorganisation = 4 * Math.max(SLACK, indexed.positions(project) / 256);  // 4 slacks at the swap
    for (int i = 0; i < duringReorganisation; i++) {
      indexed.add(older.get(added * 7 % older.size()).toBuilder().id("late-" + added).version(1).build());
      added++;
    }
    // the last add returned before the swap: no change came after the reorganisation to look again
    org.junit.jupiter.api.Assumptions.assumeTrue(indexed.reorganising(project),
        "the reorganisation ended before the late adds on this machine");
    while (indexed.reorganising(project)) {
      Thread.sleep(1);
    }
    int tailAfterSwap = indexed.tailRows(project);  // hooks that do not look for a reorganisation
    assertEquals(1, indexed.reorganisations(project));
    org.junit.jupiter.api.Assumptions.assumeTrue(tailAfterSwap > Math.max(SLACK, indexed.positions(project) / 256),
        "the adds during the reorganisation left a tail within the slack: " + tailAfterSwap + " of " + duringReorganisation);
    while (indexed.tailRows(project) > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(0, indexed.tailRows(project),
        "the tail a reorganisation caught up outlived its pause: " + tailAfterSwap + " rows at the swap");
    assertEquals(2, indexed.reorganisations(project));
    assertEquals(initial.size() + added, indexed.positions(project));
  }

  /**
   * Late and new backups and removals in a random mix while the ticker jumps at random,
   * so that reorganisations start at changes, at reads, or not at all for a while: every answer is
   * the plain scan's, and a tail past the slack after the pause never outlives the next change.
   */
  @RepeatedTest(6)
  void randomChangesAndPausesAnswerLikeAScan() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      BackupGenerator generator = BackupGenerator.builder().seed(seed).projects(1).servers(10).build();
      FakeClock clock = FakeClock.at(generator.end());
      PaceTicker ticker = new PaceTicker(STEP);
      int slack = 8 + random.nextInt(64);
      IndexedCatalog indexed = new IndexedCatalog(clock, StallRule.DEFAULT, slack, ticker.inline(),
          1 + random.nextInt(ProjectShard.WRITERS_PAUSE + 2), ticker);
      BesideScan both = new BesideScan(indexed, generator, clock, generator.backups(300 + random.nextInt(700)));
      if (random.nextBoolean()) {
        ticker.busyDuring(() -> indexed.addAll(both.live));
      } else {
        both.live.forEach(indexed::add);
      }
      int steps = 3000;
      for (int step = 0; step < steps; step++) {
        int action = random.nextInt(100);
        if (action < 55 && !both.live.isEmpty()) {  // late: the creation time of a live backup, a new id
          both.addLate(random, "late-" + step);
        } else if (action < 70) {
          both.addNew(random);
        } else if (action < 85 && !both.live.isEmpty()) {
          both.removeAny(random);
        } else if (action < 95) {
          // time passes: a little (the pause may still hold) or a lot (it is over)
          ticker.now.addAndGet(random.nextInt(4) == 0 ? PAST_ANY_PAUSE : random.nextInt(5) * STEP);
        } else {
          both.compare(random, "step " + step);
        }
        if (step % 250 == 0) {
          both.compare(random, "step " + step);
        }
      }
      // however long the tail grew in the pauses, once the last is over a change reorganises it
      ticker.now.addAndGet(PAST_ANY_PAUSE);
      String project = both.project;
      long before = indexed.stats(project).reorganisations();
      both.addLate(random, "late-last");
      int tail = indexed.tailRows(project);
      assertTrue(indexed.stats(project).reorganisations() > before || tail <= Math.max(slack, indexed.positions(project) / 256),
          "a tail of " + tail + " past the slack after the pause, and no reorganisation");
      both.compare(random, "end");
    });
  }
}
