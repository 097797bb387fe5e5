package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.lifecycle.StallRule;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.testing.Seeds;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * A tail of late backups too short for the changes to make a reorganisation due is reorganised
 * once the searches have paid for it about as much as a reorganisation costs ({@link
 * ProjectShard#noteTailRead()}), and not before; answers stay the plain scan's throughout. Replay
 * with {@code -Dcsbs.seed=N}.
 */
class ReadTriggeredReorganisationTest {
  private static final int SLACK = 1024;

  @RepeatedTest(5)
  void searchesReorganiseATailTheChangesLeaveAndAnswerLikeAScan() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      BackupGenerator generator = BackupGenerator.builder().seed(seed).projects(1).servers(20).build();
      FakeClock clock = FakeClock.at(generator.end());
      IndexedCatalog indexed = new IndexedCatalog(clock, StallRule.DEFAULT, SLACK);  // reorganises inline
      ReferenceCatalog reference = ReferenceCatalog.create(clock, StallRule.DEFAULT);
      String project = BackupGenerator.projectId(0);
      List<Backup> initial = generator.backups(2000);
      indexed.addAll(initial);
      reference.addAll(initial);
      int lateCount = 100 + random.nextInt(400);  // under the slack: the changes make nothing due
      // copies of backups older than the newest, all of them for the tail (a copy of the newest's
      // creation time with a larger id would extend the sorted rows instead)
      java.time.Instant newest = initial.stream().map(Backup::createdAt).max(java.util.Comparator.naturalOrder()).get();
      List<Backup> older = initial.stream().filter(backup -> backup.createdAt().isBefore(newest)).toList();
      for (int i = 0; i < lateCount; i++) {
        Backup late = older.get(random.nextInt(older.size())).toBuilder().id("late-" + i).version(1).build();
        indexed.add(late);
        reference.add(late);
      }
      int live = initial.size() + lateCount;
      assertEquals(0, indexed.stats(project).reorganisations(), "changes alone made a reorganisation due");
      assertTrue(indexed.positions(project) > initial.size(), "no tail to pay for");

      // each search pays the tail's length; the budget is TAIL_READS_PER_ROW a live row
      long budget = (long) ProjectShard.TAIL_READS_PER_ROW * Math.max(live, SLACK);
      long searchesBefore = (budget + lateCount - 1) / lateCount;
      List<Query> queries = List.of(Query.builder().limit(20).build(),
          Query.builder().where(Predicates.status(BackupStatus.AVAILABLE)).limit(10).offset(30).build(),
          Query.builder().where(Predicates.createdWithinLast(Duration.ofDays(7))).limit(20).build());
      for (long search = 1; search < searchesBefore; search++) {
        Query query = queries.get((int) (search % queries.size()));
        if (search % 97 == 0) {
          assertEquals(reference.query(project, query), indexed.query(project, query), "search " + search);
        } else {
          indexed.query(project, query);
        }
      }
      assertEquals(0, indexed.stats(project).reorganisations(), "reorganised before the reads paid for it");
      indexed.count(project, Predicates.all());  // the search that crosses the budget
      assertEquals(1, indexed.stats(project).reorganisations(), "the reads paid, no reorganisation");
      assertEquals(live, indexed.positions(project), "the tail is still there");
      for (Query query : queries) {
        assertEquals(reference.query(project, query), indexed.query(project, query), "after: " + query);
      }
      // no tail, nothing to pay: searches start no other reorganisation
      for (int search = 0; search < 2000; search++) {
        indexed.query(project, queries.get(search % queries.size()));
      }
      assertEquals(1, indexed.stats(project).reorganisations());
    });
  }

  @Test
  void searchesInsideAConsistentReadStartTheReorganisationOnlyOnceItEnds() {
    BackupGenerator generator = BackupGenerator.builder().seed(7).projects(1).servers(5).build();
    FakeClock clock = FakeClock.at(generator.end());
    IndexedCatalog indexed = new IndexedCatalog(clock, StallRule.DEFAULT, SLACK);  // reorganises inline
    String project = BackupGenerator.projectId(0);
    List<Backup> initial = generator.backups(500);
    indexed.addAll(initial);
    List<Backup> late = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      late.add(initial.get(i).toBuilder().id("late-" + i).version(1).build());
    }
    late.forEach(indexed::add);
    long searches = (long) ProjectShard.TAIL_READS_PER_ROW * SLACK / late.size() + 10;
    // inline, a reorganisation inside read() would wait for the write lock its own thread holds
    long total = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> indexed.read(project, view -> {
      long sum = 0;
      for (long i = 0; i < searches; i++) {
        // the catalog's own reads nest in read() for the same project, each releasing its lock
        sum += i % 2 == 0 ? view.count(Predicates.all()) : indexed.count(project, Predicates.all());
      }
      return sum;
    }));
    assertEquals(searches * 700, total);
    assertEquals(1, indexed.stats(project).reorganisations(), "not reorganised once read() ended");
    assertEquals(700, indexed.positions(project));
  }
}
