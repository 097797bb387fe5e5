package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.lifecycle.StallRule;
import io.csbs.query.Predicates;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.testing.Seeds;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaExceededException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * A single add checks its id and puts it into the id table in one probe ({@link
 * IdIndex#putIfAbsent}): a duplicate must still be refused before anything changes, whichever way
 * the add would have gone (extending the sorted rows, into the tail at a new or a freed position, or
 * newer than the sorted rows while a tail exists), and while the id table drains into a larger one
 * (a table grows several times as the project grows from nothing to thousands of backups one by one,
 * and drains for about a sixth of the adds). Replay with {@code -Dcsbs.seed=N}.
 */
class DuplicateAddTest {
  private static final String PROJECT = BackupGenerator.projectId(0);

  @RepeatedTest(5)
  void aDuplicateChangesNothingWhereverTheAddWouldGo() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      FakeClock clock = FakeClock.create();
      // reorganises inline, rarely: the tail and the freed positions stay for many adds
      IndexedCatalog catalog = new IndexedCatalog(clock, StallRule.DEFAULT, 1 << 20);
      List<Backup> generated = BackupGenerator.builder().seed(seed).projects(1).build().backups(4001);
      Backup newest = generated.remove(4000);  // never added: newer than every row
      Map<String, Backup> model = new HashMap<>();
      List<String> ids = new ArrayList<>();
      int late = 0;
      for (int i = 0; i < generated.size(); i++) {
        Backup next = generated.get(i);
        if (i > 10 && random.nextInt(3) == 0) {
          // a late backup: the creation time of an earlier one, a new id
          next = generated.get(random.nextInt(i)).toBuilder().id("late-" + late++).build();
        }
        catalog.add(next);
        model.put(next.id(), next);
        ids.add(next.id());
        if (ids.size() > 1 && random.nextInt(8) == 0) {  // frees a position, in the tail or the sorted rows
          String gone = ids.remove(random.nextInt(ids.size()));
          Backup removed = model.remove(gone);
          catalog.remove(PROJECT, gone, removed.version());
        }
        // a duplicate of a stored backup, as it is or newer than every row (then it would extend the
        // sorted rows while the tail exists)
        String id = ids.get(random.nextInt(ids.size()));
        Backup stored = model.get(id);
        Backup again = random.nextBoolean() ? stored : newest.toBuilder().id(id).build();
        int positions = catalog.positions(PROJECT);
        int tail = catalog.tailRows(PROJECT);
        long sequence = catalog.sequence(PROJECT);
        assertThrows(DuplicateBackupException.class, () -> catalog.add(again), () -> "a duplicate of " + id);
        assertEquals(positions, catalog.positions(PROJECT), "positions after a refused add");
        assertEquals(tail, catalog.tailRows(PROJECT), "tail after a refused add");
        assertEquals(sequence, catalog.sequence(PROJECT), "sequence after a refused add");
        // equal, not the same object: the catalog may store a copy sharing its server's parts
        assertEquals(stored, catalog.get(PROJECT, id), () -> "the stored " + id);
        if (i % 500 == 0) {
          assertEquals(model.size(), catalog.count(PROJECT, Predicates.all()), "count");
        }
      }
      assertTrue(catalog.tailRows(PROJECT) > 0, "no tail");
      for (Map.Entry<String, Backup> entry : model.entrySet()) {
        assertEquals(entry.getValue(), catalog.get(PROJECT, entry.getKey()), () -> "the stored " + entry.getKey());
      }
      assertEquals(model.size(), catalog.count(PROJECT, Predicates.all()), "count");
    });
  }

  @Test
  void aDuplicateIsReportedBeforeAFullQuota() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<Backup> backups = BackupGenerator.builder().seed(3).projects(1).build().backups(101);
    catalog.addAll(backups.subList(0, 100));
    catalog.setQuota(PROJECT, Quota.of(100, Quota.UNLIMITED));
    assertThrows(DuplicateBackupException.class, () -> catalog.add(backups.get(7)));
    assertThrows(QuotaExceededException.class, () -> catalog.add(backups.get(100)));
    assertEquals(100, catalog.count(PROJECT, Predicates.all()));
  }

  /**
   * A batch's first repeated id, found by {@link IndexedCatalog#firstRepeatedId} (an open-addressing
   * table of the backups' indexes), against a {@code HashSet}: batches of every size up to a few
   * thousand, ids repeated or not, and ids of equal hashes ("Aa" and "BB" hash alike, so the ids
   * made of them collide while they differ), which must be told apart by their text.
   */
  @RepeatedTest(5)
  void theFirstRepeatedIdOfABatchIsTheSetsFirstRefusal() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      Backup template = BackupGenerator.builder().seed(seed).projects(1).build().backups(1).get(0);
      for (int round = 0; round < 200; round++) {
        int size = random.nextInt(round < 100 ? 20 : 3000) + 1;
        boolean colliding = random.nextBoolean();
        List<Backup> batch = new ArrayList<>();
        for (int i = 0; i < size; i++) {
          int n = random.nextInt(4) == 0 ? random.nextInt(i + 1) : i;  // a quarter repeat an earlier number, or themselves
          String id;
          if (colliding) {
            StringBuilder text = new StringBuilder("b-");
            for (int bit = 0; bit < 13; bit++) {
              text.append((n >>> bit & 1) == 0 ? "Aa" : "BB");  // every such id of 13 pairs has one hash
            }
            id = text.toString();
          } else {
            id = "b-" + n;
          }
          batch.add(template.toBuilder().id(id).build());
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        int expected = -1;
        for (int i = 0; i < batch.size() && expected < 0; i++) {
          if (!seen.add(batch.get(i).id())) {
            expected = i;
          }
        }
        assertEquals(expected, IndexedCatalog.firstRepeatedId(batch), "batch of " + size + (colliding ? ", one hash" : ""));
      }
    });
  }

  /**
   * A batch large enough to check its ids on a second core beside its sort ({@link
   * ProjectShard#PARALLEL_BATCH}), of several projects: an id repeated within one project's backups,
   * or one a project holds already, is refused naming the id the smaller batches would name, and
   * nothing changes (backups, sequences); without a repeat every backup is added, each project's
   * sequence moves on by its backups whether or not a subscriber listens, and a subscriber is handed
   * each added backup once, in each project's sequence order.
   */
  @RepeatedTest(1)  // three batches of 70,000 backups a seed, a new seed every run: 2 to 6 s
  void aLargeBatchRefusesItsFirstRepeatAndNumbersItsChanges() {
    Seeds.run(Seeds.pick(), seed -> {
      for (int kind = 0; kind < 3; kind++) {  // a repeat within the batch, an id held already, none
        // with or without a subscriber as the seed has it: each run takes one of the two per kind, and
        // the runs (a new seed each) take both
        largeBatch(seed, kind, ((seed >>> kind) & 1) == 1);
      }
    });
  }

  private static void largeBatch(long seed, int kind, boolean listening) {
    SplittableRandom random = new SplittableRandom(seed * 7 + kind);
    int projects = 2;
    List<Backup> loaded = BackupGenerator.builder().seed(seed).projects(projects).build()
        .backups(1000 + 4 * ProjectShard.PARALLEL_BATCH + random.nextInt(4000));  // the generator gives project-0 about a third
    List<Backup> first = loaded.subList(0, 1000);
    List<Backup> batch = new ArrayList<>(loaded.subList(1000, loaded.size()));
    java.util.Collections.shuffle(batch, new java.util.Random(seed));
    Map<String, Long> added = new HashMap<>();
    for (Backup backup : batch) {
      added.merge(backup.projectId(), 1L, Long::sum);
    }
    for (int p = 0; p < projects; p++) {  // the premise: each project's batch takes the parallel path
      assertTrue(added.getOrDefault(BackupGenerator.projectId(p), 0L) >= ProjectShard.PARALLEL_BATCH, added.toString());
    }
    IndexedCatalog catalog = new IndexedCatalog(FakeClock.create(), StallRule.DEFAULT);
    List<Change> handed = new ArrayList<>();
    if (listening) {
      catalog.subscribe(handed::add);
    }
    catalog.addAll(first);
    Map<String, Long> sequences = new HashMap<>();
    Map<String, Long> counts = new HashMap<>();
    for (int p = 0; p < projects; p++) {
      String project = BackupGenerator.projectId(p);
      sequences.put(project, catalog.sequence(project));
      counts.put(project, catalog.count(project, Predicates.all()));
    }
    int handedBefore = handed.size();
    if (kind < 2) {
      List<Backup> bad = new ArrayList<>(batch);
      int at = 1 + random.nextInt(bad.size() - 1);
      Backup victim = bad.get(at);
      Backup repeated = sameProject(kind == 0 ? bad.subList(0, at) : first, victim.projectId(), random);
      assertTrue(repeated != null, "no backup of " + victim.projectId() + " to repeat");
      bad.set(at, victim.toBuilder().id(repeated.id()).build());
      DuplicateBackupException refused = assertThrows(DuplicateBackupException.class, () -> catalog.addAll(bad));
      assertEquals(victim.projectId(), refused.projectId());
      assertEquals(repeated.id(), refused.backupId());  // the batch repeats no other id
      assertEquals(kind == 0, refused.inBatch());
      for (int p = 0; p < projects; p++) {
        String project = BackupGenerator.projectId(p);
        assertEquals(sequences.get(project), catalog.sequence(project), project);
        assertEquals(counts.get(project), catalog.count(project, Predicates.all()), project);
      }
      assertEquals(handedBefore, handed.size());
      return;
    }
    catalog.addAll(batch);
    for (int p = 0; p < projects; p++) {
      String project = BackupGenerator.projectId(p);
      long more = added.getOrDefault(project, 0L);
      assertEquals(sequences.get(project) + more, catalog.sequence(project), project);
      assertEquals(counts.get(project) + more, catalog.count(project, Predicates.all()), project);
    }
    if (listening) {
      assertEquals(batch.size(), handed.size() - handedBefore);
      Map<String, Long> next = new HashMap<>(sequences);
      java.util.Set<String> ids = new java.util.HashSet<>();
      for (Change change : handed.subList(handedBefore, handed.size())) {
        assertEquals(next.merge(change.projectId(), 1L, Long::sum), change.sequence(), change.toString());
        assertTrue(change.isAdded());
        assertTrue(ids.add(change.backupId()), change.backupId());
      }
    }
  }

  private static Backup sameProject(List<Backup> backups, String projectId, SplittableRandom random) {
    List<Backup> same = new ArrayList<>();
    for (Backup backup : backups) {
      if (backup.projectId().equals(projectId)) {
        same.add(backup);
      }
    }
    return same.isEmpty() ? null : same.get(random.nextInt(same.size()));
  }
}
