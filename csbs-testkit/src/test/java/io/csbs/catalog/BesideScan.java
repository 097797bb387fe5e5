package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.testing.ReferenceCatalog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One project's backups changed alike in an indexed catalog and in the plain scan ({@link
 * ReferenceCatalog}), for the random tests of when a project reorganises: late, new and removed
 * backups, and a comparison of their answers.
 *
 * <pre>{@code
 * BesideScan both = new BesideScan(catalog, generator, clock, generator.backups(1000));
 * both.addLate(random, "late-1");
 * both.compare(random, "after one late add");
 * }</pre>
 */
final class BesideScan {
  final IndexedCatalog indexed;
  final ReferenceCatalog reference;
  final String project = BackupGenerator.projectId(0);
  /** The live backups, in the order they came. */
  final List<Backup> live;
  private final BackupGenerator generator;
  private final FakeClock clock;

  /**
   * Both catalogs of {@code generator}'s first project, on {@code clock}; {@code initial} is in the
   * scan already and the caller adds it to {@code indexed} as the test wants (a bulk load or one by one).
   */
  BesideScan(IndexedCatalog indexed, BackupGenerator generator, FakeClock clock, List<Backup> initial) {
    this.indexed = indexed;
    this.generator = generator;
    this.clock = clock;
    this.live = new ArrayList<>(initial);
    this.reference = ReferenceCatalog.create(clock, io.csbs.lifecycle.StallRule.DEFAULT);
    reference.addAll(initial);
  }

  /** A late backup: the creation time and fields of a random live one, the id {@code id}. */
  void addLate(SplittableRandom random, String id) {
    Backup late = live.get(random.nextInt(live.size())).toBuilder().id(id).version(1).build();
    indexed.add(late);
    reference.add(late);
    live.add(late);
  }

  /** A new backup, newer than every other, minutes after the last. */
  void addNew(SplittableRandom random) {
    clock.advance(Duration.ofMinutes(1 + random.nextInt(30)));
    Backup fresh = generator.next();
    indexed.add(fresh);
    reference.add(fresh);
    live.add(fresh);
  }

  /** Removes a random live backup. */
  void removeAny(SplittableRandom random) {
    Backup gone = live.remove(random.nextInt(live.size()));
    indexed.remove(project, gone.id(), gone.version());
    reference.remove(project, gone.id(), gone.version());
  }

  /** Searches of several shapes, counts and a page at a random offset, against the scan. */
  void compare(SplittableRandom random, String at) {
    compare(reference, indexed, project, random, at);
  }

  /** {@link #compare(SplittableRandom, String)} of any two catalogs holding {@code project}. */
  static void compare(ReferenceCatalog reference, IndexedCatalog indexed, String project, SplittableRandom random,
      String at) {
    List<Query> queries = List.of(
        Query.builder().limit(20).build(),
        Query.builder().limit(25).offset(random.nextInt(800)).build(),
        Query.builder().where(Predicates.status(BackupStatus.AVAILABLE)).limit(10).offset(random.nextInt(60)).build(),
        Query.builder().where(Predicates.createdWithinLast(Duration.ofDays(1 + random.nextInt(30)))).limit(20).build());
    for (Query query : queries) {
      assertEquals(reference.query(project, query), indexed.query(project, query), at + ": " + query);
    }
    assertEquals(reference.count(project, Predicates.all()), indexed.count(project, Predicates.all()), at + ": count");
    assertEquals(reference.count(project, Predicates.status(BackupStatus.ERROR)),
        indexed.count(project, Predicates.status(BackupStatus.ERROR)), at + ": failed count");
  }
}
