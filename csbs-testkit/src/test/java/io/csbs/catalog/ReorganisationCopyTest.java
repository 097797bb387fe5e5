package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.testing.Seeds;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.RepeatedTest;

/**
 * Rows put at a position a reorganisation's copy has not reached yet, between two of its slices: a
 * row already copied that moves there (the first tail row, moved out of the way of a newer backup
 * into a freed tail position; a removed backup added again, late), a new backup, a backup changed in
 * place. Each must end up in the new rows once, as it is now: the copy skips the positions rows were
 * put at, and the catch-up installs every changed id. The reorganisation runs in the test's thread
 * (an inline executor) and the changes run between its slices ({@link
 * IndexedCatalog#betweenCopySlices}); afterwards every answer is the plain scan's. Replay with {@code
 * -Dcsbs.seed=N}.
 */
class ReorganisationCopyTest {
  private static final int SLACK = 64;
  private static final int SORTED = 10_000;
  /** Late backups, in the tail from position {@link #SORTED} on: past the copy's first slice. */
  private static final int LATE = 2 * ProjectShard.COPY_SLICE + 3_000;

  @RepeatedTest(5)
  void rowsPutWhereTheCopyHasNotBeenAreCopiedOnce() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      BackupGenerator generator = BackupGenerator.builder().seed(seed).projects(1).servers(30).build();
      FakeClock clock = FakeClock.at(generator.end().plus(Duration.ofDays(1)));
      // time stands still but while the load runs, so that the pause after it lasts until the test ends it
      AtomicLong ticker = new AtomicLong();
      AtomicBoolean loading = new AtomicBoolean(true);
      IndexedCatalog indexed = new IndexedCatalog(clock, StallRule.DEFAULT, SLACK, Runnable::run,
          ProjectShard.WRITERS_PAUSE, () -> loading.get() ? ticker.addAndGet(1_000) : ticker.get());
      ReferenceCatalog reference = ReferenceCatalog.create(clock, StallRule.DEFAULT);
      String project = BackupGenerator.projectId(0);
      List<Backup> initial = new ArrayList<>(generator.backups(SORTED));
      indexed.addAll(initial);  // in order: positions 0 to SORTED - 1; a pause begins
      loading.set(false);
      reference.addAll(initial);
      Instant newest = initial.stream().map(Backup::createdAt).max(Comparator.naturalOrder()).get();
      List<Backup> older = initial.stream().filter(backup -> backup.createdAt().isBefore(newest)).toList();
      List<Backup> available = initial.stream().filter(backup -> backup.status() == BackupStatus.AVAILABLE).toList();
      // late backup k at position SORTED + k until it is removed or moved
      List<Backup> late = new ArrayList<>();
      for (int k = 0; k < LATE; k++) {
        Backup backup = older.get(random.nextInt(older.size())).toBuilder().id("late-" + k).version(1).build();
        late.add(backup);
        indexed.add(backup);  // one by one, in this order (a batch would be sorted first)
      }
      reference.addAll(late);
      assertEquals(0, indexed.stats(project).reorganisations(), "reorganised during the load's pause");
      assertEquals(SORTED + LATE, indexed.positions(project));

      Set<Integer> notAtTheirPosition = new HashSet<>();  // late backups removed or moved
      int[] sortedCount = {SORTED};
      int[] newer = {0};
      int[] slices = {0};
      indexed.betweenCopySlices(project, notCopied -> {
        slices[0]++;
        for (int step = 0; step < 8; step++) {
          // a tail position past the copy is freed; the next change takes it
          int k = unmovedLateAt(notCopied, random, notAtTheirPosition);
          if (k < 0) {
            return;
          }
          remove(indexed, reference, project, late.get(k));
          notAtTheirPosition.add(k);
          switch (random.nextInt(3)) {
            case 0 -> {
              // a backup newer than every sorted one: the first tail row, copied already, moves
              // to the freed position, and the new backup takes its place
              int first = sortedCount[0] - SORTED;
              if (first < LATE) {
                notAtTheirPosition.add(first);
              }
              sortedCount[0]++;
              Instant at = newest.plus(Duration.ofMinutes(++newer[0]));
              Backup next = available.get(random.nextInt(available.size())).toBuilder().id("newer-" + newer[0])
                  .createdAt(at).updatedAt(at).finishedAt(at).version(1).build();
              add(indexed, reference, next);
            }
            case 1 -> {
              // a sorted backup, copied already, removed and added again late: at the freed position
              Backup again = reference.find(project, initial.get(random.nextInt(initial.size())).id()).orElse(null);
              if (again != null && again.createdAt().isBefore(newest)) {
                remove(indexed, reference, project, again);
                add(indexed, reference, again.toBuilder().version(again.version() + 1).build());
              }
            }
            default -> {
              // a new late backup at the freed position, and a backup past the copy changed in place
              add(indexed, reference, older.get(random.nextInt(older.size())).toBuilder()
                  .id("late-new-" + slices[0] + "-" + step).version(1).build());
              int other = unmovedLateAt(notCopied, random, notAtTheirPosition);
              Backup current = other < 0 ? null : reference.find(project, late.get(other).id()).orElse(null);
              if (current != null && current.status() == BackupStatus.AVAILABLE) {
                apply(indexed, reference, project, current, Transition.delete());
              }
            }
          }
        }
      });

      ticker.addAndGet(Duration.ofDays(365).toNanos());  // the pause is over: the next late add reorganises
      add(indexed, reference, older.get(0).toBuilder().id("late-last").version(1).build());
      assertEquals(1, indexed.stats(project).reorganisations(), "no reorganisation once the pause was over");
      assertTrue(slices[0] >= 2, "the copy took " + slices[0] + " slices");
      assertEquals(reference.count(project, Predicates.all()), indexed.count(project, Predicates.all()), "count");
      assertEquals(indexed.count(project, Predicates.all()), indexed.positions(project), "rows left out of order");
      for (int k : notAtTheirPosition) {
        assertEquals(reference.find(project, late.get(k).id()), indexed.find(project, late.get(k).id()), late.get(k).id());
      }
      List<Query> queries = List.of(
          Query.builder().limit(50).build(),
          Query.builder().limit(30).offset(random.nextInt(SORTED)).build(),
          Query.builder().where(Predicates.status(BackupStatus.DELETING)).limit(40).build(),
          Query.builder().where(Predicates.createdWithinLast(Duration.ofDays(1 + random.nextInt(30)))).limit(20).build());
      for (Query query : queries) {
        assertEquals(reference.query(project, query), indexed.query(project, query), query.toString());
      }
      for (BackupStatus status : BackupStatus.values()) {
        assertEquals(reference.count(project, Predicates.status(status)), indexed.count(project, Predicates.status(status)),
            status.toString());
      }
    });
  }

  /** A late backup still at its first position, at or past {@code from}, at random; or -1. */
  private static int unmovedLateAt(int from, SplittableRandom random, Set<Integer> notAtTheirPosition) {
    int first = Math.max(0, from - SORTED);
    for (int tries = 0; tries < 100 && first < LATE; tries++) {
      int k = first + random.nextInt(LATE - first);
      if (!notAtTheirPosition.contains(k)) {
        return k;
      }
    }
    return -1;
  }

  private static void add(IndexedCatalog indexed, ReferenceCatalog reference, Backup backup) {
    indexed.add(backup);
    reference.add(backup);
  }

  private static void remove(IndexedCatalog indexed, ReferenceCatalog reference, String project, Backup backup) {
    Backup current = reference.get(project, backup.id());
    indexed.remove(project, current.id(), current.version());
    reference.remove(project, current.id(), current.version());
  }

  private static void apply(IndexedCatalog indexed, ReferenceCatalog reference, String project, Backup current,
      Transition transition) {
    assertEquals(reference.apply(project, current.id(), current.version(), transition),
        indexed.apply(project, current.id(), current.version(), transition));
  }
}
