package io.csbs.catalog;

import static io.csbs.catalog.IndexedCatalogDifferentialTest.same;

import io.csbs.backup.Backup;
import io.csbs.lifecycle.StallRule;
import io.csbs.query.Page;
import io.csbs.query.Query;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.testing.QueryGenerator;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.testing.Seeds;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;

/**
 * The all-projects view of the indexed catalog (each project's matches merged by a heap) against the
 * plain scan: many projects, some empty or holding one backup, a few with most; backups copied into
 * other projects under the same id, so that sort ties fall to the project id and such ids refuse to
 * be markers; late backups in the projects' tails; random queries, and whole walks page by page by
 * marker and by offset. Replay with {@code -Dcsbs.seed=N}.
 */
class AllProjectsDifferentialTest {
  @RepeatedTest(15)
  void theMergedViewEqualsAPlainScan() {
    Seeds.run(Seeds.pick(), this::compare);
  }

  private void compare(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int projects = 1 + random.nextInt(60);
    BackupGenerator generator = BackupGenerator.builder().seed(seed).projects(projects).servers(30).build();
    FakeClock clock = FakeClock.at(generator.end());
    IndexedCatalog indexed = new IndexedCatalog(clock, StallRule.DEFAULT, 1 + random.nextInt(8));
    ReferenceCatalog reference = ReferenceCatalog.create(clock);

    List<Backup> backups = new ArrayList<>(generator.backups(random.nextInt(1500)));
    int copies = backups.isEmpty() ? 0 : random.nextInt(1 + backups.size() / 10);
    for (int i = 0; i < copies; i++) {
      Backup original = backups.get(random.nextInt(backups.size()));
      String other = BackupGenerator.projectId(random.nextInt(projects));
      if (!other.equals(original.projectId())
          && backups.stream().noneMatch(b -> b.projectId().equals(other) && b.id().equals(original.id()))) {
        backups.add(original.toBuilder().projectId(other).build()); // the same id and sort values elsewhere
      }
    }
    Collections.shuffle(backups, new Random(seed));
    int bulk = random.nextInt(backups.size() + 1);
    indexed.addAll(backups.subList(0, bulk));
    reference.addAll(backups.subList(0, bulk));
    for (Backup backup : backups.subList(bulk, backups.size())) { // one by one, mostly late
      indexed.add(backup);
      reference.add(backup);
    }
    QueryGenerator queries = QueryGenerator.create(seed, backups.isEmpty() ? generator.backups(5) : backups);
    for (int i = 0; i < 60; i++) {
      Query query = queries.nextQuery();
      same(() -> reference.queryAllProjects(query), () -> indexed.queryAllProjects(query), seed + ": " + query);
    }
    for (int walk = 0; walk < 3; walk++) {
      Query first = Query.builder().where(queries.nextPredicate()).sort(queries.nextSort())
          .limit(1 + random.nextInt(40)).build();
      Query query = first;
      for (int page = 0; page < 200; page++) {
        Query asked = query;
        Page expected = same(() -> reference.queryAllProjects(asked), () -> indexed.queryAllProjects(asked),
            seed + ": page " + page + " of " + asked);
        if (expected == null || expected.nextMarker().isEmpty()) {
          break;
        }
        query = random.nextBoolean() ? first.after(expected.nextMarker().get())
            : first.toBuilder().offset((long) (page + 1) * first.limit()).build();
      }
    }
  }
}
