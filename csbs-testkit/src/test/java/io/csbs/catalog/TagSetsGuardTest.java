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

  /**
   * Servers whose tag sets are distinct, each with many backups, in creation order: one backup of
   * each server after another, so that every prefix of the load looks mostly distinct. A bulk load
   * decides on all its rows and keeps the sets; backups added one by one turn them off early, and a
   * reorganisation once the shard has grown to twice that tries them again and keeps them.
   */
  @Test
  void sharedSetsThatLookDistinctWhileLoadingStayOn() {
    int servers = TagSets.MIN_SETS + 500;
    int rounds = 2 * TagSets.ROWS_PER_SET;
    java.time.Instant start = java.time.Instant.parse("2026-01-01T00:00:00Z");
    List<Backup> backups = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      for (int s = 0; s < servers; s++) {
        backups.add(Backup.builder().id("b-" + round + "-" + s).name("autobk_" + s).projectId("project-a")
            .server(io.csbs.backup.Server.of("server-" + s, "ecs-" + s, "eu-de-01"))
            .status(io.csbs.backup.BackupStatus.AVAILABLE).sizeMb(10)
            .createdAt(start.plusSeconds(round * 86_400L + s)).updatedAt(start.plusSeconds(round * 86_400L + s))
            .tags(List.of(Tag.of("env", "prod"), Tag.of("svc", "s" + s))).build());
      }
    }
    FakeClock clock = FakeClock.at(start.plusSeconds(rounds * 86_400L));
    ReferenceCatalog reference = ReferenceCatalog.create(clock, StallRule.DEFAULT);
    reference.addAll(backups);
    Query query = Query.builder().where(Predicates.and(Predicates.tag("env", "prod"), Predicates.tag("svc", "s7")))
        .limit(20).build();

    IndexedCatalog loaded = new IndexedCatalog(clock, StallRule.DEFAULT, 1_000_000);
    loaded.addAll(backups);
    assertTrue(loaded.usesTagSets("project-a"), "a bulk load turned the tag sets off on a prefix of its rows");
    assertEquals(reference.query("project-a", query), loaded.query("project-a", query));

    IndexedCatalog oneByOne = new IndexedCatalog(clock, StallRule.DEFAULT, 64);
    for (Backup backup : backups) {
      oneByOne.add(backup);
    }
    assertFalse(oneByOne.usesTagSets("project-a"), "one by one, the first round looks mostly distinct");
    // removals past the slack make a reorganisation due, which runs on this thread (every round
    // after the first up to more than a quarter of the rows: holes; the oldest rows alone would
    // form a dead prefix, which waits for half the rows), and leave each set more than
    // ROWS_PER_SET rows
    for (int i = servers; i < (rounds / 4 + 2) * servers; i++) {
      Backup gone = backups.get(i);
      oneByOne.remove("project-a", gone.id(), gone.version());
      reference.remove("project-a", gone.id(), gone.version());
    }
    assertTrue(oneByOne.stats("project-a").reorganisations() > 0, "no reorganisation");
    assertTrue(oneByOne.usesTagSets("project-a"), "the reorganisation of a shard many times larger kept the sets off");
    assertEquals(reference.query("project-a", query), oneByOne.query("project-a", query));
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
