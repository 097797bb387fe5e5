package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.Tag;
import io.csbs.lifecycle.StallRule;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.testing.ReferenceCatalog;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Mostly distinct tag sets turn the tag-set index off; tag searches still answer like the scan. */
class TagSetsGuardTest {

  @Test
  void mostlyDistinctTagSetsTurnTheIndexOffAndSearchesStillAnswerLikeTheScan() {
    BackupGenerator generator = BackupGenerator.builder().seed(11).projects(1).servers(20).build();
    FakeClock clock = FakeClock.at(generator.end());
    IndexedCatalog indexed = new IndexedCatalog(clock, StallRule.DEFAULT, 1_000_000);
    ReferenceCatalog reference = ReferenceCatalog.create(clock, StallRule.DEFAULT);
    String project = BackupGenerator.projectId(0);
    List<Backup> backups = new ArrayList<>();
    int n = TagSets.MIN_SETS + 2000;
    for (Backup backup : generator.backups(n)) {
      // a tag unique to each backup beside a shared one: every set distinct
      backups.add(backup.toBuilder().tags(List.of(Tag.of("env", "prod"), Tag.of("ticket", backup.id()))).build());
    }
    indexed.addAll(backups);
    reference.addAll(backups);
    for (int i = 0; i < 50; i++) {
      Backup some = backups.get(i * 97);
      Query query = Query.builder().where(Predicates.and(Predicates.tag("env", "prod"),
          Predicates.tag("ticket", some.id()))).limit(20).build();
      assertEquals(reference.query(project, query), indexed.query(project, query));
    }
    long bytes = indexed.stats(project).estimatedIndexBytes();
    assertTrue(bytes / n < 200, bytes / n + " B a backup");
  }

  @Test
  void theIndexTurnsItselfOffPastTheBoundAndIgnoresLaterChanges() {
    TagSets sets = new TagSets();
    int rows = 0;
    for (int i = 0; i <= TagSets.MIN_SETS && sets.enabled(); i++) {
      sets.add(rows, List.of(Tag.of("a", "1"), Tag.of("b", "v" + i)), ++rows);
    }
    assertFalse(sets.enabled());
    assertEquals(0, sets.size());
    sets.add(rows, List.of(Tag.of("a", "1"), Tag.of("b", "x")), rows + 1);
    sets.remove(0, List.of(Tag.of("a", "1"), Tag.of("b", "v0")));
    assertEquals(0, sets.size());
  }
}
