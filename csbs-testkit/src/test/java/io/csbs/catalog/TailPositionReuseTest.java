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
import io.csbs.usage.UsageQuery;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;

/**
 * Late backups that come and go (an import, then retention) take the tail positions of removed
 * ones again: the shard's positions stop growing, no reorganisation becomes due, and every answer,
 * the usage report included, stays the plain scan's, also when newer backups extend the sorted
 * rows over freed tail positions in between. Replay with {@code -Dcsbs.seed=N}.
 */
class TailPositionReuseTest {

  @RepeatedTest(10)
  void lateBackupsThatComeAndGoReuseTheTailAndAnswerLikeAScan() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      BackupGenerator generator = BackupGenerator.builder().seed(seed).projects(1).servers(20).build();
      FakeClock clock = FakeClock.at(generator.end());
      // a slack no test reaches: no reorganisation, so that positions show the reuse
      IndexedCatalog indexed = new IndexedCatalog(clock, StallRule.DEFAULT, 1_000_000);
      ReferenceCatalog reference = ReferenceCatalog.create(clock, StallRule.DEFAULT);
      String project = BackupGenerator.projectId(0);
      List<Backup> initial = generator.backups(500);
      indexed.addAll(initial);
      reference.addAll(initial);
      List<Backup> late = new ArrayList<>();
      int peak = 0;
      int fresh = 0;
      int lateAdded = 0;
      for (int step = 0; step < 3000; step++) {
        int action = random.nextInt(10);
        if (action < 5 || late.isEmpty()) {
          Backup backup = initial.get(random.nextInt(initial.size())).toBuilder().id("late-" + step).version(1).build();
          indexed.add(backup);
          reference.add(backup);
          late.add(backup);
          lateAdded++;
          peak = Math.max(peak, late.size());
        } else if (action < 9) {
          Backup backup = late.remove(random.nextInt(late.size()));
          indexed.remove(project, backup.id(), backup.version());
          reference.remove(project, backup.id(), backup.version());
        } else {
          Backup next = generator.next();  // may extend the sorted rows over a freed tail position
          indexed.add(next);
          reference.add(next);
          fresh++;
        }
        if (step % 100 == 0) {
          String at = "step " + step;
          for (Query query : List.of(Query.builder().limit(30).build(),
              Query.builder().limit(30).offset(random.nextInt(600)).build())) {
            assertEquals(reference.query(project, query), indexed.query(project, query), at + " " + query);
          }
          assertEquals(reference.count(project, Predicates.all()), indexed.count(project, Predicates.all()), at);
          assertEquals(reference.usage(project, UsageQuery.firstServers(50)),
              indexed.usage(project, UsageQuery.firstServers(50)), at + ": usage");
        }
      }
      // each late backup took a freed tail position when there was one, so the positions hold the
      // initial rows, the new ones (each may move a tail row to a new position) and the late ones
      // alive at their peak; without the reuse they would hold every late backup ever added
      int positions = indexed.positions(project);
      assertTrue(positions <= initial.size() + 2 * fresh + peak,
          "positions " + positions + " for " + initial.size() + " initial rows, " + fresh + " new ones, " + peak
              + " late ones alive at most and " + lateAdded + " added");
    });
  }
}
