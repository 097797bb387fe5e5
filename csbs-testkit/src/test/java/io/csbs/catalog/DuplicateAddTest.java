package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
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
        assertSame(stored, catalog.get(PROJECT, id), () -> "the stored " + id);
        if (i % 500 == 0) {
          assertEquals(model.size(), catalog.count(PROJECT, Predicates.all()), "count");
        }
      }
      assertTrue(catalog.tailRows(PROJECT) > 0, "no tail");
      for (Map.Entry<String, Backup> entry : model.entrySet()) {
        assertSame(entry.getValue(), catalog.get(PROJECT, entry.getKey()), () -> "the stored " + entry.getKey());
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
}
